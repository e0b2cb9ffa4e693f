"""The report people read: a table per case file, a summary, and what to do next.

Every status is shown as symbol and word as well as colour, so it reads the same with
``NO_COLOR`` or in a CI log. Text from case files and servers is built into ``rich.Text``
objects after ``literal``, so markup in a page title is printed, never interpreted.
"""

from __future__ import annotations

from itertools import groupby
from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from refcheck.model import (
    Case,
    Evidence,
    ExitCode,
    LinkResult,
    Outcome,
    RunReport,
    SourceKind,
    Status,
    best_status,
)
from refcheck.report import STATUS_INFO, Renderer, archive_lines, literal, ordered

#: Wide enough that a table written to a file or pipe never folds a URL.
PLAIN_WIDTH = 10_000


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
    def __init__(self, *, color: bool | None = None) -> None:
        self.color = color

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
        results = ordered(report)
        by_case = {path: list(group) for path, group in groupby(results, lambda r: r.case.path)}
        for case in report.cases:
            self._heading(console, case)
            if console.is_terminal:
                self._table(console, by_case.get(case.path, []))
            else:
                self._lines(console, by_case.get(case.path, []))
        self._summary(console, report, outcome)

    def _heading(self, console: Console, case: Case) -> None:
        console.print()
        console.print(Text(literal(case.title), style="bold"))
        facts = [literal(case.institution)] if case.institution else []
        if case.id:
            facts.append(f"case {literal(case.id)}")
        if case.date:
            facts.append(f"cited {case.date.isoformat()}")
        facts.append(literal(case.path))
        console.print(Text(" · ".join(facts), style="dim"))

    def _lines(self, console: Console, results: list[LinkResult]) -> None:
        """For logs and pipes: one line per URL, never folded, so URLs stay copyable."""
        for _, group in groupby(results, lambda r: (r.source.kind, r.source.id)):
            rows = list(group)
            console.print()
            console.print(Text(f"{_label(rows[0])}  {literal(rows[0].source.title)}",
                               style="bold"))
            if len(rows) > 1:
                best = best_status(r.status for r in rows)
                console.print(Text(f"  source verdict: {best.value} (the best of its "
                                   f"{len(rows)} URLs)", style="dim"))
            for result in rows:
                line = Text("  ")
                line.append_text(status_text(result.status))
                if result.http_status:
                    line.append(f" {result.http_status}")
                line.append(f"  {literal(result.cited.url) if result.cited else '(no URL)'}")
                console.print(line)
                console.print(Text(f"      {_detail(result)}"))
                for sentence in archive_lines(result):
                    console.print(Text(f"      ↳ {literal(sentence)}", style="cyan"))

    def _table(self, console: Console, results: list[LinkResult]) -> None:
        table = Table(box=box.SIMPLE_HEAD, show_lines=False, pad_edge=False, expand=False)
        table.add_column("Source", no_wrap=True)
        table.add_column("Title", ratio=2)
        table.add_column("URL", overflow="fold", ratio=3)
        table.add_column("Status", no_wrap=True)
        table.add_column("HTTP", justify="right", no_wrap=True)
        table.add_column("Detail", ratio=3, overflow="fold")  # never cut a URL short
        for _, group in groupby(results, lambda r: (r.source.kind, r.source.id)):
            rows = list(group)
            for index, result in enumerate(rows):
                first = index == 0
                table.add_row(
                    Text(_label(result)) if first else Text(""),
                    _title_cell(rows) if first else Text(""),
                    Text(literal(result.cited.url) if result.cited else "—"),
                    status_text(result.status),
                    Text(str(result.http_status) if result.http_status else ""),
                    _detail_with_archive(result),
                    end_section=index == len(rows) - 1,
                )
        console.print(table)

    def _summary(self, console: Console, report: RunReport, outcome: Outcome) -> None:
        counts = report.counts()
        total = len(report.results)
        files = len(report.cases)
        parts = [f"{counts[s]} {s.value}" for s in Status if counts[s]]
        console.print(
            Text(f"{total} link{'s' if total != 1 else ''} in {files} case file"
                 f"{'s' if files != 1 else ''}: " + (", ".join(parts) or "nothing to check"))
        )
        evidence = report.evidence_counts()
        if any(evidence.values()):
            console.print(Text(
                f"Evidence: {evidence[Evidence.LIVE]} live, {evidence[Evidence.ARCHIVED]} only "
                f"in an archive, {evidence[Evidence.LOST]} lost, {evidence[Evidence.UNKNOWN]} "
                "undetermined."))
        if report.interrupted:
            console.print(Text(
                f"Interrupted: {total} of {report.total_links()} links were checked before "
                "the run was stopped; the results above are partial.", style="bold yellow"))
        if outcome.exit_code is ExitCode.NO_NETWORK:
            console.print(Text(
                "No network: nothing at all could be reached, so nothing was concluded about "
                "the evidence. Connect to the internet (or check the proxy) and run again.",
                style="bold yellow"))
            return
        present = [s for s in Status if counts[s] and s not in (Status.OK, Status.NO_URL)]
        failing = len(outcome.failing)
        if failing:
            kinds = ", ".join(sorted({r.status.value for r in outcome.failing}))
            console.print(Text(
                f"✗ {failing} link{'s' if failing != 1 else ''} need{'s' if failing == 1 else ''}"
                f" attention ({kinds}).", style="bold red"))
        elif not report.interrupted:
            console.print(Text("✓ No link needs attention.", style="bold green"))
        if present:
            console.print(Text("What to do:", style="bold"))
            for status in present:
                symbol, colour, meaning, advice = STATUS_INFO[status]
                line = Text(f"  {symbol} {status.value}", style=colour)
                line.append(f": {meaning}; {advice}.")
                console.print(line)


def _title_cell(rows: list[LinkResult]) -> Text:
    cell = Text(literal(rows[0].source.title))
    if len(rows) > 1:
        best = best_status(r.status for r in rows)
        cell.append(f"\nsource verdict: {best.value} (best of {len(rows)} URLs)", style="dim")
    return cell


def _label(result: LinkResult) -> str:
    source = result.source
    return literal(source.id if source.kind is SourceKind.SOURCE else f"ref {source.id}")


def _detail(result: LinkResult) -> str:
    detail = literal(result.detail)
    if result.page_title and result.status is Status.OK and result.archive is None:
        detail += f" \u2014 page title \u201c{literal(result.page_title)}\u201d"
    return detail


def _detail_with_archive(result: LinkResult) -> Text:
    text = Text(_detail(result))
    for line in archive_lines(result):
        text.append(f"\n↳ {literal(line)}", style="cyan")
    return text
