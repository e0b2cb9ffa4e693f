"""Web archives: what refcheck knows about each one, in one table (``SERVICES``).

Each entry holds everything about one archive: its names, base URL and the environment
variable and option that change it, the public hosts its captures are cited on, the
address forms of its TimeMaps, captures and listings, the citation forms to recognise, its
request budgets (and the settings-file keys that change them), and the class that asks it.
The CLI, the settings file, citation recognition and the fallback all read this table.

This module is pure: importing it (to read a settings file, say) imports no HTTP code. The
service classes are loaded from the table only when a run asks an archive.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from refcheck.model import Archive

if TYPE_CHECKING:
    from collections.abc import Callable

    from refcheck.archive.client import ArchiveClient
    from refcheck.archive.interface import ArchiveService

    #: How the table's classes are built: (its entry, base URL, polite client, settings).
    ServiceFactory = Callable[["ServiceInfo", str, ArchiveClient, "ArchiveSettings"],
                              ArchiveService]


@dataclass(frozen=True)
class Budget:
    """At most ``count`` requests in ``period`` seconds, across all of a run's tasks;
    ``setting`` is the settings-file key that changes ``count``."""

    name: str
    setting: str
    count: float
    period: float


@dataclass(frozen=True)
class CitationForm:
    """How a capture of this archive is cited: ``{prefix}/{timestamp}/{url}`` (also
    ``/*/`` and ``/+/``) on one of its hosts or its configured base. ``legacy`` forms are
    addresses the archive used to give out, for which the current form is suggested."""

    prefix: str
    legacy: bool = False


@dataclass(frozen=True)
class ServiceInfo:
    """What refcheck knows about one archive; the one place such knowledge lives."""

    key: Archive
    name: str  # as written in a sentence
    short: str  # as written in a list
    default_url: str
    env: str  # the environment variable that sets the base URL
    hosts: tuple[str, ...]  # public hosts whose captures may be cited directly
    implementation: str  # "module:Class" of the service that asks it
    budgets: tuple[Budget, ...]
    # Addresses, relative to the base URL; {url} is the original, {ts} a 14-digit timestamp.
    timemap: str  # link-format TimeMap
    capture: str  # a capture as a person opens it
    citations: tuple[CitationForm, ...]
    quirks: str  # what the service module must allow for
    raw: str = ""  # a capture to fetch and check (no rewriting, no banner where possible)
    #: Its ``capture`` address serves a frame (a banner, the capture in an iframe at
    #: ``raw``) that answers 200 whatever the capture is: a cited capture is judged at ``raw``.
    framed: bool = False
    listing: str = ""  # every capture, for a person to browse
    option: str | None = None  # the command-line option that sets the base URL

    def service_class(self) -> ServiceFactory:
        """The class that asks this archive, imported only now (it brings in HTTP code)."""
        module, _, name = self.implementation.partition(":")
        found: ServiceFactory = getattr(importlib.import_module(module), name)
        return found

    @property
    def url_setting(self) -> str:
        """The settings-file key of the base URL."""
        return f"{self.key.value}_url"


#: Shared by the UK Parliament and NRS archives, which publish no limits.
MEMENTO_BUDGET = Budget("requests", "memento_requests_per_second", 1.0, 1.0)

UKGWA = ServiceInfo(
    key=Archive.UKGWA,
    name="the UK Government Web Archive",
    short="UKGWA",
    default_url="https://webarchive.nationalarchives.gov.uk/ukgwa",
    env="REFCHECK_UKGWA_URL",
    option="--ukgwa-url",
    hosts=("webarchive.nationalarchives.gov.uk", "collections.europarchive.org"),
    implementation="refcheck.archive.ukgwa:Ukgwa",
    # No published limit; The National Archives' own scripts pause about 0.3 s a call.
    budgets=(Budget("requests", "ukgwa_requests_per_second", 3.0, 1.0),),
    timemap="{base}/timemap/link/{url}",
    capture="{base}/{ts}/{url}",
    raw="{base}/{ts}mp_/{url}",
    # pywb's framed replay: the top frame at {ts}/ is a 200 with Memento-Datetime even for a
    # capture of a 404 page (pywb's rewriterapp.format_response); the capture is at mp_.
    framed=True,
    listing="{base}/*/{url}",
    # Since 2021 under /ukgwa/; before, at the host's root, and at Europarchive under /tna/.
    citations=(CitationForm("/ukgwa"), CitationForm("/tna", legacy=True),
               CitationForm("", legacy=True)),
    quirks="pywb: TimeMap lists memento rels only, no capture status; CDX rows may be "
           "is_fuzzy near-misses; 'original' may differ in scheme or www.; bare hosts need "
           "a trailing /; a WAF may answer 405 with x-amzn-waf-action: captcha",
)
WAYBACK = ServiceInfo(
    key=Archive.WAYBACK,
    name="the Wayback Machine",
    short="the Wayback Machine",
    default_url="https://web.archive.org",
    env="REFCHECK_WAYBACK_URL",
    option="--wayback-url",
    hosts=("web.archive.org", "wayback.archive.org"),
    implementation="refcheck.archive.wayback:Wayback",
    # Agreed with the Internet Archive by the maintainers of the `wayback` package (30 and
    # 600 a minute), less a margin.
    budgets=(Budget("lookups", "wayback_requests_per_minute", 24, 60.0),
             Budget("playback", "wayback_playback_per_minute", 480, 60.0)),
    timemap="{base}/web/timemap/link/{url}",
    capture="{base}/web/{ts}/{url}",
    raw="{base}/web/{ts}id_/{url}",
    listing="{base}/web/*/{url}",
    citations=(CitationForm("/web"),),
    quirks="CDX output=json is an array of arrays with a header row ([] when empty); "
           "closest is unreliable; the availability API's empty answer proves nothing; "
           "CDX+TimeMap share 30 requests/minute, playback 600; 429 without Retry-After "
           "means wait 60 s; a blocked site is CDX 403 AdministrativeAccessControlException",
)
# Other Memento archives that hold UK public evidence, asked only when --archive names them.
# Their TimeMaps list the capture addresses, so only the TimeMap address is needed to ask.
# Whether their capture addresses serve a frame (as UKGWA's pywb does) is not recorded
# (ARCHIVES.md): they are checked at the address as cited.
PARLIAMENT = ServiceInfo(
    key=Archive.PARLIAMENT,
    name="the UK Parliament Web Archive",
    short="the Parliament Web Archive",
    default_url="https://webarchive.parliament.uk",
    env="REFCHECK_PARLIAMENT_URL",
    hosts=("webarchive.parliament.uk",),
    implementation="refcheck.archive.memento_archive:MementoArchive",
    budgets=(MEMENTO_BUDGET,),
    timemap="{base}/timemap/link/{url}",
    capture="{base}/{ts}/{url}",
    citations=(CitationForm(""),),
    quirks="Memento TimeMap and TimeGate; holds parliament.uk",
)
NRS = ServiceInfo(
    key=Archive.NRS,
    name="the National Records of Scotland Web Archive",
    short="the NRS Web Archive",
    default_url="https://webarchive.nrscotland.gov.uk",
    env="REFCHECK_NRS_URL",
    hosts=("webarchive.nrscotland.gov.uk",),
    implementation="refcheck.archive.memento_archive:MementoArchive",
    budgets=(MEMENTO_BUDGET,),
    timemap="{base}/timemap/link/{url}",
    capture="{base}/{ts}/{url}",
    citations=(CitationForm(""),),
    quirks="Memento TimeMap and TimeGate; holds gov.scot and other Scottish public bodies",
)
SERVICES: dict[Archive, ServiceInfo] = {s.key: s for s in (UKGWA, WAYBACK, PARLIAMENT, NRS)}
DEFAULT_ORDER = (Archive.UKGWA, Archive.WAYBACK)
#: UKGWA's list of every capture is offered for every lost link, whichever archives a run
#: asked: it is where a person looks first for UK public evidence.
LISTING = UKGWA


