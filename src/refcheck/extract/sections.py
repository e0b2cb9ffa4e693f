"""The REF template's structure: the case's title and institution, section 3 (references
to the research) and section 5 (sources to corroborate the impact), and the items of each
with their ids as printed."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from refcheck.extract.document import Document, Line
from refcheck.extract.numbering import roman

_HEADINGS = {
    1: r"summary\s+of\s+(?:the\s+)?impact",
    2: r"underpinning\s+research",
    3: r"references\s+to\s+(?:the\s+)?research",
    4: r"details\s+of\s+(?:the\s+)?impact",
    5: r"sources\s+to\s+corroborate\s+(?:the\s+)?impact",
}
#: A heading as people write it: after a bullet, with `Section`, its number followed by
#: `.`, `)`, `:`, a hyphen or a dash (`5. Sources …`, `Section 5 - Sources …`, `• 5 Sources`).
_NUMBER = r"^\s*(?:[-*+\u2022\u2023\u25aa\u25cf\u25e6\uf0a7\uf0b7]\s*)?(?:section\s*)?"
_HEADING = {n: re.compile(rf"{_NUMBER}(?:{n}\s*[.):\-\u2013\u2014]?\s*)?{words}",
                          re.IGNORECASE)
            for n, words in _HEADINGS.items()}
#: A numbered heading's first line, for one wrapped over two (`5. Sources to corroborate
#: the` / `impact`).
_NUMBERED = {n: re.compile(rf"{_NUMBER}{n}\s*[.):\-\u2013\u2014]?\s*[A-Za-z]", re.IGNORECASE)
             for n in _HEADINGS}
#: Section 5's heading as other templates and drafts word it (`Sources to corroborate`,
#: `Corroborating sources`, `5. Sources`), looked for only where the template's is not
#: printed, and only as a line of its own: a sentence may start with the same words.
_LOOSE_5 = re.compile(
    rf"{_NUMBER}(?:(?:5\s*[.):\-\u2013\u2014]?\s*)?(?:sources\s+(?:to|that)\s+corroborate"
    r"(?:\s+(?:the\s+)?impact)?|corroborating\s+(?:sources|evidence)|sources\s+of\s+"
    r"corroboration|(?:sources\s+of\s+)?corroboration)|5\s*[.):\-\u2013\u2014]?\s*"
    r"(?:sources?|evidence)(?:\s+of\s+(?:the\s+)?impact)?)\s*:?\s*$", re.IGNORECASE)
#: Running heads and feet of the template's pages.
_FURNITURE = re.compile(
    r"^\s*(?:impact case study \(ref\s*3b?\)|page \d+( of \d+)?|\d{1,3})\s*$", re.IGNORECASE)
#: Where section 3's list of outputs gives way to its grants or quality indicators.
_NOT_OUTPUTS = re.compile(
    r"^\s*(?:table of relevant grants|(?:key\s+|main\s+)?(?:research\s+)?(?:grants?|funding|"
    r"awards?)(?:\s+(?:and\s+\w+|for the underpinning research|\(.*\)))?\s*:?\s*$|"
    r"(?:key\s+)?(?:research\s+)?(?:grants?|funding)\s*:|indicators? of (?:research )?quality"
    r"\b|evidence of (?:the )?quality\b|research funding\b|key research awards\b)",
    re.IGNORECASE)
_URLISH = re.compile(r"https?:|www\.|doi", re.IGNORECASE)
#: A line that is a URL and nothing else (brackets and a full stop aside).
_ONLY_URL = re.compile(r"^\s*[<(\[]?\s*(?:https?://|www\.)\S+\s*$", re.IGNORECASE)
#: The template's fields: `Institution: X`, or the label alone on its line with the value
#: on the next (`Institution:` / `University of Cambridge`, `Title of case study` / ...).
_FIELD = re.compile(r"^\s*(title of case study|institution|unit of assessment)"
                    r"(?:\s*:\s*(.*)|\s*)$", re.IGNORECASE)

#: Ids as printed at the start of an item, each kind with a name (the kinds are not mixed).
_ID_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bracket", re.compile(r"^\s*(\[[A-Za-z]{0,4}\s?\d{1,3}(?:\.\d{1,3})?[a-z]?\]|"
                           r"\[[A-Za-z]\]|\[[ivxlc]{1,6}\])\s*[.:)]?(?=\s|$)")),
    ("paren", re.compile(r"^\s*(\((?:[A-Za-z]{0,4}\d{1,3}(?:\.\d{1,3})?|[A-Za-z]|[ivxlc]{1,6})"
                         r"\))\s*[.:]?(?=\s|$)")),
    ("closing", re.compile(r"^\s*((?:[A-Za-z]{1,4}\s?)?\d{1,3}(?:\.\d{1,3})?[a-z]?\)|"
                           r"[a-z]\)|[ivxlc]{1,6}\))(?=\s|$)")),
    ("prefixed", re.compile(r"^\s*((?:Ref|Source|Output|Item)\.?\s?\d{1,3}|[A-Z]{1,4}\d{1,3}"
                            r"(?:\.\d{1,3})?[a-z]?)\s*[.:)\-\u2013]?(?=\s|$)")),
    ("numbered", re.compile(r"^\s*(\d{1,2}(?:\.\d{1,3}){0,2})(?:\s*[.:)]|(?=\s+\S))(?=\s|$)")),
    ("lettered", re.compile(r"^\s*([a-z]|[ivx]{1,4})[.)](?=\s)")),
    # `A.` `B.` or `I.` `II.`: only in sequence, from A or I (`F. Bechhofer`, an initial).
    ("upper", re.compile(r"^\s*([A-Z]|[IVX]{1,4})[.)](?=\s|$)")),
    # Any short label before a tab: a table's id cell (`a` | `Letter …`, read side by
    # side) or an id typed with a tab after it.
    ("tabbed", re.compile(r"^\s*([\[(]?(?:[A-Za-z]{0,4}\d{1,3}(?:\.\d{1,3})?[a-z]?|[A-Za-z]|"
                          r"[ivxIVX]{1,5})[\])]?)[.:)]?\t")),
)
#: A bullet at the start of a line: with no ids printed, each bullet starts an item.
#: A PDF may give the bullet a line of its own, set a little above or below its text.
_BULLET = re.compile(r"^\s*[\u2022\u2023\u25aa\u25cf\u25e6\uf0a7\uf0b7](?:\s+(?=\S)|\s*$)")
#: Marks that are bullets where a list is made of them (a hyphen, a dash, `*`, an arrow),
#: but may also start a wrapped line (`pages 12` / `- 15`) or a remark indented under a
#: citation (`  - the report was accessed on 12/08/13`): see ``_bullet_marks``. An em dash
#: is left out: it starts a remark on the citation above far more often than a bullet.
_MARK = re.compile(r"^(\s*)([-\u2013*\u27a2\uf0d8])(?:\s+(?=\S)|\s*$)")


@dataclass
class Item:
    """One reference or source: its id as printed (None when the document numbers none)
    and its lines."""

    id: str | None
    lines: list[Line] = field(default_factory=list)
    id_text: str = ""  # the id as it stands at the start of the first line


@dataclass
class Sections:
    title: str | None
    institution: str | None
    references: list[Item]
    sources: list[Item]
    has_sources: bool
    ref2014: bool
    #: The sections' lines as printed, headings and furniture left out.
    reference_lines: list[Line] = field(default_factory=list)
    source_lines: list[Line] = field(default_factory=list)


def split(document: Document) -> Sections:
    """Find the title, the institution and sections 3 and 5 of a case study."""
    lines = _page_breaks(_without_furniture(document.lines))
    title, institution = _fields(lines)
    starts: dict[int, int] = {}
    #: Where each section's text begins: after its heading's one line, or two.
    bodies: dict[int, int] = {}
    for n in (1, 2, 3, 4, 5):
        after = max(starts.values(), default=-1)
        for index in range(after + 1, len(lines)):
            if _HEADING[n].match(lines[index].text):
                starts[n], bodies[n] = index, index + 1
                break
            if _wrapped_heading(n, lines, index):
                starts[n], bodies[n] = index, index + 2
                break
    if 5 not in starts:
        after = max(starts.values(), default=-1)
        loose = next((index for index in range(after + 1, len(lines))
                      if _LOOSE_5.match(lines[index].text)), None)
        if loose is not None:
            starts[5], bodies[5] = loose, loose + 1
    text = "\n".join(line.text for line in document.lines[:40])
    ref2014 = (bool(re.search(r"\(REF3b\)|\bREF\s?2014\b", text))
               or _latest_year(document) <= 2013)
    if 5 not in starts:
        return Sections(title, institution, [], [], False, ref2014)
    end_of_3 = starts.get(4, starts[5])
    section_3 = lines[bodies[3]:end_of_3] if 3 in starts else []
    outputs = len(section_3)
    for index, line in enumerate(section_3):
        if _NOT_OUTPUTS.match(line.text):
            outputs = index
            break
    # The grants and quality indicators after the outputs are kept only where they
    # print a URL.
    references = items(section_3[:outputs]) + [
        item for item in items(section_3[outputs + 1:])
        if any(_URLISH.search(line.text) for line in item.lines)]
    section_5 = lines[bodies[5]:]
    return Sections(title, institution, references, items(section_5), True, ref2014,
                    section_3, section_5)


def _without_furniture(lines: Sequence[Line]) -> list[Line]:
    """The lines without the running heads and feet (and page numbers); at a PDF's page
    break, without the blank lines around them too, which part them from the text, not
    one paragraph from the next (``_page_breaks`` decides that)."""
    out: list[Line] = []
    run: list[Line] = []  # blank lines and furniture since the last line of text
    for line in lines:
        if not line.text.strip() or _FURNITURE.match(line.text):
            run.append(line)
            continue
        pages = {kept.place.page for kept in run} | {line.place.page}
        if out:
            pages.add(out[-1].place.page)
        at_break = None not in pages and len(pages) > 1
        out.extend(kept for kept in run
                   if not at_break and not _FURNITURE.match(kept.text))
        run = []
        out.append(line)
    out.extend(kept for kept in run if not _FURNITURE.match(kept.text))
    return out


def _page_breaks(lines: list[Line]) -> list[Line]:
    """A PDF's page break, its running foot and head left out, is a blank line where the
    page's last line was ended on purpose, short of the margin by more than the next
    page's first word (a paragraph ends there); elsewhere a paragraph or a URL goes on."""
    out: list[Line] = []
    for line in lines:
        before = out[-1] if out else None
        if (before is not None and before.text and line.text
                and before.place.page != line.place.page and before.gap is not None
                and line.lead is not None and before.gap > line.lead + 8.0):
            out.append(Line(text="", place=before.place))
        out.append(line)
    return out


