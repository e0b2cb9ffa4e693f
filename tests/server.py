"""A real HTTP server on 127.0.0.1 that behaves like the evidence sites refcheck meets.

Each route is a small function; the server runs in a thread for the length of a test
session. Stateful routes (429 then 200, 503 then 200) count requests per path, and
``reset_counts`` starts them afresh for each test.
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests import rot
from tests.fake_archives import CWDC, FakeArchives
from tests.pdfs import make_pdf

HTML = "text/html; charset=utf-8"


def page(title: str, body: str = "") -> bytes:
    return (f"<!doctype html><html><head><title>{title}</title></head>"
            f"<body><h1>{title}</h1>{body}</body></html>").encode()


class Handler(BaseHTTPRequestHandler):
    server: EvidenceServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    # -- helpers -------------------------------------------------------------------------
    def send(self, status: int, body: bytes = b"", content_type: str = HTML,
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def redirect(self, status: int, location: str, headers: dict[str, str] | None = None) -> None:
        self.send(status, b"", headers={"Location": location, **(headers or {})})

    def count(self) -> int:
        with self.server.lock:
            self.server.counts[self.path] += 1
            return self.server.counts[self.path]

    # -- dispatch ------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        if self.path == "/head405":
            self.send(405, b"")
        elif self.path == "/head404":
            self.send(404, b"")
        else:
            self.do_GET()

    def do_GET(self) -> None:
        with self.server.arrival:
            self.server.seen.append(self.path)
            self.server.arrival.notify_all()
        path = self.path.split("?", 1)[0]
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        if host not in ("", "127.0.0.1", "localhost"):
            # Another site of the simulated web (tests/rot.py), reached through
            # rot.SimulatedNames.
            site = rot.SITES.get(host)
            if site is None:
                self.send(404, page("Not Found"))
            else:
                site(self, path)
            return
        archives = self.server.archives
        if path.startswith("/ukgwa/"):
            archives.ukgwa(self)
            return
        if path.startswith("/wayback/"):
            archives.wayback(self)
            return
        if path.startswith("/lost/"):
            self.send(404, page("Not Found"))
            return
        if path.startswith("/catchall/"):
            # A site that answers every address with the same page: soft 404s everywhere.
            self.send(200, page("Welcome to Example Council", "<p>Find out about services."))
            return
        if path.startswith("/doi/api/handles/"):
            _doi_handle(self, self.path[len("/doi/api/handles/"):])
            return
        if path.startswith(("/continuity/", "/continuity-latest/")):
            # The National Archives' web continuity: a closed body's page sent to its capture
            # (``/continuity/``) or to the latest one (``/continuity-latest/``).
            stamp = "20130301000000" if path.startswith("/continuity/") else "+"
            self.redirect(301, self.server.url(f"/ukgwa/{stamp}/{self.server.url(path)}"))
            return
        legacy = re.match(r"^/(\d{14}|\+|\*)/(https?:/.+)$", self.path)
        if legacy:
            archives.ukgwa_legacy(self, legacy.group(1), legacy.group(2))
            return
        route = ROUTES.get(path)
        if route is None:
            self.send(404, page("Not Found"))
            return
        route(self)


def _home(h: Handler) -> None:
    h.send(200, page("Evidence Trust home", "<p>Welcome.</p>"))


def _page(h: Handler) -> None:
    h.send(200, page("Evaluation of the Springboard project",
                     "<p>The Springboard model of family preservation.</p>"))


LONG_TEXT = " ".join(["The Springboard project in Blackpool brought services together around "
                      "families, and the evaluation followed it for two years."] * 20)


def _long_page(h: Handler) -> None:
    h.send(200, page("Evaluation of the Springboard project", f"<p>{LONG_TEXT}</p>"))


def _pdf(h: Handler) -> None:
    h.send(200, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")


def _trickle(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", HTML)
    h.send_header("Content-Length", "1000000")
    h.end_headers()
    h.wfile.write(b"<html><head><title>slow")
    try:
        for _ in range(600):  # at most a minute, then the thread ends on its own
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.1)
    except OSError:
        pass  # the client gave up, as it should


def _huge(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", HTML)
    h.send_header("Content-Length", str(2 * 1024**3))
    h.end_headers()
    chunk = b"<p>" + b"x" * 65_530 + b"</p>"
    try:
        h.wfile.write(b"<html><head><title>Big report</title></head><body>")
        for _ in range(32_768):  # 2 GB if nobody stops reading; the client stops at its cap
            h.wfile.write(chunk)
    except OSError:
        pass


def _gzip_bomb(h: Handler) -> None:
    """16 MiB of HTML (eight times the client's cap) squeezed into ~16 KiB of gzip."""
    h.send(200, h.server.bomb, headers={"Content-Encoding": "gzip"})


def _reset(h: Handler) -> None:
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def _rate_limited(h: Handler) -> None:
    if h.count() == 1:
        h.send(429, page("Too Many Requests"), headers={"Retry-After": "7"})
    else:
        _page(h)


def _flaky(h: Handler) -> None:
    if h.count() == 1:
        h.send(503, page("Service Unavailable"))
    else:
        _page(h)


def _login(h: Handler) -> None:
    h.send(200, page("Sign in", "<form>user, password</form>"))


def _challenge(h: Handler) -> None:
    h.send(403, page("Just a moment..."), headers={"cf-mitigated": "challenge",
                                                     "Server": "cloudflare"})


def _markup(h: Handler) -> None:
    h.send(200, page("[bold red]PWNED[/bold red] \x1b[31mred\x1b[0m \x07bell"))


def _cookie_gate(h: Handler) -> None:
    if "visited=yes" in (h.headers.get("Cookie") or ""):
        _page(h)
    else:
        h.redirect(302, "/cookie-gate", headers={"Set-Cookie": "visited=yes; Path=/"})


def _ua(h: Handler) -> None:
    h.send(200, page(f"UA {h.headers.get('User-Agent')}"))


QUOTE_PDF = ("The Springboard model of family preservation should be trialled across "
             "Queensland")
REGISTERED_DOI = "10.1002/car.934"


def _doi_handle(h: Handler, doi: str) -> None:
    """The DOI system's handle API: responseCode 1 with a URL value, or 100 with a 404."""
    if doi == REGISTERED_DOI:
        record = {"responseCode": 1, "handle": doi, "values": [
            {"index": 1, "type": "URL",
             "data": {"format": "string", "value": h.server.url("/forbidden-publisher")}}]}
        h.send(200, json.dumps(record).encode(), "application/json")
    else:
        h.send(404, json.dumps({"responseCode": 100, "handle": doi}).encode(),
               "application/json")


def _cloudflare_521(h: Handler) -> None:
    """Cloudflare, its site's own server down: no reason phrase, as over HTTP/2."""
    h.send_response_only(521, "")
    h.send_header("Server", "cloudflare")
    h.send_header("Content-Length", "0")
    h.end_headers()


def _titled(title: str) -> Callable[[Handler], None]:
    return lambda h: h.send(200, page(title, f"<p>{LONG_TEXT}</p>"))


def _meta_refresh(target: str) -> Callable[[Handler], None]:
    def send(h: Handler) -> None:
        h.send(200, (f'<html><head><meta http-equiv="Refresh" content="0; URL={target}">'
                     "<title>Redirecting</title></head><body>Moved.</body></html>").encode())
    return send


ROUTES: dict[str, Callable[[Handler], None]] = {
    "/": _home,
    "/page": _page,
    "/long-page": _long_page,
    "/report.pdf": _pdf,
    "/gone404": lambda h: h.send(404, page("Not Found")),
    "/gone410": lambda h: h.send(410, page("Gone")),
    "/chain/1": lambda h: h.redirect(301, "/chain/2"),
    "/chain/2": lambda h: h.redirect(302, "../chain/3"),
    "/chain/3": lambda h: h.redirect(301, "/new/home-of-evidence"),
    # A redirect that only adds where the visitor came from, and a move that adds it too.
    "/tracked": lambda h: h.redirect(301, "/tracked?utm_source=old-site&utm_medium=redirect")
    if "?" not in h.path else _page(h),
    "/moved-tracked": lambda h: h.redirect(301, "/new/home-of-evidence?utm_campaign=move"),
    "/new/home-of-evidence": _page,
    # A download that hands out a signed address (as S3 behind a repository does).
    "/signed/1": lambda h: h.redirect(302, "/new/home-of-evidence?X-Amz-Expires=10"
                                      "&X-Amz-Signature=5e3a9f0c"),
    "/loop/a": lambda h: h.redirect(302, "/loop/b"),
    "/loop/b": lambda h: h.redirect(302, "/loop/a"),
    "/old-news": lambda h: h.redirect(301, "/"),
    "/folder": lambda h: h.redirect(301, "/folder/"),
    "/folder/": _page,
    "/soft": lambda h: h.send(200, page("Page not found", "<p>Sorry.</p>")),
    "/head405": _page,
    "/head404": _page,
    "/ratelimited": _rate_limited,
    "/flaky503": _flaky,
    "/always500": lambda h: h.send(500, page("Internal Server Error")),
    "/always429": lambda h: h.send(429, page("Too Many Requests"), headers={"Retry-After": "1"}),
    "/trickle": _trickle,
    "/challenge": _challenge,
    "/members": lambda h: h.redirect(302, "/login?next=/members"),
    "/login": _login,
    "/reset": _reset,
    "/huge": _huge,
    "/gzip-bomb": _gzip_bomb,
    "/markup": _markup,
    "/cookie-gate": _cookie_gate,
    "/ua": _ua,
    "/forbidden": lambda h: h.send(403, page("Forbidden")),
    "/cf521": _cloudflare_521,
    "/redirect-nowhere": lambda h: h.send(302, b""),
    "/paywall": lambda h: h.send(402, page("Subscribe to continue reading")),
    "/linkedin": lambda h: h.send(999, b"", headers={}),
    "/forbidden-publisher": lambda h: h.send(403, page("Forbidden")),
    "/news/2012/03/item.htm": lambda h: h.redirect(301, "/news/"),
    "/news/": lambda h: h.send(200, page("News", "<p>Latest news from the council.</p>")),
    "/meta-refresh": _meta_refresh("/long-page"),
    "/meta-refresh-home": _meta_refresh("/"),
    "/report-text.pdf": lambda h: h.send(200, make_pdf([
        "An exploration of the effective use of intensive family support.",
        QUOTE_PDF + " with a full commitment across government."]), "application/pdf"),
    "/cf-200": lambda h: h.send(200, page("Just a moment\u2026"),
                                headers={"Server": "cloudflare"}),
    "/akamai": lambda h: h.send(403, page("Access Denied"), headers={"Server": "AkamaiGHost"}),
    "/aws-waf": lambda h: h.send(405, page("Human Verification"),
                                 headers={"x-amzn-waf-action": "captcha"}),
    "/drifted-page": _long_page,
    "/drifted-long-capture": _long_page,
    "/route-404": _titled("Bus route 404: timetable from 2013"),
    "/short-real": lambda h: h.send(200, page("Annual report 2012", "<p>Download the PDF.</p>")),
    # The National Archives' web continuity: a dead government page sent into the archive.
    "/moved-to-archive": lambda h: h.redirect(
        301, h.server.url(f"/ukgwa/20120119192332/{CWDC}")),
    # The rot real evidence links hit, and the traps beside it.
    **rot.ROUTES,
}


class EvidenceServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The simulated web's many hosts all connect here at once: with the default backlog
    # of 5 the kernel drops connections and the client's retry a second later is past a
    # test's deadline.
    request_queue_size = 256

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.seen: list[str] = []
        self.arrival = threading.Condition()
        self.archives = FakeArchives()
        # Made once, before any test asks for it, so no request waits on the compression.
        self.bomb = gzip.compress(
            b"<html><head><title>Bomb</title></head><body>" + b"0" * (16 * 1024**2), 9)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.seen.clear()
            self.archives.calls.clear()

    def wait_for(self, path: str, timeout: float = 10.0, *, prefix: bool = False) -> bool:
        """Block until a request for ``path`` (or, with ``prefix``, for a path starting so)
        has arrived (no polling, no sleeping). The time-out only ends a test that would
        otherwise hang."""
        def arrived() -> bool:
            return any(p.startswith(path) for p in self.seen) if prefix else path in self.seen
        with self.arrival:
            return self.arrival.wait_for(arrived, timeout=timeout)


def free_port() -> int:
    """A port with nothing listening: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
