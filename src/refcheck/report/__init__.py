"""Reports: one renderer per format behind one interface, chosen through ``Format`` (the
registry), all drawn from the same ``RunReport``.

What every format shares lives here: the order of cases and sources, each source's verdict
and the one thing to do about it (``action``), the sentences about archived copies, and
``literal``/``mask``: everything that came from a case file or a server is masked for
credentials, and shown literally (control characters made visible, markup never
interpreted; each format escapes for its own syntax on top).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TextIO

from refcheck.model import (
    Case,
    Confirm,
    Evidence,
    FailureKind,
    LinkResult,
    LookupOutcome,
    Outcome,
    RunReport,
    Source,
    SourceKind,
    Status,
    Unchecked,
    best_status,
    day,
)
from refcheck.urls import doi_in_publisher_url, doi_of, mask, url_hint, without_session
from refcheck.verdict import NO_NETWORK_DETAIL, QUOTE_NOT_CHECKED_IN_CAPTURE


class Renderer(ABC):
    @abstractmethod
    def render(self, report: RunReport, outcome: Outcome, out: TextIO) -> None:
        """Write the whole report to ``out``."""

    def prepare(self, result: LinkResult) -> None:  # noqa: B027 (a hook, not abstract)
        """Told of each link as it finishes (final), while the run waits for others: a
        renderer may do part of its work early. ``render`` must not depend on it."""


class Format(StrEnum):
    terminal = "terminal"
    json = "json"
    markdown = "markdown"
    html = "html"
    junit = "junit"
    github = "github"
    csv = "csv"

    def renderer(self, *, color: bool | None = None, quiet: bool = False) -> Renderer:
        """The registry: each format's renderer, imported only when it is asked for."""
        if self is Format.terminal:
            from refcheck.report.terminal import TerminalRenderer

            return TerminalRenderer(color=color, quiet=quiet)
        makers: dict[Format, Callable[[], Renderer]] = {
            Format.json: _json, Format.markdown: _markdown, Format.html: _html,
            Format.junit: _junit, Format.github: _github, Format.csv: _csv}
        return makers[self]()


#: The format a report file's name asks for (`-o report.html`), used when no format is
#: given, so that a browser is not handed the terminal's text.
FORMAT_OF_SUFFIX = {".html": Format.html, ".htm": Format.html, ".json": Format.json,
                    ".md": Format.markdown, ".markdown": Format.markdown, ".csv": Format.csv,
                    ".xml": Format.junit}


def format_of_file(name: str) -> Format | None:
    """The format ``name`` (a report file's path) asks for by its suffix, if any."""
    dot = name.rfind(".")
    return FORMAT_OF_SUFFIX.get(name[dot:].lower()) if dot > name.rfind("/") else None


def run_notes(report: RunReport) -> list[str]:
    """What every report says about a run that is not a whole audit: a shard's (which
    links it holds, of how many), or a merged report's shards that are missing."""
    notes = []
    shard = report.shard
    if shard is not None:
        others = shard.total - shard.checked
        where = f"Shard {shard.index} of {shard.count}"
        if others:
            notes.append(
                f"{where}: this report holds the {shard.checked} of the {shard.total} links "
                f"in these case files whose host falls in shard {shard.index}. The other "
                f"{others} are the other shards' to check, and are neither shown nor counted "
                "here; `refcheck merge` joins the shards' JSON reports into the whole "
                "audit's report.")
        else:
            notes.append(f"{where}: this report holds all {shard.total} links in these case "
                         f"files: their hosts all fall in shard {shard.index}, and the other "
                         "shards have none.")
        if shard.split_sources:
            count = shard.split_sources
            notes.append(
                "1 source also cites URLs that other shards check: its verdict here is the "
                "best of this shard's URLs only; the merged report takes the best of all."
                if count == 1 else
                f"{count} sources also cite URLs that other shards check: their verdicts here "
                "are the best of this shard's URLs only; the merged report takes the best of "
                "all.")
    merged = report.merged
    if merged is not None and merged.gaps:
        for gap in merged.gaps:
            one = gap.links == 1
            links = f"{gap.links} link{'' if one else 's'}"
            are = "is" if one else "are"
            if gap.reason == "missing":
                notes.append(f"Shard {gap.index} of {merged.count} is missing: its {links} "
                             f"{are} not in this report.")
            elif gap.reason == "interrupted":
                notes.append(f"Shard {gap.index} of {merged.count} was interrupted: {links} "
                             f"of it {are} not in this report.")
            else:
                notes.append(f"Shard {gap.index} of {merged.count} had no network: its "
                             f"{links} {'was' if one else 'were'} not checked.")
        notes.append("This report is incomplete (exit code 4): run those shards again and "
                     "merge every shard's report.")
    return notes


