"""Case files: YAML in, ``Case`` out, with ``file:line:column`` for every complaint.

Loading is safe and bounded: the YAML is composed into nodes (never constructed into
objects), files over ``MAX_FILE_BYTES`` are refused before parsing, and walking the node
graph stops after ``MAX_NODES`` visits, so an alias-expansion bomb cannot hang a run.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from refcheck.early import CASE_SUFFIXES
from refcheck.errors import CaseFileError, Problem, not_utf8
from refcheck.model import Case, CitedUrl, Position, Source, SourceKind
from refcheck.urls import doi_of, normalise_doi, unwrap_url, url_hint, url_problem

#: libyaml's parser when PyYAML was built with it (the wheels are): about 10x faster.
_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Parser):  # type: ignore[misc,valid-type]
    """The safe loader without the two calls it makes for every node to follow path
    resolvers, which the safe schema has none of (a tenth of the composing time)."""

    def descend_resolver(self, current_node: object, current_index: object) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


#: The tags YAML gives a plain value that is not text: nothing, a number, a yes/no.
_NULL = "tag:yaml.org,2002:null"
_NUMBER = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_BOOL = "tag:yaml.org,2002:bool"
_STR = "tag:yaml.org,2002:str"
#: `` #`` at once followed by a word: a title that YAML cut short at a comment.
_CUT_BY_COMMENT = re.compile(r" #[^\s#]")
#: What YAML counts as the end of a line (``str.splitlines`` also ends one at a vertical
#: tab, a form feed and others, which YAML does not).
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
#: A character YAML does not allow anywhere in a file: control characters but the tab and
#: line breaks, and the two non-characters U+FFFE and U+FFFF.
_NOT_ALLOWED = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: What the control characters met in case files are, by name.
_CONTROL_NAMES = {
    "\x00": "a NUL byte", "\x08": "a backspace", "\x0b": "a vertical tab",
    "\x0c": "a form feed or page break", "\x1b": "an escape character",
    "\x7f": "a delete character",
}

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000

TOP_KEYS = ("case", "sources", "references")
CASE_KEYS = ("title", "institution", "id", "date")
SOURCE_KEYS = ("id", "title", "url", "urls", "quote", "note", "doi")


@dataclass
class LoadedCase:
    case: Case
    warnings: list[Problem] = field(default_factory=list)


def discover(paths: Sequence[str]) -> list[Path]:
    """Expand the command-line arguments into case files; directories give their YAML files."""
    found: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # Subfolders too (a portfolio kept by unit of assessment, say); folders whose
            # names start with "." (.git, .venv) are not case files' places.
            inside = sorted(p for p in path.rglob("*") if p.suffix in CASE_SUFFIXES
                            and p.is_file() and not any(part.startswith(".") for part in
                                                        p.relative_to(path).parts[:-1]))
            if not inside:
                problems.append(
                    Problem(raw, None, None, "this folder holds no case files (*.yaml, *.yml), "
                            "nor do its subfolders")
                )
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        elif path.exists():
            problems.append(Problem(raw, None, None, "not a regular file; expected a case file"))
        elif path.is_symlink():
            problems.append(Problem(raw, None, None, "a symbolic link to nothing (its target "
                                    "is missing, or it leads back to itself); link it to the "
                                    "case file, or give the case file itself"))
        else:
            problems.append(
                Problem(raw, None, None, "no such file or directory; expected a case file")
            )
    if problems:
        raise CaseFileError(problems)
    if len(found) > 1 and not (len(paths) == 1 and Path(paths[0]).is_dir()):
        # A file named twice (`cases/a.yaml cases/`, `./a.yaml a.yaml`) is one case file:
        # read, counted and fixed once.
        once: dict[str, Path] = {}
        for path in found:
            once.setdefault(os.path.normcase(os.path.abspath(path)), path)
        found = list(once.values())
    return found


def load(path: Path) -> LoadedCase:
    """Read and validate one case file. Raises ``CaseFileError`` listing every problem found."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CaseFileError(
                [
                    Problem(
                        name,
                        None,
                        None,
                        f"file is {size:,} bytes; a case file may be at most "
                        f"{MAX_FILE_BYTES:,} bytes (1 MiB): it holds one case study's "
                        "sources; split a larger one into a case file per case study, in a "
                        "folder, and check the folder",
                    )
                ]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise CaseFileError([Problem(name, None, None, f"cannot read: {exc.strerror}")]) from None
    return parse(decode(raw, name), name)


