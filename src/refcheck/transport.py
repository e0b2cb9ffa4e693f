"""refcheck's own HTTP/1.1 transport behind httpx's transport interface.

A link checker asks for one page per link and reads at most a few megabytes of it, so it
needs a small part of HTTP/1.1: a GET, a response head, a body framed by Content-Length,
chunks or the end of the connection, and connections kept alive between requests to one
host. This module does that much over asyncio's protocol interface, because the general
clients cost more CPU per request than everything else refcheck does for a link together
(benchmarks/README.md has the figures). What it does not do, it leaves to httpx: requests
through a proxy go through httpx's own transport (``build_transport``).

Responses are parsed by llhttp (through ``httptools``), the parser of Node and uvicorn, with
two of its leniencies, both where browsers are lenient too: a bare LF ends a line, and a
body sent in chunks with a Content-Length as well is read by its chunks (and the connection
is not used again). Everything else llhttp refuses is refused: NUL or a bare CR in a head,
header lines without a colon or with a space before it, folded header lines, chunk sizes
such as ``0x5``, ``+5`` or ``0_5``, conflicting lengths.

What this module owns besides is the connection handling: an idle pool, the rule that a
connection is used again only when its last answer was read whole and nothing came after
it, a second try on a new connection when a kept-alive one turns out to have been closed by
the server, and reading paused while a body waits for its reader.

Every failure is translated once, here, into a ``Failure`` (``failure_of``, one table by
exception type), and raised as::

    httpx.TransportError
     └── RequestFailed          .failure: the Failure, with the socket or TLS error as cause

Requests through a proxy are translated by the same table.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import os
import socket
import ssl
import sys
import urllib.request
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, cast

import aiohappyeyeballs
import httptools
import httpx

from refcheck.model import Failure, FailureKind
from refcheck.urls import address_defect

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

# Where the answer to the request on a connection stands.
_HEAD, _BODY, _DONE = range(3)


class RequestFailed(httpx.TransportError):
    """A request got no usable answer. ``failure`` says why, translated once (``failure_of``);
    the socket or TLS error, where there is one, is the cause."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message or failure.kind.value)
        self.failure = failure


# -- the one translation ----------------------------------------------------------------

#: OpenSSL's reasons when the server offers only TLS versions older than 1.2, which
#: OpenSSL 3 refuses: the alert the server sends, or the client's own refusal of its hello.
_OUTDATED_TLS = frozenset({"TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL",
                           "VERSION_TOO_LOW"})
_UNTRACED = ("its certificate could not be traced to an authority this machine trusts: most "
             "often the server leaves out an intermediate certificate, which browsers fetch "
             "for themselves to show the page, so open it in a browser")
#: X.509 verification error codes (OpenSSL's X509_V_ERR_*) and what they mean to a reader.
_CERTIFICATE_PROBLEMS = {
    # The issuer is not in the trust store: mostly a server that sends its own certificate
    # without the intermediate one that links it to a root, which browsers fetch themselves
    # (from the address the certificate names) or already hold, so the page shows for them.
    2: _UNTRACED,
    9: "certificate not yet valid",
    10: "certificate expired",
    18: "self-signed certificate",
    19: "self-signed certificate",
    20: _UNTRACED,
    21: _UNTRACED,
    23: "certificate revoked",
    62: "certificate is for a different host name",
    64: "certificate is for a different address",
}
_OUTDATED = "the server only offers an outdated TLS version"
#: OpenSSL's reasons a reader meets most, in words they can act on (its own name for the
#: reason, WRONG_VERSION_NUMBER, says nothing to them).
_TLS_REASONS = {
    # What came back was no TLS: mostly a site that serves only http:// at that address.
    "WRONG_VERSION_NUMBER": "the server did not answer in https at this address: it may "
                            "serve the page only at http://",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "the server and refcheck share no way to encrypt the "
                                     "connection",
    "UNEXPECTED_EOF_WHILE_READING": "the server closed the connection while setting up "
                                    "encryption",
}