def _wrapped_heading(n: int, lines: Sequence[Line], index: int) -> bool:
    """Whether section n's numbered heading starts on this line and ends on the next."""
    if index + 1 >= len(lines) or not _NUMBERED[n].match(lines[index].text):
        return False
    first = lines[index].text.rstrip()
    match = _HEADING[n].match(f"{first} {lines[index + 1].text.strip()}")
    return match is not None and match.end() > len(first)


def _fields(lines: Sequence[Line]) -> tuple[str | None, str | None]:
    title: str | None = None
    institution: str | None = None
    last_field: int | None = None  # the last field line before section 1
    summary: int | None = None  # section 1's heading
    for index, line in enumerate(lines[:60]):
        if _HEADING[1].match(line.text):
            summary = index
            break
        match = _FIELD.match(line.text)
        if not match:
            continue
        last_field = index
        name, value = match.group(1).lower(), (match.group(2) or "").strip()
        if name == "institution" and institution is None:
            institution = value or _value_after(lines, index, 1)
        elif name == "title of case study" and title is None:
            title = _value_after(lines, index, 3, value)
    if title is None and last_field is not None and summary is not None:
        # No title label: the title is printed alone between the fields and section 1
        # (`Unit of Assessment: 23 Sociology` / `6: Nationalism and ...` / `1. Summary`).
        between = [line.text.strip() for line in lines[last_field + 1:summary]
                   if line.text.strip()]
        if 0 < len(between) <= 3:
            title = " ".join(between)
    return _tidy(title), _tidy(institution)


