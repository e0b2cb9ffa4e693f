"""Reading what a page is, when it is not the evidence: parked and for-sale domains,
suspended hosting accounts, web servers' default pages, error pages served with 200, login
and cookie-consent walls, and addresses that are error pages, site searches or domain
resellers. Also how alike two pages are (a live page and its archived capture).

Readers only: each function says what a page or an address looks like, and names the
server, CMS or service that makes that kind of page. No status is decided here; the
decisions, with the corroboration they need, are ``verdict.py``'s.
"""

from __future__ import annotations

import json
import math
import re
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TypeVar, cast
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from ahocorasick_rs import BytesAhoCorasick

from refcheck.classify import charset_of, decoded, is_document_type, starts_like_html
from refcheck.model import Answer
from refcheck.text import starts_like_document
from refcheck.urls import host_of, is_home_page

#: How much of a page is read: error pages, parking pages and walls say what they are at
#: the top, and a real page is plainly real long before this.
READ_BYTES = 262_144
#: Main text (navigation, headers, footers and sidebars left out) shorter than this is a
#: page with little of its own to say: an error page with the site's chrome round it.
SHORT_MAIN = 1200
HTML = ("text/html", "application/xhtml+xml")


# -- the page as read -----------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    """What an HTML page shows, read once: its title, headings, opening text, its main
    text (without the site's navigation and footer), and the parts walls are made of."""

    title: str
    headings: tuple[str, ...]  # h1 and h2, in order (a few)
    h1: tuple[str, ...]
    lead: str  # the first paragraphs of the main text
    main: str  # the main text, capped
    main_length: int
    prose_length: int  # of the main text, what is not the text of links (menus, widgets)
    visible_length: int  # all the text a person sees, title included
    visible: str  # its start
    password: bool  # a password field in the page's own content (not its chrome)
    scripts: str  # inline scripts, capped
    script_sources: tuple[str, ...]
    media: bool  # images, frames, objects, video: something to see besides text

    @property
    def short(self) -> bool:
        return self.main_length < SHORT_MAIN

    @property
    def says_little(self) -> bool:
        """Little prose of its own: an error page whose chrome the reader did not know as
        such (menus in plain lists, link widgets) is still short in its sentences."""
        return self.prose_length < SHORT_MAIN


_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                   "meta", "param", "source", "track", "wbr", "frame"})
#: Never text a person reads.
_HIDDEN = frozenset({"script", "style", "noscript", "template", "svg", "select", "option",
                     "textarea", "iframe", "object"})
#: Site chrome, left out of the main text: it is the same on every page of a site.
_CHROME = frozenset({"nav", "footer", "aside", "menu", "dialog", "button"})
_CHROME_NAME = re.compile(
    r"^(?:site|main|global|top|bottom|primary|secondary|sub|mobile|page|left|right|side)?"
    r"[-_]?(?:nav|navbar|navigation|menu|menubar|footer|sidebar|breadcrumbs?|"
    r"breadcrumb-trail|cookie-banner|cookie-notice|cookie-consent|cookies|skip-links?|aside|"
    r"skiplinks|masthead)(?:[-_](?:left|right|top|bottom|wrapper|container|area|bar|links|"
    r"menu|nav|inner|outer))?$",
    re.IGNORECASE)
_MEDIA = frozenset({"img", "iframe", "frame", "frameset", "object", "embed", "video",
                    "canvas", "picture", "audio"})
_BLOCK = frozenset({"p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
                    "br", "section", "article", "header", "main", "blockquote", "dd", "dt",
                    "title", "center", "table", "ul", "ol", "pre", "hr"})
