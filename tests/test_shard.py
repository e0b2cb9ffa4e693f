"""``--shard K/N`` and ``refcheck merge``: a large audit split by host over N machines, and
their reports joined into the one a single run would have written."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from refcheck import cases
from refcheck.archive import SERVICES, budget_settings
from refcheck.build import Options, build_settings
from refcheck.errors import Problem, UsageError
from refcheck.merge_command import run as run_merge_argv
from refcheck.model import (
    Archive,
    Capture,
    Case,
    CitedUrl,
    Confirm,
    Evidence,
    FailureKind,
    History,
    Hop,
    LinkResult,
    Lookup,
    LookupOutcome,
    Merged,
    Position,
    RunReport,
    Shard,
    ShardGap,
    Source,
    SourceKind,
    Status,
    decide,
)
from refcheck.report import Format
from refcheck.report.json import ReportReadError, read_report
from refcheck.shard import (
    DOI_HOST,
    ShardSpec,
    parse_shard,
    shard_host,
    shard_of,
    shard_of_host,
    split,
)
from tests.conftest import Waits, write_case
from tests.server import REGISTERED_DOI, EvidenceServer, free_port
from tests.test_labelled import labelled, simulated_web

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


# -- which shard a link is in --------------------------------------------------------------


@pytest.mark.parametrize(("text", "words"), [
    ("0/4", "numbered from 1 to N, so with 4 shards K must be 1 to 4"),
    ("5/4", "numbered from 1 to N, so with 4 shards K must be 1 to 4"),
    ("x", "`x` is not a shard; expected K/N, shard K of N"),
    ("3", "`3` is not a shard; expected K/N"),
    ("1/0", "N, the number of shards, must be at least 1"),
    ("-1/4", "expected K/N"),
    ("1/4/2", "expected K/N"),
    ("2/1", "with 1 shard K must be 1 ("),
])
def test_a_bad_shard_says_what_was_expected(text: str, words: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_shard(text)
    message = str(raised.value)
    assert message.startswith(f"--shard: `{text}`") and words in message
    assert "--shard 1/4" in message or "at most" in message


def test_good_shards_parse() -> None:
    assert parse_shard("2/4") == ShardSpec(2, 4)
    assert parse_shard(" 1 / 1 ") == ShardSpec(1, 1)
    assert str(parse_shard("4/4")) == "4/4"


@pytest.mark.parametrize("text", ["0/4", "5/4", "x", "3", ""])
def test_a_bad_shard_on_the_command_line_exits_2_without_a_traceback(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, text: str) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": server.url("/page")}])
    run = run_cli("--shard", text, str(case))
    assert run.exit_code == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith(f"refcheck: --shard: `{text}`")
    assert "expected" in run.stderr or "must be" in run.stderr
    assert server.seen == []  # nothing was fetched


def test_a_bad_shard_in_the_settings_file_names_the_file_and_line(
        tmp_path: Path, server: EvidenceServer, run_cli: Any) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": server.url("/page")}])
    (tmp_path / "refcheck.toml").write_text('shard = "9/4"\n')
    run = run_cli(str(case))
    assert run.exit_code == 2
    assert f"{tmp_path / 'refcheck.toml'}:1: shard: `9/4`" in run.stderr


def test_the_shard_of_a_host_is_the_same_everywhere() -> None:
    """blake2b of the host, not Python's hash (which differs between processes): these
    values are what every machine computes, in every version that reads the same reports."""
    assert [shard_of_host(h, 4) for h in ("www.gov.uk", "doi.org", "example.org")] == \
        [shard_of_host(h, 4) for h in ("www.gov.uk", "doi.org", "example.org")]
    assert shard_of_host("www.gov.uk", 4) == 1 + int.from_bytes(
        __import__("hashlib").blake2b(b"www.gov.uk", digest_size=8).digest(), "big") % 4
    assert {shard_of_host(f"h{i}.example.org", 1) for i in range(50)} == {1}


def test_a_link_is_placed_by_the_host_it_is_checked_at() -> None:
    assert shard_host("https://WWW.Example.ORG:8443/a#part") == "www.example.org"
    assert shard_host("https://user:pw@files.example.org/r.pdf?token=x") == "files.example.org"
    # A DOI is checked through the DOI system, whichever way it is written.
    for doi in ("https://doi.org/10.1002/car.934", "http://dx.doi.org/10.1002/car.934"):
        assert shard_host(doi) == DOI_HOST
    assert shard_of("https://dx.doi.org/10.1234/x", 7) == shard_of_host("doi.org", 7)


def _corpus(tmp_path: Path, hosts: int = 60) -> list[Case]:
    """Three case files over ``hosts`` hosts: sources with URLs on several hosts, several
    URLs on one host, DOIs as fields and as URLs, URLs in angle brackets, and sources
    without a URL."""
    loaded = []
    for f in range(3):
        sources: list[dict[str, Any]] = []
        for i in range(40):
            host = f"site{(i * 7 + f) % hosts}.example.org"
            other = f"site{(i * 13 + 5 + f) % hosts}.example.ac.uk"
            entry: dict[str, Any] = {"id": f"s{i}", "title": f"Source {i}"}
            if i % 10 == 9:
                pass  # no URL: held by the institution
            elif i % 5 == 0:
                entry["urls"] = [f"https://{host}/report-{i}.pdf", f"<https://{other}/{i}>",
                                 f"https://{host}/report-{i}.html"]
            elif i % 7 == 0:
                entry["url"] = f"https://dx.doi.org/10.1234/case{f}.{i}"
            else:
                entry["url"] = f"http://{host.upper()}/page/{i}"
            if i % 8 == 0:
                entry["doi"] = f"10.5555/ref{f}.{i}"
            sources.append(entry)
        path = write_case(tmp_path, sources, name=f"case{f}.yaml")
        loaded.append(cases.load(path).case)
    return loaded


def _links(cases_: list[Case]) -> list[tuple[str, str, str | None]]:
    return [(c.path, s.id, u.url) for c in cases_ for s in c.sources for u in s.urls] + [
        (c.path, s.id, None) for c in cases_ for s in c.sources if not s.urls]


def test_shards_split_by_host_and_together_hold_every_link_once(tmp_path: Path) -> None:
    whole = _corpus(tmp_path)
    every = _links(whole)
    count = 4
    parts = [split(whole, ShardSpec(k, count)) for k in range(1, count + 1)]
    held = [link for mine, _ in parts for link in _links(mine)]
    assert sorted(held, key=str) == sorted(every, key=str)  # each link once, none lost
    assert len(held) == len(every)
    shard_of_hosts: dict[str, set[int]] = defaultdict(set)
    for k, (mine, info) in enumerate(parts, 1):
        assert (info.index, info.count) == (k, count)
        assert info.checked == len(_links(mine)) == sum(
            len(s.urls) or 1 for c in mine for s in c.sources)
        assert info.total == len(every)
        for _, _, url in _links(mine):
            if url is not None:
                shard_of_hosts[shard_host(url)].add(k)
    assert all(len(shards) == 1 for shards in shard_of_hosts.values())  # a host, one shard
    assert shard_of_hosts[DOI_HOST] == {shard_of_host("doi.org", count)}
    assert len(shard_of_hosts) > 20 and all(info.checked for _, info in parts)
    # Every shard names the same audit, with the same counts of links per shard.
    assert len({(info.audit, info.links) for _, info in parts}) == 1
    # Sources without a URL are shard 1's; every shard keeps every case file.
    no_url = [link for link in every if link[2] is None]
    assert [link for link in _links(parts[0][0]) if link[2] is None] == no_url
    assert all([c.path for c in mine] == [c.path for c in whole] for mine, _ in parts)
    # A source whose URLs are on hosts of two shards is in both, with its own URLs in each.
    split_sources = sum(info.split_sources for _, info in parts)
    assert split_sources > 0


def test_the_audit_changes_with_the_case_files(tmp_path: Path) -> None:
    whole = _corpus(tmp_path)
    _, one = split(whole, ShardSpec(1, 4))
    _, fewer = split(whole[:2], ShardSpec(1, 4))
    _, other_n = split(whole, ShardSpec(1, 3))
    assert len({one.audit, fewer.audit, other_n.audit}) == 3


def test_a_shards_archive_budgets_are_divided_by_n() -> None:
    whole = build_settings(Options(given=frozenset()), env={})
    quarter = build_settings(Options(shard="2/4", given=frozenset({"shard"})), env={})
    assert quarter.shard == ShardSpec(2, 4)
    archives, shares = whole.check.archive_settings, quarter.check.archive_settings
    assert archives is not None and shares is not None
    for budget in budget_settings().values():
        assert shares.count(budget) == pytest.approx(archives.count(budget) / 4)
    assert SERVICES[Archive.WAYBACK].budgets[0].count / 4 == 6
    shown = {s.key: s for s in quarter.shown}
    assert shown["shard"].value == "2/4" and shown["shard"].origin == "option --shard"
    assert shown["archives.wayback_requests_per_minute"].value == "6"
    assert "divided by 4 (--shard)" in shown["archives.wayback_requests_per_minute"].origin
    one = build_settings(Options(shard="1/1", given=frozenset({"shard"})), env={})
    assert one.check.archive_settings == archives  # one shard: the whole budget


def test_the_settings_file_can_name_the_shard(tmp_path: Path) -> None:
    settings = tmp_path / "refcheck.toml"
    settings.write_text('shard = "3/5"\n[archives]\nukgwa_requests_per_second = 2\n')
    built = build_settings(Options(config=settings, given=frozenset()), env={})
    assert built.shard == ShardSpec(3, 5)
    limits = built.check.archive_settings
    assert limits is not None
    assert limits.count(SERVICES[Archive.UKGWA].budgets[0]) == pytest.approx(0.4)


# -- reading a JSON report back -------------------------------------------------------------


def rich_report() -> RunReport:
    """A run with every kind of field a report holds: redirects, captures, lookups found,
    failed and without a copy, failures, warnings with their excerpt, the memory of past
    runs (a reused success, failing streaks), --confirm, --as-of, and credentials."""
    path = "cases/rich.yaml"

    def source(ident: str, line: int, urls: list[str], kind: SourceKind = SourceKind.SOURCE,
               ) -> Source:
        return Source(ident, f"Source {ident} \x1b[31m[bold]", tuple(
            CitedUrl(u, Position(path, line + 1 + i, 10, "page 2, line 4" if i else None))
            for i, u in enumerate(urls)), Position(path, line, 5), kind)

    secret = "https://bob:pw@files.example.org/r.pdf?token=t0ps3cret&page=2"
    gone = "http://www.northernireland.gov.uk/news-dhssps-041112"
    sources = (
        source("a", 10, [secret, "https://www.gov.uk/moved"]),
        source("b", 14, [gone]),
        source("c", 17, ["https://example.org/wall"]),
        source("d", 20, []),
        source("R1", 30, ["https://doi.org/10.1002/car.934"], SourceKind.REFERENCE),
    )
    case = Case(path, "Rich case", sources, institution="Uni of Salford", id="19409",
                date=dt.date(2013, 11, 29))
    other = Case("cases/other.yaml", "Other", (source("x", 3, ["https://x.example/"]),))
    capture = Capture(Archive.UKGWA, f"https://webarchive.nationalarchives.gov.uk/ukgwa/"
                      f"20130305000000/{gone}", dt.datetime(2013, 3, 5, tzinfo=dt.UTC), gone,
                      "UKGWA")
    streak = History(first_seen=NOW - dt.timedelta(days=9), last_ok=NOW - dt.timedelta(days=10),
                     failing_since=NOW - dt.timedelta(days=9), failed_runs=5,
                     streak_status=Status.DEAD, streak_days=9)
    moved_to = "https://www.gov.uk/new-home"
    results = [
        LinkResult(case, sources[0], sources[0].urls[0], Status.DEAD, "404 Not Found",
                   NOW, http_status=404, evidence=Evidence.UNKNOWN,
                   lookups=(Lookup(Archive.UKGWA, LookupOutcome.FAILED, "429 Too Many Requests",
                                   label="UKGWA"),
                            Lookup(None, LookupOutcome.FAILED, "internal error: boom",
                                   label="the archives")),
                   listing=f"https://webarchive.nationalarchives.gov.uk/ukgwa/*/{secret}",
                   lookup_url="https://files.example.org/r.pdf?page=2",
                   history=streak, unconfirmed=True),
        LinkResult(case, sources[0], sources[0].urls[1], Status.MOVED,
                   f"moved to {moved_to}", NOW, http_status=200, final_url=moved_to,
                   redirects=(Hop(sources[0].urls[1].url, 301, "/x"), Hop(
                       "https://www.gov.uk/x", 302, moved_to)),
                   page_title="New home", evidence=Evidence.LIVE,
                   cached_at=NOW - dt.timedelta(hours=3),
                   history=History(NOW - dt.timedelta(days=30), NOW, None, 0)),
        LinkResult(case, sources[1], sources[1].urls[0], Status.DEAD, "the host name no "
                   "longer exists", NOW + dt.timedelta(seconds=1), failure=FailureKind.DNS,
                   archive=capture, evidence=Evidence.ARCHIVED,
                   lookups=(Lookup(Archive.UKGWA, LookupOutcome.FOUND, "", capture, "UKGWA"),),
                   listing=f"https://webarchive.nationalarchives.gov.uk/ukgwa/*/{gone}"),
        LinkResult(case, sources[2], sources[2].urls[0], Status.BLOCKED, "a bot wall",
                   NOW, http_status=403, evidence=Evidence.UNKNOWN,
                   lookups=(Lookup(Archive.UKGWA, LookupOutcome.NOT_ARCHIVED,
                                   label="UKGWA"),
                            Lookup(Archive.WAYBACK, LookupOutcome.NOT_ARCHIVED,
                                   "no usable capture among the 1 nearest: a 404",
                                   label="the Wayback Machine"))),
        LinkResult(case, sources[3], None, Status.NO_URL, "no URL: held by the institution",
                   NOW),
        LinkResult(case, sources[4], sources[4].urls[0], Status.ERROR, "out of open files",
                   NOW, failure=FailureKind.LOCAL),
        LinkResult(other, other.sources[0], other.sources[0].urls[0], Status.OK, "200 OK",
                   NOW.astimezone(dt.timezone(dt.timedelta(hours=1))), http_status=200,
                   page_title="X", evidence=Evidence.LIVE),
    ]
    warnings = [Problem(path, 12, 18, "title stops before `#2`: quote it", warning=True,
                        excerpt="    title: Annual report #2"),
                Problem(path, 3, None, "unknown key `ulr`; did you mean `url`?", warning=True)]
    return RunReport(cases=[case, other], results=results, warnings=warnings,
                     as_of=dt.date(2014, 1, 1), confirm=Confirm(3, 3), started_at=NOW,
                     finished_at=NOW + dt.timedelta(seconds=4))


def written(report: RunReport, form: Format = Format.json, *,
            fail_on: frozenset[Status] = frozenset({Status.DEAD, Status.INVALID})) -> str:
    out = io.StringIO()
    form.renderer().render(report, decide(report, fail_on), out)
    return out.getvalue()


def test_json_written_read_and_written_again_is_the_same() -> None:
    first = written(rich_report())
    again = read_report(first, "r.json")
    assert again.exit_code == 4  # the link out of open files: incomplete
    assert again.fail_on == frozenset({Status.DEAD, Status.INVALID})
    second = io.StringIO()
    Format.json.renderer().render(again.report, decide(again.report, again.fail_on), second)
    assert second.getvalue() == first
    assert "t0ps3cret" not in first and "pw@" not in first  # masked, and need not be known


@pytest.mark.parametrize("form", list(Format))
def test_a_report_read_back_renders_as_the_run_did_in_every_format(form: Format) -> None:
    run = rich_report()
    back = read_report(written(run), "r.json").report
    assert written(back, form) == written(run, form)


@pytest.mark.parametrize("change", ["shard", "merged", "interrupted", "no network"])
def test_round_trip_keeps_what_the_run_was(change: str) -> None:
    run = rich_report()
    if change == "shard":
        run.shard = Shard(2, 4, (3, 7, 1, 0), 1, "abc")
    elif change == "merged":
        run.merged = Merged(4, (1, 2, 4), (ShardGap(3, 12, "missing"),
                                           ShardGap(4, 2, "no network")), "abc")
        run.expected = 21
    elif change == "interrupted":
        run.interrupted = run.terminated = True
        run.results.pop()
    else:
        run.network_unreachable = True
    text = written(run)
    back = read_report(text, "r.json")
    assert written(back.report) == text
    assert back.report.total_links() == run.total_links()
    for form in Format:
        assert written(back.report, form) == written(run, form)


@pytest.mark.parametrize(("text", "words"), [
    ('{"schema": "refcheck-report/1", "links": [}', "r.json:1:43: not JSON: "),
    ("[1, 2]", 'r.json: not a refcheck report (it has no "schema"'),
    ('{"name": "eslint", "results": []}', "r.json: not a refcheck report"),
    ('{"schema": "other/2"}', "r.json: schema: `other/2`: this refcheck reads "
                              "refcheck-report/1 reports"),
])
def test_what_is_not_a_report_is_refused_where_it_fails(text: str, words: str) -> None:
    with pytest.raises(ReportReadError) as raised:
        read_report(text, "r.json")
    assert str(raised.value).startswith(words)
    assert "--report json:PATH" in str(raised.value)


@pytest.mark.parametrize(("path", "value", "words"), [
    (("links", 2, "status"), "gone", "r.json: links[2].status: `gone` is not one of: ok, "),
    (("links", 0, "redirects"), "x", "r.json: links[0].redirects: expected a list; found "
                                     '"x"'),
    (("links", 2, "archive", "captured"), "yesterday",
     "r.json: links[2].archive.captured: `yesterday` is not a date and time"),
    (("summary", "expected_links"), None, "r.json: summary.expected_links: expected a whole "
                                          "number; found null"),
    (("cases", 0, "title"), 3, "r.json: cases[0].title: expected text; found 3"),
    (("links", 1, "file"), "elsewhere.yaml", "r.json: links[1].file: `elsewhere.yaml` is not "
                                             "one of the report's cases"),
])
def test_a_damaged_report_is_refused_naming_the_field(path: tuple[Any, ...], value: Any,
                                                      words: str) -> None:
    document = json.loads(written(rich_report()))
    at = document
    for key in path[:-1]:
        at = at[key]
    at[path[-1]] = value
    with pytest.raises(ReportReadError) as raised:
        read_report(json.dumps(document), "r.json")
    assert str(raised.value).startswith(words)


# -- shards and merge, end to end -------------------------------------------------------


def run_merge(*args: str) -> tuple[int, str, str]:
    import contextlib

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_merge_argv(list(args))
    return code, out.getvalue(), err.getvalue()


VOLATILE = ("checked_at",)


def unprobed(text: str) -> str:
    """The sibling probe's made-up address is new in every run."""
    return re.sub(r"refcheck-probe-[0-9a-f]+", "refcheck-probe-*", text)


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """A JSON report without what differs between two runs of the same links: the time
    and how it was run (shards, merged)."""
    document = {k: v for k, v in report.items() if k not in (
        "started_at", "finished_at", "shard", "merged")}
    document["links"] = [{k: unprobed(v) if isinstance(v, str) else v
                          for k, v in link.items() if k not in VOLATILE}
                         for link in report["links"]]
    return document


