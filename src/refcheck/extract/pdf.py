"""PDF in, ``Document`` out: pypdf's text layer, line by line, with where each line ends
on the page, and the link annotations with the text they are anchored to.

pypdf hands its visitor every piece of text it extracts with its position; joined, the
pieces are exactly ``extract_text()``'s output, so the lines here are pypdf's lines. A
piece's width is not given, so it is measured with the font's own ``/Widths`` (an average
width where a character cannot be looked up): close enough to tell a line that runs to the
right margin, whose URL continues on the next line, from one that stops short.
"""

from __future__ import annotations

import importlib
import io
import logging
import re
import statistics
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refcheck.extract.document import Document, Line, Link, Place
from refcheck.extract.model import ExtractionError

#: How close to the right margin (in points) a line must end to count as full: about two
#: characters of 11-point text, more than the error of the width estimate.
FULL_LINE_SLACK = 14.0
#: Fewer readable characters than this per page: a scan without a text layer.
MIN_CHARS_PER_PAGE = 80


@dataclass
class _Piece:
    text: str
    x0: float
    x1: float
    y: float
    size: float = 0.0  # the font's size on the page, in points


@dataclass
class _PageLine:
    pieces: list[_Piece] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)

    def extent(self) -> tuple[float, float, float] | None:
        """Left and right edge of the inked text, and its baseline; None when blank."""
        inked = [p for p in self.pieces if p.text.strip()]
        if not inked:
            return None
        return min(p.x0 for p in inked), max(p.x1 for p in inked), inked[0].y


class _Widths:
    """Glyph widths of one font, in thousandths of the font size."""

    def __init__(self, font: Any) -> None:
        self.table: dict[str, float] = {}
        self.average = 500.0
        try:
            self._read(font)
        except Exception:
            self.table = {}

    def _read(self, font: Any) -> None:
        if font is None:
            return
        font = font.get_object()
        widths = font.get("/Widths")
        if widths is not None:
            widths = [float(w) for w in widths.get_object()]
            first = int(font.get("/FirstChar", 0))
            encoding = font.get("/Encoding")
            codec = {"/MacRomanEncoding": "mac_roman"}.get(str(encoding), "cp1252")
            for code, width in enumerate(widths, start=first):
                if width > 0 and 0 <= code < 256:
                    try:
                        char = bytes([code]).decode(codec)
                    except UnicodeDecodeError:
                        continue
                    self.table[char] = width
            inked = [w for w in widths if w > 0]
            if inked:
                self.average = statistics.fmean(inked)
            return
        descendants = font.get("/DescendantFonts")
        if descendants is not None:
            descendant = descendants.get_object()[0].get_object()
            numbers = [float(w) for w in _flatten(descendant.get("/W", []))]
            default = float(descendant.get("/DW", 1000))
            # /W mixes codes and widths; widths of text fonts lie in this band.
            plausible = [w for w in numbers if 150 <= w <= 1200]
            self.average = statistics.fmean(plausible) if plausible else default * 0.5

    def measure(self, text: str) -> float:
        table, average = self.table, self.average
        return sum(table.get(char, average) for char in text)


def _flatten(items: Any) -> list[Any]:
    out: list[Any] = []
    for item in items.get_object() if hasattr(items, "get_object") else items:
        item = item.get_object() if hasattr(item, "get_object") else item
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def read(path: Path) -> Document:
    """Read a PDF's text layer and links. Raises ``ExtractionError`` for a PDF that is
    encrypted, damaged or scanned (no text layer)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractionError(f"{path}: cannot read: {exc.strerror}") from None
    return read_bytes(data, str(path))


def read_bytes(data: bytes, name: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    lines: list[Line] = []
    links: list[Link] = []
    total_chars = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                # Many PDFs are encrypted only against editing and open with no password.
                try:
                    opened = bool(reader.decrypt(""))
                except Exception:
                    opened = False
                if not opened:
                    raise ExtractionError(
                        f"{name}: the PDF is encrypted with a password; open it, save an "
                        "unprotected copy (or export the text to a .txt file) and extract "
                        "from that")
                if _uses_aes(reader) and not _can_decrypt_aes():
                    raise ExtractionError(_needs_aes(name))
            pages = list(reader.pages)
            for number, page in enumerate(pages, start=1):
                page_lines, page_links, chars = _read_page(page, number)
                lines.extend(page_lines)
                links.extend(page_links)
                total_chars += chars
    except ExtractionError:
        raise
    except DependencyError:
        # pypdf reads AES (what Acrobat and Word use to protect a PDF against changes,
        # and which opens with no password) only with the cryptography package.
        raise ExtractionError(_needs_aes(name)) from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            OSError, RecursionError, AssertionError, ZeroDivisionError) as exc:
        raise ExtractionError(
            f"{name}: not a readable PDF ({type(exc).__name__}: {exc}); check that the file "
            "is the whole PDF, or export its text to a .txt file and extract from that"
        ) from None
    if not pages:
        raise ExtractionError(f"{name}: the PDF has no pages")
    if total_chars < MIN_CHARS_PER_PAGE * len(pages):
        raise ExtractionError(
            f"{name}: the PDF has no text layer (a scan?); run OCR on it, or paste its text "
            "into a .txt file, and extract from that")
    return Document(name=name, lines=lines, links=links, kind="pdf")


def _uses_aes(reader: Any) -> bool:
    """Whether an encrypted PDF's streams are encrypted with AES (not RC4)."""
    try:
        encrypt = reader.trailer["/Encrypt"].get_object()
        if int(encrypt.get("/V", 0)) >= 5:
            return True
        filters = encrypt.get("/CF")
        return filters is not None and any(
            str(f.get_object().get("/CFM")) in ("/AESV2", "/AESV3")
            for f in filters.get_object().values())
    except Exception:
        return False


