"""The Internet Archive's Wayback Machine.

CDX first, over a window around the target date and only 200 captures (``closest`` is not
relied on: refcheck chooses the nearest itself), whose nearest are fetched and judged as
UKGWA's are (a 200 row may be an error page or a parked domain's); then the TimeMap, whose
captures carry no status and so are fetched to prove themselves. The availability API is
never used: its empty answer proves nothing. CDX and TimeMap share one request budget (24 a
minute by default); playback has its own.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from refcheck.archive import Candidate, Memento, archivable
from refcheck.archive.client import lookup_problem
from refcheck.archive.interface import ArchiveError
from refcheck.archive.memento import (
    format_timestamp,
    parse_cdx_rows,
    parse_timestamp,
    usable_cdx_row,
)
from refcheck.archive.memento_archive import MementoArchive
from refcheck.model import Fetch, Lookup

WINDOW = dt.timedelta(days=2 * 365)
#: The most rows one CDX answer holds, from the window's start: a page captured more often
#: fills it long before the target date.
CDX_LIMIT = 5000
#: The rows asked for on each side of the target when the window's answer was cut short
#: (the CDX's negative ``limit`` counts back from the end).
CDX_NEAR = 100
_RAW = re.compile(r"/web/(\d{1,14})id_/")
_REPLAY = re.compile(r"/web/(\d{1,14})/")


#: What a lookup says when the Wayback Machine excludes the site (its owner asked): it
#: shows none of its captures, old or new.
EXCLUDED = "the Wayback Machine excludes this site"


class Wayback(MementoArchive):
    def capture_url(self, timestamp: str, original: str) -> str:
        return self.address(self.info.capture, original, timestamp)

    def human_url(self, memento_uri: str) -> str:
        """``…/web/{ts}id_/{url}`` → ``…/web/{ts}/{url}``: the replay a person opens."""
        return _RAW.sub(r"/web/\1/", memento_uri, count=1)

    def raw_url(self, capture_url: str) -> str:
        """``…/web/{ts}/{url}`` → ``…/web/{ts}id_/{url}``: the bytes as captured."""
        return _REPLAY.sub(r"/web/\1id_/", capture_url, count=1)

    async def search(self, url: str, target: dt.datetime | None,
                     max_bytes: int | None) -> tuple[Lookup, Fetch | None]:
        original = archivable(url)
        window: dict[str, str] = {}
        if target is not None:
            window = {"from": format_timestamp(target - WINDOW)[:8],
                      "to": format_timestamp(target + WINDOW)[:8]}
        rows = await self._cdx(original, window)
        if isinstance(rows, Lookup):
            return rows, None
        if target is not None and len(rows) >= CDX_LIMIT:
            rows = await self._near(original, target, window, rows)
            if isinstance(rows, Lookup):
                return rows, None
        if rows:
            # A CDX 200 row is not proof: the capture may be an error page served 200, a
            # soft 404 or a parked domain. The nearest are fetched and judged; when they
            # are not the page, the search goes back past the window, in the TimeMap.
            candidates = self._candidates(rows)
            outside = (lambda: self._timemap_candidates(original, target)) if window else None
            return await self.prove(candidates, self.limiters["playback"], original, target,
                                    more=outside, max_bytes=max_bytes)
        return await self._from_timemap(original, target, max_bytes)

    async def _near(self, original: str, target: dt.datetime, window: dict[str, str],
                    rows: list[Memento]) -> list[Memento] | Lookup:
        """A window's answer cut at ``CDX_LIMIT`` rows lists only its earliest captures,
        which may end long before ``target``: the captures just before it and just after
        it are asked for too (two more lookups, only for a page captured that often), so
        the nearest are among the candidates. Where either cannot be asked, the lookup
        fails: the nearest captures may be there."""
        at = format_timestamp(target)
        nearer = list(rows)
        for side in ({"from": window["from"], "to": at, "limit": f"-{CDX_NEAR}"},
                     {"from": at, "to": window["to"], "limit": str(CDX_NEAR)}):
            more = await self._cdx(original, side)
            if isinstance(more, Lookup):
                return more
            nearer += more
        return nearer

    def _candidates(self, rows: list[Memento]) -> list[Candidate]:
        """CDX rows as captures to prove: fetched as captured (``id_``), shown as replayed."""
        candidates = []
        for row in rows:
            timestamp = format_timestamp(row.when)
            candidates.append(Candidate(row.when,
                                        self.address(self.info.raw, row.uri, timestamp),
                                        self.capture_url(timestamp, row.uri)))
        return candidates

    async def captured_since(self, url: str, since: dt.datetime) -> Lookup:
        """The newest good capture of ``url`` taken since ``since`` (found), none since
        then (not archived, with why when the captures listed are not the page), or why
        the Wayback Machine could not say (failed); for ``refcheck preserve``, which asks
        for a capture only of pages without a good recent one. A CDX 200 row is not
        proof: the capture may be a bot wall's challenge, an error page served 200 or a
        parked domain, which keeps nothing of the evidence; so the newest are fetched and
        judged, as a lookup's are."""
        original = archivable(url)
        rows = await self._cdx(original, {"from": format_timestamp(since)[:8]})
        if isinstance(rows, Lookup):
            return rows
        rows = [row for row in rows if row.when >= since]
        if not rows:
            return self.not_archived()
        lookup, _ = await self.prove(self._candidates(rows), self.limiters["playback"],
                                     original, None)
        return lookup

    async def _cdx(self, original: str, window: dict[str, str]) -> list[Memento] | Lookup:
        """The 200 captures the CDX index lists in ``window`` (``from``/``to``), or the
        lookup's end when it cannot list them (the site excluded, the CDX failing)."""
        query = {"url": original, "output": "json", "fl": "timestamp,original,statuscode",
                 "filter": "statuscode:200", "limit": str(CDX_LIMIT)}
        query.update(window)
        cdx = await self.client.get(f"{self.base}/cdx/search/cdx?{urlencode(query)}",
                                    self.limiters["lookups"])
        answer = cdx.answer
        if answer is not None and answer.status == 403 and (
                b"AdministrativeAccessControlException" in answer.body
                or b"Blocked Site" in answer.body):
            return self.not_archived(EXCLUDED)
        problem = lookup_problem(cdx, self.info.short)
        if problem:
            return self.failed(problem)
        assert answer is not None
        rows = []
        if answer.status == 200:
            for row in parse_cdx_rows(answer.body.decode("utf-8", errors="replace")):
                when = parse_timestamp(str(row.get("timestamp", "")))
                if when and usable_cdx_row(row) and str(row.get("statuscode")) == "200":
                    rows.append(Memento(when, str(row.get("original") or original)))
        return rows

    async def _timemap_candidates(self, original: str, target: dt.datetime | None
                                  ) -> list[Candidate]:
        """Every capture the TimeMap lists, to be fetched to prove itself (it gives no
        status). Raises ``ArchiveError`` when the archive could not say."""
        mementos = await self.timemap(self.address(self.info.timemap, original),
                                      self.limiters["lookups"], target)
        # Each at the original's address (a TimeMap's mementos are the archive's URLs).
        return self._candidates([Memento(m.when, original) for m in mementos])

    async def _from_timemap(self, original: str, target: dt.datetime | None,
                            max_bytes: int | None) -> tuple[Lookup, Fetch | None]:
        """No 200 capture in the CDX window: the TimeMap lists every capture ever taken."""
        try:
            candidates = await self._timemap_candidates(original, target)
        except ArchiveError as exc:
            return self.failed(str(exc)), None
        if not candidates:
            return self.not_archived(), None
        return await self.prove(candidates, self.limiters["playback"], original, target,
                                max_bytes=max_bytes)
