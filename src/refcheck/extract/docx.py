"""Word ``.docx`` in, ``Document`` out: the paragraphs' text (tables and text boxes
included) and the hyperlinks, read from the zip and its XML with the standard library.

A hyperlink is either a ``w:hyperlink`` element whose relationship holds the target, or
a ``HYPERLINK "…"`` field (simple or complex); both are read, with their anchor text.
Word does not wrap text in the file, so a URL is broken only where its author broke it.

The XML is read in document order, one start or end of an element at a time, so that a
text box inside a paragraph is a paragraph of its own (after the one it is anchored in),
not text glued into it. Text formatted as hidden (``w:vanish``, directly or through its
character or paragraph style) is not read: Word neither shows nor prints it, and a hidden
piece inside a URL would change it.

A paragraph Word numbers (a numbered or bulleted list) starts with its label as Word shows
it (``1.``, ``(a)``, ``•``), worked out by ``numbering``: it is not in the paragraph's text,
and without it a list's items run together.
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
from refcheck.extract.numbering import Numbering, on

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
#: Word's "Strict Open XML Document" names the same elements in namespaces of its own.
_STRICT = ((b"http://purl.oclc.org/ooxml/wordprocessingml/main",
            b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"),
           (b"http://purl.oclc.org/ooxml/officeDocument/relationships",
            b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"))
#: A field instruction's words: quoted (quotes taken off) or bare.
_FIELD_WORD = re.compile(r'"([^"]*)"?|(\S+)')
#: The document part of a four-page case study is well under this.
MAX_XML_BYTES = 32 * 1024 * 1024


def read(path: Path) -> Document:
    name = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo("word/document.xml")
            except KeyError:
                raise ExtractionError(_not_word(archive, name)) from None
            if info.file_size > MAX_XML_BYTES:
                raise ExtractionError(f"{name}: the document part is {info.file_size:,} "
                                      "bytes, too large for a case study")
            body = archive.read(info)
            rels = _member(archive, "word/_rels/document.xml.rels", name)
            notes = {kind: (_member(archive, f"word/{kind}s.xml", name),
                            _member(archive, f"word/_rels/{kind}s.xml.rels", name))
                     for kind in NOTES}
            numbering = _member(archive, "word/numbering.xml", name)
            styles = _member(archive, "word/styles.xml", name)
    except zipfile.BadZipFile:
        raise ExtractionError(f"{name}: not a .docx (not a zip file); open it in Word and "
                              "save it as .docx, or save its text as .txt") from None
    except OSError as exc:
        raise ExtractionError(f"{name}: cannot read: {exc.strerror}") from None
    try:
        return parse(body, rels, name, notes={k: v for k, v in notes.items() if v[0]},
                     numbering=numbering, styles=styles)
    except ElementTree.ParseError as exc:
        raise ExtractionError(f"{name}: the Word document's XML is damaged ({exc}); open "
                              "it in Word and save it again") from None


def _member(archive: zipfile.ZipFile, member: str, name: str) -> bytes:
    """A part of the document, or nothing when it has none; too large a part is refused."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        return b""
    if info.file_size > MAX_XML_BYTES:
        raise ExtractionError(f"{name}: the part {member} is {info.file_size:,} "
                              "bytes, too large for a case study")
    return archive.read(info)


def _not_word(archive: zipfile.ZipFile, name: str) -> str:
    """What to say of a zip file that is not a Word document: LibreOffice's and Pages'
    documents are zip files too."""
    names = set(archive.namelist())
    try:
        kind = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError):
        kind = b""
    if kind.startswith(b"application/vnd.oasis.opendocument"):
        return (f"{name}: an OpenDocument file (LibreOffice, OpenOffice), which refcheck "
                "does not read; open it in LibreOffice or Word and save it as Word (.docx), "
                "or export it as PDF, and extract from that")
    if "index.xml" in names or "Index/Document.iwa" in names:
        return (f"{name}: a Pages document, which refcheck does not read; in Pages choose "
                "File > Export To > Word (or PDF), and extract from that")
    return (f"{name}: a zip file but not a Word document (no word/document.xml); save it "
            "from Word as .docx")


@dataclass(eq=False)
class _Paragraph:
    """A paragraph being read: its lines' text (a ``w:br`` starts a new one), the
    paragraphs of the text boxes anchored in it, and once numbered, its lines' places."""

    texts: list[list[str]] = field(default_factory=lambda: [[]])
    inner: list[_Paragraph] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    #: Its properties (w:pPr): its style, its list and level, whether its style hides it.
    style: str | None = None
    list_id: str | None = None
    level: int | None = None
    hidden: bool = False
    label: str | None = None  # Word's label, where it numbers the paragraph


