"""Reading many case files with a second process: the same cases, warnings and errors as
reading them all here, whatever happens to that process."""

from __future__ import annotations

import datetime as dt
import io
import os
import pickle
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from refcheck import early, reading
from refcheck.cases import LoadedCase
from refcheck.errors import CaseFileError, Problem
from refcheck.model import Case, CitedUrl, Position, Source, SourceKind


def _folder(tmp_path: Path, count: int) -> list[Path]:
    """``count`` case files: most clean, one with a warning, one with an error, and one
    whose name holds a newline; the error and the warning fall in the second process's
    share (the last files)."""
    paths = []
    for i in range(count):
        name = f"case-{i:03d}.yaml" if i != count - 3 else f"case-{i:03d}\nnewline.yaml"
        url = f"https://example.org/{i}/report.pdf"
        if i == count - 2:
            url += "."  # a warning: the trailing full stop
        body = (f"case:\n  title: Case {i}\n  date: 2013-11-29\nsources:\n"
                f"- id: '{i}'\n  title: Evidence {i}\n  url: {url}\n  quote: a quote\n")
        if i == count - 1:
            body += "- id: 'x'\n  url: https://example.org/no-title\n"  # an error
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


def _described(results: list[reading.Read]) -> list[object]:
    return [r.problems if isinstance(r, CaseFileError) else (r.case, r.warnings)
            for r in results]


def test_files_read_by_a_second_process_are_read_as_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "AT_LEAST", 4)
    paths = _folder(tmp_path, 12)
    here = [reading.read_case(path) for path in paths]
    both = reading.read_all(paths, reading.read_case, cores=2)
    assert _described(both) == _described(here)
    last = both[-1]
    assert isinstance(last, CaseFileError)
    assert any("has no `title:`" in p.message for p in last.problems)
    warned = both[-2]
    assert isinstance(warned, LoadedCase) and warned.warnings


@pytest.mark.parametrize("helper", ["cannot start", "fails", "says nothing",
                                    "no Python named", "an empty name", "frozen"])
