"""`refcheck fix`: from a report to a repaired case file.

Three parts, one direction:
- ``plan``: which cited URLs to rewrite, to what, and why (or why not); pure, over the
  results of an ordinary check (``checker.check``: nothing is checked twice or otherwise);
- ``rewrite``: the case file's text with only those URL values changed, edited at the line
  and column refcheck records for each URL (``CitedUrl.position``), each change with a
  ``# was: OLD (why, date)`` comment above it; everything else is left byte for byte;
- ``fix_files``: the I/O: read, check, plan, rewrite, then show a diff or write atomically,
  never over a file that changed on disk meanwhile.

A rewritten link counts as ``ok`` for the exit code: its new address is the page, or the
archive capture, that this run found working (``outcome_after``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import difflib
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from refcheck import cases
from refcheck.archive import ArchiveSettings
from refcheck.archive.citations import recognise
from refcheck.build import RunSettings, build_archives
from refcheck.checker import check
from refcheck.errors import CaseFileError, Problem
from refcheck.local import mode_for, written_through
from refcheck.model import (
    Case,
    Evidence,
    ExitCode,
    LinkResult,
    Outcome,
    RunReport,
    SourceKind,
    Status,
    day,
    decide,
)
from refcheck.report import literal
from refcheck.urls import (
    credentials_in,
    is_trivial_move,
    mask,
    unwrap_url,
    url_hint,
    without_session,
)

if TYPE_CHECKING:
    from refcheck.cli import Parts

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# -- what to change (pure) ------------------------------------------------------------------

#: How close a moved page's title must be to the source's title (token-set ratio, 0..1),
#: and how much of the source title's words it must share, to count as the same evidence.
SAME_TITLE = 0.8
SHARED_WORDS = 1 / 3

_WORD = re.compile(r"[^\W_]+")
#: Words that say nothing about which page it is: function words, and the site furniture
#: page titles carry ("… - GOV.UK", "Home page").
_IDLE_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it",
    "its", "of", "on", "or", "the", "to", "with",
    "gov", "uk", "www", "com", "org", "net", "ac", "co", "home", "homepage", "page",
    "welcome", "index", "site", "website"))


def title_words(text: str) -> frozenset[str]:
    """The words of a title that say which page it is, case and accents folded."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return frozenset(w for w in _WORD.findall(folded) if w not in _IDLE_WORDS)


def title_similarity(a: str, b: str) -> float:
    """How alike two titles are, 0 to 1: the token-set ratio (fuzzywuzzy's, built on
    difflib), so words in a different order or one title's extra words (a publisher, a year,
    a site name) cost little."""
    x, y = title_words(a), title_words(b)
    if not x or not y:
        return 0.0
    common = " ".join(sorted(x & y))
    left = " ".join(filter(None, (common, " ".join(sorted(x - y)))))
    right = " ".join(filter(None, (common, " ".join(sorted(y - x)))))

    def ratio(p: str, q: str) -> float:
        return difflib.SequenceMatcher(None, p, q).ratio()

    if not common:
        return ratio(left, right)
    return max(ratio(common, left), ratio(common, right), ratio(left, right))


def same_evidence(page_title: str, reference: str) -> bool:
    """Whether a page titled ``page_title`` is what ``reference`` (a source's title, or the
    old address's own name) names: alike, and sharing a fair part of the reference's words,
    so a page called "Local Government" does not pass for every council report."""
    words = title_words(reference)
    page_words = title_words(page_title)
    shared = words & page_words
    if not words or len(shared) < min(2, len(words)):
        return False
    # Numbers name an edition: "Annual report 2013" is not the 2012 report it replaced,
    # however alike the words, when each title has a number the other lacks.
    numbers, page_numbers = _numbers(words), _numbers(page_words)
    if numbers - page_numbers and page_numbers - numbers:
        return False
    return (len(shared) / len(words) >= SHARED_WORDS
            and title_similarity(page_title, reference) >= SAME_TITLE)


def _numbers(words: frozenset[str]) -> frozenset[str]:
    """The numbers among a title's words (``2011``, ``12`` of "2011-12"), without leading
    zeros."""
    return frozenset(w.lstrip("0") or "0" for w in words if w.isdecimal())


