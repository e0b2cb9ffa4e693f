"""Failures of the tool itself: a case file it cannot read, options it cannot use.

A dead link is never an exception; it is a ``LinkResult``. These are the only errors that
stop a run, and the CLI turns each into a located message and exit code 2.

    RefcheckError
     ├── CaseFileError   one or more located problems in case files
     └── UsageError      options or arguments that cannot work together
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One located complaint about a case file: ``file:line:column: message``."""

    file: str
    line: int | None
    column: int | None
    message: str
    warning: bool = False
    #: The offending line of the file, shown under the message with a caret at the column.
    excerpt: str | None = None

    def __str__(self) -> str:
        text = self.headline()
        if self.excerpt is not None:
            excerpt, at = shortened(self.excerpt, max((self.column or 1) - 1, 0))
            text += f"\n    {excerpt}\n    {' ' * at}^"
        return text

    def headline(self) -> str:
        """``file:line:column: kind: message``, one line, without the excerpt under it:
        how a report lists it."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        kind = "warning: " if self.warning else "error: "
        # A message that names its file already (a document's, from ``refcheck extract``)
        # is not made to name it twice.
        message = self.message.removeprefix(f"{self.file}: ")
        return f"{where}: {kind}{message}"


#: The most of a line an error shows under its message: a line of a case file may be a
#: megabyte long (50,000 ``[`` of a nesting bomb), and only the place matters.
EXCERPT_WIDTH = 100


def shortened(line: str, at: int) -> tuple[str, int]:
    """``line`` cut to ``EXCERPT_WIDTH`` characters around index ``at`` (an ellipsis where
    it was cut), and where ``at`` is in what is shown."""
    if len(line) <= EXCERPT_WIDTH:
        return line, at
    start = max(0, min(at - EXCERPT_WIDTH // 2, len(line) - EXCERPT_WIDTH))
    end = start + EXCERPT_WIDTH
    before = "…" if start else ""
    after = "…" if end < len(line) else ""
    return f"{before}{line[start:end]}{after}", at - start + len(before)


def not_utf8(file: str, raw: bytes, what: str = "file") -> Problem | None:
    """Where ``raw`` (a file's bytes, after any byte-order mark) stops being UTF-8, as a
    located problem: the line and column of the first bad byte, the line shown with a
    caret, what the byte would be in Windows-1252 (what Notepad and Word save as
    "ANSI"), and how to save the file as UTF-8. None when it is UTF-8."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
    else:
        return None
    line_start = raw.rfind(b"\n", 0, start) + 1
    line_end = raw.find(b"\n", start)
    line_bytes = raw[line_start:len(raw) if line_end == -1 else line_end].rstrip(b"\r")
    column = len(raw[line_start:start].decode("utf-8")) + 1
    byte = raw[start]
    try:
        ansi = f" (in Windows-1252, `{bytes([byte]).decode('cp1252')}`)"
    except UnicodeDecodeError:
        ansi = ""
    return Problem(
        file, raw.count(b"\n", 0, start) + 1, column,
        f"this {what} is not UTF-8 text: the byte 0x{byte:02X} here{ansi} is not UTF-8; "
        "save it as UTF-8 (in Notepad: File > Save As, Encoding: UTF-8)",
        excerpt=line_bytes.decode("utf-8", errors="replace"))


class RefcheckError(Exception):
    """Base of the tool's own failures."""


class CaseFileError(RefcheckError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(RefcheckError):
    pass


def found(value: Any, *, mapping: str) -> str:
    """A value read from a settings file or a report, said briefly in an error ("found a
    list", "found \"fast\""); ``mapping`` is what that format calls a mapping (TOML: "a
    table", JSON: "an object")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value[:40]}"'
    if isinstance(value, dict):
        return mapping
    if isinstance(value, list):
        return "a list"
    return str(value)[:40]
