"""Word ``.docx`` in, ``Document`` out: the paragraphs' text (tables and text boxes
included) and the hyperlinks, read from the zip and its XML with the standard library.

A hyperlink is either a ``w:hyperlink`` element whose relationship holds the target, or
a ``HYPERLINK "…"`` field (simple or complex); both are read, with their anchor text.
Word does not wrap text in the file, so a URL is broken only where its author broke it.

The XML is read in document order, one start or end of an element at a time, so that a
text box inside a paragraph is a paragraph of its own (after the one it is anchored in),
not text glued into it.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from refcheck.extract.document import Document, Line, Link, Place
from refcheck.extract.model import ExtractionError

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_FIELD_URL = re.compile(r'HYPERLINK\s+"([^"]+)"', re.IGNORECASE)
#: The document part of a four-page case study is well under this.
MAX_XML_BYTES = 32 * 1024 * 1024


def read(path: Path) -> Document:
    name = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo("word/document.xml")
            except KeyError:
                raise ExtractionError(f"{name}: a zip file but not a Word document (no "
                                      "word/document.xml); save it from Word as .docx") from None
            if info.file_size > MAX_XML_BYTES:
                raise ExtractionError(f"{name}: the document part is {info.file_size:,} "
                                      "bytes, too large for a case study")
            body = archive.read(info)
            try:
                rels = archive.read("word/_rels/document.xml.rels")
            except KeyError:
                rels = b""
    except zipfile.BadZipFile:
        raise ExtractionError(f"{name}: not a .docx (not a zip file); open it in Word and "
                              "save it as .docx, or save its text as .txt") from None
    except OSError as exc:
        raise ExtractionError(f"{name}: cannot read: {exc.strerror}") from None
    try:
        return parse(body, rels, name)
    except ElementTree.ParseError as exc:
        raise ExtractionError(f"{name}: the Word document's XML is damaged ({exc}); open "
                              "it in Word and save it again") from None


@dataclass(eq=False)
class _Paragraph:
    """A paragraph being read: its lines' text (a ``w:br`` starts a new one), the
    paragraphs of the text boxes anchored in it, and once numbered, its lines' places."""

    texts: list[list[str]] = field(default_factory=lambda: [[]])
    inner: list[_Paragraph] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)


@dataclass(eq=False)
class _Anchor:
    """A link being read: its target, its text and the paragraphs its text is in."""

    target: str | None
    words: list[str] = field(default_factory=list)
    paragraphs: list[_Paragraph] = field(default_factory=list)


def parse(body: bytes, rels: bytes, name: str) -> Document:
    targets: dict[str, str] = {}
    if rels:
        for rel in ElementTree.fromstring(rels).iter(f"{_REL}Relationship"):
            if rel.get("TargetMode") == "External" and rel.get("Id") and rel.get("Target"):
                targets[str(rel.get("Id"))] = str(rel.get("Target"))
    lines: list[Line] = []
    anchors: list[_Anchor] = []
    open_paragraphs: list[_Paragraph] = []
    hyperlinks: list[_Anchor] = []
    field_url: str | None = None
    field_text: _Anchor | None = None
    #: For each open ``mc:AlternateContent``, whether one of its forms has been read.
    alternatives: list[bool] = []
    skipping: ElementTree.Element | None = None

    def number(paragraph: _Paragraph) -> None:
        pending = [paragraph]
        while pending:
            current = pending.pop(0)
            for parts in current.texts:
                place = Place(line=len(lines) + 1)
                lines.append(Line(text="".join(parts).rstrip(), place=place))
                current.places.append(place)
            pending[:0] = current.inner

    for event, element in ElementTree.iterparse(io.BytesIO(body), events=("start", "end")):
        tag = element.tag
        if skipping is not None:
            if event == "end" and element is skipping:
                skipping = None
            continue
        if event == "start":
            if tag == f"{_MC}AlternateContent":
                alternatives.append(False)
            elif tag in (f"{_MC}Choice", f"{_MC}Fallback") and alternatives:
                # The same text box is written twice, for Word and for older readers.
                if alternatives[-1]:
                    skipping = element
                alternatives[-1] = True
            elif tag == f"{_W}p":
                open_paragraphs.append(_Paragraph())
            elif tag == f"{_W}hyperlink":
                hyperlinks.append(_Anchor(targets.get(element.get(f"{_R}id") or "")))
            elif tag == f"{_W}fldSimple":
                match = _FIELD_URL.search(element.get(f"{_W}instr") or "")
                hyperlinks.append(_Anchor(match.group(1) if match else None))
            continue
        paragraph = open_paragraphs[-1] if open_paragraphs else None
        if tag == f"{_MC}AlternateContent" and alternatives:
            alternatives.pop()
        elif tag == f"{_W}p" and paragraph is not None:
            open_paragraphs.pop()
            if open_paragraphs:
                open_paragraphs[-1].inner.append(paragraph)
            else:
                number(paragraph)
                field_url = field_text = None  # a field ends in its paragraph
        elif tag in (f"{_W}hyperlink", f"{_W}fldSimple") and hyperlinks:
            anchor = hyperlinks.pop()
            if anchor.target:
                if paragraph is not None and not anchor.paragraphs:
                    anchor.paragraphs.append(paragraph)
                anchors.append(anchor)
        elif tag == f"{_W}instrText":
            match = _FIELD_URL.search(element.text or "")
            if match:
                field_url, field_text = match.group(1), _Anchor(match.group(1))
        elif tag == f"{_W}fldChar" and element.get(f"{_W}fldCharType") == "end":
            if field_url is not None and field_text is not None:
                if paragraph is not None and not field_text.paragraphs:
                    field_text.paragraphs.append(paragraph)
                anchors.append(field_text)
            field_url = field_text = None
        elif paragraph is None:
            pass
        elif tag == f"{_W}t":
            text = element.text or ""
            paragraph.texts[-1].append(text)
            for anchor in (*hyperlinks, *([field_text] if field_text is not None else [])):
                anchor.words.append(text)
                if paragraph not in anchor.paragraphs:
                    anchor.paragraphs.append(paragraph)
        elif tag == f"{_W}tab":
            paragraph.texts[-1].append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            paragraph.texts.append([])
    links = [Link(target=str(anchor.target).strip(), anchor="".join(anchor.words),
                  places=tuple(place for paragraph in anchor.paragraphs
                               for place in paragraph.places))
             for anchor in anchors]
    return Document(name=name, lines=lines, links=links, kind="docx")
