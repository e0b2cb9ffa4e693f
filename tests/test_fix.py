"""`refcheck fix`: every rewrite rule, the file left byte for byte elsewhere, --dry-run, a
file changed meanwhile, several URLs, and documents; against the local evidence server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from refcheck import cases, cli
from refcheck.fix import (
    Edit,
    RewriteError,
    decide_change,
    rewrite,
    same_evidence,
    scalar_text,
    title_similarity,
)
from refcheck.fix_command import app
from refcheck.http import Fetcher, HttpSettings
from refcheck.model import (
    Archive,
    Capture,
    Case,
    CitedUrl,
    Evidence,
    LinkResult,
    Position,
    Source,
    Status,
)
from tests.conftest import Run, Waits, parts_with
from tests.fake_archives import CWDC
from tests.server import EvidenceServer

SALFORD = Path(__file__).parent.parent / "cases" / "salford.yaml"
TODAY = "26 Nov 2026"  # the injected clock's day (tests.conftest.Waits)


@pytest.fixture
def run_fix(run_cli: Any, waits: Waits) -> Any:
    """`refcheck fix ARGS` in-process, with run_cli's test settings (archives on the local
    server, no probe, waits recorded, not slept)."""
    def run(*args: str, parts: cli.Parts | None = None) -> Run:
        result = CliRunner().invoke(app, list(args), prog_name="refcheck fix",
                                    obj=parts or parts_with(waits))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)
    return run


def case_file(tmp_path: Path, body: str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text("# Our case study; keep this comment.\ncase:\n  title: Test case\n"
                    "  date: 2013-11-29   # the deadline\n\nsources:\n" + body)
    return path


def test_a_moved_page_with_the_sources_title_gets_its_new_address(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    old = server.url("/chain/1")
    path = case_file(tmp_path, f"  - id: a\n    title: Evaluation of the Springboard project "
                               f"(Blackpool, 2012)\n    url: {old}   # as printed\n")
    before = path.read_text()
    run = run_fix(str(path))
    assert run.exit_code == 0, run.stderr
    new = server.url("/new/home-of-evidence")
    assert path.read_text() == before.replace(
        f"    url: {old}   # as printed\n",
        f"    # was: {old} (moved, {TODAY})\n    url: {new}   # as printed\n")
    assert f"{path}:9:10: a: moved → {new}" in run.stdout
    assert "matches the source's title" in run.stdout


def test_tracking_parameters_a_redirect_adds_are_never_written(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    """A server that only adds ``?utm_source=…`` sends the visitor to the page cited: the
    link is ok and nothing changes; a real move that adds them is cited without them."""
    title = "Evaluation of the Springboard project (Blackpool, 2012)"
    same = server.url("/tracked")
    moved = server.url("/moved-tracked")
    path = case_file(tmp_path, f"  - id: a\n    title: {title}\n    url: {same}\n"
                               f"  - id: b\n    title: {title}\n    url: {moved}\n")
    before = path.read_text()
    run = run_fix(str(path))
    assert run.exit_code == 0, run.stderr
    new = server.url("/new/home-of-evidence")
    assert path.read_text() == before.replace(
        f"    url: {moved}\n", f"    # was: {moved} (moved, {TODAY})\n    url: {new}\n")
    assert "utm_" not in path.read_text() + run.stdout
    assert f"{path}:12:10: b: moved → {new} " in run.stdout
    assert f"{path}:10:10" not in run.stdout


def test_a_moved_page_with_another_title_is_left_and_the_reason_given(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    path = case_file(tmp_path, "  - id: a\n    title: Annual report of the Children's Trust\n"
                               f"    url: {server.url('/chain/1')}\n")
    before = path.read_bytes()
    run = run_fix(str(path))
    assert path.read_bytes() == before
    assert "left as they are" in run.stdout
    assert ("does not match the source's title" in run.stdout
            and "\u201cEvaluation of the Springboard project\u201d" in run.stdout)


def test_a_dead_page_with_an_archived_copy_is_cited_by_its_capture_and_the_run_passes(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    old = server.url("/lost/in-ukgwa")
    path = case_file(tmp_path, f"  - id: b\n    title: Council report\n    url: \"{old}\"\n")
    run = run_fix(str(path))
    capture = server.url(f"/ukgwa/20131101093000/{old}")
    assert run.exit_code == 0, run.stdout + run.stderr  # dead before, archived after
    text = path.read_text()
    assert f"    # was: {old} (dead, {TODAY})\n    url: \"{capture}\"\n" in text
    assert f"dead → the archived copy in UKGWA of 1 November 2013: {capture}" in run.stdout
    assert cases.parse(text, "x").case.sources[0].urls[0].url == capture


def test_web_continuity_into_a_capture_of_a_404_is_cited_by_a_good_capture(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    """The address leads to UKGWA's newest capture, of a 404 page: the link is rewritten to
    the older capture that is the page, not to the one it leads to."""
    old = server.url("/continuity-latest/gone")
    path = case_file(tmp_path, f"  - id: b\n    title: Report\n    url: \"{old}\"\n")
    run = run_fix(str(path))
    capture = server.url(f"/ukgwa/20120601000000/{old}")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert f"    # was: {old} (dead, {TODAY})\n    url: \"{capture}\"\n" in path.read_text()
    assert "20130301000000" not in path.read_text()


def test_a_dead_url_of_a_source_whose_other_url_works_is_said_to_be_removable(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    """The source's evidence is live at its other URL: the lost one is not told to find
    where the evidence went."""
    gone, page = server.url("/gone404"), server.url("/page")
    path = case_file(tmp_path, f"  - id: b\n    title: Report\n    urls:\n      - {gone}\n"
                               f"      - {page}\n")
    before = path.read_bytes()
    run = run_fix(str(path))
    assert path.read_bytes() == before
    text = " ".join(run.stdout.split())
    assert (f"dead, and no archive asked holds a good copy; the source's other URL works "
            f"({page}): remove this one from the source, or find where its evidence went"
            ) in text


def test_a_dead_page_without_any_copy_is_left_and_fails_the_run(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    path = case_file(tmp_path, f"  - id: b\n    title: Report\n    url: {server.url('/gone404')}\n")
    before = path.read_bytes()
    run = run_fix(str(path))
    assert run.exit_code == 1
    assert path.read_bytes() == before
    assert "dead, and no archive asked holds a good copy" in run.stdout


def test_a_drifted_page_is_cited_by_the_capture_that_holds_the_quote(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    old = server.url("/drifted-page")
    path = case_file(tmp_path, f"  - id: c\n    title: Evaluation\n    url: {old}\n"
                               "    quote: Family intervention workers are dedicated to the "
                               "families\n"
                               f"  - id: d\n    title: Evaluation again\n    url: {old}#x\n"
                               "    quote: a sentence no copy holds\n")
    run = run_fix(str(path))
    text = path.read_text()
    assert f"# was: {old} (drifted, {TODAY})\n" in text
    assert f"url: {server.url('/ukgwa/20131001000000/' + old)}\n" in text
    assert "the quote is in it" in run.stdout
    assert f"url: {old}#x\n" in text  # its capture lacks the quote: left
    assert "could not be shown to hold the quote" in run.stdout
    assert run.exit_code == 1


def test_a_drifted_page_whose_capture_cannot_be_read_for_the_quote_is_left(
        tmp_path: Path, run_fix: Any, server: EvidenceServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A capture with no text to read (a scanned PDF, say) is not shown to hold the quote:
    the link is left, never cited by a capture said to hold what nobody read in it."""
    from refcheck.text import page_text

    monkeypatch.setattr("refcheck.checker.page_text",
                        lambda answer: None if "/ukgwa/" in answer.url else page_text(answer))
    old = server.url("/drifted-page")
    path = case_file(tmp_path, f"  - id: c\n    title: Evaluation\n    url: {old}\n"
                               "    quote: Family intervention workers are dedicated to the "
                               "families\n")
    before = path.read_bytes()
    run = run_fix(str(path))
    assert path.read_bytes() == before
    assert "the quote is in it" not in run.stdout
    assert "could not be shown to hold the quote" in run.stdout
    assert run.exit_code == 1


