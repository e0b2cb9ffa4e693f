"""Asking archives politely: request budgets shared by every task, pauses after a 429, and
the one judgement of what an archive's answer means for a lookup."""

from __future__ import annotations

import asyncio
import math
from collections import deque

from refcheck.classify import RetryPolicy, describe_status, is_bot_challenge
from refcheck.http import Fetcher
from refcheck.model import NETWORK_FAILURES, Fetch
from refcheck.urls import host_of
from refcheck.verdict import capture_defect, classify


class RateLimiter:
    """At most ``count`` requests in any ``period`` seconds, across all tasks.

    Each caller reserves a slot at once (no awaiting while reserving, so concurrent tasks
    never race) and then waits for it with the injected ``sleep``; tests record the waits
    instead of sleeping. ``pause`` holds every later request until a time, for a 429.
    """

    def __init__(self, count: int, period: float, fetcher: Fetcher) -> None:
        self.count = max(1, count)
        self.period = period
        self.fetcher = fetcher
        self._slots: deque[float] = deque()
        self._paused_until = 0.0
        #: Requests waiting for their turn now (for the progress display).
        self.waiting = 0

    @classmethod
    def rate(cls, count: float, period: float, fetcher: Fetcher) -> RateLimiter:
        """``count`` requests in ``period`` seconds, fractional counts included (0.5 a
        second is one every 2 s). A budget shared by N shards is ``count / N`` here: no
        floor but one request in a thousand periods, or twenty shards of a one-a-second
        budget would ask two a second together."""
        count = max(count, 0.001)
        whole = math.ceil(count)
        return cls(whole, period * whole / count, fetcher)

    def _now(self) -> float:
        return self.fetcher.clock().timestamp()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._now() + seconds)

    async def wait(self) -> None:
        now = self._now()
        slot = max(now, self._paused_until)
        if len(self._slots) >= self.count:
            slot = max(slot, self._slots[0] + self.period)
            self._slots.popleft()
        self._slots.append(slot)
        if slot > now:
            self.waiting += 1
            try:
                await self.fetcher.sleep(slot - now)
            finally:
                self.waiting -= 1


class ArchiveClient:
    """Fetches archive URLs through the Fetcher's one retry loop, with the archives' numbers
    (a 429 without ``Retry-After`` waits ``wait_after_429``; waits up to
    ``max_wait_after_429``, outside the deadline: they are politeness) and under a
    service's limiter, which a 429 or 503 pauses for the whole service. An archive that
    cannot be reached at all (``UNREACHABLE_AFTER`` connection failures in a row) is not
    asked again in this run: its lookups fail at once instead of queueing."""

    UNREACHABLE_AFTER = 3

    def __init__(self, fetcher: Fetcher, *, wait_after_429: float, max_wait_after_429: float,
                 tries: int = 3) -> None:
        self.fetcher = fetcher
        self.policy = RetryPolicy(retries=tries - 1, max_wait=max_wait_after_429,
                                  wait_after_429=wait_after_429, within_deadline=False)
        self._failures_in_a_row: dict[str, int] = {}
        self._unreachable: dict[str, Fetch] = {}
        #: Lookups waiting for a slot under a limiter, by host: released at once when that
        #: host turns out to be unreachable, instead of each waiting its turn to fail.
        self._queued: dict[str, set[asyncio.Task[None]]] = {}

    async def get(self, url: str, limiter: RateLimiter, *,
                  max_bytes: int | None = None) -> Fetch:
        host = host_of(url)
        if host in self._unreachable:
            return self._unreachable[host]
        fetch = await self._get(url, host, limiter, max_bytes)
        if host in self._unreachable:
            return fetch
        if fetch.failure is not None and fetch.failure.kind in NETWORK_FAILURES:
            count = self._failures_in_a_row.get(host, 0) + 1
            self._failures_in_a_row[host] = count
            if count >= self.UNREACHABLE_AFTER:
                self._unreachable[host] = fetch
                for queued in self._queued.pop(host, set()):
                    queued.cancel()
        else:
            self._failures_in_a_row[host] = 0
        return fetch

    async def _wait_turn(self, host: str, limiter: RateLimiter) -> bool:
        """Wait for a slot; False when the host was found unreachable meanwhile."""
        turn = asyncio.ensure_future(limiter.wait())
        queued = self._queued.setdefault(host, set())
        queued.add(turn)
        try:
            await turn
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # this lookup itself is being cancelled
            return False
        finally:
            queued.discard(turn)
        return True

    async def _get(self, url: str, host: str, limiter: RateLimiter,
                   max_bytes: int | None) -> Fetch:
        try:
            return await self.fetcher.fetch(url, want_body=True, max_bytes=max_bytes,
                                            policy=self.policy,
                                            pace=_Turns(self, host, limiter))
        except _Unreachable:
            return self._unreachable[host]


