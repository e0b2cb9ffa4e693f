"""REF2014 API records: one JSON object per case study (``id``, ``title``,
``institution``, ``uoa``, ``references``, ``sources``), alone or a JSON-lines file of them,
optionally gzipped.

The API serves the sections' text with ``\\r`` line breaks, deep indentation and HTML
entities; the entities are decoded once, for the whole text, before anything is read.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refcheck.extract.document import Document
from refcheck.extract.model import Extraction, ExtractionError
from refcheck.extract.text import from_text


@dataclass(frozen=True)
class Record:
    """A record's fields as text, its sections as documents."""

    id: str | None
    title: str | None
    institution: str | None
    references: Document | None
    sources: Document


@dataclass(frozen=True)
class RecordResult:
    """One line of a JSON-lines file: its extraction, or why there is none."""

    line: int
    id: str | None
    extraction: Extraction | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.extraction is not None


def _plain(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = re.sub(r"\s+", " ", html.unescape(value)).strip()
    return text or None


def read_record(data: Any, name: str) -> Record:
    """A record as the API serves it. Raises ``ExtractionError`` when it is not one."""
    if not isinstance(data, dict):
        raise ExtractionError(f"{name}: expected a JSON object (a REF2014 API record with "
                              f"`sources`); found {type(data).__name__}")
    raw_id = data.get("id")
    record_id = str(raw_id) if isinstance(raw_id, (str, int)) and str(raw_id).strip() else None
    label = f"{name}: record {record_id}" if record_id else f"{name}: record"
    sources = data.get("sources")
    if not isinstance(sources, str):
        what = "no `sources`" if sources is None else "`sources` that is not text"
        raise ExtractionError(f"{label} has {what} (section 5); expected the REF2014 API's "
                              "fields id, title, institution, references, sources")
    references = data.get("references")
    return Record(
        id=record_id,
        title=_plain(data.get("title")),
        institution=_plain(data.get("institution")),
        references=(from_text(html.unescape(references), name, field="references",
                              kind="record") if isinstance(references, str) else None),
        sources=from_text(html.unescape(sources), name, field="sources", kind="record"),
    )


def read_json(path: Path) -> Record:
    """A file holding one JSON object."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise ExtractionError(f"{path}: cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExtractionError(f"{path}: not JSON ({exc}); expected a REF2014 API record, or "
                              "a JSON-lines file of them (.jsonl, .jsonl.gz)") from None
    return read_record(data, str(path))


def lines_of(path: Path) -> Iterator[tuple[int, str]]:
    """The numbered lines of a JSON-lines file, gzipped or not."""
    try:
        with path.open("rb") as probe:
            gzipped = probe.read(2) == b"\x1f\x8b"
        if gzipped:
            with gzip.open(path, "rt", encoding="utf-8") as stream:
                yield from enumerate(stream, start=1)
        else:
            with path.open(encoding="utf-8") as plain:
                yield from enumerate(plain, start=1)
    except OSError as exc:  # includes gzip.BadGzipFile
        raise ExtractionError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ExtractionError(f"{path}: not UTF-8 text ({exc.reason}); expected JSON "
                              "lines") from None
