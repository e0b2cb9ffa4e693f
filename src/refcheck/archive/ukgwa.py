"""The UK Government Web Archive (The National Archives), served by pywb since 2021.

Its TimeMaps list ``memento`` entries only (no first/last), with ``mp_`` capture URLs and
no capture status, so the chosen capture is fetched and must prove itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from refcheck.archive import (
    UKGWA,
    ArchiveService,
    ArchiveSettings,
    ServiceInfo,
    archivable,
    nearest_first,
)
from refcheck.archive.client import ArchiveClient, RateLimiter
from refcheck.model import Lookup

#: ``…/{ts}mp_/{url}`` → ``…/{ts}/{url}``: the replay a person should open.
_MODIFIER = re.compile(r"/(\d{4,14})[a-z]{2}_/")


def human_capture_url(memento_uri: str) -> str:
    return _MODIFIER.sub(lambda m: f"/{m.group(1)}/", memento_uri, count=1)


class Ukgwa(ArchiveService):
    info = UKGWA

    def __init__(self, base: str, client: ArchiveClient, settings: ArchiveSettings,
                 info: ServiceInfo | None = None) -> None:
        super().__init__(base, client, settings, info)
        per_second = max(settings.ukgwa_per_second, 0.1)
        self.limiter = RateLimiter(math.ceil(per_second), math.ceil(per_second) / per_second,
                                   client.fetcher)

    async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
        original = archivable(url)
        mementos = await self.timemap(self.address(self.info.timemap, original), self.limiter)
        if isinstance(mementos, Lookup):
            return mementos
        candidates = [(when, uri, human_capture_url(uri))
                      for when, uri in nearest_first(mementos, target)]
        return await self.prove(candidates, self.limiter, original)