@dataclass(frozen=True, kw_only=True)
class ArchiveSettings:
    """Which archives a run asks, in order, where they are, and how politely."""

    order: tuple[Archive, ...] = DEFAULT_ORDER
    urls: tuple[tuple[Archive, str], ...] = ()  # base URL overrides
    limits: tuple[tuple[str, float], ...] = ()  # budget overrides, by settings-file key
    wait_after_429: float = 60.0
    max_wait_after_429: float = 600.0
    candidates: int = 3  # captures tried, nearest first, before concluding "no good copy"

    def base(self, key: Archive) -> str:
        for service, url in self.urls:
            if service == key:
                return url.rstrip("/")
        return SERVICES[key].default_url

    def count(self, budget: Budget) -> float:
        """The requests a budget allows per period, as the settings file set it."""
        return dict(self.limits).get(budget.setting, budget.count)


def budget_settings() -> dict[str, Budget]:
    """Every settings-file key that sets a budget, from the table."""
    return {b.setting: b for info in SERVICES.values() for b in info.budgets}


@dataclass(frozen=True, order=True)
class Memento:
    """A capture a TimeMap (or CDX) lists: when it was taken, and where."""

    when: dt.datetime
    uri: str


@dataclass(frozen=True)
class Candidate:
    """A capture to prove: the URL to fetch to check it, and the one a person opens."""

    when: dt.datetime
    fetch_url: str
    human_url: str


