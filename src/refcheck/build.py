"""From what the user asked for to the objects a run uses: one settings object, and the small
factories that build a run's parts from it. The CLI only parses options into ``Options``.

Every setting follows one order of precedence: the command-line option, then the
environment variable, then the settings file, then the default.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refcheck.archive import DEFAULT_ORDER, SERVICES, ArchiveSettings, budget_settings
from refcheck.archive.registry import Archives
from refcheck.checker import DEFAULT_PROBE_URL, CheckOptions
from refcheck.config import (
    KEYS,
    Config,
    SettingsFile,
    find_settings_file,
    joined,
    load_settings_file,
    parse_archive_list,
    parse_fail_on,
)
from refcheck.doi import DEFAULT_DOI_URL
from refcheck.errors import UsageError
from refcheck.http import (
    DEFAULT_USER_AGENT,
    IDLE_PER_REQUEST,
    Fetcher,
    HttpSettings,
    pool_size,
)
from refcheck.local import fit_to_descriptors
from refcheck.model import DEFAULT_FAIL_ON, Archive, Confirm, Status
from refcheck.shard import ShardSpec, parse_shard
from refcheck.urls import url_problem
from refcheck.verdict import COMPARE_MODES

MakeFetcher = Callable[[HttpSettings], Fetcher]


@dataclass(frozen=True, kw_only=True)
class Options:
    """The command line as typed. ``given`` names the options typed (by parameter name,
    ``per_host``); the others hold the command's defaults, which the settings file may
    replace. With ``given`` None, every option that is not None, False or empty counts as
    typed (and every field of ``http``)."""

    fail_on: str | None = None
    http: HttpSettings = field(default_factory=HttpSettings)
    archive: str | None = None
    no_archive: bool = False
    archive_urls: Mapping[Archive, str | None] = field(default_factory=dict)
    as_of: str | None = None
    doi_url: str | None = None
    probe_url: str | None = None
    config: Path | None = None
    casefiles: tuple[str, ...] = ()  # where the settings file is looked for
    given: frozenset[str] | None = None
    format: str | None = None
    output: Path | None = None
    reports: tuple[str, ...] = ()
    quiet: bool = False
    strict: bool = False
    cache_dir: Path | None = None
    max_cache_age: str | None = None
    no_cache: bool = False
    confirm: str | None = None
    compare_archive: str | None = None  # "auto", "always" or "never"
    shard: str | None = None  # "K/N"

    def typed(self, name: str) -> bool:
        if self.given is not None:
            return name in self.given
        if name in _HTTP_OPTIONS:
            return True
        value = getattr(self, name, None)
        return value is not None and value is not False and value != ()


#: The options that set ``HttpSettings`` fields.
_HTTP_OPTIONS = {
    "concurrency": ("concurrency",), "per_host": ("per_host",),
    "host_interval": ("host_interval",),
    "timeout": ("connect_timeout", "read_timeout"), "deadline": ("deadline",),
    "retries": ("retries",), "max_redirects": ("max_redirects",),
    "max_bytes": ("max_bytes",), "user_agent": ("user_agent",),
}


@dataclass(frozen=True)
class Setting:
    """One settled setting as ``--show-settings`` prints it: its key in the settings file,
    its value as text (header values masked), and where it came from."""

    key: str
    value: str
    origin: str  # "option --fail-on", "environment REFCHECK_CACHE_DIR", a file, "default"


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """Everything a run needs to know, settled."""

    fail_on: frozenset[Status]
    http: HttpSettings
    check: CheckOptions
    format: str = "terminal"
    output: Path | None = None
    reports: tuple[str, ...] = ()  # FORMAT:PATH, paths from a settings file made absolute
    #: How a problem with the output or a report names where it was set: the option, or
    #: the settings file's line (``refcheck.toml:3: output``).
    output_where: str = "--output"
    report_where: str = "--report"
    quiet: bool = False
    strict: bool = False
    cache_dir: Path | None = None  # the memory of past runs; None with --no-cache
    #: The settings file used, if any, and every setting with where it came from.
    file: Path | None = None
    shown: tuple[Setting, ...] = ()
    #: ``--shard K/N``: check only the links whose host falls in shard K of N.
    shard: ShardSpec | None = None


def build_settings(options: Options, env: Mapping[str, str] | None = None) -> RunSettings:
    """Settle every setting (option > environment > settings file > default). Raises
    ``UsageError`` with the option's name (or the file, line and key) for anything
    unusable."""
    env = os.environ if env is None else env
    path = settings_path(options, env)
    file = load_settings_file(path) if path is not None else None
    pick = _Picker(options, env, file)

    fail_on_text, where = pick("fail-on", "fail_on", options.fail_on)
    fail_on = (parse_fail_on(joined(fail_on_text), where) if fail_on_text is not None
               else DEFAULT_FAIL_ON)
    pick.show("fail-on", ",".join(sorted(s.value for s in fail_on)) or "none")

    http = options.http
    for option, fields in _HTTP_OPTIONS.items():
        key = option.replace("_", "-")
        value, where = pick(key, option, getattr(http, fields[0]))
        _check_http_value(value, where)
        http = dataclasses.replace(http, **dict.fromkeys(fields, value))
        pick.show(key, str(value))
    if file is not None and file.headers:
        http = dataclasses.replace(http, host_headers=file.headers)
        # Header values may be passwords: never shown.
        pick.shown.extend(Setting(f'headers."{host}".{name}', "****", str(file.path))
                          for host, headers in file.headers for name, _ in headers)

    archives = build_archive_settings(file.archives if file else Config(), options, env,
                                      pick)
    shard_text, where = pick("shard", "shard", options.shard)
    shard = parse_shard(str(shard_text), where) if shard_text is not None else None
    pick.show("shard", str(shard) if shard else "(none: every link)")
    if shard is not None and shard.count > 1:
        archives = divide_budgets(archives, shard.count, pick)
    # An empty probe URL means "no probe"; an empty DOI URL means the default.
    probe, where = pick("probe-url", "probe_url", options.probe_url,
                        env="REFCHECK_PROBE_URL", default=DEFAULT_PROBE_URL)
    _check_service_url(probe, where,
                       f"the default is {DEFAULT_PROBE_URL}, and empty means no probe")
    pick.show("probe-url", probe or "(none: no probe)")
    doi, where = pick("doi-url", "doi_url", options.doi_url, env="REFCHECK_DOI_URL",
                      default=DEFAULT_DOI_URL)
    _check_service_url(doi, where, f"the default is {DEFAULT_DOI_URL}")
    pick.show("doi-url", doi or DEFAULT_DOI_URL)
    as_of_text, where = pick("as-of", "as_of", options.as_of)
    as_of = parse_date_option(as_of_text, where)
    pick.show("as-of", as_of.isoformat() if as_of else "(each case's date)")

    include = _patterns(file, "include")
    exclude = _patterns(file, "exclude")
    accept = dict(file.accept) if file is not None else {}
    for host, codes in accept.items():
        pick.shown.append(Setting(f'accept."{host}"', ", ".join(map(str, sorted(codes))),
                                  str(file.path) if file else "default"))

    cache_dir, max_age, confirm = _memory(options, env, file, pick)
    compare, where = pick("compare-archive", "compare_archive", options.compare_archive,
                          default="auto")
    compare = parse_compare(str(compare), where)
    pick.show("compare-archive", compare)

    form, where = pick("format", "format", options.format, default="terminal")
    form = parse_format(form, where)
    pick.show("format", form)
    output_text, output_where = pick("output", "output", options.output, path=True)
    pick.show("output", str(output_text) if output_text else "(standard output)")
    if output_text and pick.origins["format"] == "default":
        from refcheck.report import format_of_file

        named = format_of_file(str(output_text))
        if named is not None:  # `-o report.html`: the page, not the terminal's text
            form = named.value
            pick.show("format", form)
            pick.origins["format"] = f"the name of the output file ({output_text})"
    reports, where = pick("report", "reports", options.reports or None, default=())
    if file is not None and pick.origins["report"] == str(file.path):
        reports = tuple(_report(r, file) for r in reports)
    for text in reports:
        parse_report(text, where)
    pick.show("report", " ".join(reports) or "(none)")
    quiet, _ = pick("quiet", "quiet", options.quiet, default=False)
    pick.show("quiet", _flag(quiet))
    strict, _ = pick("strict", "strict", options.strict, default=False)
    pick.show("strict", _flag(strict))

    return RunSettings(
        fail_on=fail_on,
        http=http,
        check=CheckOptions(probe_url=probe or None, archive_settings=archives,
                           as_of=as_of, doi_url=doi or DEFAULT_DOI_URL,
                           include=include, exclude=exclude, accept=accept,
                           max_cache_age=max_age, confirm=confirm,
                           compare_archive=str(compare)),
        format=form, output=Path(output_text) if output_text else None, reports=reports,
        output_where=output_where, report_where=where,
        quiet=bool(quiet), strict=bool(strict), cache_dir=cache_dir,
        file=path, shown=pick.settled(), shard=shard,
    )


def settings_path(options: Options, env: Mapping[str, str]) -> Path | None:
    """The settings file: ``--config``, else ``REFCHECK_CONFIG``, else the one found by
    walking up from the first case file's folder (the working folder without one)."""
    if options.config is not None:
        return options.config
    if env.get("REFCHECK_CONFIG"):
        return Path(env["REFCHECK_CONFIG"])
    start = Path(options.casefiles[0]) if options.casefiles else Path.cwd()
    return find_settings_file(start)