def address_name(url: str) -> str | None:
    """The old address's last path segment as words (``…/junior-ministers-visit.htm`` →
    "junior ministers visit"), when it is a name and not a number or ``index.html``."""
    path = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    segment = path.rsplit("/", 1)[-1] if "/" in path.partition("://")[2] else ""
    segment = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", segment)
    words = [w for w in re.split(r"(?:%20|[-_.+\s])+", segment) if re.search("[A-Za-z]", w)]
    return " ".join(words) if len(words) >= 3 else None


@dataclass(frozen=True)
class Change:
    """A cited URL to rewrite: to what, the word for the comment, and why (for stdout)."""

    result: LinkResult
    new_url: str
    reason: str  # in the comment: "moved", "dead", "pre-2021 UKGWA address", ...
    why: str


@dataclass(frozen=True)
class Kept:
    """A cited URL that needs attention but is left as it is, and why."""

    result: LinkResult
    why: str


def plan(results: Sequence[LinkResult], *, upgrade_https: bool = False,
         archive_settings: ArchiveSettings | None = None) -> tuple[list[Change], list[Kept]]:
    """What to do with each cited URL: the changes, and the links left as they are that
    need attention. A URL cited once is changed once; other URLs of a source are untouched."""
    changes: list[Change] = []
    kept: list[Kept] = []
    seen: set[tuple[str, int, int]] = set()
    # A source's URL that works: a lost one beside it need not be replaced.
    working = {_source_key(r): r.cited.url for r in results
               if r.cited is not None and r.status is Status.OK}
    for result in results:
        cited = result.cited
        if cited is None:
            continue
        where = (cited.position.file, cited.position.line, cited.position.column)
        if where in seen:
            continue
        seen.add(where)
        decision = decide_change(result, upgrade_https=upgrade_https,
                                 archive_settings=archive_settings,
                                 works_beside=working.get(_source_key(result)))
        if isinstance(decision, Change):
            changes.append(decision)
        elif isinstance(decision, Kept):
            kept.append(decision)
    return changes, kept


def _source_key(result: LinkResult) -> tuple[str, str, str]:
    return (result.case.path, result.source.kind.value, result.source.id)


def decide_change(result: LinkResult, *, upgrade_https: bool = False,
                  archive_settings: ArchiveSettings | None = None,
                  works_beside: str | None = None) -> Change | Kept | None:
    """The rewrite rule for one result (None: nothing to do or say). The cited URL's
    fragment (``#page=4``, ``#section-3``) goes with it to the new address, as a browser
    takes it over a redirect: it says where in the evidence to look. ``works_beside`` is
    another URL of the same source that works, if any."""
    decision = _decision(result, upgrade_https=upgrade_https,
                         archive_settings=archive_settings, works_beside=works_beside)
    if not isinstance(decision, Change) or result.cited is None:
        return decision
    _, hash_sign, fragment = result.cited.url.partition("#")
    if not hash_sign or "#" in decision.new_url:
        return decision
    new = f"{decision.new_url}#{fragment}"
    return dataclasses.replace(decision, new_url=new,
                               why=decision.why.replace(decision.new_url, new))


def _decision(result: LinkResult, *, upgrade_https: bool,
              archive_settings: ArchiveSettings | None,
              works_beside: str | None = None) -> Change | Kept | None:
    cited = result.cited
    if cited is None:
        return None
    status = result.status
    citation = recognise(cited.url, archive_settings) if archive_settings else None
    if (citation is not None and citation.timestamp is None and not citation.latest
            and status is Status.OK and result.archive is not None
            and result.evidence is Evidence.ARCHIVED):
        # A list of captures: the capture the archives found to be the page is the one to
        # cite (the list itself is no copy of the evidence), in any of its forms.
        capture = result.archive
        return Change(result, capture.url, "list of captures",
                      f"a list of captures → the capture of {day(capture.captured)} that is "
                      f"the page: {capture.url}")
    if citation is not None and citation.legacy:
        if status is Status.OK:
            return Change(result, citation.current, "pre-2021 UKGWA address",
                          f"pre-2021 {citation.service.short} address → its current form "
                          f"{citation.current}")
        if not _has_good_copy(result):
            landed = (recognise(result.final_url, archive_settings) if result.final_url
                      and archive_settings else None)
            if landed is not None and landed.timestamp is not None:
                # It led to a capture, and the capture is of an error page (or the like):
                # its current form is the same capture.
                return Kept(result, f"a pre-2021 {citation.service.short} address that is "
                            f"{status.value} ({result.detail}): find where the evidence "
                            "went")
            return Kept(result, f"a pre-2021 {citation.service.short} address that did not "
                        f"answer as a capture ({status.value}); its current form would be "
                        f"{citation.current}: check it before citing it")
    if status is Status.MOVED:
        return _moved(result)
    if status is Status.ARCHIVED and result.archive is not None:
        return Change(result, result.archive.url, "archived",
                      f"its address now leads to {result.archive.label or 'an archive'}'s "
                      f"capture of {day(result.archive.captured)} → that capture: "
                      f"{result.archive.url}")
    if status in (Status.DEAD, Status.SOFT_404, Status.DRIFTED):
        return _lost(result, works_beside)
    if status is Status.OK and cited.url.lower().startswith("http://") and _upgradable(result):
        assert result.final_url is not None
        if upgrade_https:
            new = without_session(result.final_url, cited=cited.url)
            return Change(result, new, "https", f"redirects to the same page over https → {new}")
        return None
    if status in (Status.BLOCKED, Status.ERROR):
        return Kept(result, f"{status.value}: not changed, the page may still be there "
                    "(open it in a browser)")
    if status is Status.INVALID:
        return Kept(result, f"invalid: correct it by hand ({result.detail})")
    return None


