"""How a large run is scheduled: the busiest host first and never idle, its connections
reused however many hosts there are, and the spacing a per-host interval (or a 429) asks
for. Against respx with an injected clock, and against real local servers that count the
connections each host is sent."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import itertools
import time
from collections.abc import Awaitable, Callable

import httpx
import respx

from refcheck.checker import check
from refcheck.http import Fetcher, HttpSettings
from refcheck.model import Case, CitedUrl, Fetch, Position, RunReport, Source, Status
from refcheck.throttle import LoopWatch
from tests.conftest import Waits
from tests.test_http import QUIET
from tests.test_transport import Server, keep_answering


def _case(name: str, urls: list[str]) -> Case:
    sources = tuple(
        Source(str(i), f"Source {i}", (CitedUrl(u, Position(name, i + 1, 1)),),
               Position(name, i + 1, 1))
        for i, u in enumerate(urls))
    return Case(name, "Case", sources)


def _run(cases: list[Case], fetcher: Fetcher) -> RunReport:
    report = RunReport()

    async def go() -> None:
        async with fetcher as f:
            await check(cases, f, report, QUIET)

    asyncio.run(asyncio.wait_for(go(), timeout=60))
    return report


def test_the_busiest_host_goes_first_across_case_files_and_is_never_idle() -> None:
    """The busiest host's queue sets how long a run takes: its links go first, whichever
    case file cites them, and each follows the last without another host between."""
    asked: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.host)
        for _ in range(5):
            await asyncio.sleep(0)  # the network's turn: an answer is never instant
        return httpx.Response(200, html="<title>Evidence</title>" + "<p>text</p>" * 50)

    router = respx.MockRouter()
    router.get(host__regex=r".*\.test").mock(side_effect=answer)
    singles = _case("a.yaml", [f"https://h{i}.test/page" for i in range(6)])
    busy = _case("b.yaml", [f"https://busy.test/{i}" for i in range(12)])
    fetcher = Fetcher(HttpSettings(concurrency=1, per_host=1),
                      transport=httpx.MockTransport(router.async_handler), sleep=Waits())
    report = _run([singles, busy], fetcher)
    assert asked[:12] == ["busy.test"] * 12
    assert sorted(asked[12:]) == [f"h{i}.test" for i in range(6)]
    assert {r.status for r in report.results} == {Status.OK}


def _twelve_hosts_of_five_links(per_host: int) -> tuple[list[int], RunReport]:
    """12 local servers of 5 links each, checked 2 at a time in all: the connections each
    server was sent, and the report."""

    async def go() -> tuple[list[int], RunReport]:
        servers = [Server(keep_answering, host=f"127.0.0.{n}") for n in range(2, 14)]
        for server in servers:
            await server.__aenter__()
        try:
            urls = [f"http://{s.host}:{s.port}/evidence/{i}" for s in servers for i in range(5)]
            cases = [_case("a.yaml", urls[:30]), _case("b.yaml", urls[30:])]
            report = RunReport()
            async with Fetcher(HttpSettings(concurrency=2, per_host=per_host),
                               watch_loop=False) as f:
                await check(cases, f, report, QUIET)
            return [s.connections for s in servers], report
        finally:
            for server in servers:
                await server.__aexit__()

    return asyncio.run(asyncio.wait_for(go(), timeout=60))


def test_a_hosts_connections_are_reused_however_many_hosts_there_are() -> None:
    """12 hosts of 5 links each, 2 requests at a time in all: more hosts than the pool
    keeps idle connections for (8). Each host is still sent one connection for its five
    requests: a host's links follow each other while its connection is kept, instead of
    waiting their turn behind every other host's."""
    connections, report = _twelve_hosts_of_five_links(per_host=1)
    assert len(report.results) == 60
    assert not any(r.failure for r in report.results)
    assert connections == [1] * 12


def test_no_connection_of_a_host_with_links_started_is_closed_to_make_room() -> None:
    """12 hosts of 5 links, 2 connections each, 2 requests at a time in all: the links
    started at once belong to more hosts than the concurrency, and each host may hold
    two connections. The pool keeps one for every connection those hosts hold, so none
    of them is sent more than two, whatever order their answers come in."""
    connections, report = _twelve_hosts_of_five_links(per_host=2)
    assert not any(r.failure for r in report.results) and len(report.results) == 60
    assert connections == [2] * 12


