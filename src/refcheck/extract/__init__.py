"""Case files from the case study itself: URLs and sources extracted from a case-study PDF,
Word document, plain text or REF2014 API record, with damaged URLs repaired.

    extract(path, date=...)    one document → ``Extraction`` (``.to_yaml()`` is the case file)
    extract_records(path)      a JSON-lines file of REF2014 API records → ``RecordResult``s
    run_extract(argv)          the ``refcheck extract`` command
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

from refcheck.extract.document import Place
from refcheck.extract.engine import extract, from_record
from refcheck.extract.model import (
    REF2014_DEADLINE,
    Entry,
    ExtractedUrl,
    Extraction,
    ExtractionError,
    Summary,
)
from refcheck.extract.records import RecordResult, lines_of, read_record

__all__ = [
    "REF2014_DEADLINE",
    "Entry",
    "ExtractedUrl",
    "Extraction",
    "ExtractionError",
    "Place",
    "RecordResult",
    "Summary",
    "extract",
    "extract_records",
    "run_extract",
]


def extract_records(path: Path, *, date: dt.date | None = None) -> Iterator[RecordResult]:
    """Each record of a JSON-lines file (gzipped or not), extracted; a bad line or record
    is a result with its error, and the rest still come."""
    for number, raw in lines_of(path):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield RecordResult(line=number, id=None,
                               error=f"{where}: not JSON ({exc.msg}); expected one REF2014 "
                                     "API record a line")
            continue
        record_id = data.get("id") if isinstance(data, dict) else None
        try:
            record = read_record(data, where)
            yield RecordResult(line=number, id=record.id,
                               extraction=from_record(record, str(path), date=date))
        except ExtractionError as exc:
            yield RecordResult(line=number, id=None if record_id is None else str(record_id),
                               error=str(exc))


def run_extract(argv: list[str]) -> int:
    """``refcheck extract FILE [-o case.yaml] [--date YYYY-MM-DD] [--out-dir DIR]``."""
    from refcheck.extract.command import run

    return run(argv)
