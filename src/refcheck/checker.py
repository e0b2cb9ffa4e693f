"""The checking pipeline: cited URLs in, final ``LinkResult`` values out.

Each distinct URL is checked once however often it is cited, in two stages: the live check
(fetch, DOI lookup, sibling probe, quote), then, for links whose evidence is not live, the
archive lookups. What each step learns is gathered as findings; ``verdict`` decides. A
link's result is emitted once, when it is final: after its archive lookups, and once the
network is known to work (any answer from anyone proves it; when nothing answered at all, a
probe address decides whether the network itself is down, and then nothing is concluded).
An interrupted run still reports every link whose live check had finished.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import heapq
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from refcheck.archive import ArchiveSettings
from refcheck.archive.citations import Citation, recognise
from refcheck.archive.client import capture_problem
from refcheck.archive.registry import Archives
from refcheck.doi import DEFAULT_DOI_URL, landing, landing_url, lookup_doi
from refcheck.http import Clock, Fetcher, link_window, utc_now
from refcheck.model import (
    DEFAULT_MAX_CACHE_AGE,
    FAILING_STATUSES,
    NETWORK_FAILURES,
    STATUS_RANK,
    Answer,
    Capture,
    Case,
    CitedUrl,
    Confirm,
    Evidence,
    Failure,
    FailureKind,
    Fetch,
    History,
    Hop,
    LinkResult,
    Lookup,
    LookupOutcome,
    RunReport,
    Source,
    Status,
    Verdict,
    day,
)
from refcheck.pages import app_shell, is_html
from refcheck.probe import SiblingProbe, short_text
from refcheck.text import contains_quote, page_text
from refcheck.urls import (
    dedupe_key,
    doi_of,
    host_of,
    is_short_link,
    retired_short_link,
    url_problem,
    without_secrets,
)
from refcheck.verdict import (
    LOOKUP_STATUSES,
    DoiRecord,
    Findings,
    accepted,
    changed_hands,
    evidence_of,
    excluded_by,
    invalid,
    judge,
    no_network,
    no_url,
    quote_in_capture_detail,
    too_long_to_read,
    unconcluded,
    with_quote,
    worth_comparing,
    worth_probing,
)

if TYPE_CHECKING:  # the memory (and sqlite3) is imported only by a run that has one
    from refcheck.cache import Memory

DEFAULT_PROBE_URL = "https://www.gov.uk/"
#: ``--compare-archive auto`` compares live pages with their captures only in runs of at
#: most this many distinct URLs (a case file or two): each comparison costs archive lookups
#: (the Wayback Machine allows 24 a minute), so a large run does not make them unasked.
AUTO_COMPARE_URLS = 60

OnResult = Callable[[LinkResult], None]


class Progress(Protocol):
    """Told how a run advances, stage by stage; the CLI shows it."""

    def started(self, urls: int) -> None:
        """The live checks begin: ``urls`` distinct URLs to check."""

    def checked(self) -> None:
        """One URL's live check is done."""

    def looking_up(self) -> None:
        """One more link's archive lookups have begun."""

    def looked_up(self) -> None:
        """One link's archive lookups are done."""


class _Unwatched:
    """Progress nobody is shown."""

    def started(self, urls: int) -> None:
        pass

    def checked(self) -> None:
        pass

    def looking_up(self) -> None:
        pass

    def looked_up(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class _Citation:
    case: Case
    source: Source
    cited: CitedUrl | None  # None for a source with no URL


def key_url(citations: list[_Citation]) -> str:
    """The URL a group of citations share (each has one: sources without are not grouped)."""
    cited = citations[0].cited
    assert cited is not None
    return cited.url


def listed(result: LinkResult, original: str) -> LinkResult:
    """A cited list of an archive's captures of ``original``, with what the archives said
    of them: the capture to cite, nearest the date (``ok``, archived); none that is the
    page, as every archive asked said (``soft-404``, lost: the list holds no evidence); or
    undetermined, when one could not say."""
    found = result.archive
    listing = f"a list of the captures of {original}, not a capture"
    if found is not None:
        return dataclasses.replace(
            result, status=Status.OK, final_url=None,
            detail=f"{listing}; cite the capture of {day(found.captured)}: {found.url}")
    if result.lookups and all(x.outcome is LookupOutcome.NOT_ARCHIVED for x in result.lookups):
        why = next((x.detail for x in result.lookups if x.detail), "")
        return dataclasses.replace(
            result, status=Status.SOFT_404,
            detail=f"{listing}, and the archives asked have no usable capture of it"
                   + (f" ({why})" if why else ""),
            evidence=evidence_of(Status.SOFT_404, None, result.lookups))
    return dataclasses.replace(
        result, detail=f"{listing}; the archives could not say which capture is the page "
                       f"({result.detail})", evidence=Evidence.UNKNOWN)


def target_of(case: Case, as_of: dt.date | None) -> dt.datetime | None:
    """The moment archive captures should be nearest: --as-of, else the case date."""
    day = as_of or case.date
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC) if day else None


