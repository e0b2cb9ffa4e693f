r"""The optional settings file (TOML): every option of the command line, the URL patterns,
accepted statuses and headers per host, and the archives' order, base URLs and limits.

It is ``[tool.refcheck]`` in ``pyproject.toml``, or the whole of ``refcheck.toml`` or
``.refcheck.toml``; ``find_settings_file`` walks up from the case file's folder to the first
folder that has one. Keys are the options' names (``fail-on``, ``per-host``); an unknown
key is an error naming the closest known one. This module checks each value's type and
range; ``build`` gives the values their meaning, and decides precedence.

    fail-on = ["dead", "soft-404"]
    concurrency = 16
    exclude = ['^https://intranet\.example\.ac\.uk/']
    [accept]
    "www.linkedin.com" = [999]
    [headers."files.example.ac.uk"]
    X-Api-Key = "..."
    [archives]
    order = ["ukgwa", "wayback"]
    ukgwa_url = "https://webarchive.nationalarchives.gov.uk/ukgwa"
    wayback_url = "https://web.archive.org"
    ukgwa_requests_per_second = 3
    wayback_requests_per_minute = 24

The keys are read from the archive table (``archive.SERVICES``): every archive's base URL
and every request budget it has. Options and environment variables win over the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refcheck.archive import SERVICES, budget_settings
from refcheck.errors import UsageError, found, not_utf8
from refcheck.model import DEFAULT_FAIL_ON, Archive, Status

#: Settings of the fallback itself, beside the table's budgets.
_FALLBACK_LIMITS = ("wait_after_429",)


@dataclass(frozen=True)
class Config:
    archives: str | None = None  # comma-separated order, as --archive takes it
    urls: tuple[tuple[Archive, str], ...] = ()
    limits: tuple[tuple[str, float], ...] = ()  # budgets, by settings-file key
    wait_after_429: float | None = None


def load_config(path: Path | None) -> Config:
    """The archive settings in ``path`` (``--config``, or ``REFCHECK_CONFIG``); none without
    one."""
    if path is None:
        return Config()
    return load_settings_file(path).archives


# -- the whole file -------------------------------------------------------------------------

#: Where settings are looked for in each folder, in order.
FILE_NAMES = (".refcheck.toml", "refcheck.toml", "pyproject.toml")


@dataclass(frozen=True)
class Kind:
    """What a settings-file key holds: its type, and the range of a number."""

    name: str  # "text", "whole number", "number", "true or false", "list of text", "table"
    low: float | None = None
    high: float | None = None


TEXT = Kind("text")
FLAG = Kind("true or false")
TEXTS = Kind("list of text")
TEXT_OR_TEXTS = Kind("text or list of text")
TABLE = Kind("table")


def _whole(low: float, high: float | None = None) -> Kind:
    return Kind("whole number", low, high)


def _number(low: float) -> Kind:
    return Kind("number", low)


#: Every key the file may hold at its top level, each an option of the command line
#: (``--fail-on`` is ``fail-on``) unless marked. Ranges are the options' own.
KEYS: dict[str, Kind] = {
    "format": TEXT,
    "output": TEXT,
    "report": TEXTS,
    "quiet": FLAG,
    "strict": FLAG,
    "fail-on": TEXT_OR_TEXTS,
    "concurrency": _whole(1, 1024),
    "per-host": _whole(1, 64),
    "host-interval": _number(0.0),
    "timeout": _number(0.1),
    "deadline": _number(0.1),
    "retries": _whole(0, 10),
    "max-redirects": _whole(1, 50),
    "max-bytes": _whole(1024),
    "user-agent": TEXT,
    "archive": TEXT_OR_TEXTS,
    "no-archive": FLAG,
    "as-of": Kind("date"),
    "compare-archive": TEXT,
    "doi-url": TEXT,
    "probe-url": TEXT,
    "cache-dir": TEXT,
    "max-cache-age": Kind("duration"),
    "no-cache": FLAG,
    "confirm": TEXT,
    "shard": TEXT,
    # The settings file's own:
    "exclude": TEXTS,
    "include": TEXTS,
    "accept": TABLE,
    "headers": TABLE,
    "archives": TABLE,
}

#: Keys that people write for another one.
_INSTEAD = {
    "ukgwa-url": "archives.ukgwa_url", "wayback-url": "archives.wayback_url",
    "config": "--config (a settings file cannot name another)",
}

#: Headers refcheck writes itself and a settings file may not replace.
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


@dataclass(frozen=True)
class SettingsFile:
    """A settings file, read and checked: ``values`` by key (``archives``, ``accept`` and
    ``headers`` apart), each of the type ``KEYS`` gives it."""

    path: Path
    values: Mapping[str, Any] = field(default_factory=dict)
    archives: Config = field(default_factory=Config)
    accept: tuple[tuple[str, frozenset[int]], ...] = ()
    headers: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    #: The file's lines, and what its keys are under (``tool.refcheck.`` in pyproject.toml).
    lines: tuple[str, ...] = field(default=(), repr=False)
    prefix: str = ""

    def where(self, key: str) -> str:
        """How an error about ``key`` names it: ``file:line: key`` as the file has it."""
        return f"{_located(self.path, self.lines, key)}: {self.prefix}{key}"

    def resolve(self, value: str) -> Path:
        """A path in the file, relative to the file's folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.path.parent / path


