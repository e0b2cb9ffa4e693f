"""Memento (RFC 7089) on the wire: link-format TimeMaps, HTTP dates, 14-digit timestamps,
and CDX rows. Pure parsing; no I/O.

The link-format reader tokenizes instead of splitting lines: entries may span lines,
parameters come in any order, ``rel`` is a set of tokens, unknown attributes are kept, and
a trailing comma (as in a cut-off TimeMap) is harmless.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LinkEntry:
    """One ``<uri>; param=value; …`` entry of a link-format document or ``Link`` header."""

    uri: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def rels(self) -> frozenset[str]:
        return frozenset(self.params.get("rel", "").lower().split())

    @property
    def datetime(self) -> dt.datetime | None:
        value = self.params.get("datetime")
        return parse_http_date(value) if value else None


def parse_link_format(text: str) -> list[LinkEntry]:
    """Read an ``application/link-format`` document (or a ``Link`` header value)."""
    entries: list[LinkEntry] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and (text[i].isspace() or text[i] == ","):
            i += 1
        if i >= n:
            break
        if text[i] != "<":
            # Not an entry start: skip to the next comma outside quotes (malformed input).
            i = _skip_to_comma(text, i)
            continue
        end = text.find(">", i + 1)
        if end < 0:
            break  # a cut-off final entry
        uri = text[i + 1:end].strip()
        i = end + 1
        params: dict[str, str] = {}
        while True:
            while i < n and text[i].isspace():
                i += 1
            if i >= n or text[i] != ";":
                break
            i += 1
            while i < n and text[i].isspace():
                i += 1
            start = i
            while i < n and text[i] not in "=;,\t\r\n ":
                i += 1
            name = text[start:i].lower()
            while i < n and text[i].isspace():
                i += 1
            value = ""
            if i < n and text[i] == "=":
                i += 1
                while i < n and text[i].isspace():
                    i += 1
                if i < n and text[i] == '"':
                    value, i = _quoted(text, i)
                else:
                    start = i
                    while i < n and text[i] not in ";,":
                        i += 1
                    value = text[start:i].strip()
            if name and name not in params:  # RFC 8288: the first occurrence counts
                params[name] = value
        entries.append(LinkEntry(uri, params))
    return entries


def _quoted(text: str, i: int) -> tuple[str, int]:
    out = []
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return "".join(out), i


def _skip_to_comma(text: str, i: int) -> int:
    quoted = False
    while i < len(text):
        if text[i] == '"':
            quoted = not quoted
        elif text[i] == "," and not quoted:
            return i + 1
        i += 1
    return i


# -- dates --------------------------------------------------------------------------------

def parse_http_date(value: str) -> dt.datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def format_http_date(when: dt.datetime) -> str:
    """RFC 1123, always GMT, no fractions: what ``Accept-Datetime`` wants."""
    return email.utils.format_datetime(when.astimezone(dt.UTC).replace(microsecond=0),
                                       usegmt=True)


def parse_timestamp(ts: str) -> dt.datetime | None:
    """A 14-digit archive timestamp (shorter ones are padded: ``2013`` is 1 Jan 2013)."""
    digits = "".join(ch for ch in ts if ch.isdigit())
    if not 4 <= len(digits) <= 14:
        return None
    padded = digits + "01010000000000"[len(digits) - 4:] if len(digits) < 14 else digits
    try:
        return dt.datetime.strptime(padded[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def format_timestamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")


# -- CDX rows -----------------------------------------------------------------------------

def parse_cdx_rows(text: str) -> Iterator[dict[str, Any]]:
    """Rows of a CDX answer as dicts, from either shape archives use, however it is laid
    out (one row a line, all on one line, pretty-printed):

    - an array of arrays whose first row names the fields (the Internet Archive's
      ``output=json`` CDX and its JSON TimeMap);
    - JSON objects one after another (pywb's CDX and "json" TimeMap, as UKGWA serves).

    Read value by value, so a cut-off answer still yields its complete rows, and a line
    that is not JSON is skipped.
    """
    decoder = json.JSONDecoder()
    n = len(text)
    i = _skip(text, 0)
    # An outer array holds the rows when its first item is itself an array or an object.
    if i < n and text[i] == "[":
        inner = _skip(text, i + 1)
        if inner < n and text[inner] in "[{]":
            i = inner
    header: list[str] | None = None
    while i < n:
        if text[i] == "]":  # the outer array's end (or a stray one)
            i = _skip(text, i + 1)
            continue
        try:
            value, end = decoder.raw_decode(text, i)
        except ValueError:
            line_end = text.find("\n", i)
            if line_end < 0:
                return  # cut off: the rows before were complete
            i = _skip(text, line_end + 1)
            continue
        i = _skip(text, end)
        if isinstance(value, dict):
            yield value
        elif isinstance(value, list):
            if value and all(isinstance(v, list) for v in value):
                for row in value:  # a whole array of rows read at once
                    if header is None:
                        header = [str(v) for v in row]
                    else:
                        yield dict(zip(header, row, strict=False))
            elif header is None:
                header = [str(v) for v in value]
            else:
                yield dict(zip(header, value, strict=False))


def _skip(text: str, i: int) -> int:
    """Past white space and the commas between values."""
    n = len(text)
    while i < n and (text[i].isspace() or text[i] == ","):
        i += 1
    return i


def usable_cdx_row(row: dict[str, Any]) -> bool:
    """pywb flags near-miss rows with ``is_fuzzy``: they are captures of another URL."""
    return str(row.get("is_fuzzy", "0")) not in ("1", "true", "True")
