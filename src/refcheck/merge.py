"""``refcheck merge``: the JSON reports of the shards of one audit (``--shard K/N``) joined
into the report one run of the whole audit would have made, in any format, with the same
exit code rules.

The reports must be of one audit: the same N, the same case files with the same links
(``Shard.audit``), the same ``--fail-on``, ``--as-of`` and ``--confirm``, each shard once.
A shard that is missing, was interrupted or had no network leaves the merged report
incomplete: what is there is merged, the report says which shard and how many of its links
are not in it, and the exit code is 4. Nothing is fetched, and nothing needs the
credentials that the reports mask.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from refcheck.errors import Problem, UsageError
from refcheck.model import (
    Case,
    CitedUrl,
    LinkResult,
    Merged,
    RunReport,
    Shard,
    ShardGap,
    Source,
    SourceKey,
    Status,
    source_key,
)
from refcheck.report.json import ReadReport, ReportReadError, read_report

#: Most bytes of a shard's report read (a report of 100,000 links is about 100 MB).
MAX_REPORT_BYTES = 1 << 30


class MergeError(UsageError):
    """Reports that cannot be merged: not shards', not of one audit, a shard twice."""


@dataclass(frozen=True)
class ShardFile:
    """A shard's report, read, and the file it came from."""

    name: str
    read: ReadReport

    @property
    def report(self) -> RunReport:
        return self.read.report

    @property
    def shard(self) -> Shard:
        assert self.read.report.shard is not None
        return self.read.report.shard


@dataclass(frozen=True)
class MergeResult:
    report: RunReport
    fail_on: frozenset[Status]
    #: What to tell the user on stderr: what was merged, and what is missing.
    messages: tuple[str, ...]


def read_shard_file(path: Path) -> ShardFile:
    """One shard's JSON report; ``ReportReadError`` (located) when it is not usable."""
    name = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise ReportReadError(f"{name}: cannot read the report: "
                              f"{exc.strerror or exc}") from None
    if len(data) > MAX_REPORT_BYTES:
        raise ReportReadError(f"{name}: larger than {MAX_REPORT_BYTES >> 20} MiB; not a "
                              "shard's report")
    try:
        # A byte order mark (a report saved again by a Windows editor) is not its text.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReportReadError(f"{name}: not a refcheck report: byte {exc.start} is not "
                              "UTF-8 text; give the JSON reports the shards wrote "
                              "(--report json:PATH)") from None
    read = read_report(text, name)
    if read.report.merged is not None:
        raise MergeError(f"{name}: a merged report, not a shard's: give the reports the "
                         "shards wrote (refcheck --shard K/N ... --report json:PATH)")
    if read.report.shard is None:
        raise MergeError(f"{name}: not a shard's report: it was written by a run without "
                         "--shard, which checked every link itself; give the reports of "
                         "runs with --shard K/N")
    return ShardFile(name, read)


def merge(files: Sequence[ShardFile], fail_on: frozenset[Status] | None = None
          ) -> MergeResult:
    """The whole audit's report from its shards' (``fail_on``: the merge's own
    ``--fail-on``, else the one the shards were run with)."""
    if not files:
        raise MergeError("no reports to merge")
    files = sorted(files, key=lambda f: f.shard.index)
    first = files[0]
    _one_audit(files)
    fail_on = _agreed_fail_on(files) if fail_on is None else fail_on
    count = first.shard.count
    by_index = {f.shard.index: f for f in files}
    gaps: list[ShardGap] = []
    messages: list[str] = []
    reachable = [f for f in files if not f.report.network_unreachable]
    for index in range(1, count + 1):
        links = first.shard.links[index - 1]
        file = by_index.get(index)
        if file is None:
            if links:
                gaps.append(ShardGap(index, links, "missing"))
                messages.append(f"shard {index} of {count} is missing (no report of it was "
                                f"given): its {_links(links)} {_are(links)} not in the merged "
                                "report")
            else:
                messages.append(f"shard {index} of {count} has no links: no report of it is "
                                "needed")
        elif file.report.interrupted:
            left = links - len(file.report.results)
            gaps.append(ShardGap(index, left, "interrupted"))
            messages.append(f"shard {index} of {count} ({file.name}) was interrupted: "
                            f"{_links(left)} of it {_are(left)} not in the merged report")
        elif file.report.network_unreachable and reachable:
            gaps.append(ShardGap(index, links, "no network"))
            messages.append(f"shard {index} of {count} ({file.name}) had no network: its "
                            f"{_links(links)} {'was' if links == 1 else 'were'} not checked")
    report = _joined(files, gaps)
    present = ", ".join(str(f.shard.index) for f in files)
    messages.insert(0, f"shard{'s' if len(files) != 1 else ''} {present} of {count} merged: "
                       f"{len(report.results)} of {_links(report.total_links())}")
    if gaps:
        messages.append("the merged report is incomplete (exit code 4): run the shards "
                        "named above again and merge every shard's report")
    versions = sorted({f.read.version for f in files})
    if len(versions) > 1:
        messages.append(f"the shards were run by different versions of refcheck "
                        f"({', '.join(versions)}); their verdicts may differ in ways one run's "
                        "would not")
    return MergeResult(report, fail_on, tuple(messages))


