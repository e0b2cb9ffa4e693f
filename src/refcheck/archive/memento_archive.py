"""Any archive that speaks Memento: its TimeMap lists captures, nearest first is fetched
and must prove itself (2xx, Memento-Datetime, no error page). UKGWA is one (see ukgwa.py);
so are the UK Parliament and National Records of Scotland web archives, which publish no
CDX or request limits."""

from __future__ import annotations

import datetime as dt

from refcheck.archive import (
    ArchiveService,
    ArchiveSettings,
    ServiceInfo,
    archivable,
    nearest_first,
)
from refcheck.archive.client import ArchiveClient, RateLimiter
from refcheck.model import Lookup


class MementoArchive(ArchiveService):
    def __init__(self, base: str, client: ArchiveClient, settings: ArchiveSettings,
                 info: ServiceInfo | None = None) -> None:
        super().__init__(base, client, settings, info)
        self.limiter = RateLimiter.per_second(self.requests_per_second(), client.fetcher)

    def requests_per_second(self) -> float:
        return self.settings.memento_per_second

    def human_url(self, memento_uri: str) -> str:
        """The address a person should open for a capture the TimeMap lists."""
        return memento_uri

    async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
        original = archivable(url)
        mementos = await self.timemap(self.address(self.info.timemap, original), self.limiter)
        if isinstance(mementos, Lookup):
            return mementos
        candidates = [(when, uri, self.human_url(uri))
                      for when, uri in nearest_first(mementos, target)]
        return await self.prove(candidates, self.limiter, original)
