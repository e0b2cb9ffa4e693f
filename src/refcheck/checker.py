"""The checking pipeline: cited URLs in, ``LinkResult`` values out.

Each distinct URL is fetched once however often it is cited; results are added to the
``RunReport`` as they arrive, so an interrupted run keeps everything already learned. When no
server at all answered, a probe decides whether the network itself is down, in which case
nothing is concluded about the evidence.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from refcheck.archive import ArchiveSettings
from refcheck.archive.citations import interpret, recognise
from refcheck.archive.registry import Archives
from refcheck.classify import classify
from refcheck.http import Clock, Fetcher, utc_now
from refcheck.model import (
    NETWORK_FAILURES,
    Capture,
    Case,
    CitedUrl,
    Evidence,
    Failure,
    FailureKind,
    Fetch,
    LinkResult,
    Lookup,
    LookupOutcome,
    RunReport,
    Source,
    Status,
)
from refcheck.urls import dedupe_key

#: Statuses whose evidence is looked for in the archives.
LOOKUP_STATUSES = frozenset({Status.DEAD, Status.SOFT_404, Status.BLOCKED, Status.ERROR})

DEFAULT_PROBE_URL = "https://www.gov.uk/"
NO_NETWORK_DETAIL = (
    "not checked: no network connection (nothing could be reached, not even {probe}); "
    "connect to the internet and run refcheck again"
)

OnResult = Callable[[LinkResult], None]
_WHITESPACE = re.compile(r"\s")


@dataclass(frozen=True)
class _Citation:
    case: Case
    source: Source
    cited: CitedUrl


def url_defect(url: str) -> str | None:
    """Why a written URL cannot be requested at all, or None."""
    if _WHITESPACE.search(url):
        return ("contains a space, often damage from copying out of a PDF; remove it, or write "
                "%20 where the address really has a space")
    return None  # anything else httpx cannot parse comes back as an INVALID_URL failure


def probe_url_from_env() -> str | None:
    value = os.environ.get("REFCHECK_PROBE_URL")
    if value is None:
        return DEFAULT_PROBE_URL
    return value or None


def target_of(case: Case, as_of: dt.date | None) -> dt.datetime | None:
    """The moment archive captures should be nearest: --as-of, else the case date."""
    day = as_of or case.date
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC) if day else None


def evidence_of(status: Status, capture: Capture | None,
                lookups: Sequence[Lookup]) -> Evidence | None:
    if status is Status.NO_URL:
        return None
    if capture is not None:
        return Evidence.ARCHIVED
    if status in (Status.OK, Status.MOVED):
        return Evidence.LIVE
    lost = status in (Status.DEAD, Status.SOFT_404)
    if lost and lookups and all(x.outcome is LookupOutcome.NOT_ARCHIVED for x in lookups):
        return Evidence.LOST
    return Evidence.UNKNOWN


async def check(
    cases: Sequence[Case],
    fetcher: Fetcher,
    report: RunReport,
    *,
    on_result: OnResult | None = None,
    probe_url: str | None = DEFAULT_PROBE_URL,
    clock: Clock = utc_now,
    archive_settings: ArchiveSettings | None = None,
    archives: Archives | None = None,
    as_of: dt.date | None = None,
) -> RunReport:
    """Check every cited URL of every case, adding results to ``report`` as they complete.

    A link that is not live is first reported as checked, then updated in place when its
    archive lookups finish, so an interruption keeps what the live check learned.
    """
    report.cases.extend(cases)

    def emit(result: LinkResult) -> int:
        report.results.append(result)
        if on_result is not None:
            on_result(result)
        return len(report.results) - 1

    lookups: dict[tuple[str, dt.datetime | None],
                  asyncio.Task[tuple[Capture | None, tuple[Lookup, ...]]]] = {}

    def lookup(url: str, target: dt.datetime | None
               ) -> Awaitable[tuple[Capture | None, tuple[Lookup, ...]]]:
        assert archives is not None
        key = (url, target)
        if key not in lookups:
            lookups[key] = asyncio.create_task(archives.lookup(url, target))
        return lookups[key]

    pending: dict[str, list[_Citation]] = {}
    for case in cases:
        for source in case.sources:
            if not source.urls:
                emit(LinkResult(case, source, None, Status.NO_URL,
                                "no URL: held by the institution, not checkable online",
                                checked_at=clock()))
            for cited in source.urls:
                defect = url_defect(cited.url)
                if defect:
                    emit(LinkResult(case, source, cited, Status.INVALID,
                                    f"not a usable web address: {defect}", checked_at=clock(),
                                    failure=FailureKind.INVALID_URL))
                    continue
                pending.setdefault(dedupe_key(cited.url), []).append(
                    _Citation(case, source, cited))

    failures: list[FailureKind] = []

    async def one(key: str) -> None:
        url = pending[key][0].cited.url
        try:
            fetch = await fetcher.fetch(url)
        except Exception as exc:  # a bug for one link must not cost the others their results
            fetch = Fetch(url, failure=Failure(FailureKind.OTHER, f"internal error: {exc!r}"))
        if fetch.failure is not None:
            failures.append(fetch.failure.kind)
        verdict = classify(fetch)
        capture = None
        if archive_settings is not None:
            verdict, capture = interpret(url, fetch, verdict, archive_settings)
        answer = fetch.answer
        later = []
        for citation in pending[key]:
            result = LinkResult(
                citation.case,
                citation.source,
                citation.cited,
                verdict.status,
                verdict.detail,
                checked_at=clock(),
                http_status=answer.status if answer else (
                    fetch.hops[-1].status if fetch.hops else None),
                final_url=verdict.final_url,
                redirects=fetch.hops,
                page_title=verdict.page_title,
                failure=fetch.failure.kind if fetch.failure else None,
                archive=capture,
                evidence=evidence_of(verdict.status, capture, ()),
            )
            later.append((emit(result), citation))
        if archives is None or verdict.status not in LOOKUP_STATUSES:
            return
        cited = recognise(url, archive_settings) if archive_settings else None
        original = cited.original if cited else url
        for index, citation in later:
            found, asked = await lookup(original, target_of(citation.case, as_of))
            done = report.results[index]
            report.results[index] = dataclasses.replace(
                done, archive=found, lookups=asked,
                evidence=evidence_of(done.status, found, asked),
                listing=archives.listing(original))

    tasks = [asyncio.create_task(one(key)) for key in pending]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in [*tasks, *lookups.values()]:
            task.cancel()

    if fetcher.answered == 0 and any(kind in NETWORK_FAILURES for kind in failures):
        reachable = False
        if probe_url:
            probe = await fetcher.fetch(probe_url, retries=0)
            reachable = probe.reached
        if not reachable:
            report.network_unreachable = True
            where = probe_url or "the probe address"
            report.results[:] = [
                _unconcluded(r, NO_NETWORK_DETAIL.format(probe=where)) for r in report.results
            ]
    return report


def _unconcluded(result: LinkResult, detail: str) -> LinkResult:
    if result.failure not in NETWORK_FAILURES:
        return result
    return dataclasses.replace(result, status=Status.ERROR, detail=detail,
                               evidence=Evidence.UNKNOWN, archive=None)
