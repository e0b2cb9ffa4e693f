"""Word's automatic numbering and its styles: the label Word shows before a numbered or
bulleted paragraph (``1.``, ``(a)``, ``2.1``, ``•``), which is not in the paragraph's text
but worked out from ``word/numbering.xml``, and which text a style hides.

A paragraph is numbered by its own ``w:numPr`` (a list, ``w:numId``, and its level,
``w:ilvl``) or by its style's (``w:pStyle``, in ``word/styles.xml``); ``w:numId`` 0 takes
the numbering off. A list (``w:num``) is an instance of an abstract definition
(``w:abstractNum``) whose levels give the first number (``w:start``), the format
(``w:numFmt``) and the label's text (``w:lvlText``, ``%1.%2`` for the numbers of levels 1 and
2). As in Word, the lists of one definition share one count, a list restarts a level where
it overrides its start (``w:lvlOverride``/``w:startOverride``), and a level restarts when a
level above it advances.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree import ElementTree

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PLACEHOLDER = re.compile(r"%([1-9])")
#: What a bullet is shown as, whatever symbol font's character the level names.
BULLET = "\u2022"
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


@dataclass
class _Level:
    start: int = 1
    format: str = "decimal"
    text: str = ""
    restart: int | None = None  # w:lvlRestart: restart after this level (1-based); 0 never
    legal: bool = False  # w:isLgl: the numbers of all levels shown as decimals
    style: str | None = None  # the paragraph style this level is tied to


@dataclass
class _Abstract:
    levels: dict[int, _Level] = field(default_factory=dict)
    style_link: str | None = None  # w:numStyleLink: defined by a numbering style's list


@dataclass
class _List:
    abstract: str
    #: w:lvlOverride: each level's start (w:startOverride) and its own definition.
    starts: dict[int, int] = field(default_factory=dict)
    levels: dict[int, _Level] = field(default_factory=dict)


@dataclass
class _Style:
    based_on: str | None = None
    num_id: str | None = None
    level: int | None = None
    hidden: bool | None = None  # w:vanish in its run properties


class Numbering:
    """The labels of one part's numbered paragraphs, counted in the order asked."""

    def __init__(self, numbering: bytes = b"", styles: bytes = b"") -> None:
        self.abstracts: dict[str, _Abstract] = {}
        self.lists: dict[str, _List] = {}
        self.styles: dict[str, _Style] = {}
        self.default_style: str | None = None
        self.counts: dict[str, dict[int, int]] = {}  # by abstract definition
        self.seen: set[str] = set()  # the lists a paragraph has used
        if numbering:
            self._read_numbering(ElementTree.fromstring(numbering))
        if styles:
            self._read_styles(ElementTree.fromstring(styles))

    def _read_numbering(self, root: ElementTree.Element) -> None:
        for element in root.iter(f"{_W}abstractNum"):
            abstract = _Abstract(style_link=_val(element.find(f"{_W}numStyleLink")))
            for lvl in element.iter(f"{_W}lvl"):
                number = _int(lvl.get(f"{_W}ilvl"))
                if number is not None:
                    abstract.levels[number] = _level(lvl)
            self.abstracts[element.get(f"{_W}abstractNumId") or ""] = abstract
        for element in root.iter(f"{_W}num"):
            listed = _List(_val(element.find(f"{_W}abstractNumId")) or "")
            for override in element.iter(f"{_W}lvlOverride"):
                number = _int(override.get(f"{_W}ilvl"))
                if number is None:
                    continue
                start = _int(_val(override.find(f"{_W}startOverride")))
                if start is not None:
                    listed.starts[number] = start
                own = override.find(f"{_W}lvl")
                if own is not None:
                    listed.levels[number] = _level(own)
            self.lists[element.get(f"{_W}numId") or ""] = listed

    def _read_styles(self, root: ElementTree.Element) -> None:
        for element in root.iter(f"{_W}style"):
            style_id = element.get(f"{_W}styleId") or ""
            num_pr = element.find(f"{_W}pPr/{_W}numPr")
            vanish = element.find(f"{_W}rPr/{_W}vanish")
            self.styles[style_id] = _Style(
                based_on=_val(element.find(f"{_W}basedOn")),
                num_id=_val(num_pr.find(f"{_W}numId")) if num_pr is not None else None,
                level=_int(_val(num_pr.find(f"{_W}ilvl"))) if num_pr is not None else None,
                hidden=None if vanish is None else on(vanish))
            if (element.get(f"{_W}type") == "paragraph"
                    and (element.get(f"{_W}default") or "").lower() in ("1", "true", "on")):
                self.default_style = style_id

    def _chain(self, style: str | None) -> list[_Style]:
        """A style and those it is based on, nearest first."""
        chain: list[_Style] = []
        while style is not None and style in self.styles and len(chain) < 20:
            chain.append(self.styles[style])
            style = self.styles[style].based_on
        return chain

    def hidden(self, style: str | None) -> bool | None:
        """Whether a style hides its text (None: it does not say)."""
        return next((s.hidden for s in self._chain(style) if s.hidden is not None), None)

    def paragraph_style(self, style: str | None) -> str | None:
        return style if style is not None else self.default_style

    def label(self, style: str | None, num_id: str | None, level: int | None) -> str | None:
        """The label of the next paragraph with this style and numbering (its own
        ``w:numPr``'s, where it has one), counted; None for a paragraph not numbered."""
        style = self.paragraph_style(style)
        chain = self._chain(style)
        if num_id is None:
            num_id = next((s.num_id for s in chain if s.num_id is not None), None)
            if level is None:
                level = next((s.level for s in chain if s.level is not None), None)
        if num_id is None or num_id == "0" or num_id not in self.lists:
            return None
        listed = self.lists[num_id]
        key, abstract = self._abstract(listed.abstract)
        if abstract is None:
            return None
        if level is None:  # a style's list without a level: the level tied to the style
            level = next((n for n, lvl in abstract.levels.items()
                          if style is not None and lvl.style == style), 0)
        level = max(0, min(level, 8))
        counts = self.counts.setdefault(key, {})
        if num_id not in self.seen:
            self.seen.add(num_id)
            for overridden in listed.starts:
                counts.pop(overridden, None)  # the list restarts there

        def definition(number: int) -> _Level:
            return listed.levels.get(number) or abstract.levels.get(number) or _Level()

        def start(number: int) -> int:
            return listed.starts.get(number, definition(number).start)

        counts[level] = counts[level] + 1 if level in counts else start(level)
        for deeper in [n for n in counts if n > level]:
            restart = definition(deeper).restart
            if restart is None or (restart and level < restart):
                del counts[deeper]
        this = definition(level)
        if this.format == "bullet":
            return BULLET

        def number(match: re.Match[str]) -> str:
            at = int(match.group(1)) - 1
            shown = definition(at)
            value = counts.get(at, start(at))
            return _format(value, "decimal" if this.legal and shown.format != "none"
                           else shown.format)

        return _PLACEHOLDER.sub(number, this.text).strip()

    def _abstract(self, key: str) -> tuple[str, _Abstract | None]:
        """An abstract definition, through the numbering style it may name."""
        abstract = self.abstracts.get(key)
        for _ in range(5):
            if abstract is None or abstract.style_link is None:
                break
            num_id = next((s.num_id for s in self._chain(abstract.style_link)
                           if s.num_id is not None), None)
            linked = self.lists.get(num_id or "")
            if linked is None or linked.abstract == key:
                break
            key, abstract = linked.abstract, self.abstracts.get(linked.abstract)
        return key, abstract