def test_when_the_second_process_gives_nothing_its_files_are_read_here(
        helper: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It cannot start, it fails, it sends nothing; or there is no Python to start (then
    none is started)."""
    monkeypatch.setattr(reading, "AT_LEAST", 4)
    paths = _folder(tmp_path, 12)
    here = [reading.read_case(path) for path in paths]
    if helper == "cannot start":
        monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    elif helper in ("fails", "says nothing"):
        script = tmp_path / "python"
        script.write_text("#!/bin/sh\n" + ("exit 3\n" if helper == "fails" else "exit 0\n"))
        script.chmod(0o755)
        monkeypatch.setattr(sys, "executable", str(script))
    else:
        if helper == "frozen":
            monkeypatch.setattr(sys, "frozen", True, raising=False)
        else:
            monkeypatch.setattr(sys, "executable", None if helper == "no Python named" else "")

        def no_process(*args: object, **kwargs: object) -> None:
            raise AssertionError("no process is started")

        monkeypatch.setattr(subprocess, "Popen", no_process)
    assert _described(reading.read_all(paths, reading.read_case, cores=2)) == _described(here)


def test_the_second_process_never_runs_a_refcheck_found_in_the_working_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A repository of case files holding a `refcheck/reading.py` of its own: checking it
    from its folder does not run that code."""
    monkeypatch.setattr(reading, "AT_LEAST", 4)
    planted = tmp_path / "refcheck"
    planted.mkdir()
    ran = tmp_path / "ran"
    (planted / "__init__.py").write_text("")
    (planted / "reading.py").write_text(f"open({str(ran)!r}, 'w').close()\n")
    cases = tmp_path / "cases"
    cases.mkdir()
    paths = _folder(cases, 12)
    monkeypatch.chdir(tmp_path)
    here = [reading.read_case(path) for path in paths]
    assert _described(reading.read_all(paths, reading.read_case, cores=2)) == _described(here)
    assert not ran.exists()


def test_the_second_process_is_kept_from_what_this_one_was_kept_from(
        tmp_path: Path) -> None:
    """Run isolated (-I), refcheck ignores PYTHONPATH: so does the process it starts, and
    a `refcheck` planted there is not run."""
    planted = tmp_path / "planted" / "refcheck"
    planted.mkdir(parents=True)
    ran = tmp_path / "ran"
    (planted / "__init__.py").write_text("")
    (planted / "reading.py").write_text(f"open({str(ran)!r}, 'w').close()\n")
    cases = tmp_path / "cases"
    cases.mkdir()
    _folder(cases, 12)
    script = ("import sys; from refcheck import reading, cases; reading.AT_LEAST = 4; "
              f"paths = cases.discover([{str(cases)!r}]); "
              "got = reading.read_all(paths, reading.read_case, cores=2); print(len(got))")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "planted")}
    done = subprocess.run([sys.executable, "-I", "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "12"
    assert not ran.exists()


def test_few_files_or_one_core_are_read_here_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No second process is started (it would fail: there is no Python to start)."""
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    started: list[object] = []
    monkeypatch.setattr(early, "start_reader", lambda: started.append(1))
    paths = _folder(tmp_path, 12)
    monkeypatch.setattr(reading, "AT_LEAST", 13)
    reading.read_all(paths, reading.read_case, cores=2)
    monkeypatch.setattr(reading, "AT_LEAST", 4)
    reading.read_all(paths, reading.read_case, cores=1)
    assert not started


def _frames(data: bytes) -> list[Any]:
    frames = []
    while data:
        size = int.from_bytes(data[:8], "big")
        frames.append(pickle.loads(data[8:8 + size]))
        data = data[8 + size:]
    return frames


def test_the_second_process_sends_back_what_it_read_the_last_file_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its side, in this process: the names in (their length first), what was read out a
    few files at a time, from the last file to the first, while its input stays open."""
    paths = _folder(tmp_path, 20)
    names = b"\0".join(str(p).encode() for p in paths)
    given, held = os.pipe()
    os.write(held, len(names).to_bytes(8, "big") + names)
    stdout = io.TextIOWrapper(io.BytesIO())
    with open(given, "rb") as stdin_bytes:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin_bytes))
        monkeypatch.setattr(sys, "stdout", stdout)
        try:
            assert reading.main() == 0
        finally:
            os.close(held)
    home, *frames = _frames(stdout.buffer.getvalue())
    assert home == str(Path(reading.__file__).resolve().parent)  # which refcheck read them
    assert len(frames) > 1
    sent = [read for frame in frames for read in frame]
    assert _described(sent) == _described(
        [reading.read_case(p) for p in reversed(paths)])


def test_dismissed_before_it_is_given_files_it_reads_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    stdout = io.TextIOWrapper(io.BytesIO())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    monkeypatch.setattr(sys, "stdout", stdout)
    assert reading.main() == 0
    assert stdout.buffer.getvalue() == b""


def _held_up(helper: subprocess.Popen[bytes],
             read_here: list[Path]) -> Callable[[Path], reading.Read]:
    """Reading here that waits at its first file until the other process has ended."""
    def read_one(path: Path) -> reading.Read:
        if not read_here:
            helper.wait(timeout=120)
        read_here.append(path)
        return reading.read_case(path)

    return read_one


def _read_beside(paths: list[Path], helper: subprocess.Popen[bytes]) -> list[Path]:
    """Read ``paths`` with ``helper`` as the second process, this one held up at its first
    file (``_held_up``); the result must be what reading them here alone gives. Returns the
    files this process read itself."""
    here = [reading.read_case(path) for path in paths]
    read_here: list[Path] = []
    both = reading.read_all(paths, _held_up(helper, read_here), cores=2, helper=helper)
    assert _described(both) == _described(here)
    return read_here


