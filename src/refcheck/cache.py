"""The memory of past runs: one SQLite file in the user's cache folder.

It keeps the observations of each URL (the URL without credentials, when, the status, the
HTTP code, the final URL, the archive capture found) that a report reads to say how long a
link has been failing, and no more (``_prune``: the first, the latest that did not fail,
and the current failing streak, its middle runs counted, not kept one by one); the
successes of recent runs, so a link found ``ok`` less than ``--max-cache-age`` ago is not
fetched again (failures are always checked again); and the archive captures found, which
do not change, so a second run does not wait on the Wayback Machine for them.

Two runs may share the file (WAL mode; writes wait for each other up to ``BUSY_SECONDS``).
Nothing here may stop a run: a file that is locked or in a folder that cannot be written
is reported once (through ``warn``) and the run goes on without the memory; a damaged one
is said once, kept as ``memory.sqlite3.damaged``, and a new memory started (``_set_aside``). Nothing
secret is stored: URLs pass through ``urls.without_secrets`` and text through ``urls.mask``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from refcheck.model import (
    DEFAULT_MAX_CACHE_AGE,
    FAILING_STATUSES,
    Archive,
    Capture,
    Confirm,
    History,
    Hop,
    Status,
)
from refcheck.urls import mask, without_secrets

FILE_NAME = "memory.sqlite3"
SCHEMA_VERSION = 2
#: Schema 1 kept every observation; it is brought up to 2 (and pruned) when a run opens it.
DEFAULT_MAX_AGE = DEFAULT_MAX_CACHE_AGE
#: How long a write waits for another run's write to finish before giving up on the memory.
BUSY_SECONDS = 5.0
#: Observations written at once (the rest wait for the end of the run). A write holds up
#: the event loop while it lasts (about 1.5 ms for 100, 10 ms for 500, each time putting
#: the busiest host's next request that much later), so writes are many and small.
FLUSH_EVERY = 100
#: What another run sharing the file has written is seen by this one within this many
#: seconds: the store is asked whether anything changed at most this often (``_known``).
#: Asking at every URL was 16 us a question, twice per link, in a large run; the other run
#: writes in batches of ``FLUSH_EVERY`` anyway.
FRESH_SECONDS = 0.1

Warn = Callable[[str], None]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS observations (
    url TEXT NOT NULL, at REAL NOT NULL, status TEXT NOT NULL, http_status INTEGER,
    final_url TEXT, capture TEXT, runs INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS observations_by_url ON observations (url, at);
CREATE TABLE IF NOT EXISTS successes (
    url TEXT PRIMARY KEY, at REAL NOT NULL, detail TEXT NOT NULL, http_status INTEGER,
    final_url TEXT, page_title TEXT, redirects TEXT NOT NULL, capture TEXT,
    quotes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS captures (
    url TEXT NOT NULL, target TEXT NOT NULL, at REAL NOT NULL, capture TEXT NOT NULL,
    PRIMARY KEY (url, target));
"""


