"""The ``refcheck`` command: options in, exit code out. No decisions live here."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from refcheck import __version__, cases, early
from refcheck.build import (
    MakeFetcher,
    Options,
    RunSettings,
    build_archives,
    build_settings,
    fitted_to_descriptors,
    parse_report,
)
from refcheck.checker import check
from refcheck.errors import CaseFileError, Problem, UsageError
from refcheck.http import (
    DEFAULT_USER_AGENT,
    Clock,
    Fetcher,
    HttpSettings,
    utc_now,
)
from refcheck.local import ReportFile, command_app, refuse_to_replace
from refcheck.model import (
    DEFAULT_FAIL_ON,
    Archive,
    Case,
    ExitCode,
    LinkResult,
    Outcome,
    Position,
    RunReport,
    decide,
)
from refcheck.options import (
    ArchiveOption,
    AsOfOption,
    ConcurrencyOption,
    ConfigOption,
    FailOnOption,
    FormatOption,
    OutputOption,
    PerHostOption,
    QuietOption,
    ReportsOption,
    RetriesOption,
    TimeoutOption,
    UserAgentOption,
)
from refcheck.reading import read_all, read_case
from refcheck.report import Format, Renderer, literal
from refcheck.verdict import Comparison

if TYPE_CHECKING:
    from refcheck.cache import Memory
    from refcheck.report.progress import RunProgress

EPILOG = """\
\b
Examples:
  refcheck cases/salford.yaml             check one case file
  refcheck cases/                         every *.yaml and *.yml in a folder
  refcheck cases/ -f json -o report.json  a JSON report for CI
  refcheck cases/ --fail-on dead,soft-404,moved
  refcheck cases/ --confirm 3:3           nightly: fail for links failing 3 runs over 3 days
  refcheck --check-only cases/            validate the case files, fetch nothing
  refcheck --show-settings cases/         every setting and where it came from
  refcheck cache info                     the memory of past runs (also: cache clear)
  refcheck --shard 2/4 cases/ --report json:shard-2.json
                                          one of 4 machines' share, split by host
  refcheck merge shard-*.json             the whole audit's report from the shards'

\b
Exit codes:
  0    nothing needs attention
  1    a source is dead, soft-404, drifted or invalid (change the set with --fail-on)
  2    usage or case-file error: nothing was checked (or the report could not be
       written: stderr says why)
  3    no network: nothing could be reached, nothing was concluded
  4    incomplete: this machine ran out of something (open files, memory); run again
  130  interrupted (Ctrl-C): the links checked so far are reported
  143  stopped by SIGTERM (a CI job cancelled): as for Ctrl-C
