"""The fetcher against respx-mocked transports: redirects, retries, limits, caps."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import socket
import ssl
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from refcheck import __version__
from refcheck.checker import CheckOptions, check
from refcheck.http import Fetcher, HttpSettings
from refcheck.model import Case, CitedUrl, FailureKind, Position, RunReport, Source, Status
from refcheck.transport import failure_of
from refcheck.verdict import classify
from tests.conftest import Waits

HTML = {"content-type": "text/html"}
QUIET = CheckOptions(probe_url=None, sibling_probe=False)


def fetcher(router: respx.MockRouter, waits: Waits | None = None, **settings: Any) -> Fetcher:
    waits = waits or Waits()
    return Fetcher(HttpSettings(**settings), transport=httpx.MockTransport(router.async_handler),
                   sleep=waits, clock=waits.clock, jitter=lambda: 0.0, watch_loop=False)


def fetch(router: respx.MockRouter, url: str, waits: Waits | None = None,
          **settings: Any) -> Any:
    async def go() -> Any:
        async with fetcher(router, waits, **settings) as f:
            return await f.fetch(url)
    return asyncio.run(go())


def test_redirect_chain_is_recorded_hop_by_hop_with_relative_locations() -> None:
    router = respx.MockRouter()
    router.get("https://a.test/old").respond(301, headers={"Location": "/mid/x"})
    router.get("https://a.test/mid/x").respond(302, headers={"Location": "../new"})
    router.get("https://a.test/new").respond(200, html="<title>New</title>")
    result = fetch(router, "https://a.test/old")
    assert [(h.url, h.status, h.location) for h in result.hops] == [
        ("https://a.test/old", 301, "https://a.test/mid/x"),
        ("https://a.test/mid/x", 302, "https://a.test/new"),
    ]
    assert result.answer.url == "https://a.test/new"


def test_redirect_loop_is_detected() -> None:
    router = respx.MockRouter()
    router.get("https://a.test/a").respond(302, headers={"Location": "/b"})
    router.get("https://a.test/b").respond(302, headers={"Location": "/a"})
    result = fetch(router, "https://a.test/a")
    assert result.failure.kind is FailureKind.REDIRECT_LOOP
    assert len(result.hops) == 2


def test_hop_limit_stops_endless_new_redirects() -> None:
    router = respx.MockRouter()
    counter = iter(range(1000))
    router.get(url__regex=r"https://a.test/n/\d+").mock(
        side_effect=lambda request: httpx.Response(
            302, headers={"Location": f"/n/{next(counter) + 100}"}))
    result = fetch(router, "https://a.test/n/0", max_redirects=5)
    assert result.failure.kind is FailureKind.TOO_MANY_REDIRECTS
    assert len(result.hops) == 5


def test_503_is_retried_with_backoff_then_succeeds() -> None:
    router = respx.MockRouter()
    route = router.get("https://a.test/x")
    route.side_effect = [httpx.Response(503), httpx.Response(503),
                         httpx.Response(200, html="<title>ok</title>")]
    waits = Waits()
    result = fetch(router, "https://a.test/x", waits, retries=2, backoff_base=1.0)
    assert result.answer.status == 200
    assert result.attempts == 3
    assert waits.asked == [0.5, 1.0]  # jitter 0: half of 1 s, then half of 2 s


def test_429_waits_as_long_as_retry_after_says() -> None:
    router = respx.MockRouter()
    router.get("https://a.test/x").side_effect = [
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, html="ok")]
    waits = Waits()
    result = fetch(router, "https://a.test/x", waits)
    assert result.answer.status == 200
    assert waits.asked == [7.0]


def test_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    router = respx.MockRouter()
    route = router.get("https://a.test/x").respond(429, headers={"Retry-After": "3600"})
    waits = Waits()
    result = fetch(router, "https://a.test/x", waits, max_retry_after=120)
    assert result.answer.status == 429
    assert route.call_count == 1 and waits.asked == []


@pytest.mark.parametrize("code", [404, 410])
def test_404_and_410_are_not_retried(code: int) -> None:
    router = respx.MockRouter()
    route = router.get("https://a.test/x").respond(code)
    result = fetch(router, "https://a.test/x")
    assert result.answer.status == code and route.call_count == 1


def _connect_error(cause: BaseException) -> Callable[[httpx.Request], httpx.Response]:
    def raise_it(request: httpx.Request) -> httpx.Response:
        try:
            raise cause
        except BaseException as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
    return raise_it


class Raising(httpx.AsyncBaseTransport):
    """A transport whose every request fails with a chained exception, as real ones do.
    (respx re-raises side-effect exceptions without their cause, so it cannot show this.)"""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return _connect_error(self.cause)(request)


def fetch_with(transport: httpx.AsyncBaseTransport, url: str) -> Any:
    async def go() -> Any:
        async with Fetcher(HttpSettings(), transport=transport, sleep=Waits()) as f:
            return await f.fetch(url)
    return asyncio.run(go())


def test_dns_failure_is_not_retried() -> None:
    transport = Raising(socket.gaierror(-2, "Name or service not known"))
    result = fetch_with(transport, "https://gone.test/x")
    assert result.failure.kind is FailureKind.DNS and transport.calls == 1


def test_tls_failure_is_not_retried_and_names_the_problem() -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_code, error.verify_message = 10, "certificate has expired"
    transport = Raising(error)
    result = fetch_with(transport, "https://old.test/x")
    assert result.failure.kind is FailureKind.TLS
    assert result.failure.message == "certificate expired"
    assert transport.calls == 1


def test_timeouts_and_resets_are_retried() -> None:
    router = respx.MockRouter()
    router.get("https://a.test/x").side_effect = [
        httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("Server disconnected"),
        httpx.Response(200, html="ok")]
    result = fetch(router, "https://a.test/x", retries=2)
    assert result.answer.status == 200 and result.attempts == 3


def test_refused_connection_is_not_retried() -> None:
    transport = Raising(ConnectionRefusedError(111, "Connection refused"))
    result = fetch_with(transport, "https://a.test/x")
    assert result.failure.kind is FailureKind.REFUSED and transport.calls == 1


def test_only_get_is_used_so_a_wrong_head_answer_cannot_matter() -> None:
    router = respx.MockRouter(assert_all_called=False)
    head = router.head("https://a.test/x").respond(404)
    router.get("https://a.test/x").respond(200, html="<title>fine</title>")
    result = fetch(router, "https://a.test/x")
    assert result.answer.status == 200 and head.call_count == 0


def test_user_agent_names_refcheck_and_can_be_changed() -> None:
    router = respx.MockRouter()
    route = router.get("https://a.test/x").respond(200)
    fetch(router, "https://a.test/x")
    assert route.calls.last.request.headers["User-Agent"].startswith(f"refcheck/{__version__}")
    fetch(router, "https://a.test/x", user_agent="Mozilla/5.0 (audit)")
    assert route.calls.last.request.headers["User-Agent"] == "Mozilla/5.0 (audit)"


def test_body_is_capped() -> None:
    router = respx.MockRouter()
    router.get("https://a.test/big").respond(200, headers=HTML, content=b"x" * 5_000_000)
    result = fetch(router, "https://a.test/big", max_bytes=100_000)
    assert len(result.answer.body) == 100_000 and result.answer.truncated


def test_gzip_bomb_is_cut_off_at_the_cap() -> None:
    bomb = gzip.compress(b"<title>bomb</title>" + b"0" * 50_000_000)
    router = respx.MockRouter()
    router.get("https://a.test/bomb").respond(
        200, headers={**HTML, "content-encoding": "gzip"}, content=bomb)
    result = fetch(router, "https://a.test/bomb", max_bytes=65_536)
    assert len(result.answer.body) == 65_536 and result.answer.truncated
    assert result.answer.body.startswith(b"<title>bomb</title>")


def test_pdf_body_is_not_read() -> None:
    """Only a PDF's start is read (to see an HTML page sent as one), never the rest."""
    router = respx.MockRouter()
    router.get("https://a.test/r.pdf").respond(
        200, headers={"content-type": "application/pdf"}, content=b"%PDF" + b"0" * 100_000)
    result = fetch(router, "https://a.test/r.pdf")
    assert result.answer.status == 200 and result.answer.body.startswith(b"%PDF")
    assert len(result.answer.body) <= 1024 and result.answer.truncated