def _value_after(lines: Sequence[Line], index: int, most: int,
                 value: str = "") -> str | None:
    """A field's value: on the label's line, and on up to ``most`` lines after it (blank
    lines before it skipped) until a blank line, another field or a heading."""
    parts = [value] if value else []
    for following in lines[index + 1:index + 1 + most + 2]:
        if (not following.text.strip() or _FIELD.match(following.text)
                or any(h.match(following.text) for h in _HEADING.values())):
            if parts:
                break
            continue
        parts.append(following.text.strip())
        if len(parts) >= most + (1 if value else 0):
            break
    return " ".join(parts) or None


def _tidy(text: str | None) -> str | None:
    if text is None:
        return None
    text = re.sub(r"\s+", " ", text).strip()
    return text or None


def _latest_year(document: Document) -> int:
    years = [int(y) for line in document.lines
             for y in re.findall(r"(?<![\w/.])((?:19|20)\d\d)(?![\d/])", line.text)]
    return max(years, default=9999)


def items(lines: Sequence[Line]) -> list[Item]:
    """Split a section into its items at the ids printed at the start of lines. The kind
    of id used most in the section is the one that starts items; lines before the first
    are the section's preamble, kept as an item without id only when they hold a URL."""
    kinds: Counter[str] = Counter()
    matches: list[tuple[str, str, str] | None] = []
    expected = {"A": False, "I": True}  # the next capital letter or Roman numeral (True)
    for line in lines:
        hit = _id_of(line.text)
        if hit is not None and hit[0] == "upper":
            if hit[1] not in expected:
                hit = None
            else:
                expected = _next_upper(hit[1], roman=expected[hit[1]])
        matches.append(hit)
        if hit is not None:
            kinds[hit[0]] += 1
    first = next((hit for line, hit in zip(lines, matches, strict=True) if line.text.strip()),
                 None)
    chosen = [kind for kind, count in kinds.most_common()
              if count >= 2 or (first is not None and first[0] == kind)]
    out: list[Item] = []
    current = Item(None)
    if chosen:
        kind = chosen[0]
        for line, hit in zip(lines, matches, strict=True):
            if hit is not None and hit[0] == kind:
                if current.lines:
                    out.append(current)
                current = Item(hit[1], [line], hit[2])
            else:
                current.lines.append(line)
        if current.lines:
            out.append(current)
        return out
    # No ids printed: one item per paragraph (after a blank line) or bullet. Where the
    # document marks its own paragraphs (Word's) and leaves no blank line between them,
    # each paragraph is an item, save one that is only a URL after a citation without one
    # (its author pressed Enter before the link).
    inked = [index for index, line in enumerate(lines) if line.text.strip()]
    by_paragraph = bool(inked) and any(line.paragraph for line in lines) and all(
        line.text.strip() for line in lines[inked[0]:inked[-1] + 1])
    marks = _bullet_marks(lines)
    for line in lines:
        if not line.text.strip():
            if current.lines:
                out.append(current)
                current = Item(None)
            continue
        bullet = _BULLET.match(line.text)
        if bullet is None and (mark := _MARK.match(line.text)) and mark.group(2) in marks:
            bullet = mark
        if bullet or (by_paragraph and line.paragraph and current.lines
                      and not (_ONLY_URL.match(line.text) and not any(
                          _URLISH.search(before.text) for before in current.lines))):
            if current.lines:
                out.append(current)
            current = Item(None, id_text=bullet.group() if bullet else "")
        current.lines.append(line)
    if current.lines:
        out.append(current)
    return out


