"""End to end: the real CLI against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from refcheck import cli
from tests.behaviours import BEHAVIOURS
from tests.conftest import Waits, parts_with, write_case
from tests.fake_spn import ACCESS, SECRET
from tests.server import EvidenceServer, free_port


def expand(template: str, server: EvidenceServer, refused: int) -> str:
    if template.startswith("/"):
        return server.url(template)
    return template.format(refused=refused, port=server.server_address[1], base=server.base)


@pytest.fixture
def all_behaviours(tmp_path: Path, server: EvidenceServer) -> tuple[Path, list[str]]:
    refused = free_port()
    urls = [expand(t, server, refused) for t, _, _ in BEHAVIOURS]
    sources = [{"id": f"s{i}", "title": f"Behaviour {t}", "url": u}
               for i, (u, (t, _, _)) in enumerate(zip(urls, BEHAVIOURS, strict=True))]
    sources.append({"id": "letter", "title": "Letter from the charity"})
    return write_case(tmp_path, sources), urls


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_every_behaviour_gets_its_status(all_behaviours: tuple[Path, list[str]],
                                         server: EvidenceServer, run_cli: Any,
                                         waits: Waits, loop: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """On uvloop's event loop, which refcheck uses where it is installed, and on asyncio's,
    which it falls back to (Windows)."""
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    else:
        monkeypatch.setattr(cli, "event_loop_factory", lambda: None)
    ran_on: list[str] = []
    fetcher_for = parts_with(waits).make_fetcher

    def noting_the_loop(settings: Any) -> Any:
        ran_on.append(type(asyncio.get_running_loop()).__module__.split(".")[0])
        return fetcher_for(settings)

    case, _ = all_behaviours
    # As long a deadline as leaves Retry-After: 1 more than half of it (reported, not waited
    # for), so that an honest answer on a loaded machine meets it.
    run = run_cli(str(case), "--format", "json", "--deadline", "1.9", "--timeout", "5",
                  parts=cli.Parts(make_fetcher=noting_the_loop))
    assert ran_on == [loop]
    report = json.loads(run.stdout)
    by_source = {link["source"]: link for link in report["links"]}
    mismatches = []
    for i, (_, status, words) in enumerate(BEHAVIOURS):
        link = by_source[f"s{i}"]
        words = words.format(base=server.base)
        if link["status"] != status or words not in link["detail"]:
            mismatches.append((BEHAVIOURS[i][0], link["status"], link["detail"]))
    assert mismatches == []
    assert by_source["letter"]["status"] == "no-url"
    assert run.exit_code == 1  # dead and soft-404 links fail the run by default
    assert report["exit_code"] == 1
    # Its Retry-After (7 s, more than half of --deadline) was reported, not waited for and
    # asked again. (Not "no wait of 7 s": the archives' request budgets wait on the test's
    # virtual clock too, in whole and half seconds.)
    with server.lock:
        assert server.counts["/ratelimited"] == 1


def test_json_report_has_the_documented_fields(all_behaviours: tuple[Path, list[str]],
                                               server: EvidenceServer, run_cli: Any) -> None:
    case, _ = all_behaviours
    run = run_cli(str(case), "--format", "json", "--deadline", "1")
    report = json.loads(run.stdout)
    assert report["schema"] == "refcheck-report/1"
    assert report["network"] == "ok" and report["complete"] is True
    moved = next(link for link in report["links"] if link["url"].endswith("/chain/1"))
    assert set(moved) >= {"file", "source", "url", "line", "status", "http_status",
                          "final_url", "redirects", "detail", "checked_at", "archive"}
    assert moved["file"] == str(case)
    assert moved["http_status"] == 200
    assert moved["final_url"] == server.url("/new/home-of-evidence")
    assert [r["status"] for r in moved["redirects"]] == [301, 302, 301]
    assert moved["archive"] is None
    lines = case.read_text().splitlines()
    assert moved["url"] in lines[moved["line"] - 1]  # the line of the URL in the case file


def test_credentials_are_masked_in_terminal_and_json(all_behaviours: tuple[Path, list[str]],
                                                     run_cli: Any) -> None:
    case, _ = all_behaviours
    for fmt in ("json", "terminal"):
        run = run_cli(str(case), "--format", fmt, "--deadline", "1")
        assert "hunter2" not in run.stdout and "s3cret" not in run.stdout
        assert "****:****@127.0.0.1" in run.stdout
        assert "token=****&page=2" in run.stdout


def test_page_title_markup_and_escape_codes_are_shown_literally(
        all_behaviours: tuple[Path, list[str]], run_cli: Any) -> None:
    case, _ = all_behaviours
    run = run_cli(str(case), "--deadline", "1")
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout
    assert "[bold red]PWNED[/bold red] \\x1b[31mred\\x1b[0m" in run.stdout


def test_terminal_report_reads_without_colour(tmp_path: Path, server: EvidenceServer,
                                              run_cli: Any) -> None:
    case = write_case(tmp_path, [
        {"id": "a", "title": "Report", "url": server.url("/page")},
        {"id": "b", "title": "Gone", "url": server.url("/gone404")},
    ])
    run = run_cli(str(case))
    assert "\x1b" not in run.stdout
    assert "✓ ok 200" in run.stdout and "✗ dead 404" in run.stdout
    assert "2 links in 1 case file: 1 ok, 1 dead" in run.stdout
    assert "✗ 1 link fails the run (dead), so the exit code is 1." in run.stdout
    assert "What to do (1 of 2 sources):" in run.stdout
    assert run.exit_code == 1
    assert "checking" not in run.stderr  # no progress bar when stderr is not a terminal


def test_all_fine_exits_0(tmp_path: Path, server: EvidenceServer, run_cli: Any) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": server.url("/page")}])
    run = run_cli(str(case))
    assert run.exit_code == 0
    assert "✓ No link needs attention." in run.stdout


def test_fail_on_changes_what_fails(tmp_path: Path, server: EvidenceServer,
                                    run_cli: Any) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Moved", "url": server.url("/chain/1")}])
    assert run_cli(str(case)).exit_code == 0  # moved is a warning by default
    assert run_cli(str(case), "--fail-on", "moved,dead").exit_code == 1
    bad = run_cli(str(case), "--fail-on", "gone")
    assert bad.exit_code == 2 and "unknown status `gone`" in bad.stderr


def test_output_file_gets_the_report(tmp_path: Path, server: EvidenceServer,
                                     run_cli: Any) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": server.url("/page")}])
    out = tmp_path / "report.json"
    run = run_cli(str(case), "--format", "json", "--output", str(out))
    assert run.stdout == ""
    assert json.loads(out.read_text())["links"][0]["status"] == "ok"


def test_directory_of_case_files(tmp_path: Path, server: EvidenceServer, run_cli: Any) -> None:
    write_case(tmp_path, [{"id": "a", "title": "A", "url": server.url("/page")}], name="a.yaml")
    write_case(tmp_path, [{"id": "a", "title": "B", "url": server.url("/page")}], name="b.yml")
    run = run_cli(str(tmp_path), "--format", "json")
    assert sorted(link["file"] for link in json.loads(run.stdout)["links"]) == [
        str(tmp_path / "a.yaml"), str(tmp_path / "b.yml")]


def test_case_file_errors_exit_2_with_location_and_no_traceback(tmp_path: Path,
                                                                run_cli: Any) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: ftp://x/\n")
    run = run_cli(str(path))
    assert run.exit_code == 2
    assert f"{path}:6:10: error: source a url `ftp://x/` uses `ftp:`" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_missing_case_file_exits_2(tmp_path: Path, run_cli: Any) -> None:
    run = run_cli(str(tmp_path / "nope.yaml"))
    assert run.exit_code == 2 and "no such file or directory" in run.stderr


def test_warnings_do_not_stop_the_run(tmp_path: Path, server: EvidenceServer,
                                      run_cli: Any) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"case:\n  title: T\nsources:\n  - id: a\n    title: A\n"
                    f"    url: {server.url('/page')}\n    quoet: x\n")
    run = run_cli(str(path))
    assert "7:5: warning: source a: unknown key `quoet` is ignored; did you mean `quote`?" \
        in run.stderr
    assert run.exit_code == 0


def test_no_network_exits_3_and_concludes_nothing(tmp_path: Path, run_cli: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing answers: not the links, not the archives, not the probe.
    monkeypatch.setenv("REFCHECK_PROBE_URL", "http://probe.invalid/")
    monkeypatch.setenv("REFCHECK_UKGWA_URL", "http://ukgwa.invalid/ukgwa")
    monkeypatch.setenv("REFCHECK_WAYBACK_URL", "http://wayback.invalid")
    case = write_case(tmp_path, [
        {"id": "a", "title": "A", "url": "http://www.gov.invalid/report.pdf"},
        {"id": "b", "title": "B", "url": "http://other.invalid/page"},
    ])
    run = run_cli(str(case))
    assert run.exit_code == 3
    assert "No network: nothing at all could be reached" in run.stdout
    assert "dead" not in run.stdout
    report = json.loads(run_cli(str(case), "--format", "json").stdout)
    assert report["network"] == "unreachable"
    assert {link["status"] for link in report["links"]} == {"error"}
    assert {link["evidence"] for link in report["links"]} == {"unknown"}


def test_without_a_probe_each_link_s_own_failure_is_reported(
        tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--probe-url ""` skips the probe: then nothing shows that the network is down, so
    a link whose server refuses is reported as refused, not as "no network" (exit 3)."""
    import socket

    with socket.socket() as closed:  # a port nothing listens on once this is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    case = write_case(tmp_path, [{"id": "a", "title": "A",
                                  "url": f"http://127.0.0.1:{port}/report"}])
    run = run_cli(str(case), "--probe-url", "", "--no-archive", "--retries", "0")
    assert run.exit_code != 3
    assert "connection refused" in run.stdout
    assert "No network" not in run.stdout