def _json() -> Renderer:
    from refcheck.report.json import JsonRenderer

    return JsonRenderer()


def _markdown() -> Renderer:
    from refcheck.report.markdown import MarkdownRenderer

    return MarkdownRenderer()


def _html() -> Renderer:
    from refcheck.report.html import HtmlRenderer

    return HtmlRenderer()


def _junit() -> Renderer:
    from refcheck.report.junit import JunitRenderer

    return JunitRenderer()


def _github() -> Renderer:
    from refcheck.report.github import GithubRenderer

    return GithubRenderer()


def _csv() -> Renderer:
    from refcheck.report.csv import CsvRenderer

    return CsvRenderer()


#: symbol, colour, one-line meaning, what to do. The README's table says the same.
STATUS_INFO: dict[Status, tuple[str, str, str, str]] = {
    Status.OK: ("✓", "green", "the page answers with content",
                "nothing"),
    Status.MOVED: ("→", "yellow", "redirects to a different address that works",
                   "check the new page is the same evidence, then cite the new address"),
    Status.DEAD: ("✗", "red", "404/410, or the host name no longer exists",
                  "find where the evidence went, or cite an archived copy"),
    Status.SOFT_404: ("✗", "red", "answers, but with an error page, the site's home page, a "
                      "search, or a parked or placeholder domain",
                      "treat it as dead: find the evidence elsewhere or cite an archived copy"),
    Status.BLOCKED: ("⊘", "magenta", "the site refuses automated checks (403, bot wall, "
                     "sign-in or cookie-consent page)",
                     "open it in a browser and confirm the evidence is there"),
    Status.ERROR: ("!", "yellow", "no usable answer (time-out, refused, TLS, 5xx, loop)",
                   "run again later; if it persists, open it in a browser"),
    Status.INVALID: ("?", "red", "the URL in the case file cannot be used as written",
                     "correct the URL in the case file"),
    Status.NO_URL: ("–", "dim", "no URL: the evidence is held offline (a letter, say)",
                    "keep the document ready for the auditors"),
    Status.ARCHIVED: ("◷", "cyan", "the address now leads into a web archive (The National "
                      "Archives' web continuity): the live page is gone, the capture remains",
                      "cite the archived copy shown"),
    Status.DRIFTED: ("≠", "red", "the page answers but no longer contains the quote the "
                     "source cites, or now shows something else than its archived capture",
                     "find the passage (it may have moved) or cite the archived copy that "
                     "has it"),
    Status.EXCLUDED: ("○", "dim", "not checked: the settings file's `exclude` or "
                      "`include` patterns leave it out",
                      "nothing (change the patterns to check it)"),
}

#: Source verdicts that need nobody to do anything.
FINE = frozenset({Status.OK, Status.NO_URL, Status.EXCLUDED})


def describe_age(captured: dt.date, target: dt.date | None) -> str:
    """'captured 19 January 2012, 1 year 10 months before the case date'."""
    text = f"captured {day(captured)}"
    if target is None:
        return text
    months = (target.year - captured.year) * 12 + target.month - captured.month
    if target.day < captured.day:
        months -= 1
    if abs(months) < 1:
        days = (target - captured).days
        if days == 0:
            return text + ", on the case date"
        span = f"{abs(days)} day{'s' if abs(days) != 1 else ''}"
    else:
        years, rest = divmod(abs(months), 12)
        parts = []
        if years:
            parts.append(f"{years} year{'s' if years != 1 else ''}")
        if rest:
            parts.append(f"{rest} month{'s' if rest != 1 else ''}")
        span = " ".join(parts)
    when = "before" if captured <= target else "after"
    return f"{text}, {span} {when} the case date"


