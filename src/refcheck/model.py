"""The vocabulary every refcheck module speaks: case files, links, fetches and verdicts.

Frozen dataclasses and enums only; nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from refcheck.errors import Problem


class Status(StrEnum):
    """What refcheck concluded about one URL. The values are a stable, documented interface."""

    OK = "ok"
    MOVED = "moved"
    DEAD = "dead"
    SOFT_404 = "soft-404"
    BLOCKED = "blocked"
    ERROR = "error"
    INVALID = "invalid"
    NO_URL = "no-url"
    ARCHIVED = "archived"
    DRIFTED = "drifted"
    EXCLUDED = "excluded"  # not checked: the settings file's ``exclude``/``include`` say so


def day(when: dt.date) -> str:
    """A date as people write it in a report: 1 October 2013."""
    return f"{when.day} {when:%B %Y}"


#: Statuses that fail a run unless ``--fail-on`` says otherwise.
DEFAULT_FAIL_ON: frozenset[Status] = frozenset(
    {Status.DEAD, Status.SOFT_404, Status.DRIFTED, Status.INVALID})

#: Best first: a source with several URLs takes the best of their statuses.
STATUS_RANK: dict[Status, int] = {s: i for i, s in enumerate((
    Status.OK, Status.ARCHIVED, Status.MOVED, Status.BLOCKED, Status.ERROR, Status.DRIFTED,
    Status.SOFT_404, Status.DEAD, Status.INVALID, Status.EXCLUDED, Status.NO_URL))}


@dataclass(frozen=True, slots=True)
class Position:
    """Where something stands in a case file (1-based line and column)."""

    file: str
    line: int
    column: int
    #: Where it is printed, for a case file extracted from a document ("page 4, line 12").
    place: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class CitedUrl:
    """One URL as written in a case file."""

    url: str
    position: Position


class SourceKind(StrEnum):
    """Which section of the case study cites it."""

    SOURCE = "source"  # section 5: sources to corroborate the impact
    REFERENCE = "reference"  # section 3: the underpinning research


@dataclass(frozen=True, slots=True)
class Source:
    """A cited piece of evidence (section 5) or an underpinning reference (section 3)."""

    id: str
    title: str
    urls: tuple[CitedUrl, ...]
    position: Position
    kind: SourceKind = SourceKind.SOURCE
    quote: str | None = None
    note: str | None = None
    doi: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """One case file: the case study's description and what it cites."""

    path: str
    title: str
    sources: tuple[Source, ...]
    institution: str | None = None
    id: str | None = None
    date: dt.date | None = None


class FailureKind(StrEnum):
    """Why a fetch got no HTTP answer; translated once from transport exceptions."""

    DNS = "dns"  # the name does not exist
    DNS_TEMPORARY = "dns-temporary"  # the resolver could not answer now (EAI_AGAIN, EAI_FAIL)
    REFUSED = "refused"
    RESET = "reset"
    TIMEOUT = "timeout"
    DEADLINE = "deadline"
    TLS = "tls"
    REDIRECT_LOOP = "redirect-loop"
    TOO_MANY_REDIRECTS = "too-many-redirects"
    BAD_REDIRECT = "bad-redirect"
    INVALID_URL = "invalid-url"
    PROTOCOL = "protocol"  # the server answered, but not in HTTP/1.1 that can be read safely
    HTTP2_ONLY = "http2-only"  # the server speaks only HTTP/2, which refcheck does not
    LOCAL = "local"  # this machine ran out of something (open files, memory): not the link
    OTHER = "other"


#: Failures that say nothing about the page, only that the network did not carry the request.
NETWORK_FAILURES: frozenset[FailureKind] = frozenset(
    {
        FailureKind.DNS,
        FailureKind.DNS_TEMPORARY,
        FailureKind.REFUSED,
        FailureKind.RESET,
        FailureKind.TIMEOUT,
        FailureKind.TLS,
        FailureKind.OTHER,
    }
)