def test_cookie_set_by_a_redirect_is_sent_on_the_next_hop() -> None:
    router = respx.MockRouter()

    def gate(request: httpx.Request) -> httpx.Response:
        if "seen=1" in request.headers.get("cookie", ""):
            return httpx.Response(200, html="<title>in</title>")
        return httpx.Response(302, headers={"Location": "/gate", "Set-Cookie": "seen=1; Path=/"})

    router.get("https://a.test/start").respond(302, headers={"Location": "/gate"})
    router.get("https://a.test/gate").mock(side_effect=gate)
    result = fetch(router, "https://a.test/start")
    assert result.answer is not None and result.answer.status == 200


def test_deadline_stops_a_body_that_never_ends() -> None:
    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b"<title>slow"
            await asyncio.Event().wait()  # never set: only the deadline ends this

    router = respx.MockRouter()
    router.get("https://a.test/slow").respond(200, headers=HTML, stream=Trickle())
    result = fetch(router, "https://a.test/slow", deadline=0.05, retries=0)
    assert result.failure.kind is FailureKind.DEADLINE


def test_exceptions_are_translated_by_their_cause() -> None:
    """By type along the chain of causes, as httpx's own transport raises them (httpx's
    exception from httpcore's from the socket's): never by class name or message text."""
    def chained(*errors: BaseException) -> BaseException:
        for outer, inner in itertools.pairwise(errors):
            outer.__cause__ = inner
        return errors[0]

    import httpcore

    assert failure_of(chained(httpx.ConnectError("x"), ConnectionResetError())).kind \
        is FailureKind.RESET
    assert failure_of(httpx.ConnectTimeout("x")).kind is FailureKind.TIMEOUT
    assert failure_of(chained(httpx.ConnectError("x"), httpcore.ConnectError("x"),
                              socket.gaierror(-2, "Name or service not known"))).kind \
        is FailureKind.DNS
    assert failure_of(chained(httpx.ConnectError("x"), httpcore.ConnectError("x"),
                              ConnectionRefusedError(111, "refused"))).kind \
        is FailureKind.REFUSED
    # A message that merely reads like a DNS failure is not one.
    assert failure_of(httpx.ConnectError("[Errno -2] Name or service not known")).kind \
        is FailureKind.OTHER
    assert failure_of(httpx.InvalidURL("bad port")).kind is FailureKind.INVALID_URL