def _links(count: int) -> str:
    return f"{count} link{'s' if count != 1 else ''}"


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def _one_audit(files: Sequence[ShardFile]) -> None:
    """Raises ``MergeError`` unless the reports are of distinct shards of one audit."""
    first = files[0]
    seen: dict[int, ShardFile] = {}
    for file in files:
        shard = file.shard
        if shard.count != first.shard.count:
            raise MergeError(
                f"{file.name} is shard {shard.index} of {shard.count}, but {first.name} is "
                f"shard {first.shard.index} of {first.shard.count}: give the reports of one "
                "audit, all split into the same number of shards")
        if shard.audit != first.shard.audit or shard.links != first.shard.links:
            raise MergeError(f"{file.name} and {first.name} are not of one audit: "
                             f"{_difference(first.report, file.report)}; give the reports "
                             "of shards run on the same case files")
        if shard.index in seen:
            raise MergeError(
                f"shard {shard.index} of {shard.count} is given twice: {seen[shard.index].name}"
                f" and {file.name}; give each shard's report once")
        seen[shard.index] = file
        if not file.report.interrupted and len(file.report.results) != shard.checked:
            raise MergeError(
                f"{file.name}: holds {_links(len(file.report.results))}, but shard "
                f"{shard.index} of {shard.count} has {shard.checked}: the report was edited "
                "or cut short; run that shard again")
        for what, mine, theirs in (
                ("--as-of", file.report.as_of, first.report.as_of),
                ("--confirm", file.report.confirm, first.report.confirm)):
            if mine != theirs:
                raise MergeError(f"{file.name} and {first.name} were run with different "
                                 f"{what}; run every shard with the same settings")
    owner: dict[tuple[SourceKey, str | None, int, int], str] = {}
    for file in files:
        for result in file.report.results:
            position = result.cited.position if result.cited else result.source.position
            key = (source_key(result), result.cited.url if result.cited else None,
                   position.line, position.column)
            if key in owner and owner[key] != file.name:
                raise MergeError(f"{owner[key]} and {file.name} both hold the link of source "
                                 f"`{result.source.id}` in {result.case.path} (line "
                                 f"{position.line}): they were split differently (by "
                                 "different versions of refcheck?); run the shards again "
                                 "with one version")
            owner[key] = file.name


def _difference(one: RunReport, other: RunReport) -> str:
    mine = [c.path for c in one.cases]
    theirs = [c.path for c in other.cases]
    if mine != theirs:
        extra = next((p for p in theirs if p not in mine), None)
        lacking = next((p for p in mine if p not in theirs), None)
        if extra is not None:
            return f"{extra} is a case file of one and not of the other"
        if lacking is not None:
            return f"{lacking} is a case file of one and not of the other"
        return "their case files were given in another order"
    return "the same case files, with other sources or URLs (were they changed between the runs?)"


def _agreed_fail_on(files: Sequence[ShardFile]) -> frozenset[Status]:
    first = files[0]
    for file in files[1:]:
        if file.read.fail_on != first.read.fail_on:
            def shown(statuses: frozenset[Status]) -> str:
                return ",".join(sorted(s.value for s in statuses)) or "none"

            raise MergeError(f"the shards were run with different --fail-on ({first.name}: "
                             f"{shown(first.read.fail_on)}; {file.name}: "
                             f"{shown(file.read.fail_on)}); give refcheck merge --fail-on to "
                             "choose")
    return first.read.fail_on


def _joined(files: Sequence[ShardFile], gaps: list[ShardGap]) -> RunReport:
    """One report of every shard's links, each source once with all its URLs."""
    first = files[0]
    results = [r for f in files for r in f.report.results]
    urls: dict[SourceKey, list[CitedUrl]] = {}
    sources: dict[SourceKey, Source] = {}
    for result in results:
        key = source_key(result)
        sources.setdefault(key, result.source)
        if result.cited is not None:
            urls.setdefault(key, []).append(result.cited)
    whole = {key: dataclasses.replace(source, urls=tuple(sorted(
        urls.get(key, []), key=lambda u: (u.position.line, u.position.column))))
        for key, source in sources.items()}
    by_case: dict[str, list[Source]] = {}
    for (path, _, _), source in whole.items():
        by_case.setdefault(path, []).append(source)
    cases: list[Case] = [dataclasses.replace(
        case, sources=tuple(sorted(by_case.get(case.path, []),
                                   key=lambda s: (s.position.line, s.position.column))))
        for case in first.report.cases]
    case_of = {case.path: case for case in cases}
    joined: list[LinkResult] = [
        dataclasses.replace(r, case=case_of[r.case.path], source=whole[source_key(r)])
        for r in results]
    warnings: list[Problem] = list(dict.fromkeys(w for f in files for w in f.report.warnings))
    starts = [f.report.started_at for f in files if f.report.started_at is not None]
    ends = [f.report.finished_at for f in files if f.report.finished_at is not None]
    shard = first.shard
    return RunReport(
        cases=cases, results=joined,
        network_unreachable=all(f.report.network_unreachable for f in files),
        warnings=warnings, as_of=first.report.as_of, confirm=first.report.confirm,
        started_at=min(starts) if starts else None, finished_at=max(ends) if ends else None,
        merged=Merged(shard.count, tuple(f.shard.index for f in files), tuple(gaps),
                      shard.audit),
        expected=shard.total)
