"""The optional settings file (TOML): archive order, base URLs and politeness limits.

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

from dataclasses import dataclass
from pathlib import Path

from refcheck.archive import SERVICES, budget_settings
from refcheck.errors import UsageError
from refcheck.model import Archive

#: Settings of the fallback itself, beside the table's budgets.
_FALLBACK_LIMITS = ("wait_after_429",)


@dataclass(frozen=True)
class Config:
    archives: str | None = None  # comma-separated order, as --archive takes it
    urls: tuple[tuple[Archive, str], ...] = ()
    limits: tuple[tuple[str, float], ...] = ()  # budgets, by settings-file key
    wait_after_429: float | None = None


def load_config(path: Path | None) -> Config:
    """The settings in ``path`` (``--config``, or ``REFCHECK_CONFIG``); none without one."""
    if path is None:
        return Config()
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
    budgets = budget_settings()
    known = {"order", *(info.url_setting for info in SERVICES.values()), *budgets,
             *_FALLBACK_LIMITS}
    unknown = sorted(set(section) - known)
    if unknown:
        raise UsageError(f"{path}: unknown setting archives.{unknown[0]}; known: "
                         f"{', '.join(sorted(known))}")
    order = section.get("order")
    if order is not None and (not isinstance(order, list)
                              or not all(isinstance(x, str) for x in order)):
        raise UsageError(f'{path}: archives.order must be a list such as ["ukgwa", '
                         '"wayback"]')
    urls = tuple((info.key, str(section[info.url_setting])) for info in SERVICES.values()
                 if info.url_setting in section)
    limits = tuple((name, _positive(path, name, section[name])) for name in budgets
                   if name in section)
    wait = section.get("wait_after_429")
    return Config(archives=",".join(order) if order is not None else None, urls=urls,
                  limits=limits,
                  wait_after_429=_positive(path, "wait_after_429", wait) if wait is not None
                  else None)


def _positive(path: Path, name: str, value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise UsageError(f"{path}: archives.{name} must be a positive number")
    return float(value)