def decode(raw: bytes, name: str) -> str:
    """A case file's text: UTF-8, with or without a byte-order mark. Raises
    ``CaseFileError`` for any other encoding, saying which when it is UTF-16."""
    if utf16(raw) is not None:
        raise CaseFileError([Problem(
            name, None, None, "this file is UTF-16 text (Windows' \"Unicode\"); save it as "
            "UTF-8 (in Notepad: File > Save As, Encoding: UTF-8)")])
    body = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        problem = not_utf8(name, body)  # where, and what the byte would be
        assert problem is not None
        raise CaseFileError([problem]) from None


def utf16(data: bytes) -> str | None:
    """The codec of ``data`` if it is UTF-16 text (what Windows calls "Unicode"): by its
    byte-order mark, or else by the NUL byte beside each letter of plain text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = data[:512]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    first, second = sample[0:pairs * 2:2].count(0), sample[1:pairs * 2:2].count(0)
    # Letters, digits and punctuation are one byte and a NUL; a few other characters
    # (é is E9 00, but “ is 1C 20) are not, and text in UTF-8 has no NUL at all.
    if second >= pairs * 0.6 and first <= pairs * 0.05:
        return "utf-16-le"
    if first >= pairs * 0.6 and second <= pairs * 0.05:
        return "utf-16-be"
    return None


def parse(text: str, name: str) -> LoadedCase:
    if not text.strip():
        raise CaseFileError(
            [Problem(name, None, None, "file is empty; expected a case file with `case:` and "
                     "`sources:` (see README)")]
        )
    try:
        documents = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        raise CaseFileError([yaml_problem(name, text, exc)]) from None
    except yaml.reader.ReaderError:
        raise CaseFileError([_not_allowed(name, text)]) from None
    except yaml.YAMLError as exc:
        raise CaseFileError([Problem(name, None, None, f"not valid YAML: {exc}")]) from None
    documents = [d for d in documents if d is not None]
    if not documents:
        raise CaseFileError(
            [Problem(name, None, None, "file holds no YAML document; expected `case:` and "
                     "`sources:`")]
        )
    if len(documents) > 1:
        second = documents[1]
        raise CaseFileError(
            [_at(name, second, "a case file holds one YAML document; found a second (`---`)")]
        )
    return _Reader(name, text).read(documents[0])


def yaml_problem(name: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    """A YAML syntax error in the user's terms, at the place to fix it, with the line."""
    problem = exc.problem or ""
    context = exc.context or ""
    mark: _Mark | yaml.Mark | None = exc.problem_mark or exc.context_mark
    lines = _LINE_BREAK.split(text)
    if lines[-1] == "":
        lines.pop()  # the line break that ends the file starts no line
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if mark is not None and "\t" in line[:mark.column + 1]:
        why = "a tab: YAML indents with spaces only; replace the tab with spaces"
        mark = _Mark(mark.line, line.index("\t"))
    elif "mapping values are not allowed" in problem and mark is not None \
            and re.match(r"\s*[\w-]+\s*$", line[:mark.column]):
        why = ("this line is indented more than the keys above it; line it up with them "
               "(the keys of one source start in the same column)")
        mark = _Mark(mark.line, len(line) - len(line.lstrip()))
    elif "mapping values are not allowed" in problem:
        why = ("a `: ` inside a value: YAML reads it as the start of another key. Text with "
               "`: ` must be quoted, e.g. title: \"Report: the findings\"")
    elif "escape" in problem or "hexdecimal" in problem:
        if mark is not None:
            mark = _Mark(mark.line, max(line.rfind("\\", 0, mark.column + 1), 0))
        why = _bad_escape(problem, line[mark.column:] if mark is not None else "")
    elif "quoted scalar" in context:
        mark = exc.context_mark or mark  # where the quote opens, not the end of the file
        why = ("this quote is never closed; add the closing quote at the end of the value "
               "(or write the value without quotes)")
    elif "expected key" in problem or "expected <block end>" in problem \
            or "expected '-' indicator" in problem:
        why = ("the indentation does not line up: the keys of one source start in the same "
               "column, and each `- id:` of a list at the same indentation as the others")
    elif "could not find expected ':'" in problem:
        why = "expected `key: value` on this line (is a `:` missing, or a line run on?)"
    else:
        why = f"not valid YAML: {problem or context or 'unreadable'}"
    if mark is None:
        return Problem(name, None, None, why)
    excerpt = lines[mark.line] if mark.line < len(lines) else None
    return Problem(name, mark.line + 1, mark.column + 1, why, excerpt=excerpt)