def upgradable_count(results: Sequence[LinkResult]) -> int:
    """``http://`` links that redirect to the same page over https (``--upgrade-https``)."""
    return sum(1 for r in results if r.cited is not None and r.status is Status.OK
               and r.cited.url.lower().startswith("http://") and _upgradable(r))


def _upgradable(result: LinkResult) -> bool:
    final = result.final_url
    assert result.cited is not None
    return (final is not None and final.lower().startswith("https://")
            and result.archive is None and is_trivial_move(result.cited.url, final))


def _has_good_copy(result: LinkResult) -> bool:
    return (result.archive is not None and result.evidence is Evidence.ARCHIVED
            and result.status in (Status.DEAD, Status.SOFT_404, Status.DRIFTED))


def _moved(result: LinkResult) -> Change | Kept:
    # The address to cite has no visitor's session in it, if the server added one.
    assert result.cited is not None
    new = (without_session(result.final_url, cited=result.cited.url)
           if result.final_url is not None else None)
    if new is None:
        return Kept(result, "moved, but refcheck did not see where to; check it by hand")
    if credentials_in(new) - credentials_in(result.cited.url):
        # A signed or tokened address the server handed out: it expires, and a case file
        # is shared and published, so it is never written there.
        return Kept(result, f"moved to {new}, an address with credentials the server added "
                    "(a password, token or signature, which expire and must not be "
                    "published): find the page's own address and cite it by hand")
    title = result.page_title
    if not title:
        return Kept(result, f"moved to {new}, which has no title to compare with the "
                    "source's: check it is the same evidence, then cite it by hand")
    if same_evidence(title, result.source.title):
        return Change(result, new, "moved", f"moved → {new} (the new page's title "
                      f"\u201c{title}\u201d matches the source's title)")
    name = address_name(result.cited.url)
    if name is not None and same_evidence(title, name):
        return Change(result, new, "moved", f"moved → {new} (the new page's title "
                      f"\u201c{title}\u201d matches the old address's name \u201c{name}\u201d)")
    score = title_similarity(title, result.source.title)
    return Kept(result, f"moved to {new}, but its title \u201c{title}\u201d does not match "
                f"the source's title (similarity {score:.2f}): check it is the same "
                "evidence, then cite it by hand")


def _lost(result: LinkResult, works_beside: str | None = None) -> Change | Kept:
    status = result.status.value
    capture = result.archive
    if capture is not None and _has_good_copy(result):
        holds = ("; the quote is in it" if result.source.quote else "; it shows the page "
                 "cited") if result.status is Status.DRIFTED else ""
        return Change(result, capture.url, status,
                      f"{status} → the archived copy in {capture.label or capture.service} "
                      f"of {day(capture.captured)}: {capture.url}{holds}")
    if capture is not None and result.status is Status.DRIFTED:
        return Kept(result, f"drifted, and the archived copy of {day(capture.captured)} "
                    "could not be shown to hold the quote: find the passage by hand")
    hint = url_hint(result.cited.url) if result.cited is not None and result.status in (
        Status.DEAD, Status.SOFT_404) else None
    if hint is not None:
        # The case-file warning's mistake is the likeliest reason (as the reports say).
        return Kept(result, f"{status} as written, which looks damaged: {hint}; correct it "
                    "by hand, then check again")
    if result.evidence is Evidence.LOST and works_beside is not None:
        return Kept(result, f"{status}, and no archive asked holds a good copy; the source's "
                    f"other URL works ({works_beside}): remove this one from the source, "
                    "or find where its evidence went")
    if result.evidence is Evidence.LOST:
        return Kept(result, f"{status}, and no archive asked holds a good copy: find where "
                    "the evidence went")
    if not result.lookups:
        return Kept(result, f"{status}; the archives were not asked (--no-archive)")
    return Kept(result, f"{status}, and no archived copy could be confirmed (a lookup "
                "failed): run refcheck fix again later")