def test_while_this_process_is_held_up_the_other_reads_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The two sides share the files by how fast each goes, not in fixed parts: this one
    kept waiting at its first file (as by its own imports), the other reads all the rest."""
    monkeypatch.setattr(reading, "AT_LEAST", 4)
    paths = _folder(tmp_path, 12)
    helper = early.start_reader()
    assert helper is not None
    # It may even have read them all before this one began.
    assert _read_beside(paths, helper) in ([], paths[:1])


_FAKE = """
import os, pickle, sys
from pathlib import Path
from refcheck import reading
head = sys.stdin.buffer.read(8)
paths = [Path(n.decode()) for n in sys.stdin.buffer.read(int.from_bytes(head, "big")).split(b"\\0")]
home = reading.dumps(str(Path(reading.__file__).resolve().parent))
sys.stdout.buffer.write(len(home).to_bytes(8, "big") + home)

class Planted:
    def __reduce__(self):
        return os.mkdir, ({planted!r},)

if {kind!r} == "garbled":
    data = b"not a pickle"
elif {kind!r} == "another file":
    data = reading.dumps([reading.read_case(paths[0])])
elif {kind!r} == "code to run":
    data = pickle.dumps([Planted()])
elif {kind!r} == "another file's problems":
    # The last file (which has an error) first, as asked, then its problems again in
    # place of the file before it.
    data = reading.dumps([reading.read_case(paths[-1])] * 2)
else:
    data = reading.dumps([reading.read_case(p) for p in reversed(paths * 2)])
sys.stdout.buffer.write(len(data).to_bytes(8, "big") + data)
sys.stdout.buffer.flush()
"""


@pytest.mark.parametrize("kind", ["garbled", "another file", "another file's problems",
                                  "more files than it has", "code to run"])
def test_what_the_second_process_sends_wrong_is_read_here(
        kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "AT_LEAST", 4)
    paths = _folder(tmp_path, 12)
    planted = tmp_path / "planted"
    helper = subprocess.Popen([sys.executable, "-c", _FAKE.format(kind=kind, planted=str(planted))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert _read_beside(paths, helper) == paths  # nothing it sent was taken
    assert not planted.exists()  # nor run: what it sends can build only a case's parts


def test_a_second_process_with_another_installation_of_refcheck_is_not_believed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Started as this Python, but its `refcheck` found elsewhere (another version,
    installed, that may read case files differently): its files are read here."""
    monkeypatch.setattr(reading, "AT_LEAST", 4)
    other = tmp_path / "other"
    shutil.copytree(Path(reading.__file__).parent, other / "refcheck")
    monkeypatch.setenv("PYTHONPATH", str(other))
    cases = tmp_path / "cases"
    cases.mkdir()
    paths = _folder(cases, 12)
    helper = early.start_reader()
    assert helper is not None
    assert _read_beside(paths, helper) == paths


def test_when_no_thread_can_be_started_the_files_are_read_here_and_its_pipes_closed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "AT_LEAST", 4)
    paths = _folder(tmp_path, 12)
    here = [reading.read_case(path) for path in paths]
    helper = early.start_reader()
    assert helper is not None and helper.stdin is not None and helper.stdout is not None

    def no_thread(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_thread)
    both = reading.read_all(paths, reading.read_case, cores=2, helper=helper)
    assert _described(both) == _described(here)
    assert helper.stdin.closed and helper.stdout.closed
    assert helper.poll() is not None


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="reads /proc")
def test_a_dismissed_second_process_is_not_left_a_zombie() -> None:
    """A process dismissed unused (too few files) is collected once it ends, not kept as
    a zombie for the rest of the run."""
    helper = early.start_reader()
    assert helper is not None
    early.dismiss(helper)
    # What collects it is a thread of its own: once every such thread has ended, the
    # process is gone (a zombie keeps its /proc entry).
    for thread in threading.enumerate():
        if thread.name == "refcheck-reading":
            thread.join(timeout=120)
    assert not Path(f"/proc/{helper.pid}").exists()


