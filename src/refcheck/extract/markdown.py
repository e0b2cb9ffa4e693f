"""Markdown in, ``Document`` out: the text a reader of the rendered page sees, line for
line, and the links it makes.

Headings (`## 5. Sources …`, or underlined), emphasis (`**Institution:**`), block quotes,
tables and bullets lose their marks; `[text](url)` and reference links (`[text][1]` with
`[1]: url` below) are links over their text, as a Word document's are; `<http://…>` is its
URL. An ordered list is numbered as it is rendered (`1.` `1.` `1.` is 1, 2, 3), and each
bullet of a list is an item of its own. URLs are left as written, underscores and all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from refcheck.extract.document import Document, Line, Link, Place

_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)(.*?)(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|=+)[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+")
_BULLET = re.compile(r"^[ \t]*[-*+][ \t]+(?=\S)")
_ORDERED = re.compile(r"^([ \t]*)(\d{1,9})([.)])([ \t]+|$)")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")
#: `[label]: url "title"`, alone on its line.
_DEFINITION = re.compile(r"^ {0,3}\[([^\]]+)\]:[ \t]*<?((?:https?://|www\.)[^\s>]+)>?"
                         r"(?:[ \t]+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?[ \t]*$", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
#: `[text](url)` or `[text](<url> "title")`, the text over lines; `![alt](src)` an image.
_INLINE = re.compile(r"(!?)(?<!\\)\[((?:[^\[\]\\]|\\.)*)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)>?"
                     r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
#: `[text][label]`, `[text][]`, and `[label]` alone.
_REFERENCE = re.compile(r"(!?)(?<!\\)\[((?:[^\[\]\\]|\\.)+)\](?:\[([^\[\]]*)\])?(?![(:])")
#: A label that is a source's or reference's id (`[3]`, `[S1]`, `[a]`): cited as `[3]`
#: in the text, it is not a link to a definition.
_ID_LABEL = re.compile(r"^(?:[A-Za-z]{0,4}\s?\d{1,3}(?:\.\d{1,3})?[a-z]?|[A-Za-z]|[ivxlc]{1,6})$",
                       re.IGNORECASE)
_AUTOLINK = re.compile(r"<((?:https?://|www\.)[^\s<>]+)>", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
#: Emphasis over at most 300 characters (a journal's name, a label), so that a line of
#: stars unpaired is read in linear time.
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.{1,300}?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=[^\s*])(.{1,300}?)(?<=[^\s*])\*(?![\w*])|"
                       r"(?<!\w)_(?=[^\s_])(.{1,300}?)(?<=[^\s_])_(?!\w)")
_CODE = re.compile(r"`+([^`\n]+?)`+")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


@dataclass
class _Row:
    number: int  # the line in the file
    text: str
    bullet: bool = False  # starts an item of a bulleted list


def read(text: str, name: str) -> Document:
    text = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    candidates: dict[int, tuple[str, str]] = {}  # line index: a definition's label, URL
    for index, line in enumerate(raw):
        definition = _DEFINITION.match(line)
        if definition:
            candidates[index] = (_label(definition.group(1)), definition.group(2))
    # `[3]: http://…` is a definition only where the text refers to it; else it is the
    # source [3], printed.
    used = _used_labels("\n".join(line for index, line in enumerate(raw)
                                  if index not in candidates))
    definitions: dict[str, str] = {}
    lists = _Lists()
    rows: list[_Row] = []
    for index, line in enumerate(raw):
        if index in candidates and candidates[index][0] in used:
            definitions.setdefault(*candidates[index])
            rows.append(_Row(index + 1, ""))
        else:
            rows.append(lists.block(index + 1, line))
    links: list[Link] = []
    joined = _links("\n".join(row.text for row in rows), definitions, links)
    lines: list[Line] = []
    for row, tidied in zip(rows, joined.split("\n"), strict=True):
        place = Place(line=row.number)
        if row.bullet:
            lines.append(Line(text="", place=place))  # each bullet is a paragraph
        lines.append(Line(text=_inline(tidied).rstrip(), place=place))
    return Document(name=name, lines=lines, links=links, kind="text")


@dataclass
class _Lists:
    """The ordered lists open at a line: each one's next number, by indent and mark."""

    numbers: dict[tuple[str, str], int] = field(default_factory=dict)
    blank: bool = False  # the line before was blank

    def block(self, number: int, line: str) -> _Row:
        """One line without its block marks: heading, rule, quote, table, bullet; an
        ordered list's number as rendered."""
        blank, self.blank = self.blank, not line.strip()
        if _RULE.match(line) or (_TABLE_RULE.match(line) and "|" in line):
            return _Row(number, "")
        line = _QUOTE.sub("", line)
        heading = _ATX.match(line)
        if heading:
            self.numbers.clear()
            return _Row(number, heading.group(1))
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            cells = re.split(r"(?<!\\)\|", stripped[1:-1])
            return _Row(number, " ".join(cell.strip() for cell in cells if cell.strip()))
        bullet = _BULLET.match(line)
        if bullet:
            return _Row(number, line[bullet.end():], bullet=True)
        ordered = _ORDERED.match(line)
        if ordered:
            indent, mark = ordered.group(1), ordered.group(3)
            for key in [k for k in self.numbers if len(k[0]) > len(indent)]:
                del self.numbers[key]  # a list nested in an item of this one has ended
            value = self.numbers.get((indent, mark), int(ordered.group(2)))
            self.numbers[(indent, mark)] = value + 1
            return _Row(number, f"{indent}{value}{mark}{ordered.group(4)}"
                                f"{line[ordered.end():]}")
        if stripped and blank and not line[:1].isspace():
            self.numbers.clear()  # a paragraph of its own ends the lists
        return _Row(number, line)


