"""Reading answers, and whether to try again: page titles, bot walls, meta refreshes and
script redirects, the retry policy (``is_retryable``) and its waits. What a page is when it
is not the evidence (error pages, parked domains, walls) is read in ``pages.py``.

Pure functions over ``Fetch`` and ``Answer`` values; no I/O, and no status decided here:
``verdict.py`` is where a status is made, from what these functions read.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import html
import re
import sys
from dataclasses import dataclass
from http import HTTPStatus

from refcheck.model import Answer, FailureKind, Fetch

# -- retrying ---------------------------------------------------------------------------

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
RETRY_FAILURES = frozenset({FailureKind.TIMEOUT, FailureKind.RESET, FailureKind.DNS_TEMPORARY})


def is_retryable(fetch: Fetch) -> bool:
    """Transient trouble is worth another try; a 404, a DNS failure or a bad certificate is not."""
    if fetch.failure is not None:
        return fetch.failure.kind in RETRY_FAILURES
    answer = fetch.answer
    if answer is None:
        return False
    if answer.status not in RETRY_STATUSES and not 500 <= answer.status < 600:
        return False
    return not is_bot_challenge(answer)  # a bot wall does not go away by asking again


def retry_after_seconds(headers: dict[str, str], now: dt.datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or None."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, float((when - now).total_seconds()))


def backoff_seconds(attempt: int, *, base: float, cap: float, jitter: float) -> float:
    """Capped exponential backoff; ``jitter`` in [0, 1) spreads retries from many tasks."""
    ceiling: float = min(cap, base * 2.0 ** (attempt - 1))
    return ceiling / 2 + ceiling / 2 * jitter


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """When every request refcheck makes is asked again, and how long it waits first: the
    one policy, with its predicate (``is_retryable``), its backoff and its cap on waits.
    Links and archives differ only in these numbers."""

    retries: int = 2
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    max_wait: float = 120.0  # a server asking for longer is not asked again
    #: A 429 without ``Retry-After`` waits this long (None: the backoff): the Internet
    #: Archive asks for a minute.
    wait_after_429: float | None = None
    #: Whether the wait counts against the try's deadline (a link's time is bounded), or is
    #: a pause for politeness outside it (an archive's).
    within_deadline: bool = True

    def wait(self, fetch: Fetch, attempt: int, *, jitter: float, now: dt.datetime,
             deadline: float) -> tuple[bool, float]:
        """(ask again?, seconds to wait first). A fetch that may not be tried again gets
        False; one whose server asked for more than may be waited gets False and the wait
        it asked for (which the caller reports)."""
        if attempt > self.retries or not is_retryable(fetch):
            return False, 0.0
        longest = min(self.max_wait, deadline / 2) if self.within_deadline else self.max_wait
        wait = min(longest, backoff_seconds(attempt, base=self.backoff_base,
                                            cap=self.backoff_cap, jitter=jitter))
        answer = fetch.answer
        if answer is not None:
            asked = retry_after_seconds(answer.headers, now)
            if asked is None and answer.status == 429 and self.wait_after_429 is not None:
                asked = self.wait_after_429
            if asked is not None:
                if asked > longest:
                    return False, asked
                wait = asked
        return True, wait


# -- reading pages ----------------------------------------------------------------------

#: Every pattern run over a page is linear in its length, as a server chooses what it
#: sends: a tag's attributes stop at the next ``<`` (``[^<>]``), and an element's content at
#: its next opening (``(?!<title\b)``), so that a page of ``<title<title<title…`` or of
#: unclosed ``<script>`` tags is read in one pass, not once from each tag (minutes of CPU
#: for 256 KB, during which no other link is checked).
_TITLE = re.compile(rb"<title[^<>]*>((?:(?!<title\b).)*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]+>")
_SPACE = re.compile(r"\s+")
HTML_TYPES = ("text/html", "application/xhtml+xml", "")
#: A document's types, and the generic ones downloads are sent as: the start of such an
#: answer is read (``SNIFF_BYTES``), as an HTML error page is sometimes sent under them
#: (a CDN's or a repository's "not found" page sent as ``application/pdf``), which a
#: browser cannot show as the document.
DOCUMENT_TYPES = frozenset({
    "application/pdf", "application/x-pdf", "application/octet-stream", "binary/octet-stream",
    "application/force-download", "application/x-download", "application/download",
    "application/msword", "application/rtf", "application/zip"})
SNIFF_BYTES = 1024
#: How an HTML page starts, where no type says so.
HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<title")


def is_document_type(content_type: str) -> bool:
    return content_type in DOCUMENT_TYPES or content_type.startswith(
        ("application/vnd.openxmlformats", "application/vnd.ms-", "application/vnd.oasis"))


def starts_like_html(body: bytes) -> bool:
    return body[:512].lstrip().lower().startswith(HTML_STARTS)


#: Where a page says how its text is encoded: ``<meta charset="…">`` or the http-equiv form.
_META_CHARSET = re.compile(rb"<meta[^<>]+charset\s*=\s*[\"']?\s*([a-z0-9_.:-]+)",
                           re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([a-z0-9_.:-]+)", re.IGNORECASE)
#: What browsers read for these labels (the WHATWG Encoding standard): Windows-1252.
_WINDOWS_1252 = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii",
                           "ascii", "windows-1252", "cp1252", "x-cp1252"})


def charset_of(answer: Answer) -> str | None:
    """The codec a page declares, in its Content-Type header or a meta tag near its start
    (a Python codec name, or None when it declares none that Python knows)."""
    match = _HEADER_CHARSET.search(answer.headers.get("content-type", ""))
    name = match.group(1) if match else None
    if name is None:
        found = _META_CHARSET.search(answer.body[:2048])
        name = found.group(1).decode("ascii") if found else None
    if name is None:
        return None
    name = name.lower()
    if name in _WINDOWS_1252:
        return "cp1252"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decoded(data: bytes, codec: str | None) -> str:
    """Some of a page's bytes as text: in the codec it declares, else UTF-8, else (a page
    of the 2000s saved in Windows' code page, with no word about it) Windows-1252."""
    if codec is not None and codec != "utf-8":
        return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if codec == "utf-8" or exc.reason == "unexpected end of data":
            return data.decode("utf-8", errors="replace")  # declared, or cut mid-character
        return data.decode("cp1252", errors="replace")