"""

app = command_app()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"refcheck {__version__}")
        raise typer.Exit()


@dataclass(frozen=True)
class Parts:
    """What the command builds its run from; tests give their own (``invoke(obj=...)``)
    instead of patching the module."""

    make_fetcher: MakeFetcher = Fetcher
    #: The run's clock: when links are checked, and the memory of past runs' "now".
    clock: Clock = utc_now


@app.command(epilog=EPILOG)
def main_command(
    ctx: typer.Context,
    casefiles: Annotated[list[str] | None, typer.Argument(
        metavar="CASEFILE...", help="Case files (YAML) or folders of them.",
        show_default=False)] = None,
    format: FormatOption = Format.terminal,
    output: OutputOption = None,
    reports: ReportsOption = None,
    quiet: QuietOption = False,
    strict: Annotated[bool, typer.Option(
        "--strict/--no-strict", help="Treat case-file warnings as errors: exit 2 before "
        "any link is fetched (--no-strict: not, whatever the settings file says).")] = False,
    fail_on: FailOnOption = ",".join(sorted(s.value for s in DEFAULT_FAIL_ON)),
    concurrency: ConcurrencyOption = 64,
    per_host: PerHostOption = 4,
    host_interval: Annotated[float, typer.Option(
        min=0.0, help="Least seconds between the starts of two requests to one host; a "
        "host's 429s widen it for that host.")] = 0.0,
    timeout: TimeoutOption = 10.0,
    deadline: Annotated[float, typer.Option(
        min=0.1, help="Most seconds one try at a URL may take, redirects and body included.")
    ] = 60.0,
    retries: RetriesOption = 2,
    max_redirects: Annotated[int, typer.Option(min=1, max=50, help="Redirects to follow.")] = 10,
    max_bytes: Annotated[int, typer.Option(
        min=1024, help="Most bytes of a page body to read.")] = 2 * 1024 * 1024,
    user_agent: UserAgentOption = DEFAULT_USER_AGENT,
    archive: ArchiveOption = None,
    no_archive: Annotated[bool, typer.Option(
        "--no-archive", help="Do not look for archived copies.")] = False,
    as_of: AsOfOption = None,
    compare_archive: Annotated[Comparison, typer.Option(
        help="Compare live pages with their archived copy nearest the case date, to catch a "
        "domain that changed hands: auto (pages that do not mention their source's title, in "
        "runs of up to 60 URLs), always, or never.")] = Comparison.auto,
    ukgwa_url: Annotated[str | None, typer.Option(
        help="Base URL of the UK Government Web Archive. [env: REFCHECK_UKGWA_URL] "
             "[default: https://webarchive.nationalarchives.gov.uk/ukgwa]",
        show_default=False)] = None,
    wayback_url: Annotated[str | None, typer.Option(
        help="Base URL of the Wayback Machine. [env: REFCHECK_WAYBACK_URL] "
             "[default: https://web.archive.org]", show_default=False)] = None,
    doi_url: Annotated[str | None, typer.Option(
        help="Base URL of the DOI system's handle API. [env: REFCHECK_DOI_URL] "
             "[default: https://doi.org]", show_default=False)] = None,
    config: ConfigOption = None,
    probe_url: Annotated[str | None, typer.Option(
        help="Asked only when no link answered at all, to tell 'no network' from dead hosts; "
             "empty to skip. [env: REFCHECK_PROBE_URL] [default: https://www.gov.uk/]",
        show_default=False)] = None,
    cache_dir: Annotated[Path | None, typer.Option(
        help="Folder of the memory of past runs. [env: REFCHECK_CACHE_DIR] [default: the "
             "user's cache folder]", show_default=False)] = None,
    max_cache_age: Annotated[str | None, typer.Option(
        metavar="AGE", help="Reuse a link found ok less than AGE ago instead of fetching it "
        "(0, 30m, 12h, 3d); failures are always checked again. [default: 1d]",
        show_default=False)] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Neither reuse nor keep anything in the memory of past runs.")
    ] = False,
    confirm: Annotated[str | None, typer.Option(
        metavar="RUNS:DAYS", help="Count a failure towards the exit code only once seen in "
        "RUNS runs over DAYS days (e.g. 3:3); until then it is reported as unconfirmed.",
        show_default=False)] = None,
    shard: Annotated[str | None, typer.Option(
        metavar="K/N", help="Check only shard K of N: the links whose host hashes to K (for "
        "one of N machines; join their JSON reports with refcheck merge).",
        show_default=False)] = None,
    check_only: Annotated[bool, typer.Option(
        "--check-only", help="Read and check the case files and settings, fetch nothing: "
        "exit 0 when they are usable, 2 when not.")] = False,
    show_settings: Annotated[bool, typer.Option(
        "--show-settings", help="Print every setting and where it came from (option, "
        "environment, settings file or default), and exit.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Check the evidence links of REF impact case studies.

    Reports, for every cited source, whether its evidence is live, moved, dead, or could not
    be verified, and why.
    """
    parts: Parts = ctx.obj if isinstance(ctx.obj, Parts) else Parts()
    options = Options(
        fail_on=fail_on, archive=archive, no_archive=no_archive, as_of=as_of,
        archive_urls={Archive.UKGWA: ukgwa_url, Archive.WAYBACK: wayback_url},
        doi_url=doi_url, probe_url=probe_url, config=config,
        http=HttpSettings(
            concurrency=concurrency, per_host=per_host, host_interval=host_interval,
            connect_timeout=timeout,
            read_timeout=timeout, deadline=deadline, retries=retries,
            max_redirects=max_redirects, max_bytes=max_bytes, user_agent=user_agent),
        casefiles=tuple(casefiles or ()), given=typed_options(ctx),
        format=format.value, output=output, reports=tuple(reports or ()), quiet=quiet,
        strict=strict, cache_dir=cache_dir, max_cache_age=max_cache_age, no_cache=no_cache,
        confirm=confirm, compare_archive=compare_archive.value, shard=shard)
    try:
        settings = build_settings(options)
        if show_settings:
            print_settings(settings)
            raise typer.Exit(ExitCode.OK)
        if not casefiles:
            raise UsageError("give the case files (or folders of them) to check, e.g. "
                             "refcheck cases/salford.yaml")
        settings, limited = fitted_to_descriptors(settings)
        strict = settings.strict
        extra = [parse_report_option(text) for text in settings.reports]
        with _kept_for_the_run():
            loaded, warnings = load_cases(casefiles)
        if strict and warnings:
            raise CaseFileError([dataclasses.replace(w, warning=False) for w in warnings])
        for warning in warnings:
            _err(str(warning))
        if check_only:
            checked_only(loaded, warnings)
            raise typer.Exit(ExitCode.OK)
        in_shard = None
        if settings.shard is not None:
            from refcheck.shard import for_shard

            loaded, in_shard, check_options = for_shard(loaded, settings.shard, settings.check)
            settings = dataclasses.replace(settings, check=check_options)
        destinations = opened_destinations(Format(settings.format), settings.output,
                                           settings.quiet, extra,
                                           [Path(case.path) for case in loaded],
                                           output_option=settings.output_where,
                                           report_option=settings.report_where)
    except UsageError as exc:
        _err(f"refcheck: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    except CaseFileError as exc:
        for problem in exc.problems:
            _err(str(problem))
        why = " (--strict: warnings count as errors)" if strict else ""
        # What is named above may be a case file, a case-study document or a folder.
        _err(f"refcheck: nothing was checked{why}; correct what is named above and run "
             "again.")
        raise typer.Exit(ExitCode.USAGE) from None
    except KeyboardInterrupt:
        _err("refcheck: interrupted (Ctrl-C) while reading the case files; nothing was "
             "checked.")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    if limited:
        _err(f"refcheck: {limited}")
    if in_shard is not None:
        from refcheck.shard import started

        _err(started(in_shard))
    report = RunReport(started_at=utc_now(), warnings=warnings,
                       as_of=settings.check.as_of, confirm=settings.check.confirm,
                       shard=in_shard)
    with Interrupts() as interrupts:
        try:
            with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
                runner.run(_run(loaded, settings, parts, report,
                                [d.renderer for d in destinations], interrupts))
        except (KeyboardInterrupt, asyncio.CancelledError):
            report.interrupted = True
        except Terminated:
            report.interrupted = report.terminated = True
        interrupts.finished()
        report.finished_at = utc_now()
        # The results live until the reports are written and the process ends: the
        # collector need not scan them again (at 30,000 links a scan as the report began
        # took 80 ms).
        gc.freeze()
        outcome = decide(report, settings.fail_on)
        failed = False
        for destination in destinations:
            failed = not destination.write(report, outcome) or failed
    raise typer.Exit(ExitCode.USAGE if failed else outcome.exit_code)


class Interrupts:
    """Ctrl-C during a run. The first, while the links are checked, stops the checking and
    the links checked so far are reported; Ctrl-C pressed again before that report is
    written is ignored. (asyncio's own handling raises KeyboardInterrupt from the second
    Ctrl-C wherever the event loop happens to be, which can leave the loop half-closed: a
    traceback, and no report.) Ctrl-C before the checking starts stops it at once; Ctrl-C
    while a complete report is written interrupts the writing, as it always has."""

    def __init__(self) -> None:
        self.count = 0
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._installed = False
        self._finished = False

    def __enter__(self) -> Interrupts:
        # Not when Ctrl-C is ignored (a background job) or handled by someone else (a
        # test running the command in-process off the main thread).
        with contextlib.suppress(ValueError):
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                signal.signal(signal.SIGINT, self._on_sigint)
                self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._installed:
            return
        if not self.count:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            return
        # After Ctrl-C the process is ending, with the partial report written: Ctrl-C
        # pressed again while it ends is held back, never delivered. (Python puts back the
        # default handler as it shuts down, and one arriving just as a handler is changed
        # is reported as "ignored due to race condition".)
        with contextlib.suppress(AttributeError, OSError):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def attach(self, task: asyncio.Task[Any]) -> None:
        """The checking has started, as ``task``."""
        self._loop, self._task = asyncio.get_running_loop(), task
        if self.count:
            task.cancel()

    def detach(self) -> None:
        """The checking is over (done, stopped or failed); Ctrl-C is ignored while the event
        loop closes."""
        self._task = None

    def finished(self) -> None:
        """The event loop is closed: Ctrl-C now interrupts what follows (the writing of a
        complete report)."""
        self._finished = True

    def _on_sigint(self, signum: int, frame: object) -> None:
        self.count += 1
        if self.count > 1:
            return
        task, loop = self._task, self._loop
        if task is not None and loop is not None and not task.done() and not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)
        elif self._finished:
            raise KeyboardInterrupt


