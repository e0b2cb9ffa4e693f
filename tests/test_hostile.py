"""Hostile and broken servers on 127.0.0.1, each checked for what a user would see: the
verdict (status and detail) refcheck gives the link, and what was put on the wire.

Issue 9's HTTP defects (header injection, international host names, the trust store, the
parser, TLS and HTTP/2 failures, content codings, bounded waits), and the behaviours that
already worked, so none of them regresses: a gzip bomb stops at the cap, a 1 MB header is
refused, a second answer to one request is never taken for the next one, and control
characters in a title are kept as data.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from refcheck.http import Fetcher, HttpSettings
from refcheck.model import Fetch, Status, Verdict
from refcheck.transport import LeanTransport, default_ssl_context
from refcheck.verdict import classify
from tests.conftest import Waits
from tests.test_transport import Handler, Server, answer, keep_answering, read_request


def lean(**options: Any) -> LeanTransport:
    return LeanTransport(ssl_context=options.pop("ssl_context", default_ssl_context), **options)


def check(url: str, transport: LeanTransport | None = None, waits: Waits | None = None,
          **settings: Any) -> tuple[Fetch, Verdict]:
    """Fetch ``url`` as refcheck does and classify it: what the report would say."""
    async def go() -> Fetch:
        async with Fetcher(HttpSettings(**settings), transport=transport or lean(),
                           sleep=waits or Waits(), jitter=lambda: 0.0) as fetcher:
            return await fetcher.fetch(url)
    fetch = asyncio.run(go())
    return fetch, classify(fetch)


def serve(handler: Handler, url: str = "/", **options: Any) -> tuple[Fetch, Verdict, Server]:
    """Start ``handler``'s server, check ``url`` on it, stop it."""
    async def go() -> tuple[Fetch, Server]:
        async with Server(handler) as server:
            transport = options.pop("transport", None) or lean()
            async with Fetcher(HttpSettings(**options), transport=transport,
                               sleep=Waits(), jitter=lambda: 0.0) as fetcher:
                fetch = await fetcher.fetch(f"http://127.0.0.1:{server.port}{url}")
        return fetch, server
    fetch, server = asyncio.run(go())
    return fetch, classify(fetch), server