def _can_decrypt_aes() -> bool:
    """Whether a library pypdf decrypts AES with is installed."""
    for module in ("cryptography", "Crypto"):
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        return True
    return False


def _needs_aes(name: str) -> str:
    return (f"{name}: the PDF is protected against changes (AES encryption), and reading it "
            "needs the cryptography package, which is not installed: install it where "
            "refcheck is installed (pip install cryptography), or print the PDF to a new "
            "PDF, or export its text to a .txt file, and extract from that")


def _read_page(page: Any, number: int) -> tuple[list[Line], list[Link], int]:
    rows: list[_PageLine] = [_PageLine()]
    fonts: dict[int, _Widths] = {}

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any,
              size: float) -> None:
        if not text:
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[0] * cm[0] + tm[1] * cm[2]) or 1.0
        key = id(font)
        widths = fonts.get(key)
        if widths is None:
            widths = fonts[key] = _Widths(font)
        parts = text.split("\n")
        for index, part in enumerate(parts):
            if index:
                rows.append(_PageLine())
            if part:
                width = widths.measure(part) / 1000.0 * float(size or 0) * scale
                rows[-1].pieces.append(_Piece(part, x, x + width, y,
                                              float(size or 0) * scale))

    page.extract_text(visitor_text=visit)
    extents = [row.extent() for row in rows]
    margins = _column_margins(extents)
    spaced = _spaced(rows, extents)
    lines: list[Line] = []
    by_row: dict[int, Place] = {}
    count = 0
    chars = 0
    for index, (row, extent) in enumerate(zip(rows, extents, strict=True)):
        text = row.text.rstrip()
        if index in spaced:
            # The space before a paragraph is read as the blank line it stands for.
            lines.append(Line(text="", place=Place(line=max(count, 1), page=number)))
        if not text.strip() or extent is None:
            # Kept, so that a blank line still ends a URL; it has no number of its own.
            lines.append(Line(text="", place=Place(line=max(count, 1), page=number)))
            continue
        count += 1
        chars += len(text.strip())
        place = Place(line=count, page=number)
        by_row[index] = place
        margin = margins[index]
        gap = None if margin is None else max(0.0, margin - extent[1])
        lines.append(Line(text=text, place=place, gap=gap, lead=_lead(row)))
    links = _links(page, rows, extents, by_row)
    # A page's end is not a blank line: a URL or a paragraph goes on over the page break
    # (past the running foot and head, which the sections leave out).
    while lines and not lines[-1].text:
        lines.pop()
    while lines and not lines[0].text:
        lines.pop(0)
    return lines, links, chars


#: How much more than its lines' spacing a paragraph's space before it must be, and at
#: least how many lines of a size its spacing is measured on.
PARAGRAPH_SPACE = 1.3
MIN_SPACED_LINES = 5