@dataclass(eq=False)
class _Field:
    """A complex field being read (``w:fldChar`` begin … separate … end): its instruction,
    which Word may split over several ``w:instrText``, and, once its shown text starts, the
    link a ``HYPERLINK`` field makes."""

    instruction: list[str] = field(default_factory=list)
    separated: bool = False
    anchor: _Anchor | None = None


def field_target(instruction: str) -> str | None:
    """The URL of a ``HYPERLINK "url"`` field instruction, with the fragment its ``\\l``
    switch names, or None for another field or a link within the document
    (``HYPERLINK \\l "bookmark"``)."""
    words = [(quoted is not None, quoted if quoted is not None else bare)
             for quoted, bare in ((m.group(1), m.group(2))
                                  for m in _FIELD_WORD.finditer(instruction))]
    if not words or words[0][1].upper() != "HYPERLINK":
        return None
    target: str | None = None
    fragment: str | None = None
    index = 1
    while index < len(words):
        is_quoted, word = words[index]
        if not is_quoted and word.startswith("\\"):
            # \l, \o and \t take an argument; \m and \n do not.
            if word[1:].lower() == "l" and index + 1 < len(words):
                fragment = words[index + 1][1]
            index += 2 if word[1:2].lower() in ("l", "o", "t") else 1
            continue
        if target is None:
            target = word.strip() or None
        index += 1
    return with_fragment(target, fragment) if target else None


def with_fragment(target: str, fragment: str | None) -> str:
    """A link's address with the fragment Word keeps apart from it (``w:anchor``, the
    ``\\l`` switch): ``https://example.org/page`` and ``part-2`` are the link to
    ``https://example.org/page#part-2``."""
    if not fragment or "#" in target:
        return target
    return f"{target}#{fragment}"


@dataclass(eq=False)
class _Anchor:
    """A link being read: its target, its text and the paragraphs its text is in."""

    target: str | None
    words: list[str] = field(default_factory=list)
    paragraphs: list[_Paragraph] = field(default_factory=list)
    hidden: bool = False  # some of its text is hidden


#: Footnotes and endnotes: each is read after the paragraph that refers to it.
NOTES = ("footnote", "endnote")


def parse(body: bytes, rels: bytes, name: str, *,
          notes: dict[str, tuple[bytes, bytes]] | None = None,
          numbering: bytes = b"", styles: bytes = b"") -> Document:
    """The document part, and the footnotes' and endnotes' parts (``notes``: each kind's
    XML and relationships), with the lists' definitions and the styles."""
    anchors: list[_Anchor] = []
    noted: dict[tuple[str, str], list[_Paragraph]] = {}
    numbering, styles = _transitional(numbering), _transitional(styles)
    for kind, (xml, note_rels) in (notes or {}).items():
        _blocks, note_anchors, by_note = _read_part(xml, _targets(note_rels), {},
                                                    Numbering(numbering, styles))
        anchors.extend(note_anchors)
        noted.update({(kind, number): paragraphs for number, paragraphs in by_note.items()})
    blocks, body_anchors, _ = _read_part(body, _targets(rels), noted,
                                         Numbering(numbering, styles))
    anchors.extend(body_anchors)
    lines: list[Line] = []
    pending = list(blocks)
    while pending:
        current = pending.pop(0)
        for index, parts in enumerate(current.texts):
            place = Place(line=len(lines) + 1)
            lines.append(Line(text="".join(parts).rstrip(), place=place,
                              paragraph=index == 0))
            current.places.append(place)
        pending[:0] = current.inner
    links = []
    for anchor in anchors:
        places = tuple(place for paragraph in anchor.paragraphs for place in paragraph.places)
        if places:  # not in a note that nothing refers to
            links.append(Link(target=str(anchor.target).strip(), anchor="".join(anchor.words),
                              places=places))
    return Document(name=name, lines=lines, links=links, kind="docx")


def _targets(rels: bytes) -> dict[str, str]:
    """A part's external relationships: hyperlinks' targets by id."""
    targets: dict[str, str] = {}
    if rels:
        for rel in ElementTree.fromstring(rels).iter(f"{_REL}Relationship"):
            if rel.get("TargetMode") == "External" and rel.get("Id") and rel.get("Target"):
                targets[str(rel.get("Id"))] = str(rel.get("Target"))
    return targets


def _transitional(xml: bytes) -> bytes:
    """Strict Open XML's names made the usual ones."""
    for strict, transitional in _STRICT:
        xml = xml.replace(strict, transitional)
    return xml


