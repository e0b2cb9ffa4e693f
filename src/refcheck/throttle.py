"""The global limit's give: fewer links in flight while the event loop runs late.

A large run's links are answered faster than one core can read and judge them (128 in
flight at 100 ms offer 1,280 answers a second). The loop then runs late, and every answer
waits its turn behind the others, the busiest host's too: its two slots, which set when
the run ends, go out again a few milliseconds late every time. So while the loop is late
the global limit is lowered for hosts with little work left, and raised again once it
keeps time; hosts with at least half the busiest one's work are never held back by it.
The hosts with little work lose nothing by waiting as long as they are still done before
the busiest one is, so the limit is never lowered below what their links left need for
that (``Throttle.needed``): on a slow machine, held back to a fixed floor, thousands of
one-link hosts were still being checked two seconds after the busiest host was done.

``LoopWatch`` measures how late the loop runs a timer; ``Throttle.look`` takes each
measurement (or the checker's backlog of answers waiting to be judged, when longer), and
``Throttle.judge`` decides on their mean every tenth of a second. A run's politeness is
the per-host limits' and intervals': neither is touched here.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from typing import Protocol

#: How often the loop's lateness is measured, and over how many measurements the limit
#: is reconsidered (so once every tenth of a second).
TICK = 0.01
LOOKS = 10
#: Mean lateness (seconds) above which the limit is lowered, and below which it rises.
LATE = 0.003
ON_TIME = 0.001
#: The limit is never lowered below this many (or the run's own limit, when lower).
FLOOR = 16
#: How many times the links in flight that the work left needs, to be done with the
#: busiest host's, the limit keeps at least: room for hosts slower than the busiest one.
MARGIN = 1.5


class Limited(Protocol):
    """The global gate as the throttle sees it (``http._PriorityGate``)."""

    slots: int  # the run's limit, which is never exceeded
    limit: int  # the limit now, for hosts that are not critical
    critical: int  # the work left from which a host's links are not held back

    def wake(self) -> None:
        """Let waiters in up to the limit (after it was raised)."""


class Throttle:
    """Lowers ``gate.limit`` while the loop is late, by a sixth at each look; raises it
    by an eighth (at least one) while it keeps time. Archive lookups have no links of
    their own left: while the limit is lowered they wait with the hosts that have few."""

    def __init__(self, gate: Limited, work: Mapping[str, int], per_host: int = 1) -> None:
        self._gate = gate
        self._work = work
        self._per_host = max(1, per_host)
        self._floor = min(gate.slots, FLOOR)
        self._lateness: list[float] = []
        #: How long the answer waiting longest to be judged has waited (the checker's
        #: ``_Turns``): answers judged one per turn keep the loop on time however many
        #: wait, so their wait is lateness too.
        self.backlog: Callable[[], float] = lambda: 0.0

    def look(self, lateness: float) -> None:
        """One measurement of how late the loop ran a timer (seconds)."""
        self._lateness.append(max(lateness, self.backlog()))
        if len(self._lateness) >= LOOKS:
            self.judge(sum(self._lateness) / len(self._lateness))
            self._lateness.clear()

    def needed(self) -> int:
        """The links in flight that the work left needs to be done when the busiest host
        is: the busiest host takes its links left over its slots requests' time, and in
        that time ``n`` links in flight check ``n`` per request's time (Little's law)."""
        busiest = max(self._work.values(), default=0)
        if not busiest:
            return 0
        rounds = -(-busiest // self._per_host)  # its requests one after another
        return math.ceil(MARGIN * sum(self._work.values()) / rounds)

    def judge(self, late: float) -> None:
        gate = self._gate
        if (late > LATE and gate.limit > self._floor) or gate.limit < gate.slots:
            floor = min(gate.slots, max(self._floor, self.needed()))
            if late > LATE and gate.limit > floor:
                gate.limit = max(floor, gate.limit - max(1, gate.limit // 6))
            elif gate.limit < floor:  # the work left fell behind the busiest host's
                gate.limit = floor
        if late < ON_TIME and gate.limit < gate.slots:
            gate.limit = min(gate.slots, gate.limit + max(1, gate.limit // 8))
        if gate.limit < gate.slots:
            busiest = max(self._work.values(), default=0)
            gate.critical = max(2, busiest // 2)
        gate.wake()


class LoopWatch:
    """Measures how late the running loop runs a timer set ``TICK`` ahead, and tells
    ``look``. Measures only while started; costs one timer a tick."""

    def __init__(self, look: Callable[[float], None]) -> None:
        self._look = look
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self.stop()
        loop = asyncio.get_running_loop()
        due = loop.time() + TICK
        self._timer = loop.call_at(due, self._tick, loop, due)

    def _tick(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        now = loop.time()
        try:
            self._look(max(0.0, now - due))
        finally:
            self._timer = loop.call_at(now + TICK, self._tick, loop, now + TICK)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