@pytest.fixture
def audit(tmp_path: Path, server: EvidenceServer) -> Path:
    """The labelled behaviours (the local server, and the hosts of the simulated web),
    with DOIs, sources with URLs on several hosts and a source without a URL, in two case
    files."""
    # Not the page that trickles until the deadline cuts it off: whether each run's other
    # answers came in before that deadline is the machine's load, not the shards' doing
    # (test_labelled judges it).
    items = [item for item in labelled(server, free_port()) if item[0] != "/trickle"]
    sources: list[dict[str, Any]] = [
        {"id": f"L{i}", "title": label, "url": url, **extra}
        for i, (label, url, _, extra) in enumerate(items)]
    sources.append({"id": "doi-field", "title": "Article", "doi": f"doi:{REGISTERED_DOI}"})
    port = server.server_address[1]
    sources.append({"id": "two-hosts", "title": "Report", "urls": [
        server.url("/gone404"), f"http://localhost:{port}/page",
        f"http://salfordcvs.org.uk:{port}/"]})
    sources.append({"id": "letter", "title": "Letter from the charity"})
    half = len(sources) // 2
    folder = tmp_path / "cases"
    folder.mkdir()
    write_case(folder, sources[:half], name="one.yaml")
    write_case(folder, sources[half:], name="two.yaml", title="Second case")
    return folder


