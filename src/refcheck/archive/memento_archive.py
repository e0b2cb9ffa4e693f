"""Any archive that speaks Memento: its TimeMap lists captures, and the nearest are fetched
until one proves itself (2xx, Memento-Datetime, and judged as a live page would be: not an
error page, a soft 404 or a parked domain). UKGWA is one (see
ukgwa.py), and the Wayback Machine falls back on the same steps (wayback.py); so are the UK
Parliament and National Records of Scotland web archives, which publish no CDX or limits.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Awaitable, Callable, Sequence

from refcheck.archive import (
    ArchiveSettings,
    Budget,
    Candidate,
    Memento,
    ServiceInfo,
    archivable,
    next_to_try,
    searching_back,
)
from refcheck.archive.client import ArchiveClient, RateLimiter, capture_problem, lookup_problem
from refcheck.archive.interface import ArchiveError, ArchiveService, Queue
from refcheck.archive.memento import LinkEntry, parse_http_date, parse_link_format
from refcheck.model import Capture, Fetch, Lookup, LookupOutcome
from refcheck.verdict import too_long_to_read

#: A TimeMap's pages read at most, its first included: each is a request under the
#: archive's budget for lookups.
TIMEMAP_PAGES = 4
#: The relations of a link from one TimeMap page to another (RFC 7089 4.3).
PAGE_RELS = frozenset({"next", "prev", "timemap"})


def _bounds(page: LinkEntry) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The dates a TimeMap page says it covers (``from``, ``until``), where it says."""
    start, end = page.params.get("from"), page.params.get("until")
    return (parse_http_date(start) if start else None,
            parse_http_date(end) if end else None)


def _page_distance(page: LinkEntry, target: dt.datetime | None) -> float:
    """How far a TimeMap page's captures may be from ``target`` at the nearest: 0 when it
    covers it or does not say what it covers; without a target, newer pages first."""
    start, end = _bounds(page)
    if target is None:
        newest = end or start
        return -newest.timestamp() if newest is not None else -math.inf
    if start is not None and target < start:
        return (start - target).total_seconds()
    if end is not None and target > end:
        return (target - end).total_seconds()
    return 0.0


def _may_be_nearer(page: LinkEntry, mementos: Sequence[Memento],
                   target: dt.datetime | None) -> bool:
    """Whether a TimeMap page may list a capture nearer ``target`` (newer, without one)
    than any in ``mementos``."""
    if target is None:
        end = _bounds(page)[1]
        newest = max(m.when for m in mementos)
        return end is None or end > newest
    nearest = min(abs((m.when - target).total_seconds()) for m in mementos)
    return _page_distance(page, target) < nearest


