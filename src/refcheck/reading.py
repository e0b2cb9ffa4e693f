"""Reading many case files on two cores: a second process reads part of them.

A run over a whole corpus (2,615 case files, 15,000 URLs) spent most of its start reading
case files, one core busy while the other waited, and no link may be fetched before every
file is read and found free of errors. So when there are many files and a second core, a
second Python process (``python -m refcheck.reading``, started afresh, never forked) reads
them from the last while this one reads them from the first, until the two meet: however
fast each side turns out to be (this one may still have been importing its libraries when
the other began, see ``refcheck.early``), neither waits for the other.

What comes back is exactly what reading the files here gives: each file's case and
warnings, or its problems. The cases cross as plain tuples of their fields (pickled
dataclasses are rebuilt field by field in Python, which cost more than the reading
saved). Anything that goes wrong with the second process (it cannot start, it fails, it
is killed, it sends something unreadable) costs only time: its files are read here.

Between the two: this process writes the file names (NUL-separated, after their length
as 8 bytes), then closes the other's input when it wants no more; the other writes where
its ``refcheck`` is (so that a process that imported another installation's is not
believed), then what it read a few files at a time (each batch a pickled list, after its
length as 8 bytes), the last file first, and ends when it has read them all or its input
closes. What it writes is unpickled here with only the case's own classes to be had:
whatever happened to it, its output can build nothing else and run no code here.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import datetime as dt
import io
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, TypeGuard

from refcheck import early
from refcheck.cases import LoadedCase, load
from refcheck.early import AT_LEAST, CASE_SUFFIXES
from refcheck.errors import CaseFileError, Problem
from refcheck.model import Case, CitedUrl, Position, Source, SourceKind

__all__ = ["AT_LEAST", "Read", "dumps", "loads", "main", "read_all", "read_case"]

#: Files the second process reads between two of its messages: few enough that this one
#: knows closely where the other has got to, enough that the messages cost little.
BATCH = 8

#: What reading one file gives: its case and warnings, or the problems that stop the run.
Read = LoadedCase | CaseFileError
_CARRIED = (Case, Source, CitedUrl, Position, Problem, LoadedCase)
_FIELDS = {kind: tuple(f.name for f in dataclasses.fields(kind)) for kind in _CARRIED}
# Every field is its class's argument, in order: the tuple of fields rebuilds the object.
assert all(f.init for kind in _CARRIED for f in dataclasses.fields(kind))


def _as_fields(value: Any) -> tuple[Any, ...]:
    return type(value), tuple(getattr(value, name) for name in _FIELDS[type(value)])


def _failed(error: CaseFileError) -> tuple[Any, ...]:
    return CaseFileError, (error.problems,)


#: How each carried class is pickled: as its fields (and the others as pickle would).
_DISPATCH: dict[type, Callable[[Any], Any]] = {
    **copyreg.dispatch_table, **dict.fromkeys(_CARRIED, _as_fields), CaseFileError: _failed}


def dumps(value: object) -> bytes:
    """``value`` pickled, the cases and their parts as tuples of their fields."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(value)
    return out.getvalue()


#: The classes a batch may name (a case's parts, a date, a source's kind), and nothing
#: else: ``loads`` refuses any other.
_BUILT = {(kind.__module__, kind.__qualname__): kind
          for kind in (*_CARRIED, CaseFileError, SourceKind, dt.date)}
#: Where this process's ``refcheck`` is, which the other's must be too.
_HOME = str(Path(__file__).resolve().parent)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        kind = _BUILT.get((module, name))
        if kind is None:
            raise pickle.UnpicklingError(f"not a part of a case: {module}.{name}")
        return kind


def loads(data: bytes) -> object:
    """What ``dumps`` wrote, built from the case's classes only (``pickle.UnpicklingError``
    for anything else)."""
    return _Unpickler(io.BytesIO(data)).load()


def read_all(paths: Sequence[Path], read_one: Callable[[Path], Read], *,
             cores: int | None = None,
             helper: subprocess.Popen[bytes] | None = None) -> list[Read]:
    """What ``read_one`` gives for each of ``paths``, in their order. With at least
    ``AT_LEAST`` case files (``.yaml``/``.yml``) and a second core, a second process reads
    the case files from the last with ``cases.load`` while this one reads them from the
    first. ``helper`` is that process if it was started already (``early.prestart``); it
    is dismissed if it is not needed."""
    shared = [i for i, path in enumerate(paths) if path.suffix.lower() in CASE_SUFFIXES]
    if len(shared) < AT_LEAST or (cores if cores is not None else early.cores()) < 2:
        if helper is not None:
            early.dismiss(helper)
        return [read_one(path) for path in paths]
    if helper is None:
        helper = early.start_reader()
    if helper is None:
        return [read_one(path) for path in paths]
    results: dict[int, Read] = {}
    other = _Other(helper, [paths[i] for i in shared])
    try:
        mine = 0
        while mine < other.reach():
            results[shared[mine]] = read_one(paths[shared[mine]])
            mine += 1
    finally:
        other.stop()
    # The two have met: the other sent every file from where this one stopped.
    for k in range(mine, len(shared)):
        results[shared[k]] = other.sent[k] if k in other.sent else read_one(paths[shared[k]])
    return [results[i] if i in results else read_one(path) for i, path in enumerate(paths)]