_SPACE = re.compile(r"\s+")
_MAIN_CAP = 20_000
#: Main text shorter than this, beside a login pop-up, is no page of its own: the pop-up is
#: what a person sees.
DIALOG_ONLY_TEXT = 60


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.in_title = False
        self.title_seen = False
        self.headings: list[str] = []
        self.h1: list[str] = []
        self.heading: list[str] | None = None
        self.heading_tag = ""
        self.paragraphs: list[str] = []
        self.paragraph: list[str] | None = None
        self.main: list[str] = []
        self.main_length = 0
        self.prose_length = 0
        self.links = 0  # open <a> elements
        self.visible: list[str] = []
        self.visible_length = 0
        self.password = False
        self.scripts: list[str] = []
        self.script_sources: list[str] = []
        self.media = False
        self.own_media = False
        self.hidden = ""  # the tag of the hidden element we are in, and how deep
        self.hidden_depth = 0
        self.chrome = ""
        self.chrome_depth = 0
        self.dialog = False  # the chrome we are in is a dialog: a login or cookie pop-up
        self.dialog_password = False
        self.in_script = False
        self.content = 0  # open <article>/<main>: a <header> inside is the page's own

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _MEDIA:
            self.media = True
            if not self.chrome and not self.hidden:
                self.own_media = True  # a video, picture or embedded document of the page's
        # A password field in the site's chrome is a login box in its sidebar or header,
        # on every page: only one in the page's own content makes a sign-in page.
        if tag == "input" and any(
                k == "type" and (v or "").lower() == "password" for k, v in attrs):
            if not self.chrome:
                self.password = True
            elif self.dialog:
                self.dialog_password = True
        if tag == "script":
            self.in_script = True
            source = next((v for k, v in attrs if k == "src" and v), None)
            if source:
                self.script_sources.append(source)
        if tag in _VOID:
            if tag == "br":
                self._text(" ")
            return
        if tag in ("article", "main"):
            self.content += 1
        if tag == "a":
            self.links += 1
        if self.hidden:
            if tag == self.hidden:
                self.hidden_depth += 1
            return
        if tag in _HIDDEN:
            self.hidden, self.hidden_depth = tag, 1
            return
        if self.chrome:
            if tag == self.chrome:
                self.chrome_depth += 1
        elif tag in _CHROME or (tag == "header" and not self.content) or (
                tag not in ("body", "html", "main", "article") and _is_chrome(attrs)):
            self.chrome, self.chrome_depth = tag, 1
            self.dialog = tag == "dialog" or _is_dialog(attrs)
        if tag == "title" and not self.title_seen:
            self.in_title = self.title_seen = True
        elif tag in ("h1", "h2") and self.heading is None and not (self.chrome and self.dialog):
            # (A pop-up's heading, "Sign in" over the login form every page carries hidden,
            # is not the page's.)
            self.heading, self.heading_tag = [], tag
        elif tag == "p" and self.paragraph is None and not self.chrome:
            self.paragraph = []
        if tag in _BLOCK:
            self._text(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False
        if tag in ("article", "main") and self.content:
            self.content -= 1
        if tag == "a" and self.links:
            self.links -= 1
        if self.hidden:
            if tag == self.hidden:
                self.hidden_depth -= 1
                if not self.hidden_depth:
                    self.hidden = ""
            return
        if tag == "title":
            self.in_title = False
        if tag == self.heading_tag and self.heading is not None:
            text = _squash("".join(self.heading))
            if text and len(self.headings) < 8:
                self.headings.append(text)
                if tag == "h1":
                    self.h1.append(text)
            self.heading, self.heading_tag = None, ""
        if tag == "p" and self.paragraph is not None:
            text = _squash("".join(self.paragraph))
            if text and len(self.paragraphs) < 3:
                self.paragraphs.append(text)
            self.paragraph = None
        if tag in _BLOCK:
            self._text(" ")
        if self.chrome and tag == self.chrome:
            self.chrome_depth -= 1
            if not self.chrome_depth:
                self.chrome = ""

    def handle_data(self, data: str) -> None:
        if self.in_script:
            if sum(len(s) for s in self.scripts) < 65_536:
                self.scripts.append(data)
            return
        if self.hidden:
            return
        if self.in_title:
            self.title.append(data)
        self._text(data)

    def _text(self, data: str) -> None:
        if self.heading is not None:
            self.heading.append(data)
        if self.paragraph is not None:
            self.paragraph.append(data)
        if not data.strip() and data != " ":
            return
        if self.visible_length < _MAIN_CAP:
            self.visible.append(data)
        self.visible_length += len(data.strip())
        if not self.chrome and not self.in_title:
            if self.main_length < _MAIN_CAP:
                self.main.append(data)
            self.main_length += len(data.strip())
            if not self.links:
                self.prose_length += len(data.strip())


def _is_chrome(attrs: list[tuple[str, str | None]]) -> bool:
    if _is_dialog(attrs):
        return True
    for name, value in attrs:
        if name in ("id", "class", "role") and value:
            if name == "role" and value.lower() in ("navigation", "contentinfo", "banner"):
                return True
            if any(_CHROME_NAME.match(token) for token in value.split()):
                return True
    return False


#: A pop-up's class: Bootstrap's ``modal``, and the like (``login-modal``, ``popup``).
_DIALOG_NAME = re.compile(r"^(?:[a-z]+[-_])?(?:modal|popup|lightbox)$", re.IGNORECASE)


def _is_dialog(attrs: list[tuple[str, str | None]]) -> bool:
    """A pop-up dialog, whatever element it is drawn in (``role="dialog"``,
    ``aria-modal``, Bootstrap's ``class="modal"``): the login form or the notice a site
    keeps hidden on every page until it is asked for, not the page's own content."""
    for name, value in attrs:
        if not value:
            continue
        if name == "role" and value.lower() in ("dialog", "alertdialog"):
            return True
        if name == "aria-modal" and value.lower() == "true":
            return True
        if name == "class" and any(_DIALOG_NAME.match(t) for t in value.split()):
            return True
    return False


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def is_html(answer: Answer) -> bool:
    """An HTML answer: so typed (and not a document sent so), or untyped or typed as a
    document and starting like HTML."""
    if answer.content_type in HTML:
        return not starts_like_document(answer.body)
    if answer.content_type == "" or is_document_type(answer.content_type):
        # Untyped, or an HTML page sent as a document (only its start is read).
        return starts_like_html(answer.body)
    return False


_T = TypeVar("_T")
#: What has been worked out from an answer, by the answer's id and what was asked: the
#: verdict, the probe and the quote check ask the same things of one page.
_KNOWN: dict[tuple[int, str], tuple[weakref.ref[Answer], object]] = {}


def _once(answer: Answer, what: str, work_out: Callable[[], _T]) -> _T:
    """``work_out()`` for this answer, done once while the answer lives."""
    known = _KNOWN.get((id(answer), what))
    if known is not None and known[0]() is answer:
        return cast(_T, known[1])
    value = work_out()
    if len(_KNOWN) > 256:
        for key in [k for k, (ref, _) in _KNOWN.items() if ref() is None] or list(_KNOWN):
            del _KNOWN[key]
    _KNOWN[id(answer), what] = (weakref.ref(answer), value)
    return value

#: Pages are read in pieces of this size, and reading stops once the page is plainly a
#: page of its own: its title, first headings and paragraphs read, and far more main text
#: than an error page or a wall has (a real page of 300 KB costs a tenth of its reading).
CHUNK = 16_384


def read_page(answer: Answer, *, whole: bool = False) -> Page | None:
    """The page an HTML answer shows (None for anything else); read once per answer.
    ``whole`` reads all of it (up to ``READ_BYTES``), for comparing it with another page;
    otherwise reading stops where the page is plainly long."""
    if not is_html(answer) and answer.content_type != "text/plain":
        return None
    return _once(answer, "whole" if whole else "page", lambda: _read(answer, whole))


def _read(answer: Answer, whole: bool) -> Page:
    text = decoded(answer.body[:READ_BYTES], charset_of(answer))
    if answer.content_type == "text/plain":
        plain = _squash(text)
        page = Page("", (), (), plain[:600], plain[:_MAIN_CAP], len(plain), len(plain),
                    len(plain), plain[:2000], False, "", (), False)
    else:
        reader = _Reader()
        # The parser is never closed: what it holds back at the end is a tag, comment or
        # declaration the page never ends, which a browser does not show either. Closing it
        # made Python's parser (before 3.11.13) read from each of those openings to the
        # end of the page: minutes of CPU for 256 KB of ``<x<x<x…``, while nothing else in
        # the run moved (CVE-2025-6069).
        try:
            for start in range(0, len(text), CHUNK):
                reader.feed(text[start:start + CHUNK])
                if not whole and _plainly_long(reader):
                    break
        except (AssertionError, ValueError):  # pragma: no cover - the parser is lenient
            pass
        main = _squash("".join(reader.main))
        lead = " ".join(reader.paragraphs[:2]) or main[:400]
        page = Page(_squash("".join(reader.title))[:300], tuple(reader.headings),
                    tuple(reader.h1), lead[:600], main, reader.main_length, reader.prose_length,
                    reader.visible_length, _squash("".join(reader.visible))[:2000],
                    # A login pop-up is the page's only content when there is no other:
                    # no text, and no video, picture or embedded document.
                    reader.password or (reader.dialog_password and not reader.own_media
                                        and reader.main_length < DIALOG_ONLY_TEXT),
                    "".join(reader.scripts), tuple(reader.script_sources),
                    reader.media)
    return page


def _plainly_long(reader: _Reader) -> bool:
    """Enough has been read to tell: a long page, with its openings read."""
    return (reader.prose_length >= 4 * SHORT_MAIN and reader.title_seen
            and not reader.in_title and len(reader.paragraphs) >= 2)


#: Words at least one of which every page a rule here reads has (in any case): the error
#: wordings, parking and sale notices, suspended, default and placeholder pages, sign-in
#: and consent walls. A page with none of them, and a title, is not parsed at all.
_TRIGGERS = (
    b"found", b"404", b"error", b"exist", b"remove", b"moved", b"availab", b"wrong", b"gone",
    b"occurred", b"sale", b"park", b"domain", b"expire", b"suspend", b"registered", b"works",
    b"nginx", b"iis", b"information services", b"default", b"plesk", b"test page",
    b"future home", b"caddy", b"litespeed", b"congratulations", b"welcome", b"all set",
    b"soon", b"construction", b"maintenance", b"sign", b"log", b"password", b"authenticat",
    b"continu", b"weitergehen", b"acc\xc3\xa9der", b"antes de ir", b"verdergaat",
    b"privacy", b"cookie", b"consent", b"such app", b"isn", b"connected", b"shop",
    b"forbidden", b"unauthori", b"denied", b"nothing", b"sorry", b"oops", b"sponsored",
    b"related", b"whitelabel", b"github", b"name changed", b"unavailable", b"offer",
    b"bodis", b"above.com", b"trafficz", b"skenzo",
    b"chanfod", b"chanfuwyd", b"gefunden", b"introuvable", b"trouv",  # Welsh, German, French
)  # and every _PARKING_MARKERS has one
_ANY_TRIGGER = BytesAhoCorasick(_TRIGGERS)
_STATUS_IN_TITLE = re.compile(r"\b[45]\d\d\b")


def worth_reading(answer: Answer, title: str | None = None) -> bool:
    """Whether a page may be one the rules here read: cheap, so that the many pages that
    plainly are pages are not parsed. A page without a title is always read."""
    if not is_html(answer) and answer.content_type != "text/plain":
        return False
    if title is None:
        title = _title_of(answer.body)
    if not title or _STATUS_IN_TITLE.search(title):
        return True
    host = host_of(answer.url).removeprefix("www.")
    if host and host in title.lower():  # titled with its own domain, as parking pages are
        return True
    return _once(answer, "triggers", lambda: _has_trigger(answer.body))


def _has_trigger(body: bytes) -> bool:
    return bool(_ANY_TRIGGER.find_matches_as_indexes(body[:READ_BYTES].lower()))


#: Linear in the page, as classify's patterns are (see there).
_TITLE = re.compile(rb"<title[^<>]*>((?:(?!<title\b).)*?)</title\s*>", re.IGNORECASE | re.DOTALL)


def _title_of(body: bytes) -> str:
    match = _TITLE.search(body[:READ_BYTES])
    return _squash(match.group(1).decode("utf-8", errors="replace")) if match else ""


#: Where a page names the address it is its own (``<link rel="canonical" href=…>``, Open
#: Graph's ``<meta property="og:url" content=…>``): the tag holding the word, and in it
#: the address, attributes in either order.
_OWN_ADDRESS_WORDS = (b"canonical", b"og:url")
#: Where to stop looking for them when a page's head does not end (in lower case) sooner.
_HEAD_BYTES = 65_536
_OWN_ADDRESS_TAG = re.compile(rb"<(?:link|meta)\b[^<>]*(?:\brel\s*=\s*[\"']?canonical\b|"
                              rb"\bproperty\s*=\s*[\"']?og:url\b)[^<>]*>", re.IGNORECASE)
_ADDRESS_ATTR = re.compile(rb"\b(?:href|content)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))",
                           re.IGNORECASE)


def names_its_home_page(answer: Answer) -> bool:
    """Whether a page at a deeper address says, in its head, that it is its site's home
    page (its canonical or Open Graph address is the front page): how a site that shows
    its home page for an address it no longer has, without a redirect, gives itself away.
    Some sites name the home page on every page, so this is a reason to look further
    (the probe), not a verdict."""
    body = answer.body
    # The head only (these tags are in it): it ends within a few KB on most pages.
    end = body.find(b"</head", 0, _HEAD_BYTES)
    if end < 0:
        end = _HEAD_BYTES
    for word in _OWN_ADDRESS_WORDS:
        at = body.find(word, 0, end)
        while at >= 0:
            opened, closed = body.rfind(b"<", 0, at), body.find(b">", at)
            tag = _OWN_ADDRESS_TAG.fullmatch(body, opened, closed + 1) if (
                opened >= 0 and closed >= 0) else None
            if tag is not None and _names_home(answer.url, tag.group()):
                return True
            at = body.find(word, at + len(word), end)
    return False


def _names_home(url: str, tag: bytes) -> bool:
    attr = _ADDRESS_ATTR.search(tag)
    if attr is None or is_home_page(url):
        return False
    named = next(g for g in attr.groups() if g is not None).decode("utf-8", "replace")
    try:
        address = urljoin(url, named.strip())
    except ValueError:
        return False
    same_site = host_of(address).removeprefix("www.") == host_of(url).removeprefix("www.")
    return same_site and is_home_page(address)


def title_segments(title: str) -> list[str]:
    """A title's parts: "Page not found | Salford City Council" → both. Sites join the
    page's name and their own with these separators; a colon joins a title to its
    subtitle, so it does not split."""
    parts = re.split(r"\s+[|\u2013\u2014\-\u00b7\u00bb:]{1,2}\s+|\s*\|\s*", title)
    return [p.strip() for p in parts if p.strip()]


# -- error pages --------------------------------------------------------------------------

#: A whole title part, or a whole main heading, that names an error and nothing else.
_ERROR_PHRASE = re.compile(
    r"^(?:error\W+)?(?:"
    # "404", "Error 404", "404 error", "410 Gone", "404.0 - Not Found" (IIS), "500".
    r"(?:(?:http\s+)?error\s*)?[45]\d\d(?:\.\d+)?(?:\s*error)?(?:\W+(?:not\s+found|gone|"
    r"forbidden|unauthori[sz]ed|bad\s+request|internal\s+server\s+error|service\s+"
    r"unavailable|page\s+not\s+found|file\s+not\s+found|not\s+available))?"
    r"|(?:error\s*)?404\W*(?:error\W*)?(?:page\s+|file\s+)?(?:not\s+found|missing)"
    # Apache, nginx and most CMSs: "Not Found", "Page not found", "404 Page Not Found".
    r"|(?:(?:the\s+)?(?:page|file|document|resource|content|article|item|url)\s+)?not\s+found"
    r"(?:\s*\(\d{3}\))?"  # Django: "Page not found (404)"
    # IIS 6 "The page cannot be found", WordPress "Oops! That page can't be found.",
    # ASP.NET "The resource cannot be found.", either apostrophe.
    r"|(?:sorry\W*|oops\W*|whoops\W*)*(?:the|that|this)?\s*(?:page|file|document|resource|"
    r"content)\s+(?:you\s*(?:requested|are\s+looking\s+for|were\s+looking\s+for|"
    r"[\u2019']re\s+looking\s+for)\s+)?"
    r"(?:can\s*not|can[\u2019']?t|could\s*n[o\u2019']?t|was\s+not|wasn[\u2019']t)\s+be\s+found"
    r"|(?:sorry\W*|oops\W*)*we\s+(?:can[\u2019']?t|could\s*n[o\u2019']?t|cannot)\s+find\s+"
    r"(?:that|this|the)\s+page(?:\s+you\s+(?:were|are|[\u2019']re)\s+looking\s+for)?"
    r"|http\s+status\s+\d{3}\b.*"  # Apache Tomcat: "HTTP Status 404 - Not Found"
    r"|\d{3}\s*-\s*file\s+or\s+directory\s+not\s+found.*"  # IIS 7 and later
    r"|server\s+error(?:\s+in\s+'[^']*'\s+application)?"  # ASP.NET's yellow screen
    r"|runtime\s+error|application\s+error|internal\s+server\s+error"
    r"|nothing\s+(?:was\s+)?found(?:\s+here)?"  # WordPress themes, an empty archive/search
    r"|(?:sorry\W*)?something\s+went\s+wrong"  # SharePoint, Drupal, many React sites
    r"|page\s+(?:missing|unavailable|removed|gone)|(?:this|the)\s+page\s+is\s+gone"
    r"|(?:sorry\W*)?(?:this|the)\s+(?:page|content)\s+(?:is\s+)?no\s+longer\s+"
    r"(?:available|exists)"
    r"|site\s+not\s+found(?:\s+\W\s+github\s+pages)?"  # GitHub Pages, Netlify
    r"|no\s+such\s+app|there\s+isn[\u2019']t\s+a\s+github\s+pages\s+site\s+here"  # Heroku
    r"|(?:sorry\W*)?page\s+not\s+available|file\s+not\s+available"
    r"|whitelabel\s+error\s+page"  # Spring Boot
    r"|(?:sorry\W*)?this\s+page\s+isn[\u2019']t\s+available.*"  # Wix, Facebook
    # Welsh, German and French councils' and partners' sites, the whole title part or h1.
    r"|tudalen\s+heb\s+ei\s+chanfod|ni\s+chanfuwyd\s+y\s+dudalen"
    r"|(?:die\s+)?seite\s+(?:wurde\s+)?nicht\s+gefunden"
    r"|page\s+(?:introuvable|non\s+trouv[\u00e9e]e)"
    r")\W*$",
    re.IGNORECASE)

#: Error wording in a sentence (a heading, the first paragraph): counts only with
#: corroboration, since real pages can say some of these things too.
_ERROR_WORDING = re.compile(
    r"\b(?:page|file|document|resource|article|content|item)s?\s+(?:was\s+|is\s+)?"
    r"not\s+found\b"
    # "404" alone is not enough ("Bus route 404", "Report 404"): it must lead, end after a
    # separator ("Salford City Council | 404") or come with an error word.
    r"|^\W*404\b|[-|:\u2013\u2014]\s*404\W*$|\berror\W{0,3}404\b|\b404\W{0,3}(?:error|page|not)\b"
    r"|^\W*not\s+found\b|\bwas\s+not\s+found\s+on\s+this\s+server\b"  # Apache
    r"|\b(?:page|file|document|content|resource|url|link)\s+(?:you\s+\w+(?:\s+\w+)?\s+)?"
    r"(?:is\s+|was\s+)?(?:no\s+longer\s+(?:available|exists)|(?:has|have)\s+been\s+(?:re)?moved)"
    r"|\b(?:this|the)\s+(?:page|content|item|document)\s+has\s+been\s+(?:re)?moved"
    # A notice left where a page was: "This page has moved to our new website", "Sorry,
    # this page isn't here".
    r"|\b(?:this|the)\s+(?:page|content|document|website)\s+(?:has\s+(?:now\s+)?|is\s+"
    r"now\s+)moved\b|\b(?:this|that|the)\s+page\s+(?:isn[\u2019']t|is\s+not)\s+here\b"
    # (A "site" that moved may be a recycling site or a clinic's, "The site has moved to
    # Cobden Street": only one said to move on the web is a website.)
    r"|\b(?:this|the)\s+site\s+(?:has\s+(?:now\s+)?|is\s+now\s+)moved\b.{0,120}?"
    r"(?:www\.|https?://|\bweb|\bonline\b|\b(?:web\s+)?address\b|\bdomain\b|\burl\b|"
    r"\blink\b|\bclick\b)"
    # IIS and SharePoint: "…might have been removed, had its name changed, or is
    # temporarily unavailable".
    r"|\bhad\s+its\s+name\s+changed\b"
    # What cannot be found is the page ("The page you requested could not be found", "The
    # resource cannot be found"), not a person in a news story ("he could not be found").
    r"|\b(?:page|web\s*page|file|document|resource|content|url|link|item|article|address)"
    r"\b(?:\s+[\w\u2019']+){0,5}?\s+(?:can|could)(?:\s*not|n[\u2019']t|[\u2019']t)\s+be\s+found"
    r"|\b(?:page|file|document)\s+(?:does\s*n[o\u2019']?t|does\s+not)\s+exist"
    r"|\bpage\s+you\s*(?:requested|are\s+looking\s+for|were\s+looking\s+for|"
    r"[\u2019']re\s+looking\s+for)\b"
    r"|couldn[\u2019']t\s+find\s+(?:the|that|this)\s+page|error\s+page|page\s+missing"
    r"|we\s+can[\u2019']?t\s+find\s+(?:the|that|this)\s+page"
    r"|\bhttp\s+status\s+404\b|\bhttp\s+error\s+404\b"  # Tomcat, IIS
    r"|\bserver\s+error\s+in\s+'[^']*'\s+application\b"  # ASP.NET
    # WordPress: "It looks like nothing was found at this location" (not "the police
    # searched the house, but nothing was found").
    r"|\bnothing\s+(?:was\s+)?found\s+(?:at\s+this\s+(?:location|address)|here)\b"
    r"|^sorry,?\s+something\s+went\s+wrong\b"  # SharePoint
    r"|\ban?\s+(?:unexpected\s+)?error\s+(?:has\s+)?occurred\b",  # SharePoint 2010, CMSs
    re.IGNORECASE)


@dataclass(frozen=True)
class ErrorSign:
    """Where a page says it is an error page, and how plainly."""

    text: str  # the words, as the page puts them
    strong: bool  # a title part or main heading that is nothing but an error's name
    #: Said in a heading of its own, not the page's name, heading the page: a notice put
    #: above what the page shows ("Sorry, that page can't be found" over a site's latest
    #: news), where a redirect that led there agrees (a subheading below the headline is
    #: the page's own). A title's words, a headline repeating the title and
    #: a sentence of the opening paragraph are the page's own ("Why the plane could not be
    #: found"), and a move of the page says nothing about them.
    notice: bool = False
    #: Said only in the page's opening paragraph: a sentence of its own ("Many people who
    #: go missing could not be found"), which counts only on a page that says little.
    lead: bool = False


def error_sign(answer: Answer, page: Page | None = None) -> ErrorSign | None:
    """The error wording a page has where error pages put it (title, h1/h2, first
    paragraph), or None. ``strong`` when a part of the title or a main heading names an
    error and nothing else; a sentence elsewhere needs corroboration."""
    page = page or read_page(answer)
    if page is None:
        return None
    title = page.title
    for part in title_segments(title):
        if _ERROR_PHRASE.match(part):
            if _headline_with(page, part):
                break  # "Page not found - why the web forgets": a story's headline
            return ErrorSign(title, True)
    for heading in page.h1[:2]:
        if _ERROR_PHRASE.match(heading):
            return ErrorSign(heading, True)
    if _ERROR_WORDING.search(title):
        return ErrorSign(title, False)
    named = _squash(title).lower()
    for at, heading in enumerate(page.headings[:4]):
        if heading and _ERROR_WORDING.search(heading):
            # (A notice heads the page; a subheading after the page's headline is the
            # page's own: "'The file could not be found'" over a moved story's section.)
            return ErrorSign(_sentence(heading, _ERROR_WORDING), False,
                             notice=at == 0 and _squash(heading).lower() not in named)
    if page.lead and _ERROR_WORDING.search(page.lead):
        return ErrorSign(_sentence(page.lead, _ERROR_WORDING), False, lead=True)
    return None


def _headline_with(page: Page, part: str) -> bool:
    """Whether the page's main heading is a headline that goes on past an error's name in
    its title ("Page not found - why the web forgets", "404 Not Found - an exhibition
    about digital loss", "Not found: the hidden carers"): the title names an article, a
    book or a show, and the words are its own. An error page's heading is the error's
    name, the site's, or nothing."""
    said = _squash(part).lower()
    for heading in page.h1[:2]:
        text = _squash(heading).lower()
        if said in text and len(text.split()) >= len(said.split()) + 2 \
                and not _ERROR_PHRASE.match(heading):
            return True
    return False


def _sentence(text: str, pattern: re.Pattern[str]) -> str:
    """The sentence of ``text`` that holds the match, for the report."""
    match = pattern.search(text)
    if match is None or len(text) <= 120:
        return text
    stop = text.rfind(". ", 0, match.start())  # the end of the sentence before, if any
    start = stop + 2 if stop >= 0 else 0
    end = text.find(". ", match.end())
    sentence = text[start: end + 1 if end >= 0 else len(text)]
    return sentence if len(sentence) <= 160 else sentence[:159].rstrip() + "\u2026"


#: Titles that name no page: a person reading them learns nothing about the content.
_GENERIC_TITLES = frozenset({"home", "home page", "homepage", "welcome", "index", "untitled",
                             "untitled document", "untitled page", "default", "error",
                             "oops", "sorry", "page", "website", "site", "main", "start"})
_WORD = re.compile(r"[a-z0-9]+")
_SMALL_WORDS = frozenset({"of", "the", "and", "for", "in", "on", "at", "to", "a", "an"})


def is_generic_title(title: str, url: str) -> bool:
    """A title that is only the site's name (or no name at all): "Salford CVS" on
    salfordcvs.org.uk, "CWDC" or "Children's Workforce Development Council" on
    cwdcouncil.org.uk, "Home", "Error". Error pages of many CMSs keep the site's title."""
    text = title.strip().lower()
    if not text or text in _GENERIC_TITLES:
        return True
    parts = title_segments(text)
    if len(parts) > 1 and any(p in _GENERIC_TITLES for p in parts):
        return True  # "Home | Salford CVS", "Error - Blackpool Council"
    host = re.sub(r"[^a-z0-9]", "", host_of(url).removeprefix("www."))
    letters = re.sub(r"[^a-z0-9]", "", text)
    if len(letters) >= 3 and letters in host:
        return True
    words = [w for w in _WORD.findall(text.replace("'s", "").replace("\u2019s", ""))
             if w not in _SMALL_WORDS]
    if not words or len(words) > 8:
        return False
    initials = "".join(w[0] for w in words)
    if len(initials) >= 3 and initials in host:
        return True
    return len(words) <= 5 and all(w in host for w in words if len(w) > 2)


# -- parked, for sale, suspended, placeholders ---------------------------------------------------

#: Scripts and images only parking services serve: Google's AdSense for Domains (caf.js,
#: used by Sedo, Bodis, ParkingCrew, Above and GoDaddy's CashParking), Sedo's parking
#: host, ParkingCrew, Bodis, GoDaddy's parking lander, Dan.com, Afternic, HugeDomains.
_PARKING_MARKERS = (
    b"adsense/domains/caf.js", b"sedoparking.com", b"parkingcrew.net", b"bodis.com/",
    b"/parking-lander/", b"parkingpage.namecheap.com", b"dan.com/buy-domain",
    b"afternic.com/forsale", b"hugedomains.com/domain_profile", b"domain-for-sale-banner",
    b"above.com/marketplace", b"parklogic.com", b"trafficz.com", b"dsparking.com",
    b"skenzo.com", b"domainsponsor.com", b"voodoo.com/parking")
#: What parking pages say in their title or headings: GoDaddy/Afternic "This domain may be
#: for sale", Dan.com "example.org is for sale", Sedo "The domain … may be for sale",
#: GoDaddy "This web page is parked FREE, courtesy of GoDaddy", HugeDomains "…is available
#: for purchase", Namecheap and 123-reg "This domain is registered at…".
_FOR_SALE = re.compile(
    r"\bdomain(?:\s+name)?\s+(?:\S+\s+)?(?:is|may\s+be|might\s+be|could\s+be)\s+for\s+sale\b"
    r"|\b[a-z0-9-]+\.[a-z]{2,}(?:\.[a-z]{2})?\s+(?:is|may\s+be)\s+for\s+sale\b|\bbuy\s+this\s+domain\b|\bthis\s+domain\s+for\s+sale\b"
    r"|\bdomain\s+for\s+sale\b|\bmake\s+an\s+offer\b.*\bdomain\b|\bdomain\b.*\bmake\s+an\s+offer\b"
    r"|\bparked\s+(?:free|domain)|\bis\s+parked\b|\bdomain\s+parking\b|\bcourtesy\s+of\s+godaddy"
    r"|\bavailable\s+for\s+(?:purchase|sale)\b.*\bdomain|\bdomain\b.*\bavailable\s+for\s+"
    r"(?:purchase|sale)\b|\bthis\s+domain\s+(?:has\s+been|is)\s+registered\s+(?:at|with|by)\b"
    r"|\binquire\s+about\s+this\s+domain\b|\binterested\s+in\s+(?:buying\s+)?this\s+domain\b"
    r"|\bthe\s+domain\s+owner\s+may\s+be\s+interested\b|\bget\s+this\s+domain\b"
    r"|\bthis\s+domain\s+(?:has\s+)?expired\b|\bdomain\s+(?:has\s+)?expired\b"
    r"|\bregistered\s+at\s+(?:namecheap|godaddy|123-reg)"
    # ParkingCrew's and Above's titles: "example.org - This website is for sale! - …".
    r"|\bthis\s+web\s*site\s+(?:is|may\s+be)\s+for\s+sale\b",
    re.IGNORECASE)
_SPONSORED = re.compile(r"\b(?:related\s+searches|sponsored\s+(?:listings|links|results)|"
                        r"related\s+links|trending\s+searches)\b", re.IGNORECASE)
_BARE_DOMAIN = re.compile(r"^(?:www\.)?[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+$", re.IGNORECASE)


#: Where a web application (React, Angular, Vue, Svelte, Next.js, Nuxt) draws itself: the
#: element its scripts mount on, or the notice shown to a browser without JavaScript. An
#: application's own root element is named so too: Angular's ``<app-root>``, DSpace 7's
#: ``<ds-app>``, YouTube's ``<ytd-app>`` (custom elements have a hyphen in their names).
_APP_MOUNT = re.compile(
    rb"<(?:div|main|section)\b[^<>]*\bid\s*=\s*[\"']?(?:root|app|__next|__nuxt|q-app|svelte|"
    rb"main-app|react-root|application)[\"'\s>]|<[a-z][a-z0-9-]*-(?:app|root)[\s>]"
    rb"|\bng-app\b|\bdata-reactroot\b"
    rb"|<noscript\b[^<>]*>[^<]{0,200}\b(?:enable|turn\s+on|requires?|need)\b[^<]{0,80}"
    rb"javascript", re.IGNORECASE)
#: A shell's own text, outside its links (YouTube's hidden guide links), is a loading notice
#: at most: a page drawn on the server inside the same element (Next.js's ``__next``, Nuxt's,
#: a Vue theme's ``app``) says more, and is read as any page is.
APP_SHELL_MAX_TEXT = 200


#: A page that says it needs JavaScript to show anything: x.com's "JavaScript is not
#: available … Please enable JavaScript or switch to a supported browser".
_NEEDS_SCRIPTS = re.compile(
    rb"\bjavascript\s+is\s+(?:not\s+available|disabled|required|turned\s+off)"
    rb"|\b(?:enable|turn\s+on|requires?|need)\s+(?:to\s+enable\s+)?javascript\b"
    rb"|\bswitch\s+to\s+a\s+supported\s+browser\b", re.IGNORECASE)


def app_shell(answer: Answer, page: Page | None = None) -> bool:
    """Whether a page is a web application's shell: next to no text, and the element its
    scripts draw the page on. Such an application shows the same shell at every address
    and decides in the browser what each one holds, so the shell says nothing of whether
    the cited address still shows the evidence. A domain's parking page is drawn by a
    script too, but is titled with the bare domain name; an application titled so (x.com)
    says that it needs JavaScript, which a parking lander does not."""
    page = page or read_page(answer)
    if page is None or not page.short or page.prose_length > APP_SHELL_MAX_TEXT:
        return False
    head = answer.body[:READ_BYTES]
    if _BARE_DOMAIN.match(page.title) and not _NEEDS_SCRIPTS.search(head):
        return False
    return _APP_MOUNT.search(head) is not None


def parking_sign(answer: Answer, page: Page | None = None) -> str | None:
    """Why a page is a parked or for-sale domain's, or None."""
    page = page or read_page(answer)
    if page is None:
        return None
    body = answer.body[:65_536].lower()  # parking pages are small; their scripts lead
    marker = next((m for m in _PARKING_MARKERS if m in body), None)
    if marker:
        return f"it loads {marker.decode('ascii')}, which only domain-parking services serve"
    # A sale notice is short; a long article's headline may say "… is parked until 2016".
    for text in (page.title, *page.headings[:4]) if page.prose_length < NOTICE_MAX_MAIN else ():
        if _FOR_SALE.search(text):
            return f"\u201c{_short(text)}\u201d"
    host = host_of(answer.url).removeprefix("www.")
    bare = bool(_BARE_DOMAIN.match(page.title)) and page.title.lower().removeprefix(
        "www.") in host
    # "example.org - Related Searches", "Welcome to example.org": the domain is the name.
    titled = page.title.lower().removeprefix("welcome to ").removeprefix("www.")
    names_domain = bare or (not host.replace(".", "").isdigit() and titled.startswith(host)
                            and len(titled[len(host):].split()) <= 4)
    opening = page.visible[:2000]
    words = _FOR_SALE.search(opening)
    if words and (bare or page.short or (not page.title and is_html(answer))):
        return f"\u201c{_short(_sentence(opening, _FOR_SALE))}\u201d"
    if names_domain and (page.main_length < 200 or _SPONSORED.search(opening)) \
            and not app_shell(answer, page):
        # Bodis, ParkingCrew, Sedo: titled with the bare domain, then sponsored links or
        # nothing until a script fills the page.
        return f"titled with the bare domain name ({page.title}) and no content of its own"
    return None


#: cPanel's "Account Suspended" (/cgi-sys/suspendedpage.cgi), Hostinger's and 000webhost's
#: "Website suspended", WordPress.com's "This site has been archived or suspended", Plesk's
#: "Domain is suspended".
_SUSPENDED = re.compile(
    r"\baccount\s+(?:has\s+been\s+)?suspended\b|\bwebsite\s+(?:is\s+|has\s+been\s+)?suspended\b"
    r"|\bsite\s+(?:is\s+|has\s+been\s+)?(?:archived\s+or\s+)?suspended\b|\bdomain\s+(?:is\s+|has\s+"
    r"been\s+)?suspended\b|\bsuspended\s+(?:domain|account|website|page)\b"
    r"|\bthis\s+account\s+has\s+been\s+suspended\b|\bhosting\s+(?:account\s+)?(?:is\s+)?"
    r"(?:suspended|expired)\b|\bwebsite\s+expired\b|\bsite\s+expired\b"  # Squarespace
    r"|\bthis\s+shop\s+is\s+currently\s+unavailable\b"  # Shopify
    r"|\bdomain\s+isn[\u2019']t\s+connected\s+to\s+a\s+website\b",  # Wix
    re.IGNORECASE)


def suspended_sign(answer: Answer, page: Page | None = None) -> str | None:
    """A hosting company's "account suspended" (or "site expired") page, or None. A long
    page is no notice, nor is a short one whose headline has words of its own before it: a
    news story headed "Katie Hopkins' Twitter account suspended"."""
    page = page or read_page(answer)
    if page is None:
        return None
    path = urlsplit(answer.url).path.lower()
    if "suspendedpage" in path:  # cPanel's /cgi-sys/suspendedpage.cgi
        return page.title or "Account Suspended"
    if page.main_length >= NOTICE_MAX_MAIN:
        return None
    for text in (*title_segments(page.title), *page.headings[:4],
                 page.lead if page.short else ""):
        notice = _notice(text, _SUSPENDED) if text else None
        if notice is not None:  # the first saying it says which it is: a notice or a story
            return _short(_sentence(text, _SUSPENDED)) if notice else None
    return None


#: Words a host's notice may open with before it says what happened ("This account has been
#: suspended", "Sorry, this shop is currently unavailable", "Looks like this domain isn't
#: connected to a website yet").
_NOTICE_OPENERS = frozenset({"this", "the", "your", "our", "sorry", "oops", "whoops", "hmm",
                             "looks", "like", "it", "seems", "error", "notice", "warning",
                             "unfortunately", "we", "are", "we're", "we\u2019re", "has",
                             "been"})


def _notice(text: str, pattern: re.Pattern[str]) -> bool | None:
    """Whether ``pattern`` is found in ``text`` as a notice says it, opening the text
    (True); found after words of a sentence's own, as a headline has it ("MP's Twitter
    account suspended after abuse": False); or not found (None)."""
    match = pattern.search(text)
    if match is None:
        return None
    before = re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?", text[:match.start()].lower())
    return all(word in _NOTICE_OPENERS for word in before)


#: Web servers' and hosts' default pages: what a server shows before (or after) a site is
#: there. Apache's "It works!" and the Debian/Ubuntu "Apache2 … Default Page", Apache on
#: Fedora/CentOS/RHEL "Test Page for the Apache HTTP Server", nginx "Welcome to nginx!",
#: IIS "IIS Windows Server" / "IIS7", Plesk "Domain Default page", cPanel "Default Web
#: Site Page", GoDaddy/cPanel "Future home of something quite cool", LiteSpeed's
#: "Congratulations" page, Caddy's "Caddy works!".
_DEFAULT_PAGE = re.compile(
    r"^(?:it\s+works!?|apache2?\s+\w+\s+default\s+page(?:\W+it\s+works!?)?"
    r"|(?:apache\s+)?http\s+server\s+test\s+page.*|test\s+page\s+for\s+(?:the\s+)?"
    r"(?:apache|nginx)\b.*|welcome\s+to\s+nginx(?:\s+on\s+\w+)?!?"
    r"|iis\s*(?:windows(?:\s+server)?|\d+(?:\.\d+)?)|internet\s+information\s+services"
    r"|welcome\s+to\s+iis.*|(?:domain|plesk|parallels\s+plesk(?:\s+panel)?)\s+default\s+page"
    r"|default\s+(?:parallels\s+)?plesk(?:\s+panel)?\s+page|web\s+server[\u2019']?s?\s+default\s+page"
    r"|welcome\s+to\s+(?:centos|openresty|tengine|lighttpd)\b.*|you\s+are\s+all\s+set\s+to\s+go!?"
    r"|default\s+web\s+site\s+page|default\s+page|cpanel\s+default\s+page"
    r"|future\s+home\s+of\s+something\s+quite\s+cool\.?|caddy\s+works!?"
    r"|litespeed\s+web\s+server\b.*|congratulations!?\s+(?:your\s+)?(?:new\s+)?(?:site|website|"
    r"server)\s+is\s+(?:ready|up|working).*|welcome\s+to\s+your\s+new\s+(?:site|website)\b.*"
    r"|this\s+is\s+the\s+default\s+(?:web\s+)?(?:welcome\s+)?page.*)$",
    re.IGNORECASE)
#: Placeholders a site shows before it opens: "Coming soon", "Under construction".
#: What may follow the notice: an exclamation or a full stop, and a sentence after it ("Coming
#: soon! Check back in May"), not more words of a title ("Maintenance dredging", "Coming soon
#: to a cinema near you"), which name a page.
_NOTICE_END = r"(?:\s*[!.\u2026]+(?:\s+.*)?)?$"
_PLACEHOLDER = re.compile(
    r"^(?:(?:website|site|page|we\s+are|we[\u2019']re)\s+)?(?:coming\s+soon|launching\s+soon|"
    r"under\s+construction)" + _NOTICE_END +
    r"|^(?:this\s+)?(?:site|website)\s+is\s+(?:coming\s+soon|under\s+construction)\b.*",
    re.IGNORECASE)
#: A site down for a while, answering 200: "Under maintenance", "Down for maintenance",
#: "Scheduled maintenance", "We'll be back soon". The site is there; the page may be too.
_MAINTENANCE = re.compile(
    r"^(?:(?:the\s+)?(?:website|site|page|we\s+are|we[\u2019']re|currently)\s+)*"
    r"(?:(?:(?:is\s+)?(?:currently\s+)?(?:temporarily\s+)?(?:under|down\s+for)\s+"
    r"(?:scheduled\s+)?maintenance|we[\u2019']ll\s+be\s+back\s+soon)(?:\s+\W?\s*.*)?!?$"
    r"|(?:scheduled\s+|planned\s+)?(?:site\s+|website\s+|system\s+)?maintenance"
    r"(?:\s+(?:in\s+progress|mode|notice|page|underway))?" + _NOTICE_END + ")",
    re.IGNORECASE)


#: Main text from this long on is a page of its own, whatever its title says.
NOTICE_MAX_MAIN = 2000


def _named(page: Page, pattern: re.Pattern[str], *, short_only: bool) -> str | None:
    """The title part or main heading that ``pattern`` matches whole, or None; with
    ``short_only``, only on a page with little main text (a notice, not a page)."""
    if short_only and page.main_length >= NOTICE_MAX_MAIN:
        return None
    return next((text for text in [*title_segments(page.title), *page.h1[:2]]
                 if pattern.match(text)), None)


def placeholder_sign(answer: Answer, page: Page | None = None) -> str | None:
    """A web server's default page or a "coming soon" placeholder, or None."""
    page = page or read_page(answer)
    if page is None:
        return None
    return (_named(page, _DEFAULT_PAGE, short_only=False)
            or _named(page, _PLACEHOLDER, short_only=True))


def maintenance_sign(answer: Answer, page: Page | None = None) -> str | None:
    """A "down for maintenance" page served in place of the site's pages, or None."""
    page = page or read_page(answer)
    return _named(page, _MAINTENANCE, short_only=True) if page is not None else None


# -- walls ------------------------------------------------------------------------------------

#: Sign-in pages: "Sign in", "Log in to continue", "Member login", CAS's "Central
#: Authentication Service", Microsoft's "Sign in to your account", Shibboleth and SAML
#: single sign-on pages.
_LOGIN_PHRASE = re.compile(
    r"^(?:please\s+)?(?:sign|log)\s*-?\s*(?:in|on)(?:\s+(?:to|with|required|page).*)?\W*$"
    r"|^(?:member|members|user|staff|student|secure|account|customer|intranet|portal|admin)\s+"
    r"(?:login|log\s*in|sign\s*in|area)\W*$|^login(?:\s+(?:page|required|form))?\W*$"
    r"|^(?:authentication|login|sign[-\s]?in)\s+required\W*$|^central\s+authentication\s+"
    r"service\b.*|^single\s+sign[-\s]?on\b.*|^you\s+(?:must|need\s+to)\s+(?:be\s+)?(?:log|sign)"
    r"(?:ged|ed)?\s*in\b.*|^access\s+(?:restricted|denied)\W+(?:please\s+)?(?:log|sign)\s*in.*",
    re.IGNORECASE)


#: A title part that is nothing but "Sign in": a sign-in page however long.
_LOGIN_BARE = re.compile(
    r"^(?:please\s+)?(?:sign|log)\s*-?\s*(?:in|on)\W*$|^login\W*$"
    r"|^sign\s+in\s+to\s+(?:your\s+account|continue)\W*$"  # Microsoft, many SSO pages
    r"|^(?:member|members|user|staff|student|secure|account|customer|intranet|portal|admin)\s+"
    r"(?:login|log\s*in|sign\s*in)\W*$", re.IGNORECASE)


def login_sign(answer: Answer, page: Page | None = None) -> str | None:
    """A sign-in page (a password form, or a title that says so), or None. A long page
    that merely has a login box in its sidebar, or an article titled "Log in to the carers
    portal: a guide", is not one."""
    page = page or read_page(answer)
    if page is None:
        return None
    for text in (*title_segments(page.title), *page.h1[:2]):
        if _LOGIN_BARE.match(text) or (_LOGIN_PHRASE.match(text)
                                       and (page.short or page.password)):
            return text
    if page.password and page.short:
        return page.title or "a password form"
    return None


#: Cookie-consent walls: Google's and YouTube's "Before you continue" (in several
#: languages), Yahoo's and AOL's GUCE "… value your privacy" pages, consent managers'
#: stand-alone pages.
_CONSENT_PHRASE = re.compile(
    r"^(?:before\s+you\s+continue(?:\s+to\s+.*)?|bevor\s+sie\s+zu\s+.*\s+weitergehen"
    r"|avant\s+d[\u2019']acc[ée]der\s+[àa]\s+.*|antes\s+de\s+ir\s+a\s+.*|prima\s+di\s+continuare.*"
    r"|voordat\s+je\s+verdergaat.*|(?:we|yahoo|aol)\s+(?:value|care\s+about)\s+your\s+privacy.*"
    r"|your\s+privacy\s+choices|cookie\s+(?:consent|settings|preferences)|consent\s+required"
    r"|privacy\s+(?:settings|consent)|manage\s+cookies|accept\s+cookies.*)\W*$",
    re.IGNORECASE)


def consent_sign(answer: Answer, page: Page | None = None) -> str | None:
    """A cookie-consent wall standing in for the page, or None. A page with a cookie
    banner over its own content is not one."""
    page = page or read_page(answer)
    if page is None:
        return None
    texts = [*title_segments(page.title), *page.h1[:2]]
    for text in texts:
        if _CONSENT_PHRASE.match(text) and (page.short or text.lower().startswith("before")):
            return text
    return None


#: A notice that the body or website that published the evidence has closed, as GOV.UK
#: shows it for a closed body ("Children's Workforce Development Council has closed", "…
#: was replaced by the Teaching Agency", "… is now called …") and as a closed project's
#: site says it ("This website has now closed").
_CLOSED = re.compile(
    r"\b(?:(?:has|had|have)\s+(?:now\s+)?closed|(?:is|are)\s+now\s+closed"
    r"|closed\s+(?:down\s+)?(?:on|in)\s+(?:\d|(?:january|february|march|april|may|june|july|"
    r"august|september|october|november|december)\b)"
    r"|(?:was|were|has\s+been|have\s+been)\s+(?:closed(?:\s+down)?|abolished|dissolved|"
    r"wound\s+up|replaced\s+by|merged\s+(?:with|into)|renamed)"
    r"|(?:is|are)\s+now\s+(?:called|known\s+as|part\s+of)|(?:has|have)\s+(?:changed\s+its\s+"
    r"name|split\s+into|merged\s+(?:with|into)|become\s+part\s+of|ceased)"
    r"|(?:is|are)\s+no\s+longer\s+(?:operating|operational|active|running|updated|"
    r"maintained))\b",
    re.IGNORECASE)
#: Who a closure notice is about: the website or the body itself ("This website has now
#: closed", "The project has closed", "The Young Carers Network website has closed"; a
#: "site" only as "this site", since "Our Ordsall site" is premises), not a
#: publication ("This guidance has been replaced by …", on a withdrawn GOV.UK page that is
#: still the evidence) nor a consultation or a service ("This consultation has closed").
_CLOSED_SUBJECT = re.compile(
    r"(?:sorry,?\s+)?(?:(?:this|the|our)\s+(?:(?:[\w'\u2019&-]+\s+){0,5}web\s*site|"
    r"organi[sz]ation|body|project|programme|program|agency|charity|partnership)"
    # (Only this site: "Our Ordsall site has now closed" is a drop-in centre.)
    r"|this\s+site)",
    re.IGNORECASE)


def closure_sign(page: Page) -> str | None:
    """The notice of a page saying the organisation, project or website that published
    the evidence has closed, been replaced or renamed, or None: the website's own notice
    ("This website has now closed"), or, as GOV.UK's page for a closed body has it, the
    body named by the page's heading or title ("Children's Workforce Development Council
    has closed"). A long page's "The project has closed" is a story's sentence."""
    names = {_squash(n).lower() for n in (*page.h1[:1], *title_segments(page.title)[:1]) if n}
    for text in (*page.headings[:4], page.lead):
        match = _CLOSED.search(text) if text else None
        if match is None:
            continue
        stop = text.rfind(". ", 0, match.start())
        begins = stop + 2 if stop >= 0 else 0
        subject = _squash(text[begins:match.start()]).rstrip(",").lower()
        # (A site's or project's own words, "The project has closed", are a notice only on
        # a page that is little more than that: a news story reporting a closure says so
        # too.)
        if subject in names or (_CLOSED_SUBJECT.fullmatch(subject)
                                and page.main_length < NOTICE_MAX_MAIN):
            ends = text.find(". ", match.end())
            return text[begins: ends + 1 if ends >= 0 else len(text)]
    return None


#: A site search's results page: WordPress's "You searched for …", Drupal's and most CMSs'
#: "Search results", SharePoint's "Search Results: …".
_SEARCH_PHRASE = re.compile(
    r"^(?:you\s+searched\s+for\b.*|search(?:\s+results?)?(?:\s*(?:for|:)\s+.*)?"
    r"|results\s+for\s+.*|site\s+search|search\s+this\s+site)\W*$", re.IGNORECASE)


def search_sign(page: Page) -> str | None:
    """A site search's results page, or None."""
    for text in (*title_segments(page.title), *page.h1[:2]):
        if _SEARCH_PHRASE.match(text):
            return text
    return None


def is_trivial(answer: Answer, page: Page | None = None) -> str | None:
    """The few characters of a page that has next to nothing ("OK", "test": what a
    health check or a stub answers), or None. A page with a title or heading is a page;
    one that shows frames, images or runs scripts may draw itself. A body that could not
    be read (a compression not asked for) is not one with nothing in it."""
    if answer.truncated and not answer.body:
        return None
    page = page or read_page(answer)
    if page is None or page.media or page.scripts.strip() or page.script_sources:
        return None
    if page.title or page.headings:
        return None
    text = _squash(page.visible)
    return text if len(text) <= 24 else None


# -- addresses --------------------------------------------------------------------------------

_ERROR_SEGMENT = re.compile(
    r"^(?:errors?|error-?pages?|errorpages?|system-?error|page-?missing|page-?removed)"
    r"(?:\.(?:s?html?|aspx?|php|jsp|cfm|asp))?$"
    # /404.html, /error404.aspx, /404-error, /custom_404.php, SharePoint's
    # /Pages/PageNotFoundError.aspx, /not-found, /pagenotfound, /FileNotFound.htm.
    r"|^(?:(?:error|http|custom|page)[-_]?)?(?:404|410)(?:[-_]?(?:error|page|not-?found))?"
    r"(?:\.\w{2,5})?$|^(?:page|file)?[-_]?not[-_]?found(?:[-_]?error)?(?:\.\w{2,5})?$"
    r"|pagenotfound|filenotfound",
    re.IGNORECASE)
_ERROR_QUERY = re.compile(r"(?:^|&)(?:aspxerrorpath|errorpath|error_path)=|^404;https?"
                          r"|(?:^|&)(?:error|status|code|err)=404(?:&|$)"
                          # A page sent home with the error in a parameter's name, as the
                          # "404 to home page" plug-ins and hand-written handlers do:
                          # /?404=/old/page, /?notfound=1, /index.php?error404.
                          r"|(?:^|&)(?:404|410|not-?found|not_found|page-?not-?found|"
                          r"page_not_found|error-?404|404-?error)(?:[=&;]|$)", re.IGNORECASE)


def is_error_url(url: str) -> bool:
    """An address that is an error page: ASP.NET's ``/Error.aspx?aspxerrorpath=…``, IIS's
    custom ``?404;http://…``, ``/404.html``, ``/not-found?url=…``, ``/pagenotfound``, the
    home page with the error in the query (``/?404=/old/page``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if _ERROR_QUERY.search(parts.query):
        return True
    return any(_ERROR_SEGMENT.match(unquote(s)) for s in parts.path.split("/") if s)


#: A site's index of everything it has: councils send the pages a redesign lost to their
#: A-Z of services (``/a-z``, ``/a-to-z/y``, ``/atoz``), others to the site map.
_SITE_INDEX = re.compile(
    r"^(?:/[a-z]{2}(?:-[a-z]{2})?)?/(a-?z|a-to-z|atoz|a-z-of-services|az-index|az|"
    r"site-?map|site-?index)(?:/[a-z])?(?:\.(?:s?html?|aspx?|php|jsp|cfm))?/?$",
    re.IGNORECASE)
#: What an A-Z of a site's pages is titled: "A-Z of services", "A to Z: Y", "Site map".
_INDEX_TITLE = re.compile(r"\ba\s*(?:-|\u2013|to)\s*z\b|\bsite\s*(?:map|index)\b|\bindex\b",
                          re.IGNORECASE)


def is_site_index(url: str, *, title: str | None = None) -> bool:
    """An address that is a site's A-Z of its pages or its site map (``/a-z``,
    ``/a-to-z/y``, ``/sitemap.aspx``). Given the ``title`` of the page there, ``/az``,
    which is also Azerbaijan's and Azerbaijani's code (an international body's page for
    its office there, ``/az/``), counts only where the title names an A-Z."""
    try:
        match = _SITE_INDEX.match(urlsplit(url).path or "/")
    except ValueError:
        return False
    if match is None:
        return False
    return (title is None or match.group(1).lower() != "az"
            or _INDEX_TITLE.search(title) is not None)


_GOVUK_ORGANISATION = re.compile(r"^/government/organisations/([a-z0-9-]+)(?:/about)?/?$",
                                 re.IGNORECASE)


def govuk_organisation(url: str) -> str | None:
    """The organisation whose page on GOV.UK an address is (``www.gov.uk/government/
    organisations/childrens-workforce-development-council`` → its slug), or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if (parts.hostname or "").lower() not in ("www.gov.uk", "gov.uk"):
        return None
    match = _GOVUK_ORGANISATION.match(parts.path)
    return match.group(1) if match else None


