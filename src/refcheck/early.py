"""The second reading process, started before refcheck's own imports when a run looks large.

Python and refcheck's libraries take a third of a second to import, and reading a corpus
of case files takes two or three times that. The second process (``refcheck.reading``)
needs only the case-file reader, so when the command line names a folder (or very many
case files), it is started first, from here, and gets on with its imports while this
process does its own. It is then given the case files, if there turn out to be enough of
them, or dismissed: it ends when its input closes, having read nothing.

This module imports nothing of refcheck's, so that it can run first.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Sequence

#: Fewer case files than this are all read here: starting Python again takes longer than
#: reading them (about 0.15 s, some 400 files' worth).
AT_LEAST = 800
#: The names a case file (not a case-study document) ends with.
CASE_SUFFIXES = (".yaml", ".yml")
#: The command lines that never read a corpus: refcheck's other commands, and the options
#: that answer without reading anything.
_NOT_A_CHECK = frozenset({"extract", "cache", "fix", "preserve", "merge"})
_ANSWERS_AT_ONCE = frozenset({"--help", "-h", "--version", "-V", "--show-settings"})
#: The check's options whose value is a folder that holds no case files.
_FOLDER_VALUED = frozenset({"--cache-dir"})

_prestarted: list[subprocess.Popen[bytes]] = []


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def python() -> list[str] | None:
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


def start_reader() -> subprocess.Popen[bytes] | None:
    """A second reading process, waiting for its files; None when it cannot be started."""
    argv = python()
    if argv is None:
        return None
    try:
        return subprocess.Popen([*argv, "-m", "refcheck.reading"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except (OSError, ValueError):
        return None


def looks_large(argv: Sequence[str]) -> bool:
    """Whether a check command line may read enough case files to share them: it names a
    folder (not as ``--cache-dir``'s value), or at least ``AT_LEAST`` case files."""
    if not argv or argv[0] in _NOT_A_CHECK or any(a in _ANSWERS_AT_ONCE for a in argv):
        return False
    named = [a for before, a in zip(["", *argv], argv, strict=False)
             if not a.startswith("-") and before not in _FOLDER_VALUED]
    if sum(a.lower().endswith(CASE_SUFFIXES) for a in named) >= AT_LEAST:
        return True
    return any(os.path.isdir(a) for a in named)


def prestart(argv: Sequence[str]) -> None:
    """Start the second reading process now, if the command line looks like a large run
    and there is a second core; ``take`` hands it to the reading."""
    if _prestarted or not looks_large(argv) or cores() < 2:
        return
    helper = start_reader()
    if helper is not None:
        _prestarted.append(helper)


def take() -> subprocess.Popen[bytes] | None:
    """The process ``prestart`` started, if any and still running; it is then the caller's
    to give files to or dismiss."""
    while _prestarted:
        helper = _prestarted.pop()
        if helper.poll() is None:
            return helper
        dismiss(helper)
    return None


def dismiss(helper: subprocess.Popen[bytes] | None = None) -> None:
    """End a second process that will be given no files (by default the prestarted one,
    if it was never taken): its input closes, so it ends at once, having read nothing.
    It is not waited for here: a thread of its own collects its exit, so that it does not
    stay a zombie for the rest of the run."""
    helpers = [helper] if helper is not None else [_prestarted.pop() for _ in
                                                   range(len(_prestarted))]
    for each in helpers:
        for stream in (each.stdin, each.stdout):
            if stream is not None:
                # It went already: nothing is left to close.
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(RuntimeError):  # no thread to be had: the zombie stays
            threading.Thread(target=each.wait, name="refcheck-reading", daemon=True).start()
