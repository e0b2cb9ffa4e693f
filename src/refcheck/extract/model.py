"""What an extraction produces: the case, its sources and references, each URL with its
printed form and the repairs made to it. Frozen values; no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from refcheck.errors import RefcheckError
from refcheck.extract.document import Place

#: The REF2014 submission deadline: evidence in REF2014 case studies was cited by then.
REF2014_DEADLINE = dt.date(2013, 11, 29)


class ExtractionError(RefcheckError):
    """A document refcheck cannot extract from; the message names the file and what to do."""


@dataclass(frozen=True)
class ExtractedUrl:
    """One URL of an entry: what to check, what was printed, and how it was recovered."""

    url: str
    printed: str  # as printed; a newline at each line break
    places: tuple[Place, ...]
    rules: tuple[str, ...] = ()  # names of the repairs made (``repair.RULES``)
    uncertain: bool = False
    alternative: str | None = None  # the next most likely URL, when uncertain
    from_link: bool = False  # taken from the document's link target
    doi: str | None = None  # printed as a DOI, not as a URL
    #: Where the document's own link over the URL points, when the printed URL was written
    #: instead because the link is damaged (rule `link-typo`), and how it is damaged.
    link_target: str | None = None
    link_damage: str | None = None

    @property
    def repaired(self) -> bool:
        return bool(self.rules)

    @property
    def place(self) -> Place:
        return self.places[0]


@dataclass(frozen=True)
class Entry:
    """A source (section 5) or reference (section 3) as printed."""

    id: str
    title: str
    urls: tuple[ExtractedUrl, ...]
    place: Place | None
    kind: str  # "source" or "reference"
    id_printed: bool = True  # False when the document numbers none and refcheck did
    doi: str | None = None


@dataclass(frozen=True)
class Summary:
    sources: int
    references: int
    urls: int
    repaired: int
    uncertain: tuple[ExtractedUrl, ...]
    #: URLs written as printed where the document's link points elsewhere.
    disagreeing: tuple[ExtractedUrl, ...] = ()


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one document, and its case file."""

    name: str  # the document's path, or the record's id
    kind: str  # "pdf", "docx", "html", "text" or "record"
    title: str | None
    institution: str | None
    id: str | None
    date: dt.date | None
    date_is_default: bool
    sources: tuple[Entry, ...]
    references: tuple[Entry, ...]
    yaml: str = ""
    #: For each line of ``yaml`` that holds a URL (1-based), where it is printed.
    places: dict[int, Place] = field(default_factory=dict)

    def to_yaml(self) -> str:
        return self.yaml

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.sources + self.references

    @property
    def summary(self) -> Summary:
        urls = [u for e in self.entries for u in e.urls]
        return Summary(
            sources=len(self.sources),
            references=len(self.references),
            urls=len(urls),
            repaired=sum(1 for u in urls if u.repaired),
            uncertain=tuple(u for u in urls if u.uncertain),
            disagreeing=tuple(u for u in urls if u.link_target),
        )

    def place_of_line(self, line: int) -> Place | None:
        """Where the URL on line ``line`` of the case file is printed in the document."""
        return self.places.get(line)