def test_merged_shards_report_what_one_run_reports(audit: Path, tmp_path: Path,
                                                   server: EvidenceServer, run_cli: Any,
                                                   waits: Waits) -> None:
    parts = simulated_web(waits)
    common = ("--no-cache",)
    server.reset_counts()
    whole_run = run_cli(str(audit), "--format", "json", *common, parts=parts)
    whole = json.loads(whole_run.stdout)
    # A real run's report, read back, is written again as it was.
    alone = read_report(whole_run.stdout, "whole.json")
    assert written(alone.report, fail_on=alone.fail_on) == whole_run.stdout
    count = 3
    shard_reports = []
    for k in range(1, count + 1):
        server.reset_counts()
        path = tmp_path / f"shard-{k}.json"
        shard_run = run_cli(str(audit), "--shard", f"{k}/{count}", *common,
                            "--report", f"json:{path}", parts=parts)
        shard = json.loads(path.read_text())
        shard_reports.append(shard)
        info = shard["shard"]
        assert (info["index"], info["count"]) == (k, count)
        assert info["total_links"] == whole["summary"]["expected_links"]
        assert info["links"] == shard["summary"]["links"] == len(shard["links"])
        assert shard["summary"]["expected_links"] == info["links"]
        # The terminal report says plainly what it is, and counts only its own links.
        assert (f"Shard {k} of {count}: this report holds the {info['links']} of the "
                f"{info['total_links']} links in these case files whose host falls in shard "
                f"{k}. The other {info['total_links'] - info['links']} are the other "
                "shards' to check, and are neither shown nor counted here") in shard_run.stdout
        assert f"{info['links']} links in 2 case files" in shard_run.stdout
        assert f"shard {k} of {count}: checking {info['links']} of the" in shard_run.stderr
        assert shard_run.exit_code == shard["exit_code"]
        assert shard["exit_code"] == decide_of(shard)

    # Every link is in exactly one shard, each host in one shard, and together they are
    # the whole run's links.
    def ident(link: dict[str, Any]) -> tuple[Any, ...]:
        return (link["file"], link["source"], link["url"], link["line"])

    held = [ident(link) for shard in shard_reports for link in shard["links"]]
    assert sorted(held, key=str) == sorted((ident(link) for link in whole["links"]), key=str)
    hosts: dict[str, set[int]] = defaultdict(set)
    for k, shard in enumerate(shard_reports, 1):
        for link in shard["links"]:
            if link["url"] is not None:
                hosts[shard_host(link["url"])].add(k)
    assert all(len(held_by) == 1 for held_by in hosts.values())
    assert len(hosts) > 10 and sum(1 for s in shard_reports if s["links"]) == count

    paths = [str(tmp_path / f"shard-{k}.json") for k in range(1, count + 1)]
    code, out, err = run_merge(*reversed(paths), "--format", "json")
    merged = json.loads(out)
    assert code == whole["exit_code"] == whole_run.exit_code == 1
    assert merged["merged"] == {"count": count, "shards": [1, 2, 3], "gaps": [],
                                "audit": shard_reports[0]["shard"]["audit"]}
    assert f"shards 1, 2, 3 of {count} merged" in err
    mine, theirs = comparable(merged), comparable(whole)
    differ = [(a, b) for a, b in zip(mine["links"], theirs["links"], strict=True) if a != b]
    assert [{k: (a[k], b[k]) for k in a if a[k] != b[k]} for a, b in differ] == []
    assert mine == theirs
    statuses = {ident(link): link["status"] for link in merged["links"]}
    assert statuses == {ident(link): link["status"] for link in whole["links"]}
    # In every other format too, the merged report is the single run's.
    for form in ("terminal", "markdown", "junit", "github"):
        code, out, _ = run_merge(*paths, "--format", form)
        assert code == 1
        expected = written(alone.report, Format(form), fail_on=alone.fail_on)
        assert unprobed(out) == unprobed(expected)