def _read_part(xml: bytes, targets: dict[str, str],
               noted: dict[tuple[str, str], list[_Paragraph]], numbering: Numbering,
               ) -> tuple[list[_Paragraph], list[_Anchor], dict[str, list[_Paragraph]]]:
    """One part's paragraphs in reading order (text boxes and the notes referred to
    within the paragraph they are in), each numbered one with its label, its links,
    and, for a notes part, each note's paragraphs by its id."""
    blocks: list[_Paragraph] = []
    by_note: dict[str, list[_Paragraph]] = {}
    note: str | None = None
    anchors: list[_Anchor] = []
    open_paragraphs: list[_Paragraph] = []
    hyperlinks: list[_Anchor] = []
    fields: list[_Field] = []
    #: For each open ``mc:AlternateContent``, whether one of its forms has been read.
    alternatives: list[bool] = []
    skipping: ElementTree.Element | None = None
    #: For each open run, whether its text is hidden (w:vanish: Word neither shows nor
    #: prints it); and how deep in paragraph marks' and changed formatting's properties.
    runs: list[bool] = []
    properties = 0
    #: For each open table row, where in ``blocks`` each of its cells begins.
    rows: list[list[int]] = []

    def close(anchor: _Anchor | None, paragraph: _Paragraph | None) -> None:
        if anchor is None or not anchor.target or (anchor.hidden and not anchor.words):
            return  # no link, or a link on hidden text only
        if paragraph is not None and not anchor.paragraphs:
            anchor.paragraphs.append(paragraph)
        anchors.append(anchor)

    for event, element in ElementTree.iterparse(io.BytesIO(_transitional(xml)),
                                                events=("start", "end")):
        tag = element.tag
        if skipping is not None:
            if event == "end" and element is skipping:
                skipping = None
            continue
        if event == "start":
            if tag == f"{_W}moveFrom":
                # Tracked changes are read as accepted: text moved elsewhere is read where
                # it now stands (w:moveTo), as deleted text (w:delText) is not read.
                skipping = element
            elif tag == f"{_MC}AlternateContent":
                alternatives.append(False)
            elif tag in (f"{_MC}Choice", f"{_MC}Fallback") and alternatives:
                # The same text box is written twice, for Word and for older readers.
                if alternatives[-1]:
                    skipping = element
                alternatives[-1] = True
            elif tag in (f"{_W}footnote", f"{_W}endnote"):
                note = element.get(f"{_W}id")
            elif tag == f"{_W}p":
                open_paragraphs.append(_Paragraph())
            elif tag == f"{_W}tr" and not open_paragraphs:
                rows.append([])
            elif tag == f"{_W}tc" and not open_paragraphs and rows:
                rows[-1].append(len(blocks))
            elif tag == f"{_W}r":
                runs.append(bool(open_paragraphs) and open_paragraphs[-1].hidden)
            elif tag in (f"{_W}pPr", f"{_W}rPrChange"):
                properties += 1
            elif tag == f"{_W}hyperlink":
                target = targets.get(element.get(f"{_R}id") or "")
                hyperlinks.append(_Anchor(target and with_fragment(target,
                                                                   element.get(f"{_W}anchor"))))
            elif tag == f"{_W}fldSimple":
                hyperlinks.append(_Anchor(field_target(element.get(f"{_W}instr") or "")))
            continue
        paragraph = open_paragraphs[-1] if open_paragraphs else None
        if tag == f"{_MC}AlternateContent" and alternatives:
            alternatives.pop()
        elif tag in (f"{_W}footnote", f"{_W}endnote"):
            note = None
        elif tag == f"{_W}p" and paragraph is not None:
            open_paragraphs.pop()
            _number(paragraph, numbering)
            if open_paragraphs:
                open_paragraphs[-1].inner.append(paragraph)
            else:
                if note is not None:
                    by_note.setdefault(note, []).append(paragraph)
                else:
                    blocks.append(paragraph)
                fields.clear()  # a field ends in its paragraph
        elif tag == f"{_W}tr" and not open_paragraphs and rows:
            _side_by_side(blocks, rows.pop())
        elif tag in (f"{_W}hyperlink", f"{_W}fldSimple") and hyperlinks:
            close(hyperlinks.pop(), paragraph)
        elif tag == f"{_W}r" and runs:
            runs.pop()
        elif tag in (f"{_W}pPr", f"{_W}rPrChange"):
            if tag == f"{_W}pPr" and properties == 1 and paragraph is not None:
                _properties(paragraph, element, numbering)  # its own, not a changed one
            properties -= 1
        elif tag == f"{_W}rStyle" and runs and not properties:
            hidden = numbering.hidden(element.get(f"{_W}val"))
            if hidden is not None:
                runs[-1] = hidden  # the run's own w:vanish, after it, comes last
        elif tag in (f"{_W}vanish", f"{_W}specVanish") and runs and not properties:
            runs[-1] = on(element)
        elif tag == f"{_W}instrText":
            if fields and not fields[-1].separated:
                fields[-1].instruction.append(element.text or "")
        elif tag == f"{_W}fldChar":
            kind = element.get(f"{_W}fldCharType")
            if kind == "begin":
                fields.append(_Field())
            elif kind == "separate" and fields and not fields[-1].separated:
                fields[-1].separated = True
                target = field_target("".join(fields[-1].instruction))
                fields[-1].anchor = _Anchor(target) if target else None
            elif kind == "end" and fields:
                close(fields.pop().anchor, paragraph)
        elif paragraph is None:
            pass
        elif runs and runs[-1] and tag in (f"{_W}t", f"{_W}noBreakHyphen", f"{_W}tab",
                                           f"{_W}br", f"{_W}cr"):
            for anchor in (*hyperlinks, *(f.anchor for f in fields if f.anchor is not None)):
                anchor.hidden = True
        elif tag in (f"{_W}footnoteReference", f"{_W}endnoteReference"):
            # The note's text is read after the paragraph that refers to it.
            kind = "footnote" if tag == f"{_W}footnoteReference" else "endnote"
            paragraph.inner.extend(noted.pop((kind, element.get(f"{_W}id") or ""), []))
        elif tag in (f"{_W}t", f"{_W}noBreakHyphen"):
            # A non-breaking hyphen (Ctrl+Shift+-) is an element of its own, not a "-".
            text = (element.text or "") if tag == f"{_W}t" else "-"
            paragraph.texts[-1].append(text)
            for anchor in (*hyperlinks, *(f.anchor for f in fields if f.anchor is not None)):
                anchor.words.append(text)
                if paragraph not in anchor.paragraphs:
                    anchor.paragraphs.append(paragraph)
        elif tag == f"{_W}tab":
            paragraph.texts[-1].append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            paragraph.texts.append([])
    return blocks, anchors, by_note


