"""Archive pieces without a server: the rate limiter and recognising archive citations."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import httpx
import pytest
import respx

from refcheck.archive import SERVICES, ArchiveSettings, Memento, nearest_first
from refcheck.archive.citations import recognise
from refcheck.archive.client import RateLimiter
from refcheck.archive.interface import ArchiveError, ArchiveService
from refcheck.archive.registry import Archives
from refcheck.checker import CheckOptions, check
from refcheck.http import Fetcher
from refcheck.model import (
    Answer,
    Archive,
    Case,
    CitedUrl,
    Evidence,
    Fetch,
    Hop,
    Lookup,
    LookupOutcome,
    Position,
    RunReport,
    Source,
    Status,
)
from refcheck.verdict import Findings, judge
from tests.conftest import Waits

SETTINGS = ArchiveSettings()
CWDC = "http://cwdcouncil.org.uk/social-care/research-events"


def limiter(count: int, period: float) -> tuple[RateLimiter, Waits]:
    waits = Waits()
    return RateLimiter(count, period, Fetcher(sleep=waits, clock=waits.clock)), waits


def test_limiter_allows_a_minutes_budget_then_spaces_requests() -> None:
    gate, waits = limiter(24, 60.0)

    async def ask(times: int) -> None:
        for _ in range(times):
            await gate.wait()

    start = waits.now
    asyncio.run(ask(26))
    assert waits.asked == [60.0]  # the 25th waits a minute; the 26th goes in that minute
    assert waits.now - start == dt.timedelta(seconds=60)


def test_a_budget_shared_by_twenty_shards_keeps_their_sum_within_it() -> None:
    """One request a second split 20 ways: each shard asks once in 20 s, so the twenty
    together ask once a second."""
    waits = Waits()
    gate = RateLimiter.rate(1.0 / 20, 1.0, Fetcher(sleep=waits, clock=waits.clock))
    start = waits.now

    async def ask() -> None:
        for _ in range(3):
            await gate.wait()

    asyncio.run(ask())
    assert waits.now - start == dt.timedelta(seconds=40)


def test_limiter_is_shared_by_concurrent_tasks() -> None:
    gate, waits = limiter(2, 1.0)
    start = waits.now

    async def ask() -> None:
        await asyncio.gather(*(gate.wait() for _ in range(6)))

    asyncio.run(ask())
    assert waits.now - start == dt.timedelta(seconds=2)  # six requests at two a second


def test_pause_holds_every_later_request() -> None:
    gate, waits = limiter(100, 60.0)

    async def ask() -> None:
        await gate.wait()
        gate.pause(60.0)
        await gate.wait()

    asyncio.run(ask())
    assert waits.asked == [60.0]


@pytest.mark.parametrize(
    ("url", "service", "original", "timestamp", "legacy"),
    [
        (f"https://webarchive.nationalarchives.gov.uk/ukgwa/20120119192332/{CWDC}", "ukgwa",
         CWDC, "20120119192332", False),
        (f"https://webarchive.nationalarchives.gov.uk/ukgwa/20120119192332mp_/{CWDC}",
         "ukgwa", CWDC, "20120119192332", False),
        (f"http://webarchive.nationalarchives.gov.uk/20120119192332/{CWDC}", "ukgwa", CWDC,
         "20120119192332", True),
        (f"http://webarchive.nationalarchives.gov.uk/+/{CWDC}", "ukgwa", CWDC, None, True),
        (f"http://webarchive.nationalarchives.gov.uk/*/{CWDC}", "ukgwa", CWDC, None, True),
        (f"http://collections.europarchive.org/tna/20080101000000/{CWDC}", "ukgwa", CWDC,
         "20080101000000", True),
        ("http://webarchive.nationalarchives.gov.uk/20120119192332/http:/cwdcouncil.org.uk/x",
         "ukgwa", "http://cwdcouncil.org.uk/x", "20120119192332", True),
        ("https://web.archive.org/web/20130101000000/http://example.org/a?b=1", "wayback",
         "http://example.org/a?b=1", "20130101000000", False),
        # The calendar of a year's captures, as copied from the Wayback Machine: a listing.
        ("https://web.archive.org/web/2013*/http://example.org/a", "wayback",
         "http://example.org/a", None, False),
        # Read from the archive table like the others: captures of the UK Parliament and
        # NRS web archives cited directly.
        ("https://webarchive.parliament.uk/20190101000000/https://www.parliament.uk/business/",
         "parliament", "https://www.parliament.uk/business/", "20190101000000", False),
        ("https://webarchive.nrscotland.gov.uk/20150101000000/https://www.gov.scot/report/",
         "nrs", "https://www.gov.scot/report/", "20150101000000", False),
    ],
)
def test_archive_citations_are_recognised(url: str, service: str, original: str,
                                          timestamp: str | None, legacy: bool) -> None:
    citation = recognise(url, SETTINGS)
    assert citation is not None
    assert (citation.service.key, citation.original, citation.timestamp, citation.legacy) == \
        (service, original, timestamp, legacy)


def test_pre_2021_citation_suggests_the_current_form() -> None:
    citation = recognise(f"http://webarchive.nationalarchives.gov.uk/20120119192332/{CWDC}",
                         SETTINGS)
    assert citation is not None
    assert citation.current == ("https://webarchive.nationalarchives.gov.uk/ukgwa/"
                                f"20120119192332/{CWDC}")


@pytest.mark.parametrize("url", ["https://www.gov.uk/government/publications/x",
                                 "https://web.archive.org/about/",
                                 "https://webarchive.nationalarchives.gov.uk/ukgwa/search"])
def test_ordinary_urls_are_not_citations(url: str) -> None:
    assert recognise(url, SETTINGS) is None


def _memento(url: str, stamp: str | None) -> Answer:
    headers = {"content-type": "text/html"}
    if stamp:
        headers["memento-datetime"] = stamp
    return Answer(url, 200, "OK", headers, b"<title>x</title>")


def test_cited_capture_without_memento_datetime_is_not_evidence() -> None:
    url = f"https://webarchive.nationalarchives.gov.uk/ukgwa/20120119192332/{CWDC}"
    verdict = judge(Findings(url, Fetch(url, answer=_memento(url, None)),
                             cited=recognise(url, SETTINGS)))
    assert verdict.status is Status.SOFT_404 and verdict.capture is None


def test_redirect_into_the_archive_is_archived_not_moved() -> None:
    live = "http://www.dcsf.gov.uk/everychildmatters/"
    capture_url = f"https://webarchive.nationalarchives.gov.uk/ukgwa/20100407000000/{live}"
    fetch = Fetch(live, hops=(Hop(live, 301, capture_url),),
                  answer=_memento(capture_url, "Wed, 07 Apr 2010 00:00:00 GMT"))
    verdict = judge(Findings(live, fetch, landed=recognise(capture_url, SETTINGS)))
    capture = verdict.capture
    assert verdict.status is Status.ARCHIVED
    assert capture is not None and capture.original == live
    assert capture.captured == dt.datetime(2010, 4, 7, tzinfo=dt.UTC)


def test_nearest_first_orders_by_distance_and_newest_without_target() -> None:
    a = dt.datetime(2010, 1, 1, tzinfo=dt.UTC)
    b = dt.datetime(2013, 11, 1, tzinfo=dt.UTC)
    c = dt.datetime(2016, 1, 1, tzinfo=dt.UTC)
    items = [Memento(a, "a"), Memento(b, "b"), Memento(c, "c")]
    assert [m.uri for m in nearest_first(items, dt.datetime(2013, 11, 29, tzinfo=dt.UTC))] == \
        ["b", "c", "a"]
    assert [m.uri for m in nearest_first(items, None)] == ["c", "b", "a"]


def test_unreachable_archive_is_not_asked_again() -> None:

    from refcheck.archive.client import ArchiveClient
    from tests.test_http import Raising

    transport = Raising(socket.gaierror(-2, "Name or service not known"))
    waits = Waits()

    async def go() -> list[str]:
        async with Fetcher(transport=transport, sleep=waits, clock=waits.clock) as fetcher:
            client = ArchiveClient(fetcher, wait_after_429=60, max_wait_after_429=600)
            gate = RateLimiter(1, 60.0, fetcher)
            results = [await client.get(f"https://archive.test/x{i}", gate) for i in range(6)]
            return [r.failure.kind.value if r.failure else "" for r in results]

    kinds = asyncio.run(go())
    assert kinds == ["dns"] * 6
    assert transport.calls == 3  # then the archive counts as unreachable for this run


def test_lookups_queued_for_an_unreachable_archive_end_at_once() -> None:
    """With no network, lookups waiting their turn under the archive's rate limit must not
    each wait to fail: 100 links at UKGWA's 3 a second would cost half a minute."""
    from refcheck.archive.client import ArchiveClient
    from tests.test_http import Raising

    transport = Raising(socket.gaierror(-2, "Name or service not known"))
    asked: list[float] = []

    async def held(seconds: float) -> None:  # a wait that only ends when cancelled
        asked.append(seconds)
        await asyncio.Event().wait()

    async def go() -> list[str]:
        async with Fetcher(transport=transport, sleep=held) as fetcher:
            client = ArchiveClient(fetcher, wait_after_429=60, max_wait_after_429=600)
            gate = RateLimiter(3, 1.0, fetcher)
            lookups = [client.get(f"https://archive.test/x{i}", gate) for i in range(10)]
            results = await asyncio.wait_for(asyncio.gather(*lookups), timeout=30)
            return [r.failure.kind.value if r.failure else "" for r in results]

    kinds = asyncio.run(go())
    assert kinds == ["dns"] * 10
    assert transport.calls == 3
    assert len(asked) == 7  # seven waited for a turn, and were let go