def decide_of(document: dict[str, Any]) -> int:
    back = read_report(json.dumps(document), "shard.json")
    return int(decide(back.report, back.fail_on).exit_code)


@pytest.fixture
def shards(tmp_path: Path, server: EvidenceServer, run_cli: Any) -> list[Path]:
    """Three shards' reports of a small audit over several hosts (no network needed: the
    hosts that do not exist are dead)."""
    port = server.server_address[1]
    sources = [{"id": f"s{i}", "title": f"Page {i}", "url": f"http://{host}:{port}/page"}
               for i, host in enumerate(["127.0.0.1", "localhost", "salfordcvs.org.uk",
                                         "dan.com", "youthvoice.org.uk", "old-project.org.uk",
                                         "councilreports.org.uk", "evidence-hub.co.uk"])]
    sources.append({"id": "gone", "title": "Gone", "url": server.url("/gone404")})
    sources.append({"id": "letter", "title": "Letter"})
    case = write_case(tmp_path, sources)
    paths = []
    for k in (1, 2, 3):
        path = tmp_path / f"shard-{k}.json"
        run = run_cli(str(case), "--shard", f"{k}/3", "--no-archive", "--no-cache",
                      "--format", "json", "-o", str(path), parts=simulated_web(Waits()))
        assert run.exit_code in (0, 1)
        paths.append(path)
    return paths