def cache_directory(options: Options, env: Mapping[str, str] | None = None) -> Path:
    """Where the memory of past runs lives, as a run would settle it (for
    ``refcheck cache``)."""
    env = os.environ if env is None else env
    path = settings_path(options, env)
    file = load_settings_file(path) if path is not None else None
    # Whatever no-cache says: `refcheck cache clear` is for a memory a run left.
    return _directory(options, env, _Picker(options, env, file))


def _directory(options: Options, env: Mapping[str, str], pick: _Picker) -> Path:
    from refcheck.cache import default_directory

    # An empty REFCHECK_CACHE_DIR (a CI variable left blank) is unset, as REFCHECK_CONFIG's.
    directory, _ = pick("cache-dir", "cache_dir", options.cache_dir,
                        env="REFCHECK_CACHE_DIR" if env.get("REFCHECK_CACHE_DIR") else None,
                        path=True)
    return Path(directory) if directory else default_directory()


def _memory(options: Options, env: Mapping[str, str], file: SettingsFile | None,
            pick: _Picker) -> tuple[Path | None, dt.timedelta, Confirm | None]:
    from refcheck.cache import DEFAULT_MAX_AGE, parse_age, parse_confirm

    no_cache, _ = pick("no-cache", "no_cache", options.no_cache, default=False)
    no_cache = pick.undone("no-cache", "no_cache", no_cache,
                           ("cache_dir", "max_cache_age", "confirm"))
    pick.show("no-cache", _flag(no_cache))
    cache_dir = _directory(options, env, pick)
    pick.show("cache-dir", str(cache_dir))
    age_text, where = pick("max-cache-age", "max_cache_age", options.max_cache_age)
    try:
        max_age = parse_age(str(age_text)) if age_text is not None else DEFAULT_MAX_AGE
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None
    pick.show("max-cache-age", _duration(max_age))
    confirm_text, where = pick("confirm", "confirm", options.confirm)
    try:
        confirm = parse_confirm(confirm_text) if confirm_text else None
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None
    pick.show("confirm", f"{confirm.runs}:{confirm.days}" if confirm else "(off)")
    if confirm is not None and no_cache:
        raise UsageError(f"{where}: --confirm counts failures over past runs, which "
                         "--no-cache (or no-cache in the settings file) turns off; give one "
                         "of them, not both")
    return (None if no_cache else cache_dir), max_age, confirm