def _clean(fragment: bytes, codec: str | None = "utf-8") -> str:
    text = decoded(fragment, codec)
    text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip()


def page_title(answer: Answer) -> str | None:
    if answer.content_type not in HTML_TYPES:
        return None
    match = _TITLE.search(answer.body[:262_144])
    return (_clean(match.group(1), charset_of(answer))[:300] or None) if match else None


_META_REFRESH = re.compile(
    rb"<meta[^<>]+http-equiv\s*=\s*[\"']?refresh[\"']?[^<>]*>", re.IGNORECASE)
#: A refresh's ``delay; url=…``, as a meta refresh's content and a ``Refresh`` header give it
#: (the address runs to a quote, or in a tag to its end).
_REFRESH_VALUE = r"(\d+(?:\.\d+)?)\s*[;,]\s*(?:url\s*=\s*)?[\"']?([^\"'{stop}]+)"
_REFRESH_CONTENT = re.compile(r"content\s*=\s*[\"']?\s*" + _REFRESH_VALUE.format(stop=">"),
                              re.IGNORECASE)
_REFRESH_HEADER = re.compile(r"^\s*" + _REFRESH_VALUE.format(stop=""), re.IGNORECASE)
#: Longer waits are notices ("you will be taken there in a minute"), not redirects.
META_REFRESH_MAX_DELAY = 30.0


def _refresh_target(match: re.Match[str] | None) -> str | None:
    """The address a refresh sends to soon enough to be a redirect, or None."""
    if not match or float(match.group(1)) > META_REFRESH_MAX_DELAY:
        return None
    return match.group(2).strip() or None