# -- the pipeline's scheduling ------------------------------------------------------------

def _case(urls: list[str]) -> Case:
    sources = tuple(
        Source(id=f"s{i}", title=f"Source {i}", urls=(CitedUrl(u, Position("c.yaml", i + 1, 10)),),
               position=Position("c.yaml", i + 1, 3))
        for i, u in enumerate(urls))
    return Case(path="c.yaml", title="T", sources=sources)


def run_check(router: respx.MockRouter, case: Case, **settings: Any) -> RunReport:
    async def go() -> RunReport:
        async with fetcher(router, **settings) as f:
            return await check([case], f, RunReport(), QUIET)
    return asyncio.run(asyncio.wait_for(go(), timeout=10))


def test_url_cited_many_times_is_fetched_once() -> None:
    router = respx.MockRouter()
    route = router.get("https://a.test/x").respond(200, html="ok")
    report = run_check(router, _case(["https://a.test/x"] * 3 + ["https://a.test/x#part"]))
    assert route.call_count == 1
    assert [r.status for r in report.results] == [Status.OK] * 4


def test_busy_host_does_not_hold_global_slots() -> None:
    """500 links on a stalled host, 20 elsewhere: the others finish while the host stalls."""
    router = respx.MockRouter()
    others_done = asyncio.Event()
    finished: list[str] = []

    async def stalled(request: httpx.Request) -> httpx.Response:
        await others_done.wait()
        return httpx.Response(200, html="late")

    def quick(request: httpx.Request) -> httpx.Response:
        finished.append(str(request.url))
        if len(finished) == 20:
            others_done.set()
        return httpx.Response(200, html="ok")

    router.get(host="busy.test").mock(side_effect=stalled)
    router.get(host__regex=r"h\d+\.test").mock(side_effect=quick)
    urls = [f"https://busy.test/{i}" for i in range(500)]
    urls += [f"https://h{i}.test/x" for i in range(20)]
    report = run_check(router, _case(urls), concurrency=4, per_host=2)
    assert len(finished) == 20
    assert [r.status for r in report.results].count(Status.OK) == 520


