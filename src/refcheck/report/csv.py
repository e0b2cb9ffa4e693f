"""One row per link (``--format csv``), with a header row, for spreadsheets.

UTF-8 with a byte-order mark, so Excel reads accents and symbols correctly. Cells that a
spreadsheet would take for a formula (starting ``=``, ``+``, ``-``, ``@``) are prefixed with
an apostrophe: a page title must never run as a formula on a member of staff's machine.
After Ctrl-C, each link not checked is a row without a status that says so."""

from __future__ import annotations

import csv
from typing import TextIO

from refcheck.model import Outcome, RunReport
from refcheck.report import (
    Renderer,
    archive_lines,
    link_action,
    literal,
    not_checked,
    sources,
)

COLUMNS = ("file", "source", "kind", "title", "url", "line", "column", "status",
           "source_status", "http_status", "final_url", "detail", "page_title", "evidence",
           "archive_url", "archive_captured", "archive_notes", "checked_at", "what_to_do")


def cell(value: object) -> str:
    text = literal(str(value)) if value is not None else ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class CsvRenderer(Renderer):
    def render(self, report: RunReport, outcome: Outcome, out: TextIO) -> None:
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for view in sources(report):
            for result in view.results:
                cited = result.cited
                position = cited.position if cited else result.source.position
                capture = result.archive
                writer.writerow([cell(v) for v in (
                    result.case.path, result.source.id, result.source.kind.value,
                    result.source.title, cited.url if cited else None, position.line,
                    position.column, result.status.value, view.verdict.value,
                    result.http_status, result.final_url, result.detail, result.page_title,
                    result.evidence.value if result.evidence else None,
                    capture.url if capture else None,
                    capture.captured.date().isoformat() if capture else None,
                    "; ".join(archive_lines(result, report.as_of)),
                    result.checked_at.isoformat(timespec="seconds"),
                    link_action(view, result, report.as_of))])
        # After Ctrl-C, the links not checked are rows too, without a status, so that the
        # spreadsheet of a partial run does not pass for the whole.
        for item in not_checked(report):
            writer.writerow([cell(v) for v in (
                item.file, item.source, item.kind.value, item.title, item.url, item.line, None,
                None, None, None, None, NOT_CHECKED, None, None, None, None, None, None, None)])


#: The detail of a link an interrupted run did not check.
NOT_CHECKED = "not checked: the run was stopped before this link was checked; run refcheck again"