def refresh_header_target(value: str) -> str | None:
    """The address a ``Refresh: 0; url=…`` header sends to (PHP's ``header("Refresh: …")``):
    browsers follow it as they follow a meta refresh (the HTML standard processes the header
    as one). None for a long wait, or a refresh of the page itself (no address)."""
    return _refresh_target(_REFRESH_HEADER.match(value))


_NOSCRIPT = re.compile(rb"<(/?)noscript\b", re.IGNORECASE)


def _in_noscript(head: bytes, at: int) -> bool:
    """Whether ``at`` is inside a ``<noscript>`` element: what a browser with JavaScript
    (as people's are) never reads."""
    tags = _NOSCRIPT.findall(head, 0, at)
    return bool(tags) and tags[-1] == b""


def meta_refresh_target(body: bytes) -> str | None:
    """The address a ``<meta http-equiv="refresh" content="0; url=…">`` sends to, if any.
    One inside ``<noscript>`` is for browsers without JavaScript (Facebook's
    ``?_fb_noscript=1``, Twitter's ``/i/nojs_router``): a person's browser stays."""
    head = body[:65_536]
    match = next((m for m in _META_REFRESH.finditer(head)
                  if not _in_noscript(head, m.start())), None)
    if not match:
        return None
    target = _refresh_target(_REFRESH_CONTENT.search(
        match.group(0).decode("utf-8", errors="replace")))
    return (html.unescape(target) or None) if target else None


_INLINE_SCRIPT = re.compile(rb"<script(?![^<>]*\bsrc\s*=)[^<>]*>((?:(?!<script\b).)*?)"
                            rb"</script\s*>",
                            re.IGNORECASE | re.DOTALL)
#: ``window.location = "…"``, ``location.href='…'``, ``location.replace("…")``,
#: ``window.location.assign('…')``, ``top.location.href = "…"``: a literal address, the
#: whole statement (not ``"/search?q=" + term``).
_SCRIPT_REDIRECT = re.compile(
    r"(?:\b(?:window|document|top|self|parent)\s*\.\s*)?\blocation(?:\s*\.\s*href)?\s*=\s*"
    r"([\"'])([^\"'\s<>]+)\1\s*(?=[;})\n<+]|$)"
    r"|\blocation\s*\.\s*(?:replace|assign)\s*\(\s*([\"'])([^\"'\s<>]+)\3\s*\)",
    re.IGNORECASE)
_SCRIPT_TAGS = re.compile(rb"<(script|style|noscript)\b(?:(?!<\1\b).)*?</\1\s*>|<[^<>]+>",
                          re.IGNORECASE | re.DOTALL)
#: Visible text beyond this is a page in its own right, whatever its scripts do.
SCRIPT_REDIRECT_MAX_TEXT = 400


def _text_length(head: bytes) -> int:
    """How much text a page shows, its scripts and styles aside (spaces squashed)."""
    text = html.unescape(_SCRIPT_TAGS.sub(b" ", head).decode("utf-8", errors="replace"))
    return len(" ".join(text.split()))


#: LinkedIn's page for an lnkd.in link to a site it has not checked ("This link will take
#: you to a page that's not on LinkedIn"), as it is served: its page key, and the one link
#: on, marked for LinkedIn's tracking as the external address.
_LINKEDIN_INTERSTITIAL = (b"d_shortlink_frontend_external_link_redirect_interstitial",
                          b"not on LinkedIn")