def archive_lines(result: LinkResult, as_of: dt.date | None = None) -> list[str]:
    """What the report says about archived copies of one link, one sentence a line.
    Distances are measured from ``as_of`` (--as-of) when given, else the case date."""
    lines = []
    target = as_of or result.case.date
    capture = result.archive
    if capture is not None and result.status not in (Status.OK, Status.ARCHIVED):
        # A drifted page's copy counts only if the quote is in it: one that lacks it, or
        # was not read for it (as the detail says), is the nearest copy, not one to cite.
        which = ("nearest archived copy" if result.status is Status.DRIFTED
                 and result.evidence is not Evidence.ARCHIVED else "archived copy")
        lines.append(f"{which} in {capture.label or capture.service}"
                     f": {capture.url} ({describe_age(capture.captured.date(), target)})")
    elif capture is not None:
        lines.append(describe_age(capture.captured.date(), target))
    failed = [x for x in result.lookups if x.outcome is LookupOutcome.FAILED]
    lines.extend(f"could not ask {x.label or str(x.service)}: {x.detail}"
                 for x in failed)
    if capture is None and result.lookups and not failed:
        asked = " or ".join(x.label or str(x.service) for x in result.lookups)
        lines.append(f"no archived copy in {asked}")
        # Why, where an archive has captures but none is the page (or excludes the site).
        for x in result.lookups:
            label = x.label or str(x.service)
            if x.outcome is LookupOutcome.NOT_ARCHIVED and x.detail:
                lines.append(x.detail if x.detail.startswith(label) else f"{label}: {x.detail}")
    if result.lookup_url:
        lines.append(f"the archives were asked for the address without its credentials: "
                     f"{result.lookup_url}")
    if result.listing and result.evidence in (Evidence.LOST, Evidence.UNKNOWN):
        lines.append(f"look for yourself: {result.listing}")
    return lines


def memory_lines(result: LinkResult, confirm: Confirm | None = None) -> list[str]:
    """What the memory of past runs says of one link: "checked 3 hours ago" for a success
    reused, "dead since 3 March 2026 (5 runs over 9 days)" or "failed for the first time
    today" for a failure, and, under ``--confirm``, that it is not yet counted."""
    now = result.checked_at
    lines = []
    if result.cached_at is not None:
        lines.append(f"checked {_ago(now - result.cached_at)} (remembered from an earlier "
                     "run; --max-cache-age 0 checks it again)")
    history = result.history
    if history is not None and history.recovered_from is not None and not history.failed_runs:
        runs = history.recovered_runs
        lines.append(f"fine again: it had failed since {day(history.recovered_from)} "
                     f"({runs} run{'s' if runs != 1 else ''})")
    if history is not None and history.failed_runs and history.failing_since is not None:
        if history.failed_runs == 1 and history.failed_before is not None \
                and history.last_ok is not None:
            # A link that comes and goes: it has failed before.
            lines.append(f"failed {_when(history.failing_since, now)}; it was fine "
                         f"on {day(history.last_ok)}, and failed before that on "
                         f"{day(history.failed_before)}")
        elif history.failed_runs == 1:
            before = (f"; it was fine on {day(history.last_ok)}"
                      if history.last_ok is not None else "")
            # A page behind a bot wall or a sign-in has not failed: it could not be seen.
            what = ("could not be checked (blocked)" if result.status is Status.BLOCKED
                    else "failed")
            lines.append(f"{what} for the first time {_when(history.failing_since, now)}"
                         f"{before}")
        else:
            what = history.streak_status.value if history.streak_status else "failing"
            days = history.streak_days
            lines.append(f"{what} since {day(history.failing_since)} ({history.failed_runs} "
                         f"runs over {days} day{'s' if days != 1 else ''})")
    if result.unconfirmed:
        needed = (f"in {confirm.runs} run{'s' if confirm.runs != 1 else ''} over "
                  f"{confirm.days} day{'s' if confirm.days != 1 else ''}"
                  if confirm is not None else "in the runs and days --confirm asks for")
        lines.append(f"unconfirmed: not counted towards the exit code until it has failed "
                     f"{needed}")
    return lines


