"""Find the URLs and DOIs printed in a run of lines, joining what line breaks and spaces
split and recording, by rule name, every repair made (``repair.RULES``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from refcheck.extract import repair
from refcheck.extract.document import Line, Place
from refcheck.urls import normalise_doi

_START = re.compile(
    r"(?<![A-Za-z0-9@.\-/])(?:https?:/{1,3}|www\.|(?:dx\.)?doi\.org/10\.|"
    # A scheme typed or copied wrong, as `urls.mistyped_scheme` reads it: `htttp://`,
    # `http//`, `https;//`, `http:\\`.
    r"h{1,3}t{1,3}p{1,3}s?(?:[:;]{1,2}[/\\]{0,3}|[/\\]{2,3}:?)(?=[A-Za-z0-9])|"
    # A host name without scheme or www., with a path: `bit.ly/1fLIkjF`, `gov.uk/dfe`.
    r"(?:[a-z0-9-]+\.)+(?:uk|com|org|net|gov|edu|int|eu|ly|io|info|ms|gl|me|co|in)/(?=\S))",
    re.IGNORECASE)
_MARKER = re.compile(r"\d{1,2}(?=www\.)", re.IGNORECASE)
_DOI_LABEL = re.compile(r"^\(?doi\b\s*[:.]?$", re.IGNORECASE)
_DOI_GLUED = re.compile(r"(?<![A-Za-z0-9])doi\s*:\s*(?=10\.)", re.IGNORECASE)
_DOI_START = re.compile(r"^10\.\d{4,9}/")
_DOI_PREFIX_ONLY = re.compile(r"^10\.\d{4,9}/$")
_TOKEN = re.compile(r"\S+")
#: A URL glued on behind other text in one word: `…ENG.pdf;http://…`, `14http://…`,
#: `S10)http://…`, `…Macedoniahttps://…`; not an archived URL (`/20130107105354/http://`)
#: or a redirector's parameter (`url=http://`, `redirect?http://`).
_GLUED_SCHEME = re.compile(r"(?<=[^/=:?\s])(?=https?://)", re.IGNORECASE)
#: Most lines a URL is printed over.
MAX_LINES = 6


@dataclass(frozen=True)
class Found:
    """One URL (or DOI) as found: what to write, what was printed, where, and how sure."""

    url: str
    printed: str  # as printed, with a newline at each line break
    places: tuple[Place, ...]
    rules: tuple[str, ...] = ()
    uncertain: bool = False
    alternative: str | None = None
    doi: str | None = None  # set when a DOI was printed as a DOI, not as a URL
    line: int = 0  # index of its first line among the lines searched

    @property
    def repaired(self) -> bool:
        return bool(self.rules)


@dataclass(frozen=True)
class _Token:
    line: int
    text: str
    first: bool  # first token of its line
    glued: bool = False  # glued on to the word before it (`…pdf;` `http://…`)


@dataclass
class _Build:
    pieces: list[tuple[_Token, str, str]] = field(default_factory=list)  # token, text, glue
    rules: list[str] = field(default_factory=list)
    uncertain: bool = False
    alternative_at: int | None = None  # piece where the uncertain step was taken
    alternative_glue: str | None = None

    @property
    def text(self) -> str:
        return "".join(glue + text for _, text, glue in self.pieces)


def tokens_of(lines: Sequence[Line]) -> list[_Token]:
    out = []
    for index, line in enumerate(lines):
        for number, match in enumerate(_TOKEN.finditer(line.text)):
            word = match.group(0)
            parts = _GLUED_SCHEME.split(word) if "://" in word[1:] else [word]
            for part_number, part in enumerate(parts):
                out.append(_Token(index, part, number == 0 and part_number == 0,
                                  glued=part_number > 0))
    return out


def find(lines: Sequence[Line]) -> list[Found]:
    """Every URL and DOI in ``lines``, in reading order."""
    tokens = tokens_of(lines)
    found: list[Found] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        head = _split_scheme(tokens, i)
        if head is not None:
            # `htt` / `p://www.…`: a URL broken inside its scheme begins on this line.
            build = _Build([(token, head, ""), (tokens[i + 1], tokens[i + 1].text, "")],
                           ["wrap"])
            i = _grow(build, tokens, i + 1, lines)
            result = _finish(build, lines, doi=False)
            if result is not None:
                found.append(result)
            continue
        start = _START.search(token.text)
        if start is not None:
            begin = start.start()
            marker = _MARKER.match(token.text, begin)
            if marker:  # a footnote number glued on in front: `1www.sccjr.ac.uk`
                begin = marker.end()
            build = _Build([(token, token.text[begin:], "")])
            i = _grow(build, tokens, i, lines)
            result = _finish(build, lines, doi=False)
            if result is not None:
                found.append(result)
            continue
        doi_at = _doi_start(tokens, i)
        if doi_at is not None:
            j, text = doi_at
            build = _Build([(tokens[j], text, "")])
            i = _grow(build, tokens, j, lines, doi=True)
            result = _finish(build, lines, doi=True)
            if result is not None:
                found.append(result)
            continue
        i += 1
    return found


#: The start of a scheme at a line's end, and the rest of it at the next line's start.
_SCHEME_HEAD = re.compile(r"(?:^|(?<=[\s(\[<\"'\u201c]))(h|ht|htt|http|https|https?:|https?:/)$",
                          re.IGNORECASE)


def _split_scheme(tokens: list[_Token], i: int) -> str | None:
    """The scheme's first letters where a URL is broken inside its scheme at a line's
    end (`htt` / `p://www.…`, `http:/` / `/www.…`); None otherwise."""
    if i + 1 >= len(tokens):
        return None
    token, following = tokens[i], tokens[i + 1]
    if following.line != token.line + 1 or not following.first:
        return None
    match = _SCHEME_HEAD.search(token.text)
    if match is None:
        return None
    joined = match.group(1) + following.text
    return match.group(1) if re.match(r"https?://\S", joined, re.IGNORECASE) else None


def _doi_start(tokens: list[_Token], i: int) -> tuple[int, str] | None:
    """A DOI printed as a DOI: `doi:10.…`, `DOI: 10.…`, `DOI:` then a line break."""
    text = tokens[i].text
    glued = _DOI_GLUED.search(text)
    if glued is not None:
        return i, text[glued.end():]
    if _DOI_LABEL.match(text) and i + 1 < len(tokens):
        following = tokens[i + 1].text
        if _DOI_START.match(following):
            return i + 1, following
    return None


def _grow(build: _Build, tokens: list[_Token], i: int, lines: Sequence[Line], *,
          doi: bool = False) -> int:
    """Extend the URL begun at token i over the tokens that continue it; return the index
    of the first token after it."""
    j = i + 1
    while True:
        token, text, _ = build.pieces[-1]
        cut = repair.cut_glued(text, build.text[:len(build.text) - len(text)])
        if cut is not None:
            build.pieces[-1] = (token, text[:cut], build.pieces[-1][2])
            build.rules.append("glued")
            return j
        if j >= len(tokens):
            return j
        following = tokens[j]
        if following.line - build.pieces[0][0].line >= MAX_LINES:
            return j
        wrap = following.line != token.line
        if wrap and not following.first:
            return j
        if following.glued:
            build.rules.append("glued")
            return j
        if wrap and (following.line != token.line + 1 or not lines[following.line].text.strip()):
            return j
        line = lines[token.line]
        nxt = lines[following.line]
        so_far = build.text
        alone = j + 1 >= len(tokens) or tokens[j + 1].line != following.line
        if doi and not repair.starts_url(following.text) and (
                _DOI_PREFIX_ONLY.match(so_far)
                or (so_far.endswith("-") and following.text[:1].isdigit())):
            # `10.1520/` and a line break: a DOI has a suffix, so it goes on; so does one
            # broken after a hyphen (`10.4271/2001-01- 3552`).
            join: repair.Join | None = repair.Join("wrap" if wrap else "space")
        else:
            join = repair.continues(so_far, following.text, wrap=wrap,
                                    gap=line.gap if wrap else None,
                                    lead=nxt.lead if wrap else None, alone=alone)
        if join is None:
            consumed = _ocr_run(build, tokens, j)
            if consumed:
                j += consumed
                continue
            return j
        if join.uncertain and not build.uncertain:
            build.uncertain = True
            build.alternative_at = len(build.pieces)
            build.alternative_glue = "" if join.glue else None
        build.pieces.append((following, following.text, join.glue))
        build.rules.append(join.rule)
        j += 1


def _ocr_run(build: _Build, tokens: list[_Token], j: int) -> int:
    """OCR's spaces inside a URL: `121` / `214 Working_with_troubled_families_ FINAL_v2.pdf`
    and `Boyle C` / `hris.pdf`. The pieces are joined when together they end in a file
    name; the glue between them is a guess, so the URL is uncertain."""
    so_far = build.text
    last_token = build.pieces[-1][0]
    run: list[_Token] = []
    for token in tokens[j:j + 4]:
        if run and token.line != run[-1].line and not token.first:
            break
        if token.line > last_token.line + 1 or repair.starts_url(token.text) \
                or repair.is_stop_word(token.text):
            break
        run.append(token)
        if repair.has_extension(token.text):
            break
    if not run or not repair.has_extension(run[-1].text):
        return 0
    if len(run) == 1 and run[0].line != last_token.line:
        return 0  # a single wrapped piece is the wrap rule's to judge
    first = run[0].text
    short = first.isdigit() or (len(first) == 1 and first.isupper())
    if not short or not all(repair.looks_like_url_part(t.text) or t.text.isalnum()
                            for t in run[1:]):
        return 0
    underscores = "_" in so_far.split("//", 1)[-1]
    previous = build.pieces[-1][1]
    for token in run:
        wrapped = token.line != build.pieces[-1][0].line
        if (wrapped or previous.endswith("_") or token.text.startswith("_")
                or (previous.isdigit() and token.text.isdigit())):
            glue = ""
        else:
            glue = "_" if underscores else ""
            if not build.uncertain:
                build.uncertain = True
                build.alternative_at = len(build.pieces)
                build.alternative_glue = "" if glue else None
        build.pieces.append((token, token.text, glue))
        previous = token.text
    build.rules.append("ocr-split")
    build.uncertain = True
    return len(run)


def _finish(build: _Build, lines: Sequence[Line], *, doi: bool) -> Found | None:
    # The URL ends before the sentence's punctuation: trim the last pieces.
    joined = build.text
    kept = repair.strip_tail(joined)
    excess = len(joined) - len(kept)
    while excess > 0 and build.pieces:
        token, text, glue = build.pieces[-1]
        if excess >= len(text):
            excess -= len(text) + len(glue)
            build.pieces.pop()
        else:
            build.pieces[-1] = (token, text[:len(text) - excess], glue)
            excess = 0
    if not build.pieces:
        return None
    candidate = build.text
    printed_parts: list[str] = []
    places: list[Place] = []
    previous_line: int | None = None
    for token, text, _ in build.pieces:
        if previous_line is not None:
            printed_parts.append("\n" if token.line != previous_line else " ")
        printed_parts.append(text)
        if token.line != previous_line:
            places.append(lines[token.line].place)
        previous_line = token.line
    printed = "".join(printed_parts)
    cleaned = repair.clean(candidate, doi=doi)
    rules = [*dict.fromkeys(build.rules + list(cleaned.rules))]
    alternative = None
    if build.uncertain and build.alternative_at is not None:
        if build.alternative_glue is None:
            other = "".join(g + t for _, t, g in build.pieces[:build.alternative_at])
        else:
            pieces = list(build.pieces)
            token, text, _ = pieces[build.alternative_at]
            pieces[build.alternative_at] = (token, text, build.alternative_glue)
            other = "".join(g + t for _, t, g in pieces)
        alternative = repair.clean(repair.strip_tail(other)).url
    uncertain = build.uncertain or "ocr-pipe" in rules
    if "ocr-pipe" in rules and alternative is None:
        alternative = candidate
    url = cleaned.url
    if doi:
        value = normalise_doi(url.rstrip("."))
        if value is None:
            return None
        return Found(url=f"https://doi.org/{value}", printed=printed, places=tuple(places),
                     rules=tuple(rules),
                     uncertain=uncertain, alternative=alternative, doi=value,
                     line=build.pieces[0][0].line)
    if not _usable(url):
        return None
    return Found(url=url, printed=printed, places=tuple(places), rules=tuple(rules),
                 uncertain=uncertain, alternative=alternative if alternative != url else None,
                 line=build.pieces[0][0].line)


_HOST = re.compile(r"^https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.IGNORECASE)


def _usable(url: str) -> bool:
    """A URL with a host name that has a dot: `http://` alone or `www.` alone is not one."""
    return bool(_HOST.match(url))
