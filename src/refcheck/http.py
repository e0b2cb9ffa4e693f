"""Fetching: one shared httpx transport, concurrency limits, redirects hop by hop, capped
bodies, and retries with injectable waits. It reports what the network said; verdicts are
``verdict``'s.

Transport exceptions are translated once, by ``transport.failure_of``, into a ``Failure``;
nothing above this module sees an httpx or socket exception for a link.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import heapq
import ipaddress
import itertools
import random
import re
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

import httpx

from refcheck import __version__
from refcheck.classify import (
    HTML_TYPES,
    SNIFF_BYTES,
    RetryPolicy,
    is_document_type,
    meta_refresh_target,
    refresh_header_target,
    retry_after_seconds,
    script_redirect_target,
)
from refcheck.model import Answer, Failure, FailureKind, Fetch, Hop
from refcheck.throttle import LoopWatch, Throttle
from refcheck.transport import RequestFailed, build_transport, failure_of
from refcheck.urls import address_defect, host_of

DEFAULT_USER_AGENT = f"refcheck/{__version__} (REF impact evidence link checker)"
_NO_BODY = httpx.ByteStream(b"")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Bodies are read only where refcheck looks inside them (error pages, bot walls).
BODY_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", ""})

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, kw_only=True)
class HttpSettings:
    """Every network limit in one place; the CLI documents and sets them."""

    concurrency: int = 64
    per_host: int = 4
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 60.0
    retries: int = 2
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    max_retry_after: float = 120.0
    max_redirects: int = 10
    #: Seconds between the starts of two requests to one host (lychee's
    #: --host-request-interval); a host's 429s widen it for that host.
    host_interval: float = 0.0
    max_bytes: int = 2 * 1024 * 1024
    max_quote_bytes: int = 32 * 1024 * 1024  # a whole PDF, when a quote must be found in it
    #: Bytes that reads longer than ``max_bytes`` (quote checks) may hold at once, over all
    #: of them: more such reads wait for their turn.
    max_large_reads_bytes: int = 128 * 1024 * 1024
    user_agent: str = DEFAULT_USER_AGENT
    #: Extra request headers by host (the settings file's ``headers``), sent to that host
    #: only, never to another host a redirect leads to, nor over a redirect from https to
    #: http or to another port.
    host_headers: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    #: At most this many idle connections kept (``pool_size``): what the file-descriptor
    #: limit leaves for them (``local.fit_to_descriptors``); None, as many as are useful.
    max_idle: int | None = None


def default_transport(settings: HttpSettings,
                      work: Callable[[str], int] | None = None) -> httpx.AsyncBaseTransport:
    """refcheck's own HTTP/1.1 transport (``transport.py``): a third or less of the CPU per
    request of the general clients, which was most of what a large run cost. ``work``
    tells it how many requests a host still has to come, so the connections kept are the
    ones about to be used."""
    return build_transport(max_idle=pool_size(settings), work=work)


#: Links kept started for each request that may be in flight; the pool keeps at least as
#: many idle connections, the least the file-descriptor limit must leave room for
#: (``local.fit_to_descriptors``).
IDLE_PER_REQUEST = 2


def link_window(settings: HttpSettings) -> int:
    """How many links a run keeps started at once (``checker._Dispatcher``): twice the
    concurrency, so the next links wait at their hosts' gates, ready. The pool keeps idle
    connections for the hosts of these links (``pool_size``)."""
    return max(IDLE_PER_REQUEST * settings.concurrency, 8)


def pool_size(settings: HttpSettings) -> int:
    """How many idle connections the pool keeps (at most ``settings.max_idle``, the share
    of the file-descriptor limit left for them): one for each connection of every host
    with links started. The links started belong to at most ``link_window`` hosts, with
    ``per_host`` connections each; the pool makes room by closing those of the hosts with
    the least work left, so none that a host's next link would use is closed."""
    wanted = settings.per_host * link_window(settings)
    return wanted if settings.max_idle is None else max(1, min(wanted, settings.max_idle))


@dataclass(frozen=True, slots=True)
class HostLoad:
    """Where a run's live checks stand by host: how many hosts still have links to check,
    and the one with the most (the queue that decides when the run ends)."""

    busy: int
    busiest: str | None
    left: int  # the busiest host's links still to check
    done: int  # and those it has checked