class _Unreachable(Exception):
    """The archive was found unreachable while this request waited for its turn."""


class _Turns:
    """A service's politeness for the Fetcher's retry loop: each try waits its turn under
    the limiter (or ends, when the archive was found unreachable meanwhile), and a wait a
    server asks for pauses the whole service."""

    def __init__(self, client: ArchiveClient, host: str, limiter: RateLimiter) -> None:
        self.client = client
        self.host = host
        self.limiter = limiter

    async def wait(self) -> None:
        if not await self.client._wait_turn(self.host, self.limiter):
            raise _Unreachable

    def pause(self, seconds: float) -> None:
        self.limiter.pause(seconds)


def lookup_problem(fetch: Fetch, service: str) -> str | None:
    """Why an archive's answer cannot be used, or None when it can (200 or 404).

    A CAPTCHA, a 429, a 5xx, a time-out: the archive did not say whether it has a copy.
    """
    if fetch.failure is not None:
        return classify(fetch).detail
    answer = fetch.answer
    if answer is None:
        return "no answer"
    if is_bot_challenge(answer):
        return (f"{service} answered with a CAPTCHA (its bot protection blocked the lookup); "
                "refcheck does not try to get past it: look in a browser")
    code = answer.status
    if code == 429:
        return f"{service} is rate-limiting lookups (429 Too Many Requests); try again later"
    if code in (200, 404):
        return None
    if 500 <= code < 600:
        return f"{service} answered {describe_status(code, answer.reason)}; try again later"
    return f"{service} answered {describe_status(code, answer.reason)}"


def capture_problem(fetch: Fetch, service: str) -> tuple[bool, str] | None:
    """None for a good capture; else (lookup failed?, why). A capture must come back as a
    2xx with ``Memento-Datetime`` and be judged as a live page would be: a replayed 404,
    an error page served 200, a parked domain or a redirect to the home page is not
    evidence. An answer without ``Memento-Datetime`` is no capture at all: the lookup
    failed (the archive listed one and did not serve it)."""
    answer = fetch.answer
    if answer is not None and "memento-datetime" in answer.headers:
        if not 200 <= answer.status < 300:
            return False, f"the capture is itself a {describe_status(answer.status)} page"
        defect = capture_defect(fetch)
        if defect:
            return False, defect
        return None
    problem = lookup_problem(fetch, service)
    if problem:
        return True, problem
    if answer is not None and answer.status == 404:
        # Not in the archive after all, or a captured redirect to a page it does not hold.
        return False, ("the capture leads to a page the archive does not hold" if fetch.hops
                       else "the archive does not hold the capture it lists")
    # The archive lists the capture but served something else (a page of its own, a proxy's
    # or a captive portal's): it could not show the capture, which is not "no copy".
    return True, (f"{service} lists a capture here but served a page that is not one (no "
                  "Memento-Datetime): it may be failing, or withhold the site; look in a "
                  "browser")