def typed_options(ctx: typer.Context) -> frozenset[str]:
    """The options typed on the command line (the others hold their defaults, which the
    settings file may replace)."""
    # By the source's name: typer carries its own copy of click, whose module is private.
    return frozenset(name for name in ctx.params
                     if getattr(ctx.get_parameter_source(name), "name", "") in (
                         "COMMANDLINE", "ENVIRONMENT"))


def print_settings(settings: RunSettings) -> None:
    """``--show-settings``: every setting, its value, and where it came from."""
    where = literal(str(settings.file)) if settings.file else "none found"
    typer.echo(f"# settings file: {where}")
    width = max(len(s.key) for s in settings.shown)
    for setting in settings.shown:
        typer.echo(f"{setting.key:<{width}} = {literal(setting.value)}  "
                   f"# {literal(setting.origin)}")


def checked_only(loaded: list[Case], warnings: list[Problem]) -> None:
    """``--check-only``: the case files are usable; say so, having fetched nothing."""
    links = sum(len(s.urls) for case in loaded for s in case.sources)
    files = len(loaded)
    noted = f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""
    _err(f"refcheck: {files} case file{'s' if files != 1 else ''} checked, {links} "
         f"URL{'s' if links != 1 else ''}, no errors{noted}; nothing was fetched "
         "(--check-only).")