class Fetcher:
    """Fetches URLs under global and per-host limits. Use as an async context manager.

    It drives one httpx transport (one connection pool) itself rather than through
    ``httpx.AsyncClient``: refcheck does redirects, cookies and limits its own way, and the
    client's machinery for them cost about 0.2 ms of CPU per request, 40% of our budget
    (benchmarks/README.md).
    """

    def __init__(
        self,
        settings: HttpSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Clock = utc_now,
        watch_loop: bool = True,
    ) -> None:
        self.settings = settings or HttpSettings()
        self._given_transport = transport
        self._transport: httpx.AsyncBaseTransport | None = None
        self.sleep = sleep
        self.clock = clock
        self._jitter = jitter
        #: HTTP answers received from anyone, links and archives alike: zero means that
        #: nothing could be reached.
        self.answered = 0
        self._global = _PriorityGate(self.settings.concurrency)
        self._hosts: dict[str, _Gate] = {}
        #: Links still to be fetched, by host (``expect``): the host with the most work
        #: left is served first, so the busiest host never idles while it has slots.
        self.work: collections.Counter[str] = collections.Counter()
        self._expected: collections.Counter[str] = collections.Counter()  # work given
        #: While the event loop runs late, hosts with little work left get fewer slots
        #: (``watch_loop``: tests that judge the loop's lateness themselves turn it off).
        self.throttle = Throttle(self._global, self.work, self.settings.per_host)
        self._watch = LoopWatch(self.throttle.look) if watch_loop else None
        #: When each host may be sent its next request (``host_interval``), and the
        #: interval itself, which a host's 429s and Retry-After widen for the run.
        self._next_start: dict[str, float] = {}
        self._intervals: dict[str, float] = {}
        s = self.settings
        self._large_reads = _ByteBudget(s.max_large_reads_bytes)
        self._headers = httpx.Headers([
            ("User-Agent", s.user_agent),
            ("Accept", "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8"),
            ("Accept-Language", "en-GB,en;q=0.8"),
            ("Accept-Encoding", "gzip, deflate"),
        ]).raw
        self._host_headers = {
            host.lower(): [(name.encode("latin-1"), value.encode("latin-1"))
                           for name, value in headers]
            for host, headers in s.host_headers}
        self._timeouts = {"connect": s.connect_timeout, "read": s.read_timeout,
                          "write": s.read_timeout, "pool": None}

    async def __aenter__(self) -> Fetcher:
        self._transport = self._given_transport or default_transport(
            self.settings, self.work.__getitem__)
        if self._watch is not None:
            self._watch.start()
        return self

    def expect(self, urls: Iterable[str]) -> None:
        """Links that will be checked: counted by host before any is started, so scheduling
        knows from the first request where the work is (``checked`` counts them off)."""
        hosts = [host_of(url) for url in urls]
        self.work.update(hosts)
        self._expected.update(hosts)

    def checked(self, url: str) -> None:
        """One expected link's check is done (fetched, remembered or failed)."""
        host = host_of(url)
        self.work[host] -= 1
        if self.work[host] <= 0:
            del self.work[host]

    def load(self) -> HostLoad:
        """How the hosts' work stands: for the progress display of a long run."""
        busy = len(self.work)
        if not busy:
            return HostLoad(0, None, 0, 0)
        host, left = max(self.work.items(), key=lambda item: item[1])
        return HostLoad(busy, host, left, self._expected.get(host, left) - left)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._watch is not None:
            self._watch.stop()
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None

    def _slot(self, host: str, urgent: bool) -> _Slot:
        gate = self._hosts.get(host)
        if gate is None:
            gate = self._hosts[host] = _Gate(self.settings.per_host)
        return _Slot(host, gate, self._global, urgent, self)

    def interval(self, host: str) -> float:
        return self._intervals.get(host, self.settings.host_interval)

    async def spaced(self, host: str) -> None:
        """Wait until ``host`` may be sent another request: at least its interval after the
        start of the last one (``starting`` says when that was)."""
        while self.interval(host):
            wait = self._next_start.get(host, 0.0) - self.clock().timestamp()
            if wait <= 0:
                return
            await self.sleep(wait)

    def starting(self, host: str) -> bool:
        """A request to ``host`` is about to go, all its slots held: False when it is too
        soon after another's start (one that went while this one waited for its global
        slot), so that it waits again; else its start is noted."""
        interval = self.interval(host)
        if not interval:
            return True
        now = self.clock().timestamp()
        if self._next_start.get(host, 0.0) > now:
            return False
        self._next_start[host] = now + interval
        return True

    def widen(self, host: str, asked: float | None) -> None:
        """A host that answered 429 (or asked to wait): space its requests further apart
        for the rest of the run, at least as far as it asked (up to a minute)."""
        wider = min(max(self.interval(host), min(asked or 0.0, 60.0), 1.0), 60.0)
        self._intervals[host] = wider
        # The host's next request, whichever link sends it, waits that long from now.
        now = self.clock().timestamp()
        self._next_start[host] = max(self._next_start.get(host, 0.0), now + wider)

    def link_policy(self, retries: int | None = None) -> RetryPolicy:
        """The retry policy of a cited link, from the settings."""
        s = self.settings
        return RetryPolicy(retries=s.retries if retries is None else retries,
                           backoff_base=s.backoff_base, backoff_cap=s.backoff_cap,
                           max_wait=s.max_retry_after)

    async def fetch(
        self, url: str, *, retries: int | None = None, want_body: bool = False,
        max_bytes: int | None = None, urgent: bool = False,
        policy: RetryPolicy | None = None, pace: Pace | None = None,
    ) -> Fetch:
        """Fetch with retries: backoff and jitter, honouring ``Retry-After`` up to a cap.
        ``want_body`` reads the body whatever its type (up to ``max_bytes``), as archive
        lookups and quote checks need. ``urgent`` requests (a check that other links are
        waiting for) go before the links queued for the same host; so do redirect hops and
        retries, since a link already started should finish before new ones begin.

        Bounded by design: a wait before another try (the backoff, or what ``Retry-After``
        asks for) counts against that try's ``deadline``, and is made only when it leaves
        the try at least half of it. A server that asks for a longer wait (or for more than
        ``max_retry_after``) is not asked again: the fetch ends with its answer and the wait
        it asked for (``Fetch.retry_after``). So no link takes longer than
        ``(retries + 1) * deadline``, waits included (time queued for a slot apart).

        ``policy`` is the one retry policy with other numbers (``link_policy`` by default,
        ``retries`` overriding its count); ``pace`` applies a service's politeness (an
        archive's request budget): it is waited for before every try, and told of every
        wait a server asked for, so the whole service pauses, not only this request.
        """
        s = self.settings
        policy = policy or self.link_policy(retries)
        cap = max_bytes or s.max_bytes
        attempt = 1
        wait = 0.0
        while True:
            if pace is not None:
                await pace.wait()
            spent = wait if policy.within_deadline else 0.0
            result = await self._attempt(url, want_body, cap, urgent or attempt > 1,
                                         s.deadline - spent)
            if attempt > 1:
                result = dataclasses.replace(result, attempts=attempt)
            again, wait = policy.wait(result, attempt, jitter=self._jitter(),
                                      now=self.clock(), deadline=s.deadline)
            if result.answer is not None and result.answer.status == 429 and again:
                # The wait this try settled on (backoff, when the host named none): the
                # host's requests are spaced at least so far apart for the rest of the run.
                self.widen(host_of(result.answer.url), wait)
            if not again:
                # A server that asked for longer than we will wait: say so instead.
                return dataclasses.replace(result, retry_after=wait) if wait else result
            if pace is not None and result.answer is not None \
                    and result.answer.status in (429, 503):
                pace.pause(wait)  # nobody asks this service again before then
            else:
                await self.sleep(wait)
            attempt += 1

    async def _attempt(self, url: str, want_body: bool, cap: int, urgent: bool,
                       deadline: float) -> Fetch:
        transport = self._transport
        if transport is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        hops: list[Hop] = []
        # Cookies set during this chain, by host, sent back to that host on later hops: the
        # "set a cookie and come again" gates of publishers. Nothing is kept between links.
        cookies: dict[str, dict[str, str]] = {}
        # Where each host was first asked in this chain (its scheme and port): the settings
        # file's headers for a host follow no redirect that leaves https or that port.
        origins: dict[str, tuple[str, int | None]] = {}
        current = url
        seen = {url.split("#", 1)[0]}
        budget = [deadline]  # seconds left; time queued for a slot is not spent
        # The slot is held across redirects that stay on one host; a hop to another host
        # queues there as urgent, so a link already started finishes before new ones begin.
        slot: _Slot | None = None
        # A read larger than the usual cap waits for its share of the memory budget first,
        # before it takes a slot: so queued large reads hold neither memory nor slots.
        reserved = (await self._large_reads.reserve(cap)
                    if want_body and cap > self.settings.max_bytes else None)
        try:
            while True:
                host = host_of(current)
                if slot is None or slot.host != host:
                    if slot is not None:
                        slot.release()
                        slot = None
                    wanted = self._slot(host, urgent or bool(hops))
                    await wanted.acquire()
                    slot = wanted
                cookies_before = _cookie_state(cookies)
                hop, answer = await self._request(transport, current, budget, cookies,
                                                  want_body, cap, reserved, origins)
                if answer is not None:
                    if answer.status == 429:
                        # Asked to slow down: widened before the slot is given up, so the
                        # host's next link, which may take it at once, keeps to it too (by
                        # no more than a link may wait: half its deadline).
                        asked = retry_after_seconds(answer.headers, self.clock())
                        self.widen(host, min(asked or 1.0, self.settings.deadline / 2))
                    slot.release()
                    slot = None
                    # Let the link waiting for the slot send its request before this one's
                    # answer is worked through (when many answers arrive together, the next
                    # requests would otherwise wait for all of that work).
                    await asyncio.sleep(0)
                    return Fetch(url, tuple(hops), answer=answer)
                assert hop is not None
                hops.append(hop)
                target = hop.location.split("#", 1)[0]
                # Coming back to a page is a loop unless it just gave us a cookie to show it
                # (the "set a cookie, try again" gate many publishers use).
                fresh_cookie = _cookie_state(cookies) != cookies_before
                if target in seen and not fresh_cookie:
                    return Fetch(url, tuple(hops), failure=Failure(
                        FailureKind.REDIRECT_LOOP, f"{hop.location} was already visited"))
                if len(hops) >= self.settings.max_redirects:
                    return Fetch(url, tuple(hops), failure=Failure(
                        FailureKind.TOO_MANY_REDIRECTS,
                        f"more than {self.settings.max_redirects} redirects"))
                seen.add(target)
                current = hop.location
        except _DeadlinePassed:
            return Fetch(url, tuple(hops), failure=Failure(
                FailureKind.DEADLINE, f"no complete answer within {deadline:g} s"))
        except _BadRedirect as exc:
            return Fetch(url, tuple(hops), failure=Failure(FailureKind.BAD_REDIRECT, str(exc)))
        except RequestFailed as exc:
            return Fetch(url, tuple(hops), failure=exc.failure)
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            # From a transport other than ours (tests', say) or from building the request:
            # the same translation.
            return Fetch(url, tuple(hops), failure=failure_of(exc))
        finally:
            if slot is not None:
                slot.release()
            if reserved is not None:
                reserved.release()

    async def _request(
        self,
        transport: httpx.AsyncBaseTransport,
        url: str,
        budget: list[float],
        cookies: dict[str, dict[str, str]],
        want_body: bool,
        cap: int,
        reserved: _Reservation | None,
        origins: dict[str, tuple[str, int | None]],
    ) -> tuple[Hop | None, Answer | None]:
        """One request, made while holding its host's slot. The request is built only now:
        a run's thousands of waiting links then hold no requests, and the first ones go out
        without waiting for all to be built."""
        target = httpx.URL(url)
        headers = [(b"Host", target.netloc), *self._headers]
        if self._host_headers:
            mine_by_settings = self._host_headers.get(target.host)
            if mine_by_settings:
                scheme, port = origins.setdefault(target.host, (target.scheme, target.port))
                # A redirect from https to http, or to another port of the host (another
                # server), would carry them in clear or to whoever listens there.
                if port == target.port and not (scheme == "https" and target.scheme == "http"):
                    headers.extend(mine_by_settings)
        mine = cookies.get(target.host)
        if mine:
            headers.append((b"Cookie", "; ".join(
                f"{k}={v}" for k, v in mine.items()).encode("latin-1", errors="replace")))
        # Headers given whole and an empty stream: httpx then adds none of its own, which
        # halves the cost of building a request (a tenth of a link's CPU).
        request = httpx.Request("GET", target, headers=_checked(headers), stream=_NO_BODY,
                                extensions={"timeout": self._timeouts})
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(max(budget[0], 0.0)) as deadline:
                response = await transport.handle_async_request(request)
                self.answered += 1
                try:
                    return await self._interpret(request, response, cookies, want_body, cap,
                                                 reserved)
                finally:
                    await response.aclose()
        except TimeoutError:
            if deadline.expired():
                raise _DeadlinePassed from None
            raise
        finally:
            budget[0] -= loop.time() - started

    async def _interpret(
        self,
        request: httpx.Request,
        response: httpx.Response,
        cookies: dict[str, dict[str, str]],
        want_body: bool,
        cap: int,
        reserved: _Reservation | None,
    ) -> tuple[Hop | None, Answer | None]:
        url = str(request.url)
        status = response.status_code
        headers: dict[str, str] = {}
        location = None
        for raw_name, raw_value in response.headers.raw:
            key = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if key == "set-cookie":
                name, _, rest = value.partition("=")
                name, rest = name.strip(), rest.split(";", 1)[0].strip()
                if _is_cookie(name, rest):  # one that cannot smuggle a header is kept
                    cookies.setdefault(request.url.host, {})[name] = rest
            elif key == "location":
                location = _utf8_or_latin1(raw_value)  # as browsers read it
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if status in REDIRECT_STATUSES:
            if not (location or "").strip():
                # A redirect that names nowhere: a browser shows a blank page, and asking
                # again changes nothing.
                raise _BadRedirect(f"a {status} redirect with no Location header, so it "
                                   "names no address at all")
            return Hop(url, status, _redirect_target(request, location or "",
                                                     _peer(response))), None
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        body, truncated = b"", False
        if want_body or content_type in BODY_TYPES:
            encoding = headers.get("content-encoding", "")
            if reserved is not None and not encoding.strip():
                length = headers.get("content-length", "")
                if length.isdigit():  # the body can be no longer: give the rest back
                    reserved.shrink(int(length))
            body, truncated = await self._read_body(response, cap, encoding)
        elif 200 <= status < 300 and is_document_type(content_type):
            # Only its start: enough to see an HTML page sent as the document.
            body, truncated = await self._read_body(response, SNIFF_BYTES,
                                                    headers.get("content-encoding", ""))
        if 200 <= status < 300 and content_type in HTML_TYPES:
            # A Refresh header, a meta refresh, or a page that is only a script sending the
            # browser on.
            refresh = (refresh_header_target(headers.get("refresh", ""))
                       or meta_refresh_target(body) or script_redirect_target(body))
            if refresh:
                try:
                    target = _redirect_target(request, refresh, _peer(response))
                except _BadRedirect:
                    target = url  # an unusable refresh is ignored: the page itself answers
                if target != url:
                    return Hop(url, status, target), None
        return None, Answer(
            url=url,
            status=status,
            reason=_reason(response),
            headers=headers,
            body=body,
            truncated=truncated,
        )

    async def _read_body(self, response: httpx.Response, cap: int,
                         content_encoding: str) -> tuple[bytes, bool]:
        """Read at most ``cap`` bytes of decoded body, undoing every content coding listed
        (``gzip, gzip``; deflate with or without its zlib wrapper); a compression bomb
        stops at the cap too."""
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        decoding = _Decoding.of([c for c in codings if c not in ("", "identity")], cap)
        if decoding is None:
            # An encoding we did not ask for (br, zstd): a browser would read it, we cannot.
            # Marked unread, not empty: an empty page would be judged not the evidence.
            return b"", True
        stream = response.stream
        if not isinstance(stream, httpx.AsyncByteStream):
            return b"", False
        raw_total = 0
        async for chunk in stream:
            raw_total += len(chunk)
            try:
                within = decoding.feed(chunk)
            except zlib.error:
                return decoding.body(), True
            if not within or raw_total > cap:
                return decoding.body(), True
        return decoding.body(), False


