"""Reports from the command line: several formats in one run, case-file warnings a user
can see and CI can catch, and the options around them."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from refcheck.cases import parse
from refcheck.errors import CaseFileError
from tests.conftest import write_case
from tests.server import EvidenceServer


def test_several_formats_are_written_in_one_run(tmp_path: Path, run_cli: Any,
                                                server: EvidenceServer) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": server.url("/page")},
                                 {"id": "b", "title": "Gone", "url": server.url("/gone404")}])
    run = run_cli(str(case), "-f", "json", "--report", f"junit:{tmp_path / 'r.xml'}",
                  "--report", f"html:{tmp_path / 'r.html'}", "--report",
                  f"markdown:{tmp_path / 'r.md'}", "--report", f"csv:{tmp_path / 'r.csv'}")
    assert run.exit_code == 1
    assert json.loads(run.stdout)["summary"]["links"] == 2
    assert ET.parse(tmp_path / "r.xml").getroot().get("failures") == "1"
    assert "What to do" in (tmp_path / "r.html").read_text()
    assert "## What to do" in (tmp_path / "r.md").read_text()
    assert (tmp_path / "r.csv").read_text(encoding="utf-8-sig").count("\n") == 3
    assert server.seen.count("/page") == 1  # one check, five reports


@pytest.mark.parametrize("bad", ["junit", "pdf:report.pdf", "junit:"])
def test_a_report_option_that_is_not_format_and_path_is_refused(
        bad: str, tmp_path: Path, run_cli: Any) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    run = run_cli(str(case), "--report", bad)
    assert run.exit_code == 2 and "is not FORMAT:PATH" in run.stderr


@pytest.mark.parametrize(("bad", "why"), [
    ("pdf:report.pdf", ": `pdf` is not a report format; FORMAT is one of: terminal, json, "
                       "markdown, html, junit, github, csv"),
    ("report.html", "; expected e.g. junit:report.xml, with FORMAT one of: terminal, json, "
                    "markdown, html, junit, github, csv (for this file: --report "
                    "html:report.html)"),
])
def test_a_report_option_says_which_part_is_wrong(
        bad: str, why: str, tmp_path: Path, run_cli: Any) -> None:
    """`--report pdf:report.pdf` was told it "is not FORMAT:PATH" (it is: pdf is no
    format), and `--report report.html` was not told the FORMAT it left out."""
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    run = run_cli(str(case), "--report", bad)
    assert run.exit_code == 2
    assert run.stderr == f"refcheck: --report: `{bad}` is not FORMAT:PATH{why}\n"


CASE_WITH_MISTAKES = """\
case:
  title: Test case
sources:
  - id: a
    title: Annual report #2 findings
    url: <{base}/page>
  - id: b
    title: Gone
    url: {base}/page.