def test_archives_answering_means_the_network_is_up(tmp_path: Path, run_cli: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFCHECK_PROBE_URL", "http://probe.invalid/")
    case = write_case(tmp_path, [{"id": "a", "title": "A", "url": "http://gone.invalid/x"}])
    run = run_cli(str(case))
    assert run.exit_code == 1 and "✗ dead" in run.stdout


def test_unknown_hosts_are_dead_when_the_probe_answers(tmp_path: Path, server: EvidenceServer,
                                                       run_cli: Any) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A", "url": "http://gone.invalid/x"}])
    run = run_cli(str(case), "--probe-url", server.url("/"))
    assert run.exit_code == 1
    assert "✗ dead" in run.stdout


@pytest.mark.parametrize(("option", "value", "words"), [
    ("--probe-url", "www.gov.uk", "--probe-url: `www.gov.uk` has no scheme; expected an "
     "address starting with https:// (https://www.gov.uk?); the default is "
     "https://www.gov.uk/, and empty means no probe"),
    ("REFCHECK_PROBE_URL", "ftp://probe.example/", "REFCHECK_PROBE_URL: `ftp://probe.example/` "
     "uses `ftp:`"),
    ("--doi-url", "doi.org", "--doi-url: `doi.org` has no scheme; expected an address "
     "starting with https:// (https://doi.org?); the default is https://doi.org"),
])
def test_a_probe_or_doi_url_that_cannot_be_asked_is_refused_before_anything_is_fetched(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, monkeypatch: pytest.MonkeyPatch,
        option: str, value: str, words: str) -> None:
    """A probe that cannot be asked fails as a network that is down does: every dead host
    would be "not checked: no network connection" and the exit code 3."""
    case = write_case(tmp_path, [{"id": "a", "title": "A", "url": "http://gone.invalid/x"}])
    if option.startswith("--"):
        run = run_cli(str(case), "--no-archive", option, value)
    else:
        monkeypatch.setenv(option, value)
        run = run_cli(str(case), "--no-archive")
    assert run.exit_code == 2
    assert f"refcheck: {words}" in run.stderr
    assert server.seen == [] and run.stdout == ""


def _subprocess_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI")}
    env["REFCHECK_PROBE_URL"] = ""
    env["REFCHECK_UKGWA_URL"] = "http://ukgwa.invalid/ukgwa"
    env["REFCHECK_WAYBACK_URL"] = "http://wayback.invalid"
    return env


def test_python_dash_m_and_version() -> None:
    run = subprocess.run([sys.executable, "-m", "refcheck", "--version"], capture_output=True,
                         text=True, timeout=60, env=_subprocess_env())
    assert run.returncode == 0 and run.stdout.startswith("refcheck ")


def test_the_command_runs_with_the_cyclic_collector_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The entry point holds the collector off only while refcheck's modules load, and
    leaves what they made out of its scans: cycles made by the run are still collected."""
    from refcheck.__main__ import main

    seen: list[tuple[bool, int]] = []
    monkeypatch.setattr("refcheck.cli.main", lambda: seen.append(
        (gc.isenabled(), gc.get_freeze_count())))
    threshold = gc.get_threshold()
    try:
        with pytest.raises(SystemExit) as done:
            main()
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    [(enabled, frozen)] = seen
    assert enabled and frozen > 0 and done.value.code == 0


@pytest.mark.parametrize(("code", "status"), [(3, 3), (None, None), (0, 0),
                                              ("no such file", "no such file")])
def test_the_exit_code_and_all_output_survive_the_end_of_the_command(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], code: object,
        status: object) -> None:
    """The command's exit code (or message) is the process's, and its output is flushed."""
    import refcheck.__main__ as entry

    def command() -> None:
        print("the report")
        raise SystemExit(code)

    monkeypatch.setattr("refcheck.cli.main", command)
    with pytest.raises(SystemExit) as done:
        entry.main()
    assert done.value.code == status
    assert capsys.readouterr().out == "the report\n"


def test_ctrl_c_while_starting_is_a_message_and_130_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import refcheck.__main__ as entry

    def command() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("refcheck.cli.main", command)
    with pytest.raises(SystemExit) as done:
        entry.main()
    assert done.value.code == 130
    assert "interrupted (Ctrl-C) while starting; nothing was checked" in capsys.readouterr().err


@pytest.mark.parametrize(("step", "words"), [
    ("refcheck.cli.load_cases", "while reading the case files; nothing was checked"),
    ("refcheck.report.terminal.TerminalRenderer.render",
     "while writing the report, which is incomplete"),
])
def test_ctrl_c_before_or_after_the_checking_says_so_and_exits_130(
        tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch, step: str,
        words: str) -> None:
    """Ctrl-C during the checking reports what was checked (above); before it, or while the
    report is written, typer would end the run silently with 130: refcheck says what
    happened."""
    case = write_case(tmp_path, [{"id": "a", "title": "A letter from the council"}])

    def interrupted(*args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(step, interrupted)
    run = run_cli(str(case))
    assert run.exit_code == 130
    assert words in run.stderr


@pytest.mark.parametrize("form", ["terminal", "json"])
def test_a_reader_that_goes_away_does_not_change_the_exit_code(tmp_path: Path,
                                                               form: str) -> None:
    """`refcheck … | head`: the report cannot all be written, but the exit code is still
    the run's (here 0: a letter held by the institution needs no attention)."""
    case = write_case(tmp_path, [{"id": "a", "title": "A letter from the council"}])
    proc = subprocess.Popen([sys.executable, "-m", "refcheck", str(case), "-f", form],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_subprocess_env())
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    with proc.stderr:
        assert proc.wait(timeout=60) == 0
        assert "Traceback" not in proc.stderr.read()

def test_help_shows_examples() -> None:
    run = subprocess.run([sys.executable, "-m", "refcheck", "--help"], capture_output=True,
                         text=True, timeout=60, env=_subprocess_env())
    assert run.returncode == 0
    assert "refcheck cases/salford.yaml" in run.stdout and "Exit codes" in run.stdout


def _in_the_foreground(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """refcheck started as a run in the foreground, for Ctrl-C. A shell starts a background
    job (`pytest … &`, some CI runners) with Ctrl-C ignored, and a child inherits that, as
    it should: refcheck run in the background is not for Ctrl-C. The refcheck started here
    gets Ctrl-C's default."""
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _hold_ctrl_c_down(proc: subprocess.Popen[str]) -> str:
    """Ctrl-C sent again and again until the process has ended, whatever it was doing
    meanwhile (stopping, writing its report, closing): what it said on stderr."""
    while proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=60)[1]


def test_ctrl_c_pressed_again_and_again_still_reports_what_was_checked(
        tmp_path: Path, server: EvidenceServer) -> None:
    """An impatient user holds Ctrl-C down: the first stops the checking, the others are
    ignored while the partial report is written (asyncio's own handling raised
    KeyboardInterrupt from the second inside the event loop: a traceback, exit 1, no
    report)."""
    case = write_case(tmp_path, [
        {"id": "a", "title": "Gone", "url": server.url("/lost/report")},
        {"id": "b", "title": "Slow", "url": server.url("/trickle")},
    ])
    env = {**_subprocess_env(), "REFCHECK_UKGWA_URL": server.url("/ukgwa")}
    report = tmp_path / "report.json"
    proc = _in_the_foreground([sys.executable, "-m", "refcheck", str(case), "-f", "json",
                               "-o", str(report)], env)
    try:
        assert server.wait_for("/trickle", timeout=60)
        assert server.wait_for("/ukgwa/", prefix=True, timeout=60)
        err = _hold_ctrl_c_down(proc)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    written = json.loads(report.read_text())
    assert written["complete"] is False
    assert [link["status"] for link in written["links"]] == ["dead"]


def test_ctrl_c_held_down_during_preserve_ends_it_with_a_message_not_a_traceback(
        tmp_path: Path, server: EvidenceServer) -> None:
    case = write_case(tmp_path, [{"id": "b", "title": "Slow", "url": server.url("/trickle")}])
    env = {**_subprocess_env(), "REFCHECK_IA_ACCESS_KEY": "a", "REFCHECK_IA_SECRET_KEY": "s",
           "REFCHECK_SPN_URL": server.url("/spn"), "REFCHECK_WAYBACK_URL": server.url("/wb")}
    proc = _in_the_foreground([sys.executable, "-m", "refcheck", "preserve", str(case)], env)
    try:
        assert server.wait_for("/trickle", timeout=60)
        err = _hold_ctrl_c_down(proc)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "refcheck preserve: interrupted (Ctrl-C)" in err


@pytest.mark.parametrize(("stop", "code", "how"), [
    (signal.SIGINT, 130, "interrupted (Ctrl-C)"), (signal.SIGTERM, 143, "stopped (SIGTERM)")])
def test_preserve_and_fix_stopped_while_checking_say_nothing_was_sent_or_changed(
        tmp_path: Path, server: EvidenceServer, stop: signal.Signals, code: int,
        how: str) -> None:
    """SIGTERM (a CI job cancelled) ended both at once, with no word and exit code -15."""
    case = write_case(tmp_path, [{"id": "b", "title": "Slow", "url": server.url("/trickle")}])
    before = case.read_text()
    env = {**_subprocess_env(), "REFCHECK_IA_ACCESS_KEY": "a", "REFCHECK_IA_SECRET_KEY": "s",
           "REFCHECK_SPN_URL": server.url("/spn"), "REFCHECK_WAYBACK_URL": server.url("/wb"),
           "REFCHECK_CACHE_DIR": str(tmp_path / "memory")}
    for command, said in (("preserve", "nothing was sent"), ("fix", "nothing was changed")):
        server.reset_counts()
        proc = _in_the_foreground([sys.executable, "-m", "refcheck", command, str(case)], env)
        try:
            assert server.wait_for("/trickle", timeout=60)
            proc.send_signal(stop)
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
        assert proc.returncode == code, err
        assert f"refcheck {command}: {how} while checking the links; {said}." in err
        assert "Traceback" not in err
    assert case.read_text() == before


@pytest.mark.parametrize(("stop", "code", "how"), [
    (signal.SIGINT, 130, "interrupted (Ctrl-C)"), (signal.SIGTERM, 143, "stopped (SIGTERM)")])
def test_preserve_stopped_while_capturing_lists_the_captures_asked_for_and_not_sent(
        tmp_path: Path, server: EvidenceServer, stop: signal.Signals, code: int,
        how: str) -> None:
    """Two captures under way (at most two run at once), a third waiting: each is listed,
    so that the day's captures are not spent on them again."""
    import threading

    from tests.fake_spn import FakeSpn

    spn = FakeSpn()
    threading.Thread(target=spn.serve_forever, daemon=True).start()
    try:
        case = write_case(tmp_path, [
            {"id": f"s{i}", "title": f"Page {i}", "url": server.url(f"/page?spn=pending&n={i}")}
            for i in range(3)] + [{"id": "gone", "title": "Gone",
                                   "url": server.url("/gone404")}])
        env = {**_subprocess_env(), "REFCHECK_IA_ACCESS_KEY": ACCESS,
               "REFCHECK_IA_SECRET_KEY": SECRET, "REFCHECK_SPN_URL": spn.base,
               "REFCHECK_WAYBACK_URL": spn.base, "REFCHECK_CACHE_DIR": str(tmp_path / "m")}
        proc = _in_the_foreground([sys.executable, "-m", "refcheck", "preserve", str(case),
                                   "-f", "json"], env)
        try:
            assert spn.wait_for_jobs(2, timeout=60)
            proc.send_signal(stop)
            out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
    finally:
        spn.shutdown()
        spn.server_close()
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert f"refcheck preserve: {how}; what became of each link is listed above. 2 " \
           "captures asked for may still be made" in err
    assert "1 link was not sent: run refcheck preserve again for them once" in err
    report = json.loads(out)
    assert report["complete"] is False
    outcomes = sorted(link["outcome"] for link in report["links"])
    assert outcomes == ["asked", "asked", "not-sent", "skipped"]
    # The job's id, unless refcheck was stopped before it had read the answer naming it.
    assert {link["job_id"] for link in report["links"] if link["outcome"] == "asked"} <= \
        {None, *spn.jobs}


@pytest.mark.parametrize(("stop", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_run_prints_what_was_checked(tmp_path: Path, server: EvidenceServer,
                                               stop: signal.Signals, code: int) -> None:
    """Ctrl-C, or SIGTERM (a CI job cancelled, a container stopped): the links checked so
    far are reported, marked partial. The dead link's result is certainly in the report
    before the signal: refcheck records a link's result before it asks the archives about
    it, and the signal is sent only once the archive has been asked (and the slow page has
    been asked for, so that it is still unfinished)."""
    case = write_case(tmp_path, [
        {"id": "a", "title": "Gone", "url": server.url("/lost/report")},
        {"id": "b", "title": "Slow", "url": server.url("/trickle")},
    ])
    env = {**_subprocess_env(), "REFCHECK_UKGWA_URL": server.url("/ukgwa")}
    proc = _in_the_foreground([sys.executable, "-m", "refcheck", str(case)], env)
    try:
        assert server.wait_for("/trickle", timeout=60)
        assert server.wait_for("/ukgwa/", prefix=True, timeout=60)
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == code, err
    assert "✗ dead 404" in out and "Gone" in out
    assert "Interrupted: 1 of 2 links were checked" in out
    assert "Not checked (1)" in out and "b " + server.url("/trickle") in out
    assert "Traceback" not in err


@pytest.mark.parametrize("option", ["--timeout", "--deadline", "--host-interval"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_time_that_is_no_number_is_refused_naming_the_option(
        tmp_path: Path, run_cli: Any, server: EvidenceServer, option: str, value: str) -> None:
    """``nan`` passed the option's own range check, and every request then failed: "no
    network", exit 3."""
    case = write_case(tmp_path, [{"id": "a", "title": "Page", "url": server.url("/page")}])
    run = run_cli(str(case), option, value)
    assert run.exit_code == 2
    assert f"{option}: expected an ordinary number of seconds" in run.stderr
    assert server.seen == []


@pytest.mark.parametrize("value", ["", ",,", " "])
def test_an_empty_fail_on_is_refused_not_taken_for_nothing_fails(
        tmp_path: Path, run_cli: Any, server: EvidenceServer, value: str) -> None:
    """`--fail-on "$FAIL_ON"` with the variable unset made a run with a dead link pass."""
    case = write_case(tmp_path, [{"id": "a", "title": "Gone", "url": server.url("/gone")}])
    run = run_cli(str(case), "--fail-on", value)
    assert run.exit_code == 2
    assert "--fail-on: no statuses given" in run.stderr and "`none`" in run.stderr
    assert server.seen == []


def test_ctrl_c_once_every_link_is_checked_leaves_the_report_complete(
        tmp_path: Path, run_cli: Any, server: EvidenceServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C as the event loop closes, every link checked: the report is whole, not
    "Interrupted: 1 of 1 links were checked; the results are partial"."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("Ctrl-C is not refcheck's to handle here")
    close = asyncio.Runner.close

    def pressed_as_it_closes(self: asyncio.Runner) -> None:
        signal.raise_signal(signal.SIGINT)
        close(self)

    monkeypatch.setattr(asyncio.Runner, "close", pressed_as_it_closes)
    case = write_case(tmp_path, [{"id": "a", "title": "Page", "url": server.url("/page")}])
    try:
        run = run_cli(str(case), "-f", "json", "--no-archive")
    finally:  # what the process's end would undo
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["complete"] is True


def test_a_case_file_named_twice_is_checked_and_counted_once(
        tmp_path: Path, server: EvidenceServer, run_cli: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`refcheck cases/salford.yaml cases/`: the file is in the folder too."""
    folder = tmp_path / "cases"
    folder.mkdir()
    case = write_case(folder, [{"id": "a", "title": "Gone", "url": server.url("/gone404")},
                               {"id": "b", "title": "Page", "url": server.url("/page")}])
    monkeypatch.chdir(tmp_path)
    run = run_cli(str(case), str(folder), "cases/./case.yaml", "--no-archive")
    assert run.exit_code == 1
    assert "2 links in 1 case file: 1 ok, 1 dead" in run.stdout
    assert "✗ 1 link fails the run (dead), so the exit code is 1." in run.stdout
    assert run.stdout.count("a  Gone") == 1