#: Output is taken from each decompressor this much at a time, so no stage of a stack of
#: codings ever holds more than this beyond the cap.
_PIECE = 64 * 1024


class Pace(Protocol):
    """A service's politeness, applied around each try of the one retry loop."""

    async def wait(self) -> None:
        """Wait for this request's turn under the service's budget."""

    def pause(self, seconds: float) -> None:
        """Ask the service nothing more for ``seconds`` (it answered 429 or 503)."""


class _Decompressor(Protocol):
    """What ``zlib.decompressobj()`` gives, as the decoding uses it."""

    @property
    def unconsumed_tail(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int, /) -> bytes: ...


class _Inflate:
    """``deflate`` as servers send it: RFC 9110 says zlib-wrapped, but many send the raw
    stream, and browsers read both; which one is seen from the first two bytes."""

    def __init__(self) -> None:
        self._start = b""
        self._inner: _Decompressor | None = None

    @property
    def unconsumed_tail(self) -> bytes:
        return self._inner.unconsumed_tail if self._inner is not None else b""

    def decompress(self, data: bytes, max_length: int, /) -> bytes:
        if self._inner is None:
            self._start += data
            if len(self._start) < 2:
                return b""
            data, self._start = self._start, b""
            zlib_header = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._inner = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        return self._inner.decompress(data, max_length)