class _Other:
    """The second process at work on ``paths``: what it has sent (``sent``, by the path's
    index), and the first of the files from which on it has sent every one (``reached``)."""

    def __init__(self, helper: subprocess.Popen[bytes], paths: list[Path]) -> None:
        self.sent: dict[int, Read] = {}
        self.reached = len(paths)
        self._helper = helper
        self._paths = paths
        self._enough = threading.Event()
        self._receiver: threading.Thread | None = None
        stdin, stdout = helper.stdin, helper.stdout
        assert stdin is not None and stdout is not None
        # File names may hold any character but NUL (a newline too). Written from a
        # thread: more than a pipe's worth would keep this process waiting until that one
        # had started and read them.
        names = b"\0".join(os.fsencode(p) for p in paths)
        told = False
        try:
            threading.Thread(target=self._tell, args=(stdin, names), name="refcheck-reading",
                             daemon=True).start()
            told = True  # its input is that thread's to close
            receiver = threading.Thread(target=self._receive, args=(stdout,),
                                        name="refcheck-reading", daemon=True)
            receiver.start()
            self._receiver = receiver
        except BaseException as exc:  # no thread to be had, or Ctrl-C
            self.stop()
            if not told:
                with contextlib.suppress(OSError, ValueError):
                    stdin.close()
            if isinstance(exc, Exception):
                return  # nothing is sent: this process reads every file
            raise

    def _tell(self, stdin: IO[bytes], names: bytes) -> None:
        # If it went already, it sends nothing, and its files are read here.
        with contextlib.suppress(OSError, ValueError), stdin:
            stdin.write(len(names).to_bytes(8, "big") + names)
            stdin.flush()
            self._enough.wait()

    def _receive(self, stdout: IO[bytes]) -> None:
        # A batch that is cut short, garbled or not the next files ends what is taken
        # from it: the files not sent are read here.
        with contextlib.suppress(Exception):
            if self._message(stdout) != _HOME:
                return  # another installation's refcheck: it may read files differently
            while not self._enough.is_set():
                batch = self._message(stdout)
                if not self._next(batch):
                    return
                for read in batch:
                    self.sent[self.reached - 1] = read
                    self.reached -= 1

    @staticmethod
    def _message(stdout: IO[bytes]) -> object:
        head = stdout.read(8)
        if len(head) != 8:
            raise EOFError("the other process ended")
        return loads(stdout.read(int.from_bytes(head, "big")))

    def _next(self, batch: object) -> TypeGuard[list[Read]]:
        """Whether ``batch`` holds the files next before those sent already, the later
        first, each read as this process names it (a case's path is the file name the
        other process read)."""
        if not isinstance(batch, list) or not 0 < len(batch) <= self.reached:
            return False
        return all(_read_from(read, str(self._paths[expected]))
                   for expected, read in zip(range(self.reached - 1, -1, -1), batch,
                                             strict=False))

    def reach(self) -> int:
        """``reached``, and once the other process has ended, with all it sent taken in
        (so that this one reads none of those files again)."""
        if self._receiver is not None and self._helper.poll() is not None:
            self._receiver.join()
        return self.reached

    def stop(self) -> None:
        """It is sent no more and ends; what it sent is kept."""
        self._enough.set()
        if self._helper.poll() is None:
            self._helper.kill()
        self._helper.wait()  # so that its output ends, and with it what hears from it
        if self._receiver is not None:
            self._receiver.join()
        if self._helper.stdout is not None:
            self._helper.stdout.close()


def _read_from(read: object, name: str) -> bool:
    """Whether ``read`` is what reading the file ``name`` gives: its case, or its problems
    (every one of which names the file)."""
    if isinstance(read, LoadedCase):
        return read.case.path == name
    return isinstance(read, CaseFileError) and bool(read.problems) and all(
        isinstance(problem, Problem) and problem.file == name for problem in read.problems)


def read_case(path: Path) -> Read:
    """One case file as ``cases.load`` reads it, its problems kept as a value."""
    try:
        return load(path)
    except CaseFileError as exc:
        return exc


def main() -> int:
    """The second process: file names in, what was read out, the last file first, until
    all are read or the input closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    head = stdin.read(8)
    names = stdin.read(int.from_bytes(head, "big")) if len(head) == 8 else b""
    if not names:
        return 0  # dismissed: there was nothing to read
    paths = [Path(os.fsdecode(name)) for name in names.split(b"\0")]
    enough = threading.Event()

    def watch() -> None:
        with contextlib.suppress(OSError, ValueError):
            while stdin.read(1):
                pass
        enough.set()

    threading.Thread(target=watch, name="refcheck-reading", daemon=True).start()

    def send(message: object) -> None:
        data = dumps(message)
        stdout.write(len(data).to_bytes(8, "big") + data)
        stdout.flush()

    batch: list[Read] = []
    with contextlib.suppress(BrokenPipeError):  # the run no longer waits for it
        send(_HOME)
        for path in reversed(paths):
            if enough.is_set():
                break
            batch.append(read_case(path))
            if len(batch) == BATCH:
                send(batch)
                batch = []
        if batch:
            send(batch)
    return 0


if __name__ == "__main__":
    # Ctrl-C reaches the whole process group: the run says what happened, not this.
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