def _timed(router: respx.MockRouter, waits: Waits, host: str,
           times: list[dt.datetime], *responses: httpx.Response) -> None:
    answers = iter(responses)

    def answer(request: httpx.Request) -> httpx.Response:
        times.append(waits.now)
        return next(answers, httpx.Response(200, html="<title>Evidence</title>" + "x" * 900))

    router.get(host=host).mock(side_effect=answer)


def test_a_host_interval_spaces_the_starts_of_a_hosts_requests() -> None:
    """--host-interval 2: at least 2 s between the starts of two requests to one host
    (on the injected clock)."""
    waits = Waits()
    router = respx.MockRouter()
    spaced: list[dt.datetime] = []
    other: list[dt.datetime] = []
    _timed(router, waits, "a.test", spaced)
    _timed(router, waits, "b.test", other)
    fetcher = Fetcher(HttpSettings(concurrency=4, per_host=2, host_interval=2.0),
                      transport=httpx.MockTransport(router.async_handler), sleep=waits,
                      clock=waits.clock)
    report = _run([_case("a.yaml", [f"https://a.test/{i}" for i in range(4)]
                         + ["https://b.test/x"])], fetcher)
    assert {r.status for r in report.results} == {Status.OK}
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(spaced)]
    assert len(spaced) == 4 and all(gap >= 2.0 for gap in gaps), gaps
    assert len(other) == 1


def test_a_429_widens_the_hosts_interval_for_the_rest_of_the_run() -> None:
    """A host that answered 429 with Retry-After: 5 has its later requests started at
    least 5 s apart, not only the retried one."""
    waits = Waits()
    router = respx.MockRouter()
    times: list[dt.datetime] = []
    _timed(router, waits, "busy.test", times,
           httpx.Response(429, headers={"Retry-After": "5"}))
    fetcher = Fetcher(HttpSettings(concurrency=4, per_host=1, retries=2),
                      transport=httpx.MockTransport(router.async_handler), sleep=waits,
                      clock=waits.clock, jitter=lambda: 0.0)
    report = _run([_case("a.yaml", [f"https://busy.test/{i}" for i in range(4)])], fetcher)
    assert {r.status for r in report.results} == {Status.OK}
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert len(times) == 5 and all(gap >= 5.0 for gap in gaps), gaps