def outcome_after(report: RunReport, changes: Sequence[Change],
                  fail_on: frozenset[Status]) -> Outcome:
    """The exit code as a check of the file after the fixes would give it: a rewritten link
    is ``ok``, since its new address is what this run found working (the page a move led
    to, or a capture found good)."""
    fixed = {id(c.result) for c in changes}
    results = []
    for result in report.results:
        if id(result) in fixed:
            archived = result.archive is not None and result.status is not Status.MOVED \
                and result.status is not Status.OK
            result = dataclasses.replace(
                result, status=Status.OK,
                evidence=Evidence.ARCHIVED if archived else result.evidence)
        results.append(result)
    return decide(dataclasses.replace(report, results=results), fail_on)


# -- the text (pure) ------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_day(when: dt.date) -> str:
    """1 Dec 2026, whatever the locale."""
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"


@dataclass(frozen=True)
class Edit:
    """One URL value to replace in a case file's text, at its 1-based line and column."""

    line: int
    column: int
    old: str  # the URL as refcheck read it (the value, without < > or quotes around it)
    new: str
    comment: str  # the comment line's text after "# "


class RewriteError(Exception):
    """The edited text would not read as the same case file with only the URLs changed."""


#: Line breaks as YAML (and PyYAML's marks) count them.
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
#: A URL that may stand as a plain scalar anywhere, block or flow (else it is quoted).
_PLAIN_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s,\[\]{}'\"`]*[^\s,\[\]{}'\"`:]")


