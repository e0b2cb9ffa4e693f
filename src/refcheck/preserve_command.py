"""`refcheck preserve CASEFILE... [--since DATE] [--format json]`: options in, a report and
an exit code out; the work is ``preserve.preserve``'s.

Exit codes: 0 every live link is captured or was already; 1 a capture was refused or
failed; 2 usage or case-file error, or no keys (nothing sent); 3 no network; 130
interrupted (Ctrl-C), 143 stopped by SIGTERM: each link's outcome so far is reported.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer

from refcheck import __version__
from refcheck.archive import SERVICES, ArchiveSettings
from refcheck.archive.client import ArchiveClient
from refcheck.archive.wayback import Wayback
from refcheck.build import (
    MakeFetcher,
    Options,
    RunSettings,
    build_settings,
    fitted_to_descriptors,
)
from refcheck.checker import check
from refcheck.errors import CaseFileError, UsageError
from refcheck.http import DEFAULT_USER_AGENT, Fetcher, HttpSettings
from refcheck.local import command_app
from refcheck.model import Archive, Case, ExitCode, RunReport, day
from refcheck.options import (
    ConcurrencyOption,
    ConfigOption,
    ProbeUrlOption,
    TimeoutOption,
    UserAgentOption,
)
from refcheck.preserve import (
    NO_KEYS,
    SPN_ENV,
    TNA_SUGGEST,
    Keys,
    Preserved,
    SaveOutcome,
    SavePageNow,
    Stopped,
    keys_from,
    keys_problem,
    preserve,
    spn_base,
)
from refcheck.report import literal
from refcheck.urls import mask

if TYPE_CHECKING:
    from refcheck.cli import Interrupts

EPILOG = """\
\b
Examples:
  refcheck preserve cases/salford.yaml           capture live evidence not captured in a year
  refcheck preserve cases/ --since 2026-01-01    ... not captured since 1 January 2026
  refcheck preserve cases/ -f json               the outcome of each link, for scripts