def _label(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _used_labels(text: str) -> set[str]:
    """The labels the text links to: `[text][label]`, `[label][]`, or `[label]` alone
    when it is not an id."""
    used = set()
    for match in _REFERENCE.finditer(text):
        if match.group(3) is not None:
            used.add(_label(match.group(3) or match.group(2)))
        elif not _ID_LABEL.match(match.group(2).strip()):
            used.add(_label(match.group(2)))
    return used


def _links(text: str, definitions: dict[str, str], links: list[Link]) -> str:
    """The links taken out of the text, which keeps their words (and its line breaks)."""

    def keep(match: re.Match[str], target: str | None, words: str) -> str:
        if match.group(1):
            return "\n" * words.count("\n")  # an image: a picture, not text or a link
        if not target:
            return words
        first = text.count("\n", 0, match.start()) + 1
        links.append(Link(target=_ESCAPE.sub(r"\1", target),
                          anchor=_inline(words.replace("\n", " ")),
                          places=tuple(Place(line=first + n)
                                       for n in range(words.count("\n") + 1))))
        return words

    def inline(match: re.Match[str]) -> str:
        return keep(match, match.group(3), match.group(2))

    def reference(match: re.Match[str]) -> str:
        label = match.group(3) or match.group(2)
        target = definitions.get(_label(label))
        if target is None or (match.group(3) is None and _ID_LABEL.match(label.strip())):
            return match.group(0)  # not a link: `[3]` printed as a source's id
        return keep(match, target, match.group(2))

    text = _INLINE.sub(inline, text)
    if definitions:
        text = _REFERENCE.sub(reference, text)
    return text


def _inline(line: str) -> str:
    """The line as rendered: autolinks' brackets, code's backticks, emphasis and escapes
    taken off; a URL's own characters are left alone."""
    line = _AUTOLINK.sub(r"\1", line)
    line = _CODE.sub(r"\1", line)
    out: list[str] = []
    at = 0
    for url in _URL.finditer(line):
        out.append(_emphasis(line[at:url.start()]))
        address = url.group(0)
        closing = len(address) - len(address.rstrip("*"))
        out.append(_ESCAPE.sub(r"\1", address[:len(address) - closing]))
        at = url.end() - closing
    out.append(_emphasis(line[at:]))
    return re.sub(r"(?<!\\)\\$", "", "".join(out))  # `\` ending a line: a line break


def _emphasis(text: str) -> str:
    text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    return _ESCAPE.sub(r"\1", text.replace("**", ""))
