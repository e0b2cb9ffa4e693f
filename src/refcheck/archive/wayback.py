"""The Internet Archive's Wayback Machine.

CDX first, over a window around the target date and only 200 captures (``closest`` is not
relied on: refcheck chooses the nearest itself); then the TimeMap, whose captures carry no
status and so are fetched to prove themselves. The availability API is never used: its
empty answer proves nothing. CDX and TimeMap share one request budget (24 a minute by
default); playback has its own.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from refcheck.archive import Candidate, Memento, archivable, nearest_first
from refcheck.archive.client import lookup_problem
from refcheck.archive.interface import ArchiveError
from refcheck.archive.memento import (
    format_timestamp,
    parse_cdx_rows,
    parse_timestamp,
    usable_cdx_row,
)
from refcheck.archive.memento_archive import MementoArchive
from refcheck.model import Capture, Lookup

WINDOW = dt.timedelta(days=2 * 365)


class Wayback(MementoArchive):
    def capture_url(self, timestamp: str, original: str) -> str:
        return self.address(self.info.capture, original, timestamp)

    async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
        original = archivable(url)
        query = {"url": original, "output": "json", "fl": "timestamp,original,statuscode",
                 "filter": "statuscode:200", "limit": "5000"}
        if target is not None:
            query["from"] = format_timestamp(target - WINDOW)[:8]
            query["to"] = format_timestamp(target + WINDOW)[:8]
        cdx = await self.client.get(f"{self.base}/cdx/search/cdx?{urlencode(query)}",
                                    self.limiters["lookups"])
        answer = cdx.answer
        if answer is not None and answer.status == 403 and (
                b"AdministrativeAccessControlException" in answer.body
                or b"Blocked Site" in answer.body):
            return self.not_archived("the Wayback Machine excludes this site")
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
        if rows:
            nearest = nearest_first(rows, target)[0]
            return self.found(Capture(
                self.info.key, self.capture_url(format_timestamp(nearest.when), nearest.uri),
                nearest.when, original, self.info.short))
        return await self._from_timemap(original, target)

    async def _from_timemap(self, original: str, target: dt.datetime | None) -> Lookup:
        """No 200 capture in the CDX window: the TimeMap lists every capture ever taken."""
        try:
            mementos = await self.timemap(self.address(self.info.timemap, original),
                                          self.limiters["lookups"])
        except ArchiveError as exc:
            return self.failed(str(exc))
        if not mementos:
            return self.not_archived()
        candidates = []
        for memento in nearest_first(mementos, target):
            timestamp = format_timestamp(memento.when)
            candidates.append(Candidate(memento.when,
                                        self.address(self.info.raw, original, timestamp),
                                        self.capture_url(timestamp, original)))
        return await self.prove(candidates, self.limiters["playback"], original)