def _ago(elapsed: dt.timedelta) -> str:
    seconds = max(int(elapsed.total_seconds()), 0)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "moments ago"


def _when(moment: dt.datetime, now: dt.datetime) -> str:
    return "today" if moment.date() == now.date() else f"on {day(moment)}"


def literal(text: str | None) -> str:
    """Show external text as it is: secrets masked, control characters escaped visibly."""
    if not text:
        return ""
    text = mask(text)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cn"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(" ")
    return "".join(out)


_CODE = re.compile(r"`([^`]+)`")


def code_parts(text: str) -> list[tuple[bool, str]]:
    """``text`` split into prose and the parts it quotes in backticks (a URL or a line as
    the case file has it), each marked True: the reports show those as code, exactly as
    written, never as a link (a URL with a space in it, linked, would lead elsewhere)."""
    parts: list[tuple[bool, str]] = []
    at = 0
    for match in _CODE.finditer(text):
        parts += [(False, text[at:match.start()]), (True, match.group(1))]
        at = match.end()
    parts.append((False, text[at:]))
    return [(code, part) for code, part in parts if part]


def ordered(report: RunReport) -> list[LinkResult]:
    """Results in case-file order, whatever order they completed in."""
    case_order = {case.path: i for i, case in enumerate(report.cases)}

    def key(result: LinkResult) -> tuple[int, int, int, int, int]:
        cited = result.cited.position if result.cited else result.source.position
        return (case_order.get(result.case.path, 0), result.source.kind is not SourceKind.SOURCE,
                result.source.position.line, cited.line, cited.column)

    return sorted(report.results, key=key)


@dataclass(frozen=True)
class SourceView:
    """One source as every report shows it: its results in order, its verdict, and what
    to do about it."""

    case: Case
    source: Source
    results: tuple[LinkResult, ...]
    verdict: Status

    @property
    def label(self) -> str:
        return (self.source.id if self.source.kind is SourceKind.SOURCE
                else f"ref {self.source.id}")

    @property
    def needs_action(self) -> bool:
        return self.verdict not in FINE

    @property
    def decisive(self) -> LinkResult:
        """The result the verdict comes from (the first URL with the best status)."""
        return next(r for r in self.results if r.status is self.verdict)


def sources(report: RunReport) -> list[SourceView]:
    """Every source with results, in case-file order."""
    views: list[SourceView] = []
    group: list[LinkResult] = []
    for result in [*ordered(report), None]:
        if group and (result is None or (result.case.path, result.source.kind,
                                         result.source.id) !=
                      (group[0].case.path, group[0].source.kind, group[0].source.id)):
            views.append(SourceView(group[0].case, group[0].source, tuple(group),
                                    best_status(r.status for r in group)))
            group = []
        if result is not None:
            group.append(result)
    return views


def to_do(views: list[SourceView], outcome: Outcome) -> list[SourceView]:
    """The sources that need something, as every report's "What to do" lists them: those
    that fail the run first (the evidence dead, lost or changed, or the case file wrong),
    then the rest (moved, blocked, erroring, archived), each part in case-file order."""
    failing = {id(r) for r in outcome.failing}
    todo = [v for v in views if v.needs_action]
    return sorted(todo, key=lambda v: not any(id(r) in failing for r in v.results))


