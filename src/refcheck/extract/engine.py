"""From a document to an ``Extraction``: sections and items, the URLs of each item, the
document's own links where it has them, and the case file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

from refcheck.extract import (
    docx,
    finder,
    pdf,
    records,
    repair,
    sections,
    text,
    webpage,
    yaml_out,
)
from refcheck.extract.document import Document, Link
from refcheck.extract.model import (
    REF2014_DEADLINE,
    Entry,
    ExtractedUrl,
    Extraction,
    ExtractionError,
)

#: How long an entry's title may be before it is shortened.
TITLE_LENGTH = 150
TEXT_SUFFIXES = (".txt", ".md", ".text", ".markdown")


def read_document(path: Path) -> Document | records.Record:
    """The right reader for the file, by its first bytes, then by its name."""
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
    except IsADirectoryError:
        raise ExtractionError(f"{path}: a directory; expected a case-study PDF, .docx, .txt, "
                              ".md, web page (.htm) or REF records (.json) file") from None
    except OSError as exc:
        raise ExtractionError(f"{path}: cannot read: {exc.strerror}") from None
    suffix = path.suffix.lower()
    if head.startswith(_OLE):
        raise ExtractionError(_office_97(path))
    if head.startswith((b"{\\rtf", b"\xef\xbb\xbf{\\rtf")):
        raise ExtractionError(f"{path}: a Rich Text (RTF) file, which refcheck does not read; "
                              "open it in Word and save it as .docx (Word Document), or save "
                              "its text as .txt, and extract from that")
    if head.startswith(b"%PDF") or suffix == ".pdf":
        if not head.startswith(b"%PDF") and b"%PDF" not in _head(path, 1024):
            raise ExtractionError(f"{path}: not a PDF (it does not start with %PDF); check "
                                  "that the download is complete")
        return pdf.read(path)
    if suffix in webpage.SUFFIXES or webpage.is_web_page(_head(path, 1024)):
        return webpage.read(path)
    if suffix == ".docx" or head.startswith(b"PK\x03\x04"):
        return docx.read(path)
    if suffix == ".json":
        return records.read_json(path)
    if suffix in (".yaml", ".yml"):
        raise ExtractionError(f"{path}: already a case file (YAML), which refcheck checks as it "
                              f"is: refcheck {path}. Extract from the case study itself (its "
                              "PDF, .docx or text)")
    if suffix in (".jsonl", ".gz"):
        raise ExtractionError(f"{path}: a JSON-lines file of records; extract it with "
                              "--out-dir DIR, one case file per record")
    return text.read(path)


#: The start of an OLE compound file: Word 97-2003's .doc, and any Office file
#: protected with a password to open.
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _office_97(path: Path) -> str:
    """What to say of an OLE compound file given as a case study."""
    try:
        with path.open("rb") as stream:
            data = stream.read(docx.MAX_XML_BYTES)
    except OSError:
        data = b""
    if "EncryptedPackage".encode("utf-16-le") in data:
        return (f"{path}: the Word document is protected with a password (it opens only with "
                "it); open it in Word, remove the password (File > Info > Protect Document > "
                "Encrypt with Password, and clear it), save it, and extract from that")
    if "WordDocument".encode("utf-16-le") in data:
        return (f"{path}: a Word 97-2003 document (.doc), which refcheck does not read; open "
                "it in Word and save it as .docx (File > Save As > Word Document), and "
                "extract from that")
    return (f"{path}: an Office 97-2003 file, not a case study refcheck reads; save the case "
            "study as PDF or .docx, and extract from that")


def _head(path: Path, size: int) -> bytes:
    with path.open("rb") as stream:
        return stream.read(size)


def extract(path: Path, *, date: dt.date | None = None) -> Extraction:
    """Read one case study (PDF, Word, text or a REF2014 API record) into a case file."""
    read = read_document(path)
    if isinstance(read, records.Record):
        return from_record(read, str(path), date=date)
    return from_document(read, date=date)


def from_document(document: Document, *, date: dt.date | None = None) -> Extraction:
    found = sections.split(document)
    if not found.has_sources:
        raise ExtractionError(
            f"{document.name}: no section 5 (\"Sources to corroborate the impact\") found; "
            "is this a REF impact case study? Check that the heading is in the text "
            "(a scanned page has none)")
    pool = _Pool(document)
    sources = _entries(found.sources, "source", document.links, pool)
    references = _entries(found.references, "reference", document.links, pool)
    chosen, default = _date(date, found.ref2014)
    return _finish(Extraction(
        name=document.name, kind=document.kind, title=found.title,
        institution=found.institution, id=None, date=chosen, date_is_default=default,
        sources=tuple(sources), references=tuple(references)))


def from_record(record: records.Record, name: str, *,
                date: dt.date | None = None) -> Extraction:
    pool = _Pool(record.sources)
    sources = _entries(sections.items(record.sources.lines), "source", [], pool)
    references = (_entries(sections.items(record.references.lines), "reference", [], pool)
                  if record.references is not None else [])
    chosen, default = _date(date, True)
    return _finish(Extraction(
        name=name if record.id is None else f"{name} (record {record.id})", kind="record",
        title=record.title, institution=record.institution, id=record.id, date=chosen,
        date_is_default=default, sources=tuple(sources), references=tuple(references)))


def _date(date: dt.date | None, ref2014: bool) -> tuple[dt.date | None, bool]:
    if date is not None:
        return date, False
    return (REF2014_DEADLINE, True) if ref2014 else (None, False)


def _finish(extraction: Extraction) -> Extraction:
    text_, places = yaml_out.render(extraction)
    return dataclasses.replace(extraction, yaml=text_, places=places)


# -- entries ---------------------------------------------------------------------------

def _entries(items: Sequence[sections.Item], kind: str, links: Sequence[Link],
             pool: _Pool) -> list[Entry]:
    out: list[Entry] = []
    seen: set[str] = set()
    numbered = any(item.id is not None for item in items)
    for number, item in enumerate(items, start=1):
        if not any(line.text.strip() for line in item.lines):
            continue
        found = finder.find(item.lines)
        urls = _with_links(found, item, links)
        urls = [pool.confirm(u) for u in urls]
        urls = _dedupe(urls)
        if (item.id is None and not urls and kind == "source"
                and _is_preamble(item, out, numbered=numbered, first=number == 1)):
            continue
        label = item.id or str(number)
        unique = label
        suffix = 2
        while unique in seen:
            unique = f"{label}-{suffix}"
            suffix += 1
        seen.add(unique)
        citation = _item_text(item)
        # A link's words are the citation's own (`Why do people comply with the law?`)
        # and stay in the title, unless they only say where the link is (`DOI`, `here`).
        title = (shorten(citation, [u.printed for u in urls if not _worded(u)])
                 or _fallback_title(urls))
        doi = next((u.doi for u in urls if u.doi), None) or next(
            (d for d in (_doi_of_url(u.url) for u in urls) if d), None)
        out.append(Entry(id=unique, title=title, urls=tuple(urls),
                         place=item.lines[0].place if item.lines else None, kind=kind,
                         id_printed=item.id is not None, doi=doi))
    return out


#: What a section's preamble says of the sources, where no ids are printed.
_PREAMBLE = re.compile(r":\s*$|\b(?:following|below)\b|\ball\b.*\b(?:available|held|on "
                       r"request|on file)\b", re.IGNORECASE)


def _is_preamble(item: sections.Item, before: list[Entry], *, numbered: bool,
                 first: bool) -> bool:
    """Lines before the first numbered item ("All documents are available on request");
    a bullet is an item, not a preamble. Where no ids are printed, only the first
    paragraph can be one, and only where it speaks of the sources (`The following are
    held on file:`): the others without a URL are sources (`Letter from the Director`)."""
    if item.id_text or before:
        return False
    return numbered or (first and bool(_PREAMBLE.search(_item_text(item))))


def _item_text(item: sections.Item) -> str:
    parts = [line.text.strip() for line in item.lines]
    if parts and item.id_text:
        parts[0] = item.lines[0].text[len(item.id_text):].strip()
    return " ".join(p for p in parts if p)


#: The words of a link that only say where it is.
_LINK_WORDS = frozenset({"doi", "archived", "archive", "here", "link", "this", "website",
                         "web", "site", "online", "pdf", "full", "text", "click", "available",
                         "url", "see", "page", "copy", "the", "at", "on", "via"})


def _worded(url: ExtractedUrl) -> bool:
    """A document's link over words of the citation (a report's name), not over a URL or
    words that only say where the link is (`DOI`, `Archived`, `here`)."""
    if not url.from_link or re.search(r"https?:|www\.|doi\.org", url.printed, re.IGNORECASE):
        return False
    return not all(word in _LINK_WORDS for word in re.findall(r"\w+", url.printed.lower()))


def _fallback_title(urls: Sequence[ExtractedUrl]) -> str:
    if not urls:
        return "Untitled source"
    address = re.sub(r"^https?://", "", urls[0].url)
    return address if len(address) <= 80 else address[:79] + "\u2026"


_DROP = (
    re.compile(r"\(?\s*\b(?:last\s+)?(?:accessed|viewed|retrieved|visited|consulted)\b"
               r"(?:\s+(?:on|at))?\s*:?\s*[\dA-Za-z ,/.\-]{0,30}\d{2,4}\s*\)?\.?", re.IGNORECASE),
    re.compile(r"\b(?:available|accessible|online|link|see|url|web(?:site)?)\s*(?:at|from|on|"
               r"via)?\s*:?\s*$", re.IGNORECASE),
    re.compile(r"\bdoi\s*:?\s*(?=[.,;)>]|$)", re.IGNORECASE),
    re.compile(r",?\s*\bsee\s*(?=[):.]?\s*$)", re.IGNORECASE),
)


def shorten(text_: str, printed: Sequence[str]) -> str:
    """An entry's title from its citation: the URLs taken out, then cut at a word."""
    for form in sorted(printed, key=len, reverse=True):
        for variant in (form, form.replace("\n", " ")):
            text_ = text_.replace(variant, " ")
    text_ = re.sub(r"\b(?:https?://|www\.)\S+", " ", text_)
    text_ = re.sub(r"\b(?:doi\s*:?\s*)?10\.\d{4,9}/\S+", " ", text_, flags=re.IGNORECASE)
    text_ = re.sub(r"(\w)- (\w)", r"\1-\2", text_)
    text_ = re.sub(r"\s+", " ", text_).strip()
    for pattern in _DROP:
        text_ = pattern.sub(" ", text_).strip()
        text_ = re.sub(r"\s+", " ", text_)
    # What held a URL, left empty: `<>` (`<http://…>`, as e-mail and Markdown write one)
    # with the `,` or `:` before it, or its `<` alone where the URL took its `>`; `()`, `[]`.
    text_ = re.sub(r"[,:;]?\s*(?:<\s*>|<(?=\s*(?:[,.;:)]|$)))", "", text_)
    text_ = re.sub(r"\(\s*\)|\[\s*\]", " ", text_)
    text_ = re.sub(r"\s+([,.;:)])", r"\1", re.sub(r"\s+", " ", text_)).strip()
    text_ = text_.strip(" ,;:-\u2013(").strip()
    if len(text_) > TITLE_LENGTH:
        cut = text_.rfind(" ", 0, TITLE_LENGTH)
        text_ = text_[:cut if cut > 60 else TITLE_LENGTH].rstrip(" ,;:-(") + "\u2026"
    return text_


