"""Plain text in (a pasted case study, an OCR'd copy, Markdown), ``Document`` out."""

from __future__ import annotations

from pathlib import Path

from refcheck.cases import utf16
from refcheck.extract.document import Document, Line, Place
from refcheck.extract.model import ExtractionError

#: A case study is four pages; text beyond this is not one.
MAX_BYTES = 4 * 1024 * 1024


def read(path: Path) -> Document:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ExtractionError(f"{path}: {size:,} bytes is too large for a case study "
                                  f"(at most {MAX_BYTES:,}); extract from the case study alone")
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractionError(f"{path}: cannot read: {exc.strerror}") from None
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        from refcheck.extract import markdown

        return markdown.read(decode(data), str(path))
    return from_text(decode(data), str(path))


MARKDOWN_SUFFIXES = (".md", ".markdown")


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), UTF-16 (Notepad's and Word's "Unicode"),
    else Windows' code page: what Notepad and Word save."""
    codec = utf16(data)
    if codec is not None:
        return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def from_text(text: str, name: str, *, field: str | None = None,
              kind: str = "text") -> Document:
    lines = [Line(text=raw.rstrip(), place=Place(line=number, field=field))
             for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n")
                                          .split("\n"), start=1)]
    return Document(name=name, lines=lines, kind=kind)