def test_global_limit_bounds_requests_in_flight() -> None:
    router = respx.MockRouter()
    in_flight = 0
    most = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        for _ in range(5):
            await asyncio.sleep(0)  # yield to the loop so others can start
        in_flight -= 1
        return httpx.Response(200, html="ok")

    router.get(host__regex=r"h\d+\.test").mock(side_effect=handler)
    run_check(router, _case([f"https://h{i}.test/x" for i in range(30)]), concurrency=3)
    assert most == 3


def test_links_start_as_slots_free_not_all_at_once() -> None:
    """With thousands of links, only the links that can be in flight are started (twice
    the concurrency, and at most one host's allowance more, as a host's links are started
    together): the first requests do not wait for every link's first step, and a run holds
    tasks and answers for the links in flight, not for the whole corpus."""
    started = 0
    started_at_first_request: list[int] = []

    class Counting(Fetcher):
        async def fetch(self, url: str, **options: Any) -> Any:
            nonlocal started
            started += 1
            return await super().fetch(url, **options)

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # opening a connection takes a turn of the event loop
        started_at_first_request.append(started)
        return httpx.Response(200, html="ok")

    urls = [f"https://h{i % 20}.test/{i}" for i in range(400)]

    report = RunReport()

    async def go() -> None:  # returns nothing: asyncio.run would repr a large result
        async with Counting(HttpSettings(concurrency=128, per_host=10),
                            transport=httpx.MockTransport(handler)) as f:
            await check([_case(urls)], f, report, QUIET)

    asyncio.run(asyncio.wait_for(go(), timeout=10))
    assert max(started_at_first_request[:10]) <= 2 * 128 + 2 * 10 < 400
    assert [r.status for r in report.results].count(Status.OK) == 400


def test_one_failing_link_does_not_stop_the_others() -> None:
    router = respx.MockRouter()
    router.get("https://a.test/ok").respond(200, html="ok")
    router.get("https://a.test/boom").mock(side_effect=RuntimeError("bug in a handler"))
    report = run_check(router, _case(["https://a.test/boom", "https://a.test/ok"]))
    by_url = {r.cited.url: r for r in report.results if r.cited}
    assert by_url["https://a.test/ok"].status is Status.OK
    assert by_url["https://a.test/boom"].status is Status.ERROR
    assert "internal error" in by_url["https://a.test/boom"].detail


def test_url_with_a_space_is_invalid_without_a_request() -> None:
    router = respx.MockRouter(assert_all_called=False)
    report = run_check(router, _case(["http://a.test/Boyle C hris.pdf"]))
    (result,) = report.results
    assert result.status is Status.INVALID and "contains a space" in result.detail


def test_unparseable_url_is_invalid() -> None:
    router = respx.MockRouter(assert_all_called=False)
    report = run_check(router, _case(["http://a.test:port/x"]))
    (result,) = report.results
    assert result.status is Status.INVALID
    assert result.detail == ("not a usable web address: the port `port` (after the `:`) is not "
                             "a number from 1 to 65535; most addresses need no port: delete "
                             "`:port`")