def default_directory() -> Path:
    """The user's cache folder for refcheck (``~/.cache/refcheck`` on Linux,
    ``~/Library/Caches/refcheck`` on macOS, ``%LOCALAPPDATA%\\refcheck\\Cache`` on Windows)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("refcheck", appauthor=False))


_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> dt.timedelta:
    """``0``, ``90s``, ``30m``, ``12h``, ``3d``, ``2w`` (or ``1d12h``) as a duration.
    Raises ValueError with what was expected."""
    cleaned = text.strip().lower()
    if cleaned in ("0", "0.0"):
        return dt.timedelta(0)
    parts = list(_AGE.finditer(cleaned))
    if not parts or "".join(p.group(0) for p in parts).replace(" ", "") != \
            cleaned.replace(" ", ""):
        raise ValueError(f"`{text}` is not a duration; expected e.g. 0, 30m, 12h, 3d or 2w")
    seconds = sum(float(p.group(1)) * _UNITS[p.group(2)] for p in parts)
    if not seconds <= _LONGEST_AGE.total_seconds():
        raise ValueError(f"`{text}` is too long; expected at most "
                         f"{_LONGEST_AGE.days // 7}w (about a century)")
    return dt.timedelta(seconds=seconds)


#: A century: a longer age is a typo, and past what a timedelta holds.
_LONGEST_AGE = dt.timedelta(weeks=5218)


def parse_confirm(text: str) -> Confirm:
    """``RUNS:DAYS`` (``3:3``). Raises ValueError with what was expected."""
    runs, colon, days = text.strip().partition(":")
    if not colon or not runs.strip().isdigit() or not days.strip().isdigit() \
            or int(runs) < 1:
        raise ValueError(f"`{text}` is not RUNS:DAYS; expected e.g. 3:3 (a failure counts "
                         "once seen in 3 runs over 3 days)")
    return Confirm(int(runs), int(days))


@dataclass(frozen=True)
class Success:
    """An ``ok`` answer as an earlier run saw it, to be reused instead of fetched."""

    at: dt.datetime
    detail: str
    http_status: int | None
    final_url: str | None
    page_title: str | None
    redirects: tuple[Hop, ...]
    capture: Capture | None
    quotes: frozenset[str]  # the sources' quotes that were found on the page


@dataclass(frozen=True)
class Observation:
    """What one run saw of one URL."""

    url: str
    at: dt.datetime
    status: Status
    http_status: int | None = None
    final_url: str | None = None
    capture: str | None = None  # the archived copy found


@dataclass(frozen=True)
class Summary:
    """What ``refcheck cache info`` shows."""

    path: Path
    size: int
    urls: int
    observations: int
    successes: int
    captures: int
    oldest: dt.datetime | None
    newest: dt.datetime | None


class MemoryUnavailable(Exception):
    """The memory cannot be opened or read (the message says why, ``advice`` what to
    do)."""

    def __init__(self, reason: str, advice: str = "", *, damaged: bool = False) -> None:
        super().__init__(reason)
        self.advice = advice
        self.damaged = damaged  # the file is not an SQLite database, or an inconsistent one


def _unavailable(exc: BaseException) -> MemoryUnavailable:
    return MemoryUnavailable(_reason(exc), _advice(exc), damaged=_damaged(exc))


def _damaged(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, sqlite3.DatabaseError) and (
        "not a database" in text or "malformed" in text
        or getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")))


class Memory:
    """The store. Build it with ``Memory.open``, which never raises; every method is a
    no-op (or answers "nothing remembered") once the store has failed."""

    def __init__(self, path: Path, connection: sqlite3.Connection | None, warn: Warn, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._db = connection
        self._warn = warn
        self._observations: list[Observation] = []
        self._successes: list[tuple[str, Success]] = []
        self._forgotten: list[str] = []
        self._captures: list[tuple[str, str, dt.datetime, Capture]] = []
        #: Every URL the store holds anything of, read at the first question (``_known``).
        self._seen: set[str] | None = None
        self._seen_version = 0
        self._clock = clock
        self._version_asked = 0.0  # when (``clock``) the store was last asked if it changed
        self._stale = False  # another run has written since ``_seen`` was read
        self._inode: int | None = None  # the file's, as opened: set aside only if still it

    @classmethod
    def open(cls, directory: Path, *, warn: Warn,
             clock: Callable[[], float] = time.monotonic) -> Memory:
        path = directory / FILE_NAME
        memory = cls(path, None, warn, clock=clock)
        try:
            memory._opened()
        except MemoryUnavailable as exc:
            if not exc.damaged:
                memory._fail(str(exc), exc.advice)
                return memory
            # A damaged file (a copy cut short, a disk that failed) would be reported on
            # every run until someone cleared it, each run without a memory (a nightly job
            # in CI, whose memory is restored from its cache, for ever): it is set aside,
            # kept, and a new memory started.
            kept = _set_aside(path, memory._inode)
            try:
                memory._opened()
            except MemoryUnavailable as again:
                memory._fail(str(again), again.advice)
                return memory
            warn(f"refcheck: the memory of past runs ({path}) cannot be used: {exc}. "
                 + (f"It is kept as {kept}, and a new memory is started" if kept else
                    "A new memory is started")
                 + ": what earlier runs saw of each link is not known to this run, and its "
                 "failures count as first failures.")
        return memory

    def _opened(self) -> None:
        """Open the store, and read which URLs it holds (``_known``): a damaged file is
        found now, not half-way through the run. Raises MemoryUnavailable."""
        try:
            self._inode = self.path.stat().st_ino
        except OSError:
            self._inode = None
        self._db = connect(self.path, create=True)
        if self._inode is None:
            with contextlib.suppress(OSError):
                self._inode = self.path.stat().st_ino
        try:
            self._known("")
        except (sqlite3.Error, OSError) as exc:
            self._db.close()
            self._db = None
            raise _unavailable(exc) from None

    @property
    def usable(self) -> bool:
        return self._db is not None

    # -- reading --------------------------------------------------------------------------

    def success(self, url: str, *, younger_than: dt.timedelta,
                now: dt.datetime) -> Success | None:
        """The latest ``ok`` answer for ``url`` seen less than ``younger_than`` ago."""
        if self._db is None or younger_than <= dt.timedelta(0) or url != without_secrets(url):
            return None
        db = self._db
        with self._guard():
            if not self._known(url):
                return None
            row = patiently(lambda: db.execute(
                "SELECT at, detail, http_status, final_url, page_title, redirects, capture, "
                "quotes FROM successes WHERE url = ?", (url,)).fetchone())
            if row is None:
                return None
            at = _moment(row[0])
            if not dt.timedelta(0) <= now - at < younger_than:
                return None
            return Success(
                at=at, detail=row[1], http_status=row[2], final_url=row[3],
                page_title=row[4],
                redirects=tuple(Hop(h["url"], int(h["status"]), h["location"])
                                for h in json.loads(row[5])),
                capture=_capture_from(row[6]), quotes=frozenset(json.loads(row[7])))
        return None

    def history(self, url: str, now: Observation | None = None) -> History | None:
        """What the earlier runs (and ``now``, this run's observation) saw of ``url``."""
        if self._db is None:
            return None
        key = without_secrets(url)
        failing = tuple(s.value for s in FAILING_STATUSES)
        marks = ",".join("?" * len(failing))
        db = self._db

        def read() -> tuple[Any, Any, Any, list[Any], Any]:
            # One question for a URL never seen before (most of a first run's). The runs
            # are in the order they were written (rowid), not by their clocks: a run whose
            # clock was days ahead must not hide the failures written after it.
            first, count, last_ok_row = db.execute(
                "SELECT MIN(at), COUNT(*), MAX(CASE WHEN status NOT IN "
                f"({marks}) THEN rowid END) FROM observations WHERE url = ?",
                (*failing, key)).fetchone()
            rows = db.execute(
                "SELECT rowid, at, status, runs FROM observations WHERE url = ? AND "
                "rowid >= ?", (key, last_ok_row if last_ok_row is not None else -1)
            ).fetchall() if count else []
            last_ok = next((at for rowid, at, _, _ in rows if rowid == last_ok_row), None)
            streak = [(at, status, runs) for rowid, at, status, runs in rows
                      if rowid != last_ok_row]
            # For a failing link that was fine before: whether it had failed before that
            # (a link that comes and goes has not "failed for the first time").
            before = db.execute(
                f"SELECT at FROM observations WHERE url = ? AND status IN ({marks}) AND "
                "rowid < ? ORDER BY rowid DESC LIMIT 1", (key, *failing, last_ok_row)
            ).fetchone() if last_ok_row is not None and (streak or failing_now) else None
            return first, count, last_ok, streak, before[0] if before else None

        failing_now = now is not None and now.status in FAILING_STATUSES
        recovered: tuple[dt.datetime, int] | None = None
        with self._guard():
            first, count, last_ok, streak, before = (patiently(read) if self._known(key)
                                                     else (0.0, 0, None, [], None))
            # A row may stand for several runs of the streak (``_prune``).
            seen = [(_moment(at), Status(status), int(runs)) for at, status, runs in streak
                    if status in failing]
            ok_at = _moment(last_ok) if last_ok is not None else None
            first_at = _moment(first) if count else None
            if now is not None:
                first_at = now.at if first_at is None else min(first_at, now.at)
                if now.status in FAILING_STATUSES:
                    seen.append((now.at, now.status, 1))
                else:
                    # Fine again: the streak this run ends is said once.
                    if seen:
                        recovered = (min(at for at, _, _ in seen),
                                     sum(runs for _, _, runs in seen))
                    seen, ok_at = [], now.at
            if first_at is None:
                return None
            # In the order the runs were made, even when this machine's clock is behind the
            # one that recorded the others (a streak's days never fewer than one).
            seen.sort(key=lambda run: run[0])
            statuses = {status for _, status, _ in seen}
            return History(
                first_seen=first_at, last_ok=ok_at,
                failing_since=seen[0][0] if seen else None,
                failed_runs=sum(runs for _, _, runs in seen),
                streak_status=next(iter(statuses)) if len(statuses) == 1 else None,
                streak_days=((seen[-1][0].date() - seen[0][0].date()).days + 1) if seen else 0,
                failed_before=_moment(before) if before is not None and seen else None,
                recovered_from=recovered[0] if recovered else None,
                recovered_runs=recovered[1] if recovered else 0)
        return None

    def capture(self, url: str, target: dt.datetime | None,
                services: Sequence[Archive]) -> Capture | None:
        """A capture of ``url`` found by an earlier run for the same target date, from one
        of the archives this run asks."""
        if self._db is None:
            return None
        db = self._db
        with self._guard():
            row = patiently(lambda: db.execute(
                "SELECT capture FROM captures WHERE url = ? AND target = ?",
                (without_secrets(url), _target(target))).fetchone())
            found = _capture_from(row[0]) if row is not None else None
            return found if found is not None and found.service in services else None
        return None

    # -- writing (kept until ``flush``, written in one transaction) -----------------------

    def observe(self, observation: Observation) -> None:
        """Keep ``observation``. A full batch is written before it is added, never with it:
        ``history(url, observation)``, asked next, counts it once, as ``now``."""
        if self._db is None:
            return
        if len(self._observations) >= FLUSH_EVERY:
            self.flush()
            if self._db is None:
                return
        self._observations.append(observation)
        if observation.status is not Status.OK:
            self._forgotten.append(without_secrets(observation.url))

    def succeeded(self, url: str, success: Success) -> None:
        """``url`` was ``ok``: reuse the answer while it is young enough."""
        if self._db is not None and url == without_secrets(url):
            self._successes.append((url, success))

    def found(self, url: str, target: dt.datetime | None, capture: Capture,
              at: dt.datetime) -> None:
        if self._db is not None:
            self._captures.append((without_secrets(url), _target(target), at, capture))

    def flush(self) -> None:
        if self._db is None or not (self._observations or self._successes or self._captures):
            return
        observations, self._observations = self._observations, []
        successes, self._successes = self._successes, []
        forgotten, self._forgotten = self._forgotten, []
        captures, self._captures = self._captures, []
        db = self._db

        def write() -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT INTO observations (url, at, status, http_status, final_url, "
                    "capture) VALUES (?, ?, ?, ?, ?, ?)",
                    [(without_secrets(o.url), o.at.timestamp(), o.status.value, o.http_status,
                      _clean(o.final_url), _clean(o.capture)) for o in observations])
                _prune(db, {without_secrets(o.url) for o in observations
                            if o.status not in FAILING_STATUSES},
                       {without_secrets(o.url) for o in observations
                        if o.status in FAILING_STATUSES})
                db.executemany("DELETE FROM successes WHERE url = ?",
                               [(url,) for url in forgotten])
                db.executemany(
                    "INSERT OR REPLACE INTO successes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(url, s.at.timestamp(), mask(s.detail), s.http_status,
                      _clean(s.final_url), s.page_title,
                      json.dumps([{"url": without_secrets(h.url), "status": h.status,
                                   "location": without_secrets(h.location)}
                                  for h in s.redirects]),
                      _capture_json(s.capture), json.dumps(sorted(s.quotes)))
                     for url, s in successes])
                db.executemany(
                    "INSERT OR REPLACE INTO captures VALUES (?, ?, ?, ?)",
                    [(url, target, at.timestamp(), _capture_json(capture))
                     for url, target, at, capture in captures])
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise

        with self._guard():
            patiently(write)
            if self._seen is not None:
                self._seen.update(without_secrets(o.url) for o in observations)
                self._seen.update(url for url, _ in successes)

    def _known(self, key: str) -> bool:
        """Whether the store holds anything of ``key``. All its URLs are read in one
        question the first time, so that a URL never seen before (most of a first run's,
        or of a corpus new to the store) costs no question at all. Once another run sharing
        the file has written to it (SQLite's ``data_version``, asked at most every
        ``FRESH_SECONDS``), a URL not in the set is asked after alone."""
        db = self._db
        assert db is not None
        if self._seen is None:
            self._version_asked = self._clock()
            (self._seen_version,) = patiently(
                lambda: db.execute("PRAGMA data_version").fetchone())
            self._seen = {row[0] for row in patiently(lambda: db.execute(
                "SELECT url FROM observations UNION SELECT url FROM successes").fetchall())}
        if key in self._seen:
            return True
        if not self._stale:
            now = self._clock()
            if now - self._version_asked < FRESH_SECONDS:
                return False
            self._version_asked = now
            (version,) = patiently(lambda: db.execute("PRAGMA data_version").fetchone())
            if version == self._seen_version:
                return False
            self._stale = True
        # Another run has written since: this URL is asked after (the index answers it),
        # not the whole store read again.
        found = patiently(lambda: db.execute(
            "SELECT 1 FROM observations WHERE url = ? UNION ALL "
            "SELECT 1 FROM successes WHERE url = ? LIMIT 1", (key, key)).fetchone())
        if found is not None:
            self._seen.add(key)
        return found is not None

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    # -- failing --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError, ValueError, KeyError, TypeError) as exc:
            advice = _advice(exc)
            if _damaged(exc) and self._db is not None:
                # Damage found part-way through: this run goes on without the memory, and
                # the file is set aside now, so that the next run starts a new one.
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None
                kept = _set_aside(self.path, self._inode)
                advice = (f"It is kept as {kept}, and the next run starts a new memory."
                          if kept else "The next run starts a new memory.")
            self._fail(_reason(exc), advice)

    def _fail(self, reason: str, advice: str) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None
        self._observations, self._successes, self._captures = [], [], []
        self._forgotten = []
        self._warn(f"refcheck: the memory of past runs ({self.path}) cannot be used: {reason}. "
                   "This run goes on without it: every link is fetched, nothing is "
                   f"remembered, and failures count at once. {advice}")


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """An open store at ``path``; raises MemoryUnavailable saying why it cannot be used."""
    if not create and not path.exists():
        raise MemoryUnavailable("there is no memory file yet")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: transactions are begun explicitly (BEGIN IMMEDIATE, so two runs
        # writing at once wait for each other instead of failing).
        db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    except (sqlite3.Error, OSError) as exc:
        raise _unavailable(exc) from None

    def prepare() -> Any:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row[0] == "1":
            _upgrade(db)
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        return row

    try:
        row = patiently(prepare)
        if row[0] != str(SCHEMA_VERSION):
            raise _other_version(row[0])
    except sqlite3.Error as exc:
        db.close()
        raise _unavailable(exc) from None
    except MemoryUnavailable:
        db.close()
        raise
    return db


T = TypeVar("T")


def patiently(work: Callable[[], T]) -> T:
    """``work()``, tried again while another run holds the file (up to ``BUSY_SECONDS``).
    SQLite's own busy timeout covers most waits, but not all: a connection opening while
    the last one to close cleans up the WAL files, or a recovery after a crash, is answered
    "busy" at once."""
    deadline = time.monotonic() + BUSY_SECONDS
    pause = 0.005
    while True:
        try:
            return work()
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _busy(exc: sqlite3.OperationalError) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc)


