"""The progress display on stderr, for a person watching: the live checks, then the
archive lookups, with what the lookups are waiting for ("the Wayback Machine: 24 lookups a
minute, 18 to go, about 45 s") and the time left. Nothing is shown when stderr is not a
terminal or under CI."""

from __future__ import annotations

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
    TimeRemainingColumn,
)
from rich.text import Text

from refcheck.archive.interface import Queue

Queues = Callable[[], Sequence[Queue]]


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


class RunProgress:
    """The two stages of a run as two bars (``checker.Progress``'s events)."""

    def __init__(self, stream: Any, queues: Queues) -> None:
        self.queues = queues
        self.display = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), _Waiting(self._queues),
            console=Console(file=stream), transient=True)
        self._live = self.display.add_task("checking links", total=None, stage="live")
        self._lookups: Any = None
        self._current: Queues = lambda: ()

    def _queues(self) -> Sequence[Queue]:
        return self._current()

    def __enter__(self) -> RunProgress:
        self.display.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.display.stop()

    def watch(self, queues: Queues) -> None:
        self._current = queues

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