def test_a_second_process_started_early_reads_or_is_dismissed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Started before refcheck's imports because the command names a folder: given the
    files when there are enough (no other process is started), else ended unused."""
    monkeypatch.setattr(reading, "AT_LEAST", 4)
    monkeypatch.setattr(early, "cores", lambda: 2)
    paths = _folder(tmp_path, 12)
    here = [reading.read_case(path) for path in paths]
    start_reader = early.start_reader
    early.prestart([str(tmp_path), "--no-archive"])
    helper = early.take()
    assert helper is not None and early.take() is None

    def not_another() -> None:
        raise AssertionError("the process started early is used")

    monkeypatch.setattr(early, "start_reader", not_another)
    both = reading.read_all(paths, reading.read_case, cores=2, helper=helper)
    assert _described(both) == _described(here)
    monkeypatch.setattr(early, "start_reader", start_reader)
    early.prestart([str(tmp_path)])
    unused = early.take()
    assert unused is not None
    monkeypatch.setattr(reading, "AT_LEAST", 13)
    assert _described(reading.read_all(paths, reading.read_case, cores=2, helper=unused)) \
        == _described(here)
    assert unused.wait(timeout=120) == 0


def test_a_second_process_started_early_and_never_taken_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``refcheck FOLDER --check-only`` with a settings error reads nothing: what was
    started ends unused."""
    monkeypatch.setattr(early, "cores", lambda: 2)
    early.prestart([str(tmp_path)])
    started = list(early._prestarted)
    assert started
    early.dismiss()
    assert early.take() is None
    assert started[0].wait(timeout=120) == 0


@pytest.mark.parametrize(("argv", "large"), [
    (["{folder}"], True),
    (["{folder}", "-f", "json"], True),
    (["a.yaml", "b.yaml"], False),
    ([f"c{i}.yaml" for i in range(800)], True),
    (["merge", "{folder}"], False),
    (["extract", "{folder}"], False),
    (["{folder}", "--help"], False),
    (["{folder}", "--show-settings"], False),
    (["a.yaml", "--cache-dir", "{folder}"], False),
    (["--cache-dir", "{folder}", "{folder}"], True),
    (["--cache-dir={folder}", "a.yaml"], False),
    ([], False),
])
def test_what_looks_like_a_large_run(argv: list[str], large: bool, tmp_path: Path) -> None:
    assert early.looks_large([a.format(folder=tmp_path) for a in argv]) is large


def test_the_folder_valued_options_are_the_checks_own(run_cli: Any) -> None:
    """An option renamed in the command and not here would start a process for nothing."""
    shown = run_cli("--help")
    assert shown.exit_code == 0
    assert all(option in shown.stdout for option in early._FOLDER_VALUED)


def test_every_field_of_a_case_crosses_between_the_processes() -> None:
    """Each field set to something other than its default: a field added to the model
    and not carried fails here."""
    where = Position("c.yaml", 3, 5, place="page 4, line 12")
    source = Source(id="E1", title="Report", urls=(CitedUrl("https://e.org/r", where),),
                    position=where, kind=SourceKind.REFERENCE, quote="q", note="n",
                    doi="10.1002/car.934")
    case = Case(path="c.yaml", title="T", sources=(source,), institution="Uni", id="19409",
                date=dt.date(2013, 11, 29))
    warning = Problem("c.yaml", 3, 5, "remove the full stop", warning=True, excerpt="url: x.")
    error = CaseFileError([Problem("d.yaml", None, None, "file is empty")])
    sent = reading.loads(reading.dumps([LoadedCase(case, [warning]), error]))
    assert isinstance(sent, list)
    assert sent[0] == LoadedCase(case, [warning])
    assert isinstance(sent[1], CaseFileError) and sent[1].problems == error.problems
    assert str(sent[1]) == str(error)


def test_an_error_in_a_file_the_second_process_read_stops_the_run_before_any_fetch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Any) -> None:
    """A folder of case files read on two cores: the error in the last file (the second
    process's) is reported where it is, and nothing is fetched."""
    monkeypatch.setattr(reading, "AT_LEAST", 4)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    paths = _folder(tmp_path, 12)
    run = run_cli(str(tmp_path))
    assert run.exit_code == 2, run.stderr
    assert f"{paths[-1]}:9:3: error: source x has no `title:`" in run.stderr
    assert "nothing was checked" in run.stderr