def _check_service_url(value: object, where: str, default: str) -> None:
    """A base URL refcheck asks (the probe, the DOI system) must be one it can request: a
    probe that cannot be asked would make every unreachable link "no network" (exit 3)."""
    if not value:
        return
    text = str(value)
    problem = url_problem(text)
    if problem is not None:
        raise UsageError(f"{where}: `{text}` {problem.message}; {default}")


def _check_http_value(value: object, where: str) -> None:
    """What the command line's own checks let through, and would break every request: a
    number that is not one (``nan``, ``inf``), and a user agent that is no header value."""
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"{where}: expected an ordinary number of seconds, e.g. 10; found "
                         f"{value}")
    if isinstance(value, str):
        if not value.strip():
            raise UsageError(f"{where}: is empty; give a user agent, e.g. "
                             f'"{DEFAULT_USER_AGENT}"')
        shown = value.encode("unicode_escape").decode("ascii")  # a line break as \n
        if any(c != "\t" and (ord(c) < 32 or ord(c) == 127) for c in value):
            what = "a line break" if "\n" in value or "\r" in value else "a control character"
            raise UsageError(f"{where}: `{shown}` holds {what}, which no request header may "
                             "carry; remove it")
        if not value.isascii():
            raise UsageError(f"{where}: `{shown}` holds characters other than plain ASCII, "
                             "which a request header cannot carry; remove them")


#: Switches with a way to be turned off on the command line (``--no-quiet``), over a
#: settings file that turns them on.
_NEGATED = frozenset({"quiet", "strict"})


