"""From what the user asked for to the objects a run uses: one settings object, and the small
factories that build a run's parts from it. The CLI only parses options into ``Options``.

Every setting follows one order of precedence: the command-line option, then the
environment variable, then the settings file, then the default.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from refcheck.archive import DEFAULT_ORDER, SERVICES, ArchiveSettings
from refcheck.archive.registry import Archives
from refcheck.checker import DEFAULT_PROBE_URL, CheckOptions
from refcheck.config import Config, load_config
from refcheck.doi import DEFAULT_DOI_URL
from refcheck.errors import UsageError
from refcheck.http import Fetcher, HttpSettings
from refcheck.model import DEFAULT_FAIL_ON, Archive, Status

MakeFetcher = Callable[[HttpSettings], Fetcher]


@dataclass(frozen=True, kw_only=True)
class Options:
    """The command line as typed: None where an option was not given."""

    fail_on: str | None = None
    http: HttpSettings = field(default_factory=HttpSettings)
    archive: str | None = None
    no_archive: bool = False
    archive_urls: Mapping[Archive, str | None] = field(default_factory=dict)
    as_of: str | None = None
    doi_url: str | None = None
    probe_url: str | None = None
    config: Path | None = None


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """Everything a run needs to know, settled."""

    fail_on: frozenset[Status]
    http: HttpSettings
    check: CheckOptions


def build_settings(options: Options, env: Mapping[str, str] | None = None) -> RunSettings:
    """Settle every setting (option > environment > settings file > default). Raises
    ``UsageError`` with the option's name for anything unusable."""
    env = os.environ if env is None else env
    config = load_config(options.config if options.config is not None
                         else _path(env.get("REFCHECK_CONFIG")))
    archives = build_archive_settings(config, options, env)
    # An empty probe URL means "no probe"; an empty DOI URL means the default.
    probe = _first(options.probe_url, env.get("REFCHECK_PROBE_URL"), DEFAULT_PROBE_URL)
    doi = _first(options.doi_url, env.get("REFCHECK_DOI_URL"), DEFAULT_DOI_URL)
    fail_on = (parse_fail_on(options.fail_on) if options.fail_on is not None
               else DEFAULT_FAIL_ON)
    return RunSettings(
        fail_on=fail_on,
        http=options.http,
        check=CheckOptions(probe_url=probe or None, archive_settings=archives,
                           as_of=parse_date_option(options.as_of),
                           doi_url=doi or DEFAULT_DOI_URL),
    )


def build_archive_settings(config: Config, options: Options,
                           env: Mapping[str, str]) -> ArchiveSettings:
    if options.no_archive:
        order: tuple[Archive, ...] = ()
    else:
        text = options.archive if options.archive is not None else config.archives
        order = parse_archive_list(text) if text is not None else DEFAULT_ORDER
    configured = dict(config.urls)
    urls = []
    for key, info in SERVICES.items():
        # An empty option or variable falls through to the settings file.
        value = options.archive_urls.get(key) or env.get(info.env) or configured.get(key)
        if value:
            if not value.startswith(("http://", "https://")):
                where = info.option or info.env
                raise UsageError(f"{where}: the {info.short} base URL `{value}` is not an "
                                 "http(s) address")
            urls.append((key, value.rstrip("/")))
    defaults = ArchiveSettings()
    return ArchiveSettings(
        order=order, urls=tuple(urls), limits=config.limits,
        wait_after_429=config.wait_after_429 or defaults.wait_after_429)


def build_archives(options: CheckOptions, fetcher: Fetcher) -> Archives | None:
    """The fallback a run asks, or None when no archive is to be asked."""
    settings = options.archive_settings
    if settings is None or not settings.order:
        return None
    return Archives.build(settings, fetcher)


def parse_fail_on(text: str) -> frozenset[Status]:
    if text.strip().lower() == "none":
        return frozenset()
    chosen = set()
    for word in (w.strip().lower() for w in text.split(",")):
        if not word:
            continue
        try:
            chosen.add(Status(word))
        except ValueError:
            valid = ", ".join(s.value for s in Status)
            raise UsageError(f"--fail-on: unknown status `{word}`; expected a comma-separated "
                             f"list of: {valid} (or `none`)") from None
    return frozenset(chosen)


def parse_archive_list(text: str) -> tuple[Archive, ...]:
    order: list[Archive] = []
    for word in (w.strip().lower() for w in text.split(",")):
        if not word:
            continue
        try:
            key = Archive(word)
        except ValueError:
            raise UsageError(f"--archive: unknown archive `{word}`; expected a comma-separated "
                             f"list of: {', '.join(SERVICES)}") from None
        if key not in order:
            order.append(key)
    return tuple(order)


def parse_date_option(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of: `{text}` is not a date; expected YYYY-MM-DD, "
                         "e.g. 2013-11-29") from None


def _first(option: str | None, env: str | None, default: str) -> str:
    return option if option is not None else env if env is not None else default


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None