def _doi_of_url(url: str) -> str | None:
    match = re.match(r"^https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/\S+)$", url, re.IGNORECASE)
    return unquote(match.group(1)) if match else None


def _dedupe(urls: list[ExtractedUrl]) -> list[ExtractedUrl]:
    seen: set[str] = set()
    out = []
    for item in urls:
        key = comparable(item.url)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def comparable(url: str) -> str:
    """The form two URLs are compared in: scheme, host case, percent-encoding and one
    trailing slash do not count, nor which DOI resolver a DOI link names."""
    value = unquote(url.strip())
    value = re.sub(r"^https?://", "", value, flags=re.IGNORECASE)
    host, _, rest = value.partition("/")
    host = host.lower()
    if host in ("dx.doi.org", "www.doi.org"):
        host = "doi.org"
    value = host + ("/" + rest if rest else "")
    return value[:-1] if value.endswith("/") else value


# -- links -----------------------------------------------------------------------------

def _compact(text_: str) -> str:
    return re.sub(r"\s+", "", text_)


def _with_links(found: list[finder.Found], item: sections.Item,
                links: Sequence[Link]) -> list[ExtractedUrl]:
    """The item's URLs, each reconciled with the link target printed over it; links over
    text that is not a URL ("DOI", "here") are added as URLs of their own."""
    places = {line.place for line in item.lines if line.text.strip()}
    mine = [link for link in links if places.intersection(link.places)]
    out: list[ExtractedUrl] = []
    used: set[int] = set()
    for item_url in found:
        link = _link_over(item_url, mine, used)
        out.append(_reconcile(item_url, link))
    for index, link in enumerate(mine):
        if index in used or not link.target.lower().startswith(("http://", "https://")):
            continue
        target = repair.unwrap_redirector(link.target) or link.target
        if any(comparable(u.url) == comparable(target) for u in out):
            continue
        anchor = re.sub(r"\s+", " ", link.anchor).strip()
        out.append(ExtractedUrl(url=target, printed=anchor or "(no text)",
                                places=link.places, from_link=True,
                                rules=("redirector",) if target != link.target else ()))
    return out