def _certificate(exc: BaseException) -> Failure:
    error = cast(ssl.SSLCertVerificationError, exc)
    known = _CERTIFICATE_PROBLEMS.get(error.verify_code)
    message = (error.verify_message or str(error)).strip()
    return Failure(FailureKind.TLS, known or f"certificate problem: {message}")


def _tls(exc: BaseException) -> Failure:
    error = cast(ssl.SSLError, exc)
    reason = error.reason
    if reason in _OUTDATED_TLS:
        return Failure(FailureKind.TLS, _OUTDATED)
    # The server accepts none of the protocols we offer (only http/1.1): it speaks HTTP/2
    # alone. Python 3.11's table of OpenSSL 3's reasons lacks this alert, so it has no
    # reason, only OpenSSL's text.
    if reason == "TLSV1_ALERT_NO_APPLICATION_PROTOCOL" or (
            reason is None and "alert no application protocol" in str(error)):
        return Failure(FailureKind.HTTP2_ONLY, "")
    return Failure(FailureKind.TLS, _TLS_REASONS.get(reason or "", reason or str(error)))


#: errno values that mean this machine, not the server, ran out of something.
_LOCAL_ERRNOS = {errno.EMFILE: "too many open files (raise `ulimit -n`, or lower --concurrency)",
                 errno.ENFILE: "the system's table of open files is full",
                 errno.ENOBUFS: "no buffer space (too many connections at once)",
                 errno.ENOMEM: "out of memory"}


#: errno values that mean no route leads from this machine to the server's address.
_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH})
_NO_ROUTE = ("no route to the server: the network between here and it is down or does not "
             "reach it")
_NO_IPV6 = ("the server has only IPv6 addresses, and this network has no route to them: many "
            "networks carry only IPv4; open it on another network, or cite an archived copy")


def _unreachable(exc: BaseException) -> Failure | None:
    if getattr(exc, "errno", None) in _UNREACHABLE:
        return Failure(FailureKind.OTHER, _NO_ROUTE)
    return None


def _local(exc: BaseException) -> Failure | None:
    """A failure of this machine (out of file descriptors, buffers, memory): reported as
    the machine's, never as the link's. None for any other OSError."""
    reason = _LOCAL_ERRNOS.get(getattr(exc, "errno", None) or -1)
    return Failure(FailureKind.LOCAL, reason) if reason else None


#: The resolver's answers that say the name does not exist; any other failure of a lookup
#: (``EAI_AGAIN``: "Temporary failure in name resolution", ``EAI_FAIL``) says nothing
#: about the name, only that it could not be looked up now.
_NO_SUCH_NAME = frozenset(getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA",
                                                               "EAI_ADDRFAMILY")
                          if hasattr(socket, name))


def is_temporary_dns_failure(exc: BaseException | None) -> bool:
    return isinstance(exc, socket.gaierror) and exc.errno not in _NO_SUCH_NAME


def _dns(exc: BaseException) -> Failure:
    if is_temporary_dns_failure(exc):
        return Failure(FailureKind.DNS_TEMPORARY, "temporary failure in name resolution")
    return Failure(FailureKind.DNS, "host name not found")


def _text(kind: FailureKind, fixed: str | None = None) -> Callable[[BaseException], Failure]:
    def translate(exc: BaseException) -> Failure:
        return Failure(kind, fixed if fixed is not None else (str(exc) or type(exc).__name__))
    return translate