class _Decoding:
    """A body's content codings undone in the reverse of the order they were applied, each
    stage drained a piece at a time, so that nothing grows past the cap."""

    def __init__(self, stages: list[_Decompressor], cap: int) -> None:
        self._stages = stages
        self._cap = cap
        self._out = bytearray()

    @classmethod
    def of(cls, codings: list[str], cap: int) -> _Decoding | None:
        stages: list[_Decompressor] = []
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                stages.append(zlib.decompressobj(zlib.MAX_WBITS | 16))
            elif coding == "deflate":
                stages.append(_Inflate())
            else:
                return None
        return cls(stages, cap)

    def feed(self, data: bytes) -> bool:
        """Decode more of the body; False once the decoded body is past the cap."""
        return self._push(0, data)

    def _push(self, index: int, data: bytes) -> bool:
        if index == len(self._stages):
            self._out += data
            return len(self._out) <= self._cap
        stage = self._stages[index]
        while True:
            piece = stage.decompress(data, _PIECE)
            if piece and not self._push(index + 1, piece):
                return False
            data = stage.unconsumed_tail
            if not data and len(piece) < _PIECE:
                return True

    def body(self) -> bytes:
        return bytes(memoryview(self._out)[:self._cap])


class _ByteBudget:
    """A budget of bytes shared by concurrent reads: a read reserves what it may hold and
    waits, first come first served, while the budget cannot cover it."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._free = total
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def reserve(self, size: int) -> _Reservation:
        size = min(size, self.total)  # a read larger than the whole budget goes alone
        if not self._waiting and self._free >= size:
            self._free -= size
            return _Reservation(self, size)
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append((size, turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.give_back(size)  # granted just as the wait was cancelled
            else:
                self._waiting.remove((size, turn))
                self._grant()
            raise
        return _Reservation(self, size)

    def give_back(self, size: int) -> None:
        self._free += size
        self._grant()

    def _grant(self) -> None:
        while self._waiting and self._waiting[0][0] <= self._free:
            size, turn = self._waiting.popleft()
            self._free -= size
            turn.set_result(None)


class _Reservation:
    __slots__ = ("_budget", "_size")

    def __init__(self, budget: _ByteBudget, size: int) -> None:
        self._budget = budget
        self._size = size

    def shrink(self, size: int) -> None:
        if size < self._size:
            self._budget.give_back(self._size - size)
            self._size = size

    def release(self) -> None:
        self._budget.give_back(self._size)
        self._size = 0


#: RFC 9110 section 5.6.2: what a header or cookie name may be made of.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Control characters other than tab: none may be sent in a header value.
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def _checked(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Every header of every request passes here: a name that is not a token, or a value
    with CR, LF, NUL or another control character, would let a server's words (a cookie)
    or a setting become headers of their own, so it is never sent."""
    for name, value in headers:
        if not _TOKEN.fullmatch(name) or _CONTROL.search(value):
            raise ValueError(f"refusing to send a malformed {name.decode('latin-1')!r} header")
    return headers


