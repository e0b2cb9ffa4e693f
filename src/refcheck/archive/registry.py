"""Builds the archive services a run asks, in the user's order, and asks them in turn."""

from __future__ import annotations

import datetime as dt

from refcheck.archive import SERVICES, UKGWA, ArchiveService, ArchiveSettings, archivable
from refcheck.archive.client import ArchiveClient
from refcheck.archive.memento_archive import MementoArchive
from refcheck.archive.ukgwa import Ukgwa
from refcheck.archive.wayback import Wayback
from refcheck.http import Fetcher
from refcheck.model import Capture, Lookup, LookupOutcome

IMPLEMENTATIONS: dict[str, type[ArchiveService]] = {
    "ukgwa": Ukgwa, "wayback": Wayback, "parliament": MementoArchive, "nrs": MementoArchive}


class Archives:
    """The fallback: ask each service in order until one has a good capture."""

    def __init__(self, settings: ArchiveSettings, fetcher: Fetcher) -> None:
        self.settings = settings
        client = ArchiveClient(fetcher, wait_after_429=settings.wait_after_429,
                               max_wait_after_429=settings.max_wait_after_429)
        self.services = [IMPLEMENTATIONS[key](settings.base(key), client, settings,
                                              SERVICES[key])
                         for key in settings.order]

    async def lookup(self, url: str, target: dt.datetime | None
                     ) -> tuple[Capture | None, tuple[Lookup, ...]]:
        lookups: list[Lookup] = []
        for service in self.services:
            result = await service.lookup(url, target)
            lookups.append(result)
            if result.outcome is LookupOutcome.FOUND:
                return result.capture, tuple(lookups)
        return None, tuple(lookups)

    def listing(self, url: str) -> str:
        """UKGWA's list of every capture: offered for every lost link, asked or not."""
        return UKGWA.listing.format(base=self.settings.base(UKGWA.key), url=archivable(url))