#: Most specific first: the first entry that matches any exception along the chain of
#: causes wins (httpx's exceptions carry httpcore's, which carry the socket's).
_TRANSLATIONS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...],
                           Callable[[BaseException], Failure | None]], ...] = (
    (RequestFailed, lambda exc: cast(RequestFailed, exc).failure),
    ((httpx.InvalidURL, httpx.UnsupportedProtocol), _text(FailureKind.INVALID_URL)),
    (socket.gaierror, _dns),
    (ssl.SSLCertVerificationError, _certificate),
    (ssl.SSLError, _tls),
    (ConnectionRefusedError, _text(FailureKind.REFUSED, "")),
    ((ConnectionResetError, ConnectionAbortedError, BrokenPipeError),
     _text(FailureKind.RESET, "connection reset")),
    ((TimeoutError, httpx.TimeoutException), _text(FailureKind.TIMEOUT, "")),
    (OSError, _local),
    (OSError, _unreachable),
    ((httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError),
     _text(FailureKind.RESET, "connection closed early")),
    (httpx.ProxyError, _text(FailureKind.OTHER)),
)


def failure_of(exc: BaseException) -> Failure:
    """The most specific ``Failure`` for an exception raised while fetching: the one
    translation from exceptions to failures, by type, along the chain of causes."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 12 and all(current is not e for e in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    for types, translate in _TRANSLATIONS:
        for error in chain:
            if isinstance(error, types) and (found := translate(error)) is not None:
                return found
    return Failure(FailureKind.OTHER, str(exc) or type(exc).__name__)


def _failed(exc: BaseException) -> RequestFailed:
    failed = RequestFailed(failure_of(exc))
    failed.__cause__ = exc
    return failed


def _protocol_error(message: str) -> RequestFailed:
    return RequestFailed(Failure(FailureKind.PROTOCOL, message))


def _escaped(data: bytes) -> str:
    """A server's bytes as text a person can read and no terminal acts on: printable ASCII
    as it is, every other byte escaped (``\\x00``, ``\\r``, ``\\n``, ``\\xe9``)."""
    return data.decode("latin-1").encode("unicode_escape").decode("ascii")


def _looks_like_http2(first: bytes) -> bool:
    """The start of an HTTP/2 connection: a SETTINGS frame (the server's connection preface,
    RFC 9113 section 3.4) or the client preface echoed."""
    if first.startswith(b"PRI * HTTP/2.0"):
        return True
    return len(first) >= 9 and first[3] == 0x04 and first[5:9] == b"\0\0\0\0"


class _StaleConnection(Exception):
    """The connection ended before a byte of the answer: on a kept-alive connection the
    server had closed it while idle, so the request is asked again on a new one."""

    def __init__(self, cause: BaseException | None) -> None:
        super().__init__("the server closed the connection without answering")
        self.cause = cause


class _Extra(Exception):
    """Bytes after a complete answer: parsing stops, and the connection is not reused."""


class _Connection(asyncio.Protocol):
    """One connection to one server, answering one request at a time. It is also the
    parser's callback object: llhttp calls the ``on_*`` methods as it reads."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.peer: str | None = None  # the address connected to
        self.closed = False
        self.idle_since = 0.0
        self._parser: httptools.HttpResponseParser | None = None
        self._state = _DONE
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._paused = False
        # The response being read.
        self.head: tuple[bytes, int, bytes, list[tuple[bytes, bytes]]] | None = None
        self.keep_alive = False
        self._head_only = False
        self._until_close = False
        self._received = 0  # bytes of the answer so far, until its head is complete
        self._first = b""
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_size = 0
        self._body: list[bytes] = []
        self._body_size = 0

    # asyncio's side -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (asyncio's own, or another loop's that only quacks like one).
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) and peer else None

    def data_received(self, data: bytes) -> None:
        parser = self._parser
        if self._state == _DONE or parser is None:
            self.keep_alive = False  # bytes nobody asked for: do not reuse the connection
            return
        if self._state == _HEAD:
            if not self._received:
                self._first = data[:16]
            self._received += len(data)
        try:
            parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            if self._state == _DONE:
                self.keep_alive = False  # what came after the answer is not ours
            else:
                self._fail(self._refusal(exc))
                self.close()
                return
        if self._state == _HEAD and self._received > MAX_HEAD_BYTES:
            self._fail(_protocol_error("the response head is too long"))
            self.close()
            return
        if self._body_size > MAX_BUFFERED and not self._paused and self.transport is not None:
            self.transport.pause_reading()
            self._paused = True
        self._wake()

    def _refusal(self, exc: Exception) -> RequestFailed:
        if self.head is None and _looks_like_http2(self._first):
            return RequestFailed(Failure(FailureKind.HTTP2_ONLY, ""))
        cause = exc.__context__
        if isinstance(cause, RequestFailed):  # raised by one of our callbacks
            return cause
        if self.head is None and not self._first.startswith(b"HTTP/"[:len(self._first)]):
            return _protocol_error(
                f"not an HTTP response: it begins \u201c{_escaped(self._first)}\u201d")
        reason = str(exc) or "unreadable"
        return _protocol_error(reason[:1].lower() + reason[1:])

    def eof_received(self) -> bool:
        self._connection_ended(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._connection_ended(exc)
        # The parser calls back into this object and the transport holds it: a cycle that
        # reference counting cannot free. Broken here, a closed connection goes at once,
        # instead of waiting for a collection of the oldest generation, which a long run
        # with its raised thresholds (``refcheck.__main__``) may never make.
        self._parser = None
        self.transport = None

    def _connection_ended(self, exc: Exception | None) -> None:
        self.closed = True
        self.keep_alive = False
        if self._state == _BODY and self._until_close and exc is None:
            # The end of the connection is the end of such a body (asyncio reports a TLS
            # server's close without close_notify this way too, as browsers tolerate it).
            self._state = _DONE
        elif self._state != _DONE and self._error is None:
            if self.head is None and not self._received:
                self._error = _StaleConnection(exc)
            elif exc is not None:
                self._error = _failed(exc)
            elif self.head is None:
                self._error = RequestFailed(Failure(FailureKind.RESET, ""))
            else:
                self._error = RequestFailed(Failure(
                    FailureKind.RESET, "before the whole body was sent"))
        self._wake()

    # llhttp's side ----------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._state == _DONE:
            raise _Extra
        self._reason = b""
        self._headers = []

    def on_status(self, status: bytes) -> None:
        self._reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        if self._head_size > MAX_HEAD_BYTES:
            raise _protocol_error("the response head is too long")
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self._parser
        assert parser is not None
        status = parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            return  # an interim answer (100 Continue, 103 Early Hints): the real one follows
        headers = self._headers
        chunked = has_length = False
        for name, value in headers:
            lower = name.lower()
            if lower == b"content-length":
                has_length = True
            elif lower == b"transfer-encoding":
                chunked = value.rsplit(b",", 1)[-1].strip().lower() == b"chunked"
        version = b"HTTP/" + parser.get_http_version().encode("ascii")
        self.head = (version, status, self._reason.strip(), headers)
        # Both framings is a smuggling risk: the chunks are read, the connection is not reused.
        self.keep_alive = parser.should_keep_alive() and not (chunked and has_length) \
            and status != 101
        if self._head_only or status == 101:
            self._state = _DONE
            return
        self._until_close = not chunked and not has_length and status not in (204, 304)
        self._state = _BODY

    def on_body(self, body: bytes) -> None:
        if self._state == _DONE:  # a body after the head of an answer to HEAD
            raise _Extra
        self._body.append(body)
        self._body_size += len(body)

    def on_message_complete(self) -> None:
        if self.head is not None:  # else an interim answer ended: the real one follows
            self._state = _DONE

    # The request's side -------------------------------------------------------------------

    def send(self, data: bytes, *, head_only: bool) -> None:
        if self.closed or self.transport is None or self.transport.is_closing():
            raise _StaleConnection(None)
        parser = httptools.HttpResponseParser(self)
        parser.set_dangerous_leniencies(
            lenient_optional_cr_before_lf=True, lenient_chunked_length=True)
        self._parser = parser
        self._state = _HEAD
        self.head = None
        self._head_only = head_only
        self._until_close = False
        self._received = 0
        self._head_size = 0
        self._error = None
        self._body.clear()
        self._body_size = 0
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
            self.raise_error()
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

    def raise_error(self) -> None:
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
            connection.raise_error()
            try:
                await connection.wait(self._timeout)
            except TimeoutError as exc:
                raise _failed(exc) from exc

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._pool._release(self._key, connection)


#: (family, type, proto, canonical name, socket address), as getaddrinfo gives them.
AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]
Resolver = Callable[..., Coroutine[Any, Any, list[Any]]]


