"""``--shard K/N``: one machine's share of a large audit, split by host.

A link belongs to shard ``blake2b(host) mod N + 1``, where the host is the lower-cased host
of the URL as checked (after the case file's ``< >``, quotes and the like were taken off);
a DOI (``doi:`` or a doi.org address) is checked through the DOI system, so it is
``doi.org``'s. Every link of a host is in one shard, so each host's politeness
(``--per-host``, ``--host-interval``) holds across machines however many run at once, and
the split is the same on every machine and in every run. Sources without a URL are
shard 1's. A shard checks its own links only: the links of other shards are not fetched
and are neither shown nor counted in its report, which says how many there are.

The archives are the one thing all shards ask: a shard's archive budgets are divided by N
(``build``), so that N machines together ask each archive no more than one would.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from refcheck.checker import AUTO_COMPARE_URLS, CheckOptions
from refcheck.errors import UsageError
from refcheck.model import Case, CitedUrl, Shard, Source
from refcheck.urls import dedupe_key, doi_of, host_of, mask, url_problem
from refcheck.verdict import excluded_by

#: More shards than this is a mistake (a report lists every shard's links).
MAX_SHARDS = 1000

#: The host a DOI is checked at, whatever resolver or handle API the run is pointed at:
#: a DOI's shard is the same on every machine.
DOI_HOST = "doi.org"

_SHAPE = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class ShardSpec:
    """Shard ``index`` (K, from 1) of ``count`` (N)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str, where: str = "--shard") -> ShardSpec:
    """``K/N`` with 1 <= K <= N; a ``UsageError`` saying what was expected otherwise."""
    example = "e.g. --shard 1/4, --shard 2/4, ... --shard 4/4 on four machines"
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise UsageError(f"{where}: `{text}` is not a shard; expected K/N, shard K of N "
                         f"({example})")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise UsageError(f"{where}: `{text}`: N, the number of shards, must be at least 1 "
                         f"({example})")
    if count > MAX_SHARDS:
        raise UsageError(f"{where}: `{text}`: at most {MAX_SHARDS} shards")
    if not 1 <= index <= count:
        raise UsageError(f"{where}: `{text}`: shards are numbered from 1 to N, so with "
                         f"{count} shard{'s' if count != 1 else ''} K must be 1"
                         f"{f' to {count}' if count > 1 else ''} ({example})")
    return ShardSpec(index, count)


def shard_host(url: str) -> str:
    """The host whose hash places a link: the lower-cased host of the URL as checked, or
    ``doi.org`` for a DOI."""
    if doi_of(url) is not None:
        return DOI_HOST
    return host_of(dedupe_key(url))


def shard_of_host(host: str, count: int) -> int:
    """The shard (1 to ``count``) a host's links belong to: the same on every machine
    (blake2b, not Python's ``hash``, which changes from process to process)."""
    digest = hashlib.blake2b(host.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count + 1


def shard_of(url: str, count: int) -> int:
    return shard_of_host(shard_host(url), count)


def audit_id(cases: Sequence[Case], count: int) -> str:
    """Names an audit: its case files, their sources and URLs (masked: the id says nothing
    a report does not), and N. Shards of one audit have the same; ``merge`` checks it."""
    digest = hashlib.blake2b(digest_size=12)
    digest.update(f"{count}\n".encode())
    for case in cases:
        for source in case.sources:
            for url in [u.url for u in source.urls] or [""]:
                line = f"{case.path}\t{source.kind.value}\t{source.id}\t{mask(url)}\n"
                digest.update(line.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def split(cases: Sequence[Case], spec: ShardSpec) -> tuple[list[Case], Shard]:
    """The case files as this shard checks them (each source with only this shard's URLs;
    sources with none left out, sources without a URL kept by shard 1), and what its
    report says of the split."""
    counts = [0] * spec.count
    split_sources = 0
    mine: list[Case] = []
    for case in cases:
        kept: list[Source] = []
        for source in case.sources:
            if not source.urls:
                counts[0] += 1
                if spec.index == 1:
                    kept.append(source)
                continue
            urls: list[CitedUrl] = []
            for cited in source.urls:
                shard = shard_of(cited.url, spec.count)
                counts[shard - 1] += 1
                if shard == spec.index:
                    urls.append(cited)
            if urls:
                kept.append(source if len(urls) == len(source.urls)
                            else dataclasses.replace(source, urls=tuple(urls)))
                split_sources += len(urls) < len(source.urls)
        mine.append(dataclasses.replace(case, sources=tuple(kept)))
    return mine, Shard(spec.index, spec.count, tuple(counts), split_sources,
                       audit_id(cases, spec.count))


def shard_options(cases: Sequence[Case], options: CheckOptions) -> CheckOptions:
    """The check's options for one shard of ``cases``: ``--compare-archive auto`` decides
    by the whole audit's distinct URLs, as a run of all of it would (a shard has fewer
    and would otherwise compare where the whole run does not)."""
    if options.compare_archive != "auto":
        return options
    urls = {dedupe_key(u.url) for case in cases for source in case.sources
            for u in source.urls
            if url_problem(u.url) is None
            and excluded_by(u.url, options.include, options.exclude) is None}
    if len(urls) <= AUTO_COMPARE_URLS:
        return options
    return dataclasses.replace(options, compare_archive="never")


def for_shard(cases: Sequence[Case], spec: ShardSpec, options: CheckOptions
              ) -> tuple[list[Case], Shard, CheckOptions]:
    """What a run of shard ``spec`` checks, what its report says of the split, and its
    check's options."""
    mine, shard = split(cases, spec)
    return mine, shard, shard_options(cases, options)


def started(shard: Shard) -> str:
    """What the CLI says on stderr as a shard's run begins."""
    return (f"refcheck: shard {shard.index} of {shard.count}: checking {shard.checked} of the "
            f"{shard.total} links (those whose host falls in this shard)")