def nearest_first(mementos: Sequence[Memento], target: dt.datetime | None) -> list[Memento]:
    """Captures ordered by distance from ``target``; newest first when there is none."""
    if target is None:
        return sorted(mementos, key=lambda m: m.when, reverse=True)
    return sorted(mementos, key=lambda m: (abs((m.when - target).total_seconds()), m.when))


def _distance(when: dt.datetime, target: dt.datetime | None) -> tuple[float, float]:
    """``nearest_first``'s order: nearest ``target`` (the older of two as near), or the
    newest first when there is none."""
    if target is None:
        return (-when.timestamp(), 0.0)
    return (abs((when - target).total_seconds()), when.timestamp())


def searching_back(target: dt.datetime | None, bad: Sequence[dt.datetime]) -> bool:
    """Whether the bad captures met so far look like the page's rot lasting, not a passing
    error: two of them, or one with no target (the newest captures of a lost page are
    those of its rot: a lapsed domain stays parked, a deleted page 404)."""
    return len(bad) >= 2 or (target is None and len(bad) == 1)


def next_to_try(candidates: Sequence[Candidate], target: dt.datetime | None,
                tried: set[dt.datetime], bad: Sequence[dt.datetime]) -> Candidate | None:
    """The next capture to fetch (None when none is left). First the nearest ``target``.
    A capture that is not the page (a parked domain, an error page) means the page was
    gone then, and later captures are most likely no better, so the next is taken from
    before the earliest such capture: the nearest ``target`` of those, and once
    ``searching_back``, the one half-way back in time to the oldest capture, so that
    years of a parked domain's captures do not use up the tries before a good one is
    reached. Later captures are tried only when no earlier one is left."""
    remaining = sorted((c for c in candidates if c.when not in tried),
                       key=lambda c: _distance(c.when, target))
    if not remaining:
        return None
    if not bad:
        return remaining[0]
    earliest = min(bad)
    before = [c for c in remaining if c.when < earliest]
    if not before:
        return remaining[0]
    if not searching_back(target, bad):
        return before[0]
    oldest = min(c.when for c in before)
    halfway = oldest + (earliest - oldest) / 2
    return min(before, key=lambda c: (abs((c.when - halfway).total_seconds()),
                                      -c.when.timestamp()))


def archivable(url: str) -> str:
    """The form archives index: a bare host gets its ``/`` (or pywb may not answer),
    before any query (``http://host?p=12`` is ``http://host/?p=12``, not ``…?p=12/``)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = next((i for i, ch in enumerate(rest) if ch in "/?#"), len(rest))
    if rest[end:end + 1] == "/":
        return url
    return f"{scheme}://{rest[:end]}/{rest[end:]}"


def listing_url(settings: ArchiveSettings, url: str) -> str:
    """Where a person can see every capture of ``url``."""
    return LISTING.listing.format(base=settings.base(LISTING.key), url=archivable(url))
