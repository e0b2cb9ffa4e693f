"""Failures of the machine, not of links: the report file, full disks, file-descriptor
limits. None of them may cost results already obtained or blame a link."""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from refcheck.report.json import JsonRenderer
from tests.conftest import write_case
from tests.server import EvidenceServer


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI")}
    env.update(REFCHECK_PROBE_URL="", REFCHECK_UKGWA_URL="http://ukgwa.invalid/ukgwa",
               REFCHECK_WAYBACK_URL="http://wayback.invalid")
    return env


def test_an_output_folder_that_does_not_exist_is_refused_before_any_link_is_fetched(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Page", "url": server.url("/page")}])
    run = run_cli(str(case), "-o", str(tmp_path / "no-such-folder" / "report.json"))
    assert run.exit_code == 2
    assert "cannot write the report to" in run.stderr and "no-such-folder" in run.stderr
    assert "None" not in run.stderr
    assert server.seen == []  # nothing was fetched


def test_an_output_that_is_a_folder_is_refused_with_the_fix(tmp_path: Path,
                                                            run_cli: Any) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    run = run_cli(str(case), "-o", str(tmp_path))
    assert run.exit_code == 2
    assert "is a folder; give a file name" in run.stderr


@pytest.mark.parametrize("how", [["--output", "{case}"], ["--report", "markdown:{case}"],
                                 ["--output", "{link}"]])
def test_a_report_that_would_replace_the_case_file_is_refused(
        tmp_path: Path, run_cli: Any, server: EvidenceServer, how: list[str]) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Page", "url": server.url("/page")}])
    (tmp_path / "link.yaml").symlink_to(case)
    before = case.read_bytes()
    run = run_cli(str(case), *(arg.format(case=case, link=tmp_path / "link.yaml")
                               for arg in how))
    assert run.exit_code == 2
    assert "is one of the files being read" in run.stderr
    assert "choose another file name" in run.stderr
    assert how[0] + ":" in run.stderr
    assert case.read_bytes() == before
    assert server.seen == []  # nothing was fetched


@pytest.mark.parametrize("how", [["-o", "{path}", "--report", "json:{path}"],
                                 ["--report", "junit:{path}", "--report", "html:{path}"]])
def test_two_reports_to_one_file_are_refused_before_anything_is_fetched(
        tmp_path: Path, run_cli: Any, server: EvidenceServer, how: list[str]) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Page", "url": server.url("/page")}])
    path = tmp_path / "report.out"
    run = run_cli(str(case), *(arg.format(path=path) for arg in how))
    assert run.exit_code == 2
    first = "terminal" if how[0] == "-o" else "junit"
    assert (f"--report: {path} is named for the {first} report too, and the one written "
            "last would replace the other; give each report its own file") in run.stderr
    assert not path.exists() and server.seen == []


def test_a_report_reached_by_a_link_is_written_to_the_file_it_names(
        tmp_path: Path, run_cli: Any) -> None:
    """`-o report.html`, a link to the copy a web server shows: that copy is the report
    refreshed, and the link stays."""
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    (tmp_path / "public").mkdir()
    shown = tmp_path / "public" / "report.json"
    shown.write_text("last week's report")
    link = tmp_path / "report.json"
    link.symlink_to(shown)
    run = run_cli(str(case), "-f", "json", "-o", str(link))
    assert run.exit_code == 0, run.stderr
    assert link.is_symlink()
    assert json.loads(shown.read_text())["summary"]["links"] == 1
    assert sorted(p.name for p in shown.parent.iterdir()) == ["report.json"]


def test_a_report_path_that_cannot_be_written_is_blamed_on_report_not_output(
        tmp_path: Path, run_cli: Any) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    run = run_cli(str(case), "--report", f"json:{tmp_path / 'no-such-folder' / 'r.json'}")
    assert run.exit_code == 2
    assert "--report: cannot write the report to" in run.stderr
    assert "--output" not in run.stderr


def test_the_report_file_is_replaced_whole_and_readable_by_others(
        tmp_path: Path, run_cli: Any) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    target = tmp_path / "report.json"
    target.write_text("the old report")
    target.chmod(0o644)
    run = run_cli(str(case), "-f", "json", "-o", str(target))
    assert run.exit_code == 0
    assert json.loads(target.read_text())["complete"] is True
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml", "report.json"]


def test_a_disk_that_fills_up_leaves_the_old_report_in_place(
        tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    target = tmp_path / "report.json"
    target.write_text("the old report")

    def full_disk(self: JsonRenderer, report: Any, outcome: Any, out: Any) -> None:
        out.write('{"schema": ')
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(JsonRenderer, "render", full_disk)
    run = run_cli(str(case), "-f", "json", "-o", str(target))
    assert run.exit_code == 2
    assert "No space left on device" in run.stderr and "unchanged" in run.stderr
    assert target.read_text() == "the old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml", "report.json"]


def test_a_full_standard_output_is_named_as_such(tmp_path: Path) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    with open("/dev/full", "w") as full:
        run = subprocess.run([sys.executable, "-m", "refcheck", str(case)], stdout=full,
                             stderr=subprocess.PIPE, text=True, timeout=60, env=_env())
    assert run.returncode == 2
    assert "cannot write the report to standard output" in run.stderr
    assert "None" not in run.stderr and "Traceback" not in run.stderr


def _forty_links_at_200(tmp_path: Path, server: EvidenceServer,
                        limit: Callable[[], None]) -> subprocess.CompletedProcess[str]:
    """40 links, 200 at once and 64 per host, with the file limit that ``limit`` sets."""
    sources = [{"id": str(i), "title": f"Page {i}", "url": server.url(f"/page?n={i}")}
               for i in range(40)]
    case = write_case(tmp_path, sources)
    run = subprocess.run(
        [sys.executable, "-m", "refcheck", str(case), "-f", "json", "--concurrency", "200",
         "--per-host", "64"],
        capture_output=True, text=True, timeout=120, env=_env(), preexec_fn=limit)
    assert run.returncode == 0, run.stderr
    return run


def _low_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (100, 100))


