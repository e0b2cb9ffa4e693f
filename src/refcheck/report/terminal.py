"""The report people read: one block per source, one line per URL, then what to do.

The layout is the same in a terminal, in a pipe and with ``NO_COLOR``: a block per source
(its id, title and verdict), a line per URL with its status, and ``↳`` lines for the detail
and the archived copy. No URL is ever broken across lines: text wraps at spaces only and a
URL longer than the line runs past the edge (where it can still be copied whole); in a
terminal each URL is a link (OSC 8) too. Outside a terminal nothing wraps at all and no
escape code is written. Every status is shown as symbol and word as well as colour. Text
from case files and servers goes through ``literal`` into ``rich.Text``, so markup in a page
title is printed, never interpreted.
"""

from __future__ import annotations

import re
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.text import Text

from refcheck.model import (
    Case,
    Evidence,
    ExitCode,
    LinkResult,
    Outcome,
    RunReport,
    Status,
)
from refcheck.report import (
    STATUS_INFO,
    UNCHECKED_SHOWN,
    Renderer,
    SourceView,
    action,
    archive_lines,
    interruption,
    literal,
    memory_lines,
    not_checked,
    not_checked_for_want_of_network,
    run_notes,
    source_counts,
    sources,
    to_do,
)
from refcheck.urls import url_in_prose

#: Wide enough that a report written to a file or pipe never folds a line.
PLAIN_WIDTH = 10_000
_URL = re.compile(r"https?://[^\s<>\"]+")
_WORD = re.compile(r"\S+\s*|\s+")


def status_text(status: Status) -> Text:
    symbol, colour, _, _ = STATUS_INFO[status]
    return Text(f"{symbol} {status.value}", style=colour)


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich ends the process with exit code 1 when the reader goes away (`refcheck … |
        # head`), which would replace the run's own exit code; the CLI handles it instead.
        self.quiet = True
        raise BrokenPipeError


class TerminalRenderer(Renderer):
    def __init__(self, *, color: bool | None = None, quiet: bool = False) -> None:
        self.color = color
        self.quiet = quiet

    def console(self, out: TextIO) -> Console:
        is_terminal = out.isatty()
        return _Console(
            file=out,
            width=None if is_terminal else PLAIN_WIDTH,
            no_color=(self.color is False) or None,
            force_terminal=self.color if self.color else None,
            highlight=False,
            markup=False,
            emoji=False,
            soft_wrap=not is_terminal,
        )

    def render(self, report: RunReport, outcome: Outcome, out: TextIO) -> None:
        console = self.console(out)
        links = console.is_terminal and not console.no_color
        self._line = _Lines(console, links)
        views = sources(report)
        if report.network_unreachable:
            self._line.say(Text(
                "No network: nothing at all could be reached, so nothing was concluded about "
                "the evidence. Connect to the internet (or check the proxy) and run again.",
                style="bold yellow"))
        for case in report.cases:
            shown = [v for v in views if v.case.path == case.path
                     and (v.needs_action or not self.quiet)]
            if self.quiet and not shown:
                continue
            self._heading(case)
            for view in shown:
                self._source(view, report)
        self._summary(report, outcome, views)
        notes = run_notes(report)  # a shard's, or a merge's with shards missing
        if notes:
            self._line.say(Text(""))
            for note in notes:
                self._line.say(Text(literal(note)))

    def _heading(self, case: Case) -> None:
        say = self._line.say
        say(Text(""))
        say(Text(literal(case.title), style="bold"))
        facts = [literal(case.institution)] if case.institution else []
        if case.id:
            facts.append(f"case {literal(case.id)}")
        if case.date:
            facts.append(f"cited {case.date.isoformat()}")
        facts.append(literal(case.path))
        say(Text(" · ".join(facts), style="dim"))

    def _source(self, view: SourceView, report: RunReport) -> None:
        say = self._line.say
        say(Text(""))
        head = Text(f"{literal(view.label)}  ", style="bold")
        head.append(literal(view.source.title), style="bold")
        head.append("  ")
        head.append_text(status_text(view.verdict))
        if len(view.results) > 1:
            head.append(f" (the best of its {len(view.results)} URLs)", style="dim")
        say(head)
        for result in view.results:
            line = Text("  ")
            line.append_text(status_text(result.status))
            if result.http_status:
                line.append(f" {result.http_status}")
            line.append("  ")
            if result.cited:
                self._line.url(line, literal(result.cited.url))
                if result.cited.position.place:
                    line.append(f"  ({result.cited.position.place})", style="dim")
            else:
                line.append("(no URL)")
            say(line, indent=4)
            self._line.prose("    ↳ ", _detail(result))
            for sentence in memory_lines(result, report.confirm):
                self._line.prose("    ↳ ", sentence, style="dim")
            if not not_checked_for_want_of_network(result):
                for sentence in archive_lines(result, report.as_of):
                    self._line.prose("    ↳ ", literal(sentence), style="cyan")

    def _summary(self, report: RunReport, outcome: Outcome, views: list[SourceView]) -> None:
        say = self._line.say
        counts = report.counts()
        total = len(report.results)
        files = len(report.cases)
        say(Text(""))
        todo = to_do(views, outcome)
        if todo and outcome.exit_code is not ExitCode.NO_NETWORK:
            say(Text(f"What to do ({len(todo)} of {len(views)} source"
                     f"{'s' if len(views) != 1 else ''}):", style="bold"))
            for view in todo:
                where = f"{view.case.path}: " if files > 1 else ""
                self._line.prose(f"  {where}{literal(view.label)} - ",
                                 literal(action(view, report.as_of)),
                                 style=STATUS_INFO[view.verdict][1])
        if report.warnings:
            say(Text(f"Case-file warnings ({len(report.warnings)}):", style="bold yellow"))
            for warning in report.warnings:
                self._line.prose("  ", literal(warning.headline()))
        parts = [f"{counts[s]} {s.value}" for s in Status if counts[s]]
        say(Text(f"{total} link{'s' if total != 1 else ''} in {files} case file"
                 f"{'s' if files != 1 else ''}: " + (", ".join(parts) or "nothing to check")))
        for index, line in enumerate(source_counts(report, views)):
            say(Text(f"  {line}", style="dim") if index else Text(line))
        evidence = report.evidence_counts()
        if any(evidence.values()):
            say(Text(
                f"Evidence: {evidence[Evidence.LIVE]} live, {evidence[Evidence.ARCHIVED]} only "
                f"in an archive, {evidence[Evidence.LOST]} lost, {evidence[Evidence.UNKNOWN]} "
                "undetermined (blocked, erroring or not looked up)."))
        if report.interrupted:
            say(Text(interruption(report) or "", style="bold yellow"))
            left = not_checked(report)
            if left:
                say(Text(f"Not checked ({len(left)}); run refcheck again to check them:",
                         style="yellow"))
                for item in left[:UNCHECKED_SHOWN]:
                    self._line.prose("  ", literal(str(item)))
                if len(left) > UNCHECKED_SHOWN:
                    say(Text(f"  … and {len(left) - UNCHECKED_SHOWN} more (all are in the "
                             "JSON report)"))
        if outcome.exit_code is ExitCode.NO_NETWORK:
            say(Text("No network: nothing was concluded about the evidence; run refcheck "
                     "again when connected.", style="bold yellow"))
            return
        failing = len(outcome.failing)
        if failing:
            kinds = ", ".join(sorted({r.status.value for r in outcome.failing}))
            # Of the sources in "What to do", these are the ones that fail the run (a
            # blocked page, a move, are warnings): said as such, so the counts add up.
            code = (", so the exit code is 1" if outcome.exit_code is ExitCode.ATTENTION
                    else "")
            say(Text(
                f"✗ {failing} link{'s' if failing != 1 else ''} fail{'s' if failing == 1 else ''}"
                f" the run ({kinds}){code}.", style="bold red"))
        elif not report.interrupted and todo:
            # Blocked or erroring links, which --fail-on lets pass: the run passes, but the
            # sources above still want a look.
            say(Text(f"✓ No link fails the run; {len(todo)} source"
                     f"{'s' if len(todo) != 1 else ''} above need"
                     f"{'s' if len(todo) == 1 else ''} a look.", style="bold green"))
        elif not report.interrupted:
            say(Text("✓ No link needs attention.", style="bold green"))


