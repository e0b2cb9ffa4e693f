"""Renderers: the terminal table, plain text, and the progress bar."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
from typing import Any

import pytest

from refcheck import cli
from refcheck.http import HostLoad
from refcheck.model import (
    Archive,
    Case,
    CitedUrl,
    Hop,
    LinkResult,
    Position,
    RunReport,
    Source,
    Status,
    decide,
)
from refcheck.report import Format

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def report() -> RunReport:
    def source(i: int, title: str, url: str | None) -> Source:
        urls = (CitedUrl(url, Position("c.yaml", 10 + i, 10)),) if url else ()
        return Source(id=chr(97 + i), title=title, urls=urls, position=Position("c.yaml", 9 + i, 5))

    sources = (
        source(0, "[bold]Primary Justice[/bold]", "https://bob:pw@e.org/r.pdf?token=t"),
        source(1, "Council page", "http://council.example.gov.uk/think-family"),
        source(2, "Letter", None),
    )
    case = Case(path="c.yaml", title="Case \x1b[2J title", sources=sources,
                institution="Uni", date=dt.date(2013, 11, 29))
    new = "https://council.example.gov.uk/families"
    results = [
        LinkResult(case, sources[2], None, Status.NO_URL, "no URL", checked_at=NOW),
        LinkResult(case, sources[1], sources[1].urls[0], Status.MOVED,
                   f"moved to {new}; cite the new address", checked_at=NOW, http_status=200,
                   final_url=new, redirects=(Hop(sources[1].urls[0].url, 301, new),)),
        LinkResult(case, sources[0], sources[0].urls[0], Status.DEAD, "404 Not Found",
                   checked_at=NOW, http_status=404),
    ]
    return RunReport(cases=[case], results=results)


def render(out: io.StringIO, *, color: bool | None = None) -> str:
    run = report()
    Format.terminal.renderer(color=color).render(run, decide(run), out)
    return out.getvalue()


def test_terminal_report_has_colour_symbols_and_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    text = render(Tty(), color=True)
    assert "\x1b[" in text  # coloured
    seen = "\n".join(_visible(text))
    for words in ("✗ dead", "→ moved", "What to do", "a - dead; find where the evidence went"):
        assert words in seen
    assert "[bold]Primary Justice[/bold]" in text  # markup printed, not applied
    assert "\\x1b[2J" in text and "\x1b[2J" not in text
    assert "pw@" not in text and "token=t" not in text
    assert "\x1b]8;" in text  # URLs are links (OSC 8) in a colour terminal


def test_no_color_in_a_terminal_keeps_the_layout_without_colour(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    coloured = render(Tty(), color=True)
    text = render(Tty())
    assert "What to do" in text and "✗ dead" in text
    assert not re.search(r"\x1b\[[0-9;]*(3|9)[0-7]m", text)  # no foreground colour at all
    assert _visible(text) == _visible(coloured)  # the same layout, line for line


def _visible(text: str) -> list[str]:
    """Lines as a person sees them: escape sequences (colours, links) removed."""
    text = re.sub(r"\x1b\]8;[^\x1b]*\x1b\\", "", text)
    return re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()


def test_plain_output_lists_sources_in_case_file_order() -> None:
    text = render(io.StringIO())
    assert "\x1b" not in text
    assert text.index("a  [bold]Primary Justice") < text.index("b  Council page") \
        < text.index("c  Letter")
    assert "  ✗ dead 404  https://****:****@e.org/r.pdf?token=****" in text


LONG_URL = ("https://www.gov.uk/government/uploads/system/uploads/attachment_data/file/66113/"
            "121214_Working_with_troubled_families_FINAL_v2.pdf")
ARCHIVED = f"https://webarchive.nationalarchives.gov.uk/ukgwa/20130305000000/{LONG_URL}"


def wide_report() -> RunReport:
    from refcheck.model import Capture, Evidence

    run = report()
    dead = run.results[2]
    source = dataclasses.replace(dead.source, urls=(CitedUrl(LONG_URL, dead.cited.position),)
                                 if dead.cited else ())
    capture = Capture(Archive.UKGWA, ARCHIVED, NOW, LONG_URL, "UKGWA")
    run.results[2] = dataclasses.replace(dead, source=source, cited=source.urls[0],
                                         archive=capture, evidence=Evidence.ARCHIVED,
                                         detail=f"404 Not Found at {LONG_URL}")
    return run


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_no_url_is_ever_broken_across_lines(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    run = wide_report()
    out = Tty()
    Format.terminal.renderer(color=True).render(run, decide(run), out)
    lines = _visible(out.getvalue())
    for url in (LONG_URL, ARCHIVED, "https://council.example.gov.uk/families"):
        assert any(url in line for line in lines), url
    # Prose still wraps to the width: only lines holding a URL run past it.
    assert all(len(line) <= width or "https://" in line for line in lines)


def test_the_summary_is_an_action_list_per_source() -> None:
    run = wide_report()
    out = io.StringIO()
    Format.terminal.renderer().render(run, decide(run), out)
    text = out.getvalue()
    assert "What to do (2 of 3 sources):" in text
    assert f"a - dead; cite the archived copy of 26 November 2026: {ARCHIVED}" in text
    assert ("b - moved; check that the new page is the same evidence, then cite "
            "https://council.example.gov.uk/families") in text
    assert "3 links in 1 case file" in text and "3 sources:" in text


def test_quiet_shows_only_the_sources_that_need_attention() -> None:
    run = report()
    out = io.StringIO()
    Format.terminal.renderer(quiet=True).render(run, decide(run), out)
    text = out.getvalue()
    assert "Primary Justice" in text and "Council page" in text
    assert "c  Letter" not in text and "What to do" in text


def test_without_a_network_the_reason_is_said_once() -> None:
    from refcheck.verdict import no_network

    run = report()
    verdict = no_network("https://www.gov.uk/")
    run.results[1:] = [dataclasses.replace(r, status=verdict.status, detail=verdict.detail)
                       for r in run.results[1:]]
    run.network_unreachable = True
    out = io.StringIO()
    Format.terminal.renderer().render(run, decide(run), out)
    text = out.getvalue()
    assert text.count("No network") == 2  # once at the top, once in the summary
    assert "connect to the internet" not in text  # not repeated under each link
    assert text.count("not checked: no network") == 2


def test_progress_shows_both_stages_only_when_stderr_is_a_terminal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from refcheck.archive.interface import Queue

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    fake = Tty()
    monkeypatch.setattr("sys.stderr", fake)
    with cli._progress() as progress:
        assert progress is not None
        progress.watch(lambda: [Queue("the Wayback Machine", "lookups", 24, 60.0, 18)])
        progress.watch_hosts(lambda: HostLoad(1204, "bit.ly", 412, 100))
        progress.started(3)
        progress.checked()
        progress.display.refresh()
        progress.checked()
        progress.looking_up()
        progress.display.refresh()
    shown = fake.getvalue()
    assert "1,204 hosts busy; most left: bit.ly, 412" in shown
    assert "checking links" in shown and "archive lookups" in shown
    assert "the Wayback Machine: 24 lookups a minute, 18 to go, about 45 s" in shown
    quiet = io.StringIO()
    monkeypatch.setattr("sys.stderr", quiet)
    with cli._progress() as progress:
        assert progress is None
    assert quiet.getvalue() == ""


def test_the_time_left_waits_for_the_busiest_hosts_queue() -> None:
    """9,000 of 10,000 links done in 90 s would say 10 s left; but the busiest host has
    done 100 of its links in that time and has 412 to go, which takes it 371 s more."""
    from refcheck.report.progress import time_left

    assert time_left(10_000, 9_000, 90.0, None) == pytest.approx(10.0)
    assert time_left(10_000, 9_000, 90.0, HostLoad(30, "bit.ly", 412, 100)) == \
        pytest.approx(370.8)
    assert time_left(10_000, 0, 0.0, HostLoad(30, "bit.ly", 412, 0)) is None


def test_json_checked_at_is_each_links_own_second_and_zone() -> None:
    """checked_at is written once per second and zone, so links finished in the same
    second share the text, and a link in another second or zone gets its own."""
    run = report()
    whens = [NOW.replace(microsecond=900_000), NOW + dt.timedelta(seconds=1),
             NOW.astimezone(dt.timezone(dt.timedelta(hours=1)))]
    run.results[:] = [dataclasses.replace(r, checked_at=w) for r, w in zip(run.results, whens,
                                                                           strict=True)]
    out = io.StringIO()
    Format.json.renderer().render(run, decide(run), out)
    stamps = {link["source"]: link["checked_at"] for link in json.loads(out.getvalue())["links"]}
    assert stamps == {"c": "2026-11-26T09:00:00+00:00", "b": "2026-11-26T09:00:01+00:00",
                      "a": "2026-11-26T10:00:00+01:00"}


def _json_at_the_end(run: RunReport) -> str:
    out = io.StringIO()
    Format.json.renderer().render(run, decide(run), out)
    return out.getvalue()


def _json_as_links_finish(run: RunReport) -> str:
    """The JSON report as the CLI writes it: each link handed to the renderer as it ends."""
    renderer = Format.json.renderer()
    for result in run.results:
        renderer.prepare(result)
    out = io.StringIO()
    renderer.render(run, decide(run), out)
    return out.getvalue()


@pytest.mark.parametrize("in_memory", [1 << 20, 1])  # 0 would be no limit
def test_json_links_encoded_as_they_finish_give_the_same_report(
        in_memory: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI hands each finished link to the renderer while the run goes on; the report
    is the same as one written all at the end, whether the links encoded early were kept
    in memory or, as a large run's are, on disk."""
    from refcheck.report import json as json_report

    monkeypatch.setattr(json_report, "SPOOL_IN_MEMORY", in_memory)
    run = report()
    assert _json_as_links_finish(run) == _json_at_the_end(run)