class _Picker:
    """Settles one setting at a time and remembers where each came from."""

    def __init__(self, options: Options, env: Mapping[str, str],
                 file: SettingsFile | None) -> None:
        self.options = options
        self.env = env
        self.file = file
        self.origins: dict[str, str] = {}
        self.values: dict[str, str] = {}
        self.shown: list[Setting] = []

    def __call__(self, key: str, option: str, value: Any, *, env: str | None = None,
                 default: Any = None, path: bool = False) -> tuple[Any, str]:
        """The value of ``key``, and how an error about it should name where it came from
        (``--fail-on``, ``REFCHECK_X``, ``file:line: fail-on``)."""
        flag = f"--{option.replace('_', '-')}" if option != "reports" else "--report"
        if self.options.typed(option):
            if value is False and option in _NEGATED:
                flag = f"--no-{option}"
            self.origins[key] = f"option {flag}"
            return value, flag
        if env is not None and env in self.env:
            self.origins[key] = f"environment {env}"
            return self.env[env], env
        file = self.file
        if file is not None and key in file.values:
            self.origins[key] = str(file.path)
            found = file.values[key]
            if path and found:
                found = str(file.resolve(str(found)))
            return found, file.where(key)
        self.origins[key] = "default"
        return (value if default is None else default), flag

    def show(self, key: str, text: str) -> None:
        self.values[key] = text

    def undone(self, key: str, option: str, on: bool, undoing: tuple[str, ...]) -> bool:
        """A switch (``no-cache``) as settled, given the options that undo it: one the
        settings file turns on gives way to an undoing option typed (``--cache-dir``), as
        every setting of the file gives way to its option; typed itself, it stays."""
        typed = next((name for name in undoing if self.options.typed(name)), None)
        if not on or typed is None or self.options.typed(option):
            return on
        self.origins[key] = f"option --{typed.replace('_', '-')}"
        return False

    def settled(self) -> tuple[Setting, ...]:
        """Every setting, in the order of the settings file's keys."""
        main = [Setting(k, v, self.origins.get(k, "default")) for k, v in self.values.items()]
        order = {key: i for i, key in enumerate(KEYS)}

        def place(setting: Setting) -> int:
            return order.get(setting.key.split(".", 1)[0], len(order))

        return tuple(sorted([*main, *self.shown], key=place))


def build_archive_settings(config: Config, options: Options, env: Mapping[str, str],
                           pick: _Picker | None = None) -> ArchiveSettings:
    pick = pick or _Picker(options, env, None)
    no_archive, _ = pick("no-archive", "no_archive", options.no_archive, default=False)
    text, where = pick("archive", "archive", options.archive)
    if no_archive and options.typed("archive") and options.typed("no_archive"):
        raise UsageError("--archive and --no-archive: one says which archives to look in "
                         "and the other turns them off; give only one of them")
    no_archive = pick.undone("no-archive", "no_archive", no_archive, ("archive",))
    if text is None and config.archives is not None and not options.typed("archive"):
        text, where = config.archives, "archives.order"
        if pick.file is not None:
            pick.origins["archive"] = str(pick.file.path)
    if no_archive:
        order: tuple[Archive, ...] = ()
    else:
        order = parse_archive_list(joined(text), where) if text is not None else DEFAULT_ORDER
    pick.show("no-archive", _flag(no_archive))
    pick.show("archive", ",".join(order) or "(none)")
    configured = dict(config.urls)
    urls = []
    for key, info in SERVICES.items():
        # An empty option or variable falls through to the settings file.
        typed = options.archive_urls.get(key)
        value = typed or env.get(info.env) or configured.get(key)
        origin = (f"option {info.option}" if typed else f"environment {info.env}"
                  if env.get(info.env) else str(pick.file.path if pick.file else "file")
                  if configured.get(key) else "default")
        if value:
            if not value.startswith(("http://", "https://")):
                where = (info.option or info.env if typed else info.env if env.get(info.env)
                         else pick.file.where(f"archives.{info.url_setting}") if pick.file
                         else f"archives.{info.url_setting}")
                raise UsageError(f"{where}: the base URL of {info.short}, `{value}`, is not "
                                 "an http(s) address")
            urls.append((key, value.rstrip("/")))
        setting = f"archives.{info.url_setting}"
        pick.show(setting, (value or info.default_url).rstrip("/"))
        pick.origins[setting] = origin
    defaults = ArchiveSettings()
    settings = ArchiveSettings(
        order=order, urls=tuple(urls), limits=config.limits,
        wait_after_429=config.wait_after_429 or defaults.wait_after_429)
    limits = dict(config.limits)
    for name, budget in budget_settings().items():
        pick.show(f"archives.{name}", f"{settings.count(budget):g}")
        if name in limits and pick.file is not None:
            pick.origins[f"archives.{name}"] = str(pick.file.path)
    pick.show("archives.wait_after_429", f"{settings.wait_after_429:g}")
    if config.wait_after_429 is not None and pick.file is not None:
        pick.origins["archives.wait_after_429"] = str(pick.file.path)
    return settings