def find_settings_file(start: Path) -> Path | None:
    """The settings file of the folder ``start`` (a case file's, or a folder of them) or
    the nearest folder above it that has one: ``.refcheck.toml``, ``refcheck.toml``, or a
    ``pyproject.toml`` with a ``[tool.refcheck]`` table."""
    folder = start if start.is_dir() else start.parent
    try:
        folder = folder.resolve()
    except OSError:
        return None
    for place in (folder, *folder.parents):
        for name in FILE_NAMES:
            candidate = place / name
            if not candidate.is_file():
                continue
            if name != "pyproject.toml" or _has_tool_table(candidate):
                return candidate
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    # Read only when the table may be there: most projects' pyproject.toml has none. A
    # table misspelt (`[tool.refchek]`) counts, so that the mistake is said, not ignored.
    if "ref" not in text:
        return False
    names = _TOOL_TABLE.findall(text)
    if "refcheck" in names:
        return True
    if not any(_close(name) for name in names):
        return False
    import tomllib

    try:
        tool = tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return False
    return _misspelt(tool) is not None


_TOOL_TABLE = re.compile(r"^\s*\[\s*tool\.[\"']?([A-Za-z0-9_-]+)", re.MULTILINE)


def _close(name: str) -> bool:
    return name != "refcheck" and difflib.SequenceMatcher(
        None, name.lower().replace("_", "-"), "refcheck").ratio() >= 0.8


def _misspelt(tool: object) -> str | None:
    """The ``[tool.NAME]`` table of pyproject.toml that is ``[tool.refcheck]`` misspelt:
    a name close to it, holding a key refcheck knows (another tool's table is left
    alone)."""
    if not isinstance(tool, dict) or "refcheck" in tool:
        return None
    return next((name for name, table in tool.items() if _close(name)
                 and isinstance(table, dict) and any(key in KEYS for key in table)), None)


def load_settings_file(path: Path) -> SettingsFile:
    """Read and check a settings file; raises ``UsageError`` naming the file, the line
    where it can be found, and what was expected."""
    import tomllib  # only when there is a file: it is 2 ms of every run's start otherwise

    try:
        raw = path.read_bytes()
        problem = not_utf8(str(path), raw, "settings file")
        if problem is not None:
            raise UsageError(str(problem))
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the settings file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    prefix = ""
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        data = tool.get("refcheck", {}) if isinstance(tool, dict) else {}
        prefix = "tool.refcheck."
        wrong = _misspelt(tool)
        if wrong is not None:
            line = next((n for n, line in enumerate(text.splitlines(), 1)
                         if wrong in _TOOL_TABLE.findall(line)), None)
            raise UsageError(f"{path}{f':{line}' if line else ''}: [tool.{wrong}]: "
                             "no refcheck settings are read from it; did you mean "
                             "[tool.refcheck]?")
        if not isinstance(data, dict):
            raise UsageError(f"{path}: [tool.refcheck] must be a table")
    checker = _Checker(path, text, prefix)
    values: dict[str, Any] = {}
    # Every mistake in the file is reported at once, not one a run.
    problems: list[str] = []
    for key, value in data.items():
        kind = KEYS.get(key)
        with _noted(problems):
            if kind is None:
                checker.unknown(key)
            elif key == "archive" and isinstance(value, dict):
                raise checker.fail(key, "this key is the --archive list (e.g. archive = "
                                   '["ukgwa", "wayback"]); did you mean the table [archives]?',
                                   at=(key,))
            elif key not in ("archives", "accept", "headers"):
                values[key] = checker.value(key, kind, value)
    with _noted(problems):
        checker.statuses(values.get("fail-on"))
    with _noted(problems):
        checker.archive_names("archive", values.get("archive"))
    for key in ("exclude", "include"):
        with _noted(problems):
            checker.patterns(key, values.get(key, ()))
    archives = Config()
    accept: tuple[tuple[str, frozenset[int]], ...] = ()
    headers: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    with _noted(problems):
        archives = checker.archives(data["archives"]) if "archives" in data else Config()
    with _noted(problems):
        accept = checker.accept(data.get("accept", {}))
    with _noted(problems):
        headers = checker.headers(data.get("headers", {}))
    if problems:
        raise UsageError("\n".join(problems))
    return SettingsFile(path=path, values=values, archives=archives, accept=accept,
                        headers=headers, lines=tuple(checker.lines), prefix=prefix)


