"""Any archive that speaks Memento: its TimeMap lists captures, nearest first is fetched
and must prove itself (2xx, Memento-Datetime, no error page). Used for the UK Parliament
and National Records of Scotland web archives, which publish no CDX or request limits."""

from __future__ import annotations

import datetime as dt
import math

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
        per_second = max(settings.memento_per_second, 0.1)
        self.limiter = RateLimiter(math.ceil(per_second), math.ceil(per_second) / per_second,
                                   client.fetcher)

    async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
        original = archivable(url)
        mementos = await self.timemap(self.address(self.info.timemap, original), self.limiter)
        if isinstance(mementos, Lookup):
            return mementos
        candidates = [(when, uri, uri) for when, uri in nearest_first(mementos, target)]
        return await self.prove(candidates, self.limiter, original)
