"""Word ``.docx`` in, ``Document`` out: the paragraphs' text (tables included) and the
hyperlinks, read from the zip and its XML with the standard library.

A hyperlink is either a ``w:hyperlink`` element whose relationship holds the target, or
a ``HYPERLINK "…"`` field (simple or complex); both are read, with their anchor text.
Word does not wrap text in the file, so a URL is broken only where its author broke it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from refcheck.extract.document import Document, Line, Link, Place
from refcheck.extract.model import ExtractionError

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
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


def parse(body: bytes, rels: bytes, name: str) -> Document:
    targets: dict[str, str] = {}
    if rels:
        for rel in ElementTree.fromstring(rels).iter(f"{_REL}Relationship"):
            if rel.get("TargetMode") == "External" and rel.get("Id") and rel.get("Target"):
                targets[str(rel.get("Id"))] = str(rel.get("Target"))
    root = ElementTree.fromstring(body)
    lines: list[Line] = []
    links: list[Link] = []
    number = 0
    for paragraph in root.iter(f"{_W}p"):
        texts: list[list[str]] = [[]]
        anchors: list[tuple[str, list[str]]] = []
        field_url: str | None = None
        field_text: list[str] | None = None
        for element in paragraph.iter():
            tag = element.tag
            if tag == f"{_W}hyperlink":
                target = targets.get(element.get(f"{_R}id") or "")
                if target:
                    words = [t.text or "" for t in element.iter(f"{_W}t")]
                    anchors.append((target, words))
            elif tag == f"{_W}fldSimple":
                match = _FIELD_URL.search(element.get(f"{_W}instr") or "")
                if match:
                    anchors.append((match.group(1),
                                    [t.text or "" for t in element.iter(f"{_W}t")]))
            elif tag == f"{_W}instrText":
                match = _FIELD_URL.search(element.text or "")
                if match:
                    field_url, field_text = match.group(1), []
            elif tag == f"{_W}fldChar" and element.get(f"{_W}fldCharType") == "end":
                if field_url is not None and field_text is not None:
                    anchors.append((field_url, field_text))
                field_url = field_text = None
            elif tag == f"{_W}t":
                texts[-1].append(element.text or "")
                if field_text is not None:
                    field_text.append(element.text or "")
            elif tag == f"{_W}tab":
                texts[-1].append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                texts.append([])
        places: list[Place] = []
        for parts in texts:
            number += 1
            place = Place(line=number)
            lines.append(Line(text="".join(parts).rstrip(), place=place))
            places.append(place)
        for target, words in anchors:
            links.append(Link(target=target.strip(), anchor="".join(words),
                              places=tuple(places)))
    return Document(name=name, lines=lines, links=links, kind="docx")
