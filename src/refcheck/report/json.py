"""The machine-readable report (``--format json``); its shape is documented in README.md."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TextIO, TypeVar

from refcheck import __version__
from refcheck.archive import SERVICES
from refcheck.errors import Problem, RefcheckError, found
from refcheck.model import (
    Archive,
    Capture,
    Case,
    CitedUrl,
    Confirm,
    Evidence,
    ExitCode,
    FailureKind,
    History,
    Hop,
    LinkResult,
    Lookup,
    LookupOutcome,
    Merged,
    Outcome,
    Position,
    RunReport,
    Shard,
    ShardGap,
    Source,
    SourceKind,
    Status,
    Unchecked,
    source_key,
    source_verdicts,
)
from refcheck.report import Renderer, not_checked, ordered
from refcheck.urls import mask

SCHEMA = "refcheck-report/1"

#: Encoded links are kept in memory up to this size, then on disk.
SPOOL_IN_MEMORY = 1 << 20

#: Links written to the report in one go: a write per link cost more than making it.
_LINES_AT_ONCE = 512

#: Each status as JSON, for the ``source_status`` written into every link's line.
_STATUS_JSON = {status: json.dumps(status.value) for status in Status}


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
        "source_line": source.position.line,
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
        "failure": result.failure,
        "cached_at": stamp(result.cached_at) if result.cached_at else None,
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
        "streak_status": history.streak_status,
        "streak_days": history.streak_days,
        "failed_before": stamp(history.failed_before) if history.failed_before else None,
        "recovered_from": stamp(history.recovered_from) if history.recovered_from else None,
        "recovered_runs": history.recovered_runs,
    }


def _shard(shard: Shard | None) -> dict[str, Any] | None:
    if shard is None:
        return None
    return {"index": shard.index, "count": shard.count, "links": shard.checked,
            "total_links": shard.total, "links_by_shard": list(shard.links),
            "split_sources": shard.split_sources, "audit": shard.audit}


def _merged(merged: Merged | None) -> dict[str, Any] | None:
    if merged is None:
        return None
    return {"count": merged.count, "shards": list(merged.shards),
            "gaps": [{"shard": g.index, "links": g.links, "reason": g.reason}
                     for g in merged.gaps],
            "audit": merged.audit}


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
        #: Links encoded as they finished, kept outside the heap: a file that stays in
        #: memory while it is small and goes to disk when it grows (30,000 links encode to
        #: some 27 MB, which a large run would otherwise hold to the end). By the result's
        #: identity, the offset of its line: a result is final when it is told, and lives
        #: as long as the report that holds it.
        self._spool: tempfile.SpooledTemporaryFile[bytes] | None = None
        #: Its length (lines are only added at its end until render); -1 once a write to it
        #: failed, after which every link is encoded at the end.
        self._spooled = 0
        self._in_memory = SPOOL_IN_MEMORY  # the spool's size limit (0: none)
        self._early: dict[int, tuple[int, int]] = {}  # (offset, length)

    def prepare(self, result: LinkResult) -> None:
        # Most of the report's work, done while the run still waits for other answers
        # (2,000 links: ~25 ms less between the last answer and the exit).
        if self._spooled < 0:
            return
        try:
            before, after = _link_halves(result, self._stamp)
            # ASCII (ensure_ascii), and json escapes control characters: no NUL or newline
            # inside either half.
            line = f"{before}\0{after}".encode("ascii")
        except Exception:  # the report is still written in full at the end
            return
        try:
            if self._spool is None:
                # Open across calls, closed by render (or with the renderer).
                self._in_memory = SPOOL_IN_MEMORY
                self._spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
                    max_size=self._in_memory)
                # A renderer dropped unrendered (its report could not be written) closes it.
                weakref.finalize(self, self._spool.close)
            self._spool.write(line)
        except Exception:  # a full disk, say: every link is encoded at the end instead
            # The line may be half written, and a spool that failed as it moved to disk
            # holds less than what it had: nothing in it can be trusted.
            self._spooled = -1
            self._early.clear()
            spool, self._spool = self._spool, None
            if spool is not None:
                with contextlib.suppress(Exception):
                    spool.close()
            return
        self._early[id(result)] = (self._spooled, len(line))
        self._spooled += len(line)

    def _spooled_lines(self) -> Callable[[int, int], bytes]:
        """Reads the spool's line at (offset, length). The lines are read in the report's
        order, not in the order they were written: a seek and a buffered read for each
        took a quarter of the time between a large run's last answer and its exit, where
        one positioned read of the line's own length takes a third of that. A spool still
        in memory is read there (asking for its file would copy it to disk)."""
        spool = self._spool
        assert spool is not None
        # It moved to disk once its length passed its limit (0 is no limit).
        on_disk = 0 < self._in_memory < self._spooled
        if on_disk and hasattr(os, "pread"):  # not on Windows
            try:
                spool.flush()  # what the file's buffer holds is not in the file for pread
                descriptor = spool.fileno()
            except (OSError, ValueError):  # a spool with no file of its own
                pass
            else:
                return lambda offset, length: os.pread(descriptor, length, offset)

        def read(offset: int, length: int) -> bytes:
            spool.seek(offset)
            return spool.read(length)

        return read

    def _line(self, result: LinkResult, source_status: Status,
              spooled: Callable[[int, int], bytes] | None) -> str:
        where = self._early.get(id(result))
        line = spooled(*where) if where is not None and spooled is not None else b""
        if where is not None and len(line) == where[1]:
            before, _, after = line.decode("ascii").partition("\0")
        else:  # never spooled, or not all of it could be read back
            before, after = _link_halves(result, self._stamp)
        return f'{before}, "source_status": {_STATUS_JSON[source_status]}, {after}'

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
            "complete": not report.interrupted and not (
                report.merged is not None and report.merged.gaps),
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
            "as_of": report.as_of.isoformat() if report.as_of else None,
            "confirm": {"runs": report.confirm.runs, "days": report.confirm.days}
            if report.confirm else None,
            "shard": _shard(report.shard),
            "merged": _merged(report.merged),
            "not_checked": masked([{"file": item.file, "line": item.line,
                                    "source": item.source, "kind": item.kind.value,
                                    "url": item.url, "title": item.title}
                                   for item in not_checked(report)]),
        }
        warnings = masked([{"file": w.file, "line": w.line, "column": w.column,
                            "message": w.message, "excerpt": w.excerpt}
                           for w in report.warnings])
        # Those the outcome was decided on (an outcome made by hand may not carry them).
        verdicts = outcome.verdicts or source_verdicts(report)
        # One case and one link per line: readable, diff-able, and written by json's C
        # encoder (an indented dump of 2,000 links costs more CPU than checking a tenth of
        # them). The links are written as they are made, never all held at once.
        head = json.dumps(document, indent=2, ensure_ascii=True)
        cases = ",".join(f"\n    {json.dumps(_case(case), ensure_ascii=True)}"
                         for case in report.cases)
        # json writes no newline inside a string: each line of the warnings moves in a level.
        warned = json.dumps(warnings, indent=2, ensure_ascii=True).replace("\n", "\n  ")
        out.write(head[:-2] + ',\n  "cases": [' + cases + ("\n  ]" if cases else "]")
                  + ',\n  "warnings": ' + warned + ',\n  "links": [')
        written = 0
        lines: list[str] = []

        def write_lines() -> None:
            nonlocal written
            out.write(("\n    " if written == 0 else ",\n    ") + ",\n    ".join(lines))
            written += len(lines)
            lines.clear()

        try:
            spooled = self._spooled_lines() if self._spool is not None else None
            for result in ordered(report):
                lines.append(self._line(result, verdicts[source_key(result)], spooled))
                if len(lines) == _LINES_AT_ONCE:
                    write_lines()
            if lines:
                write_lines()
        finally:
            if self._spool is not None:
                self._spool.close()
                self._spool = None
                self._spooled = 0
                self._early.clear()
        out.write("\n  ]\n}\n" if written else "]\n}\n")


# -- reading a report back --------------------------------------------------------------------


class ReportReadError(RefcheckError):
    """A file that is not a JSON report refcheck can read: the message names the file and
    where in it (``shard-2.json:14:3`` for broken JSON, ``links[3].status`` for a field)."""


@dataclass(frozen=True)
class ReadReport:
    """A JSON report read back: the run as the model holds it, and what its run decided."""

    report: RunReport
    fail_on: frozenset[Status]
    exit_code: int
    version: str


_HINT = ("give the JSON reports refcheck wrote (--format json, or --report json:PATH)")


def read_report(text: str, name: str) -> ReadReport:
    """The run a JSON report describes, rebuilt from what ``JsonRenderer`` wrote, so that
    it renders as the run did. URLs are as the report has them (masked): nothing needs
    the credentials. Raises ``ReportReadError`` naming where the report is unusable."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportReadError(f"{name}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}; "
                              f"{_HINT}") from None
    except RecursionError:
        raise ReportReadError(f"{name}: not a refcheck report: nested too deeply; "
                              f"{_HINT}") from None
    if not isinstance(document, dict) or "schema" not in document:
        raise ReportReadError(f"{name}: not a refcheck report (it has no \"schema\": "
                              f"\"{SCHEMA}\"); {_HINT}")
    if document["schema"] != SCHEMA:
        found = document["schema"]
        shown = f"`{found}`" if isinstance(found, str) else "not text"
        raise ReportReadError(f"{name}: schema: {shown[:80]}: this refcheck reads "
                              f"{SCHEMA} reports; {_HINT}")
    return _Reader(name).document(document)


