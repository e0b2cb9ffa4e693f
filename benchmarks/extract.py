"""URL recovery benchmark for `refcheck extract`, scored as issue 12 asks.

    python benchmarks/extract.py [--pdfs DIR] [--records FILE] [--show]

On every PDF in --pdfs (default ../shared/corpus/pdfs), the ground truth is the PDF's own
link annotations over printed URLs in sections 3 and 5 (an annotation over "DOI" or
"Archived" prints no URL and is not scored). Three scores, each the share of those URLs
written exactly (after normalising scheme, host case, percent-encoding, one trailing `/`
and which DOI resolver a DOI link names):

  (a) from the PDF as published (annotations and text);
  (b) from the text layer alone: each PDF rewritten without its annotations;
  (c) from the REF2014 API records of the same case studies (--records, matched by title
      and institution), over the ground-truth URLs the record's text prints.

A URL not written exactly is "damaged" when the case file holds a URL close to it (a
truncated, over-joined or misread one) and "missed" otherwise. Then timings: extraction
of each PDF, and the whole records file to case files in a temporary directory.

A few annotations are themselves damaged (Word made the link from text with a typed space
or lost its backslashes); ``TRUTH_FIXES`` lists them with the reason, and the figures are
given both against the annotations as they are and with those fixed. Two differences are
not damage and are scored as the same URL (``same``): an archived URL's one-slash form
(`/http:/www.`) and a last query parameter's empty `=`.

Records are matched to PDFs by title and institution, both compared without entities,
accents, ligatures, quotes, dashes, punctuation or case; a case number before the title
(`6: Nationalism …`, `C2 — …`) does not count, nor a title cut short (the first six words
or more the same), nor `the`, `of` or the order of an institution's words.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import html
import io
import json
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from refcheck import cases
from refcheck.extract import extract, extract_records, pdf, sections
from refcheck.extract.engine import comparable
from refcheck.extract.repair import unwrap_redirector

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"

#: Annotation targets that are not the URL the author printed, and why.
TRUTH_FIXES = {
    "https://www.gov.uk/government/%20uploads/system/uploads/attachment_data/file/213333/"
    "ACRA201218A-Developing-the-Mental-Health-Funding-Formula-For-Allocations-to-General-"
    "Practices.pdf": ("https://www.gov.uk/government/uploads/system/uploads/attachment_data/"
                      "file/213333/ACRA201218A-Developing-the-Mental-Health-Funding-Formula-"
                      "For-Allocations-to-General-Practices.pdf",
                      "a space typed before the wrap became %20 in the link"),
    "http://www.dh.gov.uk/prod_consum_dh/groups/dh_digitalassets/documents/digitalasset/"
    "dh%20_094392.pdf": ("http://www.dh.gov.uk/prod_consum_dh/groups/dh_digitalassets/"
                         "documents/digitalasset/dh_094392.pdf",
                         "a space typed before the wrap became %20 in the link"),
    "http://neon.vb.cbs.nl/casc/..cascmu.htm": ("http://neon.vb.cbs.nl/casc/..%5Ccasc%5Cmu.htm",
                                                "the link lost the printed %5C escapes"),
    "http://neon.vb.cbs.nl/casc/..cascprivatedeliverablesMUManual4.3.pdf": (
        "http://neon.vb.cbs.nl/casc/..%5Ccascprivate%5Cdeliverables%5CMUManual4.3.pdf",
        "the link lost the printed %5C escapes"),
}
_PRINTS_URL = re.compile(r"https?:|www\.|doi\.org|10\.\d{4,9}/", re.IGNORECASE)


@dataclass
class Truth:
    pdf: Path
    urls: list[str]  # as the annotations say (redirectors unwrapped)
    fixed: list[str]  # with TRUTH_FIXES applied
    title: str | None
    institution: str | None


@dataclass
class Score:
    exact: int = 0
    damaged: int = 0
    missed: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.exact + self.damaged + self.missed

    def line(self, label: str) -> str:
        share = 100.0 * self.exact / self.total if self.total else 0.0
        bad = 100.0 * self.damaged / self.total if self.total else 0.0
        return (f"{label}: {self.exact}/{self.total} exact ({share:.1f}%), "
                f"{self.damaged} written damaged ({bad:.1f}%), {self.missed} missed")


def truth_of(path: Path) -> Truth:
    document = pdf.read(path)
    split = sections.split(document)
    places = {line.place for line in split.reference_lines + split.source_lines}
    urls = []
    for link in document.links:
        if not places.intersection(link.places) or not _PRINTS_URL.search(link.anchor):
            continue
        if not link.target.lower().startswith(("http://", "https://")):
            continue
        urls.append(unwrap_redirector(link.target) or link.target)
    fixed = [TRUTH_FIXES[u][0] if u in TRUTH_FIXES else u for u in urls]
    return Truth(path, urls, fixed, split.title, split.institution)


_ARCHIVED_ONE_SLASH = re.compile(r"(?<=/)(https?:)/(?!/)", re.IGNORECASE)
_EMPTY_LAST_VALUE = re.compile(r"([?&][^=&#/]+)=$")


def same(url: str) -> str:
    """The form URLs are scored in: ``comparable``'s, and two more pairs of forms that
    name the same resource. An archived URL's one-slash form, as a browser shows it
    (`/20130107105354/http:/www.dh.gov.uk/`), is the printed two-slash form: the archive
    serves both. A last query parameter with an empty value is the same with or without
    its `=` (`…&q=` as pdfs/26 prints it, `…&q` as its link has it): both are `q` = ""."""
    return _EMPTY_LAST_VALUE.sub(r"\1", comparable(_ARCHIVED_ONE_SLASH.sub(r"\1//", url)))


def written(extraction_urls: list[str]) -> set[str]:
    return {same(u) for u in extraction_urls}


def score(truth: list[str], urls: list[str], into: Score, name: str) -> None:
    have = written(urls)
    spare = [u for u in have if u not in {same(t) for t in truth}]
    for url in dict.fromkeys(same(t) for t in truth):
        if url in have:
            into.exact += 1
            continue
        close = difflib.get_close_matches(url, spare, n=1, cutoff=0.75)
        if close:
            into.damaged += 1
            into.details.append(f"{name}: DAMAGED {url}\n      wrote {close[0]}")
        else:
            into.missed += 1
            into.details.append(f"{name}: MISSED  {url}")


_DOI_URL = re.compile(r"^https?://(?:dx\.|www\.)?doi\.org/", re.IGNORECASE)


def prints(skeleton: str, url: str) -> bool:
    """Does a record's text (as ``_skeleton``) print the URL? A DOI link counts when the
    text prints its DOI (`doi: 10.1016/...`), as it does for the PDFs' own anchors."""
    bare = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
    return _skeleton(bare) in skeleton or bool(
        _DOI_URL.match(url) and _skeleton(unquote(_DOI_URL.sub("", url))) in skeleton)


