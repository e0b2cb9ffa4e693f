"""Links that already point into an archive: recognising them, and what a live check of
one means. Pure functions over URLs and fetches.

Recognised forms, on the public hosts and on any configured base URL:
- UKGWA now:       ``…/ukgwa/{ts}/{url}``, ``…/ukgwa/+/{url}``, ``…/ukgwa/*/{url}``
- UKGWA pre-2021:  ``webarchive.nationalarchives.gov.uk/{ts}/{url}`` (also ``/+/``, ``/*/``)
                   and ``collections.europarchive.org/tna/{ts}/{url}``
- Wayback:         ``web.archive.org/web/{ts}/{url}`` (and ``/web/*/{url}``)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from refcheck.archive import UKGWA, WAYBACK, ArchiveSettings, ServiceInfo
from refcheck.archive.memento import parse_http_date, parse_timestamp
from refcheck.model import Answer, Capture, Fetch, Status, Verdict, day
from refcheck.urls import host_of

_CAPTURE = re.compile(r"^/(?P<ts>\d{4,14}|\*|\+)(?:[a-z]{2}_)?/(?P<original>.+)$")


@dataclass(frozen=True)
class Citation:
    service: ServiceInfo
    original: str
    timestamp: str | None  # None for the listing (*) and latest (+) forms
    legacy: bool  # a pre-2021 UKGWA form
    current: str  # the same capture in the archive's current form


@functools.lru_cache(maxsize=16)
def _archive_hosts(settings: ArchiveSettings) -> frozenset[str]:
    """Every host a capture address can be on: the public ones and the configured bases."""
    configured = {host_of(settings.base(info.key)) for info in (UKGWA, WAYBACK)}
    return frozenset((*UKGWA.hosts, *WAYBACK.hosts, *configured))


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
    ukgwa_base = settings.base(UKGWA.key)
    wayback_base = settings.base(WAYBACK.key)
    for info, base in ((UKGWA, ukgwa_base), (WAYBACK, wayback_base)):
        configured = urlsplit(base)
        at_base = host == (configured.hostname or "").lower() and parts.port == configured.port
        if host not in info.hosts and not at_base:
            continue
        if info is UKGWA:
            prefixes = [(configured.path.rstrip("/") or "/ukgwa", False), ("/ukgwa", False),
                        ("/tna", True), ("", True)]
        else:
            prefixes = [(configured.path.rstrip("/") + "/web", False), ("/web", False)]
        for prefix, legacy in prefixes:
            if not path.startswith(prefix + "/"):
                continue
            match = _CAPTURE.match(path[len(prefix):])
            if not match:
                continue
            original = _repair_scheme(match.group("original"))
            stamp = match.group("ts")
            timestamp = stamp if stamp.isdigit() else None
            if info is UKGWA:
                current = f"{ukgwa_base}/{stamp}/{original}"
            else:
                current = f"{wayback_base}/web/{stamp}/{original}"
            return Citation(info, original, timestamp, legacy and info is UKGWA, current)
    return None


def _repair_scheme(original: str) -> str:
    """``http:/host`` (one slash, as some copies of archive URLs have it) → ``http://host``."""
    return re.sub(r"^(https?):/(?!/)", r"\1://", original)


def _memento_date(answer: Answer) -> str | None:
    return answer.headers.get("memento-datetime")


def interpret(cited: str, fetch: Fetch, verdict: Verdict,
              settings: ArchiveSettings) -> tuple[Verdict, Capture | None]:
    """Adjust a live verdict for archives: a cited capture served as a memento is ``ok``;
    a live URL whose redirects end in an archive capture is ``archived``, not ``moved``."""
    answer = fetch.answer
    if answer is None or not 200 <= answer.status < 300:
        return verdict, None
    stamp = _memento_date(answer)
    citation = recognise(cited, settings)
    if citation is not None:
        if stamp is None:
            if citation.timestamp is None:
                return verdict, None  # a listing page is not a memento, and need not be
            return Verdict(Status.SOFT_404,
                           f"{citation.service.name} answered without a capture of "
                           f"{citation.original}", final_url=verdict.final_url), None
        captured = parse_http_date(stamp) or parse_timestamp(citation.timestamp or "")
        if captured is None:
            return verdict, None
        capture = Capture(citation.service.key, answer.url, captured, citation.original,
                          citation.service.short)
        detail = (f"a capture of {citation.original} in {citation.service.name}, taken "
                  f"{day(captured)}")
        if citation.legacy:
            detail += f"; this is a pre-2021 address: cite {citation.current}"
        return Verdict(Status.OK, detail, final_url=verdict.final_url,
                       page_title=verdict.page_title), capture
    landed = recognise(answer.url, settings) if fetch.hops else None
    if landed is not None and stamp is not None:
        captured = parse_http_date(stamp)
        if captured is not None:
            capture = Capture(landed.service.key, answer.url, captured, landed.original,
                              landed.service.short)
            return Verdict(
                Status.ARCHIVED,
                f"the live page is gone; its address now leads to {landed.service.name}'s "
                f"capture of {day(captured)}: cite {answer.url}",
                final_url=answer.url, page_title=verdict.page_title), capture
    return verdict, None
