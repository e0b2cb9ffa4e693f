"""The one interface every archive service implements, and the error base of its failures.

A service answers ``lookup`` with a ``Lookup`` value: found (with the capture), not
archived (the archive said it has no good copy), or failed (it could not say). A service
may instead raise ``ArchiveError`` for a failed lookup; the fallback turns that into the
same value, so a service never has to build one by hand.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod

from refcheck.archive import ServiceInfo
from refcheck.model import Lookup


class ArchiveError(Exception):
    """A lookup that failed: the archive did not say whether it has a copy (a 429, a 5xx,
    a CAPTCHA, no connection). Never "not archived"."""


class ArchiveService(ABC):
    """One archive. ``info`` is its entry in ``archive.SERVICES``."""

    info: ServiceInfo

    @abstractmethod
    async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
        """The good capture of ``url`` nearest ``target`` (the newest, when None)."""