"""


def test_case_file_mistakes_are_warnings_with_the_fix_in_stderr_summary_and_json(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE_WITH_MISTAKES.format(base=server.base))
    run = run_cli(str(case), "-f", "json")
    warnings = json.loads(run.stdout)["warnings"]
    assert [(w["line"], w["column"]) for w in warnings] == [(5, 25), (6, 10), (9, 10)]
    assert "quote the title" in warnings[0]["message"]
    assert "remove the < > around it" in warnings[1]["message"]
    assert f"remove the trailing full stop: `{server.base}/page` was probably meant" \
        in warnings[2]["message"]
    assert run.stderr.count("warning:") == 3
    terminal = run_cli(str(case)).stdout
    assert "Case-file warnings (3):" in terminal


def test_strict_makes_any_warning_exit_2_before_a_link_is_fetched(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE_WITH_MISTAKES.format(base=server.base))
    run = run_cli(str(case), "--strict")
    assert run.exit_code == 2
    assert "(--strict: warnings count as errors)" in run.stderr
    assert server.seen == []


def test_an_unusable_url_fails_the_run_by_default(tmp_path: Path, run_cli: Any) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Report",
                                  "url": "https://example.org/a report.pdf"}])
    run = run_cli(str(case))
    assert run.exit_code == 1 and "? invalid" in run.stdout


@pytest.mark.parametrize(("text", "words", "line", "shown"), [
    ("case:\n  title: Report: the findings\nsources: []\n",
     "must be quoted", 2, "  title: Report: the findings"),
    ("case:\n\ttitle: x\nsources: []\n", "a tab", 2, "\ttitle: x"),
    ('case:\n  title: "Report on\nsources: []\n', "quote is never closed", 2,
     '  title: "Report on'),
    ("case:\n  title: x\nsources:\n  - id: a\n    title: b\n      url: https://a.org/\n",
     "indented more than the keys above it", 6, "      url: https://a.org/"),
])
def test_yaml_mistakes_are_explained_where_to_fix_them(text: str, words: str, line: int,
                                                        shown: str) -> None:
    with pytest.raises(CaseFileError) as info:
        parse(text, "c.yaml")
    (problem,) = info.value.problems
    assert words in problem.message and problem.line == line
    assert str(problem).splitlines()[1] == f"    {shown}"
    assert str(problem).splitlines()[2].strip() == "^"


def test_a_deliberate_comment_after_a_value_is_not_a_warning() -> None:
    loaded = parse("case:\n  title: Test case   # required\n  date: 2013-11-29  # deadline\n"
                   "sources: []\n", "c.yaml")
    assert loaded.warnings == []


def test_subfolders_of_a_folder_are_checked(tmp_path: Path, run_cli: Any) -> None:
    write_case(tmp_path, [{"id": "a", "title": "A letter"}], name="top.yaml")
    (tmp_path / "uoa4").mkdir()
    write_case(tmp_path / "uoa4", [{"id": "b", "title": "Another letter"}], name="inner.yaml")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config.yaml").write_text("not: a case file\n")
    run = run_cli(str(tmp_path), "-f", "json")
    assert run.exit_code == 0, run.stderr
    files = [Path(c["file"]).name for c in json.loads(run.stdout)["cases"]]
    assert files == ["top.yaml", "inner.yaml"]


def test_version_has_a_short_option(run_cli: Any) -> None:
    run = run_cli("-V")
    assert run.exit_code == 0 and run.stdout.startswith("refcheck ")


def test_as_of_distances_are_measured_from_the_as_of_date(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Gone",
                                  "url": server.url("/lost/in-ukgwa")}])
    out = run_cli(str(case), "--as-of", "2013-11-20").stdout
    assert "captured 1 November 2013, 19 days before the case date" in out


def test_a_lost_links_advice_offers_the_listing_and_claims_no_more_than_was_seen(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """The archives asked had no usable copy: the advice says so, not that none exists
    anywhere, and gives the listing a person can look through."""
    case = tmp_path / "case.yaml"
    case.write_text("case:\n  title: T\n  date: 2013-11-29\nsources:\n  - id: a\n"
                    f"    title: Gone\n    url: {server.url('/gone404')}\n")
    text = run_cli(str(case)).stdout
    listing = server.url(f"/ukgwa/*/{server.url('/gone404')}")
    assert (f"a - dead; no usable archived copy was found (look for yourself: {listing}): "
            "find where the evidence went, or replace the source") in text
    assert "no archived copy exists" not in text


def test_a_run_that_passes_with_sources_to_look_at_does_not_say_none_needs_attention(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """Blocked and erroring links pass the run by default; the summary under "What to do"
    must not then say that nothing needs attention."""
    case = tmp_path / "case.yaml"
    case.write_text("case:\n  title: T\nsources:\n  - id: a\n    title: Forbidden\n"
                    f"    url: {server.url('/forbidden')}\n  - id: b\n    title: Fine\n"
                    f"    url: {server.url('/long-page')}\n")
    run = run_cli(str(case), "--no-archive")
    assert run.exit_code == 0
    assert "What to do (1 of 2 sources):" in run.stdout
    assert "No link needs attention" not in run.stdout
    assert "✓ No link fails the run; 1 source above needs a look." in run.stdout


def test_an_error_a_rerun_will_not_change_is_not_told_to_run_again(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """A redirect loop (like a certificate or protocol failure) is how the server is set
    up: the advice is to look in a browser, not to run again later."""
    case = tmp_path / "case.yaml"
    case.write_text("case:\n  title: T\nsources:\n  - id: a\n    title: Loop\n"
                    f"    url: {server.url('/loop/a')}\n  - id: b\n    title: Failing\n"
                    f"    url: {server.url('/always500')}\n")
    text = run_cli(str(case), "--no-archive").stdout
    assert ("a - error; open it in a browser: this is how the server is set up, which "
            "running again will not change") in text
    assert "b - error; run again later; if it persists, open it in a browser" in text


@pytest.mark.parametrize(("name", "start"), [
    ("report.html", "<!doctype html>"), ("report.json", "{"), ("report.md", "# refcheck report"),
    ("report.csv", "\ufefffile,source"), ("report.xml", "<?xml")])
def test_output_named_for_a_format_gets_that_format(
        name: str, start: str, tmp_path: Path, run_cli: Any) -> None:
    """`refcheck case.yaml -o report.html` wrote the terminal's text into report.html
    ("terminal report written to report.html"), which a browser shows as one run-on
    paragraph. Without --format, the output file's name now chooses it; --format typed
    still wins."""
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    run = run_cli(str(case), "-o", str(tmp_path / name))
    assert run.exit_code == 0
    assert (tmp_path / name).read_text(encoding="utf-8").startswith(start)
    run = run_cli(str(case), "-o", str(tmp_path / name), "-f", "terminal")
    assert (tmp_path / name).read_text(encoding="utf-8").startswith("\nTest case")


def test_output_dash_is_standard_output(tmp_path: Path, run_cli: Any,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """`-o -` wrote the report to a file named `-` ("json report written to -"), where
    other tools take `-` for standard output; so does refcheck now."""
    monkeypatch.chdir(tmp_path)
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    run = run_cli(str(case), "-f", "json", "-o", "-")
    assert run.exit_code == 0
    assert json.loads(run.stdout)["summary"]["links"] == 1
    assert not (tmp_path / "-").exists() and "written to" not in run.stderr


def test_output_under_a_file_says_it_is_a_file(tmp_path: Path, run_cli: Any) -> None:
    """`-o case.yaml/report.json` said "Not a directory; check that the folder case.yaml
    exists", of a file that plainly exists."""
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}])
    run = run_cli(str(case), "-o", str(case / "report.json"))
    assert run.exit_code == 2
    assert run.stderr == (f"refcheck: --output: cannot write the report to {case}/report.json: "
                          f"Not a directory; {case} is a file, not a folder; give a path in a "
                          "folder\n")