def test_a_cited_list_of_captures_is_replaced_by_the_capture_that_is_the_page(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    page = server.url("/lost/in-ukgwa")
    listing = server.url(f"/wayback/web/*/{page}")
    path = case_file(tmp_path, f"  - id: b\n    title: Council report\n    url: \"{listing}\"\n")
    run = run_fix(str(path))
    assert run.exit_code == 0, run.stdout + run.stderr
    capture = server.url(f"/ukgwa/20131101093000/{page}")
    assert (f"    # was: {listing} (list of captures, {TODAY})\n    url: \"{capture}\"\n"
            in path.read_text())
    assert f"a list of captures → the capture of 1 November 2013 that is the page: {capture}" \
        in run.stdout
    # In UKGWA's pre-2021 form too: the capture, not the list's current form.
    legacy = server.url(f"/*/{CWDC}")
    path = case_file(tmp_path, f"  - id: f\n    title: CWDC research events\n    url: {legacy}\n")
    run = run_fix(str(path))
    assert f"url: {server.url('/ukgwa/20120119192332/' + CWDC)}\n" in path.read_text(), \
        run.stdout
    assert "a list of captures → the capture of 19 January 2012" in run.stdout


def test_a_pre_2021_ukgwa_address_gets_its_current_form(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    old = server.url(f"/20120119192332/{CWDC}")
    path = case_file(tmp_path, f"  - id: f\n    title: CWDC research events\n    url: {old}\n")
    run = run_fix(str(path))
    assert run.exit_code == 0, run.stderr
    text = path.read_text()
    assert (f"    # was: {old} (pre-2021 UKGWA address, {TODAY})\n"
            f"    url: {server.url('/ukgwa/20120119192332/' + CWDC)}\n") in text


def test_a_pre_2021_ukgwa_address_of_an_error_page_is_left_with_what_it_answered(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    """It answered as a capture, of an error page: fix says so, not that it did not."""
    old = server.url(f"/20130301000000/{server.url('/cited/ukgwa-soft')}")
    path = case_file(tmp_path, f"  - id: f\n    title: Evaluation\n    url: {old}\n")
    run = run_fix(str(path))
    assert "did not answer as a capture" not in run.stdout + run.stderr
    assert "a pre-2021 UKGWA address that is soft-404 (the UK Government Web Archive has a " \
           "capture at this address, but the capture is not the evidence" in run.stdout
    assert f"url: {old}" in path.read_text()


def https_parts(waits: Waits) -> cli.Parts:
    """A fetcher whose web has one http page that redirects to itself over https."""
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http":
            return httpx.Response(301, headers={"Location": str(request.url.copy_with(
                scheme="https"))})
        return httpx.Response(200, html="<title>Annual report 2012</title><p>"
                              + "The annual report of the trust. " * 40 + "</p>")

    def make(settings: HttpSettings) -> Fetcher:
        return Fetcher(settings, transport=httpx.MockTransport(answer), sleep=waits,
                       clock=waits.clock, watch_loop=False)
    return cli.Parts(make_fetcher=make)


def test_http_that_redirects_to_https_is_upgraded_only_when_asked(
        tmp_path: Path, run_fix: Any, waits: Waits) -> None:
    path = case_file(tmp_path, "  - id: a\n    title: Annual report 2012\n"
                               "    url: http://example.org/report\n")
    before = path.read_bytes()
    run = run_fix(str(path), parts=https_parts(waits))
    assert path.read_bytes() == before
    assert "--upgrade-https changes them" in run.stdout
    run = run_fix(str(path), "--upgrade-https", parts=https_parts(waits))
    assert run.exit_code == 0
    assert path.read_text() == before.decode().replace(
        "    url: http://example.org/report\n",
        f"    # was: http://example.org/report (https, {TODAY})\n"
        "    url: https://example.org/report\n")


def test_only_the_failed_url_of_a_source_is_replaced_and_none_removed(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    ok, dead = server.url("/page"), server.url("/lost/in-ukgwa")
    path = case_file(tmp_path, f"  - id: b\n    title: Council report\n    urls:\n"
                               f"      - {ok}\n      - {dead}   # the PDF\n")
    run_fix(str(path))
    text = path.read_text()
    capture = server.url(f"/ukgwa/20131101093000/{dead}")
    assert f"      - {ok}\n      # was: {dead} (dead, {TODAY})\n      - {capture}   # the PDF\n" \
        in text
    assert [u.url for u in cases.parse(text, "x").case.sources[0].urls] == [ok, capture]


def test_dry_run_prints_a_unified_diff_and_changes_nothing(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    old = server.url("/lost/in-ukgwa")
    path = case_file(tmp_path, f"  - id: b\n    title: Council report\n    url: {old}\n")
    before = path.read_bytes()
    run = run_fix(str(path), "--dry-run")
    assert path.read_bytes() == before
    assert run.exit_code == 1  # the file as it is: still dead
    assert f"--- {path}\n+++ {path}\n" in run.stdout
    assert f"-    url: {old}\n+    # was: {old} (dead, {TODAY})\n+    url: " in run.stdout
    assert "nothing written" in run.stderr


def test_a_file_edited_while_it_was_checked_is_not_overwritten(
        tmp_path: Path, run_fix: Any, server: EvidenceServer, waits: Waits) -> None:
    path = case_file(tmp_path, f"  - id: b\n    title: Report\n    url: "
                               f"{server.url('/lost/in-ukgwa')}\n")
    edited = path.read_text() + "  - id: c\n    title: Added by a colleague meanwhile\n"
    fetcher_for = parts_with(waits).make_fetcher

    def colleague_saves_first(settings: HttpSettings) -> Fetcher:
        path.write_text(edited)
        return fetcher_for(settings)

    run = run_fix(str(path), parts=cli.Parts(make_fetcher=colleague_saves_first))
    assert run.exit_code == 2
    assert "changed on disk while refcheck was checking it" in run.stderr
    assert path.read_text() == edited


def test_credentials_in_an_old_url_are_masked_in_the_comment_and_the_output(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    old = server.url("/chain/1?token=s3cret-value")
    path = case_file(tmp_path, "  - id: a\n    title: Evaluation of the Springboard project\n"
                               f"    url: {old}\n")
    run = run_fix(str(path), "--dry-run")
    assert "s3cret-value" not in run.stdout
    assert "s3cret-value" not in run.stderr
    assert "/chain/1?token=****" in run.stdout
    run_fix(str(path))
    assert f"# was: {server.url('/chain/1?token=****')} (moved" in path.read_text()


def test_crlf_line_ends_and_a_byte_order_mark_are_kept(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    old = server.url("/lost/in-ukgwa")
    text = (f"case:\r\n  title: T\r\n  date: 2013-11-29\r\nsources:\r\n  - id: b\r\n"
            f"    title: Report\r\n    url: '{old}'\r\n\r\n# end\r\n")
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    path.chmod(0o640)
    run_fix(str(path))
    capture = server.url(f"/ukgwa/20131101093000/{old}")
    assert path.read_bytes() == b"\xef\xbb\xbf" + text.replace(
        f"    url: '{old}'\r\n",
        f"    # was: {old} (dead, {TODAY})\r\n    url: '{capture}'\r\n").encode()
    assert path.stat().st_mode & 0o777 == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


DOCUMENT = """\
Title of case study: Improving outcomes for families

5. Sources to corroborate the impact
a) Evaluation of the Springboard project, {base}/chain/1
b) Council report (2012), {base}/lost/in-ukgwa
"""


def test_a_document_gets_a_new_fixed_case_file_beside_it(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    document = tmp_path / "case-study.txt"
    document.write_text(DOCUMENT.format(base=server.base))
    original = document.read_bytes()
    run = run_fix(str(document))
    assert run.exit_code == 0, run.stderr
    assert document.read_bytes() == original
    written = (tmp_path / "case-study.yaml").read_text()
    urls = [u.url for s in cases.parse(written, "x").case.sources for u in s.urls]
    assert urls == [server.url("/new/home-of-evidence"),
                    server.url(f"/ukgwa/20131101093000/{server.url('/lost/in-ukgwa')}")]
    assert f"# was: {server.url('/chain/1')} (moved, {TODAY})" in written
    again = run_fix(str(document))
    assert again.exit_code == 2 and "exists already" in again.stderr
    other = tmp_path / "other.yaml"
    assert run_fix(str(document), "-o", str(other)).exit_code == 0
    assert other.read_text() == written


# -- the text, without a network --------------------------------------------------------------

def test_salford_round_trips_byte_for_byte_and_only_url_lines_change(tmp_path: Path) -> None:
    copy = tmp_path / "salford.yaml"
    shutil.copy(SALFORD, copy)
    text = copy.read_text()
    assert rewrite(text, [])[0] == text
    case = cases.parse(text, str(copy)).case
    edits = [Edit(u.position.line, u.position.column, u.url, u.url.replace("http://", "https://")
                  + "?fixed=1", f"was: {u.url} (dead, {TODAY})")
             for s in case.sources for u in s.urls if not u.url.startswith("https://doi.org")]
    out, refused = rewrite(text, edits)
    assert refused == []
    # Take the comments out and put the old URLs back: the original, byte for byte.
    assert out.count("# was: ") == len(edits)
    lines = [line for line in out.splitlines(keepends=True) if "# was: " not in line]
    restored = "".join(lines)
    for edit in edits:
        restored = restored.replace(edit.new, edit.old, 1)
    assert restored == text
    assert [u.url for s in cases.parse(out, "x").case.sources for u in s.urls
            if not u.url.startswith("https://doi.org")] == [e.new for e in edits]


QUOTED = """\
case: {title: Quoting}
sources:
  - id: a
    title: Single
    url: 'http://a.example/x'
  - id: b
    title: Double
    url: "http://b.example/x"
  - id: c
    title: Flow, plain
    urls: [http://c.example/x, "http://c.example/y"]
  - {id: d, title: Flow mapping, url: http://d.example/x}
"""


@pytest.mark.parametrize("new", ["https://new.example/it's \"here\"",
                                 "https://new.example/a,b[1]",
                                 "https://new.example/plain"])
def test_each_quoting_style_is_kept_and_escaped(new: str) -> None:
    case = cases.parse(QUOTED, "q").case
    cited = [u for s in case.sources for u in s.urls]
    out, refused = rewrite(QUOTED, [Edit(u.position.line, u.position.column, u.url, new, "was")
                                    for u in cited])
    assert refused == []
    assert [u.url for s in cases.parse(out, "q").case.sources for u in s.urls] == [new] * 5
    assert "    url: '" in out and '    url: "' in out  # the quote styles stay
    if new.endswith("plain"):
        assert "urls: [https://new.example/plain," in out
        assert "url: https://new.example/plain}" in out


def test_scalar_text_quotes_a_plain_value_only_when_it_must() -> None:
    assert scalar_text("https://a.example/x?y=1#z", None) == "https://a.example/x?y=1#z"
    assert scalar_text("https://a.example/a:", None) == "'https://a.example/a:'"
    assert scalar_text("https://a.example/it's", "'") == "'https://a.example/it''s'"
    assert scalar_text('https://a.example/"q"\\', '"') == '"https://a.example/\\"q\\"\\\\"'


def test_a_url_that_comes_from_the_doi_field_is_not_rewritten() -> None:
    text = "case: {title: T}\nsources:\n  - id: a\n    title: A\n    doi: 10.1002/car.934\n"
    (cited,) = cases.parse(text, "d").case.sources[0].urls
    out, refused = rewrite(text, [Edit(cited.position.line, cited.position.column, cited.url,
                                       "https://x.example/", "was")])
    assert out == text and "doi:" in refused[0][1]


def test_a_comment_line_ends_as_the_line_it_is_put_above() -> None:
    """A file whose lines end in both ways (a header added on Unix to a Windows file): the
    comment takes the line ending of the URL's own line, so the lines about it stay as
    they were."""
    text = ("# added by a script\ncase:\r\n  title: T\r\nsources:\r\n  - id: a\r\n"
            "    title: A\r\n    url: https://old.example/a\r\n")
    out, refused = rewrite(text, [Edit(7, 10, "https://old.example/a", "https://new.example/a",
                                       "was: https://old.example/a")])
    assert not refused
    assert out == text.replace("    url: https://old.example/a\r\n",
                               "    # was: https://old.example/a\r\n"
                               "    url: https://new.example/a\r\n")


def test_rewrite_refuses_text_that_is_not_yaml() -> None:
    with pytest.raises(RewriteError):
        rewrite("a: [unclosed\n", [])


# -- the rules, without a network -------------------------------------------------------------

def result(status: Status, url: str, *, final: str | None = None, title: str | None = None,
           source_title: str = "Annual report 2012") -> LinkResult:
    position = Position("c.yaml", 5, 10)
    source = Source("a", source_title, (CitedUrl(url, position),), position)
    return LinkResult(Case("c.yaml", "T", (source,)), source, source.urls[0], status, "",
                      dt.datetime(2026, 12, 1, tzinfo=dt.UTC), final_url=final,
                      page_title=title)


def test_upgrade_to_https_only_for_a_trivial_redirect() -> None:
    trivial = result(Status.OK, "http://a.example/r", final="https://www.a.example/r/")
    change = decide_change(trivial, upgrade_https=True)
    assert change is not None and getattr(change, "new_url", None) == "https://www.a.example/r/"
    assert decide_change(trivial) is None
    elsewhere = result(Status.OK, "http://a.example/r", final="https://a.example/other")
    assert decide_change(elsewhere, upgrade_https=True) is None


def test_fix_never_writes_a_visitors_session_into_the_case_file() -> None:
    upgraded = decide_change(result(Status.OK, "http://a.example/r",
                                    final="https://a.example/r;jsessionid=8A3F0C"),
                             upgrade_https=True)
    assert getattr(upgraded, "new_url", None) == "https://a.example/r"
    moved = decide_change(result(Status.MOVED, "https://a.example/annual-report-2012",
                                 final="https://b.example/annual-report-2012?PHPSESSID=ab12",
                                 title="Annual report 2012"))
    assert getattr(moved, "new_url", None) == "https://b.example/annual-report-2012"
    assert "PHPSESSID" not in getattr(moved, "why", "")


def test_a_move_to_an_address_with_the_servers_credentials_is_left(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    """A signed address, handed out by the server for one visit, expires: it is never
    written into the case file (which is shared and published), even masked."""
    path = case_file(tmp_path, "  - id: a\n    title: Evaluation of the Springboard project "
                               f"(Blackpool, 2012)\n    url: {server.url('/signed/1')}\n")
    before = path.read_bytes()
    run = run_fix(str(path))
    assert path.read_bytes() == before
    # The check calls it ok: the address as cited is the one to keep.
    assert run.exit_code == 0 and "nothing to change" in run.stderr
    assert "5e3a9f0c" not in run.stdout + run.stderr


def test_credentials_the_cited_address_had_are_kept_in_its_new_one() -> None:
    """The user's own key, kept by the move, is theirs to cite; a password the server
    added is not."""
    own = decide_change(result(Status.MOVED, "https://a.example/annual-report?api_key=K1",
                               final="https://b.example/annual-report?api_key=K1",
                               title="Annual report 2012"))
    assert getattr(own, "new_url", None) == "https://b.example/annual-report?api_key=K1"
    added = decide_change(result(Status.MOVED, "https://a.example/annual-report",
                                 final="https://bob:pw@b.example/annual-report",
                                 title="Annual report 2012"))
    assert added is not None and not hasattr(added, "new_url")
    assert "credentials the server added" in added.why
    area = decide_change(result(Status.MOVED, "https://a.example/area",
                                final="https://b.example/area?code=E06000001",
                                title="Annual report 2012"))
    assert getattr(area, "new_url", None) == "https://b.example/area?code=E06000001"


def test_a_page_that_drifted_without_a_quote_is_not_said_to_hold_one() -> None:
    """Drifted with no quote: the page no longer shows what its capture of the case date
    does (the domain changed hands). The capture is cited; no quote is claimed."""
    capture = Capture(Archive.WAYBACK, "https://web.archive.org/web/20131101000000/"
                      "https://a.example/r", dt.datetime(2013, 11, 1, tzinfo=dt.UTC),
                      "https://a.example/r", "the Wayback Machine")
    drifted = dataclasses.replace(result(Status.DRIFTED, "https://a.example/r"),
                                  archive=capture, evidence=Evidence.ARCHIVED)
    change = decide_change(drifted)
    assert getattr(change, "new_url", None) == capture.url
    assert "quote" not in getattr(change, "why", "quote")


def test_blocked_and_erroring_links_are_never_rewritten() -> None:
    for status in (Status.BLOCKED, Status.ERROR):
        kept = decide_change(result(status, "https://a.example/"))
        assert kept is not None and not hasattr(kept, "new_url")
        assert "may still be there" in kept.why


def test_a_moved_page_may_match_the_old_addresss_own_name() -> None:
    moved = result(Status.MOVED, "https://a.example/news/junior-ministers-visit-clooney-centre",
                   final="https://b.example/n/123",
                   title="Junior Ministers visit Clooney Centre | News",
                   source_title="OFMDFM news, March 2012")
    change = decide_change(moved)
    assert getattr(change, "new_url", None) == "https://b.example/n/123"
    assert "old address's name" in getattr(change, "why", "")


def test_a_move_to_the_next_editions_page_is_left_not_written() -> None:
    """A redirect from last year's report to this year's (a "latest report" address) is a
    page about the same thing, but not the evidence cited."""
    moved = result(Status.MOVED, "https://a.example/reports/annual-report-2012",
                   final="https://a.example/reports/annual-report-2013",
                   title="Annual report 2013", source_title="Annual report 2012")
    kept = decide_change(moved)
    assert kept is not None and not hasattr(kept, "new_url")
    assert "does not match the source's title" in kept.why
    by_name = result(Status.MOVED, "https://a.example/news/annual-report-2012",
                     final="https://b.example/n/123", title="Annual Report 2013 | News",
                     source_title="Council news, 2012")
    kept = decide_change(by_name)
    assert kept is not None and not hasattr(kept, "new_url")


@pytest.mark.parametrize(("page", "source", "same"), [
    ("Working with troubled families: a guide to evidence and good practice - GOV.UK",
     "Working with Troubled Families: A guide to the evidence and good practice (DCLG, 2012)",
     True),
    ("Primary Justice: an inquiry into justice in communities | LGiU",
     "All Party Parliamentary Local Government Group (2009) Primary Justice: an inquiry into "
     "justice in communities", True),
    ("GOV.UK", "Troubled families (DCLG, GOV.UK)", False),
    ("Local Government | LGiU", "All Party Parliamentary Local Government Group (2009) "
     "Primary Justice: an inquiry into justice in communities", False),
    ("Page moved", "Annual report 2012", False),
    # Another edition: the numbers differ, however alike the words.
    ("Annual report 2013", "Annual report 2012", False),
    ("Annual Report 2012-13 | Children's Trust", "Children's Trust annual report 2011-12",
     False),
    ("Health strategy 2015-2020", "Health strategy 2010-2015", False),
    # A number only one title has (a date the page adds) is no other edition.
    ("Troubled families: progress report, 12 June 2012 - GOV.UK",
     "Troubled families progress report (DCLG, 2012)", True),
    ("Annual report 2012 | Children's Trust", "Children's Trust annual report", True),
])
def test_same_evidence_by_title(page: str, source: str, same: bool) -> None:
    assert same_evidence(page, source) is same


def test_title_similarity_ignores_order_case_and_extra_words() -> None:
    assert title_similarity("Family Support: Annual Report", "annual report family support") \
        == 1.0
    assert title_similarity("Annual report", "Bus timetable") < 0.5
    assert title_similarity("", "Anything") == 0.0


def test_refcheck_fix_and_preserve_are_subcommands(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    path = case_file(tmp_path, "  - id: g\n    title: Letter held by the university\n")
    monkeypatch.delenv("REFCHECK_IA_ACCESS_KEY", raising=False)
    monkeypatch.setenv("REFCHECK_PROBE_URL", "")
    fixed = subprocess.run([sys.executable, "-m", "refcheck", "fix", "--dry-run", str(path)],
                           capture_output=True, text=True, timeout=60)
    assert fixed.returncode == 0, fixed.stderr
    assert "0 URLs would change; --dry-run: nothing written" in fixed.stderr
    kept = subprocess.run([sys.executable, "-m", "refcheck", "preserve", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert kept.returncode == 2 and "https://archive.org/account/s3.php" in kept.stderr


def test_fix_says_a_utf16_case_file_is_utf16_as_the_check_does(
        tmp_path: Path, run_fix: Any) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes("case:\n  title: T\nsources:\n  - id: a\n    title: A\n"
                     .encode("utf-16-le"))
    run = run_fix(str(path))
    assert run.exit_code == 2
    assert "this file is UTF-16 text" in run.stderr


@pytest.mark.parametrize(("toml", "shown"), [
    ('[archives]\nwayback_url = "ftp://bob:hunter2@x.org/?token=abc"\n', "****:****@x.org"),
    ('exclude = ["\\u001b]0;pwned\\u0007(("]\n', "\\x1b]0;pwned\\x07"),
])
def test_fix_shows_a_settings_value_masked_and_escaped_as_the_check_does(
        tmp_path: Path, run_fix: Any, toml: str, shown: str) -> None:
    path = case_file(tmp_path, "  - id: a\n    title: A\n")
    (tmp_path / "refcheck.toml").write_text(toml)
    run = run_fix(str(path), "--config", str(tmp_path / "refcheck.toml"))
    assert run.exit_code == 2
    assert shown in run.stderr
    assert "hunter2" not in run.stderr and "token=abc" not in run.stderr
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr


def test_fix_keeps_to_the_settings_file_beside_the_case_file_as_the_check_does(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    intranet, gone = server.url("/lost/in-ukgwa"), server.url("/gone404")
    path = case_file(tmp_path, f"  - id: a\n    title: Intranet page\n    url: {intranet}\n"
                               f"  - id: b\n    title: Report\n    url: {gone}\n")
    (tmp_path / "refcheck.toml").write_text(
        "fail-on = \"none\"\nexclude = ['/lost/in-ukgwa']\n")
    before = path.read_bytes()
    run = run_fix(str(path))  # from the tests' own folder: the file is found beside the case
    assert run.exit_code == 0, run.stdout + run.stderr
    assert path.read_bytes() == before
    assert "/lost/in-ukgwa" not in server.seen
    assert "b: dead, and no archive asked holds a good copy" in run.stdout
    assert run_fix(str(path), "--fail-on", "dead").exit_code == 1  # an option still wins


def test_the_cited_fragment_goes_with_the_url_to_its_new_address(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    """`#page=4` says where in the evidence to look: a browser keeps it over a redirect, and
    it points into a capture as into the page."""
    moved, lost = server.url("/chain/1"), server.url("/lost/in-ukgwa")
    path = case_file(tmp_path, f"  - id: a\n    title: Evaluation of the Springboard project\n"
                               f"    url: {moved}#section-3\n"
                               f"  - id: b\n    title: Council report\n    url: {lost}#page=4\n")
    run = run_fix(str(path))
    assert run.exit_code == 0, run.stdout + run.stderr
    new = server.url("/new/home-of-evidence#section-3")
    capture = server.url(f"/ukgwa/20131101093000/{lost}#page=4")
    text = path.read_text()
    assert f"    # was: {moved}#section-3 (moved, {TODAY})\n    url: {new}\n" in text
    assert f"    # was: {lost}#page=4 (dead, {TODAY})\n    url: {capture}\n" in text
    assert f"a: moved → {new} (the new page's title" in run.stdout
    assert f"b: dead → the archived copy in UKGWA of 1 November 2013: {capture}\n" in run.stdout


def test_a_case_file_named_twice_is_fixed_once(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    old = server.url("/lost/in-ukgwa")
    path = case_file(tmp_path, f"  - id: b\n    title: Council report\n    url: {old}\n")
    run = run_fix(str(path), str(tmp_path))
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "changed on disk" not in run.stderr
    assert path.read_text().count("# was:") == 1
    assert run.stderr.count(f"{path}: 1 URL changed") == 1


def test_a_case_file_reached_by_a_link_is_fixed_where_it_is_and_the_link_kept(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    old = server.url("/lost/in-ukgwa")
    real = case_file(tmp_path, f"  - id: b\n    title: Council report\n    url: {old}\n",
                     name="shared.yaml")
    link = tmp_path / "case.yaml"
    link.symlink_to(real.name)
    run = run_fix(str(link))
    assert run.exit_code == 0, run.stdout + run.stderr
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert f"# was: {old} (dead, {TODAY})" in real.read_text()
    assert f"{link}: 1 URL changed" in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml", "shared.yaml"]


def test_fix_run_twice_changes_nothing_the_second_time(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    drifted = server.url("/drifted-page")
    path = case_file(tmp_path, (
        f"  - id: a\n    title: Evaluation of the Springboard project (Blackpool, 2012)\n"
        f"    url: {server.url('/chain/1')}#page=4\n"
        f"  - id: b\n    title: Council report\n    url: \"{server.url('/lost/in-ukgwa')}\"\n"
        f"  - id: c\n    title: Evaluation\n    url: {drifted}\n"
        "    quote: Family intervention workers are dedicated to the families\n"
        f"  - id: f\n    title: CWDC research events\n"
        f"    url: {server.url(f'/20120119192332/{CWDC}')}\n"))
    first = run_fix(str(path))
    assert "4 URLs changed" in first.stderr, first.stdout + first.stderr
    after = path.read_bytes()
    second = run_fix(str(path))
    assert path.read_bytes() == after
    assert second.exit_code == 0, second.stdout + second.stderr
    assert "nothing to change" in second.stderr


def test_a_dead_url_with_a_copying_mistake_is_left_with_the_mistake_named(
        tmp_path: Path, run_fix: Any, server: EvidenceServer) -> None:
    """`url: …/page.` (a full stop copied with it) is dead as written; fix said "no
    archive asked holds a good copy: find where the evidence went". It names the mistake,
    as the case-file warning and the reports do."""
    url = server.url("/page") + "."
    path = case_file(tmp_path, f"  - id: b\n    title: Report\n    url: {url}\n")
    before = path.read_bytes()
    run = run_fix(str(path))
    assert path.read_bytes() == before
    assert (f"b: dead as written, which looks damaged: remove the trailing full stop: "
            f"`{server.url('/page')}` was probably meant; correct it by hand, then check "
            "again") in run.stdout
    assert "find where the evidence went" not in run.stdout
