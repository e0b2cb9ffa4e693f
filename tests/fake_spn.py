"""A fake Internet Archive for `refcheck preserve`: Save Page Now 2 (``POST /save``,
``GET /save/status/{job_id}``) and the Wayback CDX index, on 127.0.0.1.

It answers as the SPN2 documentation describes (see refcheck.preserve): a job id, then
``pending`` and ``success`` with ``timestamp`` and ``original_url``, or ``error`` with a
``status_ext``; 401 without the right ``Authorization: LOW access:secret``. What it does
with a URL is chosen by the URL's ``spn`` query parameter (the evidence server ignores
queries, so ``/page?spn=...`` is still a live page):

- none: captured after two ``pending`` polls;
- ``recent``: the CDX lists a capture of 1 June 2026 (nothing is saved);
- ``recent-challenge``: the CDX lists a capture of 1 June 2026 as a 200, but the capture
  is Cloudflare's "Just a moment…" challenge, not the page (captures replay at
  ``/web/{ts}id_/{url}``, with ``Memento-Datetime``);
- ``submit-error:CODE``: the save request itself answers HTTP 200 with the error;
- ``echo-keys``: the save request answers an error whose message repeats the request's
  ``Authorization`` header (no real service is known to; refcheck must not show it);
- ``error:CODE``: the job ends in that error;
- ``429``: the first save request answers 429 with ``Retry-After: 30``;
- ``429-for-an-hour``: every save request answers 429 with ``Retry-After: 3600``;
- ``pending``: the job never ends;
- ``excluded``: the CDX answers 403, as for a site the Wayback Machine excludes;
- ``unlisted``: a capture made at 08:30 that the CDX does not list yet; Save Page Now
  answers with it when told ``if_not_archived_within`` (else it captures anew).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ACCESS = "test-access-key"
SECRET = "test-secret-k3y-do-not-print"
CAPTURED_AT = "20261126090130"
RECENT_AT = "20260601120000"
UNLISTED_AT = "20261126083000"  # before the run (the injected clock starts at 09:00)


def behaviour(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("spn", [""])[0]


class Handler(BaseHTTPRequestHandler):
    server: FakeSpn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def answer(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def authorised(self) -> bool:
        with self.server.lock:
            self.server.seen.append((self.command, self.path, dict(self.headers.items())))
        if self.headers.get("Authorization") == f"LOW {ACCESS}:{SECRET}":
            return True
        self.answer(401, {"message": "You need to be logged in to use Save Page Now."})
        return False

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        if urlsplit(self.path).path != "/save" or not self.authorised():
            if urlsplit(self.path).path != "/save":
                self.answer(404, {"message": "no such endpoint"})
            return
        url = form.get("url", [""])[0]
        server = self.server
        with server.lock:
            server.saved.append(url)
            server.forms.append(form)
            server.submits[url] += 1
            tries = server.submits[url]
        what = behaviour(url)
        if what == "429-for-an-hour" or (what == "429" and tries == 1):
            wait = "3600" if what == "429-for-an-hour" else "30"
            self.answer(429, {"message": "Too Many Requests"}, {"Retry-After": wait})
            return
        if what == "echo-keys":
            self.answer(200, {"status": "error", "status_ext": "error:bad-request",
                              "message": "Bad request with Authorization: "
                                         f"{self.headers.get('Authorization')}"})
            return
        if what.startswith("submit-error:"):
            code = what.removeprefix("submit-")
            self.answer(200, {"status": "error", "status_ext": code,
                              "message": f"The service says no ({code})."})
            return
        with server.lock:
            job = f"spn2-{len(server.jobs) + 1:040d}"
            server.jobs[job] = url
            if what == "unlisted" and form.get("if_not_archived_within"):
                server.reused.add(job)
        self.answer(200, {"url": url, "job_id": job})
        with server.lock:
            server.answered += 1
            server.arrival.notify_all()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/cdx/search/cdx":
            self.cdx(parse_qs(parts.query))
            return
        if parts.path.startswith(f"/web/{RECENT_AT}id_/"):
            self.replay(self.path[len(f"/web/{RECENT_AT}id_/"):])
            return
        if not parts.path.startswith("/save/status/") or not self.authorised():
            if not parts.path.startswith("/save/status/"):
                self.answer(404, {"message": "no such endpoint"})
            return
        job = parts.path.removeprefix("/save/status/")
        server = self.server
        with server.lock:
            url = server.jobs.get(job)
            server.polls[job] += 1
            polls = server.polls[job]
        if url is None:
            self.answer(404, {"status": "error", "message": "no such job"})
            return
        what = behaviour(url)
        if what == "pending" or polls <= 2:
            self.answer(200, {"status": "pending", "job_id": job, "resources": []})
        elif what.startswith("error:"):
            self.answer(200, {"status": "error", "status_ext": what, "job_id": job,
                              "message": f"Capture failed ({what}).", "resources": []})
        else:
            with server.lock:
                reused = job in server.reused
            self.answer(200, {"status": "success", "job_id": job, "original_url": url,
                              "timestamp": UNLISTED_AT if reused else CAPTURED_AT,
                              "duration_sec": 6.5, "resources": [url]})

    def replay(self, url: str) -> None:
        """A capture of 1 June 2026: the page, or a bot wall's challenge served 200."""
        with self.server.lock:
            self.server.replays.append(url)
        title = ("Just a moment..." if behaviour(url) == "recent-challenge" else
                 "Evaluation of the Springboard project")
        text = ("Checking your browser before accessing the site." if "challenge" in title
                else "The Springboard model of family preservation, as evaluated. " * 5)
        data = (f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
                f"<p>{text}</p></body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Memento-Datetime", "Mon, 01 Jun 2026 12:00:00 GMT")
        self.end_headers()
        self.wfile.write(data)

    def cdx(self, query: dict[str, list[str]]) -> None:
        url = query.get("url", [""])[0]
        with self.server.lock:
            self.server.cdx.append(query)
        if behaviour(url) == "excluded":
            data = b"AdministrativeAccessControlException: Blocked Site Error"
            self.send_response(403)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        body = "[]"
        if behaviour(url).startswith("recent") and RECENT_AT[:8] >= query.get("from", ["0"])[0][:8]:
            # One row a line, as the Internet Archive's CDX writes them.
            body = '[["timestamp","original","statuscode"],\n' + json.dumps(
                [RECENT_AT, url, "200"]) + "]"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeSpn(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.jobs: dict[str, str] = {}
        self.reused: set[str] = set()  # jobs answered with a capture made before
        self.saved: list[str] = []
        self.forms: list[dict[str, list[str]]] = []
        self.submits: Counter[str] = Counter()
        self.polls: Counter[str] = Counter()
        self.cdx: list[dict[str, list[str]]] = []
        self.replays: list[str] = []
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.answered = 0  # jobs whose id was sent back
        self.arrival = threading.Condition(self.lock)

    def wait_for_jobs(self, count: int, timeout: float = 60.0) -> bool:
        """Whether ``count`` jobs were started (their ids sent back) within ``timeout``."""
        with self.arrival:
            return self.arrival.wait_for(lambda: self.answered >= count, timeout)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reset(self) -> None:
        with self.lock:
            self.jobs.clear()
            self.reused.clear()
            self.saved.clear()
            self.forms.clear()
            self.submits.clear()
            self.polls.clear()
            self.cdx.clear()
            self.replays.clear()
            self.seen.clear()
            self.answered = 0
