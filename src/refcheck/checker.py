"""The checking pipeline: cited URLs in, ``LinkResult`` values out.

Each distinct URL is fetched once however often it is cited; results are added to the
``RunReport`` as they arrive, so an interrupted run keeps everything already learned. When no
server at all answered, a probe decides whether the network itself is down, in which case
nothing is concluded about the evidence.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from refcheck.classify import classify
from refcheck.http import Clock, Fetcher, utc_now
from refcheck.model import (
    NETWORK_FAILURES,
    Case,
    CitedUrl,
    Failure,
    FailureKind,
    Fetch,
    LinkResult,
    RunReport,
    Source,
    Status,
)
from refcheck.urls import dedupe_key

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


async def check(
    cases: Sequence[Case],
    fetcher: Fetcher,
    report: RunReport,
    *,
    on_result: OnResult | None = None,
    probe_url: str | None = DEFAULT_PROBE_URL,
    clock: Clock = utc_now,
) -> RunReport:
    """Check every cited URL of every case, adding results to ``report`` as they complete."""
    report.cases.extend(cases)

    def emit(result: LinkResult) -> None:
        report.results.append(result)
        if on_result is not None:
            on_result(result)

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

    fetches: list[Fetch] = []

    async def one(key: str) -> None:
        url = pending[key][0].cited.url
        try:
            fetch = await fetcher.fetch(url)
        except Exception as exc:  # a bug for one link must not cost the others their results
            fetch = Fetch(url, failure=Failure(FailureKind.OTHER, f"internal error: {exc!r}"))
        fetches.append(fetch)
        verdict = classify(fetch)
        answer = fetch.answer
        for citation in pending[key]:
            emit(LinkResult(
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
            ))

    tasks = [asyncio.create_task(one(key)) for key in pending]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()

    if fetches and not any(f.reached for f in fetches) and any(
        f.failure is not None and f.failure.kind in NETWORK_FAILURES for f in fetches
    ):
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
    return LinkResult(
        result.case, result.source, result.cited, Status.ERROR, detail,
        checked_at=result.checked_at, failure=result.failure,
    )