_ABOUT_PAGE = re.compile(r"(?:about|about-?us|about_us|who-?we-?are)(?:\.\w{2,5})?",
                         re.IGNORECASE)


def is_about_page(url: str) -> bool:
    """Whether an address is a body's page about itself (``/about-us``, ``/aboutdfe/
    about-us.aspx``, ``/who-we-are``), where the body, not a page it published, is cited."""
    try:
        segments = [s for s in urlsplit(url).path.split("/") if s]
    except ValueError:
        return False
    return bool(segments) and _ABOUT_PAGE.fullmatch(unquote(segments[-1])) is not None


def is_govuk_alias_of(url: str, organisation: str) -> bool:
    """Whether an address is GOV.UK's own short address for an organisation's page: one
    word that spells the organisation's slug in short (``www.gov.uk/dfe`` for
    ``department-for-education``, ``/hmrc``, ``/ofsted``), not a guide GOV.UK withdrew."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if (parts.hostname or "").lower() not in ("www.gov.uk", "gov.uk"):
        return False
    alias = parts.path.strip("/").lower()
    slug = organisation.lower()
    if not alias.isalpha() or alias[0] != slug[0]:
        return False
    letters = iter(slug)
    return all(letter in letters for letter in alias)  # its letters, in the slug's order


#: YouTube's watch page says in its player's data whether the video plays: ``"status":
#: "ERROR"`` for a video removed or never there (the page is answered 200 all the same),
#: ``LOGIN_REQUIRED`` for a private or age-restricted one, ``UNPLAYABLE`` for one blocked
#: in this country or for this visitor.
_PLAYABILITY = re.compile(rb'"playabilityStatus"\s*:\s*\{\s*"status"\s*:\s*"([A-Z_]+)"'
                          rb'(?:\s*,\s*"reason"\s*:\s*("(?:[^"\\]|\\.){0,300}"))?')
_YOUTUBE_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com",
                  "www.youtube-nocookie.com")


def video_unavailable(answer: Answer) -> tuple[str, str] | None:
    """(YouTube's status, its reason) when a YouTube video page says the video does not
    play (``ERROR``, ``LOGIN_REQUIRED``, ``UNPLAYABLE``), else None."""
    if host_of(answer.url) not in _YOUTUBE_HOSTS:
        return None
    try:
        path = urlsplit(answer.url).path
    except ValueError:
        return None
    if not (path == "/watch" or path.startswith(("/embed/", "/shorts/", "/live/"))):
        return None
    match = _PLAYABILITY.search(answer.body)
    if match is None or match.group(1) == b"OK":
        return None
    status = match.group(1).decode("ascii")
    reason = ""
    if match.group(2):
        try:
            reason = str(json.loads(match.group(2).decode("utf-8", errors="replace")))
        except ValueError:
            reason = ""
    return status, reason


_SEARCH_SEGMENT = re.compile(
    r"^(?:search|searchresults?|search-?results?|site-?search|sitesearch|find|suche|recherche|"
    r"zoeken)(?:\.(?:s?html?|aspx?|php|jsp|cfm|asp))?$", re.IGNORECASE)
_SEARCH_PARAMS = frozenset({"s", "q", "query", "search", "searchterm", "search_term", "keys",
                            "keywords", "k", "term", "searchtext", "search_api_fulltext",
                            "text", "qt"})


#: A Drupal page's internal path, as its ``?q=`` carries it: ``node/123``,
#: ``taxonomy/term/7``, ``user/5``, ``node/123/edit``.
_DRUPAL_PATH = re.compile(r"(?:node|taxonomy/term|user|comment)/\d+(?:/[\w-]+)*/?",
                          re.IGNORECASE)


def is_search_url(url: str) -> bool:
    """A site search: ``/search?q=old+page``, SharePoint's ``/search/results.aspx?k=``,
    WordPress's ``/?s=old-page``, Drupal's ``/search/node/old-page``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if any(_SEARCH_SEGMENT.match(s) for s in parts.path.split("/") if s):
        return True
    # (Drupal without clean addresses shows each page at the front script's ``?q=`` path,
    # ``/?q=node/123``: a path, not words searched for.)
    params = {k.lower() for k, v in parse_qsl(parts.query, keep_blank_values=True)
              if not (k.lower() == "q" and _DRUPAL_PATH.fullmatch(v))}
    path = parts.path.strip("/").lower()
    # The front page's search, and SharePoint's results page in any site (/land/results.aspx).
    searches = path in ("", "index.php", "index.html", "default.aspx") or path.endswith(
        ("results.aspx", "osssearchresults.aspx"))
    return searches and bool(params & _SEARCH_PARAMS)


#: Domain marketplaces and resellers: where a lapsed domain sends its visitors.
RESELLERS = frozenset({
    "hugedomains.com", "dan.com", "sedo.com", "afternic.com", "buydomains.com",
    "domainmarket.com", "squadhelp.com", "atom.com", "brandbucket.com", "undeveloped.com",
    "efty.com", "uniregistry.com", "domainagents.com", "domainnamesales.com",
    "perfectdomain.com", "brandpa.com", "domainlore.uk", "saw.com", "sav.com", "epik.com",
    "porkbun.com", "dynadot.com", "namecheap.com", "godaddy.com", "bodis.com",
    "parkingcrew.net", "above.com", "namesilo.com", "domainempire.com", "escrow.com",
    "buy.domains", "spaceship.com", "aftermarket.com", "flippa.com", "networksolutions.com",
    "123-reg.co.uk", "ionos.co.uk", "ionos.com", "names.co.uk", "name.com", "register.com",
    "web.com", "hover.com", "gandi.net", "tucows.com", "domain.com"})
#: Registrars that also sell other things: only their domain-sale pages count.
_REGISTRAR_SALE = re.compile(r"domain|forsale|for-sale|market|aftermarket|lander|buy",
                             re.IGNORECASE)
_PURE_RESELLERS = RESELLERS - {"godaddy.com", "namecheap.com", "dynadot.com", "porkbun.com",
                               "epik.com", "sav.com", "escrow.com", "flippa.com",
                               "spaceship.com", "namesilo.com", "networksolutions.com",
                               "123-reg.co.uk", "ionos.co.uk", "ionos.com", "names.co.uk",
                               "name.com", "register.com", "web.com", "hover.com", "gandi.net",
                               "tucows.com", "domain.com"}


def reseller_of(url: str) -> str | None:
    """The domain reseller an address belongs to (``www.hugedomains.com``), or None."""
    host = host_of(url)
    for name in RESELLERS:
        if host == name or host.endswith("." + name):
            if name in _PURE_RESELLERS:
                return name
            try:
                parts = urlsplit(url)
            except ValueError:
                return None
            return name if _REGISTRAR_SALE.search(parts.path + "?" + parts.query) else None
    return None


#: Consent hosts: Google's consent.google.com and consent.youtube.com, Yahoo's and AOL's
#: guce.*, consent.yahoo.com, and the consent.* hosts of many publishers.
_CONSENT_HOST = re.compile(r"^(?:consent|consents|guce|cmp|gdpr|privacy-gate|cookiewall)\.",
                           re.IGNORECASE)
_CONSENT_PATH = re.compile(r"/(?:consent|cookie-?consent|cookie-?wall|cookiewall|"
                           r"gdpr-?consent|collectconsent|privacy-?gate|cookies/accept)(?:/|$|\?)",
                           re.IGNORECASE)


#: Sign-in addresses ``urls.is_login_page`` does not know: WordPress's wp-login.php, ADFS,
#: SharePoint's forms sign-in, F5's my.policy.
_LOGIN_URL = re.compile(r"/wp-login\.php|/adfs/ls\b|/_forms/|/_login/|/my\.policy\b|"
                        r"/idp/profile/saml|/login\.aspx|/signin\.aspx|/logon\.aspx",
                        re.IGNORECASE)


def is_login_url(url: str) -> bool:
    try:
        return bool(_LOGIN_URL.search(urlsplit(url).path))
    except ValueError:
        return False


#: A site's own cookie page, where some sites send a visitor who has not chosen yet, with
#: the address to go back to: ``/cookies?returnUrl=%2Freports%2F2012``.
_COOKIE_PAGE = re.compile(r"/(?:cookies|cookie-?policy|cookie-?settings|cookie-?preferences|"
                          r"cookie-?notice|privacy-?settings)/?$", re.IGNORECASE)
#: The parameters that carry the address a wall sends the visitor back to.
_RETURN_PARAM = re.compile(r"(?:return|redirect|continue|next|back|destination|dest|goto|"
                           r"target|origin|referr?er|done|callback|url|ref)"
                           r"(?:[-_]?(?:url|uri|to|path|page))?", re.IGNORECASE)


def _is_address(value: str) -> bool:
    """Whether a parameter's value is an address to go back to: a path or a URL."""
    return value.lower().startswith(("http://", "https://", "/"))


#: A publisher's cookie check, where a visitor that did not send back the cookie it was
#: set is sent: Atypon's ``/action/cookieAbsent`` (Wiley Online Library, Taylor & Francis
#: Online, SAGE Journals, ACS, Annual Reviews), and the ``/cookies-required`` or
#: ``/nocookies`` pages of others.
_COOKIE_CHECK_PATH = re.compile(r"/(?:action/)?(?:cookie-?absent|cookies?-?(?:required|disabled|"
                                r"check|test)|no-?cookies?)(?:\.\w+)?/?$", re.IGNORECASE)


def is_cookie_check_url(url: str) -> bool:
    try:
        return bool(_COOKIE_CHECK_PATH.search(urlsplit(url).path))
    except ValueError:
        return False


def is_consent_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if _CONSENT_HOST.match(parts.hostname or ""):
        return True
    if _COOKIE_PAGE.search(parts.path):
        # A wall sends the visitor back to an address (``?returnUrl=/reports/2012``); a
        # page on cookies reached with ``?ref=home`` names none.
        return any(_RETURN_PARAM.fullmatch(name) and _is_address(value)
                   for name, value in parse_qsl(parts.query))
    # A consent wall at a site's own address says where to go back to once answered
    # (``/consent?redirectUri=…``); a page about consent may have a query of its own
    # (the GMC's guidance ``/guidance/consent?lang=en``, legislation's ``…/consent?view=``).
    return bool(_CONSENT_PATH.search(parts.path)) and any(
        _is_address(value) for _, value in parse_qsl(parts.query, keep_blank_values=True))


_DOCUMENT = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|odp|rtf|csv|zip|epub)$", re.IGNORECASE)


