"""The shared corpus end to end: every shared PDF's case file loads without a warning and
holds the URLs its link annotations name; a sample of REF2014 records does too.

The corpus is ../shared next to the clone (as in CI); without it these tests are skipped.
Corpus-wide figures are the benchmark's (benchmarks/extract.py), not these tests'.
"""

from __future__ import annotations

import gzip
import itertools
import re
from functools import cache
from pathlib import Path

import pytest

from refcheck import cases
from refcheck.extract import Extraction, extract_records, pdf, run_extract, sections
from refcheck.extract.document import Document
from refcheck.extract.engine import comparable, from_document
from refcheck.extract.repair import unwrap_redirector

SHARED = Path(__file__).parents[2] / "shared" / "corpus"
PDFS = sorted((SHARED / "pdfs").glob("*.pdf"))
RECORDS = SHARED / "ref2014-case-studies.jsonl.gz"

pytestmark = pytest.mark.skipif(not PDFS or not RECORDS.exists(),
                                reason=f"the shared corpus is not at {SHARED}")

_PRINTS_URL = re.compile(r"https?:|www\.|doi\.org|10\.\d{4,9}/", re.IGNORECASE)


@cache
def documents() -> dict[Path, Document]:
    # Each PDF is read once: pypdf's text extraction is nearly all of the time.
    return {path: pdf.read(path) for path in PDFS}


@cache
def extracted() -> dict[Path, Extraction]:
    return {path: from_document(document) for path, document in documents().items()}


def annotated_urls(path: Path) -> list[str]:
    """The link targets over printed URLs in sections 3 and 5: the benchmark's truth."""
    document = documents()[path]
    split = sections.split(document)
    places = {line.place for line in split.reference_lines + split.source_lines}
    return [unwrap_redirector(link.target) or link.target for link in document.links
            if places.intersection(link.places) and _PRINTS_URL.search(link.anchor)
            and link.target.lower().startswith("http")]


def test_every_shared_pdf_gives_a_case_file_without_warnings() -> None:
    for path, extraction in extracted().items():
        loaded = cases.parse(extraction.to_yaml(), path.name)
        assert loaded.warnings == [], path.name
        assert extraction.sources, path.name


def test_every_annotated_url_is_written_or_its_damaged_link_is_named() -> None:
    total = 0
    for path, extraction in extracted().items():
        written = {comparable(u.url) for e in extraction.entries for u in e.urls}
        typos = {comparable(u.link_target) for e in extraction.entries for u in e.urls
                 if "link-typo" in u.rules and u.link_target}
        for target in annotated_urls(path):
            total += 1
            assert comparable(target) in written | typos, (path.name, target)
    assert total > 150


def test_extract_command_on_a_shared_pdf(tmp_path: Path) -> None:
    path = next(p for p in PDFS if p.name.startswith("10-"))
    target = tmp_path / "case.yaml"
    assert run_extract([str(path), "-o", str(target)]) == 0
    loaded = cases.load(target)
    written = {comparable(u.url) for s in loaded.case.sources for u in s.urls}
    assert {comparable(u) for u in annotated_urls(path)} <= written


def test_a_sample_of_records_gives_case_files_without_warnings(tmp_path: Path) -> None:
    sample = tmp_path / "sample.jsonl.gz"
    with gzip.open(RECORDS, "rt", encoding="utf-8") as stream, \
            gzip.open(sample, "wt", encoding="utf-8") as out:
        out.writelines(itertools.islice(stream, 0, None, 16))
    results = list(extract_records(sample))
    assert len(results) >= 200
    for result in results:
        assert result.extraction is not None, result.error
        assert cases.parse(result.extraction.to_yaml(), str(result.id)).warnings == []


def test_a_link_the_printed_url_overrides_is_named_in_the_case_file() -> None:
    # pdfs/04 and pdfs/06: Word made three links from the text with a typed space or
    # without the printed %5C escapes; the printed URL is written, the link beside it.
    named = 0
    for path, extraction in extracted().items():
        text = extraction.to_yaml()
        for url in extraction.summary.disagreeing:
            named += 1
            assert f"# the PDF's link points to {url.link_target}\n" in text, path.name
            assert "link-typo" in url.rules and url.link_damage, path.name
    assert named >= 4