def divide_budgets(settings: ArchiveSettings, count: int,
                   pick: _Picker | None = None) -> ArchiveSettings:
    """Each archive budget divided by ``count``: the share of one of ``count`` shards, so
    that the shards of an audit, run at once on as many machines, ask each archive no more
    than one run would."""
    limits = []
    for name, budget in budget_settings().items():
        share = settings.count(budget) / count
        limits.append((name, share))
        if pick is not None:
            key = f"archives.{name}"
            pick.show(key, f"{share:g}")
            pick.origins[key] = (f"{pick.origins.get(key, 'default')}, divided by {count} "
                                 "(--shard)")
    return dataclasses.replace(settings, limits=tuple(limits))


def fitted_to_descriptors(settings: RunSettings) -> tuple[RunSettings, str | None]:
    """``settings`` with the HTTP limits this machine's file-descriptor limit allows
    (``fit_to_descriptors``): the concurrency, and the idle connections the pool keeps; and
    a message when the concurrency had to be lowered. Every command that fetches runs
    with these."""
    http = settings.http
    concurrency, max_idle, limited = fit_to_descriptors(
        http.concurrency, idle_per_request=IDLE_PER_REQUEST, idle_wanted=pool_size(http))
    return dataclasses.replace(settings, http=dataclasses.replace(
        http, concurrency=concurrency, max_idle=max_idle)), limited


def build_archives(options: CheckOptions, fetcher: Fetcher) -> Archives | None:
    """The fallback a run asks, or None when no archive is to be asked."""
    settings = options.archive_settings
    if settings is None or not settings.order:
        return None
    return Archives.build(settings, fetcher)


def parse_date_option(text: str | None, where: str = "--as-of") -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{where}: `{text}` is not a date; expected YYYY-MM-DD, "
                         "e.g. 2013-11-29") from None


def parse_compare(text: str, where: str = "--compare-archive") -> str:
    """``--compare-archive`` (or the settings file's ``compare-archive``): auto, always or
    never."""
    mode = text.strip().lower()
    if mode not in COMPARE_MODES:
        raise UsageError(f"{where}: unknown value `{text}`; expected one of: "
                         f"{', '.join(COMPARE_MODES)}")
    return mode


def parse_report(text: str, where: str = "--report") -> tuple[str, Path]:
    """A ``FORMAT:PATH`` of ``--report`` (or of the settings file's ``report``, ``where``
    it is): the format's name and the path."""
    from refcheck.report import Format, format_of_file

    name, colon, path = text.partition(":")
    formats = [f.value for f in Format]
    if not colon or not path or name.strip().lower() not in formats:
        if colon and path:  # a path, after a word that names no format
            why = f": `{name}` is not a report format; FORMAT is one of: {', '.join(formats)}"
        else:
            why = f"; expected e.g. junit:report.xml, with FORMAT one of: {', '.join(formats)}"
            guess = format_of_file(text) if not colon else None
            if guess is not None:
                why += f" (for this file: {where} {guess.value}:{text})"
        raise UsageError(f"{where}: `{text}` is not FORMAT:PATH{why}")
    return name.strip().lower(), Path(path)


def parse_format(text: str, where: str = "--format") -> str:
    from refcheck.report import Format

    try:
        return Format(text.strip().lower()).value
    except ValueError:
        raise UsageError(f"{where}: unknown format `{text}`; expected one of: "
                         f"{', '.join(Format)}") from None


def _patterns(file: SettingsFile | None, key: str) -> tuple[re.Pattern[str], ...]:
    if file is None:
        return ()
    compiled = []
    for text in file.values.get(key, ()):
        try:
            compiled.append(re.compile(text))
        except re.error as exc:
            raise UsageError(f"{file.path}: {key}: `{text}` is not a regular expression: "
                             f"{exc}") from None
    return tuple(compiled)


def _report(text: str, file: SettingsFile) -> str:
    """A ``FORMAT:PATH`` of the settings file, its path relative to the file's folder."""
    form, colon, path = text.partition(":")
    return f"{form}:{file.resolve(path)}" if colon and path else text


def _flag(value: object) -> str:
    return "true" if value else "false"


def _duration(age: dt.timedelta) -> str:
    total = age.total_seconds()
    seconds = int(total)
    if total != seconds:  # `--max-cache-age 0.5s` is not 0
        return f"{total:g}s"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s" if seconds else "0"