@dataclass(frozen=True, kw_only=True)
class CheckOptions:
    probe_url: str | None = DEFAULT_PROBE_URL
    archive_settings: ArchiveSettings | None = None
    as_of: dt.date | None = None
    doi_url: str = DEFAULT_DOI_URL
    sibling_probe: bool = True
    #: The settings file's URL patterns: links not to check (reported ``excluded``).
    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
    #: HTTP statuses the settings file accepts as ``ok``, by host.
    accept: Mapping[str, frozenset[int]] = dataclasses.field(default_factory=dict)
    #: Successes younger than this are reused from the memory of past runs.
    max_cache_age: dt.timedelta = DEFAULT_MAX_CACHE_AGE
    confirm: Confirm | None = None
    #: Whether live pages are compared with their archived capture nearest the case date,
    #: to catch a domain that changed hands: "auto", "always" or "never"
    #: (``verdict.COMPARE_MODES``).
    compare_archive: str = "auto"


async def check(
    cases: Sequence[Case],
    fetcher: Fetcher,
    report: RunReport,
    options: CheckOptions | None = None,
    *,
    on_result: OnResult | None = None,
    clock: Clock = utc_now,
    archives: Archives | None = None,
    progress: Progress | None = None,
    memory: Memory | None = None,
) -> RunReport:
    """Check every cited URL of every case, adding each result to ``report`` (and telling
    ``on_result``) once it is final."""
    checker = Checker(fetcher, report, options or CheckOptions(), on_result=on_result,
                      clock=clock, archives=archives, progress=progress, memory=memory)
    await checker.run(cases)
    return report


class _Dispatcher:
    """Starts links host by host: about ``window`` live checks at once over all hosts and
    at most ``per_host`` for any one. Hosts are started in order of their links left (across all
    case files), the most first; a host once started is kept going: each of its links that
    ends is followed at once by its next. So the busiest host, whose queue sets how long a
    large run takes, is never idle while it has slots; a host's links follow each other
    closely enough to reuse its kept-alive connections (a host left waiting while others
    are served would find them expired or given up to make room); and a run holds tasks,
    answers and memory for the links in flight, not for every link of the corpus."""

    def __init__(self, pending: Mapping[str, object], *, per_host: int, window: int,
                 start: Callable[[str], None]) -> None:
        self._queues: dict[str, collections.deque[str]] = {}  # links not yet started
        for key in pending:  # case-file order within a host
            self._queues.setdefault(host_of(key), collections.deque()).append(key)
        self._active: collections.Counter[str] = collections.Counter()
        self._per_host = per_host
        self._window = window
        self._running = 0
        self._start = start
        self._order = itertools.count()
        self._ready = [(-len(q), next(self._order), host) for host, q in self._queues.items()]
        heapq.heapify(self._ready)
        self._waiting_room: set[str] = set()  # hosts at their limit, with links queued

    def fill(self) -> None:
        while self._running < self._window and self._ready:
            _, _, host = heapq.heappop(self._ready)
            # The host's whole allowance at once, even past the window (by less than one
            # host's allowance): a host started one link at a time, as slots free, would
            # see its links spread over the run, each on a new connection.
            while self._active[host] < self._per_host and host in self._queues:
                self._start_next(host)
            if host in self._queues:
                self._waiting_room.add(host)

    def _start_next(self, host: str) -> None:
        queue = self._queues[host]
        key = queue.popleft()
        if not queue:
            del self._queues[host]  # a deque is 600 bytes; most hosts have one link
        self._active[host] += 1
        self._running += 1
        self._start(key)

    def done(self, host: str) -> None:
        self._running -= 1
        self._active[host] -= 1
        if host in self._waiting_room:
            self._start_next(host)  # in this one's place, soon on its connection
            if host not in self._queues:
                self._waiting_room.discard(host)
        elif not self._active[host]:
            del self._active[host]
        self.fill()


#: An answer that has waited this many turns (about as many milliseconds) to be judged
#: goes before the busiest host's: a host with few links is never put off until the
#: busiest hosts are done.
OLDEST_WAIT = 50


class _Turns:
    """Answers worked through one per turn of the event loop, the busiest host's first.

    A large run's answers come in bunches, and each takes about a millisecond to judge,
    report and remember. Worked through together, they held up the requests that their
    slots had just been handed on to: the busiest host's too, whose queue sets when the
    run ends, went out 25 ms late one time in ten. One per turn, the loop sends requests
    and reads answers between them. The busiest host's answers go first (a link ends, and
    its host's next one starts, only once it is judged), unless one has waited
    ``OLDEST_WAIT`` turns.

    ``backlog`` says how long the answer waiting longest has waited: while answers come
    faster than they are judged, the throttle lowers the global limit."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, asyncio.Future[None]]] = []
        #: The answers waiting, oldest first: when each came, and at which turn.
        self._came: collections.deque[tuple[float, int, asyncio.Future[None]]] = \
            collections.deque()
        self._order = itertools.count()
        self._turn = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    async def take(self, work: int) -> None:
        """Wait for this answer's turn; ``work`` is its host's links left."""
        loop = asyncio.get_running_loop()
        turn = loop.create_future()
        heapq.heappush(self._heap, (-work, next(self._order), turn))
        self._came.append((loop.time(), self._turn, turn))
        if self._loop is not loop:  # none scheduled (or for a loop that has ended)
            self._loop = loop
            loop.call_soon(self._next)
        await turn

    def _oldest(self) -> tuple[float, int, asyncio.Future[None]] | None:
        while self._came and self._came[0][2].done():
            self._came.popleft()
        return self._came[0] if self._came else None

    def backlog(self) -> float:
        oldest = self._oldest()
        if oldest is None or self._loop is None:
            return 0.0
        return self._loop.time() - oldest[0]

    def _next(self) -> None:
        self._turn += 1
        oldest = self._oldest()
        if oldest is not None and self._turn - oldest[1] > OLDEST_WAIT:
            oldest[2].set_result(None)  # it has waited long enough: it goes next
        else:
            while self._heap:
                turn = heapq.heappop(self._heap)[2]
                if not turn.done():  # a cancelled (or aged) wait is skipped
                    turn.set_result(None)  # it runs at the next turn, as this does again
                    break
        while self._heap and self._heap[0][2].done():
            heapq.heappop(self._heap)
        if self._heap and self._loop is not None:
            self._loop.call_soon(self._next)
        else:
            self._loop = None


@dataclass(frozen=True)
class _Live:
    """A link's live check, done: the fetch and the verdict for each citation."""

    fetch: Fetch
    verdicts: tuple[Verdict, ...]
    verdict: Verdict | None = None  # before the sources' quotes were looked for
    quotes: frozenset[str] = frozenset()  # the quotes found on the page
    #: When the memory of past runs saw this success (nothing was fetched now).
    cached_at: dt.datetime | None = None
    #: The address the archives are asked for instead of the cited one: the page a DOI
    #: or a short link points to (the archives keep pages, not DOIs or short links).
    archived_as: str | None = None