class BrokenService(ArchiveService):
    """A service with a bug: the fallback must survive it."""

    info = SERVICES[Archive.UKGWA]

    async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
        raise RuntimeError("parser bug")


class RefusingService(ArchiveService):
    """A service that cannot say (raises the interface's error)."""

    info = SERVICES[Archive.WAYBACK]

    async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
        raise ArchiveError("the Wayback Machine answered 503 Service Unavailable")


def _check_with(services: list[ArchiveService]) -> RunReport:
    router = respx.MockRouter()
    router.get("https://a.test/gone").respond(404)
    router.get("https://a.test/fine").respond(200, html="<title>x</title>" + "<p>y</p>" * 400)
    source = Source(id="a", title="A", position=Position("c.yaml", 1, 1), urls=(
        CitedUrl("https://a.test/gone", Position("c.yaml", 2, 1)),
        CitedUrl("https://a.test/fine", Position("c.yaml", 3, 1))))
    case = Case(path="c.yaml", title="T", sources=(source,))

    async def go() -> RunReport:
        async with Fetcher(transport=httpx.MockTransport(router.async_handler),
                           sleep=Waits()) as fetcher:
            return await check([case], fetcher, RunReport(),
                               CheckOptions(probe_url=None, sibling_probe=False),
                               archives=Archives(ArchiveSettings(), services))

    return asyncio.run(go())