#: Hosts that show a document in an HTML viewer at an address ending in its name:
#: Dropbox, Box, OneDrive and SharePoint Online, Google Drive, Issuu, Scribd, Academia.edu,
#: ResearchGate; the code hosts' pages for a file in a repository (GitHub's and GitLab's
#: ``…/blob/main/report.pdf``, Bitbucket's ``…/src/…``).
_VIEWERS = ("dropbox.com", "box.com", "onedrive.live.com", "1drv.ms", "sharepoint.com",
            "docs.google.com", "drive.google.com", "issuu.com", "scribd.com",
            "academia.edu", "researchgate.net", "slideshare.net", "github.com", "gitlab.com",
            "bitbucket.org")


def is_viewer(url: str) -> bool:
    host = host_of(url)
    return any(host == v or host.endswith("." + v) for v in _VIEWERS)


#: Mozilla's pdf.js viewer, which shows a PDF in an HTML page.
_PDF_JS = re.compile(
    rb"\bid\s*=\s*[\"']?viewerContainer\b|/pdf(?:\.worker)?(?:\.min)?\.m?js\b|\bpdfjsLib\b",
    re.IGNORECASE)
#: A tag that embeds a document, up to its end; its type, and each address it names. Each
#: is read once (a tag's address read to its end from every ``src=`` in a page of
#: ``<iframe src=src=src=…`` took the better part of a minute).
_EMBEDDING = re.compile(rb"<(?:embed|object|iframe)\b[^<>]*", re.IGNORECASE)
_PDF_TYPE = re.compile(rb"\btype\s*=\s*[\"']?application/pdf", re.IGNORECASE)
_EMBEDDED = re.compile(rb"\b(?:src|data)\s*=\s*[\"']?([^\"'\s<>]*)", re.IGNORECASE)
_PDF_NAME = re.compile(rb"\.pdf\b", re.IGNORECASE)