def test_a_missing_shard_is_merged_without_and_said(shards: list[Path]) -> None:
    missing = json.loads(shards[1].read_text())["shard"]
    code, out, err = run_merge(str(shards[0]), str(shards[2]), "--format", "json")
    assert code == 4
    assert (f"shard 2 of 3 is missing (no report of it was given): its {missing['links']} "
            "link") in err
    report = json.loads(out)
    assert report["complete"] is False and report["exit_code"] == 4
    assert report["merged"]["gaps"] == [{"shard": 2, "links": missing["links"],
                                         "reason": "missing"}]
    assert report["summary"]["expected_links"] == missing["total_links"]
    assert report["summary"]["links"] == missing["total_links"] - missing["links"]
    code, out, _ = run_merge(str(shards[0]), str(shards[2]))
    assert code == 4
    assert f"Shard 2 of 3 is missing: its {missing['links']} link" in out
    assert "This report is incomplete (exit code 4)" in out


@pytest.mark.parametrize(("change", "words"), [
    ("interrupted", "shard 2 of 3 ({path}) was interrupted: 1 link of it is not in the merged "
                    "report"),
    ("no network", "shard 2 of 3 ({path}) had no network: its {links} links were not checked"),
])
def test_a_shard_that_did_not_finish_leaves_the_merge_incomplete(
        shards: list[Path], tmp_path: Path, change: str, words: str) -> None:
    document = json.loads(shards[1].read_text())
    if change == "interrupted":
        document["exit_code"], document["complete"] = 130, False
        document["links"].pop()
    else:
        document["exit_code"], document["network"] = 3, "unreachable"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document))
    code, out, err = run_merge(str(shards[0]), str(path), str(shards[2]), "--format", "json")
    assert code == 4
    assert words.format(path=path, links=document["shard"]["links"]) in err
    assert json.loads(out)["merged"]["gaps"][0]["reason"] == change
    # Every shard without a network: as one run without one, nothing was concluded (3).
    for other in (shards[0], shards[2]):
        cut = json.loads(other.read_text())
        cut["exit_code"], cut["network"] = 3, "unreachable"
        other.write_text(json.dumps(cut))
    if change == "no network":
        code, _, _ = run_merge(str(shards[0]), str(path), str(shards[2]))
        assert code == 3