def _spaced(rows: list[_PageLine], extents: list[tuple[float, float, float] | None],
            ) -> set[int]:
    """The rows that start a paragraph set apart by space before it, not by a blank line
    (Word's spacing after a paragraph): each is further below the row before it than its
    lines' own spacing, measured among the page's rows of the same font size."""
    steps: list[tuple[int, float, float]] = []  # row, its step down, its size
    previous: tuple[float, float] | None = None  # baseline and size of the row before
    for index, (row, extent) in enumerate(zip(rows, extents, strict=True)):
        if extent is None:
            continue
        size = round(max((p.size for p in row.pieces if p.text.strip()), default=0.0), 1)
        if previous is not None and previous[1] == size and size > 0:
            steps.append((index, previous[0] - extent[2], size))
        previous = (extent[2], size)
    by_size: dict[float, list[float]] = {}
    for _, step, size in steps:
        if step > 0:
            by_size.setdefault(size, []).append(step)
    spacing = {size: sorted(found)[len(found) // 4] for size, found in by_size.items()
               if len(found) >= MIN_SPACED_LINES}
    return {index for index, step, size in steps
            if size in spacing and step > spacing[size] * PARAGRAPH_SPACE
            and step > spacing[size] + size * 0.25}


def _lead(row: _PageLine) -> float | None:
    """The width of a line's first word."""
    start: float | None = None
    for piece in row.pieces:
        if not piece.text:
            continue
        step = (piece.x1 - piece.x0) / len(piece.text)
        for i, char in enumerate(piece.text):
            if char.isspace():
                if start is not None:
                    return piece.x0 + step * i - start
            elif start is None:
                start = piece.x0 + step * i
        if start is not None and piece is row.pieces[-1]:
            return piece.x1 - start
    return None


def _column_margins(extents: list[tuple[float, float, float] | None]) -> list[float | None]:
    """Each row's right margin: that of its column. Rows whose spans overlap, one after
    another across the page, are a column; on a page of two columns a line of the left
    one runs to the left column's edge, far short of the page's."""
    spans = sorted((e[0], e[1], index) for index, e in enumerate(extents) if e is not None)
    columns: list[list[int]] = []
    reach = float("-inf")
    for x0, x1, index in spans:
        if not columns or x0 > reach:
            columns.append([])
        columns[-1].append(index)
        reach = max(reach, x1)
    page = _right_margin([e[1] for e in extents if e is not None])
    margins: list[float | None] = [page] * len(extents)
    if len(columns) > 1:
        for column in columns:
            edges = [extents[index][1] for index in column]  # type: ignore[index]
            margin = _right_margin(edges) if len(edges) >= 3 else page
            for index in column:
                margins[index] = margin
    return margins


def _right_margin(right_edges: list[float]) -> float | None:
    """The right edge of the text block: where the longest lines end (a high percentile,
    so that one line running into the margin does not move it)."""
    if len(right_edges) < 3:
        return None
    ordered = sorted(right_edges)
    return ordered[int(0.9 * (len(ordered) - 1))]


def _links(page: Any, rows: list[_PageLine],
           extents: list[tuple[float, float, float] | None],
           by_row: dict[int, Place]) -> list[Link]:
    annots = page.get("/Annots")
    if annots is None:
        return []
    found: list[Link] = []
    for ref in annots.get_object():
        annot = ref.get_object()
        if annot.get("/Subtype") != "/Link":
            continue
        action = annot.get("/A")
        action = action.get_object() if action is not None else None
        if action is None or action.get("/S") != "/URI" or action.get("/URI") is None:
            continue
        # PDF strings often carry a NUL or other control characters at the end.
        target = re.sub(r"[\x00-\x20\x7f]+", "", str(action["/URI"]))
        x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
        x0, x1 = min(x0, x1), max(x0, x1)
        y0, y1 = min(y0, y1), max(y0, y1)
        anchor: list[str] = []
        places: list[Place] = []
        for index, (row, extent) in enumerate(zip(rows, extents, strict=True)):
            if extent is None or index not in by_row or not (y0 - 1 <= extent[2] <= y1 - 1):
                continue
            text = _text_within(row, x0, x1)
            if text.strip():
                anchor.append(text.strip())
                places.append(by_row[index])
        if not places:
            continue
        link = Link(target=target, anchor=" ".join(anchor), places=tuple(places))
        previous = found[-1] if found else None
        if previous is not None and previous.target == target and _adjacent(previous, link):
            # One URL wrapped over two lines is one annotation per line.
            found[-1] = Link(target, f"{previous.anchor}\n{link.anchor}",
                             previous.places + link.places)
        else:
            found.append(link)
    return found


def _adjacent(first: Link, second: Link) -> bool:
    a, b = first.places[-1], second.places[0]
    return a.page == b.page and 0 <= b.line - a.line <= 1


def _text_within(row: _PageLine, x0: float, x1: float) -> str:
    """The characters of a line whose middle lies between x0 and x1."""
    out = []
    for piece in row.pieces:
        if piece.x1 < x0 or piece.x0 > x1 or not piece.text:
            continue
        step = (piece.x1 - piece.x0) / len(piece.text)
        for i, char in enumerate(piece.text):
            middle = piece.x0 + step * (i + 0.5)
            if x0 - 1 <= middle <= x1 + 1:
                out.append(char)
    return "".join(out)