class _Held(httpx.AsyncBaseTransport):
    """Holds every request until the test lets them go; counts those in flight."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.held: list[asyncio.Future[None]] = []
        self.by_host: dict[str, list[asyncio.Future[None]]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.host)
        turn = asyncio.get_running_loop().create_future()
        self.held.append(turn)
        self.by_host.setdefault(request.url.host, []).append(turn)
        await turn
        return httpx.Response(200, html="<title>Evidence</title>" + "<p>text</p>" * 50)

    def in_flight(self) -> int:
        return sum(not t.done() for t in self.held)

    def let_go(self) -> None:
        for turn in self.held:
            if not turn.done():
                turn.set_result(None)


def _let_go_of(transport: _Held, host: str) -> None:
    for turn in transport.by_host.get(host, []):
        if not turn.done():
            turn.set_result(None)


async def _settle() -> None:
    """Let every task that can go on do so (no time passes)."""
    for _ in range(50):
        await asyncio.sleep(0)


def test_while_the_loop_runs_late_only_the_busiest_hosts_go_past_the_lowered_limit() -> None:
    """A late event loop (told to the throttle here, as the loop watch would) lowers the
    global limit: the links of hosts with one link each wait, the busiest host's go at
    once; once the loop keeps time again the limit rises and the others go too."""
    transport = _Held()
    fetcher = Fetcher(HttpSettings(concurrency=40, per_host=2), transport=transport,
                      sleep=Waits(), watch_loop=False)
    singles = [f"https://h{i}.test/page" for i in range(60)]
    busy = [f"https://busy.test/{i}" for i in range(30)]

    async def go() -> list[Fetch]:
        async with fetcher as f:
            f.expect([*singles, *busy])
            first = [asyncio.create_task(f.fetch(url)) for url in singles[:30]]
            await _settle()
            assert transport.in_flight() == 30
            for _ in range(20):
                f.throttle.judge(0.05)  # 50 ms late, time after time
            later = [asyncio.create_task(f.fetch(url)) for url in [*singles[30:], *busy]]
            await _settle()
            # The busiest host's links go at once, past the lowered limit (within the
            # run's); no other host's does.
            assert transport.asked.count("busy.test") == 2
            assert transport.in_flight() == 32
            transport.let_go()
            await _settle()
            assert transport.in_flight() <= 16
            for _ in range(40):
                f.throttle.judge(0.0)  # on time again: the limit rises back to 40
            await _settle()
            assert transport.in_flight() > 16
            while not all(t.done() for t in [*first, *later]):
                transport.let_go()
                await _settle()
            return [t.result() for t in [*first, *later]]

    results = asyncio.run(asyncio.wait_for(go(), timeout=60))
    assert all(r.answer is not None and r.answer.status == 200 for r in results)


def _late_loop(singles: int, busy: int,
               look: Callable[[Fetcher, _Held], Awaitable[None]]) -> None:
    """``singles`` one-link hosts fetched after the loop has run late for a while, beside
    a busiest host with ``busy`` links expected (``https://busy.test/0`` …); ``look`` sees
    them in flight, then every fetch is let go."""
    transport = _Held()
    fetcher = Fetcher(HttpSettings(concurrency=40, per_host=1), transport=transport,
                      sleep=Waits(), watch_loop=False)
    one_link = [f"https://h{i}.test/page" for i in range(singles)]

    async def go() -> None:
        async with fetcher as f:
            f.expect([*one_link, *(f"https://busy.test/{i}" for i in range(busy))])
            for _ in range(20):
                f.throttle.judge(0.05)  # 50 ms late, time after time
            tasks = [asyncio.create_task(f.fetch(url)) for url in one_link]
            await _settle()
            await look(f, transport)
            while not all(t.done() for t in tasks):
                transport.let_go()
                await _settle()

    asyncio.run(asyncio.wait_for(go(), timeout=60))


def test_a_late_loop_never_holds_back_hosts_with_little_work_until_they_outlast_the_busiest(
) -> None:
    """300 one-link hosts and a busiest host with ten links: held back to a few links in
    flight, the small hosts would still be checked long after the busiest one is done, so
    however late the loop runs they keep what they need to be done with it."""

    async def look(fetcher: Fetcher, transport: _Held) -> None:
        assert transport.in_flight() == 40

    _late_loop(300, 10, look)


def test_a_late_loop_lets_more_links_go_once_the_small_hosts_fall_behind_the_busiest(
) -> None:
    """Held back to 16 while the busiest host had plenty left, the one-link hosts get more
    links in flight, late loop or not, once the busiest host's work runs low."""

    async def look(fetcher: Fetcher, transport: _Held) -> None:
        assert transport.in_flight() == 16
        for i in range(96):  # checked elsewhere meanwhile: four are left
            fetcher.checked(f"https://busy.test/{i}")
        fetcher.throttle.judge(0.05)
        await _settle()
        assert transport.in_flight() > 16

    _late_loop(60, 100, look)


def test_the_loop_watch_measures_how_late_a_blocked_loop_runs_its_timer() -> None:
    late: list[float] = []

    async def go() -> None:
        watch = LoopWatch(late.append)
        watch.start()
        try:
            while not late:  # the first measurement, then the loop is held up
                await asyncio.sleep(0)
            held_until = time.perf_counter() + 0.05
            while time.perf_counter() < held_until:  # work that does not let the loop run
                pass
            seen = len(late)
            while len(late) == seen:
                await asyncio.sleep(0)
        finally:
            watch.stop()

    asyncio.run(asyncio.wait_for(go(), timeout=60))
    assert max(late) >= 0.035


class _Bunch(httpx.AsyncBaseTransport):
    """Holds the first ``size`` requests, then answers them all at once, the first one
    asked last; later requests are answered at once. Notes how many results the run had
    reported when each request was made."""

    def __init__(self, size: int, report: RunReport) -> None:
        self.size = size
        self.report = report
        self.asked: list[tuple[str, int]] = []
        self.held: list[asyncio.Future[None]] = []
        self.answered: Callable[[], None] = lambda: None  # told when the bunch is answered

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append((str(request.url), len(self.report.results)))
        if len(self.held) < self.size:
            turn = asyncio.get_running_loop().create_future()
            self.held.append(turn)
            if len(self.held) == self.size:
                for held in reversed(self.held):
                    held.set_result(None)
                self.answered()
            await turn
        return httpx.Response(200, html="<title>Evidence</title>" + "<p>text</p>" * 50)


def test_a_bunch_of_answers_does_not_hold_up_the_request_a_slot_was_handed_to() -> None:
    """31 answers at once, the busiest host's last: its next link's request goes out
    before the bunch is judged and reported, not after all thirty others."""
    report = RunReport()
    transport = _Bunch(31, report)
    singles = [f"https://h{i}.test/page" for i in range(30)]
    busy = ["https://busy.test/1", "https://busy.test/2"]

    async def go() -> None:
        async with Fetcher(HttpSettings(concurrency=64, per_host=1), transport=transport,
                           sleep=Waits(), watch_loop=False) as f:
            await check([_case("a.yaml", [*busy, *singles])], f, report, QUIET)

    asyncio.run(asyncio.wait_for(go(), timeout=60))
    assert len(report.results) == 32
    reported_before = dict(transport.asked)
    assert reported_before["https://busy.test/2"] <= 1, reported_before
    # Answered last of the bunch, the busiest host's link is judged (and ended) first.
    first = report.results[0].cited
    assert first is not None and first.url == "https://busy.test/1"


def test_answers_waiting_to_be_judged_lower_the_limit_as_a_late_loop_does() -> None:
    """Answers judged one per turn keep the loop on time however many wait: how long the
    oldest has waited counts as lateness."""
    transport = _Held()
    fetcher = Fetcher(HttpSettings(concurrency=40, per_host=1), transport=transport,
                      sleep=Waits(), watch_loop=False)
    urls = [f"https://h{i}.test/page" for i in range(60)]
    # A busy host with 400 links still to come: the one-link hosts have time to wait.
    later = [f"https://busy.test/{i}" for i in range(400)]

    async def go() -> None:
        async with fetcher as f:
            f.expect([*urls, *later])
            fetcher.throttle.backlog = lambda: 0.05  # the oldest answer waited 50 ms
            for _ in range(200):
                f.throttle.look(0.0)  # the loop itself on time
            tasks = [asyncio.create_task(f.fetch(url)) for url in urls]
            await _settle()
            assert transport.in_flight() == 16
            fetcher.throttle.backlog = lambda: 0.0
            while not all(t.done() for t in tasks):
                for _ in range(100):
                    f.throttle.look(0.0)
                transport.let_go()
                await _settle()

    asyncio.run(asyncio.wait_for(go(), timeout=60))


def test_a_host_interval_holds_when_its_links_wait_for_global_slots() -> None:
    """The interval counts from when a request really starts: two links of a host that
    both waited for a global slot do not go out back to back once they get one."""
    waits = Waits()
    sent: list[tuple[str, dt.datetime]] = []

    class Noted(_Held):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append((request.url.host, waits.now))
            return await super().handle_async_request(request)

    transport = Noted()

    async def go() -> None:
        async with Fetcher(HttpSettings(concurrency=1, per_host=2, host_interval=5.0),
                           transport=transport, sleep=waits, clock=waits.clock,
                           watch_loop=False) as f:
            urls = ["https://other.test/1", "https://x.test/1", "https://x.test/2"]
            f.expect(urls)
            tasks = [asyncio.create_task(f.fetch(url)) for url in urls]
            while not all(t.done() for t in tasks):
                await _settle()
                transport.let_go()

    asyncio.run(asyncio.wait_for(go(), timeout=60))
    times = [at for host, at in sent if host == "x.test"]
    assert len(times) == 2 and (times[1] - times[0]).total_seconds() >= 5.0, sent


def test_a_run_stopped_while_answers_wait_their_turn_reports_them() -> None:
    """Stopped (Ctrl-C) just after thirty answers came at once, before most were judged:
    every one of them is in the report, judged then."""
    report = RunReport()
    transport = _Bunch(30, report)
    urls = [f"https://h{i}.test/page" for i in range(30)]

    async def go() -> None:
        async with Fetcher(HttpSettings(concurrency=64, per_host=1), transport=transport,
                           sleep=Waits(), watch_loop=False) as f:
            run = asyncio.create_task(check([_case("a.yaml", urls)], f, report, QUIET))
            loop = asyncio.get_running_loop()
            # Two turns after the answers: they have been read, not yet judged.

            def stop_soon() -> None:
                loop.call_soon(lambda: loop.call_soon(run.cancel))

            transport.answered = stop_soon
            with contextlib.suppress(asyncio.CancelledError):
                await run

    asyncio.run(asyncio.wait_for(go(), timeout=60))
    assert sorted(r.cited.url for r in report.results if r.cited) == sorted(urls)
    assert {r.status for r in report.results} == {Status.OK}


def test_while_the_loop_runs_late_a_small_host_gives_its_slot_back() -> None:
    """Over the lowered limit, a host with a few links left does not hand its global slot
    to its next link: the slot goes back, and its next link waits with the others."""
    transport = _Held()
    fetcher = Fetcher(HttpSettings(concurrency=40, per_host=1), transport=transport,
                      sleep=Waits(), watch_loop=False)
    few = [f"https://few.test/{i}" for i in range(4)]
    singles = [f"https://h{i}.test/page" for i in range(29)]
    busy = [f"https://busy.test/{i}" for i in range(30)]

    async def go() -> None:
        async with fetcher as f:
            f.expect([*few, *singles, *busy])
            tasks = [asyncio.create_task(f.fetch(url)) for url in [*few, *singles]]
            await _settle()
            assert transport.in_flight() == 30
            for _ in range(20):
                f.throttle.judge(0.05)
            _let_go_of(transport, "few.test")
            await _settle()
            assert transport.asked.count("few.test") == 1
            assert transport.in_flight() == 29
            while not all(t.done() for t in tasks):
                for _ in range(40):
                    f.throttle.judge(0.0)
                transport.let_go()
                await _settle()

    asyncio.run(asyncio.wait_for(go(), timeout=60))
    assert transport.asked.count("few.test") == 4


def test_a_host_with_one_link_is_not_put_off_until_the_busiest_hosts_are_done() -> None:
    """The busiest hosts' answers are judged first, but an answer that has waited long
    enough goes before them: the one-link host is reported long before the end."""
    report = RunReport()

    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        return httpx.Response(200, html="<title>Evidence</title>" + "<p>text</p>" * 50)

    router = respx.MockRouter()
    router.get(host__regex=r".*\.test").mock(side_effect=answer)
    busy = [f"https://busy{b}.test/{i}" for b in range(3) for i in range(200)]

    async def go() -> None:
        async with Fetcher(HttpSettings(concurrency=64, per_host=4),
                           transport=httpx.MockTransport(router.async_handler),
                           sleep=Waits(), watch_loop=False) as f:
            await check([_case("a.yaml", [*busy, "https://one.test/page"])], f, report,
                        QUIET)

    asyncio.run(asyncio.wait_for(go(), timeout=60))
    order = [r.cited.url for r in report.results if r.cited]
    assert len(order) == 601
    assert order.index("https://one.test/page") < 300


def test_a_run_stopped_during_a_links_probe_reports_the_link() -> None:
    """Stopped while a redirected link's made-up sibling is being asked for: the link is
    reported, judged without the probe."""
    report = RunReport()
    probing = asyncio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        if "refcheck-probe" in request.url.path:
            probing.set()
            await asyncio.Event().wait()  # never answered
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "https://a.test/new"})
        return httpx.Response(200, html="<title>Evidence</title>" + "<p>text</p>" * 50)

    router = respx.MockRouter()
    router.get(host__regex=r".*\.test").mock(side_effect=answer)

    async def go() -> None:
        async with Fetcher(HttpSettings(concurrency=8, per_host=2),
                           transport=httpx.MockTransport(router.async_handler),
                           sleep=Waits(), watch_loop=False) as f:
            options = dataclasses.replace(QUIET, sibling_probe=True)
            run = asyncio.create_task(
                check([_case("a.yaml", ["https://a.test/old"])], f, report, options))
            await probing.wait()
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run

    asyncio.run(asyncio.wait_for(go(), timeout=60))
    assert [r.status for r in report.results] == [Status.MOVED]


def test_a_stopped_run_starts_no_more_links() -> None:
    """Stopped with two links in flight and eight to come: the two are given up and
    none of the eight is asked for."""
    transport = _Held()
    report = RunReport()
    urls = [f"https://h{i}.test/page" for i in range(10)]

    async def go() -> None:
        async with Fetcher(HttpSettings(concurrency=2, per_host=1), transport=transport,
                           sleep=Waits(), watch_loop=False) as f:
            run = asyncio.create_task(check([_case("a.yaml", urls)], f, report, QUIET))
            await _settle()
            assert transport.in_flight() == 2
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run
            await _settle()

    asyncio.run(asyncio.wait_for(go(), timeout=60))
    assert len(transport.asked) == 2