def test_a_broken_archive_lookup_keeps_the_live_result() -> None:
    report = _check_with([BrokenService()])
    statuses = {r.cited.url: r for r in report.results if r.cited}
    gone = statuses["https://a.test/gone"]
    assert gone.status is Status.DEAD and gone.evidence is Evidence.UNKNOWN
    assert "internal error" in gone.lookups[0].detail
    assert statuses["https://a.test/fine"].status is Status.OK


def test_an_archive_error_is_a_failed_lookup_and_the_next_archive_is_asked() -> None:
    class Empty(ArchiveService):
        info = SERVICES[Archive.UKGWA]

        async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
            return Lookup(self.info.key, LookupOutcome.NOT_ARCHIVED, label=self.info.short)

    report = _check_with([RefusingService(), Empty()])
    gone = next(r for r in report.results if r.cited and r.cited.url.endswith("/gone"))
    assert [(x.service, x.outcome) for x in gone.lookups] == [
        ("wayback", LookupOutcome.FAILED), ("ukgwa", LookupOutcome.NOT_ARCHIVED)]
    assert "503" in gone.lookups[0].detail
    assert gone.evidence is Evidence.UNKNOWN  # a failed lookup never makes a link lost


def test_other_memento_archives_read_their_timemap_and_prove_the_capture() -> None:
    import httpx
    import respx

    from refcheck.archive import ArchiveSettings as Settings
    from refcheck.model import Capture

    page = "https://publications.parliament.uk/pa/cm201213/cmselect/cmeduc/137/137.pdf"
    timemap = (f'<{page}>; rel="original",\n'
               f'<https://parl.test/timemap/link/{page}>; rel="self"; '
               'type="application/link-format",\n'
               f'<https://parl.test/20121001000000/{page}>; rel="first memento"; '
               'datetime="Mon, 01 Oct 2012 00:00:00 GMT",\n'
               f'<https://parl.test/20131115000000/{page}>; rel="last memento"; '
               'datetime="Fri, 15 Nov 2013 00:00:00 GMT",')
    router = respx.MockRouter()
    router.get(f"https://parl.test/timemap/link/{page}").respond(200, text=timemap)
    router.get(f"https://parl.test/20131115000000/{page}").respond(
        200, headers={"Memento-Datetime": "Fri, 15 Nov 2013 00:00:00 GMT",
                      "content-type": "application/pdf"}, content=b"%PDF-1.4")
    router.get(url__startswith="https://ukgwa.test/").respond(404)
    settings = Settings(order=(Archive.UKGWA, Archive.PARLIAMENT),
                        urls=((Archive.UKGWA, "https://ukgwa.test/ukgwa"),
                              (Archive.PARLIAMENT, "https://parl.test")))
    waits = Waits()

    async def go() -> tuple[Capture | None, tuple[Lookup, ...]]:
        async with Fetcher(transport=httpx.MockTransport(router.async_handler), sleep=waits,
                           clock=waits.clock) as fetcher:
            return await Archives.build(settings, fetcher).lookup(
                page, dt.datetime(2013, 11, 29, tzinfo=dt.UTC))

    capture, lookups = asyncio.run(go())
    assert capture is not None
    assert [(x.service, x.outcome) for x in lookups] == [
        ("ukgwa", LookupOutcome.NOT_ARCHIVED), ("parliament", LookupOutcome.FOUND)]
    assert capture.url == f"https://parl.test/20131115000000/{page}"