@contextlib.contextmanager
def _noted(problems: list[str]) -> Iterator[None]:
    """A settings-file check whose error is kept in ``problems`` instead of stopping
    the others."""
    try:
        yield
    except UsageError as exc:
        problems.append(str(exc))


class _Checker:
    def __init__(self, path: Path, text: str, prefix: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.prefix = prefix

    def where(self, *keys: str) -> str:
        return _located(self.path, self.lines, *keys)

    def named(self, key: str, *, at: tuple[str, ...] = ()) -> str:
        """How an error names ``key``: ``file:line: key`` (``at``: the keys of the line to
        point at, in a table, the table's own last: a key may be set inline, ``accept =
        {"host" = [999]}``)."""
        return f"{self.where(*at, key)}: {self.prefix}{key}"

    def fail(self, key: str, message: str, *, at: tuple[str, ...] = ()) -> UsageError:
        """The error for ``key`` (``at`` as for ``named``)."""
        return UsageError(f"{self.named(key, at=at)}: {message}")

    def unknown(self, key: str) -> None:
        instead = _INSTEAD.get(key)
        hint = f"; set {instead} instead" if instead else _closest(key, sorted(KEYS))
        if key == "tool" and not self.prefix:
            hint = ("; only pyproject.toml keeps them in [tool.refcheck]: in this file, "
                    "write the keys without that table, e.g. `fail-on = [\"dead\"]` on a "
                    "line of its own")
        raise self.fail(key, f"unknown setting{hint}")

    def value(self, key: str, kind: Kind, value: Any, *, at: tuple[str, ...] = ()) -> Any:
        expected = kind.name
        if kind in (TEXT, TEXTS, TEXT_OR_TEXTS):
            if isinstance(value, str) and kind is not TEXTS:
                return value
            if isinstance(value, list) and kind is not TEXT:
                wrong = next(((i, x) for i, x in enumerate(value, 1) if not isinstance(x, str)),
                             None)
                if wrong is None:
                    return value
                raise self.fail(key, 'expected a list of text in quotes, e.g. ["a", "b"]; '
                                f"item {wrong[0]} is {_shown(wrong[1])}", at=at)
            expected = {"text": 'text in quotes, e.g. "value"',
                        "list of text": 'a list, e.g. ["a", "b"]',
                        "text or list of text": 'a list, e.g. ["a", "b"]'}[kind.name]
        elif kind is FLAG:
            if isinstance(value, bool):
                return value
            expected = "true or false"
        elif kind.name == "date":
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                return value.isoformat()
            if isinstance(value, str):
                return value
            expected = "a date, e.g. 2013-11-29"
        elif kind.name == "duration":
            if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)
                                          and value == 0):
                return str(value)
            expected = 'a duration in quotes, e.g. "12h" or "3d" (or 0)'
        elif kind.name in ("whole number", "number"):
            whole = kind.name == "whole number"
            number = isinstance(value, int) or (not whole and isinstance(value, float))
            if number and not isinstance(value, bool) and (
                    kind.low is None or value >= kind.low) and (
                    kind.high is None or value <= kind.high):
                return value
            span = (f"from {kind.low:g} to {kind.high:g}" if kind.high is not None
                    else f"at least {kind.low:g}")
            expected = f"a {'whole ' if whole else ''}number {span}"
        raise self.fail(key, f"expected {expected}; found {_shown(value)}", at=at)

    def accept(self, table: Any) -> tuple[tuple[str, frozenset[int]], ...]:
        if not isinstance(table, dict):
            raise self.fail("accept", 'expected a table of hosts, e.g. [accept] '
                            '"www.linkedin.com" = [999]')
        accepted = []
        for host, codes in table.items():
            if (bad := _not_a_host(host)) is not None:
                raise self.fail(f'accept."{host}"', bad, at=(host, "accept"))
            wrong = _not_statuses(codes)
            if wrong is not None:
                raise self.fail(f'accept."{host}"', "expected a list of HTTP statuses, e.g. "
                                f"[999] or [403, 429]; {wrong}", at=(host, "accept"))
            accepted.append((_host(host), frozenset(codes)))
        return tuple(accepted)

    def statuses(self, value: str | list[str] | None) -> None:
        """``fail-on``: read as the option is, so that a mistake is said with its line."""
        if value is not None:
            parse_fail_on(joined(value), self.named("fail-on"))

    def archive_names(self, key: str, value: str | list[str] | None, *,
                      at: tuple[str, ...] = ()) -> None:
        if value is not None:
            parse_archive_list(joined(value), self.named(key, at=at))

    def patterns(self, key: str, texts: list[str]) -> None:
        for text in texts:
            try:
                re.compile(text)
            except re.error as exc:
                raise self.fail(key, f"`{text}` is not a regular expression: "
                                f"{exc}") from None

    def archives(self, section: object) -> Config:
        """``[archives]``: the order, base URLs and budgets of the archives."""
        if not isinstance(section, dict):
            raise self.fail("archives", 'expected a table, e.g. [archives] order = ["ukgwa", '
                            f'"wayback"]; found {_shown(section)}')
        budgets = budget_settings()
        known = {"order", *(info.url_setting for info in SERVICES.values()), *budgets,
                 *_FALLBACK_LIMITS}
        for name in section:
            if name not in known:
                raise UsageError(f"{self.where(name, 'archives')}: unknown setting "
                                 f"{self.prefix}archives.{name}"
                                 f"{_closest(name, sorted(known))}")
        order = section.get("order")
        if order is not None:
            order = self.value("archives.order", TEXTS, order, at=("order", "archives"))
            self.archive_names("archives.order", order, at=("order", "archives"))
        urls = []
        for info in SERVICES.values():
            name = info.url_setting
            if name not in section:
                continue
            url = section[name]
            if not isinstance(url, str) or (url and not url.startswith(("http://",
                                                                        "https://"))):
                shown = f"`{url}` is not" if isinstance(url, str) else f"found {_shown(url)}, not"
                raise self.fail(f"archives.{name}", f"{shown} an http(s) address; expected "
                                f'the base URL of {info.short}, e.g. "{info.default_url}"',
                                at=(name, "archives"))
            urls.append((info.key, url))
        limits = tuple((name, self.positive(name, section[name])) for name in budgets
                       if name in section)
        wait = section.get("wait_after_429")
        return Config(archives=",".join(order) if order is not None else None,
                      urls=tuple(urls), limits=limits,
                      wait_after_429=self.positive("wait_after_429", wait) if wait is not None
                      else None)

    def positive(self, name: str, value: object) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise self.fail(f"archives.{name}", f"expected a positive number; found "
                            f"{_shown(value)}", at=(name, "archives"))
        return float(value)

    def headers(self, table: Any) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
        if not isinstance(table, dict):
            raise self.fail("headers", 'expected a table per host, e.g. [headers."intranet.'
                            'example.ac.uk"] X-Api-Key = "..."')
        found = []
        for host, headers in table.items():
            if (bad := _not_a_host(host)) is not None:
                raise self.fail(f'headers."{host}"', bad, at=(host, "headers"))
            if not isinstance(headers, dict):
                raise self.fail(f'headers."{host}"', "expected a table of header names and "
                                'values, e.g. X-Api-Key = "..."', at=(host, "headers"))
            pairs = []
            for name, value in headers.items():
                where = f'headers."{host}".{name}'
                line = (name, host, "headers")
                if not _TOKEN.fullmatch(name):
                    raise self.fail(where, "not a header name (letters, digits and "
                                    "!#$%&'*+-.^_`|~ only)", at=line)
                if name.lower() in _OWN_HEADERS:
                    raise self.fail(where, "refcheck sets this header itself", at=line)
                # The value is never shown: it may be a password.
                if not isinstance(value, str):
                    raise self.fail(where, "expected the value as text in quotes", at=line)
                # C1 controls too: \x85 is a line break to some readers of the request.
                if any((ord(ch) < 32 and ch != "\t") or 127 <= ord(ch) <= 159 for ch in value):
                    raise self.fail(where, "the value may not hold a line break, NUL or "
                                    "another control character", at=line)
                try:
                    value.encode("latin-1")
                except UnicodeEncodeError:
                    raise self.fail(where, "the value may hold only Latin-1 "
                                    "characters", at=line) from None
                pairs.append((name, value))
            found.append((_host(host), tuple(pairs)))
        return tuple(found)


