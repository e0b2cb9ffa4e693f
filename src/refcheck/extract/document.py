"""What every reader makes of its input: lines of text with their place, and the links
the document itself carries (PDF annotations, Word hyperlinks). Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Place:
    """Where something is printed: page and line for a PDF, line for text and Word, the
    field and its line for an API record. Lines count from 1; a PDF's from the top of
    its page, blank lines not counted."""

    line: int
    page: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.field:
            where = f"{self.field}, {where}"
        if self.page is not None:
            where = f"page {self.page}, {where}"
        return where


@dataclass(frozen=True)
class Line:
    """One printed line. For a PDF, ``gap`` is how far short of the right margin it ends
    and ``lead`` the width of its first word (points): whether a URL at the end of a line
    continues on the next depends on them. None where the input has no geometry.
    ``paragraph`` is True for the first line of a paragraph where the document itself
    marks its paragraphs (a Word paragraph), so that no blank line is needed between
    two."""

    text: str
    place: Place
    gap: float | None = None
    lead: float | None = None
    paragraph: bool = False


@dataclass(frozen=True)
class Link:
    """A link target the document carries, and the lines its anchor text is on."""

    target: str
    anchor: str
    places: tuple[Place, ...]


@dataclass
class Document:
    """A case study as read: its lines in reading order and its links."""

    name: str
    lines: list[Line]
    links: list[Link] = field(default_factory=list)
    kind: str = "text"  # "pdf", "docx", "html", "text" or "record"