def summary(directory: Path) -> Summary:
    """What the store at ``directory`` holds, read without writing to it (it may be on a
    read-only disk, or another run's); raises MemoryUnavailable."""
    path = directory / FILE_NAME
    db = _read_only(path)
    try:
        tables = {name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:  # an empty file: the first run makes the tables
            return Summary(path, path.stat().st_size, 0, 0, 0, 0, None, None)
        found = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() \
            if "meta" in tables else None
        schema = found[0] if found is not None else "none"
        if schema not in ("1", str(SCHEMA_VERSION)):  # 1: the same, not yet pruned
            raise _other_version(schema)
        urls, observations, oldest, newest = db.execute(
            "SELECT COUNT(DISTINCT url), COUNT(*), MIN(at), MAX(at) FROM observations"
        ).fetchone()
        (successes,) = db.execute("SELECT COUNT(*) FROM successes").fetchone()
        (captures,) = db.execute("SELECT COUNT(*) FROM captures").fetchone()
    except sqlite3.Error as exc:
        raise _unavailable(exc) from None
    finally:
        db.close()
    size = sum(p.stat().st_size for p in _files(path) if p.exists())
    return Summary(path, size, urls, observations, successes, captures,
                   _moment(oldest) if oldest is not None else None,
                   _moment(newest) if newest is not None else None)


def _prune(db: sqlite3.Connection, fine: Iterable[str], failing_now: Iterable[str]) -> None:
    """Drop the observations that nothing reads, of the URLs just seen ``fine`` (the runs
    before become dispensable) or ``failing_now`` (their streak grew), in the transaction
    that wrote their latest. What ``Memory.history`` reads of a URL is its first observation (first
    seen), its latest that did not fail (last ok, the latest written: a clock set wrong
    does not reorder the runs), and those after it (the failing streak:
    its first, its latest, how many runs, whether they agree on a status). So kept are the
    first, the last ok, and the streak's first and latest; the streak's other runs become
    one row per status, the earliest, standing for them all (``runs``). A URL then keeps at
    most a handful of rows, however many runs saw it."""
    failing = tuple(s.value for s in FAILING_STATUSES)
    # The runs' order is the order they were written (rowid), whatever their clocks said.
    last_ok = (f"(SELECT MAX(rowid) FROM observations WHERE url = ?1 AND status NOT IN "
               f"({','.join(f'?{i}' for i in range(2, len(failing) + 2))}))")
    # Those stamped later than the last ok (two runs at once, the later to write the
    # earlier to look) are left as they were: nothing reads them, and their number is
    # the same however the runs' writes interleave. The latest failure before the last ok
    # is kept: the link has failed before.
    statuses = ','.join(f'?{i}' for i in range(2, len(failing) + 2))
    db.executemany(
        f"DELETE FROM observations WHERE url = ?1 AND rowid < {last_ok} AND at > "
        "(SELECT MIN(at) FROM observations WHERE url = ?1) AND at <= "
        f"(SELECT at FROM observations WHERE rowid = {last_ok}) AND rowid IS NOT "
        f"(SELECT MAX(rowid) FROM observations WHERE url = ?1 AND status IN ({statuses}) "
        f"AND rowid < {last_ok})",
        [(url, *failing) for url in fine])
    # The streak's runs by their time, so that its earliest and latest are the ones kept.
    streak_of = (f"SELECT rowid, status, runs FROM observations WHERE url = ?1 AND rowid > "
                 f"COALESCE({last_ok}, -1) ORDER BY at, rowid")
    merged: list[tuple[int, int]] = []
    dropped: list[tuple[int]] = []
    for url in failing_now:
        streak = db.execute(streak_of, (url, *failing)).fetchall()
        groups: dict[str, list[tuple[int, int]]] = {}
        for rowid, status, runs in streak[1:-1]:
            groups.setdefault(status, []).append((rowid, int(runs)))
        for rows in groups.values():
            if len(rows) > 1:
                merged.append((sum(runs for _, runs in rows), rows[0][0]))
                dropped += [(rowid,) for rowid, _ in rows[1:]]
    db.executemany("UPDATE observations SET runs = ? WHERE rowid = ?", merged)
    db.executemany("DELETE FROM observations WHERE rowid = ?", dropped)


def _upgrade(db: sqlite3.Connection) -> None:
    """Schema 1 (every observation kept, no ``runs``) to 2, pruned: once, by the first run
    of this version to open the file (another doing it meanwhile is waited for)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        (schema,) = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if schema == "1":
            db.execute("ALTER TABLE observations ADD COLUMN runs INTEGER NOT NULL DEFAULT 1")
            urls = [url for (url,) in db.execute(
                "SELECT DISTINCT url FROM observations").fetchall()]
            _prune(db, urls, urls)
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema'",
                       (str(SCHEMA_VERSION),))
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    if schema == "1":
        # The file shrinks to what is left (the space of the rows dropped is otherwise only
        # reused): a memory carried between CI jobs is carried small. Not done if another
        # run is using the file; later prunings reuse the space all the same.
        with contextlib.suppress(sqlite3.Error):
            db.execute("VACUUM")


def _read_only(path: Path) -> sqlite3.Connection:
    """The store at ``path`` opened for reading only. Where its folder cannot be written
    SQLite cannot make the file it shares with other readers, so it is read as a file
    nobody changes meanwhile (``immutable``): a read-only disk, or a cache restored
    read-only."""
    if not path.is_file():
        raise MemoryUnavailable("there is no memory file yet" if not path.exists() else
                                "it is not a file")
    uri = path.absolute().as_uri()
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            db = sqlite3.connect(uri + query, uri=True, timeout=BUSY_SECONDS,
                                 isolation_level=None)
        except sqlite3.Error as exc:
            raise _unavailable(exc) from None
        try:
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            db.close()
            if query == "?mode=ro" and getattr(exc, "sqlite_errorname", "").startswith(
                    ("SQLITE_CANTOPEN", "SQLITE_READONLY")):
                continue
            raise _unavailable(exc) from None
        except sqlite3.Error as exc:
            db.close()
            raise _unavailable(exc) from None
        return db
    raise AssertionError("unreachable")


def clear(directory: Path) -> list[Path]:
    """Delete the store (and its WAL files, and a damaged one set aside); the files that
    were removed."""
    removed = []
    path = directory / FILE_NAME
    for file in [*_files(path), *_files(path.with_name(path.name + ".damaged"))]:
        # Not there is nothing to remove: on a read-only disk the removal would fail all
        # the same ("Read-only file system").
        if not os.path.lexists(file):
            continue
        try:
            file.unlink()
        except FileNotFoundError:
            continue
        removed.append(file)
    return removed


def _set_aside(path: Path, inode: int | None) -> Path | None:
    """Move the damaged store at ``path`` and its WAL files (which a new store must not
    read) to ``memory.sqlite3.damaged``, replacing one set aside before, unless another
    run has done so already (``path`` is no longer the file, ``inode``, found damaged).
    Where it went, or None when it could not be moved (it is then removed, so that a new
    store can be made)."""
    try:
        if inode is None or path.stat().st_ino != inode:
            return None
    except OSError:
        return None
    kept = path.with_name(path.name + ".damaged")
    for old, new in zip(_files(path), _files(kept), strict=True):
        try:
            if old.exists():
                os.replace(old, new)
            else:
                new.unlink(missing_ok=True)
        except OSError:
            with contextlib.suppress(OSError):
                old.unlink()
            if old == path:
                return None
    return kept


def _files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}{f' ({exc.filename})' if exc.filename else ''}"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return "the file is damaged (not an SQLite database)"
    if isinstance(exc, sqlite3.DatabaseError) and (
            getattr(exc, "sqlite_errorname", "").startswith("SQLITE_CORRUPT")
            or "malformed" in text):
        return "the file is damaged (SQLite found it inconsistent)"
    if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
        return f"another program has held it locked for more than {BUSY_SECONDS:g} s"
    if isinstance(exc, sqlite3.OperationalError) and "readonly" in text.replace("-", ""):
        return "it cannot be written (a read-only file or folder)"
    if isinstance(exc, sqlite3.OperationalError) and "unable to open" in text:
        return "it cannot be opened or created there (is the folder writable?)"
    return text


CLEAR = "`refcheck cache clear` starts it afresh."


def _other_version(schema: str) -> MemoryUnavailable:
    """A store this refcheck cannot read. One a newer refcheck wrote is that one's memory:
    the advice is to upgrade, or to keep apart, never to clear it."""
    newer = schema.isdigit() and int(schema) > SCHEMA_VERSION
    return MemoryUnavailable(
        f"it was written by another version of refcheck{', a newer one' if newer else ''} "
        f"(schema {schema}, this one reads {SCHEMA_VERSION})",
        "Upgrade refcheck (pip install -U refcheck) to use it, or give this one a memory "
        "of its own (--cache-dir or REFCHECK_CACHE_DIR); `refcheck cache clear` would "
        "forget all the newer one remembers." if newer else CLEAR)


def _advice(exc: BaseException) -> str:
    """What to do about ``exc``: wait for a lock, write elsewhere, or start afresh."""
    text = str(exc)
    if _damaged(exc):
        return (f"The next run keeps it as {FILE_NAME}.damaged and starts a new memory "
                "(or run `refcheck cache clear` now to start afresh).")
    if isinstance(exc, sqlite3.OperationalError) and _busy(exc):
        return ("Wait for the other run to finish (or close the program that has the file "
                "open); the next run uses the memory again.")
    if isinstance(exc, PermissionError | IsADirectoryError | NotADirectoryError) or (
            isinstance(exc, OSError) and exc.errno == errno.EROFS) or (
            isinstance(exc, sqlite3.OperationalError)
            and ("readonly" in text.replace("-", "") or "unable to open" in text)):
        return ("To keep a memory, give a folder refcheck may write (--cache-dir or "
                "REFCHECK_CACHE_DIR); --no-cache does without.")
    return CLEAR


def _moment(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def _target(target: dt.datetime | None) -> str:
    return target.isoformat() if target is not None else ""


def _clean(url: str | None) -> str | None:
    return without_secrets(url) if url else url


def _capture_json(capture: Capture | None) -> str | None:
    if capture is None:
        return None
    return json.dumps({"service": capture.service.value, "url": without_secrets(capture.url),
                       "captured": capture.captured.isoformat(),
                       "original": without_secrets(capture.original), "label": capture.label})


def _capture_from(text: str | None) -> Capture | None:
    if not text:
        return None
    data: dict[str, Any] = json.loads(text)
    return Capture(Archive(data["service"]), data["url"],
                   dt.datetime.fromisoformat(data["captured"]), data["original"],
                   data.get("label", ""))
