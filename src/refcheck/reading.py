"""Reading many case files on two cores: a second process reads part of them.

A run over a whole corpus (2,615 case files, 15,000 URLs) spent most of its start reading
case files, one core busy while the other waited, and no link may be fetched before every
file is read and found free of errors. So when there are many files and a second core, a
second Python process (``python -m refcheck.reading``, started afresh, never forked) reads
the last part of them while this one reads the first, and sends back what it read.

What comes back is exactly what reading the files here gives: each file's case and
warnings, or its problems. The cases cross as plain tuples of their fields (pickled
dataclasses are rebuilt field by field in Python, which cost more than the reading
saved). Anything that goes wrong with the second process (it cannot start, it fails, it
is killed, it sends something unreadable) costs only time: its files are read here.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import io
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from refcheck.cases import CASE_SUFFIXES, LoadedCase, load
from refcheck.errors import CaseFileError, Problem
from refcheck.model import Case, CitedUrl, Position, Source

#: Fewer case files than this are all read here: starting Python again takes longer
#: than reading them (about 0.1 s, some 400 files' worth).
AT_LEAST = 800
#: The share of the files the second process reads: it starts about 0.1 s after this
#: one begins reading, and what it read takes this one a fifth of the reading time to
#: take in, so it reads less than half.
SHARE = 0.4

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


def dumps(read: Sequence[Read]) -> bytes:
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(list(read))
    return out.getvalue()


def read_all(paths: Sequence[Path], read_one: Callable[[Path], Read], *,
             cores: int | None = None) -> list[Read]:
    """What ``read_one`` gives for each of ``paths``, in their order. With at least
    ``AT_LEAST`` case files (``.yaml``/``.yml``) and a second core, the last ``SHARE`` of
    the case files are read by a second process with ``cases.load``."""
    cases = [i for i, path in enumerate(paths) if path.suffix.lower() in CASE_SUFFIXES]
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
    if len(cases) < AT_LEAST or cores < 2:
        return [read_one(path) for path in paths]
    theirs = cases[len(cases) - int(len(cases) * SHARE):]
    helper = _start([paths[i] for i in theirs])
    results: list[Read | None] = [None] * len(paths)
    try:
        skip = set(theirs) if helper is not None else set()
        for i, path in enumerate(paths):
            if i not in skip:
                results[i] = read_one(path)
        if helper is not None:
            sent = _finish(helper, [paths[i] for i in theirs])
            for i, read in zip(theirs, sent or (read_one(paths[i]) for i in theirs),
                               strict=True):
                results[i] = read
    finally:
        if helper is not None:
            if helper.poll() is None:  # interrupted while it reads
                helper.kill()
                helper.wait()
            if helper.stdout is not None:
                helper.stdout.close()
    return [read for read in results if read is not None]


def _python() -> list[str] | None:
    """How to start this Python again, as strictly as this one was started: None where
    this is not a plain Python (a frozen application, or no interpreter to name)."""
    if not sys.executable or getattr(sys, "frozen", False):
        return None
    flags = sys.flags
    # -P always: not from the working folder, where a case-file repository could hold a
    # `refcheck` of its own (the console script does not look there either). What this
    # process was kept from (the environment, the user's site) the other is kept from too,
    # and it reads file names in the same encoding.
    argv = [sys.executable, "-P"]
    argv += ["-I"] if flags.isolated else [
        *(["-E"] if flags.ignore_environment else []), *(["-s"] if flags.no_user_site else [])]
    argv += ["-X", f"utf8={flags.utf8_mode}"]
    return argv


def _start(paths: list[Path]) -> subprocess.Popen[bytes] | None:
    """The second process, given its files; None when it cannot be started."""
    python = _python()
    if python is None:
        return None
    try:
        helper = subprocess.Popen([*python, "-m", "refcheck.reading"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except (OSError, ValueError):
        return None
    try:
        stdin = helper.stdin
        assert stdin is not None
        # File names may hold any character but NUL (a newline too). Written from a thread:
        # more than a pipe's worth would keep this process waiting until that one started.
        names = b"\0".join(os.fsencode(p) for p in paths)

        def send() -> None:
            # If it went already, it gives nothing, and its files are read here.
            with contextlib.suppress(OSError), stdin:
                stdin.write(names)

        threading.Thread(target=send, name="refcheck-reading", daemon=True).start()
    except BaseException as exc:  # no thread to be had, or Ctrl-C: it is not left behind
        helper.kill()
        helper.wait()
        if helper.stdout is not None:
            helper.stdout.close()
        if isinstance(exc, Exception):
            return None
        raise
    return helper


def _finish(helper: subprocess.Popen[bytes], paths: list[Path]) -> list[Read] | None:
    """What the second process read, or None when it gave nothing usable."""
    assert helper.stdout is not None
    try:
        data = helper.stdout.read()
        code = helper.wait()
    except OSError:
        return None
    if code != 0:
        return None
    try:
        sent = pickle.loads(data)
    except Exception:  # cut short or garbled: read here instead
        return None
    # Each file's as this process names it: a case's path is the file name the other
    # process read back.
    if not isinstance(sent, list) or len(sent) != len(paths) or not all(
            isinstance(read, CaseFileError) or (
                isinstance(read, LoadedCase) and read.case.path == str(path))
            for read, path in zip(sent, paths, strict=False)):
        return None
    return sent


def read_case(path: Path) -> Read:
    """One case file as ``cases.load`` reads it, its problems kept as a value."""
    try:
        return load(path)
    except CaseFileError as exc:
        return exc


def main() -> int:
    """The second process: file names (NUL-separated) in, what was read (pickled) out."""
    names = sys.stdin.buffer.read()
    paths = [Path(os.fsdecode(name)) for name in names.split(b"\0")] if names else []
    data = dumps([read_case(path) for path in paths])
    with contextlib.suppress(BrokenPipeError):  # the run no longer waits for it
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    # Ctrl-C reaches the whole process group: the run says what happened, not this.
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
