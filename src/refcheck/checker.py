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
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from refcheck.archive import ArchiveSettings
from refcheck.archive.citations import interpret, recognise
from refcheck.archive.registry import Archives
from refcheck.classify import classify
from refcheck.doi import DEFAULT_DOI_URL, check_doi
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
    Verdict,
    day,
)
from refcheck.probe import SiblingProbe, is_suspicious
from refcheck.text import contains_quote, page_text
from refcheck.urls import dedupe_key, doi_of, retired_short_link, without_secrets

#: Statuses whose evidence is looked for in the archives.
LOOKUP_STATUSES = frozenset({Status.DEAD, Status.SOFT_404, Status.BLOCKED, Status.ERROR,
                             Status.DRIFTED})

DEFAULT_PROBE_URL = "https://www.gov.uk/"
#: Links started between two turns of the event loop.
START_BATCH = 8
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


def target_of(case: Case, as_of: dt.date | None) -> dt.datetime | None:
    """The moment archive captures should be nearest: --as-of, else the case date."""
    day = as_of or case.date
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC) if day else None


def evidence_of(status: Status, capture: Capture | None, lookups: Sequence[Lookup],
                quote_in_capture: bool | None = None) -> Evidence | None:
    if status is Status.NO_URL:
        return None
    if capture is not None:
        return Evidence.UNKNOWN if quote_in_capture is False else Evidence.ARCHIVED
    if status in (Status.OK, Status.MOVED):
        return Evidence.LIVE
    lost = status in (Status.DEAD, Status.SOFT_404, Status.DRIFTED)
    if lost and lookups and all(x.outcome is LookupOutcome.NOT_ARCHIVED for x in lookups):
        return Evidence.LOST
    return Evidence.UNKNOWN


def quote_verdict(verdict: Verdict, read: Callable[[], str | None],
                  quote: str | None) -> Verdict:
    """A live page must still hold the quote its source cites, or it has drifted.
    ``read`` gives the page's text; it is asked only when there is a quote to look for."""
    if not quote or verdict.status not in (Status.OK, Status.MOVED):
        return verdict
    text = read()
    if text is None:
        return dataclasses.replace(
            verdict, detail=f"{verdict.detail}; could not read the page's text, so the quote "
                            "was not checked")
    if contains_quote(text, quote):
        return dataclasses.replace(verdict, detail=f"{verdict.detail}; the quote is there")
    return dataclasses.replace(
        verdict, status=Status.DRIFTED,
        detail=f"the page no longer contains the quote \u201c{_short(quote)}\u201d "
               f"({verdict.detail})")


def _once(compute: Callable[[], str | None]) -> Callable[[], str | None]:
    """``compute``, run at most once: a page's text (a PDF's especially) is costly."""
    memo: list[str | None] = []

    def value() -> str | None:
        if not memo:
            memo.append(compute())
        return memo[0]
    return value


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


@dataclass(frozen=True, kw_only=True)
class CheckOptions:
    probe_url: str | None = DEFAULT_PROBE_URL
    archive_settings: ArchiveSettings | None = None
    as_of: dt.date | None = None
    doi_url: str = DEFAULT_DOI_URL
    sibling_probe: bool = True


async def check(
    cases: Sequence[Case],
    fetcher: Fetcher,
    report: RunReport,
    *,
    on_result: OnResult | None = None,
    clock: Clock = utc_now,
    archives: Archives | None = None,
    probe_url: str | None = DEFAULT_PROBE_URL,
    archive_settings: ArchiveSettings | None = None,
    as_of: dt.date | None = None,
    doi_url: str = DEFAULT_DOI_URL,
    sibling_probe: bool = True,
) -> RunReport:
    """Check every cited URL of every case, adding results to ``report`` as they complete.

    A link that is not live is first reported as checked, then updated in place when its
    archive lookups finish, so an interruption keeps what the live check learned.
    """
    checker = Checker(fetcher, report, on_result=on_result, clock=clock, archives=archives,
                      options=CheckOptions(probe_url=probe_url, archive_settings=archive_settings,
                                           as_of=as_of, doi_url=doi_url,
                                           sibling_probe=sibling_probe))
    await checker.run(cases)
    return report