\b
Needs your Internet Archive keys (https://archive.org/account/s3.php) in
REFCHECK_IA_ACCESS_KEY and REFCHECK_IA_SECRET_KEY.

\b
Exit codes:
  0    every live link is captured, now or before
  1    a capture was refused or failed
  2    usage or case-file error, or no keys: nothing was sent
  3    no network
  130  interrupted (Ctrl-C): each link's outcome so far is reported
  143  stopped by SIGTERM: as for Ctrl-C
"""

app = command_app()


@dataclass(frozen=True)
class PreserveParts:
    """What the command builds its run from; tests give their own (``invoke(obj=...)``):
    the fetcher (live checks, the CDX, waits and clock) and Save Page Now's transport."""

    make_fetcher: MakeFetcher = Fetcher
    spn_transport: httpx.AsyncBaseTransport | None = None


@dataclass(frozen=True, kw_only=True)
class PreserveRequest:
    paths: tuple[str, ...]
    settings: RunSettings
    since: dt.date | None = None
    json_output: bool = False


@app.command(epilog=EPILOG)
def preserve_command(
    ctx: typer.Context,
    casefiles: Annotated[list[str], typer.Argument(
        metavar="CASEFILE...", help="Case files (YAML), folders of them, or case-study "
        "documents.", show_default=False)],
    since: Annotated[str | None, typer.Option(
        metavar="YYYY-MM-DD", show_default=False,
        help="Capture pages with no good Wayback capture since this date. [default: a year "
             "ago]")] = None,
    format: Annotated[str, typer.Option(
        "--format", "-f", help="terminal or json.")] = "terminal",
    wayback_url: Annotated[str | None, typer.Option(
        help="Base URL of the Wayback Machine (its CDX index and captures). "
             "[env: REFCHECK_WAYBACK_URL]", show_default=False)] = None,
    config: ConfigOption = None,
    probe_url: ProbeUrlOption = None,
    concurrency: ConcurrencyOption = 64,
    timeout: TimeoutOption = 10.0,
    user_agent: UserAgentOption = DEFAULT_USER_AGENT,
) -> None:
    """Ask the Internet Archive to capture the live evidence now.

    Each live link (ok or moved) without a good Wayback Machine capture since --since is
    sent to Save Page Now with your own keys; each link's outcome is reported.
    """
    obj = ctx.obj
    if isinstance(obj, PreserveParts):
        parts = obj
    else:
        from refcheck.cli import Parts

        parts = PreserveParts(make_fetcher=obj.make_fetcher) if isinstance(obj, Parts) \
            else PreserveParts()
    form = format.strip().lower()
    if form not in ("terminal", "json"):
        typer.echo(f"refcheck preserve: --format `{format}`: expected terminal or json",
                   err=True)
        raise typer.Exit(ExitCode.USAGE)
    from refcheck.cli import typed_options

    options = Options(archive_urls={Archive.WAYBACK: wayback_url}, probe_url=probe_url,
                      config=config,
                      http=HttpSettings(concurrency=concurrency, connect_timeout=timeout,
                                        read_timeout=timeout, user_agent=user_agent),
                      # Its --format is its own (terminal or json), not the report's.
                      casefiles=tuple(casefiles), given=typed_options(ctx) - {"format"})
    try:
        settings = build_settings(options)
        when = _date(since)
    except UsageError as exc:
        _say(f"refcheck preserve: {exc}", err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    settings, limited = fitted_to_descriptors(settings)
    if limited:
        _say(f"refcheck preserve: {limited}", err=True)
    request = PreserveRequest(paths=tuple(casefiles), settings=settings, since=when,
                              json_output=form == "json")
    raise typer.Exit(preserve_files(request, parts))


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        when = dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since: `{text}` is not a date; expected YYYY-MM-DD, e.g. "
                         "2026-01-01") from None
    # A day to come (a mistyped year) would have every live link captured again.
    if when > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
        raise UsageError(f"--since: {when.isoformat()} is in the future; give the date "
                         "from which a capture counts as recent (default: a year ago)")
    return when


def preserve_files(request: PreserveRequest, parts: PreserveParts) -> int:
    """Keys first (without them nothing is read or sent), then the check, then captures."""
    from refcheck.cli import Interrupts, Terminated, event_loop_factory, load_cases

    keys = keys_from(os.environ)
    if keys is None:
        _say(NO_KEYS, err=True)
        return ExitCode.USAGE
    unusable = keys_problem(keys)
    if unusable is not None:
        _say(f"refcheck preserve: {unusable}", err=True)
        return ExitCode.USAGE
    base = spn_base()
    if not base.startswith(("http://", "https://")):
        _say(f"refcheck preserve: {SPN_ENV}: `{base}` is not an http(s) address", err=True)
        return ExitCode.USAGE
    try:
        loaded, warnings = load_cases(list(request.paths))
    except CaseFileError as exc:
        for problem in exc.problems:
            _say(str(problem), err=True)
        _say("refcheck preserve: nothing was checked or sent; correct the case file and run "
             "again.", err=True)
        return ExitCode.USAGE
    for warning in warnings:
        _say(str(warning), err=True)
    stop = _Stop()
    try:
        with Interrupts() as interrupts, asyncio.Runner(
                loop_factory=event_loop_factory()) as runner:
            done = runner.run(_run(loaded, request, parts, keys, base, interrupts, stop))
    except (KeyboardInterrupt, asyncio.CancelledError, Terminated, Stopped):
        code = ExitCode.TERMINATED if stop.signals else ExitCode.INTERRUPTED
        how = "stopped (SIGTERM)" if stop.signals else "interrupted (Ctrl-C)"
        if stop.preserved is None or stop.since is None:
            _say(f"refcheck preserve: {how} while checking the links; nothing was sent.",
                 err=True)
            return code
        _write(stop.preserved, stop.since, request)
        asked = sum(p.saved.outcome is SaveOutcome.ASKED for p in stop.preserved)
        unsent = sum(p.saved.outcome is SaveOutcome.NOT_SENT for p in stop.preserved)
        said = [f"refcheck preserve: {how}; what became of each link is listed above."]
        if asked:
            said.append(f"{asked} capture{'s' if asked != 1 else ''} asked for may still be "
                        f"made: look for {'them' if asked != 1 else 'it'} in the Wayback "
                        "Machine before asking again.")
        if unsent:
            said.append(f"{unsent} link{'s were' if unsent != 1 else ' was'} not sent: run "
                        "refcheck preserve again for them once the Wayback Machine lists "
                        "the captures made now (it can take hours), or it asks for those "
                        "again.")
        _say(" ".join(said), err=True)
        return code
    if done is None:
        _say("refcheck preserve: no network: nothing could be reached, so nothing was "
             "captured.", err=True)
        return ExitCode.NO_NETWORK
    since, preserved = done
    _write(preserved, since, request)
    failing = any(p.saved.outcome in (SaveOutcome.REFUSED, SaveOutcome.FAILED)
                  for p in preserved)
    return ExitCode.ATTENTION if failing else ExitCode.OK


@dataclass
class _Stop:
    """What a run that is stopped has to report: the signal that stopped it (SIGTERM; none
    for Ctrl-C), the date captures were looked for since, and each link's outcome once the
    captures began (those not ended included)."""

    signals: list[int] = field(default_factory=list)
    since: dt.date | None = None
    preserved: list[Preserved] | None = None


async def _run(loaded: list[Case], request: PreserveRequest, parts: PreserveParts,
               keys: Keys, base: str, interrupts: Interrupts | None = None,
               stop: _Stop | None = None) -> tuple[dt.date, list[Preserved]] | None:
    from refcheck.cli import terminating

    stop = stop if stop is not None else _Stop()
    task = asyncio.current_task()
    if interrupts is not None and task is not None:
        interrupts.attach(task)  # Ctrl-C cancels this; pressed again, it is ignored
    try:
        with terminating() as signals:
            stop.signals = signals
            return await _preserve(loaded, request, parts, keys, base, stop)
    except Stopped as stopped:
        stop.preserved = stopped.preserved
        raise
    finally:
        if interrupts is not None:
            interrupts.detach()


async def _preserve(loaded: list[Case], request: PreserveRequest, parts: PreserveParts,
                    keys: Keys, base: str, stop: _Stop
                    ) -> tuple[dt.date, list[Preserved]] | None:
    settings = request.settings
    async with parts.make_fetcher(settings.http) as fetcher:
        report = RunReport()
        # No archive fallback: only live links are preserved.
        await check(loaded, fetcher, report, settings.check, clock=fetcher.clock)
        if report.network_unreachable:
            return None
        since = request.since or (fetcher.clock() - dt.timedelta(days=365)).date()
        stop.since = since
        archives = settings.check.archive_settings or ArchiveSettings()
        client = ArchiveClient(fetcher, wait_after_429=archives.wait_after_429,
                               max_wait_after_429=archives.max_wait_after_429)
        info = SERVICES[Archive.WAYBACK]
        wayback = Wayback(info, archives.base(Archive.WAYBACK), client, archives)
        start = dt.datetime(since.year, since.month, since.day, tzinfo=dt.UTC)
        async with SavePageNow(base, keys, fetcher, capture_base=archives.base(Archive.WAYBACK),
                               transport=parts.spn_transport,
                               user_agent=settings.http.user_agent,
                               timeout=max(30.0, settings.http.read_timeout),
                               since=start) as spn:
            preserved = await preserve(_in_order(report), since=start, wayback=wayback,
                                       spn=spn)
            # Every link is done: stopped while the connections close, nothing is lost.
            stop.preserved = preserved
    return since, preserved


def _write(preserved: list[Preserved], since: dt.date, request: PreserveRequest) -> None:
    if request.json_output:
        sys.stdout.write(render_json(preserved, since) + "\n")
    else:
        sys.stdout.write(render_terminal(preserved, since))
    sys.stdout.flush()


def _in_order(report: RunReport) -> list[Any]:
    from refcheck.report import ordered

    return ordered(report)


# -- reports -------------------------------------------------------------------------------

WORDS = {
    SaveOutcome.CAPTURED: "captured",
    SaveOutcome.RECENT: "already captured",
    SaveOutcome.REFUSED: "refused",
    SaveOutcome.FAILED: "failed",
    SaveOutcome.SKIPPED: "skipped",
    SaveOutcome.ASKED: "asked for",
    SaveOutcome.NOT_SENT: "not sent",
}

GOVERNMENT = ("a UK government page: the UK Government Web Archive (The National Archives) "
              "makes no captures on request; if it is central government or national NHS "
              f"evidence, suggest it to The National Archives: {TNA_SUGGEST}")


def summary(preserved: list[Preserved], since: dt.date) -> str:
    counts = Counter(p.saved.outcome for p in preserved)
    stopped = "".join(f", {counts[o]} {WORDS[o]}" for o in (SaveOutcome.ASKED,
                                                            SaveOutcome.NOT_SENT) if counts[o])
    return (f"refcheck preserve: {counts[SaveOutcome.CAPTURED]} captured, "
            f"{counts[SaveOutcome.RECENT]} already captured since {day(since)}, "
            f"{counts[SaveOutcome.REFUSED]} refused, {counts[SaveOutcome.FAILED]} failed, "
            f"{counts[SaveOutcome.SKIPPED]} skipped{stopped}")


def render_terminal(preserved: list[Preserved], since: dt.date) -> str:
    lines = []
    for item in preserved:
        result, saved = item.result, item.saved
        assert result.cited is not None
        position = result.cited.position
        where = f"{position.file}:{position.line}" + (f" ({position.place})"
                                                       if position.place else "")
        lines.append(f"{where}  {result.source.id}  {result.cited.url}")
        text = saved.detail
        if saved.outcome not in (SaveOutcome.CAPTURED, SaveOutcome.RECENT):
            text = f"{WORDS[saved.outcome]}: {text}"
        if saved.capture_url:
            text += f": {saved.capture_url}"
        lines.append(f"  {text}")
        if item.asked is not None and item.asked != result.cited.url:
            lines.append(f"  (asked for {item.asked})")
        if item.government:
            lines.append(f"  {GOVERNMENT}")
    lines.append(summary(preserved, since))
    return "".join(literal(line) + "\n" for line in lines)


def render_json(preserved: list[Preserved], since: dt.date) -> str:
    counts = Counter(p.saved.outcome for p in preserved)
    links = []
    for item in preserved:
        result, saved = item.result, item.saved
        assert result.cited is not None
        position = result.cited.position
        links.append({
            "file": position.file, "line": position.line, "column": position.column,
            "place": position.place, "source": result.source.id,
            "kind": result.source.kind.value, "url": result.cited.url,
            "status": result.status.value, "asked": item.asked,
            "outcome": saved.outcome.value, "detail": saved.detail,
            "capture_url": saved.capture_url,
            "captured": saved.captured.isoformat() if saved.captured else None,
            "code": saved.code, "job_id": saved.job_id,
            "suggest_to_ukgwa": TNA_SUGGEST if item.government else None,
        })
    document = {
        "schema": "refcheck-preserve/1", "refcheck": __version__,
        "since": since.isoformat(),
        # False when stopped (Ctrl-C, SIGTERM): links "asked" or "not-sent" are not done.
        "complete": not (counts[SaveOutcome.ASKED] or counts[SaveOutcome.NOT_SENT]),
        "summary": {outcome.value: counts[outcome] for outcome in SaveOutcome},
        "links": links,
    }
    return json.dumps(_masked(document), ensure_ascii=False, indent=1)


def _masked(value: Any) -> Any:
    """Every string of the JSON through the one masking rule, as every report does."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _say(message: str, *, err: bool = False) -> None:
    print("\n".join(literal(line) for line in message.split("\n")),
          file=sys.stderr if err else sys.stdout)


def run(argv: list[str]) -> int:
    """`refcheck preserve ARGS`: the exit code."""
    from refcheck.local import run_typer

    return run_typer(app, argv, "refcheck preserve")

