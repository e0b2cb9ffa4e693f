"""The memory of past runs, end to end: the CLI against the local server, with a clock the
test moves (no test sleeps), and real SQLite files shared by real processes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from refcheck import cli
from tests.conftest import Waits, parts_with, write_case
from tests.server import EvidenceServer

ROOT = Path(__file__).resolve().parents[1]
WARNING = "the memory of past runs"


def parts(waits: Waits) -> cli.Parts:
    """The run's parts, with the checker's clock the test's own."""
    return dataclasses.replace(parts_with(waits), clock=waits.clock)


def links(run: Any, server: EvidenceServer) -> dict[str, dict[str, Any]]:
    return {link["url"].replace(server.base, ""): link
            for link in json.loads(run.stdout)["links"]}


def fetched(server: EvidenceServer) -> set[str]:
    """The evidence pages the server was asked for (not the archives)."""
    return {p.split("?", 1)[0] for p in server.seen
            if not p.startswith(("/ukgwa", "/wayback"))}


@pytest.fixture
def mixed_case(tmp_path: Path, server: EvidenceServer) -> Path:
    return write_case(tmp_path, [
        {"id": "a", "title": "A page", "url": server.url("/page")},
        {"id": "b", "title": "A long page", "url": server.url("/long-page"),
         "quote": "brought services together around families"},
        {"id": "c", "title": "A PDF", "url": server.url("/report.pdf")},
        {"id": "d", "title": "Gone", "url": server.url("/gone404")},
        {"id": "e", "title": "Forbidden", "url": server.url("/forbidden")},
    ])


def test_a_second_run_fetches_only_the_links_that_failed(
        run_cli: Any, mixed_case: Path, server: EvidenceServer, waits: Waits) -> None:
    first = run_cli(str(mixed_case), "-f", "json", "--no-archive", parts=parts(waits))
    assert first.exit_code == 1
    assert {u: link["cached"] for u, link in links(first, server).items()} == dict.fromkeys(
        ["/page", "/long-page", "/report.pdf", "/gone404", "/forbidden"], False)
    server.reset_counts()
    waits.now += dt.timedelta(hours=3)
    second = run_cli(str(mixed_case), "-f", "json", "--no-archive", parts=parts(waits))
    assert second.exit_code == 1
    assert fetched(server) == {"/gone404", "/forbidden"}
    assert server.seen.count("/gone404") == 1 and server.seen.count("/forbidden") == 1
    found = links(second, server)
    assert {u: (link["status"], link["cached"]) for u, link in found.items()} == {
        "/page": ("ok", True), "/long-page": ("ok", True), "/report.pdf": ("ok", True),
        "/gone404": ("dead", False), "/forbidden": ("blocked", False)}
    assert "the quote is there" in found["/long-page"]["detail"]
    assert found["/page"]["http_status"] == 200
    server.reset_counts()
    terminal = run_cli(str(mixed_case), "--no-archive", parts=parts(waits))
    assert "checked 3 hours ago" in terminal.stdout
    assert WARNING not in terminal.stderr


def test_max_cache_age_0_fetches_every_link_again(
        run_cli: Any, mixed_case: Path, server: EvidenceServer, waits: Waits) -> None:
    run_cli(str(mixed_case), "-f", "json", "--no-archive", parts=parts(waits))
    server.reset_counts()
    again = run_cli(str(mixed_case), "-f", "json", "--no-archive", "--max-cache-age", "0",
                    parts=parts(waits))
    assert {"/page", "/long-page", "/report.pdf", "/gone404", "/forbidden"} <= fetched(server)
    assert not any(link["cached"] for link in links(again, server).values())