def test_a_shard_given_twice_is_refused(shards: list[Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy.json"
    copy.write_text(shards[1].read_text())
    code, out, err = run_merge(*map(str, shards), str(copy))
    assert code == 2 and out == ""
    assert f"shard 2 of 3 is given twice: {shards[1]} and {copy}" in err


def test_shards_of_other_audits_are_refused(shards: list[Path], tmp_path: Path,
                                            run_cli: Any, server: EvidenceServer) -> None:
    other_case = write_case(tmp_path, [{"id": "a", "title": "A", "url": server.url("/page")}],
                            name="other.yaml")
    other = tmp_path / "other-2.json"
    run_cli(str(other_case), "--shard", "2/3", "--no-archive", "--no-cache",
            "--report", f"json:{other}")
    code, _, err = run_merge(str(shards[0]), str(other))
    assert code == 2
    assert f"{other} and {shards[0]} are not of one audit: " in err
    assert "is a case file of one and not of the other" in err
    four = tmp_path / "four.json"
    run_cli(str(other_case), "--shard", "1/4", "--no-archive", "--no-cache",
            "--report", f"json:{four}")
    code, _, err = run_merge(str(shards[0]), str(four))
    assert code == 2 and f"{four} is shard 1 of 4, but {shards[0]} is shard 1 of 3" in err


def test_a_whole_runs_report_or_a_broken_file_is_refused(shards: list[Path], tmp_path: Path,
                                                         run_cli: Any,
                                                         server: EvidenceServer) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A", "url": server.url("/page")}],
                      name="whole.yaml")
    whole = tmp_path / "whole.json"
    run_cli(str(case), "--no-archive", "--report", f"json:{whole}")
    code, _, err = run_merge(str(shards[0]), str(whole))
    assert code == 2 and f"refcheck merge: {whole}: not a shard's report" in err
    broken = tmp_path / "broken.json"
    broken.write_text(shards[1].read_text()[:-200])
    code, _, err = run_merge(str(shards[0]), str(broken))
    assert code == 2 and f"refcheck merge: {broken}:" in err and ": not JSON: " in err
    assert "Traceback" not in err
    other = tmp_path / "eslint.json"
    other.write_text('[{"filePath": "a.js", "messages": []}]')
    code, _, err = run_merge(str(other))
    assert code == 2 and f"{other}: not a refcheck report" in err
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    code, _, err = run_merge(str(binary))
    assert code == 2 and f"{binary}: not a refcheck report: byte 0 is not UTF-8" in err
    code, _, err = run_merge(str(tmp_path / "absent.json"))
    assert code == 2 and "absent.json: cannot read the report: No such file" in err
    edited = json.loads(shards[2].read_text())
    edited["links"][0]["status"] = "fine"
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(edited))
    code, _, err = run_merge(str(shards[0]), str(bad))
    assert code == 2 and f"{bad}: links[0].status: `fine` is not one of: " in err