@pytest.mark.parametrize("body", [
    "<html><head><title>Down for maintenance</title></head><body>We will be back soon."
    "</body></html>",
    "Service temporarily unavailable",
])
def test_a_timemap_answered_with_a_page_is_a_failed_lookup_not_no_copy(body: str) -> None:
    """An archive's maintenance or error page served 200 where its list of captures should
    be says nothing of whether it has a copy: the lookup failed, and the evidence is not
    called lost."""
    page = "https://publications.parliament.uk/pa/cm201213/cmselect/cmeduc/137/137.pdf"
    router = respx.MockRouter()
    router.get(f"https://parl.test/timemap/link/{page}").respond(
        200, text=body, headers={"content-type": "text/html"})
    settings = ArchiveSettings(order=(Archive.PARLIAMENT,),
                               urls=((Archive.PARLIAMENT, "https://parl.test"),))
    waits = Waits()

    async def go() -> tuple[object, tuple[Lookup, ...]]:
        async with Fetcher(transport=httpx.MockTransport(router.async_handler), sleep=waits,
                           clock=waits.clock) as fetcher:
            return await Archives.build(settings, fetcher).lookup(
                page, dt.datetime(2013, 11, 29, tzinfo=dt.UTC))

    capture, lookups = asyncio.run(go())
    assert capture is None
    assert [(x.service, x.outcome) for x in lookups] == [("parliament", LookupOutcome.FAILED)]
    assert "not a list of captures" in lookups[0].detail


def test_a_timemap_page_that_cannot_be_read_fails_the_lookup_not_no_copy() -> None:
    """The first page's only capture is a 404 page; the page nearer the date (rel="next")
    answers 503. Its captures may be the page: the lookup failed, the evidence is not lost."""
    page = "https://publications.parliament.uk/pa/cm201213/cmselect/cmeduc/137/137.pdf"
    first = (f'<https://parl.test/timemap/link/{page}>; rel="self",\n'
             f'<https://parl.test/20090101000000/{page}>; rel="memento"; '
             'datetime="Thu, 01 Jan 2009 00:00:00 GMT",\n'
             f'<https://parl.test/timemap/2/link/{page}>; rel="next"; '
             'type="application/link-format"; from="Fri, 01 Nov 2013 00:00:00 GMT",')
    router = respx.MockRouter()
    router.get(f"https://parl.test/timemap/link/{page}").respond(200, text=first)
    router.get(f"https://parl.test/timemap/2/link/{page}").respond(503)
    router.get(f"https://parl.test/20090101000000/{page}").respond(
        404, headers={"Memento-Datetime": "Thu, 01 Jan 2009 00:00:00 GMT"})
    settings = ArchiveSettings(order=(Archive.PARLIAMENT,),
                               urls=((Archive.PARLIAMENT, "https://parl.test"),))
    waits = Waits()

    async def go() -> tuple[object, tuple[Lookup, ...]]:
        async with Fetcher(transport=httpx.MockTransport(router.async_handler), sleep=waits,
                           clock=waits.clock) as fetcher:
            return await Archives.build(settings, fetcher).lookup(
                page, dt.datetime(2013, 11, 29, tzinfo=dt.UTC))

    capture, lookups = asyncio.run(go())
    assert capture is None
    assert [(x.service, x.outcome) for x in lookups] == [("parliament", LookupOutcome.FAILED)]
    assert "503" in lookups[0].detail