#: How much of a page is looked at for it: the page is small, and says what it is early.
INTERSTITIAL_HEAD = 16_384
_INTERSTITIAL_HEADING = re.compile(
    r"<h1[^<>]*>\s*this\s+link\s+will\s+take\s+you\s+to\s+a\s+page\s+that(?:[\u2019']|&#39;|"
    r"&rsquo;|&#x27;)s\s+not\s+on\s+linkedin\s*</h1>", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\b([^<>]*)>((?:(?!<a\b).)*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_EXTERNAL_CLICK = re.compile(
    r"""\bdata-tracking-control-name\s*=\s*["']external_url_click["']""", re.IGNORECASE)
_LINKEDIN_HOST = re.compile(r"^https?://(?:[\w-]+\.)*(?:linkedin\.com|licdn\.com|lnkd\.in)(?:[:/?#]|$)",
                            re.IGNORECASE)


def shortener_interstitial(body: bytes) -> str | None:
    """The shortener whose page, standing between a short link and its target, this is
    ("LinkedIn"), or None."""
    # Asked of every page: only the start is looked at (LinkedIn's page says it in its
    # <head>, in the first 3 KB).
    if body.find(_LINKEDIN_INTERSTITIAL[1], 0, INTERSTITIAL_HEAD) < 0:
        return None
    head = body[:65_536]
    if _LINKEDIN_INTERSTITIAL[0] in head or _INTERSTITIAL_HEADING.search(
            head.decode("utf-8", errors="replace")):
        return "LinkedIn"
    return None


def interstitial_target(body: bytes) -> str | None:
    """Where a shortener's interstitial page leads (LinkedIn's lnkd.in page: "This link
    will take you to a page that's not on LinkedIn", and the link), when the page names
    one address plainly: the link LinkedIn marks as the external address, or else the one
    link whose text is its own address. None when it is not such a page, or names none."""
    if shortener_interstitial(body) is None:
        return None
    text = body[:65_536].decode("utf-8", errors="replace")
    marked, shown = set(), set()
    for attributes, label in _ANCHOR.findall(text):
        href = _HREF.search(attributes)
        if href is None:
            continue
        target = html.unescape((href.group(1) or href.group(2) or "").strip())
        if not target.lower().startswith(("http://", "https://")) or _LINKEDIN_HOST.match(target):
            continue
        if _EXTERNAL_CLICK.search(attributes):
            marked.add(target)
        elif _clean(label.encode()) == target:
            shown.add(target)
    for found in (marked, shown):
        if len(found) == 1:
            return found.pop()
        if found:  # more than one: which is meant cannot be told
            return None
    return None


def script_redirect_target(body: bytes) -> str | None:
    """Where a page that is nothing but a script sending the browser on goes: the
    JavaScript-only redirects of domain-parking landers (Bodis, ParkingCrew) and of sites
    that send lost pages home. None for a page with text of its own. A shortener's
    interstitial that only shows the link on (LinkedIn's lnkd.in page) is read as one too:
    its link is where the short link leads (``interstitial_target``)."""
    onward = interstitial_target(body)
    if onward is not None:
        return onward
    head = body[:65_536]
    if b"location" not in head:
        return None
    if _text_length(head) > SCRIPT_REDIRECT_MAX_TEXT:
        return None
    for script in _INLINE_SCRIPT.finditer(head):
        code = script.group(1).decode("utf-8", errors="replace")
        match = _SCRIPT_REDIRECT.search(code)
        if match:
            target = match.group(2) or match.group(4)
            if target and not target.lower().startswith(("javascript:", "#", "about:")):
                return target
    return None


_CHALLENGE_TITLES = re.compile(
    r"^(just a moment|attention required|access denied|are you a robot|"
    r"security check|verify you are human|one more step|checking your browser|"
    r"human verification|please verify|ddos-guard|pardon our interruption|request rejected)",
    re.IGNORECASE,
)


#: Imperva (Incapsula): its refusal names an incident; its challenge is a page with no
#: text of its own, only its script. (Its script is on the pages it lets through too.)
_INCAPSULA_REFUSAL = re.compile(rb"Incapsula\s+incident\s+ID", re.IGNORECASE)
_INCAPSULA_SCRIPT = b"/_Incapsula_Resource"
#: Text a challenge page may show beside its script ("Loading…", a noscript notice).
CHALLENGE_MAX_TEXT = 200
#: A page titled as a challenge is one only while it says little: Cloudflare's "Attention
#: Required!" page, the longest, has about 1,000 characters; an article headed "One more
#: step towards a malaria vaccine" or "Access denied: …" is far longer.
CHALLENGE_TITLED_MAX_TEXT = 2000


def _incapsula(body: bytes) -> bool:
    if body.find(b"ncapsula", 0, 65_536) < 0:  # asked of every answer: the cheap look first
        return False
    head = body[:65_536]
    if _INCAPSULA_REFUSAL.search(head):
        return True
    if _INCAPSULA_SCRIPT not in head:
        return False
    return _text_length(head) <= CHALLENGE_MAX_TEXT


#: Amazon's robot check (sent with 503, or 200): a form that posts its CAPTCHA here.
_AMAZON_CAPTCHA = b"/errors/validateCaptcha"


def is_bot_challenge(answer: Answer, title: str | None = None) -> bool:
    """A bot wall (Cloudflare, Akamai, AWS WAF, Imperva, Amazon's robot check, LinkedIn's
    999): a person must look."""
    headers = answer.headers
    if answer.status == 999:
        return True
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    if headers.get("x-amzn-waf-action", "").lower() in ("captcha", "challenge"):
        return True
    if answer.status in (200, 403, 429, 503):
        title = title if title is not None else page_title(answer)
        if title and _CHALLENGE_TITLES.match(title) and (
                _text_length(answer.body[:65_536]) <= CHALLENGE_TITLED_MAX_TEXT):
            return True
        if _incapsula(answer.body):
            return True
        if answer.body.find(_AMAZON_CAPTCHA, 0, 65_536) >= 0 and (
                _text_length(answer.body[:65_536]) <= CHALLENGE_TITLED_MAX_TEXT):
            return True
    return False


# -- wording shared by verdicts and archive lookups ------------------------------------

#: The longest wait said in days; a server asking for longer is not coming back soon.
_YEAR = 365 * 86_400


def wait_words(seconds: float) -> str:
    """A wait as a person says it: 45 seconds, 10 minutes, 3 hours, 2 days, more than a
    year (a ``Retry-After`` of 10**23 seconds is no count of days anyone can read)."""
    if not seconds <= _YEAR:  # NaN and infinity too: "Retry-After: 99…9" reads as inf
        return "more than a year"
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= 1.5 * size:
            count = round(seconds / size)
            return f"{count} {unit}s"
    count = max(1, round(seconds))
    return f"{count} second" if count == 1 else f"{count} seconds"


#: Codes outside the standard that sites answer every day, by the service that sends them:
#: Cloudflare's, when the site's own server behind it fails (sent with no reason phrase
#: over HTTP/2), and the shared hosts' bandwidth limit.
UNOFFICIAL_STATUSES = {
    509: "Bandwidth Limit Exceeded (the site's hosting allowance is used up)",
    520: "Web Server Returned an Unknown Error (Cloudflare: the site's own server failed)",
    521: "Web Server Is Down (Cloudflare: the site's own server refused the connection)",
    522: "Connection Timed Out (Cloudflare: the site's own server did not answer)",
    523: "Origin Is Unreachable (Cloudflare: the site's own server could not be reached)",
    524: "A Timeout Occurred (Cloudflare: the site's own server took too long)",
    525: "SSL Handshake Failed (Cloudflare: the site's own server's TLS failed)",
    526: "Invalid SSL Certificate (Cloudflare: the site's own server's certificate)",
    530: "Origin Error (Cloudflare: the site's own server could not be found or reached)",
    999: "Request Denied, LinkedIn's refusal of automated requests",
}


def describe_status(code: int, reason: str = "") -> str:
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = UNOFFICIAL_STATUSES.get(code) or reason or "unknown status"
    # Interned: every result holds its detail, and a large run's are nearly all "200 OK".
    return sys.intern(f"{code} {phrase}")
