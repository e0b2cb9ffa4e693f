"""The case file as YAML text, written by hand so that every repaired URL can carry its
printed form in a comment beside it (a YAML library drops comments), and every value is
quoted where YAML would misread it."""

from __future__ import annotations

import re

from refcheck.extract.document import Place
from refcheck.extract.model import Entry, ExtractedUrl, Extraction
from refcheck.extract.repair import RULES

#: Characters PyYAML refuses anywhere in a file, comments included, and YAML's own line
#: breaks that are not newlines.
_UNPRINTABLE = re.compile("[^\x09\x0a\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
                          "|[\u2028\u2029\ufeff]")
_PLAIN_URL = re.compile(r"^https?://[^\s'\"`{}\[\],#|>]+$")


def quoted(text: str) -> str:
    """A YAML double-quoted scalar: safe for any text."""
    # Half a UTF-16 pair (a PDF's broken text map gives them) has no YAML escape that
    # reads back: a pair becomes its character, a lone half the replacement character.
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif _UNPRINTABLE.match(char) or char in "\t\n\r":
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def url_scalar(url: str) -> str:
    """A URL plain where YAML reads it back unchanged, quoted otherwise."""
    if (_PLAIN_URL.match(url) and not url.endswith(":") and ": " not in url
            and not _UNPRINTABLE.search(url)):
        return url
    return quoted(url)


def comment_text(text: str) -> str:
    return _UNPRINTABLE.sub("?", text.replace("\t", " "))


def _where(places: tuple[Place, ...]) -> str:
    first, last = places[0], places[-1]
    if len(places) == 1 or first == last:
        return str(first)
    if first.page == last.page and first.field == last.field:
        return f"{first}-{last.line}".replace("line ", "lines ", 1)
    return f"{first} to {last}"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.places: dict[int, Place] = {}

    def add(self, line: str, place: Place | None = None) -> None:
        self.lines.append(line.rstrip())
        if place is not None:
            self.places[len(self.lines)] = place

    def comment(self, indent: str, text: str, *, first: str = "") -> None:
        for index, part in enumerate(text.split("\n")):
            lead = first if index == 0 else " " * len(first)
            self.add(f"{indent}# {lead}{comment_text(part)}")


def render(extraction: Extraction) -> tuple[str, dict[int, Place]]:
    """The case file, and for each line holding a URL where the document prints it."""
    w = _Writer()
    w.add(f"# Case file extracted by refcheck from {comment_text(extraction.name)}.")
    w.add("# Repaired URLs keep their printed form in a comment; check those marked uncertain.")
    w.add("case:")
    w.add(f"  title: {quoted(extraction.title or 'Untitled case study')}")
    if not extraction.title:
        w.comment("  ", "the document prints no title: write it here")
    if extraction.institution:
        w.add(f"  institution: {quoted(extraction.institution)}")
    if extraction.id:
        w.add(f"  id: {quoted(extraction.id)}")
    if extraction.date is not None:
        note = ("   # REF2014 submission deadline (the default for REF2014 case studies): "
                "captures nearest this date are preferred" if extraction.date_is_default
                else "")
        w.add(f"  date: {extraction.date.isoformat()}{note}")
    else:
        w.comment("  ", "date: YYYY-MM-DD   when the evidence was cited (refcheck extract "
                  "--date)")
    for key, entries, heading in (
            ("sources", extraction.sources, "Section 5: sources to corroborate the impact."),
            ("references", extraction.references,
             "Section 3: references to the research.")):
        if key == "references" and not entries:
            continue
        w.add("")
        w.add(f"# {heading}")
        if not entries:
            w.add(f"{key}: []")
            continue
        w.add(f"{key}:")
        for entry in entries:
            _entry(w, entry, _LINKS.get(extraction.kind, "the document's link"))
    return "\n".join(w.lines) + "\n", w.places


#: What a document's own link is called in a comment.
_LINKS = {"pdf": "the PDF's link", "docx": "the Word document's link",
          "html": "the web page's link"}


def _entry(w: _Writer, entry: Entry, link: str) -> None:
    w.add(f"  - id: {quoted(entry.id)}" + ("" if entry.id_printed else
                                           "   # not numbered in the document: numbered here"))
    w.add(f"    title: {quoted(entry.title)}")
    doi_url = next((u for u in entry.urls if u.doi), None)
    urls = [u for u in entry.urls if u is not doi_url]
    if len(urls) == 1:
        _url(w, urls[0], "    url: ", "    ", link)
    elif urls:
        w.add("    urls:")
        for item in urls:
            _url(w, item, "      - ", "      ", link)
    if doi_url is not None and doi_url.doi:
        w.add(f"    doi: {quoted(doi_url.doi)}", doi_url.place)
        _notes(w, doi_url, "    ", link)
    elif entry.doi:
        w.add(f"    doi: {quoted(entry.doi)}")


def _url(w: _Writer, item: ExtractedUrl, key: str, indent: str, link: str) -> None:
    w.add(f"{key}{url_scalar(item.url)}", item.place)
    _notes(w, item, indent, link)


def _notes(w: _Writer, item: ExtractedUrl, indent: str, link: str) -> None:
    if item.from_link and not item.rules:
        w.comment(indent, f"the link on {item.printed!r} ({_where(item.places)})")
        return
    if not item.repaired:
        return
    w.comment(indent, item.printed, first=f"printed ({_where(item.places)}): ")
    done = ", ".join(RULES[name].name for name in item.rules if name in RULES)
    w.comment(indent, f"repaired: {done}")
    if item.uncertain:
        other = f"; or {item.alternative}" if item.alternative else ""
        w.comment(indent, f"uncertain: the text does not settle this repair{other}")
    if item.link_target:
        why = f" ({item.link_damage})" if item.link_damage else ""
        w.comment(indent, f"{link} points to {item.link_target}")
        w.comment(indent, f"written as printed instead: the link looks damaged{why}")