@dataclass(frozen=True, slots=True)
class Failure:
    kind: FailureKind
    message: str


@dataclass(frozen=True, slots=True)
class Hop:
    """One redirect response on the way to the final answer."""

    url: str
    status: int
    location: str


@dataclass(frozen=True)
class Answer:
    """The final (non-redirect) HTTP response of a fetch, with a capped body."""

    url: str
    status: int
    reason: str
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes = b""
    truncated: bool = False

    @functools.cached_property
    def content_type(self) -> str:  # asked four times of every answer
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Fetch:
    """Everything the network said about one URL: redirect hops, then an answer or a failure."""

    url: str
    hops: tuple[Hop, ...] = ()
    answer: Answer | None = None
    failure: Failure | None = None
    attempts: int = 1
    #: Seconds the server asked us to wait (``Retry-After``) when that was longer than
    #: refcheck waits: the answer is then what it said before we stopped asking.
    retry_after: float | None = None

    @property
    def reached(self) -> bool:
        """True when some server answered with HTTP, whatever it said."""
        return self.answer is not None or bool(self.hops)


class Evidence(StrEnum):
    """Where the evidence behind a link can be seen now."""

    LIVE = "live"  # on the live web
    ARCHIVED = "archived"  # only in a web archive (or cited as an archive capture)
    LOST = "lost"  # not live, and every archive asked said it has no copy
    UNKNOWN = "unknown"  # could not be settled: blocked, errors, lookups that failed


class LookupOutcome(StrEnum):
    FOUND = "found"
    NOT_ARCHIVED = "not archived"
    FAILED = "failed"


class Archive(StrEnum):
    """The web archives refcheck can ask; what it knows of each is in ``archive.SERVICES``."""

    UKGWA = "ukgwa"
    WAYBACK = "wayback"
    PARLIAMENT = "parliament"
    NRS = "nrs"


@dataclass(frozen=True, slots=True)
class Capture:
    """An archived copy of a page: where to see it and when it was taken."""

    service: Archive
    url: str  # the capture as a person opens it
    captured: dt.datetime
    original: str  # the URL that was captured
    label: str = ""  # how a report names the service ("UKGWA"), from the archive table


@dataclass(frozen=True, slots=True)
class Verdict:
    """What ``verdict.judge`` concluded about one URL."""

    status: Status
    detail: str
    final_url: str | None = None
    page_title: str | None = None
    capture: Capture | None = None  # the URL is, or leads to, an archive capture


@dataclass(frozen=True, slots=True)
class Lookup:
    """What one archive said when asked for a URL (``service`` None: the fallback itself
    broke before any archive could answer)."""

    service: Archive | None
    outcome: LookupOutcome
    detail: str = ""
    capture: Capture | None = None
    label: str = ""  # how a report names the service, from the archive table


@dataclass(frozen=True, slots=True)
class LinkResult:
    """The outcome for one cited URL of one source."""

    case: Case
    source: Source
    cited: CitedUrl | None  # None for a source with no URL
    status: Status
    detail: str
    checked_at: dt.datetime
    http_status: int | None = None
    final_url: str | None = None
    redirects: tuple[Hop, ...] = ()
    page_title: str | None = None
    failure: FailureKind | None = None
    archive: Capture | None = None
    lookups: tuple[Lookup, ...] = ()
    evidence: Evidence | None = None
    listing: str | None = None  # where a person can see every capture of the URL
    #: The URL the archives were asked for, when it is not the cited one: credentials are
    #: never sent to a third party.
    lookup_url: str | None = None
    #: When the success reused from the memory of past runs was observed (not fetched now).
    cached_at: dt.datetime | None = None
    #: What earlier runs saw of this URL, this run included (None without the memory).
    history: History | None = None
    #: A failure not yet seen in the runs and days ``--confirm`` asks for: reported with its
    #: status, but not counted towards the exit code.
    unconfirmed: bool = False