class MementoArchive(ArchiveService):
    def __init__(self, info: ServiceInfo, base: str, client: ArchiveClient,
                 settings: ArchiveSettings) -> None:
        self.info = info
        self.base = base.rstrip("/")
        self.client = client
        self.settings = settings
        self.limiters = {b.name: self.limiter(b) for b in info.budgets}

    def limiter(self, budget: Budget) -> RateLimiter:
        return RateLimiter.rate(self.settings.count(budget), budget.period, self.client.fetcher)

    @property
    def requests(self) -> RateLimiter:
        """The budget TimeMaps and captures are asked under (the first in the table)."""
        return self.limiters[self.info.budgets[0].name]

    def queues(self) -> list[Queue]:
        return [Queue(self.info.short, name, limiter.count, limiter.period, limiter.waiting)
                for name, limiter in self.limiters.items()]

    def human_url(self, memento_uri: str) -> str:
        """The address a person should open for a capture the TimeMap lists (or one a
        replay redirected to)."""
        return memento_uri

    def raw_url(self, capture_url: str) -> str:
        """The capture as the archive serves it unchanged (no banner, no rewriting), for
        reading its text; the address a person opens where the archive has no such form."""
        return capture_url

    def readable(self, capture_url: str) -> str:
        return self.raw_url(capture_url)

    async def replay(self, capture: Capture, *, max_bytes: int | None = None) -> Fetch | None:
        """The capture itself, fetched under this archive's budget for playback (up to
        ``max_bytes``: a quote is looked for in all of a long document)."""
        limiter = self.limiters.get("playback") or self.requests
        return await self.client.get(self.raw_url(capture.url), limiter, max_bytes=max_bytes)

    async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
        return (await self.search(url, target, None))[0]

    async def lookup_and_read(self, url: str, target: dt.datetime | None, *,
                              max_bytes: int) -> tuple[Lookup, Fetch | None]:
        return await self.search(url, target, max_bytes)

    async def search(self, url: str, target: dt.datetime | None,
                     max_bytes: int | None) -> tuple[Lookup, Fetch | None]:
        """The lookup, and the good capture's fetch (its body read up to ``max_bytes``,
        the usual cap when None)."""
        original = archivable(url)
        try:
            mementos = await self.timemap(self.address(self.info.timemap, original),
                                          self.requests, target)
        except ArchiveError as exc:
            return self.failed(str(exc)), None
        if not mementos:
            return self.not_archived(), None
        candidates = [Candidate(m.when, m.uri, self.human_url(m.uri)) for m in mementos]
        return await self.prove(candidates, self.requests, original, target,
                                max_bytes=max_bytes)

    # -- steps every Memento archive shares -------------------------------------------------

    def address(self, template: str, url: str, ts: str = "") -> str:
        return template.format(base=self.base, url=archivable(url), ts=ts)

    def found(self, capture: Capture) -> Lookup:
        return Lookup(self.info.key, LookupOutcome.FOUND, "", capture, self.info.short)

    def not_archived(self, detail: str = "") -> Lookup:
        return Lookup(self.info.key, LookupOutcome.NOT_ARCHIVED, detail, label=self.info.short)

    def failed(self, reason: str) -> Lookup:
        return Lookup(self.info.key, LookupOutcome.FAILED, reason, label=self.info.short)

    async def timemap(self, url: str, limiter: RateLimiter,
                      target: dt.datetime | None = None) -> list[Memento]:
        """The mementos a link-format TimeMap lists (none when the archive has none), its
        further pages included (RFC 7089 4.3: ``next``, ``prev`` or ``timemap`` links to
        other TimeMaps, with the ``from``/``until`` they cover), as far as one of them may
        hold a capture nearer ``target`` (newer, without one) than those listed so far, at
        most ``TIMEMAP_PAGES`` pages in all. Raises ``ArchiveError`` when the archive could
        not say, for the first page or a further one (the nearest capture may be there)."""
        mementos, pages = await self._timemap_page(url, limiter)
        seen = {url}
        asked = 1
        while pages and asked < TIMEMAP_PAGES:
            pages = [p for p in pages if p.uri not in seen]
            if not pages:
                break
            page = min(pages, key=lambda p: _page_distance(p, target))
            pages.remove(page)
            if mementos and not _may_be_nearer(page, mementos, target):
                continue
            seen.add(page.uri)
            asked += 1
            more, further = await self._timemap_page(page.uri, limiter)
            mementos += more
            pages += further
        return mementos

    async def _timemap_page(self, url: str, limiter: RateLimiter
                            ) -> tuple[list[Memento], list[LinkEntry]]:
        """One TimeMap page: its mementos, and the links to its other pages. A heavily
        captured page's TimeMap runs to megabytes (about 150 bytes a capture), its newest
        captures last: it is read as far as a document read for a quote (32 MiB), and one
        longer still, whose captures are not all listed, fails the lookup rather than
        choosing among its oldest."""
        most = self.client.fetcher.settings.max_quote_bytes
        fetch = await self.client.get(url, limiter, max_bytes=most)
        problem = lookup_problem(fetch, self.info.short)
        if problem:
            raise ArchiveError(problem)
        assert fetch.answer is not None
        if fetch.answer.status == 404:
            return [], []
        if fetch.answer.truncated:
            raise ArchiveError(f"{self.info.short}'s list of captures {too_long_to_read(most)}, "
                               "so not every capture could be considered; look through them "
                               "in a browser")
        text = fetch.answer.body.decode("utf-8", errors="replace")
        entries = parse_link_format(text)
        if text.strip() and not any(e.rels for e in entries):
            # Not a TimeMap at all (a maintenance or error page served 200): the archive
            # did not say whether it has a copy, which is not "none".
            raise ArchiveError(f"{self.info.short} answered with a page that is not a list of "
                               "captures; try again later")
        mementos = [Memento(when, e.uri) for e in entries
                    if "memento" in e.rels and (when := e.datetime) is not None]
        pages = [e for e in entries if e.rels & PAGE_RELS and "memento" not in e.rels
                 and "self" not in e.rels and e.uri != url
                 and "link-format" in e.params.get("type", "application/link-format")]
        return mementos, pages

    async def prove(self, candidates: Sequence[Candidate], limiter: RateLimiter,
                    original: str, target: dt.datetime | None,
                    more: Callable[[], Awaitable[list[Candidate]]] | None = None, *,
                    max_bytes: int | None = None) -> tuple[Lookup, Fetch | None]:
        """Fetch candidates until one is a good capture (at most ``settings.candidates``,
        3 by default), in ``next_to_try``'s order: nearest ``target`` first, then, past
        captures that are not the page, further back. A lookup failure ends the search
        undecided; bad captures (replayed 404s, error pages, soft 404s, parked domains) are
        skipped. ``more`` lists the captures outside ``candidates`` (which may be a window
        around ``target``), asked for once the search goes back in time. A replay that
        redirects (to the capture nearest the timestamp asked, say) is followed, and the
        capture it lands on is the one reported, with its own date. The good capture's
        fetch (its body read up to ``max_bytes``) is returned with the lookup, so that a
        caller that reads the capture need not fetch it again."""
        reasons: list[str] = []
        tried: set[dt.datetime] = set()  # the CDX lists a capture once per copy of it
        bad: list[dt.datetime] = []
        pool = list(candidates)
        unlisted = None  # why the captures outside the window could not be listed
        while len(tried) < self.settings.candidates:
            if more is not None and searching_back(target, bad):
                try:
                    pool += await more()
                except ArchiveError as exc:
                    unlisted = str(exc)
                more = None
            candidate = next_to_try(pool, target, tried, bad)
            if candidate is None:
                break
            tried.add(candidate.when)
            check = await self.client.get(candidate.fetch_url, limiter, max_bytes=max_bytes)
            verdict = capture_problem(check, self.info.short)
            if verdict is None:
                answer = check.answer
                assert answer is not None
                captured = parse_http_date(answer.headers["memento-datetime"]) or candidate.when
                landed = self.human_url(answer.url) if check.hops else candidate.human_url
                return self.found(Capture(self.info.key, landed, captured, original,
                                          self.info.short)), check
            failed, why = verdict
            if failed:
                return self.failed(why), None
            reasons.append(why)
            bad.append(candidate.when)
        if unlisted is not None:
            return self.failed(unlisted), None
        if not reasons:
            return self.not_archived(), None
        none_usable = ("the capture tried is not usable" if len(reasons) == 1 else
                  f"none of the {len(reasons)} captures tried is usable")
        return self.not_archived(f"{none_usable}: {reasons[0]}"), None
