"""Links that already point into an archive: recognising them, and what a live check of
one is. Pure functions over URLs; what a live check of a capture means is
``verdict.judge``'s.

The forms recognised are the table's (``archive.SERVICES``, each entry's ``citations``), on
the archive's public hosts and on any configured base URL:
- UKGWA now:       ``…/ukgwa/{ts}/{url}``, ``…/ukgwa/+/{url}``, ``…/ukgwa/*/{url}``
- UKGWA pre-2021:  ``webarchive.nationalarchives.gov.uk/{ts}/{url}`` (also ``/+/``, ``/*/``)
                   and ``collections.europarchive.org/tna/{ts}/{url}``
- Wayback:         ``web.archive.org/web/{ts}/{url}`` (and ``/web/*/{url}``, ``/web/2013*/{url}``)
- UK Parliament and NRS: ``webarchive.parliament.uk/{ts}/{url}``,
                   ``webarchive.nrscotland.gov.uk/{ts}/{url}``
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from refcheck.archive import SERVICES, ArchiveSettings, ServiceInfo
from refcheck.urls import host_of

#: ``{ts}``, ``+`` (latest), ``*`` (every capture) or ``{ts}*`` (the captures from a year, a
#: month, …: the Wayback Machine's calendar, as people copy it), then the original.
_CAPTURE = re.compile(r"^/(?P<ts>\d{4,14}|\d{0,14}\*|\+)(?:[a-z]{2}_)?/(?P<original>.+)$")


@dataclass(frozen=True)
class Citation:
    service: ServiceInfo
    original: str
    timestamp: str | None  # None for the listing (*) and latest (+) forms
    legacy: bool  # a form the archive no longer gives out
    current: str  # the same capture in the archive's current form
    #: Where the capture itself is replayed, for an archive whose capture address serves a
    #: frame around it (UKGWA's ``…/{ts}mp_/{url}``); None for one whose capture address is
    #: the capture (the Wayback Machine's keeps the capture's status), and for ``*`` and ``+``.
    replay: str | None = None
    latest: bool = False  # the latest form (``+``): the archive sends it to its newest capture

    @property
    def framed(self) -> bool:
        """Whether the capture it leads to is judged where the archive replays it, not from
        the frame around it: a timestamped capture of a framed archive, or its latest."""
        return self.replay is not None or (self.latest and self.service.framed)


@functools.lru_cache(maxsize=16)
def _archive_hosts(settings: ArchiveSettings) -> frozenset[str]:
    """Every host a capture address can be on: the public ones and the configured bases."""
    hosts = {host for info in SERVICES.values() for host in info.hosts}
    hosts.update(host_of(settings.base(key)) for key in SERVICES)
    return frozenset(hosts)


def recognise(url: str, settings: ArchiveSettings) -> Citation | None:
    """The archive capture a URL names, or None for an ordinary URL."""
    host = host_of(url)
    if host not in _archive_hosts(settings):
        return None  # the common case, asked of every link: answered without parsing
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    for info in SERVICES.values():
        base = settings.base(info.key)
        configured = urlsplit(base)
        at_base = host == (configured.hostname or "").lower() and parts.port == configured.port
        if host not in info.hosts and not at_base:
            continue
        # The configured base's own path first (a mirror may serve the archive elsewhere).
        forms: list[tuple[str, bool]] = [(configured.path.rstrip("/") + form.prefix.removeprefix(
                      urlsplit(info.default_url).path.rstrip("/")), form.legacy)
                 for form in info.citations if at_base and not form.legacy]
        forms += [(form.prefix, form.legacy) for form in info.citations]
        for prefix, legacy in forms:
            if not path.startswith(prefix + "/"):
                continue
            match = _CAPTURE.match(path[len(prefix):])
            if not match:
                continue
            original = _repair_scheme(match.group("original"))
            stamp = match.group("ts")
            timestamp = stamp if stamp.isdigit() else None
            current = info.capture.format(base=base, ts=stamp, url=original)
            replay = (info.raw.format(base=base, ts=stamp, url=original)
                      if info.framed and timestamp is not None else None)
            return Citation(info, original, timestamp, legacy, current, replay,
                            latest=stamp == "+")
    return None


#: ``…/{timestamp}{modifier}/{original}`` anywhere in a capture's address (``id_``, ``mp_``).
_CAPTURED = re.compile(r"/(?:\d{4,14}|\+)(?:[a-z]{2}_)?/(https?:/.+)$", re.IGNORECASE)


def original_of_capture(url: str) -> str | None:
    """The address a capture (``…/web/20130101000000id_/http://site/page``, or the latest
    one, ``…/ukgwa/+/http://site/page``) was taken of, whatever the archive; None for an
    address that is no capture."""
    match = _CAPTURED.search(url)
    return _repair_scheme(match.group(1)) if match else None


def _repair_scheme(original: str) -> str:
    """``http:/host`` (one slash, as some copies of archive URLs have it) → ``http://host``."""
    return re.sub(r"^(https?):/(?!/)", r"\1://", original)