def opened_destinations(form: Format, output: Path | None, quiet: bool,
                        extra: list[tuple[Format, Path]],
                        inputs: Sequence[Path] = (), *, output_option: str = "--output",
                        report_option: str = "--report") -> list[Destination]:
    """The main report (``--format``, ``--output``) and each ``--report FORMAT:PATH``,
    opened before anything is fetched or merged, so a path that cannot be written is said
    at once; none may be one of ``inputs``, the files being checked."""
    if output is not None and str(output) == "-":  # `-o -`: standard output, as is usual
        output = None
    destinations = [Destination(form, output, quiet=quiet, option=output_option)]
    destinations += [Destination(extra_form, path, option=report_option)
                     for extra_form, path in extra]
    written: dict[Path, Destination] = {}
    for destination in destinations:
        if destination.path is not None:
            refuse_to_replace(destination.option, destination.path, inputs)
            earlier = written.setdefault(destination.path.resolve(), destination)
            if earlier is not destination:
                raise UsageError(
                    f"{destination.option}: {destination.path} is named for the "
                    f"{earlier.form.value} report too, and the one written last would "
                    "replace the other; give each report its own file")
    for destination in destinations:
        destination.open()
    return destinations


def parse_report_option(text: str) -> tuple[Format, Path]:
    form, path = parse_report(text)
    return Format(form), path


