"""Renderers: one per output format behind one interface, chosen through ``Format``.

Everything that came from a case file or a server passes through ``literal`` before it is
shown: credentials masked, control characters made visible, markup never interpreted.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from abc import ABC, abstractmethod
from enum import StrEnum
from typing import TextIO

from refcheck.model import (
    Evidence,
    LinkResult,
    LookupOutcome,
    Outcome,
    RunReport,
    SourceKind,
    Status,
    day,
)
from refcheck.urls import mask


class Renderer(ABC):
    @abstractmethod
    def render(self, report: RunReport, outcome: Outcome, out: TextIO) -> None:
        """Write the whole report to ``out``."""

    def prepare(self, result: LinkResult) -> None:  # noqa: B027 (a hook, not abstract)
        """Told of each link as it finishes, while the run waits for others: a renderer may
        do part of its work early. ``render`` must not depend on it having been called."""


class Format(StrEnum):
    terminal = "terminal"
    json = "json"

    def renderer(self, *, color: bool | None = None) -> Renderer:
        if self is Format.json:
            from refcheck.report.json import JsonRenderer

            return JsonRenderer()
        from refcheck.report.terminal import TerminalRenderer

        return TerminalRenderer(color=color)


#: symbol, colour, one-line meaning, what to do. The README's table says the same.
STATUS_INFO: dict[Status, tuple[str, str, str, str]] = {
    Status.OK: ("✓", "green", "the page answers with content",
                "nothing"),
    Status.MOVED: ("→", "yellow", "redirects to a different address that works",
                   "check the new page is the same evidence, then cite the new address"),
    Status.DEAD: ("✗", "red", "404/410, or the host name no longer exists",
                  "find where the evidence went, or cite an archived copy"),
    Status.SOFT_404: ("✗", "red", "answers, but with an error page or the site's home page",
                      "treat it as dead: find the evidence elsewhere or cite an archived copy"),
    Status.BLOCKED: ("⊘", "magenta", "the site refuses automated checks (403, bot wall, login)",
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
}

STATUS_INFO[Status.DRIFTED] = (
    "≠", "red", "the page answers but no longer contains the quote the source cites",
    "find the passage (it may have moved) or cite the archived copy that has it")

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
    """What the report says about archived copies of one link, one sentence a line."""
    lines = []
    target = as_of or result.case.date
    capture = result.archive
    if capture is not None and result.status not in (Status.OK, Status.ARCHIVED):
        lines.append(f"archived copy in {capture.label or capture.service}"
                     f": {capture.url} ({describe_age(capture.captured.date(), target)})")
    elif capture is not None:
        lines.append(describe_age(capture.captured.date(), target))
    failed = [x for x in result.lookups if x.outcome is LookupOutcome.FAILED]
    lines.extend(f"could not ask {x.label or str(x.service)}: {x.detail}"
                 for x in failed)
    if capture is None and result.lookups and not failed:
        asked = " or ".join(x.label or str(x.service) for x in result.lookups)
        lines.append(f"no archived copy in {asked}")
    if result.lookup_url:
        lines.append(f"the archives were asked for the address without its credentials: "
                     f"{result.lookup_url}")
    if result.listing and result.evidence in (Evidence.LOST, Evidence.UNKNOWN):
        lines.append(f"look for yourself: {result.listing}")
    return lines


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


def ordered(report: RunReport) -> list[LinkResult]:
    """Results in case-file order, whatever order they completed in."""
    case_order = {case.path: i for i, case in enumerate(report.cases)}

    def key(result: LinkResult) -> tuple[int, int, int, int, int]:
        cited = result.cited.position if result.cited else result.source.position
        return (case_order.get(result.case.path, 0), result.source.kind is not SourceKind.SOURCE,
                result.source.position.line, cited.line, cited.column)

    return sorted(report.results, key=key)