def rewrite(text: str, edits: Sequence[Edit]) -> tuple[str, list[tuple[Edit, str]]]:
    """``text`` with each edit's URL replaced, a comment line above each, and nothing else
    changed; and the edits that could not be made, with why."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise RewriteError(f"the file no longer reads as YAML: {exc}") from None
    scalars = _scalars(root)
    starts = _line_starts(text)
    newline = _newline(text)
    # (offset, 1 for a replacement or 0 for a comment, column, end, text): applied from the
    # end of the text back, a line's replacements before the comments put above it, and of
    # two comments above one line, the one for the later column first (so it ends lower).
    operations: list[tuple[int, int, int, int, str]] = []
    refused: list[tuple[Edit, str]] = []
    done: set[tuple[int, int]] = set()
    for edit in edits:
        node = _node_for(scalars, edit)
        if node is None:
            refused.append((edit, "the URL is not where refcheck read it (the `doi:` field, "
                                  "or written in a way refcheck does not edit)"))
            continue
        start, end = node.start_mark.index, node.end_mark.index
        if (node.start_mark.line, node.start_mark.column) in done:
            continue
        if node.style in ("|", ">"):
            refused.append((edit, "written as a block scalar (| or >): change it by hand"))
            continue
        expected = node.style if node.style in ("'", '"') else None
        first = text[start:start + 1]
        if (expected is not None and first != expected) or (
                expected is None and not text.startswith(node.value[:1], start)):
            refused.append((edit, "the URL carries a YAML anchor or tag: change it by hand"))
            continue
        done.add((node.start_mark.line, node.start_mark.column))
        operations.append((start, 1, node.start_mark.column, end,
                           scalar_text(edit.new, node.style)))
        line_start = starts[node.start_mark.line]
        indent = text[line_start:len(text) - len(text[line_start:].lstrip(" \t"))]
        operations.append((line_start, 0, node.start_mark.column, line_start,
                           f"{indent}# {edit.comment}{_newline(text, line_start, newline)}"))
    out = text
    for offset, _kind, _column, end, replacement in sorted(operations, reverse=True):
        out = out[:offset] + replacement + out[end:]
    return out, refused


def scalar_text(value: str, style: str | None) -> str:
    """``value`` written as a YAML scalar: in the old value's quoting, escaped as it needs;
    a plain value that would need quotes gets single quotes."""
    if style == '"':
        return '"' + _double_escaped(value) + '"'
    if style == "'" or _PLAIN_URL.fullmatch(value) is None:
        if value.isprintable():
            return "'" + value.replace("'", "''") + "'"
        return '"' + _double_escaped(value) + '"'
    return value


def _double_escaped(value: str) -> str:
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif not ch.isprintable():
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def _scalars(root: yaml.Node | None) -> dict[tuple[int, int], yaml.ScalarNode]:
    found: dict[tuple[int, int], yaml.ScalarNode] = {}
    stack = [root] if root is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            found[(node.start_mark.line, node.start_mark.column)] = node
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return found


def _holds(node: yaml.ScalarNode, url: str) -> bool:
    value = str(node.value)
    if value == url:
        return True
    wrapped = unwrap_url(value)
    return wrapped is not None and wrapped[0] == url


def _node_for(scalars: dict[tuple[int, int], yaml.ScalarNode],
              edit: Edit) -> yaml.ScalarNode | None:
    """The scalar the edit's position names, when it holds the URL; else the one scalar on
    that line that does."""
    node = scalars.get((edit.line - 1, edit.column - 1))
    if node is not None and _holds(node, edit.old):
        return node
    on_line = [n for (line, _), n in scalars.items()
               if line == edit.line - 1 and _holds(n, edit.old)]
    return on_line[0] if len(on_line) == 1 else None


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in _BREAK.finditer(text))]


def _newline(text: str, at: int = 0, default: str | None = None) -> str:
    """The line break of the line at ``at`` (a comment put above a line ends as it does,
    in a file whose lines end in both ways); on the last line, ``default`` or the first."""
    found = _BREAK.search(text, at)
    if found is None:
        return default if default is not None else "\n"
    return found.group(0) if found.group(0) in ("\r\n", "\r") else "\n"


def edits_for(changes: Sequence[Change]) -> list[Edit]:
    edits = []
    for change in changes:
        cited = change.result.cited
        assert cited is not None
        when = short_day(change.result.checked_at)
        edits.append(Edit(cited.position.line, cited.position.column, cited.url,
                          change.new_url, f"was: {mask(cited.url)} ({change.reason}, {when})"))
    return edits


def verify(before: Case, after: Case, changes: Sequence[Change]) -> None:
    """The rewritten file must read as the same case with only the changed URLs new.
    Raises ``RewriteError`` otherwise (nothing is written then)."""
    new_urls = {(c.result.source.kind, c.result.source.id, c.result.cited.url): c.new_url
                for c in changes if c.result.cited is not None}

    def shape(case: Case, mapping: dict[tuple[SourceKind, str, str], str]) -> object:
        return (case.title, case.institution, case.id, case.date, [
            (s.kind, s.id, s.title, s.quote, s.note, s.doi,
             [mapping.get((s.kind, s.id, u.url), u.url) for u in s.urls])
            for s in case.sources])

    if shape(before, new_urls) != shape(after, {}):
        raise RewriteError("the edited file would not read as the same case file with only "
                           "the URLs changed; nothing was written (please report this)")


# -- the files (I/O) ------------------------------------------------------------------------

@dataclass
class Target:
    """One file to fix: where the case file's text came from and where it goes."""

    path: Path  # the case file, or the document it was extracted from
    output: Path  # where the fixed case file is written (the case file itself, or new)
    text: str
    raw: bytes | None  # the case file's bytes as read (None for a document)
    stat: os.stat_result | None
    bom: bool
    loaded: cases.LoadedCase


class Refused(Exception):
    """A file that cannot be fixed, with the sentence that says why."""


def read_target(path: Path, *, output: Path | None, documents: tuple[str, ...]) -> Target:
    """The case file (or the case file of a document) and its parsed case. Raises
    ``CaseFileError`` as the check does."""
    if path.suffix.lower() in documents:
        from refcheck.extract import ExtractionError, extract

        destination = output or path.with_suffix(".yaml")
        try:
            extraction = extract(path)
        except ExtractionError as exc:
            raise CaseFileError([Problem(str(path), None, None, str(exc))]) from None
        text = extraction.to_yaml()
        return Target(path, destination, text, None, None, False,
                      cases.parse(text, str(destination)))
    name = str(path)
    try:
        stat = path.stat()
        if stat.st_size > cases.MAX_FILE_BYTES:
            raise CaseFileError([Problem(name, None, None, f"file is {stat.st_size:,} bytes; "
                                         f"a case file may be at most "
                                         f"{cases.MAX_FILE_BYTES:,} bytes")])
        raw = path.read_bytes()
    except OSError as exc:
        raise CaseFileError([Problem(name, None, None, f"cannot read: {exc.strerror}")]
                            ) from None
    text = cases.decode(raw, name)  # as the check reads it
    return Target(path, path, text, raw, stat, raw.startswith(b"\xef\xbb\xbf"),
                  cases.parse(text, name))