def source_counts(report: RunReport, views: list[SourceView]) -> list[str]:
    """The sources' verdicts counted ("14 sources: 4 ok, 4 dead"), and, where they differ
    from the links' counts, why: what every report says under the links' counts, so that
    the "What to do" list (of sources) and the counts of links add up."""
    if not views:
        return []
    verdicts = Counter(v.verdict for v in views)
    counts = report.counts()
    lines = [f"{len(views)} source{'s' if len(views) != 1 else ''}: "
             + ", ".join(f"{verdicts[s]} {s.value}" for s in Status if verdicts[s])]
    if any(verdicts[s] != counts[s] for s in Status):
        lines.append("(a source with several URLs takes the best of them, so the counts of "
                     "sources and of links differ)")
    return lines


def not_checked(report: RunReport) -> list[Unchecked]:
    """The links of an interrupted run that have no result, in case-file order."""
    if not report.interrupted:
        return []
    if report.unchecked is not None:  # a report read back from JSON
        return list(report.unchecked)
    done = {(r.case.path, r.source.kind, r.source.id, r.cited) for r in report.results}
    return [Unchecked(case.path, (cited.position if cited else source.position).line,
                      source.id, source.kind, cited.url if cited else None, source.title)
            for case in report.cases for source in case.sources
            for cited in (source.urls or (None,))
            if (case.path, source.kind, source.id, cited) not in done]


#: How many unchecked links the human-read reports list by name (the JSON report, all).
UNCHECKED_SHOWN = 20


#: "What to do" of an interrupted run none of whose sources checked needs attention.
NOTHING_CHECKED_NEEDS_ATTENTION = ("No source checked needs attention, but the links not "
                                   "checked are still to be checked (above).")


def interruption(report: RunReport) -> str | None:
    """What every report says of a run stopped by Ctrl-C or SIGTERM (None for one that
    ran to its end): how many links were checked, so that no report of a partial run
    reads as a clean bill. The reports that list the links not checked do so after it."""
    if not report.interrupted:
        return None
    total = report.total_links()
    return (f"Interrupted: {len(report.results)} of {total} link{'' if total == 1 else 's'} "
            "were checked before the run was stopped; the report is partial.")


def not_checked_for_want_of_network(result: LinkResult) -> bool:
    """A link that was not checked because there was no network: its detail says so
    already in the report's heading, so it need not be repeated under each link."""
    return result.detail.startswith(NO_NETWORK_DETAIL.split("(", 1)[0])


#: Failures of the server's set-up, not of the moment: its certificate or TLS, a protocol
#: refcheck does not speak, a redirect loop. Another run gets the same.
SET_UP_FAILURES = frozenset({FailureKind.TLS, FailureKind.HTTP2_ONLY, FailureKind.PROTOCOL,
                             FailureKind.REDIRECT_LOOP, FailureKind.TOO_MANY_REDIRECTS,
                             FailureKind.BAD_REDIRECT})


def link_action(view: SourceView, result: LinkResult,
                as_of: dt.date | None = None) -> str | None:
    """What to do, said by the reports of one link a row (CSV, JUnit): the source's action,
    on the link its verdict comes from; None for a source that needs nothing, and for its
    other URLs (a dead copy beside a live one needs nothing done)."""
    return action(view, as_of) if view.needs_action and result is view.decisive else None


