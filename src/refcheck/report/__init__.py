"""Renderers: one per output format behind one interface, chosen through ``Format``.

Everything that came from a case file or a server passes through ``literal`` before it is
shown: credentials masked, control characters made visible, markup never interpreted.
"""

from __future__ import annotations

import unicodedata
from abc import ABC, abstractmethod
from enum import StrEnum
from typing import TextIO

from refcheck.model import LinkResult, Outcome, RunReport, Status
from refcheck.urls import redact_text


class Renderer(ABC):
    @abstractmethod
    def render(self, report: RunReport, outcome: Outcome, out: TextIO) -> None:
        """Write the whole report to ``out``."""


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
}


def literal(text: str | None) -> str:
    """Show external text as it is: secrets masked, control characters escaped visibly."""
    if not text:
        return ""
    text = redact_text(text)
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
        return (case_order.get(result.case.path, 0), result.source.kind != "source",
                result.source.position.line, cited.line, cited.column)

    return sorted(report.results, key=key)