def test_a_shard_report_saved_with_a_byte_order_mark_is_merged(shards: list[Path]) -> None:
    """A report opened and saved again in a Windows editor gets a UTF-8 BOM: that was
    refused in Python's words, "Unexpected UTF-8 BOM (decode using utf-8-sig)"."""
    shards[1].write_bytes(b"\xef\xbb\xbf" + shards[1].read_bytes())
    code, out, err = run_merge(*map(str, shards), "--format", "json")
    assert "BOM" not in err and "utf-8-sig" not in err
    whole = json.loads(out)
    assert whole["complete"] is True and code == whole["exit_code"]


def test_merge_writes_every_format_asked_and_its_own_fail_on(shards: list[Path],
                                                             tmp_path: Path) -> None:
    html, junit = tmp_path / "merged.html", tmp_path / "merged.xml"
    code, out, err = run_merge(*map(str, shards), "--report", f"html:{html}",
                               "--report", f"junit:{junit}", "-q")
    assert code == 1  # /gone404 is dead
    assert html.read_text().startswith("<!doctype html>") and "<testsuites" in junit.read_text()
    assert "Shard" not in out  # a whole merge reads as one run
    code, _, _ = run_merge(*map(str, shards), "--fail-on", "none")
    assert code == 0
    code, _, err = run_merge(*map(str, shards), "--fail-on", "gone")
    assert code == 2 and "unknown status `gone`" in err