def test_a_success_older_than_max_cache_age_is_fetched_again(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A", "url": server.url("/page")}])
    run_cli(str(case), "-f", "json", parts=parts(waits))
    waits.now += dt.timedelta(hours=11)
    server.reset_counts()
    run_cli(str(case), "-f", "json", "--max-cache-age", "12h", parts=parts(waits))
    assert fetched(server) == set()
    waits.now += dt.timedelta(hours=2)  # 13 hours after the success was seen
    run_cli(str(case), "-f", "json", "--max-cache-age", "12h", parts=parts(waits))
    assert "/page" in fetched(server)


def test_a_bad_max_cache_age_is_refused(run_cli: Any, mixed_case: Path) -> None:
    run = run_cli(str(mixed_case), "--max-cache-age", "soon")
    assert run.exit_code == 2
    assert "--max-cache-age: `soon` is not a duration; expected e.g. 0, 30m, 12h" in run.stderr


def test_a_link_that_fails_after_a_success_is_not_reused_afterwards(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """A failure (seen with --max-cache-age 0) forgets the success an earlier run kept."""
    case = write_case(tmp_path, [{"id": "a", "title": "A", "url": server.url("/flaky503")}])
    first = run_cli(str(case), "-f", "json", parts=parts(waits))  # 503, then 200 on retry
    assert links(first, server)["/flaky503"]["status"] == "ok"
    server.reset_counts()  # the next request gets the 503 again
    failed = run_cli(str(case), "-f", "json", "--max-cache-age", "0", "--retries", "0",
                     parts=parts(waits))
    assert links(failed, server)["/flaky503"]["status"] == "error"
    server.reset_counts()
    run_cli(str(case), "-f", "json", parts=parts(waits))
    assert "/flaky503" in fetched(server)


def test_confirm_counts_a_failure_only_after_the_runs_and_days_asked_for(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    case = write_case(tmp_path, [
        {"id": "a", "title": "Gone", "url": server.url("/gone404")},
        {"id": "b", "title": "Fine", "url": server.url("/page")}])
    args = (str(case), "--confirm", "3:3", "--no-archive", "--max-cache-age", "0")

    def run(*more: str) -> Any:
        return run_cli(*args, *more, parts=parts(waits))

    day0 = waits.now
    first = run()
    assert first.exit_code == 0
    assert "failed for the first time today" in first.stdout
    assert "unconfirmed: not counted towards the exit code until it has failed in 3 runs " \
           "over 3 days" in first.stdout
    report = json.loads(run("-f", "json").stdout)  # a second run, the same day
    gone = next(link for link in report["links"] if link["source"] == "a")
    assert (gone["status"], gone["unconfirmed"], report["exit_code"]) == ("dead", True, 0)
    assert gone["history"] == {"first_seen": day0.isoformat(), "last_ok": None,
                               "failing_since": day0.isoformat(), "failed_runs": 2,
                               "streak_status": "dead", "streak_days": 1, "failed_before": None,
        "recovered_from": None, "recovered_runs": 0}
    fine = next(link for link in report["links"] if link["source"] == "b")
    assert fine["history"]["last_ok"] == day0.isoformat() and not fine["unconfirmed"]
    waits.now = day0 + dt.timedelta(days=1)
    assert run().exit_code == 0  # 3 runs, over 2 days
    waits.now = day0 + dt.timedelta(days=2, hours=1)
    last = run()
    assert last.exit_code == 1  # 4 runs, over 3 days: confirmed
    assert "dead since 26 November 2026 (4 runs over 3 days)" in last.stdout
    assert "unconfirmed" not in last.stdout


def test_a_source_whose_quote_is_there_is_not_told_another_sources_drift(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """One page cited by two sources, one of them with a quote the page no longer has. The
    memory keeps one observation of the page (drifted), and the source that quotes nothing
    was shown `✓ ok` and, under it, "drifted since 26 November 2026 (3 runs over 3 days)"."""
    case = write_case(tmp_path, [
        {"id": "a", "title": "The page", "url": server.url("/long-page")},
        {"id": "b", "title": "The page, quoted", "url": server.url("/long-page"),
         "quote": "a sentence the page never had"}])
    day0 = waits.now
    for _ in range(3):
        run = run_cli(str(case), "-f", "json", "--no-archive", "--confirm", "2:2",
                      parts=parts(waits))
        waits.now += dt.timedelta(days=1)
    fine, drifted = json.loads(run.stdout)["links"]
    assert (fine["status"], fine["unconfirmed"]) == ("ok", False)
    assert fine["history"]["failing_since"] is None and fine["history"]["failed_runs"] == 0
    assert (drifted["status"], drifted["unconfirmed"]) == ("drifted", False)
    assert drifted["history"]["failing_since"] == day0.isoformat()
    assert drifted["history"]["failed_runs"] == 3
    assert run.exit_code == 1
    terminal = run_cli(str(case), "--no-archive", parts=parts(waits)).stdout
    assert terminal.count("drifted since 26 November 2026 (4 runs over 4 days)") == 1
    fine_block = terminal.split("The page, quoted")[0]
    assert "since" not in fine_block and "first time" not in fine_block


def test_every_report_says_what_the_memory_knows_not_only_the_terminal(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """A nightly job with --confirm 3:3: the job summary (Markdown), the annotations, the
    JUnit and HTML reports showed a dead link and a passing job, with no word of why (the
    failure not yet confirmed) nor since when it had failed; only the terminal said so."""
    case = write_case(tmp_path, [{"id": "a", "title": "Gone", "url": server.url("/gone404")}])
    day0 = waits.now

    def night(n: int) -> dict[str, str]:
        waits.now = day0 + dt.timedelta(days=n)
        formats = ("markdown", "junit", "html")
        run = run_cli(str(case), "--no-archive", "--confirm", "3:3", "-f", "github",
                      *(f"--report={f}:{tmp_path / f}" for f in formats), parts=parts(waits))
        return {"github": run.stdout, **{f: (tmp_path / f).read_text() for f in formats}}

    first = night(0)
    for form, text in first.items():
        assert "failed for the first time today" in text, form
        assert "unconfirmed: not counted towards the exit code until it has failed in 3 " \
               "runs over 3 days" in text, form
    assert first["github"].startswith("::warning ")
    night(1)
    third = night(2)
    for form, text in third.items():
        assert "dead since 26 November 2026" in text and "3 runs over 3 days" in text, form
        assert "unconfirmed" not in text, form
    assert third["github"].startswith("::error ")


def test_a_first_failure_counts_once_whichever_link_fills_a_batch_of_writes(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """The memory is written 100 observations at a time; the link whose observation filled
    the batch was counted twice (its run read back, and counted again), so on the very
    first run `--confirm 2:1` failed the job."""
    case = write_case(tmp_path, [{"id": f"s{i}", "title": f"Gone {i}",
                                  "url": server.url(f"/lost/{i}")} for i in range(150)])
    run = run_cli(str(case), "-f", "json", "--no-archive", "--confirm", "2:1",
                  parts=parts(waits))
    report = json.loads(run.stdout)
    assert {link["history"]["failed_runs"] for link in report["links"]} == {1}
    assert run.exit_code == 0 and all(link["unconfirmed"] for link in report["links"])


def test_the_memory_keeps_what_the_reports_read_and_drops_the_rest(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A nightly job: a row a link a night was kept for ever. Thirteen nights later each
    link keeps a handful of rows, and every answer is the one all the rows gave: first
    seen, last fine, the streak's start, runs, days and status, --confirm, reuse."""
    from tests import server as served

    night: dict[str, int] = {}
    codes = [200, 200, 200, 404, 404, 404, 500, 500, 404, 404, 404, 200, 404]
    monkeypatch.setitem(served.ROUTES, "/switch", lambda h: h.send(
        codes[night["n"]], served.page("Council report")))
    case = write_case(tmp_path, [
        {"id": "a", "title": "Fine", "url": server.url("/page")},
        {"id": "b", "title": "Gone", "url": server.url("/gone404")},
        {"id": "c", "title": "Unsteady", "url": server.url("/switch")}])
    day0 = waits.now

    def on(n: int, *more: str) -> Any:
        night["n"] = n
        waits.now = day0 + dt.timedelta(days=n)
        return run_cli(str(case), "--no-archive", "--retries", "0", "--confirm", "3:3",
                       "--max-cache-age", "0", *more, parts=parts(waits))

    def at(n: int) -> str:
        return (day0 + dt.timedelta(days=n)).isoformat()

    for n in range(11):
        run = on(n, "-f", "json")
        by_url = links(run, server)
        if n == 4:
            assert by_url["/switch"]["unconfirmed"] is True  # 2 runs over 2 days
        if n == 5:
            assert by_url["/switch"]["unconfirmed"] is False  # 3 runs over 3 days
    report = json.loads(run.stdout)
    assert by_url["/page"]["history"] == {
        "first_seen": at(0), "last_ok": at(10), "failing_since": None, "failed_runs": 0,
        "streak_status": None, "streak_days": 0, "failed_before": None,
        "recovered_from": None, "recovered_runs": 0}
    assert by_url["/gone404"]["history"] == {
        "first_seen": at(0), "last_ok": None, "failing_since": at(0), "failed_runs": 11,
        "streak_status": "dead", "streak_days": 11, "failed_before": None,
        "recovered_from": None, "recovered_runs": 0}
    assert by_url["/switch"]["history"] == {
        "first_seen": at(0), "last_ok": at(2), "failing_since": at(3), "failed_runs": 8,
        "streak_status": None, "streak_days": 8, "failed_before": None,
        "recovered_from": None, "recovered_runs": 0}
    assert report["exit_code"] == 1
    _, text = cache_command("info")
    # Fine: the first and the latest; gone: the streak's first, its middle, its latest;
    # unsteady: the first, the last fine, and the streak's first, middle (dead, error) and
    # latest. All the rows were 3 a night, 33.
    assert "links seen: 3, in 11 observations" in text
    assert f"({day0:%Y-%m-%d %H:%M} to {day0 + dt.timedelta(days=10):%Y-%m-%d %H:%M} UTC)" \
        in text
    assert "dead since 26 November 2026 (12 runs over 12 days)" in on(11).stdout
    # Not "failed for the first time": it failed on nights 3 to 10.
    assert ("failed today; it was fine on 7 December 2026, and failed before that on 6 "
            "December 2026") in on(12).stdout
    # Fine again, then failing: the unsteady link's old streak is dropped (first, its
    # latest failure, last fine, latest); the gone link's middle row now stands for eleven
    # runs.
    assert "links seen: 3, in 9 observations" in cache_command("info")[1]
    server.reset_counts()
    waits.now += dt.timedelta(hours=3)
    reused = links(run_cli(str(case), "--no-archive", "-f", "json", parts=parts(waits)),
                   server)
    assert reused["/page"]["cached"] is True and "/page" not in fetched(server)


def test_a_memory_that_kept_every_run_is_pruned_by_the_next_run(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits,
        memory_of_past_runs: Path) -> None:
    """A memory written by an earlier refcheck, a row a link a night for a month, is
    brought down to what the reports read by the first run of this one, which answers as
    all the rows would."""
    import sqlite3

    day0 = waits.now
    with sqlite3.connect(memory_of_past_runs / "memory.sqlite3") as db:
        db.executescript("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO meta VALUES ('schema', '1');
            CREATE TABLE observations (
                url TEXT NOT NULL, at REAL NOT NULL, status TEXT NOT NULL,
                http_status INTEGER, final_url TEXT, capture TEXT);
            CREATE INDEX observations_by_url ON observations (url, at);
            CREATE TABLE successes (
                url TEXT PRIMARY KEY, at REAL NOT NULL, detail TEXT NOT NULL,
                http_status INTEGER, final_url TEXT, page_title TEXT, redirects TEXT NOT NULL,
                capture TEXT, quotes TEXT NOT NULL);
            CREATE TABLE captures (
                url TEXT NOT NULL, target TEXT NOT NULL, at REAL NOT NULL,
                capture TEXT NOT NULL, PRIMARY KEY (url, target));""")
        for n in range(30):
            at = (day0 + dt.timedelta(days=n)).timestamp()
            db.execute("INSERT INTO observations VALUES (?, ?, 'ok', 200, NULL, NULL)",
                       (server.url("/page"), at))
            db.execute("INSERT INTO observations VALUES (?, ?, 'dead', 404, NULL, NULL)",
                       (server.url("/gone404"), at))
    assert "links seen: 2, in 60 observations" in cache_command("info")[1]
    case = write_case(tmp_path, [{"id": "a", "title": "Fine", "url": server.url("/page")},
                                 {"id": "b", "title": "Gone", "url": server.url("/gone404")}])
    waits.now = day0 + dt.timedelta(days=30)
    run = run_cli(str(case), "--no-archive", "-f", "json", "--confirm", "31:31",
                  parts=parts(waits))
    assert WARNING not in run.stderr
    gone = links(run, server)["/gone404"]
    assert gone["history"] == {
        "first_seen": day0.isoformat(), "last_ok": None, "failing_since": day0.isoformat(),
        "failed_runs": 31, "streak_status": "dead", "streak_days": 31, "failed_before": None,
        "recovered_from": None, "recovered_runs": 0}
    assert gone["unconfirmed"] is False and run.exit_code == 1
    assert links(run, server)["/page"]["history"]["first_seen"] == day0.isoformat()
    assert "links seen: 2, in 5 observations" in cache_command("info")[1]


def test_confirm_needs_the_memory(run_cli: Any, mixed_case: Path) -> None:
    run = run_cli(str(mixed_case), "--confirm", "3:3", "--no-cache")
    assert run.exit_code == 2 and "--no-cache" in run.stderr
    bad = run_cli(str(mixed_case), "--confirm", "three")
    assert bad.exit_code == 2 and "`three` is not RUNS:DAYS" in bad.stderr


def test_a_fine_run_ends_a_failing_streak(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """The failures are counted from the latest run in which the link did not fail."""
    case = write_case(tmp_path, [{"id": "a", "title": "A", "url": server.url("/flaky503")}])
    args = (str(case), "--no-archive", "--max-cache-age", "0")
    first = run_cli(*args, "-f", "json", "--retries", "0", parts=parts(waits))  # a 503
    assert links(first, server)["/flaky503"]["history"]["failed_runs"] == 1
    waits.now += dt.timedelta(days=1)
    fine = run_cli(*args, "-f", "json", parts=parts(waits))  # the 200 now
    assert links(fine, server)["/flaky503"]["history"] == {
        "first_seen": "2026-11-26T09:00:00+00:00", "last_ok": "2026-11-27T09:00:00+00:00",
        "failing_since": None, "failed_runs": 0, "streak_status": None, "streak_days": 0,
        "failed_before": None,
        "recovered_from": "2026-11-26T09:00:00+00:00", "recovered_runs": 1}
    server.reset_counts()
    waits.now += dt.timedelta(days=1)
    again = run_cli(*args, "--retries", "0", parts=parts(waits))
    assert ("failed today; it was fine on 27 November 2026, and failed before that on 26 "
            "November 2026") in again.stdout
    assert "first time" not in again.stdout  # it failed on the 26th


def test_a_link_fine_again_says_so_once(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """A link that failed two nights and is fine on the third: the report said nothing of
    it (only "ok"), so a watcher could not tell a link that came back from one that never
    left."""
    case = write_case(tmp_path, [{"id": "a", "title": "A", "url": server.url("/flaky503")}])
    args = (str(case), "--no-archive", "--max-cache-age", "0")
    for _ in range(2):
        server.reset_counts()  # a 503
        run_cli(*args, "--retries", "0", parts=parts(waits))
        waits.now += dt.timedelta(days=1)
    back = run_cli(*args, "-f", "json", parts=parts(waits))  # the 503, then 200 on retry
    (link,) = links(back, server).values()
    assert link["status"] == "ok"
    assert (link["history"]["recovered_from"], link["history"]["recovered_runs"]) == (
        "2026-11-26T09:00:00+00:00", 2)
    waits.now += dt.timedelta(days=1)
    server.reset_counts()
    text = run_cli(*args, "--retries", "1", parts=parts(waits)).stdout
    assert "fine again" not in text  # said by the run that ends the streak only
    for _ in range(3):  # 30 November, 1 and 2 December
        waits.now += dt.timedelta(days=1)
        server.reset_counts()
        run_cli(*args, "--retries", "0", parts=parts(waits))
    waits.now += dt.timedelta(days=1)
    server.reset_counts()
    text = run_cli(*args, "--retries", "1", parts=parts(waits)).stdout
    assert "fine again: it had failed since 30 November 2026 (3 runs)" in text


def test_archive_captures_found_are_not_asked_for_again(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    case = write_case(tmp_path, [
        {"id": "a", "title": "Lost", "url": server.url("/lost/in-ukgwa")},
        {"id": "b", "title": "Never archived", "url": server.url("/lost/never")}])
    first = links(run_cli(str(case), "-f", "json", parts=parts(waits)), server)
    assert any(p.startswith("/ukgwa") for p in server.seen)
    server.reset_counts()
    second = links(run_cli(str(case), "-f", "json", parts=parts(waits)), server)
    asked = [p for p in server.seen if p.startswith(("/ukgwa", "/wayback"))]
    # The capture found is remembered; the link without one is looked for again.
    assert asked and all("never" in p for p in asked)
    assert second["/lost/in-ukgwa"]["archive"] == first["/lost/in-ukgwa"]["archive"]
    assert second["/lost/in-ukgwa"]["evidence"] == "archived"
    assert second["/lost/in-ukgwa"]["lookups"] == [
        {"service": "ukgwa", "outcome": "found", "detail": "found by an earlier run"}]
    assert second["/lost/never"]["evidence"] == "lost"


def test_a_corrupt_memory_is_reported_once_kept_aside_and_a_new_one_started(
        run_cli: Any, mixed_case: Path, server: EvidenceServer, waits: Waits,
        memory_of_past_runs: Path) -> None:
    """A damaged memory was reported on every run until someone cleared it, each run going
    without one: a nightly CI job restoring it from its cache never healed. It is now kept
    aside, said once, and a new memory started."""
    damaged = b"not a database at all " * 100
    (memory_of_past_runs / "memory.sqlite3").write_bytes(damaged)
    run = run_cli(str(mixed_case), "-f", "json", "--no-archive", parts=parts(waits))
    assert run.exit_code == 1
    assert run.stderr.count(WARNING) == 1
    assert "cannot be used: the file is damaged (not an SQLite database)" in run.stderr
    kept = memory_of_past_runs / "memory.sqlite3.damaged"
    assert f"It is kept as {kept}, and a new memory is started" in run.stderr
    assert kept.read_bytes() == damaged
    statuses = {u: link["status"] for u, link in links(run, server).items()}
    assert statuses["/page"] == "ok" and statuses["/gone404"] == "dead"
    assert links(run, server)["/gone404"]["history"]["failed_runs"] == 1
    healed = run_cli(str(mixed_case), "-f", "json", "--no-archive", parts=parts(waits))
    assert WARNING not in healed.stderr
    assert links(healed, server)["/gone404"]["history"]["failed_runs"] == 2
    # `refcheck cache clear` forgets it all, the damaged copy too.
    assert cache_command("clear")[0] == 0
    assert list(memory_of_past_runs.iterdir()) == []


def test_a_damaged_memory_is_said_to_be_damaged_in_plain_words(
        run_cli: Any, mixed_case: Path, server: EvidenceServer, waits: Waits,
        memory_of_past_runs: Path) -> None:
    """A file whose pages were overwritten (a disk fault, a cache restored half-way): not
    SQLite's "database disk image is malformed", but what it means and what to do."""
    run_cli(str(mixed_case), "--no-archive", parts=parts(waits))
    path = memory_of_past_runs / "memory.sqlite3"
    data = path.read_bytes()
    path.write_bytes(data[:4096] + b"\xff" * (len(data) - 4096))
    code, text = cache_command("info")
    assert code == 0 and "not usable: the file is damaged" in text and "malformed" not in text
    assert "The next run keeps it as memory.sqlite3.damaged and starts a new memory" in text
    run = run_cli(str(mixed_case), "-f", "json", "--no-archive", parts=parts(waits))
    assert run.exit_code == 1
    assert run.stderr.count(WARNING) == 1
    assert "cannot be used: the file is damaged" in run.stderr
    assert "a new memory is started" in run.stderr
    assert "malformed" not in run.stderr
    assert "links seen: 5" in cache_command("info")[1]


def test_damage_found_part_way_through_a_run_is_set_aside_for_the_next(
        tmp_path: Path) -> None:
    """The file damaged while a run has it open: that run goes on without the memory, and
    the file is kept aside at once, so the next run starts a new memory (not the same
    warning, night after night)."""
    from refcheck.cache import Memory, Observation
    from refcheck.model import Status

    warned: list[str] = []
    first = Memory.open(tmp_path, warn=warned.append)
    for i in range(300):
        first.observe(Observation(f"https://example.org/{i}",
                                  dt.datetime(2026, 1, 1, tzinfo=dt.UTC), Status.DEAD))
    first.close()
    memory = Memory.open(tmp_path, warn=warned.append)
    assert memory.usable and not warned
    path = tmp_path / "memory.sqlite3"
    size = path.stat().st_size
    with open(path, "r+b") as handle:  # pages overwritten under the open store
        handle.seek(4096)
        handle.write(b"\xff" * (size - 4096))
    assert memory.history("https://example.org/5") is None
    (message,) = warned
    assert "cannot be used: the file is damaged" in message
    assert f"It is kept as {path}.damaged, and the next run starts a new memory" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["memory.sqlite3.damaged"]
    fresh = Memory.open(tmp_path, warn=warned.append)
    assert fresh.usable and len(warned) == 1
    fresh.close()


def test_a_memory_locked_by_another_program_says_to_wait_not_to_clear_it(
        run_cli: Any, mixed_case: Path, server: EvidenceServer, waits: Waits,
        memory_of_past_runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another program holding the file (a run that hangs, a database browser): to clear
    it would throw away the other run's memory, and not free the lock."""
    import sqlite3

    from refcheck import cache

    run_cli(str(mixed_case), "--no-archive", parts=parts(waits))
    monkeypatch.setattr(cache, "BUSY_SECONDS", 0.05)
    holder = sqlite3.connect(memory_of_past_runs / "memory.sqlite3", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("DELETE FROM captures")
        run = run_cli(str(mixed_case), "-f", "json", "--no-archive", parts=parts(waits))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run.exit_code == 1
    assert run.stderr.count(WARNING) == 1
    assert "another program has held it locked for more than 0.05 s" in run.stderr
    assert "refcheck cache clear" not in run.stderr
    assert "Wait for the other run to finish" in run.stderr
    statuses = {u: link["status"] for u, link in links(run, server).items()}
    assert statuses["/page"] == "ok" and statuses["/gone404"] == "dead"


def test_a_memory_from_another_version_is_left_alone(
        run_cli: Any, mixed_case: Path, waits: Waits, memory_of_past_runs: Path) -> None:
    import sqlite3

    with sqlite3.connect(memory_of_past_runs / "memory.sqlite3") as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema', '99')")
    run = run_cli(str(mixed_case), "--no-archive", parts=parts(waits))
    assert run.exit_code == 1
    assert run.stderr.count(WARNING) == 1 and "another version of refcheck" in run.stderr


def test_a_memory_of_a_newer_refcheck_is_not_to_be_cleared(
        run_cli: Any, mixed_case: Path, waits: Waits, memory_of_past_runs: Path) -> None:
    """A CI job that pins an older refcheck beside one that upgraded, on one memory: the
    older was told "`refcheck cache clear` starts it afresh", which forgets all the newer
    one remembers. Now it is told to upgrade, or to keep a memory of its own."""
    import sqlite3

    with sqlite3.connect(memory_of_past_runs / "memory.sqlite3") as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema', '3')")
    run = run_cli(str(mixed_case), "--no-archive", parts=parts(waits))
    assert run.exit_code == 1
    assert ("written by another version of refcheck, a newer one (schema 3, this one reads "
            "2)") in run.stderr
    assert "Upgrade refcheck" in run.stderr and "--cache-dir" in run.stderr
    assert "starts it afresh" not in run.stderr
    code, text = cache_command("info")
    assert code == 0 and "a newer one" in text and "starts it afresh" not in text


def test_a_read_only_cache_folder_is_reported_once_and_the_run_goes_on(
        tmp_path: Path, server: EvidenceServer) -> None:
    """In a real process that may not write the folder (root may write anywhere, so as root
    the process is started without that privilege, CAP_DAC_OVERRIDE)."""
    case = write_case(tmp_path, [{"id": "a", "title": "A", "url": server.url("/page")},
                                 {"id": "b", "title": "B", "url": server.url("/gone404")}])
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o555)
    result = subprocess.run(
        [sys.executable, "-m", "refcheck", str(case), "-f", "json", "--no-archive"],
        env=run_env(cache, server), capture_output=True, text=True, timeout=120,
        cwd=tmp_path, preexec_fn=obeying_permissions if os.geteuid() == 0 else None,
        check=False)
    cache.chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count(WARNING) == 1
    assert "cannot be opened or created there" in result.stderr
    assert "give a folder refcheck may write (--cache-dir" in result.stderr
    assert "refcheck cache clear" not in result.stderr
    report = json.loads(result.stdout)
    assert [link["status"] for link in report["links"]] == ["ok", "dead"]


def test_cache_info_reads_a_memory_it_may_not_write(
        tmp_path: Path, run_cli: Any, mixed_case: Path, waits: Waits,
        server: EvidenceServer) -> None:
    """A memory restored read-only (a read-only disk, a folder of someone else's): what it
    holds is shown, and nothing is written there. In a real process that may not write the
    folder, as above."""
    cache = tmp_path / "cache"
    run_cli(str(mixed_case), "--no-archive", "--cache-dir", str(cache), parts=parts(waits))
    before = sorted(p.name for p in cache.iterdir())
    cache.chmod(0o555)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "refcheck", "cache", "info"],
            env=run_env(cache, server), capture_output=True,
            text=True, timeout=120, cwd=tmp_path,
            preexec_fn=obeying_permissions if os.geteuid() == 0 else None, check=False)
    finally:
        cache.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert f"memory of past runs: {cache / 'memory.sqlite3'}" in result.stdout
    assert "links seen: 5, in 5 observations" in result.stdout
    assert "successes kept for reuse: 3" in result.stdout
    assert sorted(p.name for p in cache.iterdir()) == before


def obeying_permissions() -> None:
    """In the child, before it runs refcheck: give up root's power to write where the
    permissions say no (drop CAP_DAC_OVERRIDE from the capability bounding set)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override = 24, 1
    if libc.prctl(pr_capbset_drop, cap_dac_override, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_two_runs_at_once_share_the_memory(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits,
        memory_of_past_runs: Path) -> None:
    case = write_case(tmp_path, [
        {"id": f"s{i}", "title": f"Source {i}", "url": server.url(path)}
        for i, path in enumerate(["/page", "/gone404", "/report.pdf", "/forbidden"])])
    env = run_env(memory_of_past_runs, server)
    argv = [sys.executable, "-m", "refcheck", str(case), "-f", "json", "--no-archive",
            "--max-cache-age", "0"]
    runs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, cwd=tmp_path) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 1, err
        assert WARNING not in err
        assert json.loads(out)["summary"]["links"] == 4
    # And writers that really overlap: two processes keeping many observations at once.
    writer = ("import datetime as dt, sys\n"
              "from pathlib import Path\n"
              "from refcheck.cache import Memory, Observation\n"
              "from refcheck.model import Status\n"
              "warned = []\n"
              "for i in range(60):\n"
              "    memory = Memory.open(Path(sys.argv[1]), warn=warned.append)\n"
              "    memory.observe(Observation(f'https://example.org/{sys.argv[2]}/{i}',\n"
              "                   dt.datetime.now(dt.UTC), Status.DEAD))\n"
              "    memory.close()\n"
              "sys.exit(1 if warned else 0)\n")
    writers = [subprocess.Popen([sys.executable, "-c", writer, str(memory_of_past_runs), name],
                                env=env, stderr=subprocess.PIPE, text=True)
               for name in ("one", "two")]
    for process in writers:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    code, text = cache_command("info")
    assert code == 0
    assert "links seen: 124, in 128 observations" in text
    third = json.loads(run_cli(str(case), "-f", "json", "--no-archive",
                               parts=parts(waits)).stdout)
    gone = next(link for link in third["links"] if link["source"] == "s1")
    assert gone["history"]["failed_runs"] == 3


def test_cache_info_and_clear(run_cli: Any, mixed_case: Path, waits: Waits,
                              memory_of_past_runs: Path) -> None:
    code, text = cache_command("info")
    assert code == 0 and "not usable: there is no memory file yet" in text
    assert text.startswith(f"memory of past runs: {memory_of_past_runs / 'memory.sqlite3'}\n")
    run_cli(str(mixed_case), "--no-archive", parts=parts(waits))
    code, text = cache_command("info")
    assert code == 0
    assert f"memory of past runs: {memory_of_past_runs / 'memory.sqlite3'}" in text
    assert "links seen: 5, in 5 observations" in text
    assert "successes kept for reuse: 3" in text
    assert cache_command("clear")[1] == f"memory of past runs cleared: {memory_of_past_runs}"
    assert cache_command("clear")[1] == ("nothing to clear: no memory of past runs in "
                                         f"{memory_of_past_runs}")
    other = memory_of_past_runs / "elsewhere"
    assert str(other) in cache_command("info", "--cache-dir", str(other))[1]


@pytest.mark.parametrize("command", ["info", "clear"])
def test_cache_finds_the_memory_when_the_settings_file_says_no_cache(
        tmp_path: Path, command: str, memory_of_past_runs: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A project that keeps `no-cache = true` in its settings file, and a memory an earlier
    run left: `refcheck cache info` and `clear` ended with an AssertionError."""
    from typer.testing import CliRunner

    from refcheck.cache_command import app

    (memory_of_past_runs / "memory.sqlite3").write_bytes(b"")
    monkeypatch.delenv("REFCHECK_CACHE_DIR")
    (tmp_path / "refcheck.toml").write_text(f'no-cache = true\ncache-dir = '
                                            f'"{memory_of_past_runs.as_posix()}"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [command], prog_name="refcheck cache")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 0
    assert str(memory_of_past_runs) in result.stdout
    assert (memory_of_past_runs / "memory.sqlite3").exists() is (command == "info")


def test_clear_with_no_memory_on_a_read_only_disk_has_nothing_to_clear(
        memory_of_past_runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a read-only filesystem, removing a file that is not there fails with "Read-only
    file system", not "no such file": that was "cannot clear", exit 1."""
    import errno

    def read_only(self: Path, missing_ok: bool = False) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr(Path, "unlink", read_only)
    assert cache_command("clear") == (0, "nothing to clear: no memory of past runs in "
                                         f"{memory_of_past_runs}")
    (memory_of_past_runs / "memory.sqlite3").write_bytes(b"")
    code, _ = cache_command("clear")
    assert code == 1


def test_nothing_secret_is_kept(run_cli: Any, tmp_path: Path, server: EvidenceServer,
                                waits: Waits, memory_of_past_runs: Path) -> None:
    secret = f"http://alice:hunter2@127.0.0.1:{server.server_address[1]}/page?token=s3cret"
    case = write_case(tmp_path, [
        {"id": "a", "title": "A", "url": secret},
        {"id": "b", "title": "B", "url": server.url("/gone404?api_key=k3y&page=2")}])
    run_cli(str(case), "--no-archive", parts=parts(waits))
    server.reset_counts()
    run_cli(str(case), "--no-archive", parts=parts(waits))
    assert "/page" in fetched(server)  # a link with credentials is never answered from memory
    stored = b"".join(p.read_bytes() for p in memory_of_past_runs.iterdir())
    assert b"127.0.0.1" in stored
    for word in (b"hunter2", b"s3cret", b"k3y", b"alice"):
        assert word not in stored


def run_env(cache: Path, server: EvidenceServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFCHECK_")}
    env.update({"REFCHECK_CACHE_DIR": str(cache), "REFCHECK_PROBE_URL": "",
                "REFCHECK_DOI_URL": server.url("/doi"), "NO_COLOR": "1",
                # This tree's refcheck, not the one installed (another worktree's).
                "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])})
    return env


def cache_command(*argv: str) -> tuple[int, str]:
    """``refcheck cache ...`` as typed: its exit code and what it printed."""
    from typer.testing import CliRunner

    from refcheck.cache_command import app

    result = CliRunner().invoke(app, list(argv), prog_name="refcheck cache")
    return result.exit_code, result.stdout.strip()


def test_one_memory_knows_what_it_wrote_after_it_was_first_asked(tmp_path: Path) -> None:
    """The store's URLs are read once, at the first question: what is written later (by
    this memory) is known all the same."""
    from refcheck.cache import Memory, Observation, Success
    from refcheck.model import Status

    memory = Memory.open(tmp_path, warn=lambda message: None)
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    url = "https://example.org/report"
    assert memory.history(url) is None
    assert memory.success(url, younger_than=dt.timedelta(days=7), now=at) is None
    memory.observe(Observation(url, at, Status.DEAD, 404))
    memory.observe(Observation("https://example.org/page", at, Status.OK, 200))
    memory.succeeded("https://example.org/page", Success(
        at=at, detail="200 OK", http_status=200, final_url=None, page_title=None,
        redirects=(), capture=None, quotes=frozenset()))
    memory.flush()
    history = memory.history(url)
    assert history is not None and history.failed_runs == 1 and history.first_seen == at
    later = at + dt.timedelta(hours=1)
    remembered = memory.success("https://example.org/page",
                                younger_than=dt.timedelta(days=7), now=later)
    assert remembered is not None and remembered.detail == "200 OK"
    memory.close()


def test_a_memory_sees_what_another_run_sharing_it_wrote_since(tmp_path: Path) -> None:
    """Two runs share the file: what one writes after the other's first question is known
    to the other within FRESH_SECONDS (the store is not asked at every URL whether it
    changed), and from then on."""
    from refcheck.cache import FRESH_SECONDS, Memory, Observation
    from refcheck.model import Status

    now = [1000.0]
    mine = Memory.open(tmp_path, warn=lambda message: None, clock=lambda: now[0])
    theirs = Memory.open(tmp_path, warn=lambda message: None)
    url, other = "https://example.org/report", "https://example.org/letter"
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert mine.history(url) is None
    theirs.observe(Observation(url, at, Status.DEAD, 404))
    theirs.observe(Observation(other, at, Status.DEAD, 404))
    theirs.flush()
    now[0] += FRESH_SECONDS
    history = mine.history(url)
    assert history is not None and history.failed_runs == 1
    theirs.observe(Observation(other, at + dt.timedelta(days=1), Status.DEAD, 404))
    theirs.flush()
    history = mine.history(other)  # at the same moment: known to have changed already
    assert history is not None and history.failed_runs == 2
    theirs.close()
    mine.close()


@pytest.mark.parametrize("age", ["99999999999w", "9999999999d"])
def test_a_cache_age_past_a_century_is_refused_not_a_traceback(
        tmp_path: Path, run_cli: Any, age: str) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    (tmp_path / "refcheck.toml").write_text(f'max-cache-age = "{age}"\n')
    for how in (["--max-cache-age", age], ["--config", str(tmp_path / "refcheck.toml")]):
        run = run_cli(str(case), "--check-only", *how)
        assert run.exit_code == 2
        assert f"max-cache-age: `{age}` is too long; expected at most" in run.stderr


def test_cache_shows_a_settings_value_escaped_not_obeyed(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from refcheck.cache_command import app

    config = tmp_path / "refcheck.toml"
    config.write_text('exclude = ["\\u001b]0;pwned\\u0007(("]\n')
    result = CliRunner().invoke(app, ["info", "--config", str(config)],
                                prog_name="refcheck cache")
    assert result.exit_code == 2
    assert "\\x1b]0;pwned\\x07" in result.stderr and "\x1b" not in result.stderr


def test_a_clock_behind_the_memorys_runs_still_counts_the_streak_forwards(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """A run whose clock is behind the earlier runs' (a runner's clock set wrong, then put
    right) is one more run of the streak, not a streak of minus one day."""
    case = write_case(tmp_path, [{"id": "a", "title": "Gone", "url": server.url("/gone404")}])
    args = (str(case), "--no-archive", "--confirm", "3:3")
    day0 = waits.now
    for days in (2, 3):
        waits.now = day0 + dt.timedelta(days=days)
        assert run_cli(*args, parts=parts(waits)).exit_code == 0  # not yet confirmed
    waits.now = day0
    last = run_cli(*args, "-f", "json", parts=parts(waits))
    history = json.loads(last.stdout)["links"][0]["history"]
    assert (history["failing_since"], history["failed_runs"], history["streak_days"]) == (
        day0.isoformat(), 3, 4)
    assert last.exit_code == 1  # 3 runs over 4 days: confirmed
    waits.now = day0 + dt.timedelta(days=1)
    assert "dead since 26 November 2026 (4 runs over 4 days)" in run_cli(
        *args, parts=parts(waits)).stdout


def test_a_run_whose_clock_was_ahead_does_not_hide_the_failures_after_it(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """A runner whose clock was ten days ahead saw the link fine; the clock put right, the
    link failed three nights running. Each night said "failed for the first time today; it
    was fine on 6 December 2026" (a date still to come), and `--confirm 3:3` never counted
    it: the streak was what came after the latest time stamp, not after the latest run."""
    case = write_case(tmp_path, [{"id": "a", "title": "A", "url": server.url("/flaky503")}])
    args = (str(case), "--no-archive", "--confirm", "3:3", "--fail-on", "error")
    day0 = waits.now
    waits.now = day0 + dt.timedelta(days=10)
    assert run_cli(*args, parts=parts(waits)).exit_code == 0  # 503, then 200 on retry: ok
    codes = []
    for night in (1, 2, 3):
        waits.now = day0 + dt.timedelta(days=night)
        server.reset_counts()  # the next request gets the 503 again
        run = run_cli(*args, "--retries", "0", parts=parts(waits))
        codes.append(run.exit_code)
    assert codes == [0, 0, 1]  # confirmed on the third night
    assert "error since 27 November 2026 (3 runs over 3 days)" in run.stdout
    assert "first time" not in run.stdout


@pytest.mark.parametrize("command", ["info", "clear"])
def test_cache_shows_its_folder_escaped_not_obeyed(tmp_path: Path, command: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder comes from a settings file (a cloned repository's, say): an escape
    sequence in it is shown, not sent to the terminal."""
    from typer.testing import CliRunner

    from refcheck.cache_command import app

    monkeypatch.delenv("REFCHECK_CACHE_DIR", raising=False)
    config = tmp_path / "refcheck.toml"
    config.write_text(f'cache-dir = "{tmp_path.as_posix()}/m\\u001b]0;pwned\\u0007"\n')
    result = CliRunner().invoke(app, [command, "--config", str(config)],
                                prog_name="refcheck cache")
    assert result.exit_code == 0, result.output
    assert "\\x1b]0;pwned\\x07" in result.stdout
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_a_quote_not_checked_on_a_page_too_long_to_read_is_not_remembered_as_found(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    # A page longer than refcheck reads for a quote: the quote is "not checked", on this
    # run and the next (never "the quote is there" from the memory of the first).
    def make(settings: Any) -> Any:
        return parts(waits).make_fetcher(dataclasses.replace(settings,
                                                             max_quote_bytes=256 * 1024))

    case = write_case(tmp_path, [{"id": "a", "title": "Big report", "url": server.url("/huge"),
                                  "quote": "a sentence the report never had"}])
    small = dataclasses.replace(parts(waits), make_fetcher=make)
    for _ in range(2):
        run = run_cli(str(case), "-f", "json", "--no-archive", parts=small)
        (link,) = links(run, server).values()
        assert link["status"] == "ok"
        assert link["detail"].endswith("; it is longer than the 256 KiB refcheck reads, so the "
                                       "quote was not checked: look for it in a browser")
        waits.now += dt.timedelta(hours=3)


def test_a_page_behind_a_bot_wall_is_not_said_to_have_failed(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """A 403 or a bot check says nothing of the page: the report says it could not be
    checked, not that it failed."""
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": server.url("/forbidden")}])
    run = run_cli(str(case), "--no-archive", parts=parts(waits))
    assert "could not be checked (blocked) for the first time today" in run.stdout
    assert "failed" not in run.stdout.split("What to do")[0]