def _bad_escape(problem: str, escape: str) -> str:
    """Why a backslash escape in double quotes (``escape`` starts with it) is refused."""
    letter = escape[1:2]
    digits = {"x": 2, "u": 4, "U": 8}.get(letter, 0)
    shown = escape[:2 + digits] if digits else escape[:2]
    fix = ("in double quotes a backslash starts an escape (\\n, \\t, \\u00e9): put the "
           "value in single quotes to keep each backslash as it is, or write each as \\\\")
    if "invalid Unicode" in problem:
        return (f"the escape `{shown}` is not a valid character (\\ud800 to \\udfff are "
                "halves of a UTF-16 pair, not characters); write the character itself, or "
                "its \\U form with 8 digits, e.g. \\U0001F600")
    if digits:
        return (f"the escape `\\{letter}` needs {digits} hexadecimal digits after it; {fix}")
    return f"the escape `{shown}` is not one YAML knows; {fix}"


def _not_allowed(name: str, text: str) -> Problem:
    """The first character of ``text`` that YAML refuses, located, with what it is."""
    found = _NOT_ALLOWED.search(text)
    if found is None:  # pragma: no cover - YAML refused a character this does not
        return Problem(name, None, None, "not valid YAML: a character that is not allowed; "
                       "remove any invisible characters")
    before = _LINE_BREAK.split(text[:found.start()])
    line = len(before)
    char = found.group()
    escaped = char.encode("unicode_escape").decode("ascii")
    what = _CONTROL_NAMES.get(char)
    named = f"{escaped}, {what}" if what else escaped
    return Problem(
        name, line, len(before[-1]) + 1,
        f"an invisible control character ({named}) is here, often left by text pasted "
        "from Word or a PDF; YAML does not allow it: delete it (and type the space or line "
        "break it stood for)",
        excerpt=_LINE_BREAK.split(text, maxsplit=line)[line - 1])


@dataclass(frozen=True)
class _Mark:
    line: int
    column: int


def _at(name: str, node: yaml.Node, message: str, *, warning: bool = False) -> Problem:
    mark = node.start_mark
    return Problem(name, mark.line + 1, mark.column + 1, message, warning=warning)


