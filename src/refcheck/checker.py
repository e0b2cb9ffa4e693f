"""The checking pipeline: cited URLs in, final ``LinkResult`` values out.

Each distinct URL is checked once however often it is cited, in two stages: the live check
(fetch, DOI lookup, sibling probe, quote), then, for links whose evidence is not live, the
archive lookups. What each step learns is gathered as findings; ``verdict`` decides. A
link's result is emitted once, when it is final: after its archive lookups, and once the
network is known to work (any answer from anyone proves it; when nothing answered at all, a
probe address decides whether the network itself is down, and then nothing is concluded).
An interrupted run still reports every link whose live check had finished.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from refcheck.archive import ArchiveSettings
from refcheck.archive.citations import recognise
from refcheck.archive.registry import Archives
from refcheck.doi import DEFAULT_DOI_URL, lookup_doi
from refcheck.http import Clock, Fetcher, utc_now
from refcheck.model import (
    NETWORK_FAILURES,
    Capture,
    Case,
    CitedUrl,
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
)
from refcheck.probe import SiblingProbe, short_text
from refcheck.text import contains_quote, page_text
from refcheck.urls import dedupe_key, doi_of, retired_short_link, url_problem, without_secrets
from refcheck.verdict import (
    LOOKUP_STATUSES,
    Findings,
    evidence_of,
    invalid,
    judge,
    no_network,
    no_url,
    quote_in_capture_detail,
    unconcluded,
    with_quote,
    worth_probing,
)

DEFAULT_PROBE_URL = "https://www.gov.uk/"
#: Links started between two turns of the event loop: with thousands of links, the first
#: requests would otherwise wait for every link's first step.
START_BATCH = 8

OnResult = Callable[[LinkResult], None]


class Progress(Protocol):
    """Told how a run advances, stage by stage; the CLI shows it."""

    def started(self, urls: int) -> None:
        """The live checks begin: ``urls`` distinct URLs to check."""

    def checked(self) -> None:
        """One URL's live check is done."""

    def looking_up(self) -> None:
        """One more link's archive lookups have begun."""

    def looked_up(self) -> None:
        """One link's archive lookups are done."""


class _Unwatched:
    """Progress nobody is shown."""

    def started(self, urls: int) -> None:
        pass

    def checked(self) -> None:
        pass

    def looking_up(self) -> None:
        pass

    def looked_up(self) -> None:
        pass


@dataclass(frozen=True)
class _Citation:
    case: Case
    source: Source
    cited: CitedUrl | None  # None for a source with no URL


def key_url(citations: list[_Citation]) -> str:
    """The URL a group of citations share (each has one: sources without are not grouped)."""
    cited = citations[0].cited
    assert cited is not None
    return cited.url


def target_of(case: Case, as_of: dt.date | None) -> dt.datetime | None:
    """The moment archive captures should be nearest: --as-of, else the case date."""
    day = as_of or case.date
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC) if day else None


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
    options: CheckOptions | None = None,
    *,
    on_result: OnResult | None = None,
    clock: Clock = utc_now,
    archives: Archives | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Check every cited URL of every case, adding each result to ``report`` (and telling
    ``on_result``) once it is final."""
    checker = Checker(fetcher, report, options or CheckOptions(), on_result=on_result,
                      clock=clock, archives=archives, progress=progress)
    await checker.run(cases)
    return report


@dataclass(frozen=True)
class _Live:
    """A link's live check, done: the fetch and the verdict for each citation."""

    fetch: Fetch
    verdicts: tuple[Verdict, ...]