def _located(path: Path, lines: list[str] | tuple[str, ...], *keys: str) -> str:
    """``file:line`` of the first line that sets the first of ``keys`` that a line sets
    (TOML keeps no positions); the file alone when none does."""
    for key in keys:
        pattern = re.compile(rf"^\s*(\[\s*(tool\.refcheck\.)?)?[\"']?{re.escape(key)}"
                             r"[\"']?\s*[=\].]")
        for number, line in enumerate(lines, 1):
            if pattern.match(line):
                return f"{path}:{number}"
    return str(path)


def _not_statuses(codes: object) -> str | None:
    """What is wrong with ``codes`` as a list of HTTP statuses ("found ..."), if anything."""
    if not isinstance(codes, list):
        return f"found {_shown(codes)}"
    if not codes:
        return "found an empty list"
    for number, code in enumerate(codes, 1):
        if not isinstance(code, int) or isinstance(code, bool):
            return f"item {number} is {_shown(code)}, not a number"
        if not 100 <= code <= 999:
            return f"{code} is not an HTTP status (they run from 100 to 999)"
    return None


def _host(text: str) -> str:
    """As a request names the host: an IPv6 address without its brackets."""
    return text.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")


#: What a table of hosts (``accept``, ``headers``) is keyed by: a host name or an IP address
#: as a URL names it, alone. A key with a scheme, port, path or wildcard would match no
#: request, and its headers would silently never be sent.
_HOST_KEY = re.compile(r"[A-Za-z0-9_.-]+|\[?[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*\]?")


