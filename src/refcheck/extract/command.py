"""`refcheck extract FILE [-o case.yaml] [--date YYYY-MM-DD] [--out-dir DIR]`: a case file
from the case study itself, with a short summary of what was found and repaired on stderr.

Exit codes: 0 written; 2 bad input or usage (nothing written, or with --out-dir, some
records refused and the rest written); 130 Ctrl-C (with --out-dir, the case files written
so far are whole, and their number is said).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from refcheck.errors import UsageError
from refcheck.extract.engine import extract
from refcheck.extract.model import Extraction, ExtractionError
from refcheck.local import command_app, mode_for, refuse_to_replace, written_through

app = command_app()

EPILOG = """\
\b
Examples:
  refcheck extract case-study.pdf -o case.yaml     a case file from the published PDF
  refcheck extract draft.docx                       from the Word draft, to stdout
  refcheck extract corpus.jsonl.gz --out-dir cases/ one case file per REF2014 record
"""


def _say(message: str) -> None:
    """A message on stderr. Messages quote documents, records and file names, so each line
    is shown literally, credentials masked, as every command's are."""
    from refcheck.report import literal

    typer.echo("\n".join(literal(line) for line in message.split("\n")), err=True)


def _fail(message: str) -> typer.Exit:
    _say(f"refcheck extract: {message}")
    return typer.Exit(2)


@app.command(epilog=EPILOG)
def extract_command(
    file: Annotated[Path, typer.Argument(
        metavar="FILE", help="A case study: PDF, Word .docx, text (.txt, .md), a web page "
        "(.htm), a REF2014 API record (.json), or with --out-dir a JSON-lines file of records "
        "(.jsonl, .jsonl.gz).",
        show_default=False)],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE", show_default=False,
        help="Write the case file here instead of standard output.")] = None,
    date: Annotated[str | None, typer.Option(
        metavar="YYYY-MM-DD", show_default=False,
        help="When the evidence was cited. [default: 2013-11-29 for REF2014 case studies]",
    )] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out-dir", metavar="DIR", help="Write one case file per record, DIR/{id}.yaml.",
        show_default=False)] = None,
) -> None:
    when = _parse_date(date)
    if out_dir is not None:
        if output is not None:
            raise _fail("give -o for one case file or --out-dir for a file of records, "
                        "not both")
        raise typer.Exit(_records(file, out_dir, when))
    _one(file, output, when)


#: The exit code of a command stopped by Ctrl-C, as for a check.
INTERRUPTED = 130


def _one(file: Path, output: Path | None, when: dt.date | None) -> None:
    """One document's case file, to ``output`` or standard output."""
    if output is not None:
        try:
            refuse_to_replace("--output", output, [file])
        except UsageError as exc:
            raise _fail(str(exc)) from None
    try:
        extraction = extract(file, date=when)
    except ExtractionError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        _say(f"refcheck extract: interrupted (Ctrl-C) while reading {file}; nothing was "
             "written.")
        raise typer.Exit(INTERRUPTED) from None
    if output is None:
        sys.stdout.write(extraction.to_yaml())
        sys.stdout.flush()
    else:
        try:
            _write(output, extraction.to_yaml())
        except OSError as exc:
            raise _fail(f"{output}: cannot write: {exc.strerror}") from None
    _say(summary(extraction, output))


def _parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _fail(f"--date `{text}` is not a date; expected YYYY-MM-DD, e.g. "
                    "2013-11-29") from None


def _write(path: Path, text: str) -> None:
    """Write atomically: a case file is whole or absent, never half-written. A link is
    written through (the file it names is replaced, the link stays), and the file keeps
    the old one's permissions (a new one gets the umask's, not mkstemp's 0600)."""
    path = written_through(path)
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(temporary, mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _records(path: Path, out_dir: Path, when: dt.date | None) -> int:
    from refcheck.extract import extract_records

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(f"{out_dir}: cannot create the directory: {exc.strerror}") from None
    written = refused = urls = repaired = uncertain = 0
    try:
        if path.suffix.lower() == ".json":
            from refcheck.extract.records import RecordResult

            try:
                results = iter([RecordResult(line=1, id=None, extraction=extract(path,
                                                                                 date=when))])
            except ExtractionError as exc:
                results = iter([RecordResult(line=1, id=None, error=str(exc))])
        else:
            results = extract_records(path, date=when)
        seen: set[str] = set()
        line = 0
        for result in results:
            line = result.line
            if result.extraction is None:
                refused += 1
                _say(f"refcheck extract: {result.error}; record skipped")
                continue
            name = _file_name(result.extraction.id or f"line-{result.line}", seen)
            try:
                _write(out_dir / name, result.extraction.to_yaml())
            except OSError as exc:
                raise _fail(f"{out_dir / name}: cannot write: {exc.strerror}") from None
            written += 1
            counts = result.extraction.summary
            urls += counts.urls
            repaired += counts.repaired
            uncertain += len(counts.uncertain)
    except ExtractionError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        # Each case file is written whole, so those written are usable as they are.
        _say(f"refcheck extract: interrupted (Ctrl-C) after line {line} of {path}: "
             f"{written} case file{'' if written == 1 else 's'} written to {out_dir}, each "
             "whole; the records after it were not read. Run the command again to write "
             "them all.")
        return INTERRUPTED
    _say(f"{written} case files written to {out_dir}: {urls} URLs, {repaired} repaired, "
         f"{uncertain} uncertain" + (f"; {refused} records refused" if refused else ""))
    return 2 if refused or not written else 0


def _file_name(record_id: str, seen: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", record_id).strip("._") or "record"
    name, n = stem, 2
    while name in seen:
        name, n = f"{stem}-{n}", n + 1
    seen.add(name)
    return f"{name}.yaml"


def summary(extraction: Extraction, output: Path | None) -> str:
    """What was found, for stderr: counts, then each uncertain repair with its place."""
    counts = extraction.summary
    where = f" to {output}" if output is not None else ""
    differ = (f", {len(counts.disagreeing)} where the document's link points elsewhere"
              if counts.disagreeing else "")
    found = ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in (
        (counts.sources, "source"), (counts.references, "reference"), (counts.urls, "URL")))
    lines = [f"{extraction.name}: {found} ({counts.repaired} repaired, "
             f"{len(counts.uncertain)} uncertain{differ}){where}"]
    for item in counts.uncertain:
        other = f" (or {item.alternative})" if item.alternative else ""
        lines.append(f"  uncertain, {item.place}: {item.url}{other}")
    lines.extend(f"  link differs, {item.place}: wrote {item.url} as printed; the link "
                 f"points to {item.link_target}" for item in counts.disagreeing)
    if extraction.date is None:
        lines.append("  no date: give --date YYYY-MM-DD (when the evidence was cited)")
    return "\n".join(lines)


def run(argv: list[str]) -> int:
    """Run the command on ``argv`` (the words after `extract`); return the exit code.
    Usage errors are click's own message and exit code 2."""
    from refcheck.local import run_typer

    return run_typer(app, argv, "refcheck extract")
