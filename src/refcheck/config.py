"""The optional settings file (TOML): archive order, base URLs and politeness limits.

    [archives]
    order = ["ukgwa", "wayback"]
    ukgwa_url = "https://webarchive.nationalarchives.gov.uk/ukgwa"
    wayback_url = "https://web.archive.org"
    ukgwa_requests_per_second = 3
    wayback_requests_per_minute = 24

Options and environment variables win over the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refcheck.archive import SERVICES
from refcheck.errors import UsageError

_LIMITS = {
    "ukgwa_requests_per_second": ("ukgwa_per_second", float),
    "wayback_requests_per_minute": ("wayback_per_minute", int),
    "wayback_playback_per_minute": ("wayback_playback_per_minute", int),
    "wait_after_429": ("wait_after_429", float),
    "memento_requests_per_second": ("memento_per_second", float),
}


@dataclass(frozen=True)
class Config:
    archives: str | None = None  # comma-separated order, as --archive takes it
    urls: dict[str, str] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)


def load_config(path: Path | None) -> Config:
    if path is None:
        env = os.environ.get("REFCHECK_CONFIG")
        if not env:
            return Config()
        path = Path(env)
    import tomllib  # only when there is a file: it is 2 ms of every run's start otherwise

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the settings file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    section = data.get("archives", {})
    if not isinstance(section, dict):
        raise UsageError(f"{path}: [archives] must be a table")
    config = Config()
    order = section.get("order")
    if order is not None:
        if not isinstance(order, list) or not all(isinstance(x, str) for x in order):
            raise UsageError(f'{path}: archives.order must be a list such as ["ukgwa", '
                             '"wayback"]')
        config = Config(archives=",".join(order))
    urls = {key: str(section[f"{key}_url"]) for key in SERVICES if f"{key}_url" in section}
    limits: dict[str, Any] = {}
    for name, (attribute, kind) in _LIMITS.items():
        if name in section:
            value = section[name]
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise UsageError(f"{path}: archives.{name} must be a positive number")
            limits[attribute] = kind(value)
    known = {"order", *(f"{key}_url" for key in SERVICES), *_LIMITS}
    unknown = sorted(set(section) - known)
    if unknown:
        raise UsageError(f"{path}: unknown setting archives.{unknown[0]}; known: "
                         f"{', '.join(sorted(known))}")
    return Config(archives=config.archives, urls=urls, limits=limits)