def _is_cookie(name: str, value: str) -> bool:
    """A cookie that can go back in a Cookie header as it came."""
    return (bool(_TOKEN.fullmatch(name.encode("latin-1", errors="replace")))
            and not _CONTROL.search(value.encode("latin-1", errors="replace"))
            and ";" not in value)


def _utf8_or_latin1(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _peer(response: httpx.Response) -> str | None:
    """The address the answer came from, where the transport says (refcheck's own does)."""
    peer = response.extensions.get("server_addr")
    return peer if isinstance(peer, str) else None


def _redirect_target(request: httpx.Request, location: str, peer: str | None = None) -> str:
    """Where a redirect (a Location header or a meta refresh) sends, as an absolute
    http(s) address; relative targets are resolved against the request. A public
    server's redirect into a private network (judged by the address the answer came from,
    ``peer``, or else by the request's host) is refused."""
    try:
        target = str(request.url.join(location.strip()))
    except httpx.InvalidURL as exc:
        defect = address_defect(location.strip())  # what is wrong, in words, when it says
        raise _BadRedirect(f"{location!r}: {_what(defect) if defect else exc}") from None
    if not target.startswith(("http://", "https://")):
        raise _BadRedirect(f"{location!r} is not a web address")
    defect = address_defect(target)  # port 99999, a host-name label too long
    if defect is not None:
        raise _BadRedirect(f"{location!r}: {_what(defect)}")
    inside = _internal(httpx.URL(target).host)
    if inside is not None and _internal(peer or request.url.host) is None:
        # A public site sending its visitors to an address of its own network, or to the
        # visitor's own machine: a mistake in its set-up, which no visitor can follow (and
        # not one to try from here, on this machine's network).
        raise _BadRedirect(f"{location!r} is {inside}, which no visitor from outside the "
                           "site's own network can open")
    return target


def _internal(host: str) -> str | None:
    """What a host is, when it is no address on the public internet (loopback, a private
    network's, link-local), else None. Only what the address says: names are not looked
    up."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return "this machine's own address (localhost)"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None
    if address.is_loopback:
        return "this machine's own address (loopback)"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private or address.is_unspecified:
        return "an address on a private network"
    return None


def _what(defect: str) -> str:
    """What is wrong with a server's redirect target, without the advice on correcting
    it, which is for addresses the user wrote."""
    return defect.partition("; ")[0]


def _cookie_state(cookies: dict[str, dict[str, str]]) -> tuple[tuple[str, str, str], ...]:
    return tuple((host, k, v) for host, jar in cookies.items() for k, v in jar.items())


class _Gate:
    """A counting semaphore with two queues: urgent waiters are let in before the others.
    A released slot is handed straight to the next waiter, so nobody can take it between."""

    __slots__ = ("_free", "_urgent", "_waiting")

    def __init__(self, slots: int) -> None:
        self._free = slots
        # Made when first needed: a run has a gate for every host (6,600 in the REF corpus),
        # and most hosts never have a waiter; two empty deques are 1.2 KB a host.
        self._urgent: deque[asyncio.Future[bool]] | None = None
        self._waiting: deque[asyncio.Future[bool]] | None = None

    async def acquire(self, urgent: bool = False) -> bool:
        """Wait for a slot. True when the slot came with a global slot handed on with it
        (see ``_Slot.release``), which the waiter then holds without asking for one."""
        if self._free > 0 and not self._urgent and not self._waiting:
            self._free -= 1
            return False
        turn: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if urgent:
            if self._urgent is None:
                self._urgent = deque()
            self._urgent.append(turn)
        else:
            if self._waiting is None:
                self._waiting = deque()
            self._waiting.append(turn)
        try:
            return await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                # The slot was handed over just as the wait was cancelled.
                self.release()
                if turn.result():
                    raise _CarriedGlobal from None
            raise

    @property
    def waiting(self) -> bool:
        return any(not t.done() for t in self._urgent or ()) or any(
            not t.done() for t in self._waiting or ())

    def release(self, carry: bool = False) -> bool:
        """Hand the slot to the next waiter (with a global slot, when ``carry``); False when
        nobody was waiting."""
        for queue in (self._urgent, self._waiting):
            while queue:  # None (never waited on) or empty: nobody waits there
                turn = queue.popleft()
                if not turn.done():  # a cancelled wait is skipped
                    turn.set_result(carry)
                    return True
        self._free += 1
        return False


class _CarriedGlobal(Exception):
    """A wait was cancelled just as a host slot with a global slot was handed to it."""


class _PriorityGate:
    """The global limit: a released slot goes to the waiter whose host has the most work
    left (urgent waiters first, then by that count, then in order of arrival), so the
    busiest host's queue, which sets how long a large run takes, is never kept waiting by
    hosts with one link each (the politeness bound: the busiest host's links over its
    slots, times the latency).

    ``limit`` is lowered below ``slots`` while the event loop runs late (``throttle``):
    then only urgent waiters and hosts with at least ``critical`` links left go past it."""

    __slots__ = ("_heap", "_in_use", "_order", "critical", "limit", "slots")

    def __init__(self, slots: int) -> None:
        self.slots = self.limit = slots
        self.critical = 1 << 62
        self._in_use = 0
        self._heap: list[tuple[int, int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def _room(self, urgent: int, work: int) -> bool:
        """Whether a waiter (``urgent`` 0, or 1; ``work`` its host's links left) may go."""
        return self._in_use < self.limit or (
            self._in_use < self.slots and (urgent == 0 or work >= self.critical))

    def may_keep(self, work: int) -> bool:
        """Whether a host with ``work`` left may hand its slot on to its next link."""
        return self._in_use <= self.limit or work >= self.critical

    async def acquire(self, urgent: bool = False, work: int = 0) -> None:
        if not self._heap and self._room(0 if urgent else 1, work):
            self._in_use += 1
            return
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (0 if urgent else 1, -work, next(self._order), turn))
        self.wake()  # a waiter the lowered limit does not hold goes before those it does
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # the slot was handed over just as the wait was cancelled
            raise

    def release(self) -> None:
        self._in_use -= 1
        self.wake()

    def wake(self) -> None:
        """Hand free slots to the waiters, first first, while they may go."""
        heap = self._heap
        while heap:
            urgent, work, _, turn = heap[0]
            if turn.done():  # a cancelled wait is skipped
                heapq.heappop(heap)
            elif self._room(urgent, -work):
                heapq.heappop(heap)
                self._in_use += 1
                turn.set_result(None)
            else:
                return

    def most_work_waiting(self) -> int:
        """The work left of the busiest host among the waiters (0 when none waits)."""
        while self._heap and self._heap[0][3].done():
            heapq.heappop(self._heap)
        if not self._heap:
            return 0
        urgent, work, _, _ = self._heap[0]
        return 1 << 62 if urgent == 0 else -work


class _Slot:
    """Wait for the host first (and for its interval), then take a global slot: a queue
    for one busy host never holds slots that other hosts' links could use."""

    __slots__ = ("_fetcher", "_global", "_host_gate", "_urgent", "host")

    def __init__(self, host: str, host_gate: _Gate, global_: _PriorityGate, urgent: bool,
                 fetcher: Fetcher) -> None:
        self.host = host
        self._host_gate = host_gate
        self._global = global_
        self._urgent = urgent
        self._fetcher = fetcher

    async def acquire(self) -> None:
        try:
            carried = await self._host_gate.acquire(self._urgent)
        except _CarriedGlobal:
            self._global.release()
            raise asyncio.CancelledError from None
        try:
            while True:
                await self._fetcher.spaced(self.host)
                if not carried:
                    await self._global.acquire(self._urgent, self._fetcher.work[self.host])
                    carried = True  # held now, whichever way it came
                if self._fetcher.starting(self.host):
                    return
                # Another of this host's links started while this one waited for its
                # global slot: give the slot back while the interval runs again.
                self._global.release()
                carried = False
        except BaseException:
            if carried:
                self._global.release()
            self._host_gate.release()
            raise

    def release(self) -> None:
        """Give both slots back. When this host has links waiting and no waiting host has
        more work left, the next of its links takes both at once: the busiest host is not
        sent to the back of the global queue after every answer."""
        work = self._fetcher.work[self.host]
        if (self._host_gate.waiting and work and work >= self._global.most_work_waiting()
                and self._global.may_keep(work)):
            self._host_gate.release(carry=True)
            return
        self._global.release()
        self._host_gate.release()


def _reason(response: httpx.Response) -> str:
    phrase = response.extensions.get("reason_phrase", b"")
    return phrase.decode("latin-1") if isinstance(phrase, bytes) else ""


class _BadRedirect(Exception):
    pass


class _DeadlinePassed(Exception):
    pass