@pytest.mark.parametrize(("url", "detail"), [
    ("https://[::1", "the `[` that starts an IPv6 address is never closed"),
    ("http://a.test/\x00x", "the invisible control character `\\x00` (character 15) cannot be "
     "part of a web address"),
    ("http://a.test:99999/", "port 99999 is out of range (1-65535)"),
    (f"http://{'a' * 300}.test/", "a part of the host name is 300 characters long, more than "
     "the 63 allowed between dots"),
    # Word's optional hyphen and a web page's zero-width space, pasted with the address:
    # invisible in the case file, and a 404 ("dead") if requested.
    ("http://a.test/young-carers-evalu\u00adation.html", "the invisible character `\\xad` "
     "(soft hyphen, character 33) cannot be part of a web address; delete it"),
    ("http://a.test/young-carers\u200b-evaluation", "the invisible character `\\u200b` (zero "
     "width space, character 27)"),
])
def test_an_address_that_cannot_be_requested_is_invalid_in_plain_words(url: str,
                                                                      detail: str) -> None:
    """Not `error` ("connection refused", "encoding with 'idna' codec failed"): the address
    itself is wrong, and nothing is requested."""
    router = respx.MockRouter(assert_all_called=False)
    route = router.route().respond(200, html="ok")
    (result,) = run_check(router, _case([url])).results
    assert result.status is Status.INVALID
    assert result.detail.startswith(f"not a usable web address: {detail}")
    assert route.call_count == 0


@pytest.mark.parametrize(("location", "detail"), [
    ("http://a.test:99999/x", "'http://a.test:99999/x': port 99999 is out of range (1-65535)"),
    (f"http://{'a' * 300}.test/", f"'http://{'a' * 300}.test/': a part of the host name is 300 "
     "characters long, more than the 63 allowed between dots (and 253 for the whole name)"),
    ("http://[::1/", "'http://[::1/': the `[` that starts an IPv6 address is never closed"),
])
def test_a_redirect_to_an_address_that_cannot_be_requested_is_the_servers_fault(
        location: str, detail: str) -> None:
    router = respx.MockRouter(assert_all_called=False)
    router.get("https://a.test/old").respond(302, headers={"Location": location})
    other = router.route().respond(200, html="ok")
    (result,) = run_check(router, _case(["https://a.test/old"])).results
    assert result.status is Status.ERROR
    assert result.detail.startswith(f"the server redirected to an unusable address ({detail})")
    assert "correct the number" not in result.detail  # advice for the case file's own URLs
    assert other.call_count == 0


def test_cookies_go_back_only_to_the_host_that_set_them() -> None:
    router = respx.MockRouter()
    router.get("https://a.test/start").respond(
        302, headers={"Location": "https://b.test/x", "Set-Cookie": "session=secret; Path=/"})
    other = router.get("https://b.test/x").respond(200, html="<title>b</title>")
    fetch(router, "https://a.test/start")
    assert "cookie" not in other.calls.last.request.headers