def _not_a_host(text: str) -> str | None:
    if _HOST_KEY.fullmatch(text.strip()):
        return None
    return (f"`{text}` is not a host name; expected the host alone, as in "
            '"files.example.ac.uk" (no scheme, port, path or wildcard)')


def _closest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    if not close and "_" in key:
        close = difflib.get_close_matches(key.replace("_", "-"), known, n=1, cutoff=0.5)
    return f"; did you mean `{close[0]}`?" if close else f"; known: {', '.join(known)}"


def _shown(value: Any) -> str:
    return found(value, mapping="a table")


def joined(value: str | list[str] | None) -> str:
    """A comma-separated setting, given as text or as a list of words."""
    return ",".join(value) if isinstance(value, list) else value or ""


def parse_fail_on(text: str, where: str = "--fail-on") -> frozenset[Status]:
    """``--fail-on`` (or the settings file's ``fail-on``, ``where`` it is): the statuses
    that fail the run."""
    if text.strip().lower() == "none":
        return frozenset()
    chosen = set()
    for word in (w.strip().lower() for w in text.split(",")):
        if not word:
            continue
        if word == "none":
            raise UsageError(f"{where}: `none` means that no status fails the run, so it "
                             "stands alone; remove it or the statuses")
        try:
            chosen.add(Status(word))
        except ValueError:
            valid = ", ".join(s.value for s in Status)
            raise UsageError(f"{where}: unknown status `{word}`; expected a comma-separated "
                             f"list of: {valid} (or `none`)") from None
    if not chosen:
        # An empty value (`--fail-on "$FAIL_ON"` with the variable unset) would quietly
        # make every run pass: nothing fails only when asked for by name.
        raise UsageError(f"{where}: no statuses given; expected a comma-separated list, "
                         f"e.g. {','.join(sorted(DEFAULT_FAIL_ON))}, or `none` for a run "
                         "that never fails")
    return frozenset(chosen)


def parse_archive_list(text: str, where: str = "--archive") -> tuple[Archive, ...]:
    """``--archive`` (or ``archive``, ``archives.order``): the archives, in order."""
    order: list[Archive] = []
    for word in (w.strip().lower() for w in text.split(",")):
        if not word:
            continue
        try:
            key = Archive(word)
        except ValueError:
            raise UsageError(f"{where}: unknown archive `{word}`; expected a comma-separated "
                             f"list of: {', '.join(SERVICES)}") from None
        if key not in order:
            order.append(key)
    return tuple(order)