def _level(lvl: ElementTree.Element) -> _Level:
    text = lvl.find(f"{_W}lvlText")
    legal = lvl.find(f"{_W}isLgl")
    start = _int(_val(lvl.find(f"{_W}start")))
    return _Level(start=0 if start is None else start,  # as the standard says
                  format=_val(lvl.find(f"{_W}numFmt")) or "decimal",
                  text=(text.get(f"{_W}val") or "") if text is not None else "",
                  restart=_int(_val(lvl.find(f"{_W}lvlRestart"))),
                  legal=legal is not None and on(legal),
                  style=_val(lvl.find(f"{_W}pStyle")))


def roman(value: int) -> str:
    """``value`` (1 to 3999) in lower-case Roman numerals: 4 is ``iv``, 14 ``xiv``."""
    numeral = ""
    for amount, digits in _ROMAN:
        while value >= amount:
            numeral, value = numeral + digits, value - amount
    return numeral


def _format(value: int, kind: str) -> str:
    if kind == "none":
        return ""
    if kind in ("lowerLetter", "upperLetter") and value > 0:
        letter = chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter.upper() if kind == "upperLetter" else letter
    if kind in ("lowerRoman", "upperRoman") and 0 < value < 4000:
        numeral = roman(value)
        return numeral.upper() if kind == "upperRoman" else numeral
    if kind == "decimalZero":
        return f"{value:02d}"
    return str(value)  # decimal, and the formats refcheck does not spell out


def _val(element: ElementTree.Element | None) -> str | None:
    return None if element is None else element.get(f"{_W}val")


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def on(element: ElementTree.Element) -> bool:
    """A toggle property's value: on unless ``w:val`` is 0, false or off."""
    return (element.get(f"{_W}val") or "true").lower() not in ("0", "false", "off")