class Turnstile(httpx.AsyncBaseTransport):
    """Answers one request at a time, when told to: records the order requests arrive in.
    /start redirects to /next; everything else is a page."""

    def __init__(self) -> None:
        self.arrived: list[str] = []
        self.go = asyncio.Semaphore(0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.arrived.append(request.url.path)
        await self.go.acquire()
        if request.url.path == "/start":
            return httpx.Response(301, headers={"Location": "/next"})
        return httpx.Response(200, headers=HTML, content=b"<title>x</title>")


async def one_at_a_time(transport: Turnstile, first: str, *, urgent_last: bool) -> list[str]:
    """per_host=1: ``first`` is asked, three links queue behind it, then one more (urgent or
    not); requests are then let through one by one."""
    async with Fetcher(HttpSettings(per_host=1), transport=transport, sleep=Waits()) as f:
        tasks = [asyncio.create_task(f.fetch(f"https://a.test{first}"))]
        await asyncio.sleep(0)
        tasks += [asyncio.create_task(f.fetch(f"https://a.test/queued{i}")) for i in range(3)]
        await asyncio.sleep(0)
        tasks.append(asyncio.create_task(f.fetch("https://a.test/probe", urgent=urgent_last)))
        while not all(t.done() for t in tasks):
            transport.go.release()
            await asyncio.sleep(0)
    return transport.arrived


def test_an_urgent_request_goes_before_links_queued_for_its_host() -> None:
    order = asyncio.run(one_at_a_time(Turnstile(), "/first", urgent_last=True))
    assert order == ["/first", "/probe", "/queued0", "/queued1", "/queued2"]
    order = asyncio.run(one_at_a_time(Turnstile(), "/first", urgent_last=False))
    assert order == ["/first", "/queued0", "/queued1", "/queued2", "/probe"]


def test_a_redirect_is_followed_before_links_queued_for_its_host() -> None:
    order = asyncio.run(one_at_a_time(Turnstile(), "/start", urgent_last=False))
    assert order[:3] == ["/start", "/next", "/queued0"]


def test_a_slot_handed_to_a_cancelled_wait_passes_to_the_next() -> None:
    from refcheck.http import _Gate

    async def go() -> None:
        gate = _Gate(1)
        await gate.acquire()
        cancelled = asyncio.create_task(gate.acquire())
        after = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0)
        gate.release()  # handed to `cancelled`, which is cancelled before it runs
        cancelled.cancel()
        await asyncio.wait_for(after, timeout=5)
        gate.release()
        await asyncio.wait_for(gate.acquire(), timeout=5)  # and the slot was not lost
    asyncio.run(go())


# -- headers we send ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a=b\r\nX-Injected: yes", "a=b\nX-Injected: yes",
                                   "a=b\x00c", "a b=c", "a=b\x7f"])
def test_a_cookie_that_could_smuggle_a_header_is_not_sent_back(value: str) -> None:
    """Through a transport that passes header values as they came (not ours: llhttp
    refuses most of these answers outright), the cookie is dropped, not echoed."""
    router = respx.MockRouter()
    router.get("https://a.test/start").respond(
        302, headers={"Location": "/next", "Set-Cookie": value})
    nxt = router.get("https://a.test/next").respond(200, html="<title>next</title>")
    result = fetch(router, "https://a.test/start")
    assert result.answer is not None and result.answer.status == 200
    sent = nxt.calls.last.request.headers
    assert "cookie" not in sent and "x-injected" not in sent


@pytest.mark.parametrize(("start", "then", "sent"), [
    ("https://files.example.ac.uk/a", "http://files.example.ac.uk/b", False),  # in clear
    ("https://files.example.ac.uk/a", "https://files.example.ac.uk:8443/b", False),
    ("http://files.example.ac.uk/a", "http://files.example.ac.uk:8080/b", False),
    ("http://files.example.ac.uk/a", "https://files.example.ac.uk/b", True),  # upgraded
    ("https://files.example.ac.uk/a", "https://files.example.ac.uk/b", True),
])
def test_the_settings_files_headers_follow_no_redirect_out_of_https_or_to_another_port(
        start: str, then: str, sent: bool) -> None:
    """An API key configured for a host goes with the redirect that stays where it was
    first sent; one to http (in clear, for anyone on the way to read) or to another port
    (another server, perhaps anyone's) gets none."""
    router = respx.MockRouter()
    first = router.get(start).respond(302, headers={"Location": then})
    second = router.get(then).respond(200, html="<title>Report</title>")
    result = fetch(router, start, host_headers=(
        ("files.example.ac.uk", (("X-Api-Key", "hunter2"),)),))
    assert result.answer is not None and result.answer.status == 200
    assert first.calls.last.request.headers["x-api-key"] == "hunter2"
    assert second.calls.last.request.headers.get("x-api-key") == ("hunter2" if sent else None)


def test_a_user_agent_with_a_line_break_is_never_sent() -> None:
    router = respx.MockRouter(assert_all_called=False)
    route = router.get("https://a.test/x").respond(200)
    result = fetch(router, "https://a.test/x", user_agent="refcheck\r\nX-Injected: yes")
    assert route.call_count == 0
    assert result.failure.kind is FailureKind.OTHER
    assert "User-Agent" in result.failure.message


