"""The machine-readable report (``--format json``); its shape is documented in README.md."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, TextIO

from refcheck import __version__
from refcheck.model import (
    Capture,
    Case,
    Evidence,
    History,
    LinkResult,
    Outcome,
    RunReport,
    Status,
    source_key,
    source_verdicts,
)
from refcheck.report import Renderer, ordered
from refcheck.urls import mask

SCHEMA = "refcheck-report/1"


def masked(value: Any) -> Any:
    """Every string in a JSON value through ``mask``: one rule for every field, so no field
    can be forgotten (json itself escapes control characters)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def _case(case: Case) -> Any:
    return masked({
        "file": case.path,
        "title": case.title,
        "institution": case.institution,
        "id": case.id,
        "date": case.date.isoformat() if case.date else None,
    })


def _link_halves(result: LinkResult, stamp: _Stamps) -> tuple[str, str]:
    """A link's JSON object in two halves, without ``source_status``, which depends on the
    source's other links and goes between them once every link is known."""
    # Statuses and outcomes are StrEnums: json writes them as their values.
    cited = result.cited
    source = result.source
    before = masked({
        "file": result.case.path,
        "source": source.id,
        "kind": source.kind,
        "title": source.title,
        "url": cited.url if cited else None,
        "line": cited.position.line if cited else source.position.line,
        "column": cited.position.column if cited else source.position.column,
        "place": cited.position.place if cited else None,
        "status": result.status,
    })
    after = masked({
        "http_status": result.http_status,
        "final_url": result.final_url,
        "redirects": [
            {"url": h.url, "status": h.status, "location": h.location}
            for h in result.redirects
        ],
        "detail": result.detail,
        "page_title": result.page_title,
        "checked_at": stamp(result.checked_at),
        "archive": _capture(result.archive),
        "lookups": [
            {"service": x.service, "outcome": x.outcome, "detail": x.detail or None}
            for x in result.lookups
        ],
        "evidence": result.evidence,
        "listing": result.listing,
        "lookup_url": result.lookup_url,
        "cached": result.cached_at is not None,
        "history": _history(result.history, stamp),
        "unconfirmed": result.unconfirmed,
    })
    return json.dumps(before, ensure_ascii=True)[:-1], json.dumps(after, ensure_ascii=True)[1:]


class _Stamps:
    """``checked_at`` to the second, written once per second: a large run's links finish
    a few hundred to the second, and isoformat is a tenth of a link's share of the report."""

    def __init__(self) -> None:
        self._written: dict[tuple[float, dt.timedelta | None], str] = {}

    def __call__(self, when: dt.datetime) -> str:
        # The same second in another zone is written differently: the offset is in the key.
        key = (when.timestamp() // 1, when.utcoffset())
        text = self._written.get(key)
        if text is None:
            text = self._written[key] = when.isoformat(timespec="seconds")
        return text


def _history(history: History | None, stamp: _Stamps) -> dict[str, Any] | None:
    """What the memory of past runs knows of the link (this run included)."""
    if history is None:
        return None
    return {
        "first_seen": stamp(history.first_seen),
        "last_ok": stamp(history.last_ok) if history.last_ok else None,
        "failing_since": stamp(history.failing_since) if history.failing_since else None,
        "failed_runs": history.failed_runs,
    }


def _capture(capture: Capture | None) -> dict[str, Any] | None:
    if capture is None:
        return None
    return {
        "service": capture.service,
        "url": capture.url,
        "captured": capture.captured.isoformat(timespec="seconds"),
        "original": capture.original,
    }


class JsonRenderer(Renderer):
    def __init__(self) -> None:
        self._stamp = _Stamps()
        #: Links encoded as they finished, by identity: a result is final when it is told,
        #: and lives as long as the report that holds it.
        self._early: dict[int, tuple[str, str]] = {}

    def prepare(self, result: LinkResult) -> None:
        # Most of the report's work, done while the run still waits for other answers
        # (2,000 links: ~25 ms less between the last answer and the exit).
        try:
            self._early[id(result)] = _link_halves(result, self._stamp)
        except Exception:  # the report is still written in full at the end
            return

    def _line(self, result: LinkResult, source_status: Status) -> str:
        early = self._early.get(id(result))
        if early is not None:
            before, after = early
        else:
            before, after = _link_halves(result, self._stamp)
        return f'{before}, "source_status": {json.dumps(source_status)}, {after}'

    def render(self, report: RunReport, outcome: Outcome, out: TextIO) -> None:
        counts = report.counts()
        evidence = report.evidence_counts()
        document: dict[str, Any] = {
            "schema": SCHEMA,
            "refcheck": __version__,
            "started_at": report.started_at.isoformat(timespec="seconds")
            if report.started_at else None,
            "finished_at": report.finished_at.isoformat(timespec="seconds")
            if report.finished_at else None,
            "complete": not report.interrupted,
            "network": "unreachable" if report.network_unreachable else "ok",
            "exit_code": int(outcome.exit_code),
            "fail_on": sorted(s.value for s in outcome.fail_on),
            "summary": {
                "links": len(report.results),
                "expected_links": report.total_links(),
                "failing": len(outcome.failing),
                "by_status": {s.value: counts[s] for s in Status},
                "by_evidence": {e.value: evidence[e] for e in Evidence},
            },
            "cases": [_case(c) for c in report.cases],
            "warnings": masked([{"file": w.file, "line": w.line, "column": w.column,
                                 "message": w.message} for w in report.warnings]),
        }
        # One link per line: readable, diff-able, and written by json's C encoder (an
        # indented dump of 2,000 links costs more CPU than checking a tenth of them).
        verdicts = source_verdicts(report)
        lines = [self._line(r, verdicts[source_key(r)])
                 for r in ordered(report)]
        head = json.dumps(document, indent=2, ensure_ascii=True)
        out.write(head[:-2] + ',\n  "links": [')
        for index, line in enumerate(lines):
            out.write(("\n    " if index == 0 else ",\n    ") + line)
        out.write("\n  ]\n}\n" if lines else "]\n}\n")