class Destination:
    """One report to write: a format, and a file (written atomically, opened before any
    link is fetched) or standard output."""

    def __init__(self, form: Format, path: Path | None, *, quiet: bool = False,
                 option: str = "--output") -> None:
        self.form = form
        self.path = path
        self.option = option
        self.renderer = form.renderer(quiet=quiet)
        self.file: ReportFile | None = None

    def open(self) -> None:
        if self.path is not None:
            self.file = ReportFile(self.path, self.option)

    def write(self, report: RunReport, outcome: Outcome) -> bool:
        """Write the report; False (having said why) when it could not be written."""
        try:
            self.renderer.render(report, outcome,
                                 self.file.handle if self.file is not None else sys.stdout)
            if self.file is not None:
                self.file.commit()
        except BrokenPipeError:
            # The reader went away (`refcheck … | head`): not an error worth a message.
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return True
        except OSError as exc:
            if self.file is not None:
                self.file.discard()
            where = f"to {self.path}" if self.path is not None else "to standard output"
            kept = "; the previous report there is unchanged" if self.path is not None else ""
            _err(f"refcheck: cannot write the report {where}: {exc.strerror or exc}{kept}")
            return False
        except KeyboardInterrupt:
            if self.file is not None:
                self.file.discard()
            _err("refcheck: interrupted (Ctrl-C) while writing the report, which is "
                 "incomplete; run refcheck again for the full report.")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        if self.path is not None:
            _err(f"refcheck: {self.form.value} report written to {self.path}")
        return True


#: Documents checked directly: the case file is extracted from them in memory. A Word
#: 97-2003, RTF, OpenDocument or Pages file is refused with what to save it as. Every
#: suffix ``extract`` reads as a document is here (``extract.text.MARKDOWN_SUFFIXES``,
#: ``extract.webpage.SUFFIXES``), or such a file would be read as a YAML case file.
DOCUMENT_SUFFIXES = (".pdf", ".docx", ".txt", ".md", ".markdown", ".json", ".doc", ".rtf",
                     ".odt", ".pages", ".htm", ".html", ".mht", ".mhtml")


def load_cases(paths: list[str]) -> tuple[list[Case], list[Problem]]:
    """Load every case file (or case-study document), reporting all problems of all files
    before giving up; the warnings are returned for the report and stderr."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    loaded: list[Case] = []
    for result in read_all(cases.discover(paths), _read_one, helper=early.take()):
        if isinstance(result, CaseFileError):
            problems.extend(result.problems)
            continue
        warnings.extend(result.warnings)
        loaded.append(result.case)
    if problems:
        raise CaseFileError(problems)
    return loaded, warnings


def _read_one(path: Path) -> cases.LoadedCase | CaseFileError:
    if path.suffix.lower() not in DOCUMENT_SUFFIXES:
        return read_case(path)
    try:
        return load_document(path)
    except CaseFileError as exc:
        return exc


@contextlib.contextmanager
def _kept_for_the_run() -> Iterator[None]:
    """Objects made here live as long as the run (the cases read from the case files):
    the cyclic collector is held off while they are made, then leaves them out of its
    scans. Reading 5,230 case files made it scan their 200,000 objects for 50 ms, to free
    nothing; every later scan would have gone through them again."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_on:
            gc.enable()


def load_document(path: Path) -> cases.LoadedCase:
    """A case-study PDF, Word file, text or REF2014 record, as the case file ``refcheck
    extract`` would write, with each URL placed where the document prints it."""
    from refcheck.extract import ExtractionError, extract

    try:
        extraction = extract(path)
    except ExtractionError as exc:
        raise CaseFileError([Problem(str(path), None, None, str(exc))]) from None
    loaded = cases.parse(extraction.to_yaml(), str(path))

    def placed(position: Position) -> Position:
        place = extraction.place_of_line(position.line)
        if place is None:
            return position
        return Position(str(path), place.line, 1, place=str(place))

    sources = tuple(dataclasses.replace(s, urls=tuple(
        dataclasses.replace(u, position=placed(u.position)) for u in s.urls))
        for s in loaded.case.sources)
    return cases.LoadedCase(dataclasses.replace(loaded.case, sources=sources), loaded.warnings)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (everywhere but Windows), else asyncio's
    own: most of a large run's CPU is the event loop's, and libuv's loop in C needs a sixth
    less of it."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows, or an install without it
        return None
    return uvloop.new_event_loop


