"""The settings file: where it is found, every key, precedence, patterns, accepted statuses,
headers per host, and ``--show-settings``."""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from refcheck.config import KEYS, load_settings_file
from refcheck.errors import UsageError
from tests.conftest import write_case
from tests.server import EvidenceServer


def settings(run: Any) -> dict[str, tuple[str, str]]:
    """``--show-settings`` as key -> (value, where it came from)."""
    shown = {}
    for line in run.stdout.splitlines():
        if line.startswith("#"):
            continue
        key, _, rest = line.partition(" = ")
        value, _, origin = rest.rpartition("  # ")
        shown[key.strip()] = (value, origin)
    return shown


def case_in(folder: Path, server: EvidenceServer, *paths: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_case(folder, [{"id": f"s{i}", "title": f"Source {i}", "url": server.url(p)}
                               for i, p in enumerate(paths or ("/page",))])


def test_option_beats_environment_beats_file_beats_default(
        run_cli: Any, tmp_path: Path, server: EvidenceServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "refcheck.toml").write_text(
        'concurrency = 8\nper-host = 2\nfail-on = ["dead"]\ncache-dir = "memory"\n'
        'probe-url = "https://probe.example/"\n')
    case = case_in(tmp_path, server)
    shown = settings(run_cli("--show-settings", str(case), "--concurrency", "2"))
    file = str(tmp_path / "refcheck.toml")
    assert shown["concurrency"] == ("2", "option --concurrency")
    assert shown["per-host"] == ("2", file)
    assert shown["fail-on"] == ("dead", file)
    assert shown["retries"] == ("2", "default")
    # The tests set REFCHECK_PROBE_URL (empty: no probe) and REFCHECK_CACHE_DIR.
    assert shown["probe-url"] == ("(none: no probe)", "environment REFCHECK_PROBE_URL")
    assert shown["cache-dir"][1] == "environment REFCHECK_CACHE_DIR"
    monkeypatch.delenv("REFCHECK_CACHE_DIR")
    monkeypatch.delenv("REFCHECK_PROBE_URL")
    shown = settings(run_cli("--show-settings", str(case), "--cache-dir", str(tmp_path / "x")))
    assert shown["cache-dir"] == (str(tmp_path / "x"), "option --cache-dir")
    shown = settings(run_cli("--show-settings", str(case)))
    assert shown["cache-dir"] == (str(tmp_path / "memory"), file)  # beside the file
    assert shown["probe-url"] == ("https://probe.example/", file)


def test_an_empty_cache_dir_variable_counts_as_unset(
        run_cli: Any, tmp_path: Path, server: EvidenceServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`REFCHECK_CACHE_DIR=` (a CI variable left blank) is no setting, as an empty
    REFCHECK_CONFIG is: the settings file's cache-dir holds, for a run and for `cache`."""
    from typer.testing import CliRunner

    from refcheck.cache_command import app

    (tmp_path / "refcheck.toml").write_text('cache-dir = "memory"\n')
    case = case_in(tmp_path, server)
    monkeypatch.setenv("REFCHECK_CACHE_DIR", "")
    shown = settings(run_cli("--show-settings", str(case)))
    assert shown["cache-dir"] == (str(tmp_path / "memory"), str(tmp_path / "refcheck.toml"))
    monkeypatch.chdir(tmp_path)
    info = CliRunner().invoke(app, ["info"], prog_name="refcheck cache")
    assert f"memory of past runs: {tmp_path / 'memory' / 'memory.sqlite3'}" in info.stdout


#: A settings file that sets every key, and what --show-settings shows for each.
EVERY_KEY = {
    "format": ('"json"', "json"),
    "output": ('"report.json"', "{folder}/report.json"),
    "report": ('["junit:reports/r.xml"]', "junit:{folder}/reports/r.xml"),
    "quiet": ("true", "true"),
    "strict": ("true", "true"),
    "fail-on": ('"dead,moved"', "dead,moved"),
    "concurrency": ("16", "16"),
    "per-host": ("3", "3"),
    "host-interval": ("0.5", "0.5"),
    "timeout": ("5.5", "5.5"),
    "deadline": ("30", "30"),
    "retries": ("1", "1"),
    "max-redirects": ("5", "5"),
    "max-bytes": ("4096", "4096"),
    "user-agent": ('"Example University evidence checker"',
                   "Example University evidence checker"),
    "archive": ('["wayback", "ukgwa"]', "wayback,ukgwa"),
    "no-archive": ("false", "false"),
    "as-of": ("2014-01-31", "2014-01-31"),
    "compare-archive": ('"never"', "never"),
    "doi-url": ('"https://doi.example"', "https://doi.example"),
    "probe-url": ('"https://probe.example/"', "https://probe.example/"),
    "cache-dir": ('"memory"', "{folder}/memory"),
    "max-cache-age": ('"12h"', "12h"),
    "no-cache": ("false", "false"),
    "confirm": ('"3:3"', "3:3"),
    "shard": ('"1/1"', "1/1"),
    "exclude": ("['^https://intranet\\.']", None),
    "include": ("['^https://intranet\\.example\\.ac\\.uk/open/']", None),
    "accept": ('{ "www.linkedin.com" = [999] }', None),
    "headers": ('{ "files.example.ac.uk" = { X-Api-Key = "hunter2" } }', None),
    "archives": ('{ ukgwa_url = "https://ukgwa.example", wayback_requests_per_minute = 10 }',
                 None),
}


def test_every_option_of_the_check_can_be_kept_in_the_settings_file() -> None:
    """"Every option can be kept in a settings file": `compare-archive = "never"` was
    refused as an unknown setting ("did you mean `no-archive`?")."""
    from refcheck import cli

    not_settings = {"config", "check-only", "show-settings", "version",
                    # in the [archives] table, as ukgwa_url and wayback_url
                    "ukgwa-url", "wayback-url"}
    command = cli.app.registered_commands[0].callback
    assert command is not None
    options = {name.replace("_", "-") for name in inspect.signature(command).parameters
               if name not in ("ctx", "casefiles")}
    options = {"report" if o == "reports" else o for o in options}
    assert options - not_settings - set(KEYS) == set()


def test_compare_archive_from_the_file_is_used_and_checked(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    case = case_in(tmp_path, server)
    file = tmp_path / "refcheck.toml"
    file.write_text('compare-archive = "never"\n')
    assert settings(run_cli("--show-settings", str(case)))["compare-archive"] == (
        "never", str(file))
    shown = settings(run_cli("--show-settings", str(case), "--compare-archive", "always"))
    assert shown["compare-archive"] == ("always", "option --compare-archive")
    file.write_text('\ncompare-archive = "sometimes"\n')
    run = run_cli(str(case))
    assert run.exit_code == 2
    assert (f"{file}:2: compare-archive: unknown value `sometimes`; expected one of: auto, "
            "always, never") in run.stderr


@pytest.mark.parametrize(("age", "shown"), [("0.5s", "0.5s"), ("90.5s", "90.5s"),
                                             ("1.5d", "36h"), ("0", "0"), ("90s", "90s")])
def test_show_settings_shows_the_cache_age_that_will_be_used(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, age: str, shown: str) -> None:
    """`--max-cache-age 0.5s` was shown as `0` (no reuse) and `90.5s` as `90s`."""
    case = case_in(tmp_path, server)
    result = settings(run_cli("--show-settings", str(case), "--max-cache-age", age))
    assert result["max-cache-age"] == (shown, "option --max-cache-age")


def test_every_key_of_the_settings_file_is_settled(
        run_cli: Any, tmp_path: Path, server: EvidenceServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(EVERY_KEY) == set(KEYS)  # a key added to the file must be added here too
    for name in ("REFCHECK_CACHE_DIR", "REFCHECK_PROBE_URL", "REFCHECK_DOI_URL",
                 "REFCHECK_UKGWA_URL", "REFCHECK_WAYBACK_URL"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "project"
    folder.mkdir()
    file = folder / "pyproject.toml"
    file.write_text("[project]\nname = 'x'\n\n[tool.refcheck]\n" + "".join(
        f"{key} = {toml}\n" for key, (toml, _) in EVERY_KEY.items()))
    case = case_in(folder / "cases" / "2014", server)  # found two folders up
    run = run_cli("--show-settings", str(case))
    assert run.exit_code == 0, run.stderr
    assert f"# settings file: {file}" in run.stdout
    shown = settings(run)
    for key, (_, value) in EVERY_KEY.items():
        if value is not None:
            assert shown[key] == (value.format(folder=folder), str(file)), key
    assert shown['accept."www.linkedin.com"'] == ("999", str(file))
    assert shown['headers."files.example.ac.uk".X-Api-Key'] == ("****", str(file))
    assert shown["archives.ukgwa_url"] == ("https://ukgwa.example", str(file))
    assert shown["archives.wayback_requests_per_minute"] == ("10", str(file))
    assert shown["archives.wayback_url"] == ("https://web.archive.org", "default")
    assert "hunter2" not in run.stdout + run.stderr


def test_the_settings_file_changes_the_run(run_cli: Any, tmp_path: Path,
                                           server: EvidenceServer) -> None:
    folder = tmp_path / "here"
    case = case_in(folder, server, "/page", "/gone404")
    (folder / ".refcheck.toml").write_text(
        'format = "json"\noutput = "out.json"\nreport = ["csv:out.csv"]\n'
        'fail-on = "none"\nno-archive = true\n')
    run = run_cli(str(case))
    assert run.exit_code == 0  # fail-on none
    report = json.loads((folder / "out.json").read_text())
    assert [link["status"] for link in report["links"]] == ["ok", "dead"]
    assert report["links"][1]["lookups"] == []  # no archive asked
    assert (folder / "out.csv").exists()
    assert run.stdout == ""
    # The command line still wins.
    run = run_cli(str(case), "--format", "terminal", "--output", str(tmp_path / "t.txt"),
                  "--fail-on", "dead")
    assert run.exit_code == 1
    assert "✗ dead" in (tmp_path / "t.txt").read_text()


def test_quiet_and_strict_from_the_file(run_cli: Any, tmp_path: Path,
                                        server: EvidenceServer) -> None:
    case = write_case(tmp_path, [
        {"id": "a", "title": "Fine", "url": server.url("/page")},
        {"id": "b", "title": "Gone", "url": server.url("/gone404")}])
    (tmp_path / "refcheck.toml").write_text("quiet = true\nno-archive = true\n")
    run = run_cli(str(case))
    assert "Gone" in run.stdout and "Fine" not in run.stdout
    warned = write_case(tmp_path, [{"id": "a", "title": "A", "url": server.url("/page"),
                                    "ulr": "typo"}], name="warned.yaml")
    (tmp_path / "refcheck.toml").write_text("strict = true\n")
    server.reset_counts()
    run = run_cli(str(warned))
    assert run.exit_code == 2 and "did you mean `url`" in run.stderr
    assert server.seen == []  # stopped before any link was fetched


def test_the_command_line_wins_over_the_settings_files_switches(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Any) -> None:
    """A settings file with quiet, strict, no-archive and no-cache set to true: nothing on
    the command line could turn them off. `--archive ukgwa` and `--cache-dir` were silently
    ignored, `--confirm 3:3` was refused, and there was no `--no-quiet` or `--no-strict`."""
    case = write_case(tmp_path, [
        {"id": "a", "title": "Fine", "url": server.url("/page")},
        {"id": "b", "title": "Gone", "url": server.url("/gone404"), "ulr": "typo"}])
    file = tmp_path / "refcheck.toml"
    file.write_text("quiet = true\nstrict = true\nno-archive = true\nno-cache = true\n")
    shown = settings(run_cli("--show-settings", str(case)))
    assert {k: shown[k] for k in ("quiet", "strict", "no-archive", "no-cache")} == dict.fromkeys(
        ("quiet", "strict", "no-archive", "no-cache"), ("true", str(file)))
    memory = tmp_path / "memory"
    args = ("--no-quiet", "--no-strict", "--archive", "ukgwa", "--cache-dir", str(memory),
            "--confirm", "3:3")
    shown = settings(run_cli("--show-settings", str(case), *args))
    assert shown["quiet"] == ("false", "option --no-quiet")
    assert shown["strict"] == ("false", "option --no-strict")
    assert shown["no-archive"] == ("false", "option --archive")
    assert shown["archive"] == ("ukgwa", "option --archive")
    assert shown["no-cache"] == ("false", "option --cache-dir")
    run = run_cli(str(case), "-f", "json", *args)
    assert run.exit_code == 0, run.stderr  # a warning, not an error; dead but unconfirmed
    gone = json.loads(run.stdout)["links"][1]
    assert [x["service"] for x in gone["lookups"]] == ["ukgwa"]
    assert gone["history"]["failed_runs"] == 1 and gone["unconfirmed"]
    assert (memory / "memory.sqlite3").exists()
    assert "Fine" in run_cli(str(case), *args).stdout  # not quiet
    # Typed both ways, the switch still wins, as it did.
    run = run_cli(str(case), "--no-cache", "--confirm", "3:3", "--no-strict")
    assert run.exit_code == 2 and "--confirm counts failures over past runs" in run.stderr


def test_exclude_and_include_patterns(run_cli: Any, tmp_path: Path,
                                      server: EvidenceServer) -> None:
    case = case_in(tmp_path, server, "/page", "/gone404", "/forbidden", "/soft")
    # Everything on /go... and /forbidden is left out, but /forbidden is included again:
    # include wins, as lychee's does.
    (tmp_path / "refcheck.toml").write_text(
        "exclude = ['/go', '/forbidden$']\ninclude = ['/forbidden', '/page']\n"
        "no-archive = true\n")
    run = run_cli(str(case), "-f", "json")
    by_url = {link["url"].replace(server.base, ""): link for link in
              json.loads(run.stdout)["links"]}
    assert {u: link["status"] for u, link in by_url.items()} == {
        "/page": "ok", "/gone404": "excluded", "/forbidden": "blocked", "/soft": "excluded"}
    assert "exclude pattern `/go`" in by_url["/gone404"]["detail"]
    assert "matches none of the settings file's include patterns" in by_url["/soft"]["detail"]
    assert by_url["/gone404"]["evidence"] is None
    assert run.exit_code == 0  # the dead link was not checked: it fails nothing
    assert "/gone404" not in server.seen and "/soft" not in server.seen
    terminal = run_cli(str(case))
    assert "○ excluded" in terminal.stdout and "2 excluded" in terminal.stdout


def test_a_pattern_that_is_not_a_regular_expression_is_refused(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    (tmp_path / "refcheck.toml").write_text("exclude = ['(unclosed']\n")
    run = run_cli(str(case_in(tmp_path, server)))
    assert run.exit_code == 2
    assert "exclude: `(unclosed` is not a regular expression" in run.stderr


def test_accepted_statuses_are_ok(run_cli: Any, tmp_path: Path,
                                  server: EvidenceServer) -> None:
    case = case_in(tmp_path, server, "/linkedin", "/forbidden")
    (tmp_path / "refcheck.toml").write_text('[accept]\n"127.0.0.1" = [999]\n')
    run = run_cli(str(case), "-f", "json", "--no-archive")
    linkedin, forbidden = json.loads(run.stdout)["links"]
    assert linkedin["status"] == "ok"
    assert "999" in linkedin["detail"]
    assert "accepted by the settings file for 127.0.0.1" in linkedin["detail"]
    assert forbidden["status"] == "blocked"  # 403 is not accepted


class _Recorder(BaseHTTPRequestHandler):
    server: _RecordingServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.seen.append((self.headers.get("Host", ""), self.path,
                                     self.headers.get("X-Api-Key")))
        if self.path == "/hop":  # to the same server under another host name
            port = self.server.server_address[1]
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<html><head><title>Intranet report</title></head><body>" + b"x" * 3000 + \
            b"</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _RecordingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.lock = threading.Lock()
        self.seen: list[tuple[str, str, str | None]] = []


@pytest.fixture
def recorder() -> Iterator[_RecordingServer]:
    server = _RecordingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_headers_go_to_their_host_only_and_are_never_shown(
        run_cli: Any, tmp_path: Path, recorder: _RecordingServer) -> None:
    port = recorder.server_address[1]
    case = write_case(tmp_path, [
        {"id": "a", "title": "Intranet", "url": f"http://127.0.0.1:{port}/report"},
        {"id": "b", "title": "Redirected", "url": f"http://127.0.0.1:{port}/hop"},
        {"id": "c", "title": "Other host", "url": f"http://localhost:{port}/other"}])
    (tmp_path / "refcheck.toml").write_text('[headers."127.0.0.1"]\nX-Api-Key = "hunter2"\n')
    run = run_cli(str(case), "-f", "json", "--no-archive")
    sent = {path: key for _, path, key in recorder.seen}
    assert sent["/report"] == "hunter2" and sent["/hop"] == "hunter2"
    assert sent["/elsewhere"] is None  # the redirect led to another host
    assert sent["/other"] is None
    shown = run_cli("--show-settings", str(case))
    for output in (run.stdout, run.stderr, shown.stdout, shown.stderr):
        assert "hunter2" not in output


@pytest.mark.parametrize(("toml", "message"), [
    ('[headers."a.example"]\nX-Key = "one\\r\\nInjected: two"\n',
     'headers."a.example".X-Key: the value may not hold a line break, NUL or another '
     "control character"),
    ('[headers."a.example"]\nX-Key = "nul\\u0000"\n', "may not hold a line break, NUL"),
    ('[headers."a.example"]\nX-Key = "one\\u0085Injected: two"\n', "may not hold a line "
     "break, NUL"),
    ('[headers."a.example"]\n"Bad Name" = "v"\n', "not a header name"),
    ('[headers."a.example"]\nHost = "evil.example"\n', "refcheck sets this header itself"),
    ('[headers]\n"a.example" = "v"\n', "expected a table of header names and values"),
    # A key no request's host can be: its headers would silently never be sent.
    ('[headers."files.example.ac.uk:8443"]\nX-Key = "v"\n', 'headers."files.example.ac.uk:'
     '8443": `files.example.ac.uk:8443` is not a host name; expected the host alone, as in '
     '"files.example.ac.uk" (no scheme, port, path or wildcard)'),
    ('[headers."https://a.example/"]\nX-Key = "v"\n', "is not a host name"),
    ('[headers."*.example.ac.uk"]\nX-Key = "v"\n', "is not a host name"),
    ('[accept]\n"www.linkedin.com:443" = [999]\n', 'accept."www.linkedin.com:443": '
     "`www.linkedin.com:443` is not a host name"),
])
def test_bad_headers_are_refused_without_showing_the_value(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, toml: str,
        message: str) -> None:
    (tmp_path / "refcheck.toml").write_text(toml)
    run = run_cli(str(case_in(tmp_path, server)))
    assert run.exit_code == 2
    assert message in run.stderr
    assert "Injected" not in run.stderr and "evil.example" not in run.stderr
    assert server.seen == []


@pytest.mark.parametrize(("name", "toml", "message"), [
    ("refcheck.toml", "retries = 1\nfail_on = ['dead']\n",
     "refcheck.toml:2: fail_on: unknown setting; did you mean `fail-on`?"),
    ("refcheck.toml", "conccurency = 4\n", "conccurency: unknown setting; did you mean "
     "`concurrency`?"),
    ("pyproject.toml", "[tool.refcheck]\nmax-cache = '1d'\n",
     "pyproject.toml:2: tool.refcheck.max-cache: unknown setting; did you mean "
     "`max-cache-age`?"),
    ("refcheck.toml", "ukgwa-url = 'https://x.example'\n",
     "ukgwa-url: unknown setting; set archives.ukgwa_url instead"),
    ("refcheck.toml", "[archives]\nwayback_requests_per_minit = 3\n",
     "unknown setting archives.wayback_requests_per_minit; did you mean "
     "`wayback_requests_per_minute`?"),
    ("refcheck.toml", "concurrency = 0\n",
     "concurrency: expected a whole number from 1 to 1024; found 0"),
    ("refcheck.toml", "timeout = 'soon'\n", 'timeout: expected a number at least 0.1; '
     'found "soon"'),
    ("refcheck.toml", "quiet = 'yes'\n", "quiet: expected true or false"),
    ("refcheck.toml", "exclude = '^https://x'\n", 'exclude: expected a list, e.g. ["a", "b"]'),
    ("refcheck.toml", "fail-on = ['dead', 'gone']\n", "fail-on: unknown status `gone`"),
    ("refcheck.toml", "format = 'pdf'\n", "format: unknown format `pdf`; expected one of"),
    ("refcheck.toml", "archive = ['wayback', 'bodleian']\n",
     "archive: unknown archive `bodleian`"),
    ("refcheck.toml", "as-of = 'last year'\n", "as-of: `last year` is not a date"),
    ("refcheck.toml", "max-cache-age = '3 fortnights'\n", "max-cache-age: `3 fortnights` is "
     "not a duration"),
    ("refcheck.toml", "confirm = '3'\n", "confirm: `3` is not RUNS:DAYS"),
    ("refcheck.toml", "[accept]\n'www.linkedin.com' = 999\n",
     "refcheck.toml:2: accept.\"www.linkedin.com\": expected a list of HTTP statuses"),
    ("refcheck.toml", "retries = \n", "not valid TOML"),
])
def test_mistakes_in_the_settings_file_are_errors_naming_the_key(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, name: str, toml: str,
        message: str) -> None:
    (tmp_path / name).write_text(toml)
    run = run_cli(str(case_in(tmp_path, server)))
    assert run.exit_code == 2
    assert message in run.stderr
    assert str(tmp_path / name) in run.stderr
    assert server.seen == []  # nothing fetched


def test_a_misspelt_table_is_said_not_ignored(run_cli: Any, tmp_path: Path,
                                             server: EvidenceServer) -> None:
    """`[tool.refchek]` in pyproject.toml was not found at all, and `[archive]` (for
    `[archives]`) said only "expected a list": the run went on with none of the settings,
    or gave no hint of the table meant."""
    project = tmp_path / "project"
    case = case_in(project / "cases", server)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.refchek]\nfail-on = ["dead"]\n')
    run = run_cli(str(case))
    assert run.exit_code == 2 and server.seen == []
    assert (f"{project / 'pyproject.toml'}:4: [tool.refchek]: no refcheck settings are read "
            "from it; did you mean [tool.refcheck]?") in run.stderr
    # Another tool's table of a name like it is left alone.
    (project / "pyproject.toml").write_text('[tool.refchecker]\nlevel = 3\n')
    assert settings(run_cli("--show-settings", str(case)))["fail-on"][1] == "default"
    (project / "refcheck.toml").write_text('\n[archive]\norder = ["ukgwa"]\n')
    run = run_cli(str(case))
    assert run.exit_code == 2
    assert (f"{project / 'refcheck.toml'}:2: archive: this key is the --archive list (e.g. "
            'archive = ["ukgwa", "wayback"]); did you mean the table [archives]?') in run.stderr


@pytest.mark.parametrize(("toml", "message"), [
    ('fail-on = ["dead", 5]\n',
     '1: fail-on: expected a list of text in quotes, e.g. ["a", "b"]; item 2 is 5'),
    ('accept = {"h.example" = [403, 99999]}\n',
     '1: accept."h.example": expected a list of HTTP statuses, e.g. [999] or [403, 429]; '
     "99999 is not an HTTP status (they run from 100 to 999)"),
    ('[accept]\n"h.example" = ["403"]\n', '2: accept."h.example": expected a list of HTTP '
     'statuses, e.g. [999] or [403, 429]; item 1 is "403", not a number'),
    ("quiet = true\n[archives]\nukgwa_url = 5\n",
     '3: archives.ukgwa_url: found 5, not an http(s) address; expected the base URL of '
     'UKGWA, e.g. "https://webarchive.nationalarchives.gov.uk/ukgwa"'),
    ("quiet = true\narchives.wayback_url = 'web.archive.org'\n",
     "2: archives.wayback_url: `web.archive.org` is not an http(s) address; expected the "
     'base URL of the Wayback Machine, e.g. "https://web.archive.org"'),
    ("quiet = true\nfail-on = 'deadd'\n", "2: fail-on: unknown status `deadd`; expected a "
     "comma-separated list of: ok, moved, dead"),
    ("fail-on = 'none, dead'\n", "1: fail-on: `none` means that no status fails the run, so "
     "it stands alone; remove it or the statuses"),
    ("quiet = true\nexclude = ['(unclosed']\n",
     "2: exclude: `(unclosed` is not a regular expression: missing ), unterminated"),
    ("archive = ['wayback', 'bodleian']\n", "1: archive: unknown archive `bodleian`"),
    ("[archives]\n\norder = ['wayback', 'bl']\n",
     "3: archives.order: unknown archive `bl`; expected a comma-separated list of: ukgwa"),
    ("[archives]\norder = 'wayback'\n",
     '2: archives.order: expected a list, e.g. ["a", "b"]; found "wayback"'),
    ("[archives]\nukgwa_requests_per_second = -1\n",
     "2: archives.ukgwa_requests_per_second: expected a positive number; found -1"),
    ("[archives]\nwayback_requests_per_minit = 3\n",
     "2: unknown setting archives.wayback_requests_per_minit; did you mean "
     "`wayback_requests_per_minute`?"),
    ("archives = 5\n", '1: archives: expected a table, e.g. [archives] order = ["ukgwa", '
     '"wayback"]; found 5'),
    # A report in the file was blamed on --report, which nobody typed, and --check-only
    # and --show-settings let it through.
    ("quiet = true\nreport = ['junit']\n", "2: report: `junit` is not FORMAT:PATH; expected "
     "e.g. junit:report.xml, with FORMAT one of: terminal, json"),
    ("report = ['jnuit:r.xml']\n", "1: report: `jnuit:"),
    # pyproject.toml's table copied into refcheck.toml, as the README's example shows it
    ("[tool.refcheck]\nfail-on = ['dead']\n", "1: tool: unknown setting; only "
     "pyproject.toml keeps them in [tool.refcheck]: in this file, write the keys without "
     'that table, e.g. `fail-on = ["dead"]` on a line of its own'),
])
def test_settings_file_errors_name_the_line_and_what_is_wrong(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, toml: str,
        message: str) -> None:
    (tmp_path / "refcheck.toml").write_text(toml)
    # Found by --check-only too, and said of the file's key, never of an option not typed
    # (the fixture sets REFCHECK_UKGWA_URL and REFCHECK_WAYBACK_URL, which win over it).
    run = run_cli("--check-only", str(case_in(tmp_path, server)))
    assert run.exit_code == 2
    assert f"refcheck: {tmp_path / 'refcheck.toml'}:{message}" in run.stderr
    assert "--ukgwa-url" not in run.stderr and "--wayback-url" not in run.stderr
    assert "found a list" not in run.stderr


def test_an_output_from_the_settings_file_that_cannot_be_written_names_the_file(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """An output or report set in the settings file, in a folder that does not exist or
    over the case file itself, was blamed on --output or --report, which nobody typed."""
    case = case_in(tmp_path, server)
    file = tmp_path / "refcheck.toml"
    file.write_text('quiet = true\noutput = "no-such-folder/r.txt"\n')
    run = run_cli(str(case))
    assert run.exit_code == 2 and server.seen == []
    assert f"refcheck: {file}:2: output: cannot write the report to " in run.stderr
    file.write_text(f'report = ["json:{case.name}"]\n')
    run = run_cli(str(case))
    assert run.exit_code == 2 and server.seen == []
    assert f"refcheck: {file}:1: report: {case} is one of the files being read" in run.stderr
    run = run_cli(str(case), "--report", f"json:{case}")  # typed: the option is named
    assert f"refcheck: --report: {case} is one of the files being read" in run.stderr


def test_a_settings_file_says_where_each_key_is(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n\n[tool.refcheck]\nretries = 2\n")
    file = load_settings_file(path)
    assert file.where("retries") == f"{path}:5: tool.refcheck.retries"
    assert file.where("timeout") == f"{path}: tool.refcheck.timeout"  # not in the file


def test_the_nearest_settings_file_is_used(run_cli: Any, tmp_path: Path,
                                           server: EvidenceServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.refcheck]\nretries = 5\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'no-refcheck-table'\n")
    case = case_in(inner / "cases", server)
    shown = settings(run_cli("--show-settings", str(case)))
    # A pyproject.toml without [tool.refcheck] is passed over.
    assert shown["retries"] == ("5", str(tmp_path / "pyproject.toml"))
    (inner / "refcheck.toml").write_text("retries = 6\n")
    assert settings(run_cli("--show-settings", str(case)))["retries"][0] == "6"
    (inner / ".refcheck.toml").write_text("retries = 7\n")
    assert settings(run_cli("--show-settings", str(case)))["retries"][0] == "7"
    # A folder of case files is its own starting point.
    assert settings(run_cli("--show-settings", str(inner / "cases")))["retries"][0] == "7"
    other = tmp_path / "other.toml"
    other.write_text("retries = 8\n")
    monkeypatch.setenv("REFCHECK_CONFIG", str(other))
    assert settings(run_cli("--show-settings", str(case)))["retries"] == ("8", str(other))
    explicit = tmp_path / "explicit.toml"
    explicit.write_text("retries = 9\n")
    assert settings(run_cli("--show-settings", str(case), "--config",
                            str(explicit)))["retries"][0] == "9"


def test_the_archives_table_still_works(run_cli: Any, tmp_path: Path,
                                        server: EvidenceServer) -> None:
    (tmp_path / "refcheck.toml").write_text(
        '[archives]\norder = ["wayback"]\nukgwa_requests_per_second = 2\n')
    shown = settings(run_cli("--show-settings", str(case_in(tmp_path, server))))
    file = str(tmp_path / "refcheck.toml")
    assert shown["archive"] == ("wayback", file)
    assert shown["archives.ukgwa_requests_per_second"] == ("2", file)
    # A top-level `archive` and the option win over archives.order.
    (tmp_path / "refcheck.toml").write_text('archive = "ukgwa"\n[archives]\norder = ["wayback"]\n')
    assert settings(run_cli("--show-settings", str(tmp_path)))["archive"][0] == "ukgwa"
    assert settings(run_cli("--show-settings", str(tmp_path), "--archive",
                            "nrs"))["archive"] == ("nrs", "option --archive")


def test_show_settings_needs_no_case_file(run_cli: Any, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "refcheck.toml").write_text("per-host = 1\n")
    run = run_cli("--show-settings")
    assert run.exit_code == 0
    assert settings(run)["per-host"] == ("1", str(tmp_path / "refcheck.toml"))
    missing = run_cli()
    assert missing.exit_code == 2
    assert "give the case files" in missing.stderr


def test_the_readme_settings_example_is_valid(run_cli: Any, tmp_path: Path,
                                              server: EvidenceServer) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Settings", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "pyproject.toml").write_text(example)
    run = run_cli("--show-settings", str(case_in(tmp_path / "cases", server)))
    assert run.exit_code == 0, run.stderr
    shown = settings(run)
    assert shown["confirm"] == ("3:3", str(tmp_path / "pyproject.toml"))
    assert shown['headers."files.example.ac.uk".X-Api-Key'][0] == "****"


def test_an_archive_base_url_from_the_environment_is_blamed_on_the_variable(
        run_cli: Any, tmp_path: Path, server: EvidenceServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFCHECK_UKGWA_URL", "webarchive.example")
    run = run_cli(str(case_in(tmp_path, server)), "--check-only")
    assert run.exit_code == 2
    assert ("REFCHECK_UKGWA_URL: the base URL of UKGWA, `webarchive.example`, is not an "
            "http(s) address") in run.stderr
    assert "--ukgwa-url" not in run.stderr


def test_a_settings_file_value_refused_after_reading_names_its_line(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    (tmp_path / "refcheck.toml").write_text("quiet = true\n\nformat = 'pdf'\n")
    run = run_cli(str(case_in(tmp_path, server)), "--check-only")
    assert run.exit_code == 2
    assert f"{tmp_path / 'refcheck.toml'}:3: format: unknown format `pdf`" in run.stderr


def test_show_settings_names_the_settings_file_escaped_not_obeyed(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """The settings file is found beside the case files, in a folder named as whoever
    made it chose: an escape sequence in that name is shown, not obeyed."""
    folder = tmp_path / "cases\x1b]0;pwned\x07"
    case = case_in(folder, server)
    (folder / "refcheck.toml").write_text("retries = 1\n")
    run = run_cli("--show-settings", str(case))
    assert run.exit_code == 0, run.stderr
    assert "# settings file: " in run.stdout and "cases\\x1b]0;pwned\\x07" in run.stdout
    assert "\x1b" not in run.stdout + run.stderr and "\x07" not in run.stdout
    assert settings(run)["retries"] == ("1", str(folder / "refcheck.toml").replace(
        "\x1b", "\\x1b").replace("\x07", "\\x07"))


def test_a_settings_file_not_in_utf8_is_refused_where_it_goes_wrong(tmp_path: Path) -> None:
    """It said only "the settings file is not UTF-8 text"; now the line and column too."""
    path = tmp_path / "refcheck.toml"
    path.write_bytes(b"timeout = 20\n# Caf\xe9 network\n")
    with pytest.raises(UsageError) as info:
        load_settings_file(path)
    assert str(info.value).startswith(
        f"{path}:2:6: error: this settings file is not UTF-8 text: the byte 0xE9 here (in "
        "Windows-1252, `\u00e9`) is not UTF-8; save it as UTF-8")


def test_archive_typed_beats_no_archive_in_the_file_and_both_typed_is_refused(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """`--archive wayback` typed over a settings file's `no-archive = true` looked in no
    archive (the file beat the option typed); `--archive ukgwa --no-archive` typed
    together was taken silently as --no-archive. Now the option typed wins over the file,
    and the two options typed together are refused, saying to give one."""
    (tmp_path / "refcheck.toml").write_text("no-archive = true\n")
    case = case_in(tmp_path, server)
    shown = settings(run_cli("--show-settings", str(case), "--archive", "wayback"))
    assert shown["archive"] == ("wayback", "option --archive")
    assert shown["no-archive"] == ("false", "option --archive")
    assert settings(run_cli("--show-settings", str(case)))["archive"][0] == "(none)"
    run = run_cli(str(case), "--archive", "ukgwa", "--no-archive")
    assert run.exit_code == 2
    assert run.stderr == ("refcheck: --archive and --no-archive: one says which archives to "
                          "look in and the other turns them off; give only one of them\n")


def test_every_mistake_in_a_settings_file_is_named_at_once(tmp_path: Path) -> None:
    """A settings file with three mistakes was refused for the first alone: the user
    fixed it, ran again, was refused for the second, and so on. All are named at once,
    each at its line."""
    path = tmp_path / "refcheck.toml"
    path.write_text('fail_on = ["dead"]\nconcurrency = "lots"\ntimeout = 20\n'
                    '[archives]\norder = ["ukgwa", "waybak"]\n')
    with pytest.raises(UsageError) as info:
        load_settings_file(path)
    assert str(info.value).splitlines() == [
        f"{path}:1: fail_on: unknown setting; did you mean `fail-on`?",
        f'{path}:2: concurrency: expected a whole number from 1 to 1024; found "lots"',
        f"{path}:5: archives.order: unknown archive `waybak`; expected a comma-separated list "
        "of: ukgwa, wayback, parliament, nrs"]


def test_confirm_with_no_cache_says_what_to_do(run_cli: Any, tmp_path: Path,
                                              server: EvidenceServer) -> None:
    """It said why the two cannot go together, and not what to do about it."""
    case = case_in(tmp_path, server)
    run = run_cli(str(case), "--confirm", "3:3", "--no-cache")
    assert run.exit_code == 2
    assert run.stderr == ("refcheck: --confirm: --confirm counts failures over past runs, "
                          "which --no-cache (or no-cache in the settings file) turns off; "
                          "give one of them, not both\n")


def test_an_ipv6_host_is_keyed_as_a_url_writes_it(run_cli: Any, tmp_path: Path,
                                                  server: EvidenceServer) -> None:
    """``[headers."[::1]"]``: the host of ``http://[::1]:8080/`` is ``::1``, which the
    headers and accepted statuses are then keyed by."""
    (tmp_path / "refcheck.toml").write_text('[headers."[::1]"]\nX-Api-Key = "k"\n'
                                            '[accept]\n"[::1]" = [999]\n')
    shown = run_cli("--show-settings", str(case_in(tmp_path, server))).stdout
    assert 'headers."::1".X-Api-Key' in shown and 'accept."::1"' in shown
