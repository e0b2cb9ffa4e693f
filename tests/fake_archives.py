"""Fake UKGWA (pywb-shaped) and Wayback Machine (IA-shaped) for the local test server.

They answer the way ../shared/ARCHIVES.md and the recorded fixtures show the real ones do:
- UKGWA: ``/ukgwa/timemap/link/{url}`` lists ``mp_`` mementos with no first/last rels and
  entries spread over lines; the TimeGate ``/ukgwa/{url}`` answers 302 with Link and Vary;
  a capture's address as a person opens it, ``/ukgwa/{ts}/{url}``, is pywb's framed replay:
  its top frame, a banner and an iframe of ``/ukgwa/{ts}mp_/{url}``, answered 200 with
  Memento-Datetime whatever the capture's own status (pywb's ``format_response``); the
  ``mp_`` (and ``id_``) form replays the capture, its status (a 404 stays 404) and body; a
  timestamp that is not a capture gets a 307 to the nearest (pywb's ``redirect_to_exact``);
  ``/ukgwa/+/{url}`` gets a 307 to the newest capture; never archived is 404; the pre-2021
  forms ``/{ts}/{url}`` and ``/+/{url}`` redirect to the current ones.
- Wayback: CDX answers an array of arrays with a header row (``[]`` when empty) and honours
  ``filter=statuscode:200``, ``from`` and ``to``; the TimeMap has first/last rels; a
  timestamp that is not a capture gets a 302 to the nearest one without Memento-Datetime;
  a replayed 404 keeps its status; never archived is 404.

Captures are keyed by the original URL's path for pages on the test server (its port
changes from run to run) and by the whole URL without its port otherwise. Originals whose
path holds ``ukgwa-503``, ``ukgwa-captcha`` or ``wayback-429`` make that archive misbehave;
``cdx-one-line`` gets its CDX answer on one line. Some captures are not what their CDX row
promises (``CAPTURED``: an error page or a parked domain served 200), and some replays
redirect to another timestamp (``REPLAY_REDIRECTS``), as the Internet Archive's do for a
capture that is a revisit of an earlier one.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections import Counter
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit, urlunsplit

from tests import rot

if TYPE_CHECKING:
    from tests.server import Handler

CWDC = "http://cwdcouncil.org.uk/social-care/research-events"

#: A page captured every June from 2008 whose domain lapsed in 2016: parked ever since.
LAPSED = [(f"{year}0601000000", 200) for year in range(2008, 2021)]
PARKED_SINCE = 2016

# original (path on the test server, or a full URL) -> [(timestamp, status of the capture)]
UKGWA: dict[str, list[tuple[str, int]]] = {
    "/lost/in-ukgwa": [("20100301000000", 200), ("20131101093000", 200),
                       ("20160101000000", 200)],
    "/lost/ukgwa-first-capture-bad": [("20131120000000", 404), ("20120101000000", 200)],
    "/lost/ukgwa-503": [("20131101000000", 200)],
    CWDC: [("20120119192332", 200)],
    "/drifted-page": [("20131001000000", 200)],
    # A long report whose capture holds the quote only at its end, past 256 KiB.
    "/drifted-long-capture": [("20131001000000", 200)],
    "/lost/ukgwa-redirects": [("20131101000000", 200)],
    "/lost/ukgwa-soft-first": [("20131125000000", 200), ("20130301000000", 200)],
    "/lost/ukgwa-lapsed": LAPSED,
    # Captures cited in case studies: of a 404 page, of an error page served 200, good; the
    # latest of a 404 page, an older one good.
    "/cited/ukgwa-404": [("20130301000000", 404)],
    "/cited/ukgwa-soft": [("20130301000000", 200)],
    "/cited/ukgwa-good": [("20130301000000", 200)],
    "/cited/ukgwa-latest-gone": [("20120601000000", 200), ("20130301000000", 404)],
    # A closed body's page, its address now sent to GOV.UK (tests/rot.py).
    "http://www.cwdcouncil.org.uk/research/workforce-report.html": [("20120301000000", 200)],
    # A home page, cited at its latest capture.
    "http://closed-body.invalid/": [("20130301000000", 200)],
    # Web continuity (tests/server.py's /continuity/ and /continuity-latest/ pages redirect
    # here): the newest capture of a 404 page (an older one is good), of an error page
    # served 200, good.
    **{f"{prefix}/{kind}": captures for prefix in ("/continuity", "/continuity-latest")
       for kind, captures in (("good", [("20130301000000", 200)]),
                              ("gone", [("20120601000000", 200), ("20130301000000", 404)]),
                              ("soft", [("20130301000000", 200)]))},
}
#: TimeMaps in pages (RFC 7089 4.3), each page linking to the next and the previous with the
#: dates they cover: the captures nearest the case date are on the second page.
PAGED: dict[str, list[list[tuple[str, int]]]] = {
    "/lost/ukgwa-paged": [[("20080101000000", 200), ("20100101000000", 200)],
                          [("20130601000000", 200), ("20131120000000", 200)]],
}
UKGWA.update({key: [c for page in pages for c in page] for key, pages in PAGED.items()})
#: Text a capture holds besides the usual, by original.
CAPTURE_TEXT = {"/drifted-page": "Family intervention workers are dedicated to the families "
                                 "and provide an antidote to fragmented activity.",
                **rot.CAPTURE_TEXTS}
WAYBACK: dict[str, list[tuple[str, int]]] = {
    "/lost/only-wayback": [("20120505101010", 200), ("20180101000000", 200)],
    "/lost/only-404-capture": [("20130101000000", 404)],
    "/lost/ukgwa-503": [("20140202000000", 200)],
    "/lost/wayback-429": [("20131111000000", 200)],
    "/lost/wayback-old": [("20050101000000", 200)],
    "/lost/wayback-soft-first": [("20131120000000", 200), ("20130601000000", 200)],
    "/lost/wayback-parked-first": [("20131125000000", 200), ("20121001000000", 200)],
    "/lost/wayback-three-bad": [("20131101000000", 200), ("20131001000000", 200),
                                ("20130901000000", 200), ("20100101000000", 200)],
    "/lost/wayback-redirects": [("20131101000000", 200)],
    "/lost/cdx-one-line": [("20131111000000", 200), ("20120101000000", 200)],
    "/lost/wayback-lapsed": LAPSED,
    # Captures of a redirect (replayed as a 301 with Memento-Datetime, as the Internet
    # Archive does) to another page: one never archived, one archived.
    "/lost/wayback-redirect-to-unarchived": [("20131101000000", 200), ("20120101000000", 200)],
    "/lost/wayback-captured-move": [("20131101000000", 200)],
    # Listed by the CDX, but played back as a page of the archive's own (no Memento-Datetime).
    "/lost/wayback-no-memento": [("20131101000000", 200)],
    # Captured every three hours from 2011 to 2015: more than one CDX answer holds.
    "/lost/wayback-dense": [((dt.datetime(2011, 12, 1, tzinfo=dt.UTC)
                              + dt.timedelta(hours=3 * i)).strftime("%Y%m%d%H%M%S"), 200)
                            for i in range(8 * 365 * 4)],
    "http://lapsed-charity.invalid/?page_id=12": [("20130301000000", 200)],
    "http://springboard-families.org.uk/evaluation.html": [("20130615000000", 200)],
    "http://carers-trust-salford.org.uk/about/evaluation": [("20130701000000", 200)],
    **{url: [("20130601000000", 200)] for url in rot.COUNCIL_CAPTURES},
}
#: Captures that are not the page their CDX row (status 200) promises.
CAPTURED: dict[tuple[str, str], bytes] = {
    ("/lost/wayback-soft-first", "20131120000000"): rot.NGINX_404,
    ("/lost/wayback-parked-first", "20131125000000"): rot.PARKINGCREW,
    ("/lost/wayback-three-bad", "20131101000000"): rot.APACHE_404,
    ("/lost/wayback-three-bad", "20131001000000"): rot.SITE_ERROR,
    ("/lost/wayback-three-bad", "20130901000000"): rot.WORDPRESS_404,
    ("/lost/ukgwa-soft-first", "20131125000000"): rot.DRUPAL_404,
    ("/cited/ukgwa-soft", "20130301000000"): rot.DRUPAL_404,
    ("/continuity/soft", "20130301000000"): rot.DRUPAL_404,
    ("/continuity-latest/soft", "20130301000000"): rot.DRUPAL_404,
    **{(path, ts): rot.PARKINGCREW for path in ("/lost/ukgwa-lapsed", "/lost/wayback-lapsed")
       for ts, _ in LAPSED if int(ts[:4]) >= PARKED_SINCE},
    **{(url, "20130601000000"): page for url, page in rot.COUNCIL_CAPTURES.items()},
}
#: A capture longer than the tests let refcheck read for a quote, the quote at its end.
LONG_CAPTURE = (
    "<!doctype html><html><head><title>Evaluation of the Springboard project</title></head>"
    "<body><h1>Evaluation of the Springboard project</h1>"
    + "<p>The evaluation followed the project for two years.</p>" * 6000
    + "<p>Family intervention workers are dedicated to the families.</p></body></html>"
).encode()
CAPTURED[("/drifted-long-capture", "20131001000000")] = LONG_CAPTURE

#: Replays that redirect to another timestamp, whose capture is the one a person sees.
REPLAY_REDIRECTS: dict[tuple[str, str], str] = {
    ("/lost/wayback-redirects", "20131101000000"): "20131015093000",
    ("/lost/ukgwa-redirects", "20131101000000"): "20131020000000",
}

#: Captures of a redirect to another page, by (original, timestamp): the other page's path.
CAPTURED_REDIRECTS: dict[tuple[str, str], str] = {
    ("/lost/wayback-redirect-to-unarchived", "20131101000000"): "/never-archived-target",
    ("/lost/wayback-captured-move", "20131101000000"): "/lost/only-wayback",
}

#: What pywb (UKGWA) serves at a capture's address as a person opens it, ``…/{ts}/{url}``:
#: its banner, and the capture itself, ``…/{ts}mp_/{url}``, in an iframe.
FRAME_PAGE = ('<!doctype html><html><head><title>UK Government Web Archive</title></head>'
              '<body><div id="banner">The UK Government Web Archive</div>'
              '<iframe id="replay_iframe" src="{src}"></iframe></body></html>')
MEMENTO_PAGE = ("<!doctype html><html><head><title>{title}</title></head><body>"
                "<h1>{title}</h1><p>Archived evidence. {text}</p></body></html>")


def _key(original: str) -> str:
    parts = urlsplit(original)
    if parts.hostname in ("127.0.0.1", "localhost"):
        return parts.path
    return urlunsplit((parts.scheme, parts.hostname or "", parts.path, parts.query, ""))


def _when(ts: str) -> dt.datetime:
    return dt.datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)


def _http_date(ts: str) -> str:
    return email.utils.format_datetime(_when(ts), usegmt=True)


def _nearest(captures: list[tuple[str, int]], ts: str) -> tuple[str, int]:
    padded = (ts + "00000000000000")[:14]
    target = _when(padded) if padded[4:6] != "00" else _when(padded[:4] + "0101000000")
    return min(captures, key=lambda c: abs((_when(c[0]) - target).total_seconds()))


def _original_of(handler: Handler, prefix: str) -> str:
    """The original URL after ``prefix`` in the raw request target (query included)."""
    return handler.path[len(prefix):]


class FakeArchives:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    # -- UKGWA ---------------------------------------------------------------------------
    def ukgwa(self, h: Handler) -> None:
        base = h.server.url("/ukgwa")
        rest = h.path[len("/ukgwa/"):]
        paged = re.match(r"^timemap/page(\d+)/link/(.+)$", rest)
        if rest.startswith("timemap/link/") or paged:
            number, original = (int(paged.group(1)), paged.group(2)) if paged else (
                1, rest[len("timemap/link/"):])
            if self._ukgwa_misbehaves(h, original):
                return
            captures = UKGWA.get(_key(original))
            pages = PAGED.get(_key(original))
            if pages:
                h.send(200, self._timemap_page(base, original, pages, number).encode(),
                       "application/link-format")
                return
            if not captures:
                h.send(404, b"<html><title>Not found</title></html>")
                return
            lines = [f'<{base}/timemap/link/{original}>; rel="self"; '
                     f'type="application/link-format"; from="{_http_date(captures[0][0])}",',
                     f'<{base}/{original}>; rel="timegate",',
                     f'<{original}>; rel="original",']
            for ts, _ in captures:
                # pywb: memento rels only, mp_ URLs, a collection attribute; here one
                # entry's parameters run over two lines, as link-format allows.
                lines.append(f'<{base}/{ts}mp_/{original}>; rel="memento";\n'
                             f'  datetime="{_http_date(ts)}"; collection="ukgwa",')
            h.send(200, "\n".join(lines).encode(), "application/link-format")
            return
        match = re.match(r"^(\d{4,14}|\*|\+)(mp_|id_)?/(.+)$", rest)
        if match:
            stamp, modifier, original = match.groups()
            if self._ukgwa_misbehaves(h, original):
                return
            captures = UKGWA.get(_key(original))
            if stamp == "*":
                h.send(200, b"<html><title>Captures</title><body>listing</body></html>")
                return
            if not captures:
                h.send(404, b"<html><title>Not in the archive</title></html>")
                return
            frame = None if modifier else (
                lambda ts: FRAME_PAGE.format(src=f"{base}/{ts}mp_/{original}").encode())
            self._replay(h, captures, "+" if stamp == "+" else stamp, original,
                         lambda ts: f"{base}/{ts}{modifier or ''}/{original}", frame,
                         nearest=307)
            return
        original = rest  # the TimeGate
        if self._ukgwa_misbehaves(h, original):
            return
        captures = UKGWA.get(_key(original))
        if not captures:
            h.send(404, b"<html><title>Not in the archive</title></html>")
            return
        ts, _ = captures[-1]
        h.redirect(302, f"{base}/{ts}/{original}", headers={
            "Vary": "accept-datetime",
            "Link": f'<{original}>; rel="original", <{base}/timemap/link/{original}>; '
                    f'rel="timemap"; type="application/link-format", '
                    f'<{base}/{ts}mp_/{original}>; rel="memento"; '
                    f'datetime="{_http_date(ts)}"'})

    @staticmethod
    def _timemap_page(base: str, original: str, pages: list[list[tuple[str, int]]],
                      number: int) -> str:
        """Page ``number`` (from 1) of a paged TimeMap: its mementos, then links to the
        pages before and after it, with the dates they cover."""
        def page_url(n: int) -> str:
            return (f"{base}/timemap/link/{original}" if n == 1 else
                    f"{base}/timemap/page{n}/link/{original}")

        captures = pages[number - 1]
        lines = [f'<{page_url(number)}>; rel="self"; type="application/link-format",',
                 f'<{original}>; rel="original",']
        lines += [f'<{base}/{ts}mp_/{original}>; rel="memento"; datetime="{_http_date(ts)}",'
                  for ts, _ in captures]
        for n, rel in ((number - 1, "prev"), (number + 1, "next")):
            if 1 <= n <= len(pages):
                lines.append(f'<{page_url(n)}>; rel="{rel}"; type="application/link-format"; '
                             f'from="{_http_date(pages[n - 1][0][0])}"; '
                             f'until="{_http_date(pages[n - 1][-1][0])}",')
        return "\n".join(lines)

    def ukgwa_legacy(self, h: Handler, ts: str, original: str) -> None:
        """Pre-2021 addresses redirect to the current form."""
        h.redirect(301, h.server.url(f"/ukgwa/{ts}/{original}"))

    def _ukgwa_misbehaves(self, h: Handler, original: str) -> bool:
        if "ukgwa-503" in original:
            h.send(503, b"<html><title>Service Unavailable</title></html>")
            return True
        if "ukgwa-captcha" in original:
            h.send(405, b"<html><title>Human Verification</title></html>",
                   headers={"x-amzn-waf-action": "captcha"})
            return True
        return False

    # -- Wayback -------------------------------------------------------------------------
    def wayback(self, h: Handler) -> None:
        base = h.server.url("/wayback")
        rest = h.path[len("/wayback/"):]
        if rest.startswith("cdx/search/cdx"):
            query = parse_qs(urlsplit(h.path).query)
            original = query.get("url", [""])[0]
            self.calls[f"cdx {_key(original)}"] += 1
            if "wayback-429-for-an-hour" in original:
                h.send(429, b"Too Many Requests", "text/plain",
                       headers={"Retry-After": "3600"})
                return
            if "wayback-429" in original and self.calls[f"cdx {_key(original)}"] == 1:
                h.send(429, b"Too Many Requests", "text/plain", headers={"Retry-After": "9"})
                return
            rows: list[list[str]] = []
            for ts, status in WAYBACK.get(_key(original), []):
                if "statuscode:200" in query.get("filter", []) and status != 200:
                    continue
                if ts[:8] < query.get("from", ["0"])[0][:8].ljust(8, "0"):
                    continue
                if ts[:8] > query.get("to", ["99999999"])[0][:8].ljust(8, "9"):
                    continue
                rows.append([ts, original, str(status)])
            limit = int(query.get("limit", ["0"])[0] or 0)  # negative: the last rows
            rows = rows[:limit] if limit > 0 else rows[limit:] if limit < 0 else rows
            between = "," if "cdx-one-line" in original else ",\n"
            body = "[]" if not rows else "[" + between.join(
                json.dumps(r) for r in [["timestamp", "original", "statuscode"], *rows]) + "]"
            h.send(200, body.encode(), "application/json")
            return
        if rest.startswith("web/timemap/link/"):
            original = rest[len("web/timemap/link/"):]
            captures = WAYBACK.get(_key(original))
            if not captures or "cdx-one-line" in original:  # the CDX alone must find it
                h.send(404, b"", "text/plain")
                return
            lines = [f"<{original}>; rel=\"original\",",
                     f'<{base}/web/timemap/link/{original}>; rel="self"; '
                     f'type="application/link-format",',
                     f'<{base}/web/{original}>; rel="timegate",']
            for i, (ts, _) in enumerate(captures):
                rel = "memento"
                if i == 0:
                    rel = "first memento"
                if i == len(captures) - 1:
                    rel = "last memento" if i else "first last memento"
                lines.append(f'<{base}/web/{ts}/{original}>; rel="{rel}"; '
                             f'datetime="{_http_date(ts)}",')
            h.send(200, "\n".join(lines).encode(), "application/link-format")
            return
        match = re.match(r"^web/(\d{1,14}|\d{0,14}\*)(id_)?/(.+)$", rest)
        if match:
            stamp, modifier, original = match.groups()
            captures = WAYBACK.get(_key(original))
            if stamp.endswith("*"):  # the calendar of captures (a year's, with digits)
                h.send(200, b"<html><title>Wayback listing</title></html>")
                return
            if not captures:
                h.send(404, b"<html><title>Wayback Machine</title></html>",
                       headers={"x-ts": "404"})
                return
            self._replay(h, captures, stamp, original,
                         lambda ts: f"{base}/web/{ts}{modifier or ''}/{original}")
            return
        h.send(404, b"not a wayback address", "text/plain")

    # -- shared --------------------------------------------------------------------------
    def _replay(self, h: Handler, captures: list[tuple[str, int]], stamp: str, original: str,
                address: object, frame: object = None, nearest: int = 302) -> None:
        key = _key(original)
        assert callable(address)
        if (key, stamp) in REPLAY_REDIRECTS:
            h.redirect(302, address(REPLAY_REDIRECTS[key, stamp]))
            return
        hidden = [(ts, 200) for (k, _), ts in REPLAY_REDIRECTS.items() if k == key]
        exact = [c for c in [*captures, *hidden] if c[0] == stamp]
        if not exact:
            ts, _ = captures[-1] if stamp == "+" else _nearest(captures, stamp)
            # The archive's own redirect to the nearest capture: no Memento-Datetime.
            assert callable(address)
            h.redirect(nearest, address(ts))
            return
        ts, status = exact[0]
        if (key, ts) in CAPTURED_REDIRECTS:  # a replayed 301, Memento-Datetime and all
            target = urlunsplit(urlsplit(original)._replace(path=CAPTURED_REDIRECTS[key, ts]))
            h.redirect(301, address(ts).replace(original, target),
                       headers={"Memento-Datetime": _http_date(ts)})
            return
        if "no-memento" in key:  # a page of the archive's own where the capture should be
            h.send(200, b"<html><title>Wayback Machine</title><body>Sorry.</body></html>")
            return
        title = "Page not found" if status == 404 else f"Archived: {original}"
        text = CAPTURE_TEXT.get(key, "")
        body = CAPTURED.get((key, ts)) or MEMENTO_PAGE.format(title=title, text=text).encode()
        if callable(frame):  # pywb's framed replay: its banner, the capture in an iframe,
            body, status = frame(ts), 200  # a 200 page whatever the capture's own status
        h.send(status, body,
               headers={"Memento-Datetime": _http_date(ts), "x-ts": str(status),
                        "Link": f'<{original}>; rel="original"'})