def shows_a_pdf(answer: Answer) -> bool:
    """Whether an HTML page is a reader for a PDF: Mozilla's pdf.js viewer (its
    ``viewerContainer``, its scripts), or a page that embeds the document (``<embed
    type="application/pdf">``, ``<object data="….pdf">``, ``<iframe src="….pdf">``). Where
    a CMS shows the cited PDF at its own address, the document is there."""
    body = answer.body[:READ_BYTES]
    if _PDF_JS.search(body) is not None:
        return True
    return any(_PDF_TYPE.search(tag.group()) is not None
               or any(_PDF_NAME.search(named.group(1)) is not None
                      for named in _EMBEDDED.finditer(tag.group()))
               for tag in _EMBEDDING.finditer(body))


def document_kind(url: str) -> str | None:
    """The kind of document an address names by its extension ("PDF", "DOCX"), or None."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    match = _DOCUMENT.search(path)
    return match.group(1).upper() if match else None


# -- how alike two pages are ------------------------------------------------------------------

_STOP = frozenset({
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are",
    "as", "at", "be", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him",
    "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me",
    "more", "most", "my", "no", "nor", "not", "now", "of", "off", "on", "once", "only",
    "or", "other", "our", "ours", "out", "over", "own", "same", "she", "should", "so",
    "some", "such", "than", "that", "the", "their", "theirs", "them", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up",
    "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "would", "you", "your", "yours", "page", "pages", "home", "site",
    "website", "web", "click", "read", "contact", "us", "privacy",
    "cookies", "cookie", "terms", "policy", "search", "menu", "skip", "content", "main",
    "navigation", "copyright", "rights", "reserved", "www", "http", "https", "com", "org",
    "uk", "net"})
_WORDS = re.compile(r"[^\W\d_]{3,}")


def words_of(page: Page, *, titles: bool = True) -> Counter[str]:
    """The content words of a page (title counted thrice; left out without ``titles``),
    for comparing pages."""
    counts: Counter[str] = Counter()
    title = _WORDS.findall(page.title.lower()) if titles else []
    for word in title * 3 + _WORDS.findall(page.main.lower())[:4000]:
        if word not in _STOP:
            counts[_stem(word)] += 1
    return counts


def _stem(word: str) -> str:
    """A crude stem, enough for "families" and "family" or "carers" and "carer" to meet
    (and not "blackjack" and "Blackpool")."""
    for suffix, instead in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""),
                            ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + instead
    return word


def resemblance(a: Page, b: Page, *, titles: bool = True) -> float:
    """How alike two pages' words are, 0 (nothing shared) to 1 (the same words); without
    ``titles``, of their main text alone."""
    wa, wb = words_of(a, titles=titles), words_of(b, titles=titles)
    if not wa or not wb:
        return 0.0
    dot = sum(math.sqrt(wa[w] * wb[w]) for w in wa.keys() & wb.keys())
    norm = math.sqrt(sum(wa.values()) * sum(wb.values()))
    return dot / norm if norm else 0.0


def title_overlap(a: str, b: str) -> float:
    """The share of the shorter title's content words the other title has too."""
    wa = {_stem(w) for w in _WORDS.findall(a.lower()) if w not in _STOP}
    wb = {_stem(w) for w in _WORDS.findall(b.lower()) if w not in _STOP}
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