class _Reader:
    """Reads one report's fields, each checked for its type, every error located by its
    path in the document (``links[3].archive.captured``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, message: str) -> ReportReadError:
        return ReportReadError(f"{self.name}: {where}: {message}")

    def field(self, data: dict[str, Any], key: str, where: str, kinds: tuple[type, ...],
              expected: str, *, optional: bool = False, default: Any = None) -> Any:
        path = f"{where}.{key}" if where else key
        if key not in data:
            if optional:
                return default
            raise self.fail(path, f"missing; expected {expected}")
        value = data[key]
        if value is None and optional:
            return default
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise self.fail(path, f"expected {expected}; found {_shown(value)}")
        return value

    def text(self, data: dict[str, Any], key: str, where: str, *,
             optional: bool = False) -> Any:
        return self.field(data, key, where, (str,), "text", optional=optional)

    def number(self, data: dict[str, Any], key: str, where: str, *,
               optional: bool = False, default: int | None = None) -> Any:
        return self.field(data, key, where, (int,), "a whole number", optional=optional,
                          default=default)

    def flag(self, data: dict[str, Any], key: str, where: str, *,
             default: bool = False) -> bool:
        return bool(self.field(data, key, where, (bool,), "true or false", optional=True,
                               default=default))

    def table(self, data: dict[str, Any], key: str, where: str, *,
              optional: bool = False) -> Any:
        return self.field(data, key, where, (dict,), "an object", optional=optional)

    def items(self, data: dict[str, Any], key: str, where: str, *,
              optional: bool = False) -> list[Any]:
        found: list[Any] = self.field(data, key, where, (list,), "a list", optional=optional,
                                      default=[])
        return found

    def choice(self, data: dict[str, Any], key: str, where: str, kind: type[_E], *,
               optional: bool = False) -> Any:
        value = self.text(data, key, where, optional=optional)
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            path = f"{where}.{key}" if where else key
            raise self.fail(path, f"`{value[:80]}` is not one of: "
                            f"{', '.join(str(v.value) for v in kind)}") from None

    def moment(self, data: dict[str, Any], key: str, where: str, *,
               optional: bool = False) -> Any:
        value = self.text(data, key, where, optional=optional)
        if value is None:
            return None
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            path = f"{where}.{key}" if where else key
            raise self.fail(path, f"`{value[:80]}` is not a date and time with its zone, "
                            "e.g. 2026-11-26T09:00:00+00:00")
        return when

    def day(self, data: dict[str, Any], key: str, where: str) -> dt.date | None:
        value = self.text(data, key, where, optional=True)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            path = f"{where}.{key}" if where else key
            raise self.fail(path, f"`{value[:80]}` is not a date (YYYY-MM-DD)") from None

    def object_at(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object; found {_shown(value)}")
        return value

    # -- the document ---------------------------------------------------------------------

    def document(self, data: dict[str, Any]) -> ReadReport:
        version = self.text(data, "refcheck", "")
        exit_code = self.number(data, "exit_code", "")
        fail_on = frozenset(self._status(item, f"fail_on[{i}]")
                            for i, item in enumerate(self.items(data, "fail_on", "")))
        summary = self.table(data, "summary", "")
        expected = self.number(summary, "expected_links", "summary")
        confirm_data = self.table(data, "confirm", "", optional=True)
        confirm = (Confirm(self.number(confirm_data, "runs", "confirm"),
                           self.number(confirm_data, "days", "confirm"))
                   if confirm_data is not None else None)
        cases = [self._case(self.object_at(item, f"cases[{i}]"), f"cases[{i}]")
                 for i, item in enumerate(self.items(data, "cases", ""))]
        by_path = {case.path: case for case in cases}
        warnings = [self._warning(self.object_at(item, f"warnings[{i}]"), f"warnings[{i}]")
                    for i, item in enumerate(self.items(data, "warnings", ""))]
        links = [self.object_at(item, f"links[{i}]")
                 for i, item in enumerate(self.items(data, "links", ""))]
        sources = self._sources(links, by_path)
        results = [self._link(link, f"links[{i}]", sources)
                   for i, link in enumerate(links)]
        grouped: dict[str, list[Source]] = {}
        for (path, _, _), source in sources.items():
            grouped.setdefault(path, []).append(source)
        cases = [dataclasses.replace(c, sources=tuple(grouped.get(c.path, ()))) for c in cases]
        by_path = {case.path: case for case in cases}
        results = [dataclasses.replace(r, case=by_path[r.case.path]) for r in results]
        network = self.text(data, "network", "")
        if network not in ("ok", "unreachable"):
            raise self.fail("network", f"`{network[:80]}` is not ok or unreachable")
        report = RunReport(
            cases=cases, results=results, network_unreachable=network == "unreachable",
            interrupted=exit_code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED),
            terminated=exit_code == ExitCode.TERMINATED, warnings=warnings,
            as_of=self.day(data, "as_of", ""), confirm=confirm,
            started_at=self.moment(data, "started_at", "", optional=True),
            finished_at=self.moment(data, "finished_at", "", optional=True),
            shard=self._shard(self.table(data, "shard", "", optional=True)),
            merged=self._merged(self.table(data, "merged", "", optional=True)),
            expected=expected,
            unchecked=tuple(self._unchecked(self.object_at(item, f"not_checked[{i}]"),
                                            f"not_checked[{i}]")
                            for i, item in enumerate(self.items(data, "not_checked", "",
                                                                optional=True) or ())))
        return ReadReport(report, fail_on, exit_code, version)

    def _unchecked(self, data: dict[str, Any], where: str) -> Unchecked:
        kind = self.text(data, "kind", where)
        try:
            source_kind = SourceKind(kind)
        except ValueError:
            raise self.fail(f"{where}.kind", f"`{kind[:80]}` is not source or "
                            "reference") from None
        return Unchecked(self.text(data, "file", where), self.number(data, "line", where),
                         self.text(data, "source", where), source_kind,
                         self.text(data, "url", where, optional=True),
                         self.text(data, "title", where, optional=True))

    def _status(self, value: Any, where: str) -> Status:
        try:
            return Status(value)
        except ValueError:
            raise self.fail(where, f"{_shown(value)} is not a status; expected one of: "
                            f"{', '.join(s.value for s in Status)}") from None

    def _case(self, data: dict[str, Any], where: str) -> Case:
        return Case(path=self.text(data, "file", where), title=self.text(data, "title", where),
                    sources=(), institution=self.text(data, "institution", where,
                                                      optional=True),
                    id=self.text(data, "id", where, optional=True),
                    date=self.day(data, "date", where))

    def _warning(self, data: dict[str, Any], where: str) -> Problem:
        return Problem(self.text(data, "file", where),
                       self.number(data, "line", where, optional=True),
                       self.number(data, "column", where, optional=True),
                       self.text(data, "message", where), warning=True,
                       excerpt=self.text(data, "excerpt", where, optional=True))

    def _sources(self, links: list[dict[str, Any]], cases: dict[str, Case]
                 ) -> dict[tuple[str, SourceKind, str], Source]:
        """Each source once, with every URL the report gives it, in the links' order."""
        found: dict[tuple[str, SourceKind, str], tuple[Source, list[CitedUrl]]] = {}
        for index, link in enumerate(links):
            where = f"links[{index}]"
            path = self.text(link, "file", where)
            if path not in cases:
                raise self.fail(f"{where}.file", f"`{path[:80]}` is not one of the report's "
                                "cases")
            kind = self.choice(link, "kind", where, SourceKind)
            ident = self.text(link, "source", where)
            line = self.number(link, "line", where)
            column = self.number(link, "column", where)
            url = self.text(link, "url", where, optional=True)
            key = (path, kind, ident)
            if key not in found:
                source_line = self.number(link, "source_line", where, optional=True,
                                          default=line)
                position = (Position(path, source_line, 1) if url is not None
                            else Position(path, line, column))
                source = Source(ident, self.text(link, "title", where), (), position, kind)
                found[key] = (source, [])
            if url is not None:
                place = self.text(link, "place", where, optional=True)
                found[key][1].append(CitedUrl(url, Position(path, line, column, place)))
        return {key: dataclasses.replace(source, urls=tuple(urls))
                for key, (source, urls) in found.items()}

    def _link(self, data: dict[str, Any], where: str,
              sources: dict[tuple[str, SourceKind, str], Source]) -> LinkResult:
        path = self.text(data, "file", where)
        source = sources[(path, self.choice(data, "kind", where, SourceKind),
                          self.text(data, "source", where))]
        url = self.text(data, "url", where, optional=True)
        line, column = self.number(data, "line", where), self.number(data, "column", where)
        cited = next((u for u in source.urls if u.url == url and u.position.line == line
                      and u.position.column == column), None) if url is not None else None
        checked_at = self.moment(data, "checked_at", where)
        archive = self._capture(self.table(data, "archive", where, optional=True),
                                f"{where}.archive")
        cached = self.flag(data, "cached", where)
        cached_at = self.moment(data, "cached_at", where, optional=True)
        return LinkResult(
            case=Case(path, "", ()), source=source, cited=cited,
            status=self.choice(data, "status", where, Status),
            detail=self.text(data, "detail", where),
            checked_at=checked_at,
            http_status=self.number(data, "http_status", where, optional=True),
            final_url=self.text(data, "final_url", where, optional=True),
            redirects=tuple(self._hop(self.object_at(h, f"{where}.redirects[{i}]"),
                                      f"{where}.redirects[{i}]")
                            for i, h in enumerate(self.items(data, "redirects", where,
                                                             optional=True))),
            page_title=self.text(data, "page_title", where, optional=True),
            failure=self.choice(data, "failure", where, FailureKind, optional=True),
            archive=archive,
            lookups=tuple(self._lookup(self.object_at(x, f"{where}.lookups[{i}]"),
                                       f"{where}.lookups[{i}]", archive)
                          for i, x in enumerate(self.items(data, "lookups", where,
                                                           optional=True))),
            evidence=self.choice(data, "evidence", where, Evidence, optional=True),
            listing=self.text(data, "listing", where, optional=True),
            lookup_url=self.text(data, "lookup_url", where, optional=True),
            # A report of an earlier version says only whether it was reused.
            cached_at=cached_at if cached_at is not None or not cached else checked_at,
            history=self._history(self.table(data, "history", where, optional=True),
                                  f"{where}.history"),
            unconfirmed=self.flag(data, "unconfirmed", where))

    def _hop(self, data: dict[str, Any], where: str) -> Hop:
        return Hop(self.text(data, "url", where), self.number(data, "status", where),
                   self.text(data, "location", where))

    def _capture(self, data: dict[str, Any] | None, where: str) -> Capture | None:
        if data is None:
            return None
        service = self.choice(data, "service", where, Archive)
        return Capture(service, self.text(data, "url", where),
                       self.moment(data, "captured", where), self.text(data, "original", where),
                       SERVICES[service].short)

    def _lookup(self, data: dict[str, Any], where: str, archive: Capture | None) -> Lookup:
        service = self.choice(data, "service", where, Archive, optional=True)
        outcome = self.choice(data, "outcome", where, LookupOutcome)
        found = (archive if archive is not None and outcome is LookupOutcome.FOUND
                 and archive.service == service else None)
        return Lookup(service, outcome, self.text(data, "detail", where, optional=True) or "",
                      found, SERVICES[service].short if service is not None else "the archives")

    def _history(self, data: dict[str, Any] | None, where: str) -> History | None:
        if data is None:
            return None
        return History(
            first_seen=self.moment(data, "first_seen", where),
            last_ok=self.moment(data, "last_ok", where, optional=True),
            failing_since=self.moment(data, "failing_since", where, optional=True),
            failed_runs=self.number(data, "failed_runs", where),
            streak_status=self.choice(data, "streak_status", where, Status, optional=True),
            streak_days=self.number(data, "streak_days", where, optional=True, default=0),
            failed_before=self.moment(data, "failed_before", where, optional=True),
            recovered_from=self.moment(data, "recovered_from", where, optional=True),
            recovered_runs=self.number(data, "recovered_runs", where, optional=True,
                                       default=0))

    def _shard(self, data: dict[str, Any] | None) -> Shard | None:
        if data is None:
            return None
        where = "shard"
        index, count = self.number(data, "index", where), self.number(data, "count", where)
        links = self.items(data, "links_by_shard", where)
        if not 1 <= index <= count or len(links) != count or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in links):
            raise self.fail(where, f"not a shard: shard {index} of {count} with "
                            f"{len(links)} counts of links")
        return Shard(index, count, tuple(links),
                     self.number(data, "split_sources", where, optional=True, default=0),
                     self.text(data, "audit", where, optional=True) or "")

    def _merged(self, data: dict[str, Any] | None) -> Merged | None:
        if data is None:
            return None
        where = "merged"
        shards = self.items(data, "shards", where)
        if not all(isinstance(k, int) and not isinstance(k, bool) for k in shards):
            raise self.fail(f"{where}.shards", "expected a list of whole numbers")
        gaps = []
        for i, item in enumerate(self.items(data, "gaps", where, optional=True)):
            at = f"{where}.gaps[{i}]"
            gap = self.object_at(item, at)
            gaps.append(ShardGap(self.number(gap, "shard", at), self.number(gap, "links", at),
                                 self.text(gap, "reason", at)))
        return Merged(self.number(data, "count", where), tuple(shards), tuple(gaps),
                      self.text(data, "audit", where, optional=True) or "")


_E = TypeVar("_E", bound=StrEnum)


def _shown(value: Any) -> str:
    return found(value, mapping="an object")
