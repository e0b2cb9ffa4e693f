"""The one interface every archive service implements, and the error base of its failures.

A service answers ``lookup`` with a ``Lookup`` value: found (with the capture), not
archived (the archive said it has no good copy), or failed (it could not say). A service
may instead raise ``ArchiveError`` for a failed lookup; the fallback turns that into the
same value, so a service never has to build one by hand.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass

from refcheck.archive import ServiceInfo
from refcheck.model import Capture, Fetch, Lookup


class ArchiveError(Exception):
    """A lookup that failed: the archive did not say whether it has a copy (a 429, a 5xx,
    a CAPTCHA, no connection). Never "not archived"."""


class ArchiveService(ABC):
    """One archive. ``info`` is its entry in ``archive.SERVICES``."""

    info: ServiceInfo

    @abstractmethod
    async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
        """The good capture of ``url`` nearest ``target`` (the newest, when None)."""

    async def lookup_and_read(self, url: str, target: dt.datetime | None, *,
                              max_bytes: int) -> tuple[Lookup, Fetch | None]:
        """``lookup``, and the capture found as it was fetched to prove it, read up to
        ``max_bytes``, for a caller that will read the capture's text: fetched once, not
        once to prove it and again to read it. None where the service keeps no such fetch
        (the caller then ``replay``s the capture)."""
        return await self.lookup(url, target), None

    async def replay(self, capture: Capture, *, max_bytes: int | None = None) -> Fetch | None:
        """One of this archive's captures, fetched to be read (None: it cannot be)."""
        return None

    def readable(self, capture_url: str) -> str:
        """The address of a capture's own text (the capture's, where there is no other)."""
        return capture_url

    def queues(self) -> list[Queue]:
        """Requests waiting for their turn under this archive's budgets (none, for a
        service without budgets)."""
        return []


@dataclass(frozen=True)
class Queue:
    """Requests to one archive waiting under one of its budgets."""

    archive: str
    budget: str
    count: int
    period: float
    waiting: int

    def describe(self) -> str:
        """'the Wayback Machine: 24 lookups a minute, 18 to go, about 45 s'."""
        per = "a minute" if self.period == 60 else "a second" if self.period == 1 else \
            f"every {self.period:g} s"
        seconds = self.waiting * self.period / max(self.count, 1)
        about = f"about {seconds:.0f} s" if seconds < 120 else f"about {seconds / 60:.0f} min"
        return f"{self.archive}: {self.count} {self.budget} {per}, {self.waiting} to go, {about}"