class Checker:
    def __init__(self, fetcher: Fetcher, report: RunReport, *, on_result: OnResult | None,
                 clock: Clock, archives: Archives | None, options: CheckOptions) -> None:
        self.fetcher = fetcher
        self.report = report
        self.on_result = on_result
        self.clock = clock
        self.archives = archives
        self.options = options
        self.probe = SiblingProbe(fetcher) if options.sibling_probe else None
        self.failures: list[FailureKind] = []
        self.pending: dict[str, list[_Citation]] = {}
        self._lookups: dict[tuple[str, dt.datetime | None],
                            asyncio.Task[tuple[Capture | None, tuple[Lookup, ...]]]] = {}
        self._capture_texts: dict[str, asyncio.Task[str | None]] = {}

    def emit(self, result: LinkResult) -> int:
        self.report.results.append(result)
        if self.on_result is not None:
            self.on_result(result)
        return len(self.report.results) - 1

    async def run(self, cases: Sequence[Case]) -> None:
        self.report.cases.extend(cases)
        for case in cases:
            for source in case.sources:
                if not source.urls:
                    self.emit(LinkResult(case, source, None, Status.NO_URL,
                                         "no URL: held by the institution, not checkable "
                                         "online", checked_at=self.clock()))
                for cited in source.urls:
                    defect = url_defect(cited.url)
                    if defect:
                        self.emit(LinkResult(case, source, cited, Status.INVALID,
                                             f"not a usable web address: {defect}",
                                             checked_at=self.clock(),
                                             failure=FailureKind.INVALID_URL))
                        continue
                    self.pending.setdefault(dedupe_key(cited.url), []).append(
                        _Citation(case, source, cited))
        tasks: list[asyncio.Task[None]] = []
        try:
            for started, key in enumerate(self.pending, 1):
                tasks.append(asyncio.create_task(self.one(key)))
                if started % START_BATCH == 0:
                    # The links started so far send their requests before more are started:
                    # with thousands of links, the first requests would otherwise wait for
                    # every link's first step.
                    await asyncio.sleep(0)
            await asyncio.gather(*tasks)
        finally:
            for task in [*tasks, *self._lookups.values(), *self._capture_texts.values()]:
                task.cancel()
        await self.conclude_network()

    async def resolve(self, url: str, want_body: bool) -> tuple[Fetch, Verdict, Capture | None]:
        """What the web says about one URL, before any source's quote is considered."""
        retired = retired_short_link(url)
        if retired:
            return Fetch(url), Verdict(Status.DEAD, f"{retired}; the page it led to can only "
                                       "be found through an archive"), None
        doi = doi_of(url)
        if doi:
            fetch, verdict = await check_doi(self.fetcher, self.options.doi_url, doi)
            return fetch, verdict, None
        fetch = await self.fetcher.fetch(
            url, want_body=want_body,
            max_bytes=self.fetcher.settings.max_quote_bytes if want_body else None)
        verdict = classify(fetch)
        capture = None
        if self.options.archive_settings is not None:
            verdict, capture = interpret(url, fetch, verdict, self.options.archive_settings)
        if self.probe is not None and capture is None and is_suspicious(fetch, verdict):
            made_up = await self.probe.catches_all(fetch)
            if made_up:
                verdict = Verdict(
                    Status.SOFT_404,
                    f"answers, but a made-up address beside it ({made_up}) gets the same page: "
                    "the site shows this page for anything, so it is not the evidence",
                    final_url=verdict.final_url, page_title=verdict.page_title)
        return fetch, verdict, capture

    async def one(self, key: str) -> None:
        citations = self.pending[key]
        url = citations[0].cited.url
        want_body = any(c.source.quote for c in citations)
        try:
            fetch, verdict, capture = await self.resolve(url, want_body)
        except Exception as exc:  # a bug for one link must not cost the others their results
            fetch = Fetch(url, failure=Failure(FailureKind.OTHER, f"internal error: {exc!r}"))
            verdict, capture = classify(fetch), None
        if fetch.failure is not None:
            self.failures.append(fetch.failure.kind)
        answer = fetch.answer
        later = []
        is_doi = doi_of(url) is not None  # the answer is the DOI system's record, not a page
        read = _once(lambda: page_text(answer) if answer is not None else None)
        for citation in citations:
            own = verdict if is_doi else quote_verdict(verdict, read, citation.source.quote)
            result = LinkResult(
                citation.case,
                citation.source,
                citation.cited,
                own.status,
                own.detail,
                checked_at=self.clock(),
                http_status=answer.status if answer else (
                    fetch.hops[-1].status if fetch.hops else None),
                final_url=own.final_url,
                redirects=fetch.hops,
                page_title=own.page_title,
                failure=fetch.failure.kind if fetch.failure else None,
                archive=capture,
                evidence=evidence_of(own.status, capture, ()),
            )
            index = self.emit(result)
            if self.archives is not None and own.status in LOOKUP_STATUSES:
                later.append((index, citation))
        settings = self.options.archive_settings
        cited = recognise(url, settings) if settings else None
        # Credentials in the cited URL are for its own server, not for the archives.
        as_cited = cited.original if cited else url
        original = without_secrets(as_cited)
        for index, citation in later:
            try:
                await self.fall_back(index, citation, original,
                                     stripped=original != as_cited)
            except Exception as exc:  # the live result stands; say the lookup broke
                done = self.report.results[index]
                failed = Lookup("archives", LookupOutcome.FAILED, f"internal error: {exc!r}",
                                label="the archives")
                self.report.results[index] = dataclasses.replace(
                    done, lookups=(failed,), evidence=Evidence.UNKNOWN)

    async def fall_back(self, index: int, citation: _Citation, original: str, *,
                        stripped: bool = False) -> None:
        """Look for the evidence in the archives and update the link's result in place."""
        assert self.archives is not None
        key = (original, target_of(citation.case, self.options.as_of))
        if key not in self._lookups:
            self._lookups[key] = asyncio.create_task(self.archives.lookup(*key))
        found, asked = await self._lookups[key]
        done = self.report.results[index]
        detail = done.detail
        quote_found = None
        quote = citation.source.quote
        if found is not None and done.status is Status.DRIFTED and quote:
            quote_found = await self.quote_in_capture(found, quote)
            if quote_found:
                detail += f"; the quote is in the capture of {day(found.captured)}"
            elif quote_found is False:
                detail += f"; the capture of {day(found.captured)} lacks it too"
        self.report.results[index] = dataclasses.replace(
            done, detail=detail, archive=found, lookups=asked,
            evidence=evidence_of(done.status, found, asked, quote_found),
            listing=self.archives.listing(original),
            lookup_url=original if stripped else None)

    async def quote_in_capture(self, capture: Capture, quote: str) -> bool | None:
        """Whether the capture holds the quote; None when its text cannot be read. Each
        capture is fetched and read once, however many sources' quotes are looked for."""
        if capture.url not in self._capture_texts:
            async def read() -> str | None:
                fetch = await self.fetcher.fetch(
                    capture.url, want_body=True, max_bytes=self.fetcher.settings.max_quote_bytes)
                return page_text(fetch.answer) if fetch.answer is not None else None
            self._capture_texts[capture.url] = asyncio.create_task(read())
        text = await self._capture_texts[capture.url]
        return None if text is None else contains_quote(text, quote)

    async def conclude_network(self) -> None:
        """Nothing answered at all: ask the probe address before concluding anything."""
        if self.fetcher.answered or not any(k in NETWORK_FAILURES for k in self.failures):
            return
        probe_url = self.options.probe_url
        reachable = False
        if probe_url:
            probe = await self.fetcher.fetch(probe_url, retries=0)
            reachable = probe.reached
        if not reachable:
            self.report.network_unreachable = True
            where = probe_url or "the probe address"
            self.report.results[:] = [
                _unconcluded(r, NO_NETWORK_DETAIL.format(probe=where))
                for r in self.report.results
            ]


def _unconcluded(result: LinkResult, detail: str) -> LinkResult:
    if result.failure not in NETWORK_FAILURES:
        return result
    return dataclasses.replace(result, status=Status.ERROR, detail=detail,
                               evidence=Evidence.UNKNOWN, archive=None, lookups=())