class _FilelessSpool(io.BytesIO):
    """A spool with no file of its own: it cannot be mapped into memory."""

    def __init__(self, max_size: int) -> None:
        super().__init__()


@pytest.mark.parametrize("spool", ["on disk", "in memory", "no file"])
def test_a_large_json_report_written_from_its_spool_is_the_one_written_at_the_end(
        spool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,500 links, written in batches from where they were encoded as they finished
    (read back out of their order there), make the report written all at the end."""
    from refcheck.report import json as json_report

    if spool == "no file":
        monkeypatch.setattr("refcheck.report.json.tempfile.SpooledTemporaryFile",
                            _FilelessSpool)
    else:
        monkeypatch.setattr(json_report, "SPOOL_IN_MEMORY", 1 if spool == "on disk" else 1 << 30)
    run = report()
    dead = run.results[2]
    assert dead.cited is not None
    # Finished in the reverse of the report's order, one per line of the case file.
    run.results = [dataclasses.replace(dead, cited=CitedUrl(
        f"https://e.org/{i}", Position("c.yaml", 10 + i, 10))) for i in range(1500, 0, -1)]
    written = _json_as_links_finish(run)
    assert written == _json_at_the_end(run)
    links = json.loads(written)["links"]
    assert [link["url"] for link in links] == [f"https://e.org/{i}" for i in range(1, 1501)]


def test_a_small_report_never_depends_on_the_disk_at_its_end(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Links spooled in memory are read back from memory: a disk that fills as the
    report is written cannot cut its lines short."""
    import errno
    import tempfile

    class Full(io.BytesIO):
        def write(self, data: bytes) -> int:  # type: ignore[override]
            super().write(data[:len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    run = report()
    renderer = Format.json.renderer()
    for result in run.results:
        renderer.prepare(result)
    monkeypatch.setattr(tempfile, "TemporaryFile", lambda *args, **kwargs: Full())
    out = io.StringIO()
    renderer.render(run, decide(run), out)
    assert out.getvalue() == _json_at_the_end(run)


@pytest.mark.parametrize("moving", [False, True])
def test_links_encoded_early_when_the_disk_fills_are_encoded_again_at_the_end(
        moving: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the file holding the early-encoded links cannot take one (a full disk, as it
    moves from memory to disk too, losing what it held), every link is encoded at the end
    instead: the report is the same."""
    import errno

    class FillingSpool(io.BytesIO):
        writes = 0

        def __init__(self, max_size: int) -> None:
            super().__init__()

        def write(self, data: bytes) -> int:  # type: ignore[override]
            FillingSpool.writes += 1
            if FillingSpool.writes == 2:  # this one fails; the next would not
                if moving:  # moving to disk, the spool loses what it had
                    self.seek(0)
                    self.truncate()
                else:
                    super().write(data[:len(data) // 2])
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(data)

    monkeypatch.setattr("refcheck.report.json.tempfile.SpooledTemporaryFile", FillingSpool)
    run = report()
    assert len(run.results) >= 3
    assert _json_as_links_finish(run) == _json_at_the_end(run)


def test_markdown_has_the_action_list_and_a_table_per_case() -> None:
    run = report()
    out = io.StringIO()
    Format.markdown.renderer().render(run, decide(run), out)
    text = out.getvalue()
    assert text.index("## What to do") < text.index("## Case")
    assert "| a | c.yaml | ✗ dead |" in text
    assert "\\[bold\\]Primary Justice\\[/bold\\]" in text  # markup escaped
    assert "<https://council.example.gov.uk/families>" in text
    assert all(line.count("|") >= 5 for line in text.splitlines()
               if line.startswith("| ") and "---" not in line and "What" not in line)


@pytest.mark.parametrize(("detail", "shown"), [
    ("moved to https://e.org/new/evaluation-springboard; cite the new address",
     "moved to <https://e.org/new/evaluation-springboard>; cite the new address"),
    ("redirects to the site's home page (https://e.org/index.html): the cited page is gone",
     "redirects to the site's home page \\(<https://e.org/index.html>\\): the cited page is gone"),
    ("redirects to https://e.org/landing?token=T0K&sig=S1G, which answers 404 Not Found",
     "redirects to <https://e.org/landing?token=****&sig=****>, which answers 404 Not Found"),
    ("see https://en.wikipedia.org/wiki/Salford_(city).",
     "see <https://en.wikipedia.org/wiki/Salford_(city)>."),
    ("quoted as \u201chttps://e.org/a\u201d [https://e.org/b]!",
     "quoted as \u201c<https://e.org/a>\u201d \\[<https://e.org/b>\\]\\!"),
])
def test_markdown_links_end_where_the_url_ends_not_at_the_punctuation_after_it(
        detail: str, shown: str) -> None:
    run = report()
    run.results[2] = dataclasses.replace(run.results[2], detail=detail)
    out = io.StringIO()
    Format.markdown.renderer().render(run, decide(run), out)
    text = out.getvalue()
    assert f"| {shown} |" in text
    assert "T0K" not in text and "S1G" not in text


def test_junit_has_a_suite_per_case_file_and_a_case_per_link() -> None:
    import xml.etree.ElementTree as ET

    run = report()
    out = io.StringIO()
    Format.junit.renderer().render(run, decide(run), out)
    root = ET.fromstring(out.getvalue())
    assert root.tag == "testsuites" and root.get("tests") == "3"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "c.yaml"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    dead = cases["a https://****:****@e.org/r.pdf?token=****"]
    assert dead.get("classname") == "c.yaml"
    failure = dead.find("failure")
    assert failure is not None and failure.get("type") == "dead"
    assert cases["c (no URL)"].find("skipped") is not None


def test_github_annotations_point_at_the_url_in_the_case_file(tmp_path: Any) -> None:
    from refcheck.report.github import GithubRenderer

    run = report()
    summary = tmp_path / "summary.md"
    out = io.StringIO()
    GithubRenderer({"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}).render(
        run, decide(run), out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("::error file=c.yaml,line=10,col=10,title=a%3A dead::dead; ")
    assert lines[1].startswith("::warning file=c.yaml,line=11,col=10,title=b%3A moved::")
    assert "## What to do" in summary.read_text()


def test_csv_opens_in_excel_and_never_runs_a_formula() -> None:
    import csv

    run = report()
    run.results[0] = dataclasses.replace(run.results[0], detail="=HYPERLINK(\"http://x\")")
    out = io.StringIO()
    Format.csv.renderer().render(run, decide(run), out)
    text = out.getvalue()
    assert text.startswith("\ufeff")  # UTF-8 with a BOM: Excel reads the symbols right
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["source"] for r in rows] == ["a", "b", "c"]
    assert rows[0]["status"] == "dead" and rows[2]["status"] == "no-url"
    assert rows[2]["detail"].startswith("'=HYPERLINK")


def test_html_is_one_page_with_no_external_requests() -> None:
    run = wide_report()
    out = io.StringIO()
    Format.html.renderer().render(run, decide(run), out)
    page = out.getvalue()
    assert page.startswith("<!doctype html>")
    assert page.index("What to do") < page.index("Case")
    assert f'<a href="{ARCHIVED}">' in page
    assert not re.search(r'(src|href)="(?!https?://)', page)  # nothing loaded from elsewhere
    assert "<script src" not in page and "<link" not in page
    assert "[bold]Primary Justice[/bold]" in page and "<bold>" not in page


@pytest.mark.parametrize("form", ["terminal", "markdown", "html", "json"])
def test_an_interrupted_report_names_the_links_it_did_not_check(form: str) -> None:
    """Ctrl-C after two of three sources: the third is named, so that the user knows what
    still needs checking (it was simply absent from every report)."""
    run = report()
    del run.results[1]  # the council page was still being fetched
    run.interrupted = True
    out = io.StringIO()
    Format(form).renderer().render(run, decide(run), out)
    text = out.getvalue()
    if form == "json":
        assert json.loads(text)["not_checked"] == [
            {"file": "c.yaml", "line": 11, "source": "b", "kind": "source",
             "url": "http://council.example.gov.uk/think-family", "title": "Council page"}]
        return
    assert "Not checked (1); run refcheck again to check them" in text
    assert "c.yaml:11: b" in text and "council.example.gov.uk/think-family" in text
    assert "c.yaml:10: a" not in text  # the dead link was checked


def test_a_complete_report_lists_nothing_as_not_checked() -> None:
    out = io.StringIO()
    run = report()
    Format.json.renderer().render(run, decide(run), out)
    assert json.loads(out.getvalue())["not_checked"] == []


@pytest.mark.parametrize(("detail", "href"), [
    ("see https://en.wikipedia.org/wiki/Salford_(city) for the place",
     "https://en.wikipedia.org/wiki/Salford_(city)"),
    ("is it at https://e.org/report?", "https://e.org/report"),
    ("moved (to https://e.org/new]); cite it", "https://e.org/new"),
])
def test_html_links_end_where_the_url_ends(detail: str, href: str) -> None:
    run = report()
    run.results[2] = dataclasses.replace(run.results[2], detail=detail)
    out = io.StringIO()
    Format.html.renderer().render(run, decide(run), out)
    assert f'href="{href}"' in out.getvalue()


@pytest.mark.parametrize("form", ["terminal", "markdown", "html", "junit", "github"])
def test_an_interrupted_run_whose_checked_links_are_fine_is_no_clean_bill(form: str) -> None:
    """Ctrl-C after the source without a URL only: Markdown said "✓ No source needs
    attention", HTML "every source's evidence is live", JUnit counted 1 test and no
    failure (a CI test reporter showed green) and GitHub annotated nothing. Now each says
    the run was interrupted, and how many links were checked; JUnit counts the others as
    skipped."""
    run = report()
    del run.results[1:]  # only the letter (no URL) had been reported
    run.interrupted = True
    out = io.StringIO()
    Format(form).renderer().render(run, decide(run), out)
    text = out.getvalue()
    assert "Interrupted: 1 of 3 links were checked before the run was stopped" in text
    assert "No source needs attention" not in text
    assert "every source's evidence is live" not in text
    if form == "junit":
        assert '<testsuites name="refcheck" tests="3" failures="0" skipped="3">' in text
        assert 'name="b http://council.example.gov.uk/think-family"' in text
        assert 'name="a https://****:****@e.org/r.pdf?token=****"' in text
        assert "pw@" not in text
    if form == "github":
        assert "2 links were not checked; run refcheck again to check them." in text


def test_html_never_calls_evidence_live_that_was_not_checked() -> None:
    """A run of a letter (no URL) and an excluded link only: the HTML report said
    "Nothing: every source's evidence is live", of evidence that has no URL or was never
    fetched. It now says no source needs attention, as the other reports do."""
    run = report()
    excluded = dataclasses.replace(run.results[1], status=Status.EXCLUDED, detail="excluded",
                                   http_status=None, final_url=None, redirects=())
    run.results[1:] = [excluded]
    out = io.StringIO()
    Format.html.renderer().render(run, decide(run), out)
    page = out.getvalue()
    assert "evidence is live" not in page
    assert "<h2>What to do</h2><p>Nothing: no source needs attention.</p>" in page


@pytest.mark.parametrize("form", ["terminal", "markdown", "html"])
def test_case_file_warnings_are_listed_whole_and_their_urls_as_written(form: str) -> None:
    """The summary's warnings showed the excerpt under a warning as "\\n    title: …\\n
    ^" run into its line, and Markdown and HTML linked the part of a URL before its space
    (`<a href="http://e.org/a">`), a link to an address nobody cited. Now each warning is
    one line, and what it quotes is shown as code, as written, never as a link."""
    from refcheck.errors import Problem

    run = report()
    run.warnings = [
        Problem("c.yaml", 12, 10, "source b url `http://e.org/a report.pdf`: remove the space",
                warning=True, excerpt="    url: http://e.org/a report.pdf"),
        Problem("c.yaml", 14, 25, "source c title stops before `#2`", warning=True,
                excerpt="    title: Annual report #2")]
    out = io.StringIO()
    Format(form).renderer().render(run, decide(run), out)
    text = out.getvalue()
    assert "\\n" not in text and "title: Annual report #2" not in text
    assert 'href="http://e.org/a"' not in text and "<http://e.org/a>" not in text
    if form == "terminal":
        assert ("  c.yaml:12:10: warning: source b url `http://e.org/a report.pdf`: remove the "
                "space\n") in text
    elif form == "markdown":
        assert ("- c.yaml:12:10: warning: source b url `http://e.org/a report.pdf`: remove the "
                "space\n- c.yaml:14:25: warning: source c title stops before `#2`\n") in text
    else:
        assert ("<li>c.yaml:12:10: warning: source b url <code>http://e.org/a report.pdf</code>: "
                "remove the space</li>") in text


@pytest.mark.parametrize("form", ["terminal", "markdown", "html", "github"])
def test_a_dead_url_with_a_copying_mistake_is_told_to_correct_it(form: str) -> None:
    """`url: https://e.org/report.pdf.` (the sentence's full stop copied with it) is dead
    as written. The action said "no usable archived copy was found …: find where the
    evidence went, or replace the source", sending the user hunting for evidence that is
    where it was; now it names the mistake and the line to correct."""
    run = report()
    dead = run.results[2]
    assert dead.cited is not None
    cited = dataclasses.replace(dead.cited, url="https://e.org/report.pdf.")
    run.results[2] = dataclasses.replace(dead, cited=cited)
    out = io.StringIO()
    Format(form).renderer().render(run, decide(run), out)
    text = out.getvalue()
    if form == "html":
        text = re.sub(r"<[^>]+>", "", text)  # as a browser shows it
    assert "find where the evidence went" not in text
    assert re.search(r"dead; the URL as written looks damaged: remove the trailing full stop: "
                     r".{1,3}https://e.org/report.pdf.{1,3} was probably meant. Correct it on "
                     r"line 10 of c.yaml, then check again", text), text


def test_junit_counts_links_not_checked_for_want_of_a_network_as_skipped() -> None:
    """With no network JUnit reported every link as a passed test (`tests="3"
    failures="0" skipped="1"`): a CI test reporter showed all green for a run that checked
    nothing. They are skipped, with the reason."""
    from refcheck.verdict import no_network

    run = report()
    verdict = no_network("https://www.gov.uk/")
    run.results[1:] = [dataclasses.replace(r, status=verdict.status, detail=verdict.detail,
                                           http_status=None, final_url=None, redirects=())
                       for r in run.results[1:]]
    run.network_unreachable = True
    out = io.StringIO()
    Format.junit.renderer().render(run, decide(run), out)
    text = out.getvalue()
    assert '<testsuites name="refcheck" tests="3" failures="0" skipped="3">' in text
    assert text.count('<skipped message="not checked: no network connection') == 2


def test_markdown_says_what_its_exit_code_means() -> None:
    """The job summary ended "Exit code 130." or "Exit code 3.", which tells an impact
    officer reading it nothing; and "1 link(s)"."""
    run = report()
    assert markdown_of(run).endswith(
        "Exit code 1: 1 link in the fail-on set (dead, drifted, invalid, soft-404).\n")
    run.interrupted = True
    assert markdown_of(run).endswith(
        "Exit code 130: interrupted (Ctrl-C): the report is partial.\n")
    run.results[2:] = []
    run.interrupted = False
    assert markdown_of(run).endswith("Exit code 0: nothing fails the check.\n")


def markdown_of(run: RunReport) -> str:
    out = io.StringIO()
    Format.markdown.renderer().render(run, decide(run), out)
    return out.getvalue()


@pytest.mark.parametrize("form", ["terminal", "markdown", "html"])
def test_every_report_counts_the_sources_its_action_list_is_of(form: str) -> None:
    """Markdown and HTML counted only links ("3 links: 1 ok, 1 moved, 1 dead") above an
    action list and a filter of sources, so a source with a dead copy and a live one made
    the counts disagree with no word of why. They now count the sources too, as the
    terminal does, and say why the two differ."""
    run = report()
    dead = run.results[2]
    assert dead.cited is not None
    copy = CitedUrl("https://e.org/copy.pdf", Position("c.yaml", 11, 10))
    source = dataclasses.replace(dead.source, urls=(dead.cited, copy))
    run.results[2] = dataclasses.replace(dead, source=source)
    run.results.append(dataclasses.replace(dead, source=source, cited=copy, status=Status.OK,
                                           detail="200 OK", http_status=200))
    out = io.StringIO()
    Format(form).renderer().render(run, decide(run), out)
    text = out.getvalue()
    assert "4 links in 1 case file: 1 ok, 1 moved, 1 dead, 1 no-url" in text
    assert "3 sources: 1 ok, 1 moved, 1 no-url" in text
    assert ("a source with several URLs takes the best of them, so the counts of sources and "
            "of links differ") in text


def test_the_terminal_says_how_many_links_fail_the_run_and_the_exit_code() -> None:
    """"✗ 1 link needs attention (dead)" stood under "What to do (2 of 3 sources)": two
    counts of "attention" that did not agree (a move needs attention, and does not fail
    the run). It now says which links fail the run, and the exit code that follows (none
    when the run was interrupted, whose code is 130)."""
    run = report()
    out = io.StringIO()
    Format.terminal.renderer().render(run, decide(run), out)
    assert "What to do (2 of 3 sources):" in out.getvalue()
    assert "✗ 1 link fails the run (dead), so the exit code is 1.\n" in out.getvalue()
    run.interrupted = True
    out = io.StringIO()
    Format.terminal.renderer().render(run, decide(run), out)
    assert "✗ 1 link fails the run (dead).\n" in out.getvalue()


def test_the_csv_of_an_interrupted_run_has_a_row_for_each_link_not_checked() -> None:
    """The CSV of a run stopped by Ctrl-C held the links checked and nothing else: in a
    spreadsheet, a partial run passed for the whole. Each link not checked is now a row,
    without a status, whose detail says so."""
    import csv

    run = report()
    del run.results[1]  # the council page was still being fetched
    run.interrupted = True
    out = io.StringIO()
    Format.csv.renderer().render(run, decide(run), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert len(rows) == 3
    left = rows[-1]
    assert (left["source"], left["title"], left["url"], left["line"], left["status"]) == (
        "b", "Council page", "http://council.example.gov.uk/think-family", "11", "")
    assert left["detail"] == ("not checked: the run was stopped before this link was "
                              "checked; run refcheck again")


@pytest.mark.parametrize(("detail", "href"), [
    ("see https://en.wikipedia.org/wiki/Salford_(city) for the place",
     "https://en.wikipedia.org/wiki/Salford_(city)"),
    ("moved (to https://e.org/new]); cite it", "https://e.org/new"),
])
def test_terminal_links_end_where_the_url_ends(detail: str, href: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """In a terminal a URL in a detail is a link you can click; it stopped before a
    bracket of the URL's own (…/Salford_(city), clicked, opened …/Salford_(city), a
    404), unlike the Markdown and HTML links. It ends where they end."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    run = report()
    run.results[2] = dataclasses.replace(run.results[2], detail=detail)
    out = Tty()
    Format.terminal.renderer(color=True).render(run, decide(run), out)
    targets = re.findall(r"\x1b]8;[^;]*;([^\x1b]*)\x1b", out.getvalue())
    assert href in targets


def test_an_invalid_url_is_told_how_to_correct_it() -> None:
    """"invalid; correct the URL on line 10 of c.yaml", and not how."""
    run = report()
    dead = run.results[2]
    assert dead.cited is not None
    cited = dataclasses.replace(dead.cited, url="https://e.org/annual report.pdf")
    run.results[2] = dataclasses.replace(dead, cited=cited, status=Status.INVALID,
                                         http_status=None)
    out = io.StringIO()
    Format.terminal.renderer().render(run, decide(run), out)
    assert ("a - invalid; correct the URL on line 10 of c.yaml: remove the space (often damage "
            "from copying out of a PDF), or write %20 where the address really has one\n"
            ) in out.getvalue()


def test_github_says_no_network_once_not_on_every_link() -> None:
    """Without a network `--format github` wrote one warning per link, all alike ("not
    checked (no network); run refcheck again when connected"), 15 for one case file, and
    none said it as the job's error. It is said once, as an error, with the count."""
    from refcheck.verdict import no_network

    run = report()
    verdict = no_network("https://www.gov.uk/")
    run.results[1:] = [dataclasses.replace(r, status=verdict.status, detail=verdict.detail,
                                           http_status=None, final_url=None, redirects=())
                       for r in run.results[1:]]
    run.network_unreachable = True
    out = io.StringIO()
    Format.github.renderer().render(run, decide(run), out)
    assert out.getvalue() == (
        "::error title=refcheck::not checked: no network connection (nothing could be "
        "reached, not even https://www.gov.uk/); connect to the internet and run refcheck "
        "again (2 links not checked)\n")