def once(raw: bytes) -> Handler:
    """A server that answers every request with ``raw``, as it is, then hangs up."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      number: int) -> None:
        await read_request(reader)
        writer.write(raw)
        await writer.drain()
    return handler


def scripted(pages: dict[bytes, bytes], seen: list[bytes]) -> Handler:
    """Answers by request path (``GET /path``) with the raw bytes given; records requests."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      number: int) -> None:
        while request := await read_request(reader):
            seen.append(request)
            path = request.split(b" ", 2)[1]
            writer.write(pages.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
            await writer.drain()
    return handler


class Names:
    """Stands in for getaddrinfo: every name is 127.0.0.1; the names asked are recorded."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def __call__(self, host: str, port: object, **kwargs: object) -> list[Any]:
        self.asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))]


# -- 4. header injection --------------------------------------------------------------------


def test_a_cookie_with_a_line_break_does_not_become_a_header_of_the_next_hop() -> None:
    seen: list[bytes] = []
    pages = {
        b"/start": (b"HTTP/1.1 302 Found\r\nLocation: /next\r\n"
                    b"Set-Cookie: a=b\nX-Injected: yes\r\nContent-Length: 0\r\n\r\n"),
        b"/next": answer(b"<title>Next</title>"),
    }
    _, verdict, _ = serve(scripted(pages, seen), "/start")
    assert verdict.status is Status.MOVED and verdict.page_title == "Next"
    second = seen[1]
    assert b"X-Injected" not in second
    assert b"\r\nCookie: a=b\r\n" in second  # read as browsers do: two header lines


@pytest.mark.parametrize("value", [b"a=b\rX-Injected: yes", b"a=b\x00X-Injected: yes"])
def test_a_cookie_with_a_bare_cr_or_nul_is_refused_with_its_answer(value: bytes) -> None:
    seen: list[bytes] = []
    pages = {
        b"/start": (b"HTTP/1.1 302 Found\r\nLocation: /next\r\nSet-Cookie: " + value
                    + b"\r\nContent-Length: 0\r\n\r\n"),
        b"/next": answer(),
    }
    _, verdict, _ = serve(scripted(pages, seen), "/start")
    assert verdict.status is Status.ERROR
    assert "not valid HTTP" in verdict.detail
    assert len(seen) == 1  # nothing more was asked, let alone with the cookie


def test_an_answer_that_is_not_http_is_quoted_as_escaped_text() -> None:
    """The bytes the server sent instead of a status line are shown as text, each control
    character escaped, and not as Python writes bytes (``b'...'``)."""
    _, verdict, _ = serve(once(b"\x00\x01garbage\r\n\r\n"))
    assert verdict.status is Status.ERROR
    assert verdict.detail == ("the server's answer is not valid HTTP (not an HTTP response: "
                              "it begins \u201c\\x00\\x01garbage\\r\\n\\r\\n\u201d)")


# -- 5. international host names ------------------------------------------------------------


@pytest.mark.parametrize("host", ["xn--bcher-kva.test", "bücher.test", "BÜCHER.test"])
def test_an_international_host_name_is_asked_for_in_its_xn_form(host: str) -> None:
    async def go() -> tuple[Fetch, list[bytes], list[str]]:
        seen: list[bytes] = []
        names = Names()
        async with Server(scripted({b"/x": answer(b"<title>Books</title>")}, seen)) as server:
            async with Fetcher(HttpSettings(retries=0),
                               transport=lean(getaddrinfo=names)) as fetcher:
                fetch = await fetcher.fetch(f"http://{host}:{server.port}/x")
            return fetch, seen, names.asked
    fetch, seen, asked = asyncio.run(go())
    assert classify(fetch).status is Status.OK
    assert asked == ["xn--bcher-kva.test"]
    assert b"\r\nHost: xn--bcher-kva.test:" in seen[0]


def test_a_redirect_to_a_raw_utf8_host_name_is_followed() -> None:
    async def go() -> tuple[Fetch, list[bytes], list[str]]:
        seen: list[bytes] = []
        names = Names()
        async with Server(scripted({}, seen)) as server:
            port = server.port
            location = f"http://bücher.test:{port}/end".encode()  # UTF-8, as servers send it
            server.handler = scripted({
                b"/start": (b"HTTP/1.1 301 Moved\r\nLocation: " + location
                            + b"\r\nContent-Length: 0\r\n\r\n"),
                b"/end": answer(b"<title>Report</title>"),
            }, seen)
            async with Fetcher(HttpSettings(retries=0),
                               transport=lean(getaddrinfo=names)) as fetcher:
                fetch = await fetcher.fetch(f"http://evidence.test:{port}/start")
            return fetch, seen, names.asked
    fetch, seen, asked = asyncio.run(go())
    assert classify(fetch).status is Status.MOVED
    assert asked == ["evidence.test", "xn--bcher-kva.test"]
    assert b"\r\nHost: xn--bcher-kva.test:" in seen[1]
    assert fetch.hops[0].location.startswith("http://xn--bcher-kva.test:")


# -- 6. the trust store ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def tls_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def fetch_over_tls(authority: trustme.CA) -> Verdict:
    async def go() -> Fetch:
        async with (Server(keep_answering, ssl_context=tls_context(authority)) as server,
                    Fetcher(HttpSettings(retries=0), transport=lean()) as fetcher):
            return await fetcher.fetch(f"https://localhost:{server.port}/a")
    return classify(asyncio.run(go()))


def test_a_certificate_authority_named_by_ssl_cert_file_is_trusted(
        authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As behind a TLS-inspecting proxy, whose CA the machine names in SSL_CERT_FILE."""
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert fetch_over_tls(authority).status is Status.ERROR  # unknown to the system
    bundle = tmp_path / "proxy-ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert fetch_over_tls(authority).status is Status.OK


def test_an_ssl_cert_file_that_cannot_be_read_is_named(
        authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    verdict = fetch_over_tls(authority)
    assert verdict.status is Status.ERROR
    assert "cannot read the certificates that SSL_CERT_FILE or SSL_CERT_DIR names" \
        in verdict.detail


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to hash the folder")
def test_a_certificate_authority_in_the_ssl_cert_dir_folder_is_trusted(
        authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    authority.cert_pem.write_to_path(str(tmp_path / "proxy-ca.pem"))
    subprocess.run(["openssl", "rehash", str(tmp_path)], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    assert fetch_over_tls(authority).status is Status.OK


# -- 7. the parser ----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    # A head with bare LF line ends whose body holds a blank CRLF line: the head ends at the
    # first blank line (the old parser looked for CRLF CRLF first, and waited forever).
    b"HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: 25\n\n"
    b"<title>Ok</title>\r\n\r\nbody",
    # A bare-LF 100 Continue, then the answer with CRLFs.
    b"HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    b"Content-Length: 17\r\n\r\n<title>Ok</title>",
])
def test_answers_with_bare_lf_line_ends_are_read(raw: bytes) -> None:
    _, verdict, _ = serve(once(raw), read_timeout=5.0)
    assert verdict.status is Status.OK
    assert verdict.page_title == "Ok"


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize("raw", [
    CHUNKED + b"0x5\r\nhello\r\n0\r\n\r\n",
    CHUNKED + b"+5\r\nhello\r\n0\r\n\r\n",
    CHUNKED + b"0_5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Note: a\x00b\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Note: a\rb\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nnot a header\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n",
], ids=["0x5", "+5", "0_5", "NUL", "bare CR", "no colon", "space before colon"])
def test_answers_two_readers_could_read_two_ways_are_refused_and_not_retried(
        raw: bytes) -> None:
    _, verdict, server = serve(once(raw), retries=2)
    assert verdict.status is Status.ERROR
    assert verdict.detail.startswith("the server's answer is not valid HTTP")
    assert server.connections == 1


# -- 8. TLS versions and HTTP/2 -------------------------------------------------------------


class _OldTls(socketserver.ThreadingTCPServer):
    """A server offering TLS 1.0 only, in a thread (asyncio's server does not send the alert
    a real one sends): the handshake is all it does."""

    daemon_threads = True

    def __init__(self, authority: trustme.CA) -> None:
        super().__init__(("127.0.0.1", 0), socketserver.BaseRequestHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        authority.issue_cert("localhost").configure_cert(context)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 is: that is the point
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1
        self.context = context
        self.handshakes = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        self.handshakes += 1
        try:
            with self.context.wrap_socket(request, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass  # the client refused our old TLS, as it should
        finally:
            request.close()


@pytest.fixture
def old_tls_server(authority: trustme.CA) -> Iterator[_OldTls]:
    server = _OldTls(authority)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_server_offering_only_tls_1_0_is_named_so_and_not_retried(
        old_tls_server: _OldTls, authority: trustme.CA) -> None:
    def trusting() -> ssl.SSLContext:
        context = default_ssl_context()
        authority.configure_trust(context)
        return context

    port = old_tls_server.server_address[1]
    _, verdict = check(f"https://localhost:{port}/", lean(ssl_context=trusting), retries=2)
    assert verdict.status is Status.ERROR
    assert "the server only offers an outdated TLS version" in verdict.detail
    assert old_tls_server.handshakes == 1


def test_a_server_answering_in_http_2_is_named_so_and_not_retried() -> None:
    """An HTTP/2-only server answers an HTTP/1.1 request with its connection preface: a
    SETTINGS frame (then a GOAWAY)."""
    settings_frame = b"\x00\x00\x06\x04\x00\x00\x00\x00\x00" + b"\x00\x03\x00\x00\x00\x64"
    goaway = b"\x00\x00\x08\x07\x00\x00\x00\x00\x00" + b"\x00" * 4 + b"\x00\x00\x00\x01"
    _, verdict, server = serve(once(settings_frame + goaway), retries=2)
    assert (verdict.status, verdict.detail) == (Status.ERROR, "the server requires HTTP/2")
    assert server.connections == 1


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl s_server")
def test_a_tls_server_that_accepts_only_h2_is_named_so(authority: trustme.CA,
                                                        tmp_path: Path) -> None:
    """ALPN: we offer http/1.1 alone; a server that speaks only h2 ends the handshake with
    the no_application_protocol alert (Python's own server cannot send it; OpenSSL's can)."""
    pem = tmp_path / "server.pem"
    authority.issue_cert("localhost").private_key_and_cert_chain_pem.write_to_path(str(pem))
    with subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", str(pem), "-alpn", "h2",
             "-www"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT) as server:
        assert server.stdout is not None
        for line in server.stdout:  # until it says where it listens
            if line.startswith(b"ACCEPT "):
                port = int(line.rsplit(b":", 1)[1])
                break
        else:
            pytest.fail("openssl s_server did not start")

        def trusting() -> ssl.SSLContext:
            context = default_ssl_context()
            authority.configure_trust(context)
            return context

        try:
            fetch, verdict = check(f"https://localhost:{port}/", lean(ssl_context=trusting),
                                   retries=2)
        finally:
            server.kill()
    assert (verdict.status, verdict.detail) == (Status.ERROR, "the server requires HTTP/2")
    assert fetch.attempts == 1


# -- 9. content codings -----------------------------------------------------------------------


def coded(body: bytes, coding: str) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "
            + coding.encode() + b"\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n\r\n" + body)


def raw_deflate(data: bytes) -> bytes:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return squeezer.compress(data) + squeezer.flush()


PAGE = b"<html><head><title>Annual report 2012</title></head><body>Evidence</body></html>"


@pytest.mark.parametrize(("coding", "body"), [
    ("deflate", zlib.compress(PAGE)),
    ("deflate", raw_deflate(PAGE)),
    ("gzip, gzip", gzip.compress(gzip.compress(PAGE))),
    ("deflate, gzip", gzip.compress(raw_deflate(PAGE))),
    ("gzip,deflate", zlib.compress(gzip.compress(PAGE))),
], ids=["deflate", "raw deflate", "gzip, gzip", "deflate, gzip", "gzip,deflate"])
def test_every_content_coding_listed_is_undone(coding: str, body: bytes) -> None:
    fetch, verdict, _ = serve(once(coded(body, coding)))
    assert verdict.page_title == "Annual report 2012"
    assert fetch.answer is not None and fetch.answer.body == PAGE


BOMB = b"<title>Bomb</title>" + b"0" * (16 * 1024 * 1024)


@pytest.mark.parametrize("coding", ["gzip", "gzip, gzip", "deflate"])
def test_a_compression_bomb_stops_at_the_cap(coding: str) -> None:
    body = {"gzip": gzip.compress(BOMB), "gzip, gzip": gzip.compress(gzip.compress(BOMB)),
            "deflate": raw_deflate(BOMB)}[coding]
    fetch, verdict, _ = serve(once(coded(body, coding)), max_bytes=65_536)
    assert fetch.answer is not None and fetch.answer.truncated
    assert len(fetch.answer.body) == 65_536
    assert verdict.page_title == "Bomb"


# -- 13. waits are bounded ------------------------------------------------------------------


@pytest.mark.parametrize(("status", "verdict_status"), [
    (b"429 Too Many Requests", Status.BLOCKED), (b"503 Service Unavailable", Status.ERROR)])
def test_a_server_asking_for_a_long_wait_is_reported_not_waited_for(
        status: bytes, verdict_status: Status) -> None:
    raw = b"HTTP/1.1 " + status + b"\r\nRetry-After: 600\r\nContent-Length: 0\r\n\r\n"
    waits = Waits()

    async def go() -> tuple[Fetch, int]:
        async with Server(once(raw)) as server:
            async with Fetcher(HttpSettings(deadline=8), transport=lean(), sleep=waits) as f:
                fetch = await f.fetch(f"http://127.0.0.1:{server.port}/")
            return fetch, server.connections
    fetch, connections = asyncio.run(go())
    verdict = classify(fetch)
    assert verdict.status is verdict_status
    assert verdict.detail.endswith("the server asked us to wait 10 minutes; try later")
    assert "tries" not in verdict.detail
    assert (connections, waits.asked) == (1, [])


@pytest.mark.parametrize(("value", "words"), [
    (b"100000000000000000000000", "more than a year"),  # 1157407407407407360 days
    (b"9" * 400, "more than a year"),  # more than a float can hold
    (b"Fri, 31 Dec 9999 23:59:59 GMT", "more than a year"),
    (b"31536000", "365 days"),
])
def test_a_wait_of_years_is_said_in_words_a_person_can_read(value: bytes, words: str) -> None:
    raw = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: " + value + (
        b"\r\nContent-Length: 0\r\n\r\n")
    _, verdict, _ = serve(once(raw), deadline=8)
    assert verdict.status is Status.ERROR
    assert verdict.detail == (f"503 Service Unavailable: the server asked us to wait {words}; "
                              "try later")


def test_retry_after_waits_fit_within_the_deadline() -> None:
    """Issue 9's case: two answers each asking for 120 s, under a deadline of 8 s, used to
    cost 241 s; now every wait fits within the deadline of the try that follows it."""
    raw = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n"
    waits = Waits()

    async def go() -> Fetch:
        async with (Server(once(raw)) as server,
                    Fetcher(HttpSettings(deadline=8, retries=2), transport=lean(),
                            sleep=waits) as f):
            return await f.fetch(f"http://127.0.0.1:{server.port}/")
    fetch = asyncio.run(go())
    assert sum(waits.asked) <= 8
    assert classify(fetch).detail.endswith("the server asked us to wait 2 minutes; try later")


# -- what already worked ----------------------------------------------------------------------


def test_a_response_head_of_a_megabyte_is_refused() -> None:
    raw = b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 1_000_000 + b"\r\nContent-Length: 0\r\n\r\n"
    _, verdict, server = serve(once(raw), retries=2)
    assert verdict.status is Status.ERROR
    assert "the response head is too long" in verdict.detail
    assert server.connections == 1


def test_a_second_answer_to_one_request_is_not_taken_for_the_next() -> None:
    """Response desync: a server that sends two answers to one request. The extra answer
    must not be read as the answer to the next request on that connection."""
    async def twice_then_honest(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                                number: int) -> None:
        first = True
        while await read_request(reader):
            if first and number == 1:
                writer.write(answer(b"<title>First</title>")
                             + answer(b"<title>Smuggled</title>"))
                first = False
            else:
                writer.write(answer(b"<title>Fresh</title>"))
            await writer.drain()

    async def go() -> tuple[list[str | None], int]:
        async with Server(twice_then_honest) as server:
            async with Fetcher(HttpSettings(retries=0), transport=lean()) as fetcher:
                titles = []
                for path in ("/a", "/b"):
                    fetch = await fetcher.fetch(f"http://127.0.0.1:{server.port}{path}")
                    titles.append(classify(fetch).page_title)
            return titles, server.connections
    titles, connections = asyncio.run(go())
    assert titles == ["First", "Fresh"]
    assert connections == 2


def test_control_characters_in_a_title_are_kept_as_data() -> None:
    """The verdict keeps the title as the server sent it; showing it safely is the
    report's job (it must never reach a terminal raw)."""
    title = "\x1b]52;c;cHduZWQ=\x07\x1b[2J[bold]x[/bold]"
    _, verdict, _ = serve(once(answer(f"<title>{title}</title>".encode())))
    assert verdict.status is Status.OK
    assert verdict.page_title == title


@pytest.mark.parametrize("path", ["/", "/news/2012/annual-report"])
@pytest.mark.parametrize("coding", [b"br", b"zstd", b"compress"])
def test_a_page_in_an_encoding_we_did_not_ask_for_is_not_called_empty(coding: bytes,
                                                                      path: str) -> None:
    """The server compressed the page in a way refcheck cannot undo (it asks for gzip and
    deflate only): the page is there for a browser, so it is not "an empty page: none of
    the evidence is there"."""
    body = b"\x1b\x8f\x03\x00\xa4\x1fK\xd3garbled"
    raw = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: " + coding +
           b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    _, verdict, _ = serve(once(raw), path)
    assert verdict.status is Status.OK, verdict.detail


# -- pages written to be slow to read -------------------------------------------------------


def _within(seconds: float, work: Any) -> Any:
    """``work()``'s result, or a failure if it has not finished in ``seconds``: a bound
    hundreds of times what the work needs (milliseconds), far below what it took when
    each tag was read to the end of the page (minutes)."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"still reading after {seconds} s"
    return result[0]


SLOW_PAGES = {
    "unclosed titles": b"<title" * 40_000,
    "titles without content's end": b"<title>" * 36_000,
    "unclosed scripts": b"<p>location</p>" + b"<script" * 36_000,
    "unclosed meta tags": b"<meta http-equiv" * 16_000,
    "tags that never end": b"<p>location</p>" + b"< x=" * 64_000,
    "unclosed app notices": b"<noscript" * 28_000,
}


@pytest.mark.parametrize("body", list(SLOW_PAGES.values()), ids=list(SLOW_PAGES))
def test_a_page_of_tags_that_never_close_is_judged_in_one_pass(body: bytes) -> None:
    """A server's page of 256 KB of ``<title<title…`` (or unclosed scripts, meta tags)
    used to hold the whole run for minutes while refcheck read from each tag to the end of
    the page, and every other link in flight timed out meanwhile: now it is judged as any
    page is, at once."""
    _, verdict, _ = _within(30, lambda: serve(once(answer(body))))
    assert verdict.status in (Status.OK, Status.SOFT_404), verdict.detail


def test_a_page_cited_as_a_pdf_that_embeds_no_end_is_judged_in_one_pass() -> None:
    """An HTML page of 256 KB answered for a cited PDF is read for a document it embeds:
    one ``<iframe`` of ``src=src=…`` was read from each ``src=`` to the tag's end (the
    better part of a minute, every other link waiting); now it is judged at once, as any
    HTML page where a PDF was cited."""
    body = b"<iframe " + b"src=" * 64_000
    _, verdict, _ = _within(30, lambda: serve(once(answer(body)), "/report.pdf"))
    assert verdict.status is Status.SOFT_404, verdict.detail
    assert "where a PDF document was cited" in verdict.detail


@pytest.mark.parametrize("tag", ["<script>", "<!--", "<style"])
def test_a_quote_is_looked_for_in_megabytes_of_unclosed_tags_in_one_pass(tag: str) -> None:
    """A quote is looked for in up to 32 MiB of a page: 4 MiB of unclosed tags, which took
    hours (in one call that no thread could interrupt: hence a process of its own here), is
    read at once."""
    import subprocess
    import sys

    code = ("from refcheck.model import Answer\n"
            "from refcheck.text import contains_quote, page_text\n"
            f"body = {tag!r}.encode() * (4_000_000 // {len(tag)}) + b'<p>Evidence of impact</p>'\n"
            "page = Answer('http://e.test/', 200, 'OK', {'content-type': 'text/html'}, body)\n"
            "print(contains_quote(page_text(page) or '', 'evidence of impact'))\n")
    try:
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("still reading after 60 s")
    assert run.stdout.strip() == "True", run.stderr


def _form_drawn(times: int) -> bytes:
    """A PDF of a kilobyte whose one page draws a form saying "Hello" ``times`` times: each
    drawing is read again, so its text takes as long to read as a book's."""
    import zlib as _zlib

    content = _zlib.compress(b"/X1 Do\n" * times, 9)
    form = b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources "
        b"<< /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content),
                                                                          content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 "
        b"5 0 R >> >> /Length %d >>\nstream\n%s\nendstream" % (len(form), form)]
    data, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = b"".join(b"%010d 00000 n \n" % at for at in offsets)
    return data + (b"xref\n0 %d\n0000000000 65535 f \n%strailer\n<< /Size %d /Root 1 0 R >>\n"
                   b"startxref\n%d\n%%%%EOF\n" % (len(objects) + 1, table, len(objects) + 1,
                                                  len(data)))