async def _run(loaded: list[Case], settings: RunSettings, parts: Parts, report: RunReport,
               renderers: list[Renderer], interrupts: Interrupts | None = None) -> None:
    main = asyncio.current_task()
    if interrupts is not None and main is not None:
        interrupts.attach(main)
    try:
        with terminating():
            await _check(loaded, settings, parts, report, renderers)
    finally:
        if interrupts is not None:
            interrupts.detach()


@contextlib.contextmanager
def terminating() -> Iterator[list[int]]:
    """SIGTERM, while the block runs in the current task, cancels the task, and the block
    ends with ``Terminated`` instead of ``CancelledError`` (the default would end the
    process at once, with no report and no message). What it yields holds the signal once
    it has come, for a block that ends otherwise when cancelled."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    stopped: list[int] = []

    def terminate() -> None:
        stopped.append(signal.SIGTERM)
        if main is not None:
            main.cancel()

    # Not on Windows, nor off the main thread (tests that run the command in-process).
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        yield stopped
    except asyncio.CancelledError:
        if stopped:
            raise Terminated from None
        raise
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGTERM)


async def _check(loaded: list[Case], settings: RunSettings, parts: Parts, report: RunReport,
                 renderers: list[Renderer]) -> None:
    def on_result(result: LinkResult) -> None:
        for renderer in renderers:
            renderer.prepare(result)

    memory = open_memory(settings)
    try:
        with _progress() as progress:
            async with parts.make_fetcher(settings.http) as fetcher:
                archives = build_archives(settings.check, fetcher)
                if progress is not None:
                    progress.watch_hosts(fetcher.load)
                    if archives is not None:
                        progress.watch(archives.queues)
                await check(loaded, fetcher, report, settings.check, on_result=on_result,
                            archives=archives, progress=progress, memory=memory,
                            clock=parts.clock)
    finally:
        if memory is not None:
            memory.close()


def open_memory(settings: RunSettings) -> Memory | None:
    """The memory of past runs, unless --no-cache; one that cannot be used says so once
    (on stderr) and the run goes on without it."""
    if settings.cache_dir is None:
        return None
    from refcheck.cache import Memory

    return Memory.open(settings.cache_dir, warn=_err)


@contextlib.contextmanager
def _progress() -> Iterator[RunProgress | None]:
    """The progress display on stderr, only when a person is watching it."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    from refcheck.report.progress import RunProgress

    with RunProgress(sys.stderr, lambda: ()) as progress:
        yield progress


class Terminated(Exception):
    """SIGTERM arrived while links were being checked (a CI job cancelled, a container
    stopped): the run ends as after Ctrl-C, with the partial report, and exit code 143."""


def _err(message: str) -> None:
    """A message on stderr. Messages quote case files, file names and servers, so each line
    goes through ``literal``, as the report does: credentials masked, control characters
    (an OSC 52 clipboard write, a screen clear) shown, never obeyed."""
    print("\n".join(literal(line) for line in message.split("\n")), file=sys.stderr)


def _extract(argv: list[str]) -> int:
    from refcheck.extract import run_extract

    return run_extract(argv)


def _cache(argv: list[str]) -> int:
    from refcheck.cache_command import run_cache

    return run_cache(argv)


#: Commands beside checking: ``refcheck NAME ...`` runs ``SUBCOMMANDS[NAME](rest)``, which
#: returns the exit code. A case file is never named so (they end in .yaml).
SUBCOMMANDS: dict[str, Callable[[list[str]], int]] = {"extract": _extract, "cache": _cache}


def _fix(argv: list[str]) -> int:
    from refcheck.fix_command import run

    return run(argv)


SUBCOMMANDS["fix"] = _fix


def _preserve(argv: list[str]) -> int:
    from refcheck.preserve_command import run

    return run(argv)


SUBCOMMANDS["preserve"] = _preserve


def _merge(argv: list[str]) -> int:
    from refcheck.merge_command import run

    return run(argv)


SUBCOMMANDS["merge"] = _merge


def main() -> None:
    """The command. ``refcheck.__main__`` calls it, having set up the garbage collector."""
    argv = sys.argv[1:]
    if argv and argv[0] in SUBCOMMANDS:
        raise SystemExit(SUBCOMMANDS[argv[0]](argv[1:]))
    app(prog_name="refcheck")