def action(view: SourceView, as_of: dt.date | None = None) -> str:
    """What is wrong with a source and the one thing to do, in a sentence:
    "dead; cite the archived copy of 1 March 2013: URL"."""
    result = view.decisive
    status = view.verdict
    capture = result.archive
    if status is Status.MOVED:
        title = f" (\u201c{result.page_title}\u201d)" if result.page_title else ""
        # The address to cite is the verdict's: the page's, without the session or the
        # cookie check (Springer's ?error=cookies_not_supported&code=…) the server added.
        new = (without_session(result.final_url, cited=result.cited.url if result.cited
                               else None) if result.final_url else result.final_url)
        return f"moved; check that the new page{title} is the same evidence, then cite {new}"
    if status is Status.ARCHIVED and capture is not None:
        return f"archived; cite the archived copy of {day(capture.captured)}: {capture.url}"
    if status is Status.INVALID:
        where = result.cited.position.line if result.cited else result.source.position.line
        hint = url_hint(result.cited.url) if result.cited is not None else None
        return (f"invalid; correct the URL on line {where} of {view.case.path}"
                + (f": {hint}" if hint else ""))
    if status in (Status.BLOCKED, Status.ERROR):
        if not_checked_for_want_of_network(result):
            return "not checked (no network); run refcheck again when connected"
        advice = STATUS_INFO[status][3]
        if status is Status.ERROR and result.failure in SET_UP_FAILURES:
            advice = ("open it in a browser: this is how the server is set up, which "
                      "running again will not change")
        copy = (f" (an archived copy of {day(capture.captured)} exists: {capture.url})"
                if capture is not None else "")
        return f"{status.value}; {advice}{copy}{_cite_the_doi(view, result)}"
    if capture is not None:  # dead, soft-404, drifted with a good copy
        if status is Status.DRIFTED and QUOTE_NOT_CHECKED_IN_CAPTURE in result.detail:
            return (f"drifted; refcheck could not check the archived copy of "
                    f"{day(capture.captured)} for the quote: look for it there, then cite "
                    f"it: {capture.url}")
        if status is Status.DRIFTED and result.evidence is Evidence.UNKNOWN:
            return (f"drifted; the quote is not in the archived copy of "
                    f"{day(capture.captured)} either: find the passage or the right copy")
        return f"{status.value}; cite the archived copy of {day(capture.captured)}: {capture.url}"
    hint = (url_hint(result.cited.url) if result.cited is not None
            and status in (Status.DEAD, Status.SOFT_404) else None)
    if hint is not None and result.cited is not None:
        # The case-file warning's mistake (a full stop, a space, a dash copied with the
        # address) is the likeliest reason, and the archives were asked for it too.
        return (f"{status.value}; the URL as written looks damaged: {hint}. Correct it on "
                f"line {result.cited.position.line} of {view.case.path}, then check again")
    look = f" (look for yourself: {result.listing})" if result.listing else ""
    if result.evidence is Evidence.LOST:
        # The archives asked have no usable copy: they said so, or the few captures tried
        # were not the page. A person may still find one in the listing.
        return (f"{status.value}; no usable archived copy was found{look}: find where the "
                "evidence went, or replace the source")
    failed = [x.label or "an archive" for x in result.lookups
              if x.outcome is LookupOutcome.FAILED]
    if failed:
        # An archive could not say whether it has a copy: asking again may find one.
        # (Why is in its lookup's detail: a 429 passes, a list of captures too long to read
        # does not, so both ways to look are given.)
        listed_at = f": {result.listing}" if result.listing else " in the archive"
        holds = "it holds" if len(set(failed)) == 1 else "they hold"
        return (f"{status.value}; {_names(failed)} could not say whether {holds} an "
                f"archived copy: look for yourself{listed_at}, or run refcheck again later; "
                "else find where the evidence went")
    return f"{status.value}; find where the evidence went{look}"


def _cite_the_doi(view: SourceView, result: LinkResult) -> str:
    """For a publisher's page that could not be seen, whose address names the article's
    DOI, and a source that does not cite that DOI already: to cite the DOI instead, which
    refcheck checks with the DOI system, whatever the publisher shows robots."""
    doi = doi_in_publisher_url(result.cited.url) if result.cited is not None else None
    if doi is None or any((doi_of(u.url) or "").lower() == doi.lower()
                          for u in view.source.urls) or (
            view.source.doi or "").lower() == doi.lower():
        return ""
    escaped = doi.replace("#", "%23").replace("?", "%3F")
    return (f"; its address names the DOI {doi}: cite https://doi.org/{escaped} (or give it "
            "as the source's `doi:`), which refcheck checks with the DOI system")


def _names(names: list[str]) -> str:
    """'UKGWA', 'UKGWA and the Wayback Machine', 'A, B and C'."""
    unique = list(dict.fromkeys(names))
    return unique[0] if len(unique) == 1 else f"{', '.join(unique[:-1])} and {unique[-1]}"