class LeanTransport(httpx.AsyncBaseTransport):
    """Direct HTTP/1.1 connections, kept alive per host. Limits on concurrency are the
    caller's (``http.Fetcher``); this keeps at most ``max_idle`` idle connections in all."""

    def __init__(self, *, ssl_context: Callable[[], ssl.SSLContext],
                 max_idle: int = 128, getaddrinfo: Resolver | None = None,
                 clock: Callable[[], float] | None = None,
                 work: Callable[[str], int] | None = None,
                 happy_eyeballs_delay: float = 0.25) -> None:
        self._getaddrinfo = getaddrinfo  # the loop's own when None (tests give a stand-in)
        self._happy_eyeballs_delay = happy_eyeballs_delay
        self._ssl_context_factory = ssl_context
        self._ssl_context: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._idle_count = 0
        self._max_idle = max_idle
        #: When host names' addresses (and failures to find any) expire: the loop's clock,
        #: or a test's.
        self._clock = clock
        #: Requests a host still has to come (the Fetcher's count): when the pool is full,
        #: the idle connection kept is the one the most work is waiting for.
        self._work = work or (lambda host: 0)
        self._closed = False
        self._names: dict[str, tuple[float, asyncio.Task[Any]]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise RequestFailed(Failure(FailureKind.INVALID_URL,
                                        f"{scheme!r} is not a web address"))
        defect = address_defect(str(url))  # port 99999 (else taken modulo 65536), a long label
        if defect is not None:
            raise RequestFailed(Failure(FailureKind.INVALID_URL, defect))
        host = url.raw_host.decode("ascii")  # an international name in its xn-- form
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
                if stale.cause is not None:
                    raise _failed(stale.cause) from stale.cause
                raise RequestFailed(Failure(FailureKind.RESET, "")) from None
        assert connection.head is not None
        version, status, reason, headers = connection.head
        return httpx.Response(
            status,
            headers=headers,
            stream=_Body(self, key, connection, read_timeout),
            extensions={"http_version": version, "reason_phrase": reason,
                        "server_addr": connection.peer},
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
        except (TimeoutError, OSError) as exc:
            connection.close()
            raise _failed(exc) from exc
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
            # Bytes that arrived while it was idle (keep_alive turned off) were no answer
            # to anything: the connection is not trusted with another request.
            if (not connection.closed and connection.keep_alive
                    and now - connection.idle_since < KEEPALIVE_SECONDS):
                return connection
            connection.close()
        return None

    async def _connect(self, key: tuple[str, str, int], timeout: float | None) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        context = self._ssl() if scheme == "https" else None
        name = host if context is not None else None
        addresses: list[AddrInfo] = []
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
        except (TimeoutError, OSError) as exc:
            if (getattr(exc, "errno", None) in _UNREACHABLE and addresses
                    and all(info[0] == socket.AF_INET6 for info in addresses)):
                # An IPv6-only host, seen from a network without IPv6 (a browser here fails
                # too): said so, rather than as a route that is down.
                raise RequestFailed(Failure(FailureKind.OTHER, _NO_IPV6)) from exc
            raise _failed(exc) from exc
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
        now = self._now()
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
        if lookup.cancelled() or is_temporary_dns_failure(lookup.exception()):
            del self._names[host]  # asked again by the next link, or the link's next try
        elif lookup.exception() is not None:
            expiry = self._now() + DNS_FAILURE_SECONDS
            self._names[host] = (expiry, lookup)

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def _ssl(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = self._ssl_context_factory()
        return self._ssl_context

    def _release(self, key: tuple[str, str, int], connection: _Connection) -> None:
        if (self._closed or connection.closed or not connection.keep_alive
                or not connection.complete):
            connection.close()
            return
        if self._idle_count >= self._max_idle and not self._make_room(key):
            connection.close()
            return
        connection.idle_since = asyncio.get_running_loop().time()
        self._idle.setdefault(key, []).append(connection)
        self._idle_count += 1

    def _make_room(self, key: tuple[str, str, int]) -> bool:
        """The pool is full: close the idle connection of the host with the least work left,
        if that is less than ``key``'s host has; False when this one should go instead.
        So a host with queued work keeps its connection, however many hosts there are."""
        wanted = self._work(key[1])
        if not wanted:
            return False
        victim, least = None, wanted
        for other, idle in self._idle.items():  # oldest first: mostly hosts that are done
            if idle and (work := self._work(other[1])) < least:
                victim, least = other, work
                if not work:
                    break
        if victim is None:
            return False
        self._idle[victim].pop(0).close()
        if not self._idle[victim]:
            del self._idle[victim]
        self._idle_count -= 1
        return True

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


class _Translated(httpx.AsyncByteStream):
    """A body from httpx's own transport, its failures translated as ours are."""

    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except httpx.HTTPError as exc:
            raise _failed(exc) from exc

    async def aclose(self) -> None:
        await self._stream.aclose()


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
        try:
            response = await transport.handle_async_request(request)
        except httpx.HTTPError as exc:
            raise _failed(exc) from exc
        stream = response.stream
        if isinstance(stream, httpx.AsyncByteStream):
            response.stream = _Translated(stream)
        return response

    async def aclose(self) -> None:
        await self._direct.aclose()
        for transport in self._through.values():
            await transport.aclose()


def build_transport(max_idle: int,
                    work: Callable[[str], int] | None = None) -> httpx.AsyncBaseTransport:
    """The transport refcheck uses: direct connections, or httpx's transport for requests
    that the proxy variables (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``) send through a
    proxy."""
    direct = LeanTransport(ssl_context=default_ssl_context, max_idle=max_idle, work=work)
    proxies = {k: v for k, v in urllib.request.getproxies().items() if k in ("http", "https")}
    if not proxies:
        return direct
    return _ProxyRouter(direct, proxies, default_ssl_context())


def default_ssl_context() -> ssl.SSLContext:
    """The certificates refcheck trusts, HTTP/1.1 only. The first of these that applies:

    1. ``SSL_CERT_FILE`` and/or ``SSL_CERT_DIR``, when either is set: those certificates and
       no others (how the CA of a TLS-inspecting proxy is trusted; OpenSSL, curl and pip
       read the same variables).
    2. The operating system's trust store: on Windows and macOS through ``truststore``, which
       asks the system's own verifier (as pip does); on Linux and the BSDs the system bundle
       that OpenSSL finds (which is what truststore would load there, but loaded once, not
       again for every connection).
    3. certifi's copy of Mozilla's roots: when truststore is not installed, or no system
       bundle is found (a minimal container).
    """
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile or capath:
        try:
            context = ssl.create_default_context(cafile=cafile, capath=capath)
        except OSError as exc:
            raise ValueError(f"cannot read the certificates that SSL_CERT_FILE or "
                             f"SSL_CERT_DIR names: {exc.strerror or exc}") from None
    else:
        context = _system_context() or _certifi_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


def _system_context() -> ssl.SSLContext | None:
    if sys.platform in ("win32", "darwin"):
        try:
            import truststore
        except ImportError:
            return None
        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context = ssl.create_default_context()
    if context.cert_store_stats()["x509_ca"]:  # the bundle file is read at once
        return context
    capath = ssl.get_default_verify_paths().capath  # a folder is read certificate by certificate
    if capath is not None:
        with os.scandir(capath) as entries:
            if any(entries):
                return context
    return None


def _certifi_context() -> ssl.SSLContext:
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())
