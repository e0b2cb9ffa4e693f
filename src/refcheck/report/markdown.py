"""GitHub-flavoured Markdown (``--format markdown``): for ``$GITHUB_STEP_SUMMARY`` and
pull-request comments. The action list first, then a table per case file.

Text from case files and servers is masked and escaped, so a title cannot open a link, an
image or an HTML tag in the rendered page; URLs are written as autolinks."""

from __future__ import annotations

import re
from typing import TextIO

from refcheck.model import Evidence, ExitCode, Outcome, RunReport, Status
from refcheck.report import (
    NOTHING_CHECKED_NEEDS_ATTENTION,
    STATUS_INFO,
    UNCHECKED_SHOWN,
    Renderer,
    action,
    archive_lines,
    code_parts,
    interruption,
    literal,
    memory_lines,
    not_checked,
    run_notes,
    source_counts,
    sources,
    to_do,
)
from refcheck.urls import url_in_prose

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")
_URL = re.compile(r"https?://[^\s<>\"|]+")


def md_text(text: str | None) -> str:
    """External text as Markdown shows it literally: masked, every markup character
    escaped, line breaks as spaces (a table cell is one line)."""
    shown = literal(text).replace("\n", " ")
    out = []
    at = 0
    for match in _URL.finditer(shown):  # URLs become autolinks, not escaped text
        # The punctuation that ends the sentence stays outside the link, as text.
        url = url_in_prose(match.group(0))
        out.append(_SPECIAL.sub(r"\\\1", shown[at:match.start()]))
        out.append(md_url(url))
        at = match.start() + len(url)
    out.append(_SPECIAL.sub(r"\\\1", shown[at:]))
    return "".join(out)


def md_quoting(text: str) -> str:
    """One of refcheck's own messages (a case-file warning): what it quotes in backticks,
    a URL or a line of the case file as written, as code spans (literal, never a link);
    the rest as ``md_text``."""
    out = []
    for code, part in code_parts(literal(text).replace("\n", " ")):
        if not code:
            out.append(md_text(part))
            continue
        fence = "`" * (max((len(run) for run in re.findall("`+", part)), default=0) + 1)
        pad = " " if part.startswith("`") or part.endswith("`") else ""
        out.append(f"{fence}{pad}{part}{pad}{fence}")
    return "".join(out)


def md_url(url: str) -> str:
    """A URL as an autolink: its characters that would end one are percent-encoded."""
    safe = literal(url).replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
    return f"<{safe.replace('|', '%7C')}>"


def symbol(status: Status) -> str:
    return f"{STATUS_INFO[status][0]} {status.value}"


#: What an exit code other than 1 tells the reader of a job summary.
_EXIT_MEANINGS = {
    ExitCode.OK: "nothing fails the check",
    ExitCode.NO_NETWORK: "no network, so nothing was concluded about the evidence",
    ExitCode.INCOMPLETE: "incomplete: some links could not be checked (see above); run "
                         "refcheck again",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C): the report is partial",
    ExitCode.TERMINATED: "stopped (SIGTERM, as when a CI job is cancelled): the report is "
                         "partial",
}


class MarkdownRenderer(Renderer):
    def render(self, report: RunReport, outcome: Outcome, out: TextIO) -> None:
        out.write(markdown(report, outcome))


def markdown(report: RunReport, outcome: Outcome) -> str:
    views = sources(report)
    counts = report.counts()
    lines = ["# refcheck report", ""]
    if report.network_unreachable:
        lines += ["**No network**: nothing could be reached, so nothing was concluded about "
                  "the evidence.", ""]
    if report.interrupted:
        lines += [f"**{interruption(report)}**", ""]
        left = not_checked(report)
        if left:
            lines += [f"Not checked ({len(left)}); run refcheck again to check them:", ""]
            lines += [f"- {md_text(str(item))}" for item in left[:UNCHECKED_SHOWN]]
            if len(left) > UNCHECKED_SHOWN:
                lines.append(f"- … and {len(left) - UNCHECKED_SHOWN} more (all are in the "
                             "JSON report)")
            lines.append("")
    for note in run_notes(report):
        lines += [f"> {md_text(note)}", ""]
    summary = ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s])
    links = len(report.results)
    lines += [f"{links} link{'' if links == 1 else 's'} in {len(report.cases)} case file"
              f"{'s' if len(report.cases) != 1 else ''}: {summary or 'nothing to check'}.", ""]
    lines += [" ".join(source_counts(report, views)) + ".", ""] if views else []
    evidence = report.evidence_counts()
    if any(evidence.values()):
        lines += [f"Evidence: {evidence[Evidence.LIVE]} live, {evidence[Evidence.ARCHIVED]} "
                  f"only in an archive, {evidence[Evidence.LOST]} lost, "
                  f"{evidence[Evidence.UNKNOWN]} undetermined.", ""]
    todo = to_do(views, outcome)
    if todo and outcome.exit_code is not ExitCode.NO_NETWORK:
        lines += ["## What to do", "", "| Source | Case file | Status | What to do |",
                  "|---|---|---|---|"]
        lines += [f"| {md_text(v.label)} | {md_text(v.case.path)} | {symbol(v.verdict)} | "
                  f"{md_text(action(v, report.as_of))} |" for v in todo]
        lines.append("")
    elif report.interrupted:
        lines += [NOTHING_CHECKED_NEEDS_ATTENTION, ""]
    elif not todo:
        lines += ["✓ No source needs attention.", ""]
    if report.warnings:
        lines += ["## Case-file warnings", ""]
        lines += [f"- {md_quoting(w.headline())}" for w in report.warnings]
        lines.append("")
    for case in report.cases:
        cited = f" · cited {case.date.isoformat()}" if case.date else ""
        lines += [f"## {md_text(case.title)}", "", f"{md_text(case.path)}{cited}", "",
                  "| Source | Title | Status | URL | Detail |", "|---|---|---|---|---|"]
        for view in (v for v in views if v.case.path == case.path):
            for index, result in enumerate(view.results):
                detail = "<br>".join(md_text(t) for t in
                                     [result.detail, *memory_lines(result, report.confirm),
                                      *archive_lines(result, report.as_of)])
                lines.append(
                    f"| {md_text(view.label) if index == 0 else ''} "
                    f"| {md_text(view.source.title) if index == 0 else ''} "
                    f"| {symbol(result.status)} "
                    f"| {md_url(result.cited.url) if result.cited else '–'} | {detail} |")
        lines.append("")
    code = int(outcome.exit_code)
    failing = len(outcome.failing)
    why = (f"{failing} link{'' if failing == 1 else 's'} in the fail-on set "
           f"({', '.join(sorted(s.value for s in outcome.fail_on))})"
           if outcome.exit_code is ExitCode.ATTENTION else _EXIT_MEANINGS.get(outcome.exit_code))
    lines.append(f"Exit code {code}" + (f": {why}" if why else "") + ".")
    return "\n".join(lines) + "\n"
