"""GitHub Actions workflow commands (``--format github``): an ``::error`` annotation for
each link that fails the run and a ``::warning`` for each other link that needs attention
and each case-file warning, pointing at the URL's line in the case file; when run in
GitHub Actions (``GITHUB_ACTIONS=true`` and ``GITHUB_STEP_SUMMARY`` set), the Markdown
report is appended to the job summary as well.

Values are escaped as the runner's command parser expects (``%``, CR and LF always; ``:``
and ``,`` in properties), so a title cannot end a command early or start another."""

from __future__ import annotations

import os
from typing import TextIO

from refcheck.model import Outcome, RunReport
from refcheck.report import (
    Renderer,
    action,
    interruption,
    literal,
    memory_lines,
    not_checked,
    not_checked_for_want_of_network,
    run_notes,
    sources,
)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, *, file: str, line: int | None = None,
            col: int | None = None, title: str = "") -> str:
    props = [f"file={_property(file)}"]
    if line is not None:
        props.append(f"line={line}")
    if col is not None:
        props.append(f"col={col}")
    if title:
        props.append(f"title={_property(title)}")
    return f"::{kind} {','.join(props)}::{_data(message)}"


class GithubRenderer(Renderer):
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        self.environ = environ

    def render(self, report: RunReport, outcome: Outcome, out: TextIO) -> None:
        failing = {id(r) for r in outcome.failing}
        unchecked = [r for r in report.results if not_checked_for_want_of_network(r)]
        if unchecked:
            # Said once, not as an annotation on every link (15 alike for one case file).
            out.write(f"::error title={_property('refcheck')}::"
                      f"{_data(literal(unchecked[0].detail))} ({len(unchecked)} link"
                      f"{'' if len(unchecked) == 1 else 's'} not checked)\n")
        for view in sources(report):
            if not view.needs_action:
                continue
            for result in view.results:
                if not_checked_for_want_of_network(result):
                    continue
                if result.status is view.verdict or id(result) in failing:
                    position = result.cited.position if result.cited else view.source.position
                    kind = "error" if id(result) in failing else "warning"
                    title = f"{literal(view.label)}: {result.status.value}"
                    # What the memory of past runs says ("dead since …", "unconfirmed: …"):
                    # why a dead link is a warning under --confirm, not an error.
                    message = "; ".join([action(view, report.as_of),
                                         *memory_lines(result, report.confirm)])
                    out.write(command(kind, literal(message),
                                      file=literal(position.file), line=position.line,
                                      col=position.column, title=title) + "\n")
        for warning in report.warnings:
            out.write(command("warning", literal(warning.message), file=literal(warning.file),
                              line=warning.line, col=warning.column,
                              title="refcheck: case file") + "\n")
        stopped = interruption(report)
        if stopped:
            left = len(not_checked(report))
            if left:
                stopped += (f" {left} link{' was' if left == 1 else 's were'} not checked; "
                            "run refcheck again to check them.")
            out.write(f"::warning title={_property('refcheck')}::{_data(literal(stopped))}\n")
        # A shard's report says what it holds; a merge with shards missing fails.
        kind = "error" if report.merged is not None and report.merged.gaps else "notice"
        for note in run_notes(report):
            out.write(f"::{kind} title={_property('refcheck')}::{_data(literal(note))}\n")
        environ = os.environ if self.environ is None else self.environ
        summary = environ.get("GITHUB_STEP_SUMMARY")
        if environ.get("GITHUB_ACTIONS") == "true" and summary:
            from refcheck.report.markdown import markdown

            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(markdown(report, outcome))