# -- waits and memory are bounded ---------------------------------------------------------


def test_a_wait_before_a_retry_counts_against_the_deadline_of_that_try() -> None:
    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b"<title>slow"
            await asyncio.Event().wait()  # never set: only the deadline ends this

    router = respx.MockRouter()
    router.get("https://a.test/x").side_effect = [
        httpx.Response(503), httpx.Response(200, headers=HTML, stream=Trickle())]
    waits = Waits()
    result = fetch(router, "https://a.test/x", waits, deadline=0.1, retries=1,
                   backoff_base=1.0)
    assert waits.asked == [0.05]  # the backoff (0.5 s) capped at half the deadline
    assert result.failure.kind is FailureKind.DEADLINE
    assert result.failure.message == "no complete answer within 0.05 s"


@pytest.mark.parametrize("asked", ["5", "121"])
def test_retry_after_beyond_half_the_deadline_or_the_cap_is_reported(asked: str) -> None:
    router = respx.MockRouter()
    route = router.get("https://a.test/x").respond(429, headers={"Retry-After": asked})
    waits = Waits()
    result = fetch(router, "https://a.test/x", waits, deadline=8 if asked == "5" else 600)
    assert route.call_count == 1 and waits.asked == []
    assert result.retry_after == float(asked)
    verdict = classify(result)
    assert verdict.status is Status.BLOCKED
    assert verdict.detail == (f"429 Too Many Requests: the server asked us to wait "
                              f"{'5 seconds' if asked == '5' else '2 minutes'}; try later")


def test_large_reads_share_a_memory_budget_and_all_complete() -> None:
    """Two quote checks at once, each allowed 100 kB, under a budget of 150 kB: the second
    waits for the first, so the bytes held by reads never pass the budget."""
    held: dict[str, int] = {}
    peak = 0

    class Counted(httpx.AsyncByteStream):
        def __init__(self, name: str) -> None:
            self.name = name

        async def __aiter__(self):  # type: ignore[no-untyped-def]
            nonlocal peak
            held[self.name] = 0
            for _ in range(9):
                held[self.name] += 10_000
                peak = max(peak, sum(held.values()))
                yield b"x" * 10_000
                for _ in range(3):
                    await asyncio.sleep(0)  # let the other read run meanwhile

        async def aclose(self) -> None:
            held.pop(self.name, None)

    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/pdf"},
                              stream=Counted(request.url.path))

    router = respx.MockRouter()
    router.get(url__regex=r"https://h\d\.test/report\.pdf").mock(side_effect=page)

    async def go() -> list[Any]:
        async with fetcher(router, max_bytes=10_000, max_large_reads_bytes=150_000) as f:
            return await asyncio.gather(*(
                f.fetch(f"https://h{i}.test/report.pdf", want_body=True, max_bytes=100_000)
                for i in (1, 2)))

    results = asyncio.run(asyncio.wait_for(go(), timeout=10))
    assert [len(r.answer.body) for r in results] == [90_000, 90_000]
    assert 0 < peak <= 150_000


# -- content codings ----------------------------------------------------------------------


def test_a_body_decoded_through_two_codings_stops_at_the_cap() -> None:
    bomb = gzip.compress(gzip.compress(b"<title>bomb</title>" + b"0" * 50_000_000))
    router = respx.MockRouter()
    router.get("https://a.test/bomb").respond(
        200, headers={**HTML, "content-encoding": "gzip, gzip"}, content=bomb)
    result = fetch(router, "https://a.test/bomb", max_bytes=65_536)
    assert len(result.answer.body) == 65_536 and result.answer.truncated
    assert result.answer.body.startswith(b"<title>bomb</title>")


def test_an_unknown_coding_in_a_stack_leaves_the_body_unread() -> None:
    router = respx.MockRouter()
    router.get("https://a.test/x").respond(
        200, headers={**HTML, "content-encoding": "br, gzip"}, content=gzip.compress(b"?"))
    result = fetch(router, "https://a.test/x")
    assert result.answer.status == 200 and result.answer.body == b""
