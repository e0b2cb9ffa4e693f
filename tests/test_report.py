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
from refcheck.model import (
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


def test_terminal_table_has_colour_symbols_and_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    text = render(Tty(), color=True)
    assert "\x1b[" in text  # coloured
    for words in ("Source", "Title", "URL", "Status", "HTTP", "Detail", "✗ dead", "→ moved"):
        assert words in text
    assert "[bold]Primary Justice[/bold]" in text  # markup printed, not applied
    assert "\\x1b[2J" in text and "\x1b[2J" not in text
    assert "pw@" not in text and "token=t" not in text


def test_no_color_in_a_terminal_keeps_the_table_without_escape_codes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    text = render(Tty())
    assert "Status" in text and "✗ dead" in text
    assert not re.search(r"\x1b\[[0-9;]*(3|9)[0-7]m", text)  # no foreground colour at all


def test_plain_output_lists_sources_in_case_file_order() -> None:
    text = render(io.StringIO())
    assert "\x1b" not in text
    assert text.index("a  [bold]Primary Justice") < text.index("b  Council page") \
        < text.index("c  Letter")
    assert "  ✗ dead 404  https://****:****@e.org/r.pdf?token=****" in text


def test_progress_bar_only_when_stderr_is_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    fake = Tty()
    monkeypatch.setattr("sys.stderr", fake)
    result = report().results[0]
    with cli._progress(2) as advance:
        advance(result)
        advance(result)
    assert "checking" in fake.getvalue()
    quiet = io.StringIO()
    monkeypatch.setattr("sys.stderr", quiet)
    with cli._progress(2) as advance:
        advance(result)
    assert quiet.getvalue() == ""


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


def test_json_links_encoded_as_they_finish_are_not_encoded_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI hands each finished link to the renderer while the run goes on; the report
    is the same as one written all at the end, and only a link whose result was replaced
    since (an archive copy found later) is encoded again."""
    from refcheck.report import json as json_report

    run = report()
    at_the_end = io.StringIO()
    Format.json.renderer().render(run, decide(run), at_the_end)

    early = Format.json.renderer()
    for result in run.results:
        early.prepare(result)
    encoded: list[str] = []
    halves = json_report._link_halves

    def counted(result: LinkResult, stamp: Any) -> tuple[str, str]:
        encoded.append(result.source.id)
        return halves(result, stamp)

    monkeypatch.setattr(json_report, "_link_halves", counted)
    out = io.StringIO()
    early.render(run, decide(run), out)
    assert out.getvalue() == at_the_end.getvalue() and encoded == []

    run.results[2] = dataclasses.replace(run.results[2], detail="404 Not Found (replaced)")
    out = io.StringIO()
    early.render(run, decide(run), out)
    assert encoded == ["a"]
    assert json.loads(out.getvalue())["links"][0]["detail"] == "404 Not Found (replaced)"