def _link_over(item_url: finder.Found, links: Sequence[Link], used: set[int]) -> Link | None:
    printed = _compact(item_url.printed)
    best: tuple[int, int] | None = None
    for index, link in enumerate(links):
        if index in used or not set(item_url.places).intersection(link.places):
            continue
        anchor = _compact(link.anchor)
        if not anchor:
            continue
        shared = _overlap(printed, anchor)
        if shared >= min(12, len(printed)) and (best is None or shared > best[0]):
            best = (shared, index)
    if best is None:
        return None
    used.add(best[1])
    return links[best[1]]


def _overlap(a: str, b: str) -> int:
    """Length of the longest common prefix of the URL parts of two strings."""
    a = re.sub(r"^.*?(?=https?:|www\.)", "", a, count=1, flags=re.IGNORECASE)
    b = re.sub(r"^.*?(?=https?:|www\.)", "", b, count=1, flags=re.IGNORECASE)
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _reconcile(item_url: finder.Found, link: Link | None) -> ExtractedUrl:
    text_url = ExtractedUrl(url=item_url.url, printed=item_url.printed, places=item_url.places,
                            rules=item_url.rules, uncertain=item_url.uncertain,
                            alternative=item_url.alternative, doi=item_url.doi)
    if link is None or not link.target.lower().startswith(("http://", "https://")):
        return text_url
    target = repair.unwrap_redirector(link.target) or link.target
    redirected = ("redirector",) if target != link.target else ()
    if comparable(target) == comparable(item_url.url):
        # The link confirms the reading of the text: any doubt is settled.
        return ExtractedUrl(url=item_url.url, printed=item_url.printed,
                            places=item_url.places, rules=item_url.rules, doi=item_url.doi)
    damage = link_damage(target, item_url.url)
    if damage is not None:
        # The page's URL is written; the link's target goes beside it, so both are seen.
        return ExtractedUrl(url=item_url.url, printed=item_url.printed, places=item_url.places,
                            rules=(*item_url.rules, "link-typo"), doi=item_url.doi,
                            link_target=target, link_damage=damage)
    rules = tuple(r for r in item_url.rules if r not in ("trailing", "bracket")) + redirected
    if _compact(item_url.printed) != target:
        rules = (*rules, "link")
    return ExtractedUrl(url=target, printed=item_url.printed, places=item_url.places,
                        rules=tuple(dict.fromkeys(rules)), from_link=True)


