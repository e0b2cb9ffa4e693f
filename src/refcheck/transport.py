"""refcheck's own HTTP/1.1 transport behind httpx's transport interface.

A link checker asks for one page per link and reads at most a few megabytes of it, so it
needs a small part of HTTP/1.1: a GET, a response head, a body framed by Content-Length,
chunks or the end of the connection, and connections kept alive between requests to one
host. This module does that much over asyncio's protocol interface, because the general
clients cost more CPU per request than everything else refcheck does for a link together
(benchmarks/README.md has the figures). What it does not do, it leaves to httpx: requests
through a proxy go through httpx's own transport (``build_transport``).

The parser is lenient where browsers are (bare LF line ends, header lines without a colon,
no reason phrase) and strict where leniency would misread a body (conflicting
Content-Length values, bad chunk sizes).

Errors are raised as httpx exceptions with the socket or TLS error as their cause, so that
``http.failure_from`` can name the most specific failure.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import urllib.request
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, cast

import aiohappyeyeballs
import httpx

#: A response head longer than this is refused: no real page needs more.
MAX_HEAD_BYTES = 64 * 1024
#: Body bytes held for a reader that has not taken them yet, before the socket is paused.
MAX_BUFFERED = 256 * 1024
#: How long a host name's addresses, or the failure to find any, are remembered.
DNS_SECONDS = 300.0
DNS_FAILURE_SECONDS = 10.0
#: An idle kept-alive connection older than this is closed rather than used: many servers
#: drop idle connections after 5 to 15 s.
KEEPALIVE_SECONDS = 8.0

_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILER, _UNTIL_CLOSE, _DONE = range(8)


class MalformedAnswer(httpx.RemoteProtocolError):
    """The server answered, but not in HTTP that can be read safely."""


class _StaleConnection(Exception):
    """The connection ended before a byte of the answer: on a kept-alive connection the
    server had closed it while idle, so the request is asked again on a new one."""

    def __init__(self, cause: BaseException | None) -> None:
        super().__init__("the server closed the connection without answering")
        self.cause = cause


class _Connection(asyncio.Protocol):
    """One connection to one server, answering one request at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._buffer = bytearray()
        self._state = _DONE
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._paused = False
        # The response being read.
        self.head: tuple[bytes, int, bytes, list[tuple[bytes, bytes]]] | None = None
        self.keep_alive = False
        self._head_only = False
        self._received_any = False
        self._left = 0
        self._body: list[bytes] = []
        self._body_size = 0

    # asyncio's side -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (asyncio's own, or another loop's that only quacks like one).
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._received_any = True
        if self._state == _DONE:
            self.keep_alive = False  # bytes nobody asked for: do not reuse the connection
            return
        self._buffer += data
        try:
            self._parse()
        except MalformedAnswer as exc:
            self._fail(exc)
            self.close()
            return
        if self._body_size > MAX_BUFFERED and not self._paused and self.transport is not None:
            self.transport.pause_reading()
            self._paused = True
        self._wake()

    def eof_received(self) -> bool:
        self._connection_ended(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._connection_ended(exc)

    def _connection_ended(self, exc: Exception | None) -> None:
        self.closed = True
        self.keep_alive = False
        if self._state == _UNTIL_CLOSE and exc is None:
            # The end of the connection is the end of such a body (asyncio reports a TLS
            # server's close without close_notify this way too, as browsers tolerate it).
            self._state = _DONE
        elif self._state != _DONE and self._error is None:
            if self.head is None and not self._received_any:
                self._error = _StaleConnection(exc)
            elif exc is not None:
                self._error = exc
            elif self.head is None:
                self._error = httpx.RemoteProtocolError(
                    "the server closed the connection without answering")
            else:
                self._error = httpx.RemoteProtocolError(
                    "the server closed the connection before the whole body was sent")
        self._wake()

    # Parsing ----------------------------------------------------------------------------

    def _parse(self) -> None:
        buffer = self._buffer
        while buffer:
            state = self._state
            if state == _HEAD:
                if not self._parse_head():
                    return
            elif state in (_LENGTH, _CHUNK_DATA):  # a counted run of body bytes
                take = min(self._left, len(buffer))
                self._emit(bytes(buffer[:take]))
                del buffer[:take]
                self._left -= take
                if self._left == 0:
                    self._state = _DONE if state == _LENGTH else _CHUNK_END
            elif state == _UNTIL_CLOSE:
                self._emit(bytes(buffer))
                buffer.clear()
            elif state in (_CHUNK_SIZE, _CHUNK_END, _TRAILER):
                end = buffer.find(b"\n")
                if end < 0:
                    if len(buffer) > 4096:
                        raise MalformedAnswer("a chunk header is too long")
                    return
                line = bytes(buffer[:end]).strip()
                del buffer[: end + 1]
                if state == _CHUNK_END:
                    if line:
                        raise MalformedAnswer("a chunk is longer than it said")
                    self._state = _CHUNK_SIZE
                elif state == _CHUNK_SIZE:
                    size_text = line.split(b";", 1)[0].strip()
                    try:
                        size = int(size_text, 16)
                    except ValueError:
                        raise MalformedAnswer(
                            f"bad chunk size {size_text[:20]!r}") from None
                    if size < 0:
                        raise MalformedAnswer("bad chunk size")
                    self._left = size
                    self._state = _CHUNK_DATA if size else _TRAILER
                elif not line:  # the empty line after the trailers ends the message
                    self._state = _DONE
            else:  # _DONE: anything more is not ours
                if buffer:
                    self.keep_alive = False
                    buffer.clear()
                return

    def _parse_head(self) -> bool:
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        gap = 4
        if end < 0:
            end = buffer.find(b"\n\n")
            gap = 2
            if end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise MalformedAnswer("the response head is too long")
                return False
        raw = bytes(buffer[:end])
        del buffer[: end + gap]
        lines = raw.split(b"\r\n") if gap == 4 else [x.rstrip(b"\r") for x in raw.split(b"\n")]
        parts = lines[0].split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or len(parts[1]) != 3 \
                or not parts[1].isdigit():
            raise MalformedAnswer(f"not an HTTP response: {lines[0][:60]!r}")
        version, status = parts[0], int(parts[1])
        reason = parts[2].strip() if len(parts) > 2 else b""
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding
                name, value = headers[-1]
                headers[-1] = (name, value + b" " + line.strip())
                continue
            name, colon, value = line.partition(b":")
            if colon and name.strip():
                headers.append((name.strip(), value.strip()))
        if 100 <= status < 200 and status != 101:
            return True  # an interim answer (100 Continue, 103 Early Hints): the real one follows
        self.head = (version, status, reason, headers)
        self._frame(version, status, headers)
        return True

    def _frame(self, version: bytes, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        """Decide how the body ends (RFC 9112 section 6.3) and whether to reuse the
        connection afterwards."""
        connection = b""
        encoding = b""
        lengths: set[bytes] = set()
        for name, value in headers:
            lower = name.lower()
            if lower == b"content-length":
                lengths.update(v.strip() for v in value.split(b","))
            elif lower == b"transfer-encoding":
                encoding = value.lower()
            elif lower == b"connection":
                connection = value.lower()
        self.keep_alive = version == b"HTTP/1.1" and b"close" not in connection
        if self._head_only or status in (204, 304) or status == 101:
            self._state = _DONE
            if status == 101:
                self.keep_alive = False
        elif encoding:
            if lengths:
                self.keep_alive = False  # both framings: a smuggling risk; do not reuse
            if encoding.rsplit(b",", 1)[-1].strip() == b"chunked":
                self._state = _CHUNK_SIZE
            else:
                self._state = _UNTIL_CLOSE
                self.keep_alive = False
        elif lengths:
            if len(lengths) > 1 or not all(v.isdigit() for v in lengths):
                raise MalformedAnswer(
                    f"conflicting or bad Content-Length: {b', '.join(sorted(lengths))[:60]!r}")
            self._left = int(lengths.pop())
            self._state = _LENGTH if self._left else _DONE
        else:
            self._state = _UNTIL_CLOSE
            self.keep_alive = False

    def _emit(self, data: bytes) -> None:
        if data:
            self._body.append(data)
            self._body_size += len(data)

    # The request's side -------------------------------------------------------------------

    def send(self, data: bytes, *, head_only: bool) -> None:
        if self.closed or self.transport is None or self.transport.is_closing():
            raise _StaleConnection(None)
        self._state = _HEAD
        self.head = None
        self._head_only = head_only
        self._received_any = False
        self._error = None
        self._body.clear()
        self._body_size = 0
        self._buffer.clear()
        self.transport.write(data)

    async def wait(self, timeout: float | None) -> None:
        """Wait until something arrives (or the connection ends) for up to ``timeout``."""
        waiter = self._loop.create_future()
        self._waiter = waiter
        handle = None
        if timeout is not None:
            handle = self._loop.call_later(timeout, _expire, waiter)
        try:
            await waiter
        finally:
            self._waiter = None
            if handle is not None:
                handle.cancel()

    async def read_head(self, timeout: float | None) -> None:
        while self.head is None:
            self._raise_error()
            await self.wait(timeout)

    def take(self) -> bytes:
        """Body bytes that have arrived, or ``b""`` when there are none (yet)."""
        if not self._body:
            return b""
        data = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        self._body.clear()
        self._body_size = 0
        if self._paused and self.transport is not None and not self.closed:
            self._paused = False
            self.transport.resume_reading()
        return data

    @property
    def complete(self) -> bool:
        return self._state == _DONE and self._error is None

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _fail(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _read_failure(exc: TimeoutError | OSError) -> httpx.TransportError:
    """The httpx exception for a failure while waiting for an answer; the caller chains the
    socket or TLS error as its cause, for ``http.failure_from``."""
    if isinstance(exc, TimeoutError):
        return httpx.ReadTimeout("no data within the read time-out")
    return httpx.ReadError(str(exc) or type(exc).__name__)


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class _Body(httpx.AsyncByteStream):
    """The body as it arrives; closing it gives the connection back for reuse when the
    whole message has been read (or had already arrived) and the server allows it."""

    def __init__(self, pool: LeanTransport, key: tuple[str, str, int],
                 connection: _Connection, read_timeout: float | None) -> None:
        self._pool = pool
        self._key = key
        self._connection: _Connection | None = connection
        self._timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            return
        while True:
            data = connection.take()
            if data:
                yield data
                continue
            if connection.complete:
                return
            try:
                connection._raise_error()
                await connection.wait(self._timeout)
            except (TimeoutError, OSError) as exc:
                raise _read_failure(exc) from exc

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._pool._release(self._key, connection)


#: (family, type, proto, canonical name, socket address), as getaddrinfo gives them.
AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]
Lookup = Callable[..., Coroutine[Any, Any, list[Any]]]


class LeanTransport(httpx.AsyncBaseTransport):
    """Direct HTTP/1.1 connections, kept alive per host. Limits on concurrency are the
    caller's (``http.Fetcher``); this keeps at most ``max_idle`` idle connections in all."""

    def __init__(self, *, ssl_context: Callable[[], ssl.SSLContext],
                 max_idle: int = 128, getaddrinfo: Lookup | None = None,
                 happy_eyeballs_delay: float = 0.25) -> None:
        self._getaddrinfo = getaddrinfo  # the loop's own when None (tests give a stand-in)
        self._happy_eyeballs_delay = happy_eyeballs_delay
        self._ssl_context_factory = ssl_context
        self._ssl_context: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._idle_count = 0
        self._max_idle = max_idle
        self._closed = False
        self._names: dict[str, tuple[float, asyncio.Task[Any]]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"{scheme!r} is not a web address")
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        timeouts = request.extensions.get("timeout", {})
        connect_timeout = timeouts.get("connect")
        read_timeout = timeouts.get("read")
        message = _request_bytes(request)
        head_only = request.method == "HEAD"
        connection = self._take_idle(key)
        if connection is not None:
            try:
                await self._ask(connection, message, head_only, read_timeout)
            except _StaleConnection:
                connection = None  # the server had closed it while idle: ask on a new one
        if connection is None:
            connection = await self._connect(key, connect_timeout)
            try:
                await self._ask(connection, message, head_only, read_timeout)
            except _StaleConnection as stale:
                if isinstance(stale.cause, OSError):
                    raise httpx.ReadError(str(stale.cause) or "connection reset") \
                        from stale.cause
                raise httpx.RemoteProtocolError(str(stale)) from None
        assert connection.head is not None
        version, status, reason, headers = connection.head
        return httpx.Response(
            status,
            headers=headers,
            stream=_Body(self, key, connection, read_timeout),
            extensions={"http_version": version, "reason_phrase": reason},
            request=request,
        )

    @staticmethod
    async def _ask(connection: _Connection, message: bytes, head_only: bool,
                   read_timeout: float | None) -> None:
        """Send the request and wait for the answer's head; on any failure the connection
        is closed. ``_StaleConnection`` is left to the caller, which may ask again."""
        try:
            connection.send(message, head_only=head_only)
            await connection.read_head(read_timeout)
        except _StaleConnection:
            connection.close()
            raise
        except (TimeoutError, OSError) as exc:
            connection.close()
            raise _read_failure(exc) from exc
        except BaseException:
            connection.close()
            raise

    def _take_idle(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        if not idle:
            return None
        now = asyncio.get_running_loop().time()
        while idle:
            connection = idle.pop()
            self._idle_count -= 1
            if not connection.closed and now - connection.idle_since < KEEPALIVE_SECONDS:
                return connection
            connection.close()
        return None

    async def _connect(self, key: tuple[str, str, int], timeout: float | None) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        context = self._ssl() if scheme == "https" else None
        name = host if context is not None else None
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolve(host)
                if len(addresses) == 1:
                    _, connection = await loop.create_connection(
                        lambda: _Connection(loop), addresses[0][4][0], port, ssl=context,
                        server_hostname=name)
                else:
                    # Several addresses (IPv6 and IPv4, say): race them, each started 250 ms
                    # after the last (RFC 8305), so an address whose route drops packets
                    # costs a quarter of a second, not the connect time-out. Done here, not
                    # by the event loop: uvloop's create_connection cannot.
                    with_port = [(*info[:4], (info[4][0], port, *info[4][2:]))
                                 for info in addresses]
                    sock = await aiohappyeyeballs.start_connection(
                        with_port, happy_eyeballs_delay=self._happy_eyeballs_delay,
                        interleave=1)
                    try:
                        _, connection = await loop.create_connection(
                            lambda: _Connection(loop), sock=sock, ssl=context,
                            server_hostname=name)
                    except BaseException:
                        sock.close()
                        raise
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"no connection to {host} within the time-out") from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return connection

    async def _resolve(self, host: str) -> list[AddrInfo]:
        """The host's addresses, one entry each. One lookup per host at a time, remembered
        for the run (failures for ``DNS_FAILURE_SECONDS``): the links and archive lookups of a
        case file share a handful of hosts, and many identical lookups at once can stall a
        resolver for its whole time-out."""
        if _is_ip_address(host):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, 0))]
        loop = asyncio.get_running_loop()
        now = loop.time()
        entry = self._names.get(host)
        if entry is None or entry[0] < now:
            lookup = loop.create_task(
                (self._getaddrinfo or loop.getaddrinfo)(host, None, type=socket.SOCK_STREAM))
            entry = self._names[host] = (now + DNS_SECONDS, lookup)
            lookup.add_done_callback(lambda done: self._looked_up(host, done))
        infos = await asyncio.shield(entry[1])
        unique = {info[4][0]: info for info in infos}
        return list(unique.values())

    def _looked_up(self, host: str, lookup: asyncio.Task[Any]) -> None:
        entry = self._names.get(host)
        if entry is None or entry[1] is not lookup:
            return
        if lookup.cancelled():
            del self._names[host]
        elif lookup.exception() is not None:
            expiry = asyncio.get_running_loop().time() + DNS_FAILURE_SECONDS
            self._names[host] = (expiry, lookup)

    def _ssl(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = self._ssl_context_factory()
        return self._ssl_context

    def _release(self, key: tuple[str, str, int], connection: _Connection) -> None:
        if (self._closed or connection.closed or not connection.keep_alive
                or not connection.complete or self._idle_count >= self._max_idle):
            connection.close()
            return
        connection.idle_since = asyncio.get_running_loop().time()
        self._idle.setdefault(key, []).append(connection)
        self._idle_count += 1

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        self._idle_count = 0


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _request_bytes(request: httpx.Request) -> bytes:
    lines = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    content = request.content if request.method not in ("GET", "HEAD") else b""
    return b"".join(lines) + content


class _ProxyRouter(httpx.AsyncBaseTransport):
    """Requests a proxy should carry go through httpx's own transport; the rest go direct."""

    def __init__(self, direct: httpx.AsyncBaseTransport, proxies: dict[str, str],
                 ssl_context: ssl.SSLContext) -> None:
        self._direct = direct
        self._proxies = proxies
        self._through: dict[str, httpx.AsyncBaseTransport] = {}
        self._ssl = ssl_context

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        scheme = request.url.scheme
        proxy = self._proxies.get(scheme)
        if not proxy or urllib.request.proxy_bypass(request.url.host):  # NO_PROXY
            return await self._direct.handle_async_request(request)
        transport = self._through.get(scheme)
        if transport is None:
            transport = self._through[scheme] = httpx.AsyncHTTPTransport(
                verify=self._ssl, proxy=proxy)
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._direct.aclose()
        for transport in self._through.values():
            await transport.aclose()


def build_transport(max_idle: int) -> httpx.AsyncBaseTransport:
    """The transport refcheck uses: direct connections, or httpx's transport for requests
    that the proxy variables (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``) send through a
    proxy."""
    direct = LeanTransport(ssl_context=default_ssl_context, max_idle=max_idle)
    proxies = {k: v for k, v in urllib.request.getproxies().items() if k in ("http", "https")}
    if not proxies:
        return direct
    return _ProxyRouter(direct, proxies, default_ssl_context())


def default_ssl_context() -> ssl.SSLContext:
    """Certificates from certifi (as httpx uses), HTTP/1.1 only."""
    try:
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi comes with httpx
        context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context
