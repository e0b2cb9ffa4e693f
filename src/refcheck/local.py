"""The machine refcheck runs on: the report file it writes, and the file descriptors it may
open. Failures here are the tool's, never a link's."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import typer

from refcheck.errors import UsageError

#: File descriptors kept for everything but connections: standard streams, the event loop,
#: resolver threads, case files, the report, the cache.
RESERVED_DESCRIPTORS = 64


class ReportFile:
    """Where ``--output`` goes, opened before any link is fetched (a typo in the folder
    costs seconds, not the whole run) and written atomically: the report goes to a
    temporary file in the same folder, which replaces the old report only once it is
    complete, so a full disk or an interruption never leaves half a report in its place."""

    def __init__(self, path: Path, option: str = "--output") -> None:
        self.path = path
        if path.is_dir():
            raise UsageError(f"{option}: {path} is a folder; give a file name, e.g. "
                             f"{path / 'report.json'}")
        self._temporary: Path | None = None
        if path.exists() and not path.is_file():
            # A device or a pipe (/dev/null, /dev/stdout, a FIFO): written to as it is; to
            # rename a file over it would replace the device itself.
            try:
                self.handle: TextIO = path.open("w", encoding="utf-8", newline="")
            except OSError as exc:
                raise UsageError(f"{option}: cannot write the report to {path}: "
                                 f"{exc.strerror or exc}") from None
            return
        # A link is written through: the file it names gets the report, the link stays.
        self.path = path = written_through(path)
        folder = path.parent
        try:
            fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                             dir=folder)
        except OSError as exc:
            # The nearest folder on the way that is a file (`-o case.yaml/report.json`),
            # if any: said as such, not as a folder that may be missing.
            blocker = next((p for p in (folder, *folder.parents) if p.is_file()), None)
            advice = (f"{blocker} is a file, not a folder; give a path in a folder"
                      if blocker is not None else
                      f"check that the folder {folder} exists and that you may write there")
            raise UsageError(f"{option}: cannot write the report to {path}: "
                             f"{exc.strerror or exc}; {advice}") from None
        self._temporary = Path(temporary)
        self.handle = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def commit(self) -> None:
        """Put the finished report in place (an OSError means it could not be)."""
        try:
            if self._temporary is None:
                self.handle.close()
                return
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.chmod(self._temporary, mode_for(self.path))
            os.replace(self._temporary, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.handle.close()
        if self._temporary is not None:
            with contextlib.suppress(OSError):
                self._temporary.unlink()


def written_through(path: Path) -> Path:
    """Where a file written atomically really goes: the file a symbolic link names (to
    rename a temporary file over the link would replace the link, and leave its file as
    it was), else ``path``."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def refuse_to_replace(option: str, target: Path, inputs: Iterable[Path]) -> None:
    """A UsageError when ``target`` is one of the files being read: the report (or the
    extracted case file) would replace the user's only copy of the case study."""
    if not target.is_file():
        return
    for given in inputs:
        with contextlib.suppress(OSError):
            if os.path.samefile(target, given):
                raise UsageError(f"{option}: {target} is one of the files being read, and "
                                 "writing there would replace it; choose another file name")


def mode_for(path: Path) -> int:
    """The old report's permissions, or what a new file gets under the umask (mkstemp's
    own 0600 would hide a report that others are meant to read)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def fit_to_descriptors(concurrency: int, *, idle_per_request: int,
                       idle_wanted: int) -> tuple[int, int, str | None]:
    """The concurrency and the idle connections the file-descriptor limit allows, and a
    message when the concurrency is less than asked. Each request in flight holds a
    connection; the pool would keep ``idle_wanted`` idle for reuse (``http.pool_size``),
    and needs at least ``idle_per_request`` for each request (``http.link_window``). The
    soft limit is raised towards the hard one first, as far as needed; short of that, the
    pool is kept smaller before the concurrency is lowered."""
    if sys.platform == "win32":  # pragma: no cover - no RLIMIT_NOFILE there
        return concurrency, idle_wanted, None
    import resource

    wanted = concurrency + max(idle_wanted, idle_per_request * concurrency) \
        + RESERVED_DESCRIPTORS
    per_request = 1 + idle_per_request
    needed = per_request * concurrency + RESERVED_DESCRIPTORS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return concurrency, idle_wanted, None
    # All the pool would keep if the system allows it, else what the links need (a system
    # may refuse more than its own ceiling, even under an unlimited hard limit).
    for asked in (wanted, needed):
        raised = asked if hard == resource.RLIM_INFINITY else min(asked, hard)
        if raised <= soft:
            break
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
            break
    if soft >= wanted:
        return concurrency, idle_wanted, None
    if soft >= needed:
        return concurrency, soft - concurrency - RESERVED_DESCRIPTORS, None
    allowed = max(1, (soft - RESERVED_DESCRIPTORS) // per_request)
    return allowed, idle_per_request * allowed, (
        f"this system lets refcheck open only {soft} files at once (ulimit -n), so it checks "
        f"{allowed} links at a time instead of {concurrency}; raise the limit (ulimit -n "
        f"{needed}) for the full speed")


def command_app(**settings: Any) -> typer.Typer:
    """A command's typer app: no shell-completion options, no rich tracebacks (a failure is
    a message, never a traceback), help text as written, and ``-h`` as well as ``--help``."""
    return typer.Typer(
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
        **settings,
    )


def run_typer(command: typer.Typer, argv: list[str], name: str) -> int:
    """Run a subcommand's typer app (``refcheck extract``, ``fix``, ``preserve``) on
    ``argv`` and return its exit code; usage errors are click's message and code 2."""
    try:
        command(args=argv, prog_name=name)
    except SystemExit as done:
        if done.code is None:
            return 0
        if isinstance(done.code, int):
            return done.code
        typer.echo(str(done.code), err=True)
        return 1
    return 0