def _bullet_marks(lines: Sequence[Line]) -> set[str]:
    """The marks (``_MARK``) that are the section's bullets: each that starts two lines or
    more, and stands furthest left, at most one other line starting further left (an
    indented `- ` is a remark under the citation above it)."""
    marked: dict[str, list[int]] = {}
    others: list[int] = []
    for line in lines:
        if not line.text.strip():
            continue
        mark = _MARK.match(line.text)
        if mark:
            marked.setdefault(mark.group(2), []).append(len(mark.group(1)))
        else:
            others.append(len(line.text) - len(line.text.lstrip()))
    left = sorted(others)[1] if len(others) > 1 else None
    return {mark for mark, indents in marked.items()
            if len(indents) >= 2 and (left is None or max(indents) <= left)}


_ROMAN = tuple(roman(n).upper() for n in range(1, 21))  # I to XX


def _next_upper(label: str, *, roman: bool) -> dict[str, bool]:
    """What follows a capital letter or Roman numeral id in its list."""
    if roman:
        return {_ROMAN[_ROMAN.index(label) + 1]: True} if label in _ROMAN[:-1] else {}
    return {chr(ord(label) + 1): False} if len(label) == 1 and label < "Z" else {}


def _id_of(text: str) -> tuple[str, str, str] | None:
    """The kind of id a line starts with, the id, and the text it takes up. Ids with a
    prefix are of a kind per prefix: `S1` starts a source where `G1` (a grant) does not."""
    for kind, pattern in _ID_KINDS:
        match = pattern.match(text)
        if match:
            label = _label(match.group(1).strip())
            prefix = re.match(r"[\[(]?([A-Za-z]*)", label)
            if prefix and prefix.group(1) and any(c.isdigit() for c in label):
                kind = f"{kind}:{prefix.group(1)}"
            return kind, label, text[:match.end()]
    return None


def _label(printed: str) -> str:
    """The id without the punctuation that follows it (`a)` → `a`, `1.` → `1`, `S1:` →
    `S1`); brackets around it are kept (`[3]`, `(a)`), as README's ids are."""
    label = printed.rstrip(".:")
    if label.endswith(")") and label.count("(") < label.count(")"):
        label = label[:-1]
    return label.rstrip(".:") or printed
