"""One self-contained HTML page (``--format html``) for staff who read reports in a
browser: what to do first, then each case and source, every URL and archived copy a link,
a filter by status, and a layout that prints.

No external requests: the style and the few lines of script are inline. Every piece of text
from a case file or a server is masked, made literal and HTML-escaped; only http(s) URLs
become links, so nothing in a page title or a URL can run as script."""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import TextIO

from refcheck import __version__
from refcheck.model import Evidence, ExitCode, Outcome, RunReport, Status
from refcheck.report import (
    NOTHING_CHECKED_NEEDS_ATTENTION,
    STATUS_INFO,
    UNCHECKED_SHOWN,
    Renderer,
    SourceView,
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

_URL = re.compile(r"https?://[^\s<>\"']+")
COLOURS = {"green": "#1a7f37", "yellow": "#9a6700", "red": "#cf222e", "magenta": "#8250df",
           "cyan": "#0969da", "dim": "#6e7781"}

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;
max-width:70rem;padding:0 1rem;color:#1f2328}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
.facts,.dim{color:#6e7781}.status{font-weight:600;white-space:nowrap}
a{color:#0969da;word-break:break-all}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
.source{margin:1rem 0;padding:.5rem .75rem;border-left:4px solid #d0d7de}
.source h3{font-size:1rem;margin:.2rem 0}.link{margin:.35rem 0 .35rem 1rem}
.note{margin-left:1.5rem;color:#57606a}.filters label{margin-right:1rem;white-space:nowrap}
@media print{.filters{display:none}.source{break-inside:avoid}a{color:inherit}}
"""

SCRIPT = """
document.querySelectorAll('.filters input').forEach(function (box) {
  box.addEventListener('change', function () {
    var shown = {};
    document.querySelectorAll('.filters input').forEach(function (b) {
      shown[b.value] = b.checked;
    });
    document.querySelectorAll('[data-status]').forEach(function (el) {
      el.hidden = !shown[el.getAttribute('data-status')];
    });
  });
});
"""


def text(value: str | None) -> str:
    """External text, masked and literal, as HTML; http(s) URLs in it become links."""
    shown = literal(value)
    out = []
    at = 0
    for match in _URL.finditer(shown):
        url = url_in_prose(match.group(0))  # as in Markdown: the sentence's ending is text
        out.append(html.escape(shown[at:match.start()]))
        out.append(link(url))
        at = match.start() + len(url)
    out.append(html.escape(shown[at:]))
    return "".join(out)


def quoting(value: str) -> str:
    """One of refcheck's own messages (a case-file warning): what it quotes in backticks,
    a URL or a line of the case file as written, as code (literal, never a link)."""
    return "".join(f"<code>{html.escape(literal(part))}</code>" if code else text(part)
                   for code, part in code_parts(value))


def link(url: str) -> str:
    shown = literal(url)
    if not shown.lower().startswith(("http://", "https://")):
        return html.escape(shown)
    return f'<a href="{html.escape(shown, quote=True)}">{html.escape(shown)}</a>'


def badge(status: Status) -> str:
    symbol, colour, meaning, _ = STATUS_INFO[status]
    return (f'<span class="status" style="color:{COLOURS[colour]}" '
            f'title="{html.escape(meaning, quote=True)}">{symbol} {status.value}</span>')


class HtmlRenderer(Renderer):
    def render(self, report: RunReport, outcome: Outcome, out: TextIO) -> None:
        out.write(page(report, outcome))


def page(report: RunReport, outcome: Outcome) -> str:
    views = sources(report)
    counts = report.counts()
    parts = ['<!doctype html><html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>refcheck report</title>", f"<style>{STYLE}</style></head><body>",
             "<h1>Evidence links: refcheck report</h1>"]
    summary = ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s])
    parts.append(f'<p class="facts">{len(report.results)} links in {len(report.cases)} case '
                 f"file{'s' if len(report.cases) != 1 else ''}: "
                 f"{html.escape(summary or 'nothing to check')}. refcheck {__version__}"
                 + (f", {report.finished_at:%d %B %Y %H:%M} UTC" if report.finished_at
                    else "") + ".</p>")
    if views:
        parts.append(f"<p>{html.escape(' '.join(source_counts(report, views)))}.</p>")
    evidence = report.evidence_counts()
    if any(evidence.values()):
        parts.append(f"<p>Evidence: {evidence[Evidence.LIVE]} live, "
                     f"{evidence[Evidence.ARCHIVED]} only in an archive, "
                     f"{evidence[Evidence.LOST]} lost, {evidence[Evidence.UNKNOWN]} "
                     "undetermined.</p>")
    if report.network_unreachable:
        parts.append("<p><strong>No network</strong>: nothing could be reached, so nothing "
                     "was concluded about the evidence.</p>")
    if report.interrupted:
        parts.append(f"<p><strong>{text(interruption(report))}</strong></p>")
        left = not_checked(report)
        if left:
            parts.append(f"<p>Not checked ({len(left)}); run refcheck again to check "
                         "them:</p><ul>")
            parts += [f"<li>{text(str(item))}</li>" for item in left[:UNCHECKED_SHOWN]]
            if len(left) > UNCHECKED_SHOWN:
                parts.append(f"<li>… and {len(left) - UNCHECKED_SHOWN} more (all are in the "
                             "JSON report)</li>")
            parts.append("</ul>")
    parts += [f"<p><strong>{text(note)}</strong></p>" for note in run_notes(report)]
    parts += _actions(report, outcome, views)
    if report.warnings:
        parts.append("<h2>Case-file warnings</h2><ul>")
        parts += [f"<li>{quoting(w.headline())}</li>" for w in report.warnings]
        parts.append("</ul>")
    present = Counter(v.verdict for v in views)
    parts.append('<div class="filters" aria-label="Show sources by status"><strong>Show sources:'
                 "</strong> ")
    parts += [f'<label><input type="checkbox" value="{s.value}" checked> {badge(s)} '
              f"({present[s]})</label>" for s in Status if present[s]]
    parts.append("</div>")
    for case in report.cases:
        facts = [text(case.institution)] if case.institution else []
        if case.id:
            facts.append(f"case {text(case.id)}")
        if case.date:
            facts.append(f"cited {case.date.isoformat()}")
        facts.append(text(case.path))
        parts.append(f"<h2>{text(case.title)}</h2><p class=\"facts\">{' · '.join(facts)}</p>")
        parts += [_source(v, report) for v in views if v.case.path == case.path]
    parts.append(f"<script>{SCRIPT}</script></body></html>\n")
    return "\n".join(parts)


def _actions(report: RunReport, outcome: Outcome, views: list[SourceView]) -> list[str]:
    todo = to_do(views, outcome)
    if outcome.exit_code is ExitCode.NO_NETWORK:
        return []
    if not todo and report.interrupted:
        return [f"<h2>What to do</h2><p>{html.escape(NOTHING_CHECKED_NEEDS_ATTENTION)}</p>"]
    if not todo:
        return ["<h2>What to do</h2><p>Nothing: no source needs attention.</p>"]
    rows = ["<h2>What to do</h2><table><thead><tr><th>Source</th><th>Case file</th>"
            "<th>Status</th><th>What to do</th></tr></thead><tbody>"]
    rows += [f'<tr data-status="{v.verdict.value}"><td>{text(v.label)}</td>'
             f"<td>{text(v.case.path)}</td><td>{badge(v.verdict)}</td>"
             f"<td>{text(action(v, report.as_of))}</td></tr>" for v in todo]
    rows.append("</tbody></table>")
    return rows


def _source(view: SourceView, report: RunReport) -> str:
    colour = COLOURS[STATUS_INFO[view.verdict][1]]
    parts = [f'<section class="source" data-status="{view.verdict.value}" '
             f'style="border-left-color:{colour}">',
             f"<h3>{text(view.label)} · {text(view.source.title)} {badge(view.verdict)}</h3>"]
    for result in view.results:
        url = link(result.cited.url) if result.cited else '<span class="dim">no URL</span>'
        code = f" {result.http_status}" if result.http_status else ""
        parts.append(f'<div class="link">{badge(result.status)}{code} {url}</div>')
        notes = [result.detail, *memory_lines(result, report.confirm),
                 *archive_lines(result, report.as_of)]
        if result.page_title and result.status in (Status.OK, Status.MOVED):
            notes.insert(1, f"page title \u201c{result.page_title}\u201d")
        parts += [f'<div class="note">↳ {text(note)}</div>' for note in notes]
    parts.append("</section>")
    return "\n".join(parts)