def test_a_low_file_descriptor_limit_lowers_the_concurrency_and_says_so_once(
        tmp_path: Path, server: EvidenceServer) -> None:
    """With 100 descriptors, 200 links at once would run out: refcheck checks fewer at a
    time, says so once, and every link is still checked."""
    run = _forty_links_at_200(tmp_path, server, _low_file_limit)
    assert run.stderr.count("lets refcheck open only 100 files at once") == 1
    assert "checks 12 links at a time instead of 200" in run.stderr  # (100 - 64) // 3
    links = json.loads(run.stdout)["links"]
    assert [link["status"] for link in links] == ["ok"] * 40


@pytest.mark.parametrize("command", ["fix", "preserve"])
def test_fix_and_preserve_fit_their_concurrency_to_the_file_limit_too(
        tmp_path: Path, server: EvidenceServer, command: str) -> None:
    """`refcheck fix` and `refcheck preserve` fetch as the check does, so they too check
    fewer links at a time when the file-descriptor limit is low, and say so."""
    sources = [{"id": str(i), "title": f"Page {i}", "url": server.url(f"/page?n={i}")}
               for i in range(5)]
    case = write_case(tmp_path, sources)
    extra = ["--dry-run", "--no-archive"] if command == "fix" else []
    run = subprocess.run(
        [sys.executable, "-m", "refcheck", command, *extra, str(case), "--concurrency", "200"],
        capture_output=True, text=True, timeout=120, env=_env(), preexec_fn=_low_file_limit)
    assert f"refcheck {command}: this system lets refcheck open only 100 files at once" \
        in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_a_system_that_refuses_the_whole_pools_files_still_gets_the_links_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS refuses a soft limit above its own ceiling even when the hard limit is
    unlimited: asked for the whole pool's descriptors and refused, refcheck asks for what
    the links need, and keeps the concurrency asked for."""
    from refcheck.local import RESERVED_DESCRIPTORS, fit_to_descriptors

    limit = [256]

    def setrlimit(kind: int, limits: tuple[int, int]) -> None:
        if limits[0] > 10_240:
            raise ValueError("not allowed to raise maximum limit")
        limit[0] = limits[0]

    monkeypatch.setattr(resource, "getrlimit", lambda kind: (limit[0], resource.RLIM_INFINITY))
    monkeypatch.setattr(resource, "setrlimit", setrlimit)
    concurrency, idle, message = fit_to_descriptors(1024, idle_per_request=2,
                                                    idle_wanted=64 * 2048)
    assert (concurrency, message) == (1024, None)
    assert idle == limit[0] - 1024 - RESERVED_DESCRIPTORS >= 2 * 1024


def _thousand_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1000, 1000))


def test_a_file_limit_short_of_a_full_pool_keeps_fewer_idle_connections_not_fewer_links(
        tmp_path: Path, server: EvidenceServer) -> None:
    """200 links at once with 64 connections per host would keep up to 25,600 idle
    connections for reuse; 1,000 descriptors are enough for the 200 and the idle ones
    each needs: the pool keeps fewer, and the concurrency is not lowered."""
    run = _forty_links_at_200(tmp_path, server, _thousand_files)
    assert "files at once" not in run.stderr and "links at a time" not in run.stderr
    links = json.loads(run.stdout)["links"]
    assert [link["status"] for link in links] == ["ok"] * 40


def test_running_out_of_file_descriptors_is_the_machines_fault_not_the_links(
        tmp_path: Path) -> None:
    """EMFILE on connecting: the links are reported as not checked because of this
    machine, never as erroring sites, and the run does not pass (exit code 4)."""
    import asyncio
    import errno

    from refcheck.checker import CheckOptions, check
    from refcheck.http import Fetcher
    from refcheck.model import Case, CitedUrl, ExitCode, Position, RunReport, Source, decide
    from tests.conftest import Waits
    from tests.test_http import Raising

    transport = Raising(OSError(errno.EMFILE, "Too many open files"))
    source = Source(id="a", title="A", position=Position("c.yaml", 1, 1),
                    urls=(CitedUrl("https://a.test/report", Position("c.yaml", 2, 1)),))
    case = Case(path="c.yaml", title="T", sources=(source,))

    async def go() -> RunReport:
        async with Fetcher(transport=transport, sleep=Waits()) as fetcher:
            return await check([case], fetcher, RunReport(), CheckOptions(probe_url=None))

    report = asyncio.run(go())
    (result,) = report.results
    assert result.detail.startswith("not checked: this machine ran out of resources")
    assert "too many open files" in result.detail
    assert decide(report).exit_code is ExitCode.INCOMPLETE
    assert not report.network_unreachable


def test_a_link_this_machine_could_not_check_is_not_remembered_as_failing(
        tmp_path: Path) -> None:
    """A nightly run out of file descriptors: its links were kept in the memory of past
    runs as `error`, so the next night said "error since …" and `--confirm` counted the
    machine's nights against the link, and the success kept for reuse was forgotten."""
    import asyncio
    import datetime as dt
    import errno

    from refcheck.cache import Memory
    from refcheck.checker import CheckOptions, check
    from refcheck.http import Fetcher
    from refcheck.model import Case, CitedUrl, Confirm, Position, RunReport, Source
    from tests.conftest import Waits
    from tests.test_http import Raising

    source = Source(id="a", title="A", position=Position("c.yaml", 1, 1),
                    urls=(CitedUrl("https://a.test/report", Position("c.yaml", 2, 1)),))
    case = Case(path="c.yaml", title="T", sources=(source,))
    waits = Waits()
    options = CheckOptions(probe_url=None, confirm=Confirm(2, 1),
                           max_cache_age=dt.timedelta(0))

    async def night(transport: Any) -> RunReport:
        memory = Memory.open(tmp_path / "memory", warn=pytest.fail)
        try:
            async with Fetcher(transport=transport, sleep=waits) as fetcher:
                return await check([case], fetcher, RunReport(), options, memory=memory,
                                   clock=waits.clock)
        finally:
            memory.close()
            waits.now += dt.timedelta(days=1)

    emfile = Raising(OSError(errno.EMFILE, "Too many open files"))
    for _ in range(3):
        (result,) = asyncio.run(night(emfile)).results
        assert result.failure is not None and result.failure.value == "local"
        assert result.history is None or result.history.failed_runs == 0
    refused = Raising(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"))
    (result,) = asyncio.run(night(refused)).results
    assert result.history is not None
    assert (result.history.failed_runs, result.unconfirmed) == (1, True)  # its first failure
    assert result.history.failing_since == result.checked_at


def test_a_report_sent_to_a_device_or_pipe_is_written_to_it_not_renamed_over_it(
        tmp_path: Path, run_cli: Any) -> None:
    """`-o /dev/null` (as benchmarks do) or a named pipe: the report goes into it; the
    atomic rename is for regular files only, or it would replace the device itself (the
    test uses a pipe of its own: a regression must not replace this machine's /dev/null)."""
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    import threading

    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    run = run_cli(str(case), "-f", "json", "-o", str(fifo))
    reader.join(timeout=60)
    assert run.exit_code == 0, run.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a pipe
    assert json.loads(received[0])["complete"] is True
