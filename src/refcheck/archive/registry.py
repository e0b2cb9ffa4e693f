"""The fallback: the archive services a run asks, built from the table in the user's order,
and asked in turn until one has a good capture."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from refcheck.archive import SERVICES, ArchiveSettings, listing_url
from refcheck.archive.client import ArchiveClient
from refcheck.archive.interface import ArchiveError, ArchiveService, Queue
from refcheck.http import Fetcher
from refcheck.model import Capture, Fetch, Lookup, LookupOutcome


def build_services(settings: ArchiveSettings, fetcher: Fetcher) -> list[ArchiveService]:
    """The services ``settings.order`` names, each the class its table entry names."""
    client = ArchiveClient(fetcher, wait_after_429=settings.wait_after_429,
                           max_wait_after_429=settings.max_wait_after_429)
    services = []
    for key in settings.order:
        info = SERVICES[key]
        services.append(info.service_class()(info, settings.base(key), client, settings))
    return services


class Archives:
    """Ask each service in order until one has a good capture."""

    def __init__(self, settings: ArchiveSettings, services: Sequence[ArchiveService]) -> None:
        self.settings = settings
        self.services = list(services)

    @classmethod
    def build(cls, settings: ArchiveSettings, fetcher: Fetcher) -> Archives:
        return cls(settings, build_services(settings, fetcher))

    async def lookup(self, url: str, target: dt.datetime | None
                     ) -> tuple[Capture | None, tuple[Lookup, ...]]:
        found, lookups, _ = await self.lookup_and_read(url, target, max_bytes=None)
        return found, lookups

    async def lookup_and_read(self, url: str, target: dt.datetime | None, *,
                              max_bytes: int | None
                              ) -> tuple[Capture | None, tuple[Lookup, ...], Fetch | None]:
        """Each service asked in turn until one has a good capture; with ``max_bytes``,
        also that capture as it was fetched to prove it (read up to ``max_bytes``), when
        its service keeps it, so a caller that reads the capture need not fetch it again."""
        lookups: list[Lookup] = []
        for service in self.services:
            proof = None
            try:
                if max_bytes is None:
                    result = await service.lookup(url, target)
                else:
                    result, proof = await service.lookup_and_read(url, target,
                                                                  max_bytes=max_bytes)
            except ArchiveError as exc:
                result = Lookup(service.info.key, LookupOutcome.FAILED, str(exc),
                                label=service.info.short)
            lookups.append(result)
            if result.outcome is LookupOutcome.FOUND:
                return result.capture, tuple(lookups), proof
        return None, tuple(lookups), None

    async def replay(self, capture: Capture, *, max_bytes: int | None = None) -> Fetch | None:
        """A capture one of this run's archives found, fetched to be read (compared with
        the live page, or searched for a quote), under that archive's own politeness; None
        when its archive is not one of them."""
        for service in self.services:
            if service.info.key == capture.service:
                return await service.replay(capture, max_bytes=max_bytes)
        return None

    def readable(self, capture: Capture) -> str:
        """Where a capture's own text can be read: its archive's raw form (UKGWA's ``mp_``,
        without pywb's banner frame, whose page holds only an iframe; the Wayback
        Machine's ``id_``, which also serves a PDF as captured, not in its toolbar's
        frame); the address a person opens for an archive not in this run."""
        for service in self.services:
            if service.info.key == capture.service:
                return service.readable(capture.url)
        return capture.url

    def queues(self) -> list[Queue]:
        """Each budget with requests waiting for their turn, for the progress display."""
        return [queue for service in self.services for queue in service.queues()
                if queue.waiting]

    def listing(self, url: str) -> str:
        """UKGWA's list of every capture: offered for every lost link, asked or not."""
        return listing_url(self.settings, url)