def test_a_shards_report_says_what_it_holds_in_every_format(shards: list[Path]) -> None:
    back = read_report(shards[1].read_text(), "s.json").report
    assert back.shard is not None
    for form in Format:
        text = written(back, form)
        if form is Format.csv:
            continue  # rows of links only: a shard's CSV holds its own links
        if form is Format.json:
            assert json.loads(text)["shard"]["index"] == 2
            continue
        assert "2 of 3" in text, form
    github = written(back, Format.github)
    assert "::notice title=refcheck::Shard 2 of 3: " in github


def test_shards_with_different_settings_are_refused(shards: list[Path], tmp_path: Path) -> None:
    edited = json.loads(shards[2].read_text())
    edited["fail_on"] = ["dead"]
    bad = tmp_path / "fail-on.json"
    bad.write_text(json.dumps(edited))
    code, _, err = run_merge(str(shards[0]), str(bad))
    assert code == 2 and "the shards were run with different --fail-on" in err
    code, _, _ = run_merge(str(shards[0]), str(shards[1]), str(bad), "--fail-on", "dead")
    assert code in (0, 1)


def test_source_split_between_shards_takes_the_best_of_all_its_urls(
        tmp_path: Path, server: EvidenceServer, run_cli: Any) -> None:
    """A source with a dead URL in one shard and a live one in another: the shard with the
    dead one fails on its own links, as it must; the merge, like a single run, does not."""
    port = server.server_address[1]
    dead, live = server.url("/gone404"), f"http://localhost:{port}/page"
    count = next(n for n in range(2, 20) if shard_of(dead, n) != shard_of(live, n))
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "urls": [dead, live]}])
    paths, codes = [], []
    for k in (shard_of(dead, count), shard_of(live, count)):
        path = tmp_path / f"s{k}.json"
        run = run_cli(str(case), "--shard", f"{k}/{count}", "--no-archive", "--no-cache",
                      "--report", f"json:{path}")
        codes.append(run.exit_code)
        paths.append(str(path))
        assert "1 source also cites URLs that other shards check" in run.stdout
    assert codes == [1, 0]
    whole = run_cli(str(case), "--no-archive", "--no-cache")
    # Shards with no links need no report.
    code, out, err = run_merge(*paths)
    assert code == whole.exit_code == 0
    assert count == 2 or "has no links: no report of it is needed" in err
    assert "✓ No link needs attention." in out
    assert "(the best of its 2 URLs)" in out


def test_a_shard_fetches_only_its_own_links(tmp_path: Path, server: EvidenceServer,
                                            run_cli: Any) -> None:
    port = server.server_address[1]
    mine, theirs = f"http://localhost:{port}/page", server.url("/gone404")
    count = next(n for n in range(2, 20) if shard_of(mine, n) != shard_of(theirs, n))
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": mine},
                                 {"id": "b", "title": "Gone", "url": theirs},
                                 {"id": "c", "title": "Letter"}])
    k = shard_of(mine, count)
    run = run_cli(str(case), "--shard", f"{k}/{count}", "--no-cache", "-f", "json")
    assert "/page" in server.seen and "/gone404" not in server.seen
    report = json.loads(run.stdout)
    assert [link["source"] for link in report["links"]] == (["a", "c"] if k == 1 else ["a"])
    assert report["summary"]["by_status"]["dead"] == 0 and run.exit_code == 0


@pytest.mark.parametrize("how", [["-o", "{shard}"], ["--report", "json:{shard}"],
                                 ["-o", "{out}", "--report", "html:{out}"]])
def test_merge_never_writes_over_a_shards_report_or_two_reports_to_one_file(
        shards: list[Path], tmp_path: Path, how: list[str]) -> None:
    before = shards[0].read_bytes()
    args = [arg.format(shard=shards[0], out=tmp_path / "audit.json") for arg in how]
    code, out, err = run_merge(*map(str, shards), "-f", "json", *args)
    assert code == 2 and out == ""
    assert shards[0].read_bytes() == before and not (tmp_path / "audit.json").exists()
    assert ("is one of the files being read" in err if "{shard}" in how[-1] else
            "is named for the json report too, and the one written last would replace the "
            "other; give each report its own file" in err)


def test_merge_output_named_for_a_format_gets_that_format(
        shards: list[Path], tmp_path: Path) -> None:
    """`refcheck merge shard-*.json -o audit.html` wrote the terminal's text in it."""
    _, _, err = run_merge(*map(str, shards), "-o", str(tmp_path / "audit.html"))
    assert "html report written to" in err
    assert (tmp_path / "audit.html").read_text().startswith("<!doctype html>")