def write_atomically(path: Path, data: bytes, *, expected: bytes | None,
                     expected_stat: os.stat_result | None) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, keeping the
    file's mode. With ``expected``, refuse (``Refused``) if the file on disk is no longer
    what was read: someone edited it while refcheck was checking."""
    if expected is not None:
        try:
            now = path.stat()
            same = (expected_stat is None or (now.st_mtime_ns, now.st_size) == (
                expected_stat.st_mtime_ns, expected_stat.st_size)) and \
                path.read_bytes() == expected
        except OSError:
            same = False
        if not same:
            raise Refused(f"{path} changed on disk while refcheck was checking it; it was "
                          "not overwritten: run refcheck fix again")
    mode = mode_for(path)
    shown, path = path, written_through(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise Refused(f"cannot write {shown}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise Refused(f"cannot write {shown}: {exc.strerror or exc}; it is unchanged") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, kw_only=True)
class FixRequest:
    """What `refcheck fix` was asked to do."""

    paths: tuple[str, ...]
    settings: RunSettings
    dry_run: bool = False
    upgrade_https: bool = False
    output: Path | None = None  # for a document: where its case file goes


def fix_files(request: FixRequest, parts: Parts) -> int:
    """Check, plan, rewrite, then diff or write; the exit code."""
    from refcheck.cli import DOCUMENT_SUFFIXES, Terminated, event_loop_factory

    try:
        found = cases.discover(request.paths)
        documents = [p for p in found if p.suffix.lower() in DOCUMENT_SUFFIXES]
        if request.output is not None and (len(found) != 1 or not documents):
            raise Refused("-o names the case file written for one document (.pdf, .docx, "
                          ".txt); a case file is fixed where it is")
        targets, problems = [], []
        for path in found:
            try:
                targets.append(read_target(path, output=request.output,
                                           documents=DOCUMENT_SUFFIXES))
            except CaseFileError as exc:
                problems.extend(exc.problems)
        if problems:
            raise CaseFileError(problems)
    except CaseFileError as exc:
        for problem in exc.problems:
            say(str(problem), err=True)
        say("refcheck fix: nothing was checked or changed; correct what is named above and "
            "run again.", err=True)
        return ExitCode.USAGE
    except Refused as exc:
        say(f"refcheck fix: {exc}", err=True)
        return ExitCode.USAGE
    for target in targets:
        for warning in target.loaded.warnings:
            say(str(warning), err=True)
        if target.raw is None and target.output.exists() and request.output is None \
                and not request.dry_run:
            say(f"refcheck fix: {target.output} exists already; nothing was checked. Give "
                 f"-o FILE for the case file of {target.path} (-o {target.output} replaces "
                 "it)", err=True)
            return ExitCode.USAGE
    report = RunReport()
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(_check([t.loaded.case for t in targets], request.settings, parts,
                              report))
    except KeyboardInterrupt:
        say("refcheck fix: interrupted (Ctrl-C) while checking the links; nothing was "
            "changed.", err=True)
        return ExitCode.INTERRUPTED
    except Terminated:
        say("refcheck fix: stopped (SIGTERM) while checking the links; nothing was changed.",
            err=True)
        return ExitCode.TERMINATED
    if report.network_unreachable:
        say("refcheck fix: no network: nothing could be reached, so nothing was concluded "
             "and nothing changed.", err=True)
        return ExitCode.NO_NETWORK
    applied: list[Change] = []
    refused_files = False
    for target in targets:
        try:
            applied += _fix_one(target, report, request)
        except (Refused, RewriteError) as exc:
            say(f"refcheck fix: {exc}", err=True)
            refused_files = True
    if refused_files:
        return ExitCode.USAGE
    fail_on = request.settings.fail_on
    outcome = decide(report, fail_on) if request.dry_run else \
        outcome_after(report, applied, fail_on)
    return outcome.exit_code


async def _check(loaded: list[Case], settings: RunSettings, parts: Parts,
                 report: RunReport) -> None:
    from refcheck.cli import terminating

    with terminating():
        async with parts.make_fetcher(settings.http) as fetcher:
            await check(loaded, fetcher, report, settings.check, clock=fetcher.clock,
                        archives=build_archives(settings.check, fetcher))


def _fix_one(target: Target, report: RunReport, request: FixRequest) -> list[Change]:
    """Fix one file; the changes made (or, with --dry-run, that would be)."""
    case = target.loaded.case
    results = sorted((r for r in report.results if r.case is case and r.cited is not None),
                     key=lambda r: (r.cited.position.line, r.cited.position.column)
                     if r.cited else (0, 0))
    changes, kept = plan(results, upgrade_https=request.upgrade_https,
                         archive_settings=request.settings.check.archive_settings)
    text, refused = rewrite(target.text, edits_for(changes))
    refused_at = {(e.line, e.column) for e, _ in refused}
    made = [c for c in changes if c.result.cited is not None and (
        c.result.cited.position.line, c.result.cited.position.column) not in refused_at]
    kept += [Kept(c.result, why) for c in changes for e, why in refused
             if c.result.cited is not None
             and (e.line, e.column) == (c.result.cited.position.line,
                                        c.result.cited.position.column)]
    if made:
        try:
            after = cases.parse(text, str(target.output)).case
        except CaseFileError as exc:
            raise RewriteError(f"{target.output}: the fixed file would not read as a case "
                               f"file ({exc.problems[0]}); nothing was written") from None
        verify(case, after, made)
    name = str(target.output)
    for change in made:
        say(f"{_where(change.result)}: {change.result.source.id}: {change.why}")
    if kept:
        say("left as they are:" if made else "left as they are (nothing changed):")
        for item in sorted(kept, key=lambda k: _position(k.result)):
            say(f"{_where(item.result)}: {item.result.source.id}: {item.why}")
    hint = upgradable_count(results) if not request.upgrade_https else 0
    if hint:
        say(f"{name}: {hint} http:// address{'es' if hint > 1 else ''} redirect"
             f"{'' if hint > 1 else 's'} to the same page over https; --upgrade-https "
             "changes them")
    if request.dry_run:
        before = target.text if target.raw is not None else ""
        source = name if target.raw is not None else "/dev/null"
        diff = difflib.unified_diff(before.splitlines(keepends=True),
                                    text.splitlines(keepends=True), fromfile=source,
                                    tofile=name)
        sys.stdout.writelines(shown_diff(diff))
        sys.stdout.flush()
        say(f"{name}: {_count(made)} would change; --dry-run: nothing written", err=True)
        return made
    if target.raw is None:
        data = text.encode("utf-8")
        write_atomically(target.output, data, expected=None, expected_stat=None)
        say(f"{name}: case file of {target.path} written, {_count(made)} changed", err=True)
        return made
    if not made:
        say(f"{name}: nothing to change", err=True)
        return made
    data = (b"\xef\xbb\xbf" if target.bom else b"") + text.encode("utf-8")
    write_atomically(target.output, data, expected=target.raw, expected_stat=target.stat)
    say(f"{name}: {_count(made)} changed", err=True)
    return made


def shown_diff(lines: Iterable[str]) -> list[str]:
    """A unified diff's lines as printed: masked and literal like every output, each
    ending in one newline (a last line without one is marked as diff marks it)."""
    out = []
    for line in lines:
        body = line.rstrip("\r\n")
        out.append(literal(body) + "\n")
        if body == line and line.startswith(("+", "-", " ")) and not line.startswith(
                ("+++", "---")):
            out.append("\\ No newline at end of file\n")
    return out


def _count(changes: Sequence[Change]) -> str:
    return f"{len(changes)} URL{'' if len(changes) == 1 else 's'}"


def _position(result: LinkResult) -> tuple[int, int]:
    position = result.cited.position if result.cited else result.source.position
    return (position.line, position.column)


def _where(result: LinkResult) -> str:
    position = result.cited.position if result.cited else result.source.position
    return str(position)


def say(message: str, *, err: bool = False) -> None:
    """A line for the user: credentials masked, control characters shown, never obeyed."""
    print("\n".join(literal(line) for line in message.split("\n")),
          file=sys.stderr if err else sys.stdout)