def _frame_of(answer: Answer | None, settings: ArchiveSettings) -> Citation | None:
    """The capture whose top frame ``answer`` is (a 2xx served with Memento-Datetime, at a
    capture's address), or None."""
    if answer is None or not 200 <= answer.status < 300 \
            or "memento-datetime" not in answer.headers:
        return None
    return recognise(answer.url, settings)


def _internal_error(url: str, citations: list[_Citation], exc: Exception) -> _Live:
    """A link whose check failed by a bug of ours: an error for that link alone."""
    fetch = Fetch(url, failure=Failure(FailureKind.OTHER, f"internal error: {exc!r}"))
    verdict = judge(Findings(url, fetch))
    return _Live(fetch, tuple(verdict for _ in citations))


class Checker:
    def __init__(self, fetcher: Fetcher, report: RunReport, options: CheckOptions, *,
                 on_result: OnResult | None, clock: Clock, archives: Archives | None,
                 progress: Progress | None = None, memory: Memory | None = None) -> None:
        self.fetcher = fetcher
        self.memory = memory
        self._recalled = 0  # links answered from the memory of past runs, not fetched
        self.progress: Progress = progress or _Unwatched()
        self.report = report
        self.on_result = on_result
        self.clock = clock
        self.archives = archives
        self.options = options
        self.probe = SiblingProbe(fetcher) if options.sibling_probe else None
        self.pending: dict[str, list[_Citation]] = {}
        self._live: dict[str, _Live] = {}
        self._answered: dict[str, Findings] = {}  # fetched, not yet judged (``_Turns``)
        self._emitted: set[str] = set()
        self._checking = 0  # live checks not yet finished
        self._network: asyncio.Future[bool] | None = None
        self._probing: asyncio.Task[None] | None = None
        self._lookups: dict[tuple[str, dt.datetime | None],
                            asyncio.Task[tuple[Capture | None, tuple[Lookup, ...]]]] = {}
        self._capture_texts: dict[str, asyncio.Task[tuple[str | None, str | None]]] = {}
        self._replays: dict[str, asyncio.Task[Fetch]] = {}
        #: Captures as a lookup fetched them to prove them, with the most read of each, kept
        #: for the one reader that asked for them (so a capture is fetched once, not twice).
        self._proofs: dict[str, tuple[Fetch, int]] = {}
        self._started: set[str] = set()
        self._network_failed = False
        self._dispatch = _Dispatcher({}, per_host=1, window=1, start=lambda key: None)
        self._turns = _Turns()
        fetcher.throttle.backlog = self._turns.backlog

    def emit(self, result: LinkResult) -> None:
        self.report.results.append(result)
        if self.on_result is not None:
            self.on_result(result)

    async def run(self, cases: Sequence[Case]) -> None:
        self.report.cases.extend(cases)
        self._network = asyncio.get_running_loop().create_future()
        include, exclude = self.options.include, self.options.exclude
        for case in cases:
            for source in case.sources:
                if not source.urls:
                    self.emit(self._result(_Citation(case, source, None), no_url(),
                                           Fetch("")))
                for cited in source.urls:
                    citation = _Citation(case, source, cited)
                    problem = url_problem(cited.url)
                    if problem is not None:  # the case-file reader refused the worse ones
                        self.emit(self._result(citation, invalid(problem.message), Fetch(
                            cited.url, failure=Failure(FailureKind.INVALID_URL,
                                                       problem.message))))
                        continue
                    left_out = excluded_by(cited.url, include, exclude) if (
                        include or exclude) else None
                    if left_out is not None:
                        self.emit(self._result(citation, left_out, Fetch(cited.url)))
                        continue
                    self.pending.setdefault(dedupe_key(cited.url), []).append(citation)
        self._checking = len(self.pending)
        self.progress.started(len(self.pending))
        if not self.pending:
            self._settle(True)
        self.fetcher.expect(key_url(c) for c in self.pending.values())
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[None] = loop.create_future()
        tasks: set[asyncio.Task[None]] = set()
        left = [len(self.pending)]

        def ended(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            left[0] -= 1
            if finished.done():
                return
            if not task.cancelled() and task.exception() is not None:
                finished.set_exception(task.exception())  # type: ignore[arg-type]
            elif left[0] == 0:
                finished.set_result(None)

        def start(key: str) -> None:
            if stopped:  # a link cancelled as the run stops must not start the next
                return
            self._started.add(key)
            task = loop.create_task(self.link(key))
            tasks.add(task)
            task.add_done_callback(ended)

        settings = self.fetcher.settings
        # Twice the host's limit: while its links are in flight, the next ones wait at its
        # gate, ready to take a slot the moment one is given back.
        self._dispatch = _Dispatcher(self.pending, per_host=2 * settings.per_host,
                                     window=link_window(settings), start=start)
        stopped = False
        try:
            self._dispatch.fill()
            if self.pending:
                await finished
        finally:
            stopped = True
            background = [*self._lookups.values(), *self._capture_texts.values(),
                          *self._replays.values()]
            if self._probing is not None:
                background.append(self._probing)
            for task in [*tasks, *background]:
                task.cancel()
            self._emit_unfinished()

    # -- the live stage ---------------------------------------------------------------------

    async def link(self, key: str) -> None:
        citations = self.pending[key]
        url = key_url(citations)
        try:
            await self._link(key, citations, url)
        finally:
            self._live_done(key)

    def _live_done(self, key: str) -> None:
        """A link's live check is over (its archive stage may go on): the next link starts."""
        if key in self._started:
            self._started.discard(key)
            self.fetcher.checked(key_url(self.pending[key]))
            self._dispatch.done(host_of(key))

    async def _link(self, key: str, citations: list[_Citation], url: str) -> None:
        try:
            live = self.recall(url, citations) or await self.live(key, url, citations)
        except Exception as exc:  # a bug for one link must not cost the others their results
            live = _internal_error(url, citations, exc)
        self._live[key] = live
        if live.fetch.failure is not None and live.fetch.failure.kind in NETWORK_FAILURES:
            self._network_failed = True
        self._live_done(key)
        self.progress.checked()
        if (live.fetch.reached and live.cached_at is None) or self.fetcher.answered:
            self._settle(True)  # someone answered: the network works
        results = await self.looked_up(citations, live)
        self._checked()
        failure = live.fetch.failure
        # A link this machine could not check (out of open files, memory) was not seen
        # failing: the memory keeps nothing of it, and its streak neither grows nor ends.
        observed = failure is None or failure.kind is not FailureKind.LOCAL
        if failure is not None and failure.kind in NETWORK_FAILURES:
            # Nothing concluded about a link the network did not carry until it is known
            # that the network works (its archive lookups may be what shows it).
            assert self._network is not None
            if not await asyncio.shield(self._network):
                results = [self._result(c, no_network(self.options.probe_url), live.fetch)
                           for c in citations]
                observed = False  # the network's failure, not the link's
        if self.memory is not None:
            results = self.remembered(url, live, results, observed=observed)
        for result in results:
            self.emit(result)
        self._emitted.add(key)
        # The live check (its answer, a page of up to --max-bytes) was kept only for an
        # interruption's sake: memory grows with the links in flight, not with all links.
        self._live.pop(key, None)

    async def live(self, key: str, url: str, citations: list[_Citation]) -> _Live:
        findings = await self.observe(url, want_body=any(c.source.quote for c in citations))
        if findings.doi is not None:
            findings = await self.landed(key, findings, findings.doi)
        # Answered, waiting its turn to be judged (or for its probe): a run stopped now
        # still reports it.
        self._answered[key] = findings
        try:
            await self._turns.take(self.fetcher.work[host_of(url)])
            verdict = judge(findings)
            if self.probe is not None and findings.fetch.answer is not None and \
                    worth_probing(findings, verdict, short_text):
                made_up = await self.probe.catches_all(findings.fetch)
                if made_up:
                    verdict = judge(dataclasses.replace(findings, catch_all=made_up))
                elif sent := await self.probe.sends_elsewhere(findings.fetch):
                    verdict = judge(dataclasses.replace(findings, sent_elsewhere=sent))
        finally:
            del self._answered[key]
        answer = findings.fetch.answer
        # The page's text, for the quotes, is read on a thread of its own: reading a PDF
        # may take seconds (up to text.PDF_SECONDS), and every other link goes on meanwhile.
        read = ((await asyncio.to_thread(page_text, answer),)
                if answer is not None and findings.doi is None
                and verdict.status in (Status.OK, Status.MOVED)
                and any(c.source.quote for c in citations) else None)
        live = self._concluded(findings, verdict, citations, read)
        landing = findings.doi.landing if findings.doi is not None else None
        if is_short_link(url) and findings.fetch.hops:
            # The archives keep the page a short link leads to, not the short link.
            live = dataclasses.replace(live, archived_as=findings.fetch.hops[0].location)
        if landing is not None:
            live = dataclasses.replace(live, archived_as=landing.url)
            if verdict.status is not Status.OK:
                # The DOI is gone because its page is: the report shows the page's answer
                # (404, its redirects), not the DOI system's 200.
                live = dataclasses.replace(live, fetch=landing)
        return live

    async def landed(self, key: str, findings: Findings, record: DoiRecord) -> Findings:
        """A registered DOI's findings with the page it points to fetched. The DOI system
        has answered, so the link's place in its queue is given to the next DOI (``doi.org``
        is a large run's busiest host: its queue must not wait on publishers'); the target
        is counted as work of its own host while it is fetched, so it is scheduled as the
        other links of that host are."""
        target = landing_url(record)
        if target is None:
            return findings
        self._live_done(key)
        self.fetcher.expect((target,))
        try:
            record = await landing(self.fetcher, record, target)
        finally:
            self.fetcher.checked(target)
        return dataclasses.replace(findings, doi=record)

    def _concluded(self, findings: Findings, verdict: Verdict,
                   citations: list[_Citation],
                   read: tuple[str | None] | None = None) -> _Live:
        """The verdict for each citation: the quote its source cites looked for on the
        page (in ``read``, its text when already read), and the settings file's accepted
        statuses applied."""
        answer = findings.fetch.answer
        text: list[str | None] = list(read) if read is not None else []

        # A body cut at the most refcheck reads is not the whole page: a quote not found in
        # it may be further on, so it is not checked, never missing.
        cut = (self.fetcher.settings.max_quote_bytes
               if answer is not None and answer.truncated else None)

        present: set[str] = set()
        shell: list[bool] = []

        def found(quote: str | None) -> bool | None:
            if not text:  # a page's text (a PDF's especially) is read once, if at all
                text.append(page_text(answer) if answer is not None else None)
            if text[0] is None:
                return None
            if contains_quote(text[0], quote or ""):
                present.add(quote or "")
                return True
            return None if cut else False

        def drawn() -> bool:
            # A web application's shell (a tweet on x.com, a video's page) has its text
            # drawn by its scripts: a quote not in the few words it has is not missing.
            # Asked only of a page a quote was not found in, and once: it parses the page,
            # which ``classify`` spares most pages.
            if not shell:
                shell.append(answer is not None and is_html(answer) and app_shell(answer))
            return shell[0]

        def quoted(quote: str) -> Verdict:
            if verdict.status not in (Status.OK, Status.MOVED):
                return verdict  # no page to look in
            there = found(quote)  # once: it normalises the page's whole text
            return with_quote(verdict, quote, there, cut=cut,
                              drawn=there is not True and drawn())

        verdicts = tuple(
            accepted(verdict if findings.doi is not None or not c.source.quote
                     else quoted(c.source.quote),
                     findings.fetch, self.options.accept, c.source.quote)
            for c in citations)
        quotes = frozenset(c.source.quote for c, v in zip(citations, verdicts, strict=True)
                           if c.source.quote in present and v.status is Status.OK)
        return _Live(findings.fetch, verdicts, verdict, quotes)

    # -- the memory of past runs ------------------------------------------------------------

    def recall(self, url: str, citations: list[_Citation]) -> _Live | None:
        """A success of an earlier run, young enough to reuse, for a link whose sources'
        quotes (if any) were found in it; None when the link is to be fetched."""
        if self.memory is None:
            return None
        success = self.memory.success(url, younger_than=self.options.max_cache_age,
                                      now=self.clock())
        if success is None or any(c.source.quote and c.source.quote not in success.quotes
                                  for c in citations):
            return None
        self._recalled += 1
        verdict = Verdict(Status.OK, success.detail, final_url=success.final_url,
                          page_title=success.page_title, capture=success.capture)
        answer = (Answer(success.final_url or url, success.http_status, "", {})
                  if success.http_status is not None else None)
        fetch = Fetch(url, hops=success.redirects, answer=answer)
        verdicts = tuple(with_quote(verdict, c.source.quote, True) if c.source.quote
                         else verdict for c in citations)
        return _Live(fetch, verdicts, verdict, success.quotes, cached_at=success.at)

    def remembered(self, url: str, live: _Live, results: list[LinkResult], *,
                   observed: bool) -> list[LinkResult]:
        """The results with what the memory knows (and this run's observation kept)."""
        from refcheck.cache import Observation, Success

        memory = self.memory
        assert memory is not None
        now = self.clock()
        observation = None
        if observed and live.cached_at is None and results:
            worst = max(results, key=lambda r: STATUS_RANK[r.status])
            observation = Observation(
                url, now, worst.status, worst.http_status, worst.final_url,
                next((r.archive.url for r in results if r.archive is not None), None))
            memory.observe(observation)
            if worst.status is Status.OK and live.verdict is not None \
                    and live.verdict.status is Status.OK:
                answer = live.fetch.answer
                memory.succeeded(url, Success(
                    at=now, detail=live.verdict.detail,
                    http_status=answer.status if answer is not None else None,
                    final_url=live.verdict.final_url, page_title=live.verdict.page_title,
                    redirects=live.fetch.hops, capture=live.verdict.capture,
                    quotes=live.quotes))
        # The URL's observation is its worst citation's: a source whose quote is gone
        # makes it drifted. Each result is told the history as its own status makes it
        # (a source whose quote is there is not "drifted since" anything).
        histories: dict[Status, History | None] = {}

        def history_of(status: Status) -> History | None:
            if status not in histories:
                seen = observation
                own = seen is None or status is seen.status
                if seen is not None and not own and status not in FAILING_STATUSES:
                    seen = dataclasses.replace(seen, status=status)
                history = memory.history(url, seen)
                if history is not None and not own:
                    # The streak is the URL's worst citation's: this one did not end it.
                    history = dataclasses.replace(history, recovered_from=None,
                                                  recovered_runs=0)
                histories[status] = history
            return histories[status]

        confirm = self.options.confirm
        remembered = []
        for r in results:
            history = history_of(r.status)
            remembered.append(dataclasses.replace(
                r, cached_at=live.cached_at, history=history,
                unconfirmed=(confirm is not None and history is not None
                             and r.status in FAILING_STATUSES and not confirm.met(history))))
        return remembered

    async def observe(self, url: str, *, want_body: bool) -> Findings:
        """What the web says about one URL: the I/O of a live check, no conclusions."""
        retired = retired_short_link(url)
        if retired:
            return Findings(url, Fetch(url), retired=retired)
        doi = doi_of(url)
        if doi:
            record = await lookup_doi(self.fetcher, self.options.doi_url, doi)
            return Findings(url, record.fetch, doi=record)
        settings = self.options.archive_settings
        cited = recognise(url, settings) if settings is not None else None
        if settings is not None and cited is not None and cited.framed:
            fetch = await self.replayed(url, cited, settings, want_body=want_body)
            return Findings(url, fetch, cited=cited)
        fetch = await self._fetch(url, want_body=want_body)
        landed = None
        if settings is not None and cited is None and fetch.hops and fetch.answer is not None:
            landed = recognise(fetch.answer.url, settings)
            framed = _frame_of(fetch.answer, settings)
            if framed is not None and framed.replay is not None:
                # Web continuity: the live address leads to a capture's top frame, a 200
                # whatever the capture is; the capture itself is what is offered to cite.
                fetch = await self.in_capture(url, fetch.hops, framed.replay, settings,
                                              want_body=want_body, urgent=True)
                if fetch.answer is not None:  # the capture landed on, in the end
                    landed = recognise(fetch.answer.url, settings)
        return Findings(url, fetch, cited=cited, landed=landed)

    async def replayed(self, url: str, cited: Citation, settings: ArchiveSettings, *,
                       want_body: bool) -> Fetch:
        """A cited capture of an archive whose capture address serves a frame around it
        (UKGWA's pywb answers there 200, with Memento-Datetime, whether the capture is of
        the page or of a 404): fetched where the capture itself is replayed (``mp_``, which
        keeps the capture's status and is redirected to the exact timestamp), and shown as
        the address a person opens. A pre-2021 address is fetched as cited first: whether
        it still leads to the archive is part of its check; so is a latest one (``+``),
        which the archive sends to the top frame of its newest capture."""
        if cited.legacy or cited.replay is None:
            first = await self._fetch(url, want_body=want_body)
            landed = _frame_of(first.answer, settings)
            if landed is None or landed.replay is None:
                return first  # judged as it answered: no capture, or not a framed one
            return await self.in_capture(url, first.hops, landed.replay, settings,
                                         want_body=want_body, urgent=True)
        return await self.in_capture(url, (), cited.replay, settings, want_body=want_body,
                                     urgent=False)

    async def in_capture(self, url: str, hops: tuple[Hop, ...], replay: str,
                         settings: ArchiveSettings, *, want_body: bool, urgent: bool) -> Fetch:
        """The fetch of ``url`` as the capture replayed at ``replay`` answers, ``url``'s
        own redirects there (``hops``) kept, and every address shown as a person opens it
        (never the ``mp_`` one). ``urgent`` for a request that follows the link's first:
        like a redirect, it goes before the links waiting for the same host."""
        fetch = await self._fetch(replay, want_body=want_body, urgent=urgent)

        def opened(address: str) -> str:
            capture = recognise(address, settings)
            return capture.current if capture is not None and capture.timestamp else address

        return dataclasses.replace(
            fetch, url=url,
            hops=hops + tuple(Hop(opened(h.url), h.status, opened(h.location))
                              for h in fetch.hops),
            answer=dataclasses.replace(fetch.answer, url=opened(fetch.answer.url))
            if fetch.answer is not None else None)

    async def _fetch(self, url: str, *, want_body: bool, urgent: bool = False) -> Fetch:
        """A link's own request: its body read whole (up to the quote's limit) when a
        quote is to be looked for in it."""
        return await self.fetcher.fetch(
            url, want_body=want_body, urgent=urgent,
            max_bytes=self.fetcher.settings.max_quote_bytes if want_body else None)

    # -- the network ------------------------------------------------------------------------

    def _checked(self) -> None:
        """One more link checked, archives included: when none is left and nothing has
        answered, the probe address decides whether the network is up."""
        self._checking -= 1
        if self.fetcher.answered:
            self._settle(True)
        elif self._checking == 0 and self._recalled == len(self.pending):
            self._settle(True)  # every link was answered from memory: none needed the network
        elif self._checking == 0 and self._probing is None:
            self._probing = asyncio.create_task(self._probe_network())

    async def _probe_network(self) -> None:
        """Nothing answered at all: ask the probe address before concluding anything (if
        any link failed for want of a network: a run whose links all failed otherwise,
        out of open files say, says nothing about the network)."""
        if self.fetcher.answered or not self._network_failed:
            self._settle(True)
            return
        probe_url = self.options.probe_url
        # Without a probe (--probe-url ""), a network that is down cannot be told from
        # links that fail: each link's own failure is reported as it is.
        reachable = True
        if probe_url:
            probe = await self.fetcher.fetch(probe_url, retries=0)
            reachable = probe.reached
        self.report.network_unreachable = not reachable
        self._settle(reachable)

    def _settle(self, reachable: bool) -> None:
        if self._network is not None and not self._network.done():
            self._network.set_result(reachable)

    # -- the archive stage ------------------------------------------------------------------

    async def looked_up(self, citations: list[_Citation], live: _Live) -> list[LinkResult]:
        """Each citation's result, with the archives' copies for links that are not live."""
        settings = self.options.archive_settings
        url = key_url(citations)
        cited = recognise(url, settings) if settings else None
        as_cited = live.archived_as or (cited.original if cited else url)
        # Credentials in the cited URL are for its own server, not for the archives.
        original = without_secrets(as_cited)
        # A list of captures (``…/*/{url}``) is no capture: which of them is the evidence is
        # what the archives are asked, as for a lost page.
        listing = cited is not None and cited.timestamp is None and not cited.latest
        # The capture found is read (for a drifted source's quote, or to compare with the
        # live page) from the fetch that proved it, read far enough for that.
        # Which live citations are compared with their capture: asked once (it may read
        # the page), so that the read asked of the lookup and the readers agree.
        comparing = [self.archives is not None and verdict.status not in LOOKUP_STATUSES
                     and not listing and self.compares(citation, live, verdict)
                     for citation, verdict in zip(citations, live.verdicts, strict=True)]
        reads = [self.fetcher.settings.max_quote_bytes
                 if verdict.status is Status.DRIFTED and citation.source.quote else
                 self.fetcher.settings.max_bytes if compare else None
                 for citation, verdict, compare in zip(citations, live.verdicts, comparing,
                                                       strict=True)]
        read = max((r for r in reads if r is not None), default=None)
        results = []
        for citation, verdict, compare in zip(citations, live.verdicts, comparing,
                                              strict=True):
            result = self._result(citation, verdict, live.fetch)
            # (A pre-2021 UKGWA list redirects to the current one: a move, of the list.)
            listed_now = listing and verdict.status in (Status.OK, Status.MOVED)
            if self.archives is not None and (verdict.status in LOOKUP_STATUSES or listed_now):
                self.progress.looking_up()
                try:
                    result = await self.fall_back(result, citation, original, read,
                                                  # (a fragment is never sent: no secret)
                                                  stripped=original != dedupe_key(as_cited))
                    if listed_now:
                        result = listed(result, original)
                except Exception as exc:  # the live result stands; say the lookup broke
                    failed = Lookup(None, LookupOutcome.FAILED, f"internal error: {exc!r}",
                                    label="the archives")
                    result = dataclasses.replace(result, lookups=(failed,),
                                                 evidence=evidence_of(result.status, None,
                                                                      (failed,)))
                finally:
                    self.progress.looked_up()
            elif compare:
                self.progress.looking_up()
                try:
                    result = await self.compared(result, citation, live, verdict, original,
                                                 read)
                except Exception:  # a comparison that broke leaves the live result as it was
                    pass
                finally:
                    self.progress.looked_up()
            results.append(result)
        return results

    def compares(self, citation: _Citation, live: _Live, verdict: Verdict) -> bool:
        """Whether this live link is compared with its capture (``--compare-archive``)."""
        mode = self.options.compare_archive
        if mode == "auto" and len(self.pending) > AUTO_COMPARE_URLS:
            return False
        return worth_comparing(verdict, live.fetch.answer, quote=citation.source.quote,
                               title=citation.source.title, mode=mode)

    async def compared(self, result: LinkResult, citation: _Citation, live: _Live,
                       verdict: Verdict, original: str, read: int | None) -> LinkResult:
        """The result, unless the live page has nothing to do with the capture of the
        cited page nearest the case date (the domain changed hands): then ``drifted``,
        with the capture to cite."""
        assert self.archives is not None
        found, asked = await self.archived(original, citation, read)
        if found is None:
            return result
        try:
            if found.url not in self._replays:
                self._replays[found.url] = asyncio.create_task(
                    self.read_capture(found, self.fetcher.settings.max_bytes))
            replay = await asyncio.shield(self._replays[found.url])
        finally:
            self._spent(found)
        judged = changed_hands(verdict, live.fetch.answer, found,
                               replay.answer if replay is not None else None)
        if judged is verdict:
            return result
        return dataclasses.replace(
            self._result(citation, judged, live.fetch), lookups=asked,
            evidence=evidence_of(judged.status, found, asked),
            listing=self.archives.listing(original))

    async def fall_back(self, result: LinkResult, citation: _Citation, original: str,
                        read: int | None, *, stripped: bool) -> LinkResult:
        """The result with what the archives hold."""
        assert self.archives is not None
        found, asked = await self.archived(original, citation, read)
        detail = result.detail
        shown = None  # whether the capture is known to hold the drifted source's quote
        quote = citation.source.quote
        try:
            if found is not None and result.status is Status.DRIFTED and quote:
                quote_found, unread = await self.quote_in_capture(found, quote)
                detail = quote_in_capture_detail(detail, found, quote_found, unread)
                shown = quote_found is True  # not read whole: not shown to hold it
        finally:
            self._spent(found)
        return dataclasses.replace(
            result, detail=detail, archive=found, lookups=asked,
            evidence=evidence_of(result.status, found, asked, shown),
            listing=self.archives.listing(original),
            lookup_url=original if stripped else None)

    async def archived(self, original: str, citation: _Citation, read: int | None
                       ) -> tuple[Capture | None, tuple[Lookup, ...]]:
        """The archives' answer for ``original`` nearest the citation's date, asked once
        however many citations want it; ``read`` is how much of the capture found is to
        be kept for reading, None when it will not be read."""
        lookup_key = (original, target_of(citation.case, self.options.as_of))
        if lookup_key not in self._lookups:
            self._lookups[lookup_key] = asyncio.create_task(self._lookup(*lookup_key, read))
        return await asyncio.shield(self._lookups[lookup_key])

    async def _lookup(self, url: str, target: dt.datetime | None, read: int | None
                      ) -> tuple[Capture | None, tuple[Lookup, ...]]:
        """The archives' answer, or the capture an earlier run found (a capture does not
        change, so the archives need not be asked for it again)."""
        assert self.archives is not None
        memory = self.memory
        if memory is not None:
            known = memory.capture(url, target, self.archives.settings.order)
            if known is not None:
                return known, (Lookup(known.service, LookupOutcome.FOUND,
                                      "found by an earlier run", known, label=known.label),)
        found, asked, proof = await self.archives.lookup_and_read(url, target, max_bytes=read)
        if found is not None and proof is not None and read is not None:
            self._proofs[found.url] = (proof, read)
        if memory is not None and found is not None:
            memory.found(url, target, found, self.clock())
        return found, asked

    def _spent(self, capture: Capture | None) -> None:
        """Forget the fetch that proved ``capture`` once its reader is done: ``read_capture``
        takes it when it reads the capture, but a capture that was read already (for
        another link, or a lookup for another date) or not at all would otherwise keep its
        body, up to --max-bytes, for the rest of the run."""
        if capture is not None:
            self._proofs.pop(capture.url, None)

    async def read_capture(self, capture: Capture, max_bytes: int) -> Fetch:
        """A capture's own text, read up to ``max_bytes``: from the fetch that proved it,
        when the lookup kept it and it was read far enough (or whole); else fetched, under
        its archive's own budget for playback, as its other requests are, in its raw form
        (the page a person opens may be the archive's banner with the capture in a frame)."""
        archives = self.archives
        assert archives is not None
        kept = self._proofs.pop(capture.url, None)
        if kept is not None:
            proof, read = kept
            if proof.answer is not None and (not proof.answer.truncated or read >= max_bytes):
                return proof
        fetch = await archives.replay(capture, max_bytes=max_bytes)
        if fetch is None:  # an archive not in this run: the address as given
            fetch = await self.fetcher.fetch(archives.readable(capture), want_body=True,
                                             max_bytes=max_bytes)
        return fetch

    async def quote_in_capture(self, capture: Capture, quote: str
                               ) -> tuple[bool | None, str | None]:
        """Whether the capture holds the quote: True, False (read whole, it does not), or
        None, with why it was not checked (it is longer than refcheck reads and the part
        read lacks it, or it could not be read). Each capture is fetched and read once,
        however many sources' quotes are looked for."""
        if capture.url not in self._capture_texts:
            async def read() -> tuple[str | None, str | None]:
                most = self.fetcher.settings.max_quote_bytes
                fetch = await self.read_capture(capture, most)
                answer = fetch.answer
                problem = capture_problem(fetch, capture.label or "the archive")
                if answer is None or problem is not None:
                    # A 429, a time-out, an answer that is no capture: nothing was read.
                    why = problem[1] if problem is not None else "no answer"
                    return None, f"could not be read ({why})"
                cut = too_long_to_read(most) if answer.truncated else None
                text = await asyncio.to_thread(page_text, answer)  # as a live page's
                return text, cut or (None if text is not None else "could not be read as text")
            self._capture_texts[capture.url] = asyncio.create_task(read())
        text, unread = await asyncio.shield(self._capture_texts[capture.url])
        if text is not None and contains_quote(text, quote):
            return True, None
        if unread is not None:  # a part read, or none: the quote may be in the rest
            return None, unread
        return (False, None) if text is not None else (None, "could not be read as text")

    # -- results ----------------------------------------------------------------------------

    def _result(self, citation: _Citation, verdict: Verdict, fetch: Fetch) -> LinkResult:
        answer = fetch.answer
        return LinkResult(
            citation.case, citation.source, citation.cited, verdict.status, verdict.detail,
            checked_at=self.clock(),
            http_status=answer.status if answer else (
                fetch.hops[-1].status if fetch.hops else None),
            final_url=verdict.final_url,
            redirects=fetch.hops,
            page_title=verdict.page_title,
            failure=fetch.failure.kind if fetch.failure else None,
            archive=verdict.capture,
            evidence=evidence_of(verdict.status, verdict.capture, ()),
        )

    def _emit_unfinished(self) -> None:
        """The run was stopped: report every link whose live check had finished, without
        the archive lookups it did not get to (and without concluding anything about links
        that failed for want of a network, if the network was never settled)."""
        network = self._network
        settled = network is not None and network.done() and not network.cancelled()
        for key, findings in self._answered.items():
            if key not in self._live:  # judged now (without the probe it might have had)
                try:
                    live = self._concluded(findings, judge(findings), self.pending[key])
                except Exception as exc:  # a bug for one link must not cost the others
                    live = _internal_error(findings.url, self.pending[key], exc)
                self._live[key] = live
        for key, live in self._live.items():
            if key in self._emitted:
                continue
            self._emitted.add(key)
            failure = live.fetch.failure
            for citation, verdict in zip(self.pending[key], live.verdicts, strict=True):
                if failure is not None and failure.kind in NETWORK_FAILURES and not (
                        settled and network is not None and network.result()):
                    verdict = unconcluded()
                self.emit(self._result(citation, verdict, live.fetch))