def urls_of(path: Path) -> list[str]:
    extraction = extract(path)
    return [u.url for entry in extraction.entries for u in entry.urls]


def without_annotations(path: Path, into: Path) -> Path:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=PdfReader(path))
    for page in writer.pages:
        if NameObject("/Annots") in page:
            del page[NameObject("/Annots")]
    target = into / path.name
    buffer = io.BytesIO()
    writer.write(buffer)
    target.write_bytes(buffer.getvalue())
    return target


def _norm(text: str | None) -> str:
    """Text as compared: entities decoded (`&amp;`, `&#8212;`), ligatures and other
    compatibility forms folded (NFKD), accents dropped, and quotes, dashes, punctuation,
    case and whitespace ignored."""
    value = unicodedata.normalize("NFKD", html.unescape(text or ""))
    value = "".join(c for c in value if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", value.lower()).strip()


def _skeleton(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


#: A case number printed before the title (`6: Nationalism ...`, `C2 — Improved ...`,
#: `10-03 Small Area ...`, `Case 2 - Research ...`).
_CASE_NUMBER = re.compile(r"^(?:case (?:study )?)?(?:[a-z]?\d{1,3} )+")


def _title_key(text: str | None) -> str:
    return _CASE_NUMBER.sub("", _norm(text).removesuffix(" pdf")).strip()


_NOT_NAME = frozenset({"the", "of", "and", "at", "amp"})


def _institution_key(text: str | None) -> frozenset[str]:
    """The words of an institution's name, without `the`, `of`, a UKPRN (`10007857 Bangor
    University`) or the order of the words (`Queen's University, Belfast`)."""
    return frozenset(w for w in _norm(text).split() if w not in _NOT_NAME and not w.isdigit())


def _same_institution(a: str | None, b: str | None) -> bool:
    mine, theirs = _institution_key(a), _institution_key(b)
    if not mine or not theirs:
        return False
    # One may add an acronym or a place (`... (LSHTM)`, `University of London`).
    return mine <= theirs or theirs <= mine


def _same_title(a: str, b: str) -> bool:
    """The same title, or one cut short (`...`, a line lost) where the other goes on: at
    least six words in common from the start."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short.split()) >= 6 and long_.startswith(short)


def match_records(truths: list[Truth], records: Path) -> dict[Path, dict[str, object]]:
    """Each PDF's REF2014 API record: the same title (near enough) and institution."""
    found: dict[Path, dict[str, object]] = {}
    by_title: dict[str, list[dict[str, object]]] = {}
    with gzip.open(records, "rt", encoding="utf-8") as stream:
        for raw in stream:
            record = json.loads(raw)
            by_title.setdefault(_title_key(str(record.get("title"))), []).append(record)
    titles = list(by_title)
    for truth in truths:
        wanted = _title_key(truth.title)
        if not wanted:
            continue
        candidates = by_title.get(wanted) or [
            r for t in difflib.get_close_matches(wanted, titles, n=3, cutoff=0.9)
            for r in by_title[t]] or [
            r for t in titles if _same_title(wanted, t) for r in by_title[t]]
        for record in candidates:
            if _same_institution(truth.institution, str(record.get("institution"))):
                found[truth.pdf] = record
                break
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdfs", type=Path, default=SHARED / "pdfs")
    parser.add_argument("--records", type=Path, default=SHARED / "ref2014-case-studies.jsonl.gz")
    parser.add_argument("--show", action="store_true", help="list every URL not exact")
    args = parser.parse_args()
    paths = sorted(args.pdfs.glob("*.pdf"))
    if not paths:
        print(f"no PDFs in {args.pdfs}", file=sys.stderr)
        return 2
    truths = [truth_of(p) for p in paths]
    raw_a, fixed_a, raw_b, fixed_b, rec = Score(), Score(), Score(), Score(), Score()
    timings: list[float] = []
    warnings = 0
    with tempfile.TemporaryDirectory() as tmp:
        for truth in truths:
            started = time.perf_counter()
            extraction = extract(truth.pdf)
            timings.append(time.perf_counter() - started)
            warnings += len(cases.parse(extraction.to_yaml(), truth.pdf.name).warnings)
            urls = [u.url for entry in extraction.entries for u in entry.urls]
            score(truth.urls, urls, raw_a, truth.pdf.name)
            score(truth.fixed, urls, fixed_a, truth.pdf.name)
            bare = urls_of(without_annotations(truth.pdf, Path(tmp)))
            score(truth.urls, bare, raw_b, truth.pdf.name)
            score(truth.fixed, bare, fixed_b, truth.pdf.name)
        matched: dict[Path, dict[str, object]] = {}
        if args.records.exists():
            matched = match_records(truths, args.records)
            for truth in truths:
                record = matched.get(truth.pdf)
                if record is None:
                    continue
                path = Path(tmp) / f"{record['id']}.json"
                path.write_text(json.dumps(record), encoding="utf-8")
                printed = _skeleton(html.unescape(str(record.get("references", "")) + " "
                                                  + str(record.get("sources", ""))))
                wanted = [u for u in truth.fixed if prints(printed, u)]
                score(wanted, urls_of(path), rec, f"{truth.pdf.name} (record {record['id']})")
    total = raw_a.total
    print(f"{len(paths)} PDFs, {total} printed URLs with a link annotation in sections 3 and 5")
    print(raw_a.line("(a) PDF as published, against the annotations as they are"))
    print(fixed_a.line("(a) PDF as published, annotations' own damage fixed   "))
    print(raw_b.line("(b) text layer alone, against the annotations as they are"))
    print(fixed_b.line("(b) text layer alone, annotations' own damage fixed   "))
    print(rec.line(f"(c) REF2014 API records ({len(matched)} of {len(paths)} PDFs matched)"))
    print(f"case files of the PDFs: {warnings} warnings from refcheck's loader")
    print(f"extraction per PDF: median {statistics.median(timings):.3f} s, "
          f"slowest {max(timings):.3f} s")
    if args.records.exists():
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            written_files = failed = 0
            for result in extract_records(args.records):
                if result.extraction is None:
                    failed += 1
                    continue
                target = Path(out) / f"{result.id or result.line}.yaml"
                target.write_text(result.extraction.to_yaml(), encoding="utf-8")
                written_files += 1
            took = time.perf_counter() - started
        print(f"records to case files: {written_files} written, {failed} refused, "
              f"{took:.1f} s")
    if args.show:
        for label, kept in (("(a)", fixed_a), ("(b)", fixed_b), ("(c)", rec)):
            for detail in kept.details:
                print(f"{label} {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