#: How long a success is reused from the memory of past runs (``--max-cache-age``).
DEFAULT_MAX_CACHE_AGE = dt.timedelta(days=1)

#: Statuses that count as failing in the memory of past runs (and for ``--confirm``).
FAILING_STATUSES: frozenset[Status] = frozenset(
    {Status.DEAD, Status.SOFT_404, Status.DRIFTED, Status.BLOCKED, Status.ERROR,
     Status.INVALID})


@dataclass(frozen=True, slots=True)
class History:
    """What the memory of past runs knows of one URL: the present run's observation
    included, the failures counted from the latest run that did not fail."""

    first_seen: dt.datetime
    last_ok: dt.datetime | None  # the latest run in which the link did not fail
    failing_since: dt.datetime | None  # the first run of the current failing streak
    failed_runs: int  # runs in the current failing streak
    #: The status every run of the streak saw, when they agree.
    streak_status: Status | None = None
    #: Calendar days (UTC) the streak covers, the first and the latest run's included.
    streak_days: int = 0
    #: For a failing link that was fine before: the latest run that failed before that
    #: (None when it had not failed before, as far as the memory knows).
    failed_before: dt.datetime | None = None
    #: For a link this run found fine again: the first run of the failing streak it ended,
    #: and how many runs that streak had (said by the run that ends it only).
    recovered_from: dt.datetime | None = None
    recovered_runs: int = 0


@dataclass(frozen=True)
class Confirm:
    """``--confirm RUNS:DAYS``: a failure counts once seen in ``runs`` runs or more,
    covering ``days`` calendar days or more."""

    runs: int
    days: int

    def met(self, history: History) -> bool:
        return history.failed_runs >= self.runs and history.streak_days >= self.days


@dataclass(frozen=True)
class Shard:
    """``--shard K/N``: a run that checked only the links whose host falls in shard
    ``index`` of ``count`` (the other shards check the others; ``refcheck merge`` joins
    their JSON reports into the whole audit's)."""

    index: int  # K, from 1
    count: int  # N
    #: The links of the case files in each shard, 1 to N (sources without a URL are
    #: shard 1's): this shard's are ``links[index - 1]``.
    links: tuple[int, ...]
    #: Sources with URLs in this shard and in another: their verdict in this shard's
    #: report is the best of this shard's URLs only.
    split_sources: int = 0
    #: Names the audit (the case files' links, and N): every shard of one audit has it.
    audit: str = ""

    @property
    def checked(self) -> int:
        return self.links[self.index - 1]

    @property
    def total(self) -> int:
        return sum(self.links)


@dataclass(frozen=True)
class ShardGap:
    """A shard whose links are not all in a merged report, and why."""

    index: int
    links: int  # its links missing from the merged report (or not concluded)
    reason: str  # "missing", "interrupted" or "no network"


@dataclass(frozen=True)
class Merged:
    """A report ``refcheck merge`` made from the reports of the shards of one audit."""

    count: int  # N
    shards: tuple[int, ...]  # the shards merged
    gaps: tuple[ShardGap, ...] = ()
    audit: str = ""


@dataclass(frozen=True)
class Unchecked:
    """A link an interrupted run did not get to: the reports name it, so that the user
    knows which sources still need checking."""

    file: str  # the case file
    line: int  # the URL's line (or the source's, without one)
    source: str  # the source's id
    kind: SourceKind
    url: str | None
    title: str | None = None  # the source's (a report from before it was kept has none)

    @property
    def label(self) -> str:
        return self.source if self.kind is SourceKind.SOURCE else f"ref {self.source}"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.label} {self.url or '(no URL)'}"