class _Lines:
    """Prints lines that never break a URL: prose wraps at spaces only, a URL longer than
    the line runs past the edge, and in a colour terminal each URL is a link (OSC 8)."""

    def __init__(self, console: Console, links: bool) -> None:
        self.console = console
        self.links = links

    def say(self, text: Text, indent: int = 0) -> None:
        """Print ``text`` wrapped at spaces to the terminal's width (continuation lines
        indented by ``indent``); a word (a URL) longer than the line is never divided."""
        if not self.console.is_terminal:
            self.console.print(text, soft_wrap=True)
            return
        width = self.console.width
        breaks = []
        column = 0
        for word in _WORD.finditer(text.plain):
            length = cell_len(word.group(0).rstrip())
            if column and column + length > width:
                breaks.append(word.start())
                column = indent
            column += cell_len(word.group(0))
        for index, line in enumerate(text.divide(breaks)):
            line.rstrip()
            self.console.print(Text(" " * indent) + line if index else line, soft_wrap=True)

    def url(self, line: Text, url: str) -> None:
        line.append(url, style=Style(link=url) if self.links else "")

    def prose(self, prefix: str, text: str, *, style: str = "") -> None:
        line = Text(prefix, style=style)
        at = 0
        for match in _URL.finditer(text):
            line.append(text[at:match.start()], style=style)
            # As Markdown and HTML end a link: a URL's own brackets stay in it
            # (…/Salford_(city)), the sentence's punctuation after it does not.
            url = url_in_prose(match.group(0))
            self.url(line, url)
            at = match.start() + len(url)
        line.append(text[at:], style=style)
        self.say(line, indent=cell_len(prefix))


def _detail(result: LinkResult) -> str:
    if not_checked_for_want_of_network(result):
        return "not checked: no network"
    detail = literal(result.detail)
    if result.page_title and result.status in (Status.OK, Status.MOVED) \
            and result.archive is None:
        detail += f" \u2014 page title \u201c{literal(result.page_title)}\u201d"
    return detail
