"""A web page in (a case study saved by Word as "Web Page", `.htm`, `.html`, a single-file
`.mht`, or such a file named `.doc`), ``Document`` out: its text a block (paragraph, list
item, table cell, heading) a line, as a Word document's paragraphs are, and its links.
Read with the standard library's HTML parser; what the page does not show (its head,
scripts, styles, and text Word hid) is left out.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from refcheck.cases import utf16
from refcheck.extract import text
from refcheck.extract.document import Document, Line, Link, Place
from refcheck.extract.model import ExtractionError

SUFFIXES = (".htm", ".html", ".mht", ".mhtml")
#: A page of a four-page case study, with Word's styles, is well under this.
MAX_BYTES = 32 * 1024 * 1024

_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "div", "dl",
    "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "ul"})
_UNSHOWN = frozenset({"head", "script", "style", "template", "noscript", "title", "xml"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                   "meta", "param", "source", "track", "wbr"})
_HIDDEN = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all|visibility\s*:\s*hidden",
                     re.IGNORECASE)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def is_web_page(head: bytes) -> bool:
    """Whether a file's first bytes are a web page's (HTML, or MHTML's MIME header)."""
    start = text.decode(head).lstrip().lower()
    return (start.startswith(("<!doctype html", "<html", "mime-version:"))
            or (start.startswith("<?xml") and "<html" in start))


def read(path: Path) -> Document:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ExtractionError(f"{path}: {size:,} bytes is too large for a case study "
                                  f"(at most {MAX_BYTES:,}); save the case study alone as "
                                  "PDF or .docx, and extract from that")
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractionError(f"{path}: cannot read: {exc.strerror}") from None
    page = _html_of(data, path)
    reader = _Reader()
    try:
        # Not closed, as refcheck.pages does not close its parser: what is left at the end
        # is markup the page never ends, which Word and browsers do not show, and closing
        # made Python's parser (before 3.11.13) read from each such `<` to the end.
        reader.feed(page)
    except AssertionError as exc:  # the parser's word for markup it cannot make out
        raise ExtractionError(f"{path}: the web page's HTML is damaged ({exc}); open it in "
                              "Word or a browser, save it as PDF or .docx, and extract from "
                              "that") from None
    return reader.document(str(path))


def _html_of(data: bytes, path: Path) -> str:
    """The page's HTML as text: decoded by its byte-order mark or its <meta charset>, or
    taken out of a single-file web page (MHTML)."""
    if text.decode(data[:200]).lstrip().lower().startswith("mime-version:"):
        message = email.message_from_bytes(data, policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() == "text/html":
                try:
                    content = part.get_content()
                except (LookupError, ValueError):
                    break
                if isinstance(content, str):
                    return content
                break
        raise ExtractionError(f"{path}: a single-file web page (MHTML) without a page "
                              "refcheck can read; open it in Word and save it as .docx, and "
                              "extract from that")
    if utf16(data) is None and not data.startswith(codecs.BOM_UTF8):
        declared = _CHARSET.search(data[:4096])
        if declared:
            try:
                return data.decode(codecs.lookup(declared.group(1).decode("ascii")).name,
                                   errors="replace")
            except LookupError:
                pass
    return text.decode(data)


@dataclass
class _Anchor:
    target: str
    words: list[str] = field(default_factory=list)
    lines: set[int] = field(default_factory=set)


class _Reader(HTMLParser):
    """The page's shown text, a block a line, and its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.links: list[tuple[str, str, set[int]]] = []
        self.open: list[tuple[str, bool]] = []  # each open element, and whether it hides
        self.anchors: list[_Anchor] = []
        self.lists: list[int | None] = []  # each open list's next number (None: bullets)

    @property
    def hidden(self) -> bool:
        return any(hides for _, hides in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in _BLOCKS:
            self._break()
        if tag in ("ol", "ul"):
            start = values.get("start", "1")
            self.lists.append((int(start) if start.isdigit() else 1) if tag == "ol" else None)
        elif tag == "li" and self.lists and self.lists[-1] is not None and not self.hidden:
            number = self.lists[-1]
            self.lists[-1] = number + 1
            self.lines[-1] += f"{number}. "
        if tag in _VOID:
            return
        hides = tag in _UNSHOWN or bool(_HIDDEN.search(values.get("style", ""))) \
            or "hidden" in values
        self.open.append((tag, hides))
        if tag == "a":
            self.anchors.append(_Anchor(values.get("href", "").strip()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self._break()
        if tag in ("ol", "ul") and self.lists:
            self.lists.pop()
        if tag in _VOID or not any(name == tag for name, _ in self.open):
            return  # not open: a stray end tag
        while self.open:
            name, _ = self.open.pop()
            if name == "a" and self.anchors:
                anchor = self.anchors.pop()
                if anchor.target and anchor.lines:
                    self.links.append((anchor.target, "".join(anchor.words), anchor.lines))
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        words = re.sub(r"\s+", " ", data.replace("\xa0", " "))
        if not self.lines[-1].strip():
            words = words.lstrip()
        if not words:
            return
        self.lines[-1] += words
        for anchor in self.anchors:
            anchor.words.append(words)
            anchor.lines.add(len(self.lines))

    def _break(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")
        else:
            self.lines[-1] = ""

    def document(self, name: str) -> Document:
        lines = [Line(text=line.strip(), place=Place(line=number))
                 for number, line in enumerate(self.lines, start=1)]
        links = [Link(target=target, anchor=anchor.strip(),
                      places=tuple(Place(line=n) for n in sorted(numbers)))
                 for target, anchor, numbers in self.links]
        return Document(name=name, lines=lines, links=links, kind="html")
