"""The words on a page, for checking that a cited quote is still there.

HTML loses its tags, scripts and styles; PDF text comes from pypdf. Both are normalised
the same way, so a quote matches whatever the case, spacing, hyphenation at line ends or
typographic quotes and dashes.
"""

from __future__ import annotations

import html
import io
import logging
import re
import time
import unicodedata

from refcheck.classify import charset_of, decoded, starts_like_html
from refcheck.model import Answer

#: Linear in the page, as classify's patterns are (see there): a page of 32 MiB of unclosed
#: ``<script>`` tags or comments is read in one pass.
_SCRIPTS = re.compile(r"<(script|style|noscript|template)\b(?:(?!<\1\b).)*?</\1\s*>",
                      re.IGNORECASE | re.DOTALL)
_COMMENTS = re.compile(r"<!--(?:(?!<!--).)*?-->", re.DOTALL)
_TAGS = re.compile(r"<[^<>]+>")
_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-", "\u00ad": "",
    "\u00a0": " ", "\u2026": "...",
})
_SPACE = re.compile(r"\s+")
_LINE_HYPHEN = re.compile(r"(\w)-\s*\n\s*(\w)")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = _LINE_HYPHEN.sub(r"\1\2", text)
    return _SPACE.sub(" ", text).strip().casefold()


def html_text(body: bytes, codec: str | None = "utf-8") -> str:
    """A page's text, its bytes read in ``codec`` (as ``classify.decoded`` reads them: a
    page that declares nothing and is not UTF-8 is Windows-1252, as browsers read it)."""
    text = decoded(body, codec)
    text = _COMMENTS.sub(" ", _SCRIPTS.sub(" ", text))
    return html.unescape(_TAGS.sub(" ", text))


#: The most CPU seconds reading one PDF's text may take. A PDF can be made to take hours (a
#: form drawn a million times from a page of a few bytes, pages that decompress to
#: gigabytes), and nothing else in the run moves meanwhile; a real report of hundreds of
#: pages takes a few seconds.
PDF_SECONDS = 20.0
#: This thread's CPU time (the budget is the PDF's work, not the machine's load).
_cpu_seconds = time.thread_time


class _OutOfTime(Exception):
    pass


def pdf_text(body: bytes) -> str | None:
    """The text layer of a PDF, or None when it cannot be read (scanned, broken, cut off,
    or taking more than ``PDF_SECONDS`` to read)."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError, PyPdfError
    except ImportError:  # pragma: no cover - pypdf is a dependency
        return None
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    clock = _cpu_seconds
    deadline = clock() + PDF_SECONDS

    def in_time(*_: object) -> None:  # before each drawing operator, and each page
        if clock() > deadline:
            raise _OutOfTime

    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        texts = []
        for page in reader.pages:
            in_time()
            texts.append(page.extract_text(visitor_operand_before=in_time) or "")
        return "\n".join(texts)
    except _OutOfTime:
        return None
    # What pypdf raises on the broken PDFs real evidence includes (as ``extract`` reads
    # them), and on AES where the cryptography package is missing from the install.
    except (PyPdfError, DependencyError, ValueError, KeyError, TypeError, OSError,
            AttributeError, IndexError, RecursionError, AssertionError, ZeroDivisionError):
        return None


#: How documents begin, whatever type they are sent as: a PDF; a zip, as Word, Excel and
#: PowerPoint files since 2007 (and OpenDocument files) are; the files of Word 97-2003 and
#: Excel 97-2003; RTF. A download script that does not name its type sends text/html
#: (PHP's default), and the document is there all the same.
DOCUMENT_STARTS = (b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{\\rtf")
#: How far into a file a PDF reader looks for ``%PDF-``: Acrobat and pypdf read a PDF whose
#: header follows a byte-order mark, blank lines or a script's stray output.
PDF_HEADER_WITHIN = 1024


def is_pdf_body(body: bytes) -> bool:
    """Whether a body is a PDF as readers see it: ``%PDF-`` at its start, or within its first
    kilobyte after whatever a download script printed first (a byte-order mark, a blank
    line, a PHP warning), though not in a web page's own text."""
    return body.startswith(b"%PDF") or (b"%PDF-" in body[:PDF_HEADER_WITHIN]
                                        and not starts_like_html(body))


#: A document's start after a byte-order mark or blank lines, matched where it is: asked of
#: every page, often more than once, a copy of the page without its first line break
#: (``bytes.lstrip``) cost more than the rest of the test on a page of megabytes.
_DOCUMENT_START = re.compile(rb"[\xef\xbb\xbf \t\r\n]*(?:%s)"
                             % b"|".join(re.escape(start) for start in DOCUMENT_STARTS))


def starts_like_document(body: bytes) -> bool:
    """Whether a body is a document (PDF, Word, Excel, PowerPoint, RTF), whatever it was sent
    as."""
    return is_pdf_body(body) or _DOCUMENT_START.match(body) is not None


def page_text(answer: Answer) -> str | None:
    """The readable text of a page or PDF; None when there is none to read (a Word file,
    whatever type it was sent as)."""
    if answer.content_type == "application/pdf" or is_pdf_body(answer.body):
        text = pdf_text(answer.body)
    elif _DOCUMENT_START.match(answer.body):  # no PDF (asked above): Word's, Excel's, RTF
        return None
    elif answer.content_type in ("text/html", "application/xhtml+xml", "text/plain", ""):
        # In the encoding the page declares: an old council page in Windows-1252 has its
        # "council\u2019s" as one byte, which UTF-8 cannot read.
        text = html_text(answer.body, charset_of(answer))
    else:
        return None
    return text if text and text.strip() else None


def contains_quote(text: str, quote: str) -> bool:
    """Whether ``quote`` appears in ``text``, ignoring case, spacing and typography. Where
    the words do not match as spaced, they are matched without spaces: a page's markup
    splits words a browser shows whole (a drop capital, ``<span>T</span>he``) and PDF text
    has spaces a reader never sees ("Fam ily"), or loses those it does. A quote that leaves
    words out ("…", "[...]", ". . .") or puts the quoter's in square brackets ("[T]he",
    "[sic]") matches where its other parts are there, in order."""
    parts = [p.strip("\"'. ") for p in _ELISION.split(normalise(quote))]
    parts = [p for p in parts if p]
    if not parts:
        return False
    have = normalise(text)
    if _in_order(parts, have):
        return True
    return _in_order([_SPACE.sub("", p) for p in parts], _SPACE.sub("", have))


#: Where a quote leaves words out or puts its own in: "…", "...", ". . ." (the legal
#: style), "[…]", "(...)", and the quoter's words in square brackets, which stand in for
#: the page's: "[T]he service", "the council [Salford] agreed", "[sic]".
_ELISION = re.compile(r"\s*(?:[\[(]?\s*(?:\.{3,}|\.(?:\s\.){2,})\s*[\])]?|\[[^\[\]]{0,80}\])\s*")


def _in_order(parts: list[str], text: str) -> bool:
    """Whether each part is in ``text``, each after the one before (a quote with words left
    out, "the service ... has won", is its parts, in order)."""
    at = 0
    for part in parts:
        found = text.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return True