class Checker:
    def __init__(self, fetcher: Fetcher, report: RunReport, options: CheckOptions, *,
                 on_result: OnResult | None, clock: Clock, archives: Archives | None,
                 progress: Progress | None = None) -> None:
        self.fetcher = fetcher
        self.progress: Progress = progress or _Unwatched()
        self.report = report
        self.on_result = on_result
        self.clock = clock
        self.archives = archives
        self.options = options
        self.probe = SiblingProbe(fetcher) if options.sibling_probe else None
        self.pending: dict[str, list[_Citation]] = {}
        self._live: dict[str, _Live] = {}
        self._emitted: set[str] = set()
        self._checking = 0  # live checks not yet finished
        self._network: asyncio.Future[bool] | None = None
        self._probing: asyncio.Task[None] | None = None
        self._lookups: dict[tuple[str, dt.datetime | None],
                            asyncio.Task[tuple[Capture | None, tuple[Lookup, ...]]]] = {}
        self._capture_texts: dict[str, asyncio.Task[str | None]] = {}

    def emit(self, result: LinkResult) -> None:
        self.report.results.append(result)
        if self.on_result is not None:
            self.on_result(result)

    async def run(self, cases: Sequence[Case]) -> None:
        self.report.cases.extend(cases)
        self._network = asyncio.get_running_loop().create_future()
        for case in cases:
            for source in case.sources:
                if not source.urls:
                    self.emit(self._result(_Citation(case, source, None), no_url(),
                                           Fetch("")))
                for cited in source.urls:
                    citation = _Citation(case, source, cited)
                    problem = url_problem(cited.url)
                    if problem is not None:  # the case-file reader refused the worse ones
                        self.emit(self._result(citation, invalid(problem.message), Fetch(
                            cited.url, failure=Failure(FailureKind.INVALID_URL,
                                                       problem.message))))
                        continue
                    self.pending.setdefault(dedupe_key(cited.url), []).append(citation)
        self._checking = len(self.pending)
        self.progress.started(len(self.pending))
        if not self.pending:
            self._settle(True)
        tasks: list[asyncio.Task[None]] = []
        try:
            for started, key in enumerate(self.pending, 1):
                tasks.append(asyncio.create_task(self.link(key)))
                if started % START_BATCH == 0:
                    await asyncio.sleep(0)
            await asyncio.gather(*tasks)
        finally:
            background = [*self._lookups.values(), *self._capture_texts.values()]
            if self._probing is not None:
                background.append(self._probing)
            for task in [*tasks, *background]:
                task.cancel()
            self._emit_unfinished()

    # -- the live stage ---------------------------------------------------------------------

    async def link(self, key: str) -> None:
        citations = self.pending[key]
        url = key_url(citations)
        try:
            live = await self.live(url, citations)
        except Exception as exc:  # a bug for one link must not cost the others their results
            fetch = Fetch(url, failure=Failure(FailureKind.OTHER, f"internal error: {exc!r}"))
            verdict = judge(Findings(url, fetch))
            live = _Live(fetch, tuple(verdict for _ in citations))
        self._live[key] = live
        self.progress.checked()
        if live.fetch.reached or self.fetcher.answered:
            self._settle(True)  # someone answered: the network works
        results = await self.looked_up(citations, live)
        self._checked()
        failure = live.fetch.failure
        if failure is not None and failure.kind in NETWORK_FAILURES:
            # Nothing concluded about a link the network did not carry until it is known
            # that the network works (its archive lookups may be what shows it).
            assert self._network is not None
            if not await asyncio.shield(self._network):
                results = [self._result(c, no_network(self.options.probe_url), live.fetch)
                           for c in citations]
        for result in results:
            self.emit(result)
        self._emitted.add(key)

    async def live(self, url: str, citations: list[_Citation]) -> _Live:
        findings = await self.observe(url, want_body=any(c.source.quote for c in citations))
        verdict = judge(findings)
        if self.probe is not None and findings.fetch.answer is not None and worth_probing(
                findings, verdict, short_text(findings.fetch.answer)):
            made_up = await self.probe.catches_all(findings.fetch)
            if made_up:
                verdict = judge(dataclasses.replace(findings, catch_all=made_up))
        answer = findings.fetch.answer
        text: list[str | None] = []

        def found(quote: str | None) -> bool | None:
            if not text:  # a page's text (a PDF's especially) is read once, if at all
                text.append(page_text(answer) if answer is not None else None)
            return None if text[0] is None else contains_quote(text[0], quote or "")

        verdicts = tuple(
            verdict if findings.doi is not None or not c.source.quote
            else with_quote(verdict, c.source.quote,
                            found(c.source.quote) if verdict.status in (Status.OK, Status.MOVED)
                            else None)
            for c in citations)
        return _Live(findings.fetch, verdicts)

    async def observe(self, url: str, *, want_body: bool) -> Findings:
        """What the web says about one URL: the I/O of a live check, no conclusions."""
        retired = retired_short_link(url)
        if retired:
            return Findings(url, Fetch(url), retired=retired)
        doi = doi_of(url)
        if doi:
            record = await lookup_doi(self.fetcher, self.options.doi_url, doi)
            return Findings(url, record.fetch, doi=record)
        fetch = await self.fetcher.fetch(
            url, want_body=want_body,
            max_bytes=self.fetcher.settings.max_quote_bytes if want_body else None)
        settings = self.options.archive_settings
        cited = landed = None
        if settings is not None:
            cited = recognise(url, settings)
            if cited is None and fetch.hops and fetch.answer is not None:
                landed = recognise(fetch.answer.url, settings)
        return Findings(url, fetch, cited=cited, landed=landed)

    # -- the network ------------------------------------------------------------------------

    def _checked(self) -> None:
        """One more link checked, archives included: when none is left and nothing has
        answered, the probe address decides whether the network is up."""
        self._checking -= 1
        if self.fetcher.answered:
            self._settle(True)
        elif self._checking == 0 and self._probing is None:
            self._probing = asyncio.create_task(self._probe_network())

    async def _probe_network(self) -> None:
        """Nothing answered at all: ask the probe address before concluding anything."""
        if self.fetcher.answered:
            self._settle(True)
            return
        probe_url = self.options.probe_url
        reachable = False
        if probe_url:
            probe = await self.fetcher.fetch(probe_url, retries=0)
            reachable = probe.reached
        self.report.network_unreachable = not reachable
        self._settle(reachable)

    def _settle(self, reachable: bool) -> None:
        if self._network is not None and not self._network.done():
            self._network.set_result(reachable)

    # -- the archive stage ------------------------------------------------------------------

    async def looked_up(self, citations: list[_Citation], live: _Live) -> list[LinkResult]:
        """Each citation's result, with the archives' copies for links that are not live."""
        settings = self.options.archive_settings
        url = key_url(citations)
        cited = recognise(url, settings) if settings else None
        as_cited = cited.original if cited else url
        # Credentials in the cited URL are for its own server, not for the archives.
        original = without_secrets(as_cited)
        results = []
        for citation, verdict in zip(citations, live.verdicts, strict=True):
            result = self._result(citation, verdict, live.fetch)
            if self.archives is not None and verdict.status in LOOKUP_STATUSES:
                self.progress.looking_up()
                try:
                    result = await self.fall_back(result, citation, original,
                                                  stripped=original != as_cited)
                except Exception as exc:  # the live result stands; say the lookup broke
                    failed = Lookup(None, LookupOutcome.FAILED, f"internal error: {exc!r}",
                                    label="the archives")
                    result = dataclasses.replace(result, lookups=(failed,),
                                                 evidence=evidence_of(result.status, None,
                                                                      (failed,)))
                finally:
                    self.progress.looked_up()
            results.append(result)
        return results

    async def fall_back(self, result: LinkResult, citation: _Citation, original: str, *,
                        stripped: bool) -> LinkResult:
        """The result with what the archives hold."""
        assert self.archives is not None
        lookup_key = (original, target_of(citation.case, self.options.as_of))
        if lookup_key not in self._lookups:
            self._lookups[lookup_key] = asyncio.create_task(self.archives.lookup(*lookup_key))
        found, asked = await asyncio.shield(self._lookups[lookup_key])
        detail = result.detail
        quote_found = None
        quote = citation.source.quote
        if found is not None and result.status is Status.DRIFTED and quote:
            quote_found = await self.quote_in_capture(found, quote)
            detail = quote_in_capture_detail(detail, found, quote_found)
        return dataclasses.replace(
            result, detail=detail, archive=found, lookups=asked,
            evidence=evidence_of(result.status, found, asked, quote_found),
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
        text = await asyncio.shield(self._capture_texts[capture.url])
        return None if text is None else contains_quote(text, quote)

    # -- results ----------------------------------------------------------------------------

    def _result(self, citation: _Citation, verdict: Verdict, fetch: Fetch) -> LinkResult:
        answer = fetch.answer
        return LinkResult(
            citation.case, citation.source, citation.cited, verdict.status, verdict.detail,
            checked_at=self.clock(),
            http_status=answer.status if answer else (
                fetch.hops[-1].status if fetch.hops else None),
            final_url=verdict.final_url,
            redirects=fetch.hops,
            page_title=verdict.page_title,
            failure=fetch.failure.kind if fetch.failure else None,
            archive=verdict.capture,
            evidence=evidence_of(verdict.status, verdict.capture, ()),
        )

    def _emit_unfinished(self) -> None:
        """The run was stopped: report every link whose live check had finished, without
        the archive lookups it did not get to (and without concluding anything about links
        that failed for want of a network, if the network was never settled)."""
        network = self._network
        settled = network is not None and network.done() and not network.cancelled()
        for key, live in self._live.items():
            if key in self._emitted:
                continue
            self._emitted.add(key)
            failure = live.fetch.failure
            for citation, verdict in zip(self.pending[key], live.verdicts, strict=True):
                if failure is not None and failure.kind in NETWORK_FAILURES and not (
                        settled and network is not None and network.result()):
                    verdict = unconcluded()
                self.emit(self._result(citation, verdict, live.fetch))