def test_a_pdf_that_takes_hours_to_read_leaves_its_quote_unchecked(
        tmp_path: Path, run_cli: Any, server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its reading stops at the budget (a clock here that moves a second at each step),
    and the run goes on; a plain PDF read under the same clock has its quote found."""
    from refcheck import text
    from tests import server as served
    from tests.conftest import write_case
    from tests.pdfs import make_pdf

    ticks = iter(range(10**9))
    monkeypatch.setattr(text, "_cpu_seconds", lambda: float(next(ticks)), raising=False)
    routes = {"/drawn.pdf": _form_drawn(20_000), "/plain.pdf": make_pdf(["Hello there"])}
    def sending(pdf: bytes) -> Any:
        return lambda h: h.send(200, pdf, content_type="application/pdf")

    for path, pdf in routes.items():
        monkeypatch.setitem(served.ROUTES, path, sending(pdf))
    case = write_case(tmp_path, [
        {"id": "a", "title": "Drawn", "url": server.url("/drawn.pdf"), "quote": "Hello"},
        {"id": "b", "title": "Plain", "url": server.url("/plain.pdf"), "quote": "Hello"}])
    links = json.loads(run_cli(str(case), "-f", "json", "--no-archive").stdout)["links"]
    assert [link["status"] for link in links] == ["ok", "ok"]
    assert links[0]["detail"].endswith(
        "could not read the page's text, so the quote was not checked"), links[0]["detail"]
    assert links[1]["detail"].endswith("the quote is there"), links[1]["detail"]


def test_other_links_are_checked_while_a_page_is_read_for_its_quote(
        tmp_path: Path, run_cli: Any, server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a PDF for a quote may take seconds: other links go on meanwhile, rather
    than every link in flight waiting (and timing out) until it is done. Here the other
    link's server answers only once the reading has begun, with a redirect that must be
    followed while the reading lasts."""
    from refcheck import checker
    from refcheck.text import page_text
    from tests import server as served
    from tests.conftest import write_case
    from tests.pdfs import make_pdf

    pdf = make_pdf(["Family intervention workers are dedicated to the families."])
    reading = threading.Event()

    def held(h: Any) -> None:
        reading.wait(20)
        h.redirect(302, "/page")

    monkeypatch.setitem(served.ROUTES, "/slow.pdf", lambda h: h.send(
        200, pdf, content_type="application/pdf"))
    monkeypatch.setitem(served.ROUTES, "/held", held)
    meanwhile: list[bool] = []

    def slow_reading(answer: Any) -> str | None:
        reading.set()
        meanwhile.append(server.wait_for("/page", timeout=20))
        return page_text(answer)

    monkeypatch.setattr(checker, "page_text", slow_reading)
    case = write_case(tmp_path, [
        {"id": "a", "title": "Report", "url": server.url("/slow.pdf"),
         "quote": "Family intervention workers"},
        {"id": "b", "title": "Page", "url": server.url("/held")}])
    run = run_cli(str(case), "-f", "json", "--no-archive")
    links = json.loads(run.stdout)["links"]
    assert meanwhile == [True]
    assert links[0]["detail"].endswith("the quote is there"), links[0]["detail"]
