"""The progress display on stderr, for a person watching: the live checks, with the hosts
still busy and the longest queue ("1,204 hosts busy; most left: bit.ly, 412"), then the
archive lookups, with what they are waiting for ("the Wayback Machine: 24 lookups a
minute, 18 to go, about 45 s"), and the time left. Nothing is shown when stderr is not a
terminal or under CI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from refcheck.archive.interface import Queue
from refcheck.http import HostLoad

Queues = Callable[[], Sequence[Queue]]
Hosts = Callable[[], HostLoad | None]


def hosts_line(load: HostLoad | None) -> str:
    """The hosts still busy and the one with the most links left."""
    if load is None or not load.busy:
        return ""
    from refcheck.report import literal

    hosts = f"{load.busy:,} host{'s' if load.busy != 1 else ''} busy"
    return f"{hosts}; most left: {literal(load.busiest or '')}, {load.left:,}"


def time_left(total: float | None, completed: float, elapsed: float | None,
              load: HostLoad | None) -> float | None:
    """Seconds the live checks have left: at the rate so far, but never less than the
    busiest host needs at its own rate. A long run ends with one host's queue (politeness
    lets it have only so many requests at a time), which the overall rate does not see."""
    if not total or not completed or not elapsed:
        return None
    left = (total - completed) * elapsed / completed
    if load is not None and load.busiest and load.done:
        left = max(left, load.left * elapsed / load.done)
    return left


def waiting_line(queues: Sequence[Queue]) -> str:
    """What the archive lookups are waiting for, one budget after another."""
    return "; ".join(queue.describe() for queue in queues)


class _Waiting(ProgressColumn):
    """Read at every refresh, so the line moves on while the lookups wait their turn."""

    def __init__(self, queues: Queues) -> None:
        super().__init__()
        self.queues = queues

    def render(self, task: Task) -> Text:
        if task.fields.get("stage") != "lookups":
            return Text("")
        return Text(waiting_line(self.queues()), style="dim")


class _Hosts(ProgressColumn):
    # The busiest host is found over every host with work (thousands): twice a second is
    # often enough for a person, and keeps that off the event loop's back.
    max_refresh = 0.5

    def __init__(self, hosts: Hosts) -> None:
        super().__init__()
        self.hosts = hosts

    def render(self, task: Task) -> Text:
        if task.fields.get("stage") != "live" or task.finished:
            return Text("")
        return Text(hosts_line(self.hosts()), style="dim")


class _Remaining(ProgressColumn):
    """The time left, as H:MM:SS; for the live checks, by ``time_left``."""

    max_refresh = 0.5

    def __init__(self, hosts: Hosts) -> None:
        super().__init__()
        self.hosts = hosts

    def render(self, task: Task) -> Text:
        if task.fields.get("stage") == "live":
            seconds = time_left(task.total, task.completed, task.elapsed, self.hosts())
        else:
            seconds = task.time_remaining
        if seconds is None:
            return Text("-:--:--", style="progress.remaining")
        return Text(str(dt.timedelta(seconds=round(seconds))), style="progress.remaining")


class RunProgress:
    """The two stages of a run as two bars (``checker.Progress``'s events)."""

    def __init__(self, stream: Any, queues: Queues) -> None:
        self.queues = queues
        self.display = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), _Remaining(self._hosts), _Hosts(self._hosts),
            _Waiting(self._queues),
            console=Console(file=stream), transient=True)
        self._live = self.display.add_task("checking links", total=None, stage="live")
        self._lookups: Any = None
        self._current: Queues = lambda: ()
        self._load: Hosts = lambda: None

    def _queues(self) -> Sequence[Queue]:
        return self._current()

    def _hosts(self) -> HostLoad | None:
        return self._load()

    def __enter__(self) -> RunProgress:
        self.display.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.display.stop()

    def watch(self, queues: Queues) -> None:
        self._current = queues

    def watch_hosts(self, hosts: Hosts) -> None:
        self._load = hosts

    def started(self, urls: int) -> None:
        self.display.update(self._live, total=urls)

    def checked(self) -> None:
        self.display.advance(self._live)

    def looking_up(self) -> None:
        if self._lookups is None:
            self._lookups = self.display.add_task("archive lookups", total=0,
                                                  stage="lookups")
        task = self.display.tasks[self._lookups]
        self.display.update(self._lookups, total=(task.total or 0) + 1)

    def looked_up(self) -> None:
        if self._lookups is not None:
            self.display.advance(self._lookups)