_ESCAPES = re.compile(r"%[0-9A-Fa-f]{2}")


def link_damage(target: str, text_url: str) -> str | None:
    """How the link target, not the printed URL, went wrong, or None when it did not: a
    space typed into it where the text wraps, the words after the URL swallowed into it,
    or its escapes (`%5C`) lost. An archived URL in the one-slash form a browser shows
    (`/20130107105354/http:/www.`) is not damage: the archive serves both forms, so the
    link is used as it is."""
    plain_target, plain_text = unquote(target), unquote(text_url)
    if re.search(r"\s", plain_target):
        if re.sub(r"\s+", "", plain_target) == plain_text:
            return "a space typed into it"
        if plain_target.startswith(plain_text) and plain_target[len(plain_text)].isspace():
            return "the words after the URL taken into it"
    if _ESCAPES.search(text_url) is not None and _ESCAPES.sub("", text_url) == target:
        escapes = dict.fromkeys(m.upper() for m in _ESCAPES.findall(text_url))
        return f"the printed {', '.join(escapes)} escapes lost"
    return None


# -- confirmation ----------------------------------------------------------------------

_DOUBTFUL = frozenset({"space", "lost-underscore", "ocr-split", "ocr-pipe"})


class _Pool:
    """Every URL the document prints, for the rule `confirmed`: a damaged printing is
    replaced by a clean printing of the same URL elsewhere in the document."""

    def __init__(self, document: Document) -> None:
        self.clean: list[str] = []
        for item in finder.find(document.lines):
            if not _DOUBTFUL.intersection(item.rules) and not item.uncertain:
                self.clean.append(item.url)
        for link in document.links:
            if link.target.lower().startswith(("http://", "https://")):
                self.clean.append(link.target)
        self.skeletons = [(_skeleton(u), u) for u in dict.fromkeys(self.clean)]

    def confirm(self, item: ExtractedUrl) -> ExtractedUrl:
        if item.from_link or not (item.uncertain or _DOUBTFUL.intersection(item.rules)):
            return item
        mine = _skeleton(item.url)
        best: tuple[int, str] | None = None
        for skeleton, url in self.skeletons:
            if abs(len(skeleton) - len(mine)) > 2:
                continue
            distance = _distance(mine, skeleton, limit=2)
            if distance <= 2 and (best is None or distance < best[0]):
                best = (distance, url)
        if best is None or (best[0] and not _DOUBTFUL.intersection(item.rules)):
            return item
        return dataclasses.replace(item, url=best[1], rules=(*item.rules, "confirmed"),
                                   uncertain=False, alternative=None)


def _skeleton(url: str) -> str:
    return re.sub(r"[^a-z0-9]", "", re.sub(r"^https?://", "", unquote(url).lower()))


def _distance(a: str, b: str, *, limit: int) -> int:
    """Levenshtein distance, giving up (limit + 1) once it must exceed ``limit``."""
    if a == b:
        return 0
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (x != y)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