#: Words too common in evidence titles to say what a page is about.
_TITLE_NOISE = _STOP | frozenset({
    "report", "reports", "evaluation", "review", "annual", "final", "summary", "executive",
    "study", "research", "evidence", "letter", "testimonial", "statement", "website",
    "online", "news", "article", "press", "release", "data", "dataset", "government",
    "department", "national", "council", "university", "college", "ltd", "limited", "uk",
    "british", "english", "england", "wales", "scotland", "ireland", "services", "service",
    "project", "programme", "policy", "guidance", "strategy", "plan", "document",
    "documents", "publication", "publications", "paper", "briefing", "update", "version",
    "draft", "pdf", "html", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december"})


def telling_words_shared(a: str, b: str) -> int:
    """How many telling words two titles share: the words that name what a page is about,
    not "report", "project", "council" or a month, which most evidence titles have."""
    wa = {_stem(w) for w in _WORDS.findall(a.lower()) if w not in _TITLE_NOISE}
    wb = {_stem(w) for w in _WORDS.findall(b.lower()) if w not in _TITLE_NOISE}
    return len(wa & wb)


def mentions(page: Page, title: str) -> bool | None:
    """Whether a page says anything of what a source's title names (None when the title
    has too few telling words to say)."""
    wanted = {_stem(w) for w in _WORDS.findall(title.lower()) if w not in _TITLE_NOISE}
    if not wanted:
        return None
    text = f"{page.title} {' '.join(page.headings)} {page.main}".lower()
    have = {_stem(w) for w in _WORDS.findall(text)}
    return len(wanted & have) / len(wanted) >= 0.34


def _short(text: str, limit: int = 100) -> str:
    text = _squash(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
