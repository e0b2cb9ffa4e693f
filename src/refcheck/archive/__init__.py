"""Web archives: finding the copy of a lost page nearest the date it was cited.

One small interface (``ArchiveService``), one module per service, and one table of what
refcheck knows about each archive (``SERVICES``). "Not archived" (the archive answered
that it has nothing) and "lookup failed" (429, 5xx, a CAPTCHA, no connection) are different
outcomes and stay different all the way to the report.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from refcheck.archive.client import ArchiveClient, RateLimiter, capture_problem, lookup_problem
from refcheck.archive.memento import parse_http_date, parse_link_format
from refcheck.model import Capture, Lookup, LookupOutcome

#: (when captured, URL to fetch to prove it, URL a person opens)
Candidate = tuple[dt.datetime, str, str]


@dataclass(frozen=True)
class ServiceInfo:
    """What refcheck knows about one archive; the one place such knowledge lives."""

    key: str
    name: str  # as written in a sentence
    short: str  # as written in a list
    default_url: str
    env: str
    hosts: tuple[str, ...]  # public hosts whose captures may be cited directly
    # Addresses, relative to the base URL; {url} is the original, {ts} a 14-digit timestamp.
    timemap: str  # link-format TimeMap
    capture: str  # a capture as a person opens it
    raw: str  # a capture to fetch and check (no rewriting, no banner where the archive can)
    listing: str  # every capture, for a person to browse
    quirks: str  # what the service module must allow for


UKGWA = ServiceInfo(
    key="ukgwa",
    name="the UK Government Web Archive",
    short="UKGWA",
    default_url="https://webarchive.nationalarchives.gov.uk/ukgwa",
    env="REFCHECK_UKGWA_URL",
    hosts=("webarchive.nationalarchives.gov.uk", "collections.europarchive.org"),
    timemap="{base}/timemap/link/{url}",
    capture="{base}/{ts}/{url}",
    raw="{base}/{ts}mp_/{url}",
    listing="{base}/*/{url}",
    quirks="pywb: TimeMap lists memento rels only, no capture status; CDX rows may be "
           "is_fuzzy near-misses; 'original' may differ in scheme or www.; bare hosts need "
           "a trailing /; a WAF may answer 405 with x-amzn-waf-action: captcha",
)
WAYBACK = ServiceInfo(
    key="wayback",
    name="the Wayback Machine",
    short="the Wayback Machine",
    default_url="https://web.archive.org",
    env="REFCHECK_WAYBACK_URL",
    hosts=("web.archive.org", "wayback.archive.org"),
    timemap="{base}/web/timemap/link/{url}",
    capture="{base}/web/{ts}/{url}",
    raw="{base}/web/{ts}id_/{url}",
    listing="{base}/web/*/{url}",
    quirks="CDX output=json is an array of arrays with a header row ([] when empty); "
           "closest is unreliable; the availability API's empty answer proves nothing; "
           "CDX+TimeMap share 30 requests/minute, playback 600; 429 without Retry-After "
           "means wait 60 s; a blocked site is CDX 403 AdministrativeAccessControlException",
)
# Other Memento archives that hold UK public evidence, asked only when --archive names them.
# Their TimeMaps list the capture addresses, so only the TimeMap address is needed here.
PARLIAMENT = ServiceInfo(
    key="parliament",
    name="the UK Parliament Web Archive",
    short="the Parliament Web Archive",
    default_url="https://webarchive.parliament.uk",
    env="REFCHECK_PARLIAMENT_URL",
    hosts=("webarchive.parliament.uk",),
    timemap="{base}/timemap/link/{url}",
    capture="",
    raw="",
    listing="",
    quirks="Memento TimeMap and TimeGate; holds parliament.uk",
)
NRS = ServiceInfo(
    key="nrs",
    name="the National Records of Scotland Web Archive",
    short="the NRS Web Archive",
    default_url="https://webarchive.nrscotland.gov.uk",
    env="REFCHECK_NRS_URL",
    hosts=("webarchive.nrscotland.gov.uk",),
    timemap="{base}/timemap/link/{url}",
    capture="",
    raw="",
    listing="",
    quirks="Memento TimeMap and TimeGate; holds gov.scot and other Scottish public bodies",
)
SERVICES: dict[str, ServiceInfo] = {s.key: s for s in (UKGWA, WAYBACK, PARLIAMENT, NRS)}
DEFAULT_ORDER = (UKGWA.key, WAYBACK.key)


@dataclass(frozen=True, kw_only=True)
class ArchiveSettings:
    order: tuple[str, ...] = DEFAULT_ORDER
    urls: tuple[tuple[str, str], ...] = ()  # (service key, base URL) overrides
    ukgwa_per_second: float = 3.0
    memento_per_second: float = 1.0  # other Memento archives, which publish no limits
    wayback_per_minute: int = 24
    wayback_playback_per_minute: int = 480
    wait_after_429: float = 60.0
    max_wait_after_429: float = 600.0
    candidates: int = 3  # captures tried, nearest first, before concluding "no good copy"

    def base(self, key: str) -> str:
        for service, url in self.urls:
            if service == key:
                return url.rstrip("/")
        return SERVICES[key].default_url


class ArchiveService(ABC):
    info: ServiceInfo

    def __init__(self, base: str, client: ArchiveClient, settings: ArchiveSettings,
                 info: ServiceInfo | None = None) -> None:
        self.base = base.rstrip("/")
        self.client = client
        self.settings = settings
        if info is not None:
            self.info = info

    @abstractmethod
    async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
        """Find the good capture of ``url`` nearest ``target`` (the newest, when None)."""

    def address(self, template: str, url: str, ts: str = "") -> str:
        return template.format(base=self.base, url=archivable(url), ts=ts)

    def found(self, capture: Capture) -> Lookup:
        return Lookup(self.info.key, LookupOutcome.FOUND, "", capture, self.info.short)

    def not_archived(self, detail: str = "") -> Lookup:
        return Lookup(self.info.key, LookupOutcome.NOT_ARCHIVED, detail, label=self.info.short)

    def failed(self, reason: str) -> Lookup:
        return Lookup(self.info.key, LookupOutcome.FAILED, reason, label=self.info.short)

    async def timemap(self, url: str, limiter: RateLimiter) -> Lookup | list[LinkMemento]:
        """The mementos a link-format TimeMap lists, or the Lookup that ends the search."""
        fetch = await self.client.get(url, limiter)
        problem = lookup_problem(fetch, self.info.short)
        if problem:
            return self.failed(problem)
        assert fetch.answer is not None
        if fetch.answer.status == 404:
            return self.not_archived()
        text = fetch.answer.body.decode("utf-8", errors="replace")
        mementos = [(when, e.uri) for e in parse_link_format(text)
                    if "memento" in e.rels and (when := e.datetime) is not None]
        return mementos or self.not_archived()

    async def prove(self, candidates: Sequence[Candidate], limiter: RateLimiter,
                    original: str) -> Lookup:
        """Fetch candidates nearest first until one is a good capture. A lookup failure
        ends the search undecided; bad captures (replayed 404s, error pages) are skipped."""
        reasons = []
        for when, fetch_url, human_url in candidates[: self.settings.candidates]:
            check = await self.client.get(fetch_url, limiter)
            verdict = capture_problem(check, self.info.short)
            if verdict is None:
                assert check.answer is not None
                captured = parse_http_date(check.answer.headers["memento-datetime"]) or when
                return self.found(Capture(self.info.key, human_url, captured, original,
                                          self.info.short))
            failed, why = verdict
            if failed:
                return self.failed(why)
            reasons.append(why)
        return self.not_archived(f"no usable capture among the {len(reasons)} nearest: "
                                 f"{reasons[0]}")


LinkMemento = tuple[dt.datetime, str]


def nearest_first(
    candidates: Sequence[LinkMemento], target: dt.datetime | None
) -> list[LinkMemento]:
    """Captures ordered by distance from ``target``; newest first when there is none."""
    if target is None:
        return sorted(candidates, key=lambda c: c[0], reverse=True)
    return sorted(candidates, key=lambda c: (abs((c[0] - target).total_seconds()), c[0]))


def archivable(url: str) -> str:
    """The form archives index: a bare host gets its ``/`` (or pywb may not answer)."""
    _, sep, rest = url.partition("://")
    if sep and "/" not in rest:
        return url + "/"
    return url
