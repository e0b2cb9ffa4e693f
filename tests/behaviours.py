"""Behaviours the local test server serves, with the status each must get."""

from __future__ import annotations

# (path on the test server, or a full URL; expected status; words the detail must contain)
BEHAVIOURS: list[tuple[str, str, str]] = [
    ("/page", "ok", "200 OK"),
    ("/report.pdf", "ok", "200 OK"),
    ("/gone404", "dead", "404 Not Found"),
    ("/gone410", "dead", "410 Gone"),
    ("/chain/1", "moved", "moved to {base}/new/home-of-evidence"),
    ("/loop/a", "error", "redirect loop"),
    ("/old-news", "soft-404", "home page"),
    ("/soft", "soft-404", "Page not found"),
    ("/head405", "ok", "200 OK"),
    ("/head404", "ok", "200 OK"),
    # Under the --deadline 1 these tests run with, Retry-After: 7 (and 1) is more than half
    # a try's deadline: reported, not waited for.
    ("/ratelimited", "blocked", "the server asked us to wait 7 seconds; try later"),
    ("/flaky503", "ok", "200 OK"),
    ("/always500", "error", "500 Internal Server Error after 3 tries"),
    ("/always429", "blocked", "429 Too Many Requests: the server asked us to wait 1 second"),
    ("/trickle", "error", "too slow"),
    ("/challenge", "blocked", "bot check"),
    ("/members", "blocked", "login page"),
    ("/forbidden", "blocked", "403 Forbidden"),
    ("/linkedin", "blocked", "bot check"),
    ("/reset", "error", "closed the connection"),
    ("http://127.0.0.1:{refused}/evidence", "error", "connection refused"),
    ("http://evidence-gone.invalid/report", "dead", "host name does not exist"),
    ("/huge", "ok", "200 OK"),
    ("/gzip-bomb", "ok", "200 OK"),
    ("/folder", "ok", "200 OK"),
    ("/cookie-gate", "ok", "200 OK"),
    ("/markup", "ok", "200 OK"),
    ("http://alice:hunter2@127.0.0.1:{port}/page?token=s3cret&page=2", "ok", "200 OK"),
]

QUOTE_HTML = "brought services together around families"
QUOTE_GONE = "Family intervention workers are dedicated to the families"

# The rest of the labelled set: (label, path or URL, expected status, extra source fields).
# Paths are on the test server; {port} and {base} are filled in.
MORE: list[tuple[str, str, str, dict[str, str]]] = [
    ("redirect to a section root", "/news/2012/03/item.htm", "soft-404", {}),
    ("site answers any address", "/catchall/reports/2012/annual.htm", "soft-404", {}),
    ("short but real page", "/short-real", "ok", {}),
    ("a title with the number 404 in it", "/route-404", "ok", {}),
    ("meta refresh to a page", "/meta-refresh", "moved", {}),
    ("meta refresh to the home page", "/meta-refresh-home", "soft-404", {}),
    ("PDF with the quote", "/report-text.pdf", "ok",
     {"quote": "The Springboard model of family preservation should be trialled across "
               "Queensland"}),
    ("PDF without the quote", "/report-text.pdf", "drifted",
     {"quote": "a sentence the report never had"}),
    ("HTML with the quote", "/long-page", "ok", {"quote": QUOTE_HTML.upper()}),
    ("HTML without the quote, archived with it", "/drifted-page", "drifted",
     {"quote": QUOTE_GONE}),
    ("Cloudflare challenge answering 200", "/cf-200", "blocked", {}),
    ("Akamai Access Denied", "/akamai", "blocked", {}),
    ("AWS WAF CAPTCHA", "/aws-waf", "blocked", {}),
    ("registered DOI behind a bot wall", "https://doi.org/10.1002/car.934", "ok", {}),
    ("DOI that does not exist", "https://dx.doi.org/10.9999/no-such-doi", "dead", {}),
    ("goo.gl short link", "https://goo.gl/fbsS", "dead", {}),
    ("UKGWA capture, current form",
     "/ukgwa/20120119192332/http://cwdcouncil.org.uk/social-care/research-events", "ok", {}),
    ("UKGWA capture, pre-2021 form",
     "/20120119192332/http://cwdcouncil.org.uk/social-care/research-events", "ok", {}),
    ("web continuity into UKGWA", "/moved-to-archive", "archived", {}),
    ("dead page kept by UKGWA", "/lost/in-ukgwa", "dead", {}),
    ("dead page never archived", "/lost/never", "dead", {}),
]