class _Reader:
    """Walks a composed node tree, collecting every problem instead of stopping at the first."""

    def __init__(self, name: str, text: str = "") -> None:
        self.name = name
        self.lines = text.splitlines()
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.visits = 0

    # -- helpers -------------------------------------------------------------------------
    def error(self, node: yaml.Node, message: str) -> None:
        self.problems.append(_at(self.name, node, message))

    def warn(self, node: yaml.Node, message: str) -> None:
        self.warnings.append(_at(self.name, node, message, warning=True))

    def visit(self, node: yaml.Node) -> None:
        self.visits += 1
        if self.visits > MAX_NODES:
            why = ("(an alias-expansion bomb?); a case file lists a few dozen sources"
                   if self.has_aliases() else
                   "and no aliases: a case file holds one case study's sources, a few dozen; "
                   "split this one into a case file per case study, in a folder, and check "
                   "the folder")
            raise CaseFileError([_at(self.name, node,
                                     f"more than {MAX_NODES:,} YAML nodes {why}")])

    def has_aliases(self) -> bool:
        """Whether the file uses an alias (``*name``): asked only of a file past the node
        limit, to tell a bomb from a file that is simply too long."""
        text = "\n".join(self.lines)
        return any(isinstance(token, yaml.AliasToken)
                   for token in yaml.scan(text, Loader=yaml.SafeLoader))

    def mapping(self, node: yaml.Node, what: str) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
        self.visit(node)
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping of `key: value` lines; found {_kind(node)}")
            return
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            self.visit(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"{what}: keys must be plain words; found {_kind(key_node)}")
                continue
            key = str(key_node.value)
            if key in seen:
                self.error(
                    key_node,
                    f"{what}: `{key}` appears twice "
                    f"(first at line {seen[key].start_mark.line + 1})",
                )
                continue
            seen[key] = key_node
            yield key, key_node, value_node

    def text(self, node: yaml.Node, what: str, *, allow_number: bool = False) -> str | None:
        self.visit(node)
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{what} must be text; found {_kind(node)}")
            return None
        tag = node.tag
        value = str(node.value)
        if tag == _NULL or (value == "" and node.style is None):
            self.error(node, f"{what} is empty; expected text")
            return None
        if tag == _BOOL or (tag in _NUMBER and not allow_number):
            self.error(node, f"{what} must be text; found `{value}` (quote it)")
            return None
        stripped = value.strip()
        if not stripped:
            self.error(node, f"{what} is empty; expected text")
            return None
        if node.style in (None, ""):  # plain (not quoted, not a block): `` #`` may end it
            self.cut_by_comment(node, what)
        return stripped

    def cut_by_comment(self, node: yaml.ScalarNode, what: str) -> None:
        """An unquoted value followed by ` #` on its line: YAML took the rest for a comment,
        which is rarely what was meant in a title ("Report #2 findings")."""
        if not what.endswith("title"):
            return
        end = node.end_mark
        if end.line >= len(self.lines):
            return
        rest = self.lines[end.line][end.column:]
        # A comment meant as one stands apart ("   # required"); a title cut short goes on
        # at once ("Report #2 findings", "The #MeToo campaign").
        if _CUT_BY_COMMENT.match(rest):
            mark = node.start_mark
            self.warnings.append(Problem(
                self.name, end.line + 1, end.column + 1,
                f"{what} stops before `{rest.strip()[:40]}`: YAML reads ` #` as the start of "
                f"a comment; quote the {what.rsplit(' ', 1)[-1]} if it belongs to it: "
                f"\"{self.lines[end.line][mark.column:].strip()[:60]}\"", warning=True,
                excerpt=self.lines[end.line]))

    def unknown(self, key: str, key_node: yaml.Node, known: tuple[str, ...], what: str) -> None:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
        hint = f"; did you mean `{close[0]}`?" if close else f"; known keys: {', '.join(known)}"
        self.warn(key_node, f"{what}: unknown key `{key}` is ignored{hint}")

    # -- the schema ----------------------------------------------------------------------
    def read(self, root: yaml.Node) -> LoadedCase:
        title: str | None = None
        info: dict[str, str | None] = {"institution": None, "id": None}
        date: dt.date | None = None
        sources: list[Source] = []
        case_node = sources_node = None
        if not isinstance(root, yaml.MappingNode):
            self.error(root, f"a case file is a mapping with `case:` and `sources:`; found "
                       f"{_kind(root)}")
            raise CaseFileError(self.problems)
        for key, key_node, value in self.mapping(root, "the case file"):
            if key == "case":
                case_node = value
                for ckey, ckey_node, cvalue in self.mapping(value, "case"):
                    if ckey == "title":
                        title = self.text(cvalue, "case title")
                    elif ckey in ("institution", "id"):
                        info[ckey] = self.text(cvalue, f"case {ckey}", allow_number=True)
                    elif ckey == "date":
                        date = self.date(cvalue)
                    elif ckey in ("sources", "references"):
                        self.warn(ckey_node, _under_case(ckey) + "; until then it is ignored")
                    else:
                        self.unknown(ckey, ckey_node, CASE_KEYS, "case")
            elif key in ("sources", "references"):
                if key == "sources":
                    sources_node = value
                sources.extend(self.source_list(value, key))
            else:
                self.unknown(key, key_node, TOP_KEYS, "the case file")
        if case_node is not None and sources_node is None and isinstance(case_node,
                                                                           yaml.MappingNode):
            for ckey_node, _ in case_node.value:
                if isinstance(ckey_node, yaml.ScalarNode) and ckey_node.value in (
                        "sources", "references"):
                    self.error(ckey_node, _under_case(ckey_node.value))
                    sources_node = ckey_node
                    at = _at(self.name, ckey_node, "")
                    self.warnings = [w for w in self.warnings
                                     if (w.line, w.column) != (at.line, at.column)]
        if case_node is None:
            self.error(root, "missing `case:`; expected `case:` with at least a `title:`")
        elif (title is None and isinstance(case_node, yaml.MappingNode)
              and not any(k.value == "title" for k, _ in case_node.value)):
            self.error(case_node, "case has no `title:`; expected the case study's title")
        if sources_node is None:
            self.error(root, "missing `sources:`; expected a list of the sources to corroborate "
                       "the impact")
        self.check_unique_ids(sources)
        if self.problems:
            raise CaseFileError(self.problems + self.warnings)
        case = Case(
            path=self.name,
            title=title or "",
            sources=tuple(sources),
            institution=info["institution"],
            id=info["id"],
            date=date,
        )
        return LoadedCase(case, self.warnings)

    def date(self, node: yaml.Node) -> dt.date | None:
        value = self.text(node, "case date")
        if value is None:
            return None
        try:
            # YAML may give a date or a date-time ("2013-11-29 00:00:00"): the day is enough.
            if len(value) < 10:
                raise ValueError(value)
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            self.error(node, f"case date `{value}` is not a date; expected YYYY-MM-DD, "
                       "e.g. 2013-11-29")
            return None

    def source_list(self, node: yaml.Node, key: str) -> list[Source]:
        self.visit(node)
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"`{key}` must be a list (each item starting with `- id:`); found "
                       f"{_kind(node)}")
            return []
        kind = SourceKind.SOURCE if key == "sources" else SourceKind.REFERENCE
        out = []
        for number, item in enumerate(node.value, 1):
            if isinstance(item, yaml.ScalarNode) and item.tag != "tag:yaml.org,2002:null":
                self.visit(item)
                self.error(item, self.bare_item(item, kind, number))
                continue
            source = self.source(item, kind)
            if source is not None:
                out.append(source)
        return out

    def bare_item(self, item: yaml.ScalarNode, kind: SourceKind, number: int) -> str:
        """What to write instead of a list item that is only a URL or a title: the
        source's `key: value` lines, indented under its `- `."""
        text = str(item.value)
        shown = text if len(text) <= 60 else text[:57] + "…"
        if text.lower().startswith(("http://", "https://", "www.", "doi")):
            lines = f"`title: …` and `url: {shown}`"
        else:
            lines = f"`title: {shown}` and, if it has one, `url: …`"
        return (f"{kind} must be a mapping of `key: value` lines; found `{text}` on its own. "
                f"Write it as `- id: {number}`, with {lines} on the lines below, indented "
                "to line up with `id`")

    def source(self, node: yaml.Node, kind: SourceKind) -> Source | None:
        known = SOURCE_KEYS
        fields: dict[str, str | None] = {}
        urls: list[CitedUrl] = []
        doi_position: Position | None = None
        url_keys: list[yaml.Node] = []
        ok = True
        label: str = kind.value
        for key, key_node, value in self.mapping(node, kind):
            if key == "id":
                fields["id"] = self.text(value, f"{kind} id", allow_number=True)
                if fields["id"]:
                    label = f"{kind} {fields['id']}"
            elif key == "doi" and key in known:
                doi_text = self.text(value, f"{label} doi", allow_number=True)
                if doi_text is not None:
                    doi = normalise_doi(doi_text)
                    if doi is None:
                        self.error(value, f"{label} doi `{doi_text}` is not a DOI; expected "
                                   "10.NNNN/suffix, e.g. 10.1002/car.934")
                        ok = False
                    else:
                        fields["doi"] = doi
                        # Warned of as in a cited URL: a sentence's full stop or bracket.
                        hint = url_hint(f"https://doi.org/{doi}")
                        if hint is not None:
                            self.warn(value, f"{label} doi `{doi_text}`: "
                                      + hint.replace("`https://doi.org/", "`"))
                        mark = value.start_mark
                        doi_position = Position(self.name, mark.line + 1, mark.column + 1)
            elif key in ("title", "quote", "note") and key in known:
                fields[key] = self.text(value, f"{label} {key}")
            elif key == "url":
                url_keys.append(key_node)
                if isinstance(value, yaml.SequenceNode):
                    self.visit(value)
                    self.error(value, f"{label} url must be text, one address; found a list. For "
                               "several addresses, write `urls:` (with an s) instead of `url:`")
                    ok = False
                    continue
                cited = self.url(value, label)
                ok = ok and cited is not None
                if cited is not None:
                    urls.append(cited)
            elif key == "urls":
                url_keys.append(key_node)
                self.visit(value)
                if not isinstance(value, yaml.SequenceNode) or not value.value:
                    one = (". For one address, write `url:` (no s) instead of `urls:`"
                           if isinstance(value, yaml.ScalarNode) and value.tag == _STR
                           and value.value.strip() else
                           "; write each address on a line of its own, starting `- `, "
                           "indented under `urls:`")
                    self.error(value, f"{label} urls must be a list of one or more addresses; "
                               f"found {_kind(value)}{one}")
                    ok = False
                    continue
                for item in value.value:
                    cited = self.url(item, label)
                    ok = ok and cited is not None
                    if cited is not None:
                        urls.append(cited)
            else:
                self.unknown(key, key_node, known, label)
        if not isinstance(node, yaml.MappingNode):
            return None
        if len(url_keys) > 1:
            self.error(url_keys[1], f"{label} has both `url` and `urls`; give one address with "
                       "`url:` or several with `urls:`")
        present = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        if "id" not in present:
            self.error(node, f"{kind} has no `id:`; expected its label as printed (a, E1, [3])")
        if "title" not in present:
            self.error(node, f"{label} has no `title:`; expected what the evidence is")
        if not ok or not fields.get("id") or not fields.get("title"):
            return None
        doi = fields.get("doi")
        # DOIs are the same whatever their letters' case (the DOI system ignores it).
        if doi and doi_position and not any((doi_of(u.url) or "").lower() == doi.lower()
                                            for u in urls):
            # The DOI is checked too, with the DOI system, beside the URLs given.
            # `#` and `?` are the DOI's own, not a fragment or a query: escaped, so that
            # the whole DOI is asked about.
            escaped = doi.replace("#", "%23").replace("?", "%3F")
            urls.append(CitedUrl(f"https://doi.org/{escaped}", doi_position))
        mark = node.start_mark
        return Source(
            id=str(fields["id"]),
            title=str(fields["title"]),
            urls=tuple(urls),
            position=Position(self.name, mark.line + 1, mark.column + 1),
            kind=kind,
            quote=fields.get("quote"),
            note=fields.get("note"),
            doi=fields.get("doi"),
        )

    def url(self, node: yaml.Node, label: str) -> CitedUrl | None:
        value = self.text(node, f"{label} url")
        if value is None:
            return None
        mark = node.start_mark
        wrapped = unwrap_url(value)
        if wrapped is not None:
            inner, what = wrapped
            self.warn(node, f"{label} url `{value}`: remove {what}; `{inner}` is checked")
            value = inner
        hint = url_hint(value)
        if hint is not None:
            self.warn(node, f"{label} url `{value}`: {hint}")
        problem = url_problem(value)
        if problem is not None and problem.fatal:
            self.error(node, f"{label} url `{value}` {problem.message}")
            return None
        if problem is not None and not problem.hinted:
            # Not fatal: the other links are checked, and this one is reported `invalid`.
            self.warn(node, f"{label} url `{value}`: {problem.message}")
        return CitedUrl(value, Position(self.name, mark.line + 1, mark.column + 1))

    def check_unique_ids(self, sources: list[Source]) -> None:
        first: dict[tuple[str, str], Source] = {}
        for source in sources:
            key = (source.kind, source.id)
            if key in first:
                earlier = first[key].position
                self.problems.append(
                    Problem(
                        self.name,
                        source.position.line,
                        source.position.column,
                        f"{source.kind} id `{source.id}` is used twice (first at line "
                        f"{earlier.line}); each {source.kind} needs its own id",
                    )
                )
            else:
                first[key] = source


def _under_case(key: str) -> str:
    return (f"`{key}:` is indented under `case:`, so it is read as part of the case; start "
            "it at the beginning of its line, as `case:` is, and indent its items under it")


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == "tag:yaml.org,2002:null":
        return "nothing"
    return f"`{node.value}`"