@dataclass
class RunReport:
    """What a run found. Filled in as links complete, so an interrupted run keeps its results."""

    cases: list[Case] = field(default_factory=list)
    results: list[LinkResult] = field(default_factory=list)
    network_unreachable: bool = False
    interrupted: bool = False
    terminated: bool = False  # stopped by SIGTERM rather than Ctrl-C
    #: Case-file mistakes that did not stop the run (file:line, what to do).
    warnings: list[Problem] = field(default_factory=list)
    #: The date archive captures were measured from (--as-of), when not each case's own.
    as_of: dt.date | None = None
    #: ``--confirm``: failures count towards the exit code only once confirmed.
    confirm: Confirm | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    #: ``--shard K/N``: this run checked only the links of one shard.
    shard: Shard | None = None
    #: ``refcheck merge``: the shards' reports this one was made from.
    merged: Merged | None = None
    #: The links of the case files, when ``cases`` cannot say (a report read back from
    #: JSON lists only the links it reports); None: counted from ``cases``.
    expected: int | None = None
    #: The links an interrupted run did not check, when ``cases`` cannot say (read back
    #: from JSON); None: worked out from ``cases`` and ``results``.
    unchecked: tuple[Unchecked, ...] | None = None

    def counts(self) -> dict[Status, int]:
        counts = dict.fromkeys(Status, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    def evidence_counts(self) -> dict[Evidence, int]:
        counts = dict.fromkeys(Evidence, 0)
        for result in self.results:
            if result.evidence is not None:
                counts[result.evidence] += 1
        return counts

    def total_links(self) -> int:
        if self.expected is not None:
            return self.expected
        return sum(len(s.urls) or 1 for c in self.cases for s in c.sources)


class ExitCode(IntEnum):
    """The documented exit codes of the ``refcheck`` command."""

    OK = 0
    ATTENTION = 1
    USAGE = 2
    NO_NETWORK = 3
    INCOMPLETE = 4
    INTERRUPTED = 130
    TERMINATED = 143


@dataclass(frozen=True)
class Outcome:
    """How a run ends: which results fail it, and the exit code that follows."""

    exit_code: ExitCode
    fail_on: frozenset[Status]
    failing: tuple[LinkResult, ...]
    #: Each source's verdict (``source_verdicts``), which the outcome was decided on.
    verdicts: Mapping[SourceKey, Status] = field(default_factory=dict)


def best_status(statuses: Iterable[Status]) -> Status:
    """A source's verdict: the best status among its URLs (``STATUS_RANK``), so a dead copy
    does not fail a source whose other URL is fine. The one best-of rule."""
    return min(statuses, key=STATUS_RANK.__getitem__)


SourceKey = tuple[str, SourceKind, str]


def source_key(result: LinkResult) -> SourceKey:
    """Which source of which case file a result belongs to."""
    return (result.case.path, result.source.kind, result.source.id)


def source_verdicts(report: RunReport) -> dict[SourceKey, Status]:
    """Each source's verdict, by ``source_key``."""
    grouped: dict[SourceKey, list[Status]] = {}
    for result in report.results:
        grouped.setdefault(source_key(result), []).append(result.status)
    return {key: best_status(statuses) for key, statuses in grouped.items()}


def decide(report: RunReport, fail_on: frozenset[Status] = DEFAULT_FAIL_ON) -> Outcome:
    """A link fails the run when its status is in ``fail_on``, no other URL of the same
    source does better, and it is not ``unconfirmed`` (``--confirm``)."""
    verdicts = source_verdicts(report)
    failing = tuple(
        r for r in report.results
        if r.status in fail_on and not r.unconfirmed
        and verdicts[source_key(r)] in fail_on)
    if report.interrupted:
        code = ExitCode.TERMINATED if report.terminated else ExitCode.INTERRUPTED
    elif report.network_unreachable:
        code = ExitCode.NO_NETWORK
    elif any(r.failure is FailureKind.LOCAL for r in report.results) or (
            report.merged is not None and report.merged.gaps):
        code = ExitCode.INCOMPLETE
    elif failing:
        code = ExitCode.ATTENTION
    else:
        code = ExitCode.OK
    return Outcome(code, fail_on, failing, verdicts)