#: A table cell that holds an item's id and nothing else (`5.1`, `a`, `[S3]`, `E1.`).
_ID_CELL = re.compile(r"^[\[(]?(?:[A-Za-z]{0,4}\d{1,3}(?:\.\d{1,3})?[a-z]?|[A-Za-z]|[ivxIVX]{1,5})"
                      r"[\])]?[.:)]?$")


def _side_by_side(blocks: list[_Paragraph], cells: list[int]) -> None:
    """A table row whose first cell holds only an item's id (`5.1` | `Letter from …`), as
    a table of sources has it, read as Word shows it: the id, a tab and the next cell's
    text, on one line. Read a cell a paragraph, the id would be an item of its own."""
    if len(cells) < 2 or cells[1] - cells[0] != 1:
        return
    first = blocks[cells[0]]
    text = "".join(part for parts in first.texts for part in parts).strip()
    label = text or (first.label or "").strip()
    if not label or not _ID_CELL.match(label) or first.inner or len(first.texts) > 1:
        return
    following = next((paragraph for paragraph in blocks[cells[1]:]
                      if any(part.strip() for parts in paragraph.texts for part in parts)),
                     None)
    if following is None:
        return
    following.texts[0].insert(0, f"{label}\t")
    del blocks[cells[0]]


def _properties(paragraph: _Paragraph, element: ElementTree.Element,
                numbering: Numbering) -> None:
    """A paragraph's style and numbering, from its properties (w:pPr)."""
    style = element.find(f"{_W}pStyle")
    paragraph.style = style.get(f"{_W}val") if style is not None else None
    listed = element.find(f"{_W}numPr")
    if listed is not None:
        num_id = listed.find(f"{_W}numId")
        level = listed.find(f"{_W}ilvl")
        paragraph.list_id = num_id.get(f"{_W}val") if num_id is not None else None
        value = level.get(f"{_W}val") if level is not None else None
        paragraph.level = int(value) if value is not None and value.isdigit() else None
    paragraph.hidden = bool(numbering.hidden(numbering.paragraph_style(paragraph.style)))


def _number(paragraph: _Paragraph, numbering: Numbering) -> None:
    """Put Word's label (``1.``, ``(a)``, ``•``) before a numbered paragraph's text. The
    paragraph is counted even where it shows no text, but is not given a label alone."""
    label = numbering.label(paragraph.style, paragraph.list_id, paragraph.level)
    paragraph.label = label
    if label and any(text.strip() for parts in paragraph.texts for text in parts):
        paragraph.texts[0].insert(0, f"{label} ")
