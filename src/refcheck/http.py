"""Fetching: one shared httpx transport, concurrency limits, redirects hop by hop, capped
bodies, and retries with injectable waits. It reports what the network said; verdicts are
``classify``'s.

Transport exceptions are translated once, here, into a ``Failure``; nothing above this module
sees an httpx or socket exception for a link.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import random
import re
import socket
import ssl
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType

import httpx
from httpx._urlparse import ParseResult

from refcheck import __version__
from refcheck.classify import (
    HTML_TYPES,
    backoff_seconds,
    is_retryable,
    meta_refresh_target,
    retry_after_seconds,
)
from refcheck.model import Answer, Failure, FailureKind, Fetch, Hop
from refcheck.transport import MalformedAnswer, build_transport
from refcheck.urls import host_of

DEFAULT_USER_AGENT = f"refcheck/{__version__} (REF impact evidence link checker)"
_NO_BODY = httpx.ByteStream(b"")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Bodies are read only where refcheck looks inside them (error pages, bot walls).
BODY_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", ""})

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# An address httpx would take apart without changing anything: http(s), a lower-case host
# without user info, an optional port, and a path, query and fragment made only of the
# characters httpx leaves unescaped there. Anything else goes through httpx's own parser.
_PLAIN_URL = re.compile(
    r"(https?)://([a-z0-9][a-z0-9.-]*)(?::([0-9]{1,5}))?"
    r"(/[A-Za-z0-9!$%&'()*+,\-./:;=@\[\\\]^_|~]*)?"
    r"(?:\?([A-Za-z0-9!$%&'()*+,\-./:;=?@\[\\\]^_`{|}~]*))?"
    r"(?:#([A-Za-z0-9!#$%&'()*+,\-./:;=?@\[\\\]^_{|}~]*))?")


@functools.lru_cache(maxsize=4096)
def _plain_authority(scheme: str, host: str, port: str | None) -> tuple[str, int | None] | None:
    """httpx's reading of a host and port (checked once per host: IPv4 forms are validated,
    a default port dropped), or None when httpx refuses them."""
    try:
        parsed = httpx.URL(f"{scheme}://{host}:{port}/" if port else f"{scheme}://{host}/")
    except httpx.InvalidURL:
        return None
    return (parsed.host, parsed.port)


def request_url(url: str) -> httpx.URL:
    """``httpx.URL(url)``, without httpx's character-by-character parse for the plain
    addresses most links are (about 14 us of a link's ~300 us of CPU). The result is the same
    object httpx would build; tests/test_http.py compares the two over real cited URLs."""
    match = _PLAIN_URL.fullmatch(url)
    if match is not None:
        scheme, host, port, path, query, fragment = match.groups()
        authority = _plain_authority(scheme, host, port)
        path = path or ""
        if authority is not None and "/." not in path:  # no "." or ".." segments to remove
            parsed = httpx.URL.__new__(httpx.URL)
            parsed._uri_reference = ParseResult(
                scheme, "", authority[0], authority[1], path, query, fragment)
            return parsed
    return httpx.URL(url)


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
    max_bytes: int = 2 * 1024 * 1024
    max_quote_bytes: int = 32 * 1024 * 1024  # a whole PDF, when a quote must be found in it
    user_agent: str = DEFAULT_USER_AGENT


def default_transport(settings: HttpSettings) -> httpx.AsyncBaseTransport:
    """refcheck's own HTTP/1.1 transport (``transport.py``): a third or less of the CPU per
    request of the general clients, which was most of what a large run cost."""
    return build_transport(max_idle=settings.concurrency)


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
        self._global = _Gate(self.settings.concurrency)
        self._hosts: dict[str, _Gate] = {}
        s = self.settings
        self._headers = httpx.Headers([
            ("User-Agent", s.user_agent),
            ("Accept", "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8"),
            ("Accept-Language", "en-GB,en;q=0.8"),
            ("Accept-Encoding", "gzip, deflate"),
        ]).raw
        self._timeouts = {"connect": s.connect_timeout, "read": s.read_timeout,
                          "write": s.read_timeout, "pool": None}

    async def __aenter__(self) -> Fetcher:
        self._transport = self._given_transport or default_transport(self.settings)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None

    def _slot(self, host: str, urgent: bool) -> _Slot:
        gate = self._hosts.get(host)
        if gate is None:
            gate = self._hosts[host] = _Gate(self.settings.per_host)
        return _Slot(host, gate, self._global, urgent)

    async def fetch(
        self, url: str, *, retries: int | None = None, want_body: bool = False,
        max_bytes: int | None = None, urgent: bool = False,
    ) -> Fetch:
        """Fetch with retries: backoff and jitter, honouring ``Retry-After`` up to a cap.
        ``want_body`` reads the body whatever its type (up to ``max_bytes``), as archive
        lookups and quote checks need. ``urgent`` requests (a check that other links are
        waiting for) go before the links queued for the same host; so do redirect hops and
        retries, since a link already started should finish before new ones begin."""
        allowed = self.settings.retries if retries is None else retries
        cap = max_bytes or self.settings.max_bytes
        attempt = 1
        while True:
            result = await self._attempt(url, want_body, cap, urgent or attempt > 1)
            if attempt > 1:
                result = dataclasses.replace(result, attempts=attempt)
            if attempt > allowed or not is_retryable(result):
                return result
            wait = backoff_seconds(
                attempt,
                base=self.settings.backoff_base,
                cap=self.settings.backoff_cap,
                jitter=self._jitter(),
            )
            if result.answer is not None:
                asked = retry_after_seconds(result.answer.headers, self.clock())
                if asked is not None:
                    if asked > self.settings.max_retry_after:
                        return result  # the server wants a longer pause than we will wait
                    wait = asked
            await self.sleep(wait)
            attempt += 1

    async def _attempt(self, url: str, want_body: bool, cap: int, urgent: bool) -> Fetch:
        transport = self._transport
        if transport is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        hops: list[Hop] = []
        # Cookies set during this chain, by host, sent back to that host on later hops: the
        # "set a cookie and come again" gates of publishers. Nothing is kept between links.
        cookies: dict[str, dict[str, str]] = {}
        current = url
        seen = {url.split("#", 1)[0]}
        budget = [self.settings.deadline]  # seconds left; time queued for a slot is not spent
        # The slot is held across redirects that stay on one host; a hop to another host
        # queues there as urgent, so a link already started finishes before new ones begin.
        slot: _Slot | None = None
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
                                                  want_body, cap)
                if answer is not None:
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
                FailureKind.DEADLINE, f"no complete answer within {self.settings.deadline:g} s"))
        except _BadRedirect as exc:
            return Fetch(url, tuple(hops), failure=Failure(FailureKind.BAD_REDIRECT, str(exc)))
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            return Fetch(url, tuple(hops), failure=failure_from(exc))
        finally:
            if slot is not None:
                slot.release()

    async def _request(
        self,
        transport: httpx.AsyncBaseTransport,
        url: str,
        budget: list[float],
        cookies: dict[str, dict[str, str]],
        want_body: bool,
        cap: int,
    ) -> tuple[Hop | None, Answer | None]:
        """One request, made while holding its host's slot. The request is built only now:
        a run's thousands of waiting links then hold no requests, and the first ones go out
        without waiting for all to be built."""
        target = request_url(url)
        headers = [(b"Host", target.netloc), *self._headers]
        mine = cookies.get(target.host)
        if mine:
            cookie = "; ".join(f"{k}={v}" for k, v in mine.items())
            headers.append((b"Cookie", cookie.encode("latin-1", errors="replace")))
        # Headers given whole and an empty stream: httpx then adds none of its own, which
        # halves the cost of building a request (a tenth of a link's CPU).
        request = httpx.Request("GET", target, headers=headers, stream=_NO_BODY,
                                extensions={"timeout": self._timeouts})
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(budget[0]) as deadline:
                response = await transport.handle_async_request(request)
                self.answered += 1
                try:
                    return await self._interpret(request, response, cookies, want_body, cap)
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
    ) -> tuple[Hop | None, Answer | None]:
        url = str(request.url)
        status = response.status_code
        headers: dict[str, str] = {}
        for raw_name, raw_value in response.headers.raw:
            key = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if key == "set-cookie":
                name, _, rest = value.partition("=")
                jar = cookies.setdefault(request.url.host, {})
                jar[name.strip()] = rest.split(";", 1)[0].strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        location = headers.get("location")
        if status in REDIRECT_STATUSES and location:
            return Hop(url, status, _redirect_target(request, location)), None
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        body, truncated = b"", False
        if want_body or content_type in BODY_TYPES:
            body, truncated = await self._read_body(
                response, cap, headers.get("content-encoding", ""))
        if 200 <= status < 300 and content_type in HTML_TYPES:
            refresh = meta_refresh_target(body)
            if refresh:
                try:
                    target = _redirect_target(request, refresh)
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
        """Read at most ``cap`` bytes of decoded body; a gzip bomb stops at the cap too."""
        encoding = content_encoding.strip().lower()
        if "," in encoding:
            return b"", False  # stacked encodings: not worth reading
        decoder = None
        if encoding in ("gzip", "x-gzip"):
            decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)
        elif encoding not in ("", "identity"):
            return b"", False  # an encoding we did not ask for: nothing we can read
        out = bytearray()
        raw_total = 0
        stream = response.stream
        if not isinstance(stream, httpx.AsyncByteStream):
            return b"", False
        async for chunk in stream:
            raw_total += len(chunk)
            if decoder is not None:
                try:
                    data = decoder.decompress(chunk, cap + 1 - len(out))
                except zlib.error:
                    return bytes(out), True
                out += data
                if decoder.unconsumed_tail or len(out) > cap:
                    return bytes(out[:cap]), True
            else:
                out += chunk
            if len(out) > cap or raw_total > cap:
                return bytes(out[:cap]), True
        return bytes(out), False


def _redirect_target(request: httpx.Request, location: str) -> str:
    """Where a redirect (a Location header or a meta refresh) sends, as an absolute
    http(s) address; relative targets are resolved against the request."""
    try:
        target = str(request.url.join(location.strip()))
    except httpx.InvalidURL as exc:
        raise _BadRedirect(f"{location!r}: {exc}") from None
    if not target.startswith(("http://", "https://")):
        raise _BadRedirect(f"{location!r} is not a web address")
    return target


def _cookie_state(cookies: dict[str, dict[str, str]]) -> tuple[tuple[str, str, str], ...]:
    return tuple((host, k, v) for host, jar in cookies.items() for k, v in jar.items())


class _Gate:
    """A counting semaphore with two queues: urgent waiters are let in before the others.
    A released slot is handed straight to the next waiter, so nobody can take it between."""

    __slots__ = ("_free", "_urgent", "_waiting")

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._waiting: deque[asyncio.Future[None]] = deque()

    async def acquire(self, urgent: bool = False) -> None:
        if self._free > 0 and not self._urgent and not self._waiting:
            self._free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._waiting).append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # the slot was handed over just as the wait was cancelled
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._waiting):
            while queue:
                turn = queue.popleft()
                if not turn.done():  # a cancelled wait is skipped
                    turn.set_result(None)
                    return
        self._free += 1


class _Slot:
    """Wait for the host first, then take a global slot: a queue for one busy host never
    holds slots that other hosts' links could use."""

    __slots__ = ("_global", "_host_gate", "_urgent", "host")

    def __init__(self, host: str, host_gate: _Gate, global_: _Gate, urgent: bool) -> None:
        self.host = host
        self._host_gate = host_gate
        self._global = global_
        self._urgent = urgent

    async def acquire(self) -> None:
        await self._host_gate.acquire(self._urgent)
        try:
            await self._global.acquire(self._urgent)
        except BaseException:
            self._host_gate.release()
            raise

    def release(self) -> None:
        self._global.release()
        self._host_gate.release()


def _reason(response: httpx.Response) -> str:
    phrase = response.extensions.get("reason_phrase", b"")
    return phrase.decode("latin-1") if isinstance(phrase, bytes) else ""


class _BadRedirect(Exception):
    pass


class _DeadlinePassed(Exception):
    pass


def failure_from(exc: BaseException) -> Failure:
    """Translate a transport exception (httpx's, with the socket or TLS error as its cause)
    into the most specific ``Failure``, by looking along its chain of causes."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(chain) < 12:
        chain.append(current)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    names = {type(e).__name__ for e in chain}
    for e in chain:
        if isinstance(e, MalformedAnswer):
            return Failure(FailureKind.OTHER, f"the server's answer is not valid HTTP: {e}")
        if isinstance(e, httpx.InvalidURL | httpx.UnsupportedProtocol):
            return Failure(FailureKind.INVALID_URL, str(e))
        if isinstance(e, socket.gaierror):
            return Failure(FailureKind.DNS, "host name not found")
        if isinstance(e, ssl.SSLCertVerificationError):
            return Failure(FailureKind.TLS, _certificate_problem(e))
        if isinstance(e, ssl.SSLError):
            return Failure(FailureKind.TLS, getattr(e, "reason", None) or str(e))
        if isinstance(e, ConnectionRefusedError):
            return Failure(FailureKind.REFUSED, "")
        if isinstance(e, ConnectionResetError | BrokenPipeError):
            return Failure(FailureKind.RESET, "connection reset")
    if names & {"RemoteProtocolError", "ReadError", "WriteError"}:
        return Failure(FailureKind.RESET, "connection closed early")
    for e in chain:
        if isinstance(e, httpx.TimeoutException | TimeoutError) or "Timeout" in type(e).__name__:
            return Failure(FailureKind.TIMEOUT, "")
    # A DNS failure without a gaierror in the chain still says so in its text.
    text = str(exc) or type(exc).__name__
    if "Name or service not known" in text or "nodename nor servname" in text:
        return Failure(FailureKind.DNS, "host name not found")
    if isinstance(exc, httpx.ConnectError):
        return Failure(FailureKind.REFUSED if "refused" in text.lower() else FailureKind.OTHER,
                       "" if "refused" in text.lower() else text)
    return Failure(FailureKind.OTHER, text)


def _certificate_problem(exc: ssl.SSLCertVerificationError) -> str:
    message = (exc.verify_message or str(exc)).strip()
    if "expired" in message:
        return "certificate expired"
    if "self" in message and "signed" in message:
        return "self-signed certificate"
    if "hostname" in message.lower() or "mismatch" in message.lower():
        return "certificate is for a different host name"
    return f"certificate problem: {message}"