# -- one mixed run, read as its reader reads it --------------------------------------------

def _mixed_case(tmp_path: Path, server: EvidenceServer) -> Path:
    b = server.base
    return write_case(tmp_path, [
        {"id": "b", "title": "Blocked", "url": f"{b}/challenge"},
        {"id": "c", "title": "Moved with tracking", "url": f"{b}/moved-tracked"},
        {"id": "d", "title": "Dead", "url": f"{b}/gone404"},
        {"id": "i", "title": "Drifted", "url": f"{b}/drifted-page",
         "quote": "a sentence that is not there at all"},
        {"id": "l", "title": "Paywall", "url": f"{b}/paywall"},
        {"id": "t", "title": "Served over http only", "url": b.replace("http:", "https:")
         + "/page"},
    ], date="2013-11-29")


def test_a_moved_page_is_to_be_cited_without_the_tracking_the_server_added(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """The link's detail said "moved to …/new/home-of-evidence", and What to do said to
    cite "…/new/home-of-evidence?utm_campaign=move", the server's tag, which README says is
    left out: the two lines named two addresses to cite."""
    case = str(_mixed_case(tmp_path, server))
    new = server.url("/new/home-of-evidence")
    for form in ("terminal", "markdown", "github"):
        text = run_cli(case, "--format", form).stdout
        assert "utm_campaign" not in text
        assert "is the same evidence, then cite " in text and new in text


def test_blocked_links_say_open_it_in_a_browser_in_their_detail_and_in_what_to_do(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """A bot wall's detail said "check it in a browser" and the same link's action "open
    it in a browser and confirm the evidence is there": one advice, two wordings."""
    case = str(_mixed_case(tmp_path, server))
    text = " ".join(run_cli(case, "--format", "terminal").stdout.split())
    assert "a bot check (403 Forbidden); open it in a browser" in text
    assert "not paid for it; open it in a browser, and if it is not there" in text
    assert "b - blocked; open it in a browser and confirm the evidence is there" in text
    assert "check it in a browser" not in text


def test_a_tls_failure_is_said_in_words_not_openssls_name(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """https:// to a server that speaks only http was "secure connection failed
    (WRONG_VERSION_NUMBER)": OpenSSL's name, which says nothing to the reader."""
    case = str(_mixed_case(tmp_path, server))
    links = json.loads(run_cli(case, "--format", "json").stdout)["links"]
    detail = next(link["detail"] for link in links if link["source"] == "t")
    assert detail == ("secure connection failed (the server did not answer in https at this "
                      "address: it may serve the page only at http://)")


def test_a_drifted_pages_capture_without_the_quote_is_not_offered_as_the_copy(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """Under "the capture of 1 October 2013 lacks it too" the report went on "archived copy
    in UKGWA: …", the words it uses for a copy to cite."""
    case = str(_mixed_case(tmp_path, server))
    for form in ("terminal", "markdown", "html"):
        text = " ".join(run_cli(case, "--format", form).stdout.split())
        assert "the capture of 1 October 2013 lacks it too" in text
        assert "nearest archived copy in UKGWA: " in text
        assert "; archived copy in UKGWA" not in text and "↳ archived copy in UKGWA" not in text
        assert ">archived copy in UKGWA" not in text and "<br>archived copy in UKGWA" not in text


def test_what_to_do_lists_what_fails_the_run_first(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """What to do was in case-file order: a blocked page (check it when you can) came
    before a dead one (the evidence is gone), whatever their importance."""
    case = str(_mixed_case(tmp_path, server))
    text = run_cli(case, "--format", "terminal").stdout
    todo = text.split("What to do")[1].split("\n")[1:7]
    assert [line.split()[0] for line in todo] == ["d", "i", "b", "c", "l", "t"]
    markdown = run_cli(case, "--format", "markdown").stdout.split("## What to do")[1]
    rows = [line.split("|")[1].strip() for line in markdown.splitlines()
            if line.startswith("| ") and not line.startswith("| Source")][:6]
    assert rows == ["d", "i", "b", "c", "l", "t"]


def test_junit_says_what_to_do_under_each_link_that_needs_something(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """A JUnit failure said "dead: 404 Not Found" and what the archives hold, never what
    to do, which every other report says ("find where the evidence went, …")."""
    case = str(_mixed_case(tmp_path, server))
    out = tmp_path / "r.xml"
    run_cli(case, "--format", "terminal", "--report", f"junit:{out}")
    tests = {t.get("name", "").split()[0]: t for t in ET.parse(out).getroot().iter("testcase")}
    failure = tests["d"].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.text.splitlines()[-1].startswith(
        "what to do: dead; no usable archived copy was found (look for yourself: ")
    assert failure.text.endswith("): find where the evidence went, or replace the source")
    blocked = tests["b"].find("system-out")
    assert blocked is not None and blocked.text is not None
    assert blocked.text.splitlines()[-1] == ("what to do: blocked; open it in a browser and "
                                             "confirm the evidence is there")


def test_the_spreadsheet_says_what_to_do_for_each_link_that_needs_something(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """The CSV had each link's detail but no column of what to do: a member of staff
    working through the spreadsheet was not told to cite a copy or find the evidence."""
    case = str(_mixed_case(tmp_path, server))
    text = run_cli(case, "--format", "csv").stdout.lstrip("\ufeff")
    rows = {row["source"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["b"]["what_to_do"] == ("blocked; open it in a browser and confirm the "
                                       "evidence is there")
    assert rows["d"]["what_to_do"].endswith(
        "): find where the evidence went, or replace the source")
