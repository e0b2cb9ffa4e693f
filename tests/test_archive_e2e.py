"""The archive fallback end to end: the CLI against fake UKGWA and Wayback servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Waits, write_case
from tests.fake_archives import CWDC
from tests.server import EvidenceServer


def check(run_cli: Any, tmp_path: Path, server: EvidenceServer, paths: list[str],
          *args: str, date: str | None = "2013-11-29") -> dict[str, dict[str, Any]]:
    sources = [{"id": f"s{i}", "title": f"Evidence {p}",
                "url": p if p.startswith("http") else server.url(p)}
               for i, p in enumerate(paths)]
    case = write_case(tmp_path, sources, date=date)
    run = run_cli(str(case), "--format", "json", *args)
    report = json.loads(run.stdout)
    return {link["url"].replace(server.base, ""): link for link in report["links"]}


def test_found_in_ukgwa_nearest_the_case_date(run_cli: Any, tmp_path: Path,
                                              server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/in-ukgwa"])["/lost/in-ukgwa"]
    assert link["status"] == "dead" and link["evidence"] == "archived"
    assert link["archive"] == {
        "service": "ukgwa",
        "url": server.url(f"/ukgwa/20131101093000/{server.url('/lost/in-ukgwa')}"),
        "captured": "2013-11-01T09:30:00+00:00",
        "original": server.url("/lost/in-ukgwa"),
    }
    assert link["lookups"] == [{"service": "ukgwa", "outcome": "found", "detail": None}]


def test_as_of_overrides_the_case_date(run_cli: Any, tmp_path: Path,
                                       server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/in-ukgwa"], "--as-of", "2016-06-01")
    assert link["/lost/in-ukgwa"]["archive"]["captured"].startswith("2016-01-01")


def test_without_a_date_the_newest_capture_is_chosen(run_cli: Any, tmp_path: Path,
                                                     server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/in-ukgwa"], date=None)
    assert link["/lost/in-ukgwa"]["archive"]["captured"].startswith("2016-01-01")


def test_bad_nearest_capture_is_skipped_for_the_next(run_cli: Any, tmp_path: Path,
                                                     server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/ukgwa-first-capture-bad"])
    assert link["/lost/ukgwa-first-capture-bad"]["archive"]["captured"].startswith("2012-01-01")


def test_only_in_wayback(run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/only-wayback"])["/lost/only-wayback"]
    assert link["evidence"] == "archived"
    assert link["archive"]["service"] == "wayback"
    assert link["archive"]["captured"] == "2012-05-05T10:10:10+00:00"  # not the 2018 one
    assert [(x["service"], x["outcome"]) for x in link["lookups"]] == [
        ("ukgwa", "not archived"), ("wayback", "found")]


def test_wayback_capture_outside_the_window_comes_from_the_timemap(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/wayback-old"])["/lost/wayback-old"]
    assert link["archive"]["captured"].startswith("2005-01-01")
    assert link["archive"]["url"].endswith(f"/web/20050101000000/{server.url('/lost/wayback-old')}")


def test_only_capture_is_a_404_page_so_the_evidence_is_lost(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/only-404-capture"])["/lost/only-404-capture"]
    assert link["archive"] is None
    assert link["evidence"] == "lost"
    assert "404" in link["lookups"][1]["detail"]


def test_never_archived_is_lost_with_the_ukgwa_listing(run_cli: Any, tmp_path: Path,
                                                       server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/never"])["/lost/never"]
    assert link["evidence"] == "lost"
    assert [x["outcome"] for x in link["lookups"]] == ["not archived", "not archived"]
    assert link["listing"] == server.url(f"/ukgwa/*/{server.url('/lost/never')}")


def test_ukgwa_503_is_a_failed_lookup_not_a_loss(run_cli: Any, tmp_path: Path,
                                                 server: EvidenceServer) -> None:
    links = check(run_cli, tmp_path, server, ["/lost/ukgwa-503", "/lost/ukgwa-503-nowhere"])
    found = links["/lost/ukgwa-503"]
    assert found["evidence"] == "archived" and found["archive"]["service"] == "wayback"
    assert found["lookups"][0]["outcome"] == "failed"
    assert "503 Service Unavailable" in found["lookups"][0]["detail"]
    nowhere = links["/lost/ukgwa-503-nowhere"]
    assert nowhere["evidence"] == "unknown"  # never "lost" when an archive could not answer


def test_ukgwa_captcha_is_reported_and_not_fought(run_cli: Any, tmp_path: Path,
                                                  server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/ukgwa-captcha"])["/lost/ukgwa-captcha"]
    assert link["evidence"] == "unknown"
    assert link["lookups"][0]["outcome"] == "failed"
    assert "CAPTCHA" in link["lookups"][0]["detail"]
    asked = [p for p in server.seen if p.startswith("/ukgwa/") and "captcha" in p]
    assert len(asked) == 1  # asked once, never retried against the CAPTCHA


def test_wayback_429_waits_retry_after_then_asks_again(run_cli: Any, tmp_path: Path,
                                                       server: EvidenceServer,
                                                       waits: Waits) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/wayback-429"])["/lost/wayback-429"]
    assert link["archive"]["service"] == "wayback"
    assert 9.0 in waits.asked
    assert server.archives.calls["cdx /lost/wayback-429"] == 2


def test_an_archive_that_asks_for_an_hour_is_not_waited_for(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """Past the cap on waits after a 429 (10 minutes), the lookup is reported as failed at
    once: the run does not sit an hour, and the link is not called lost."""
    path = "/lost/wayback-429-for-an-hour"
    link = check(run_cli, tmp_path, server, [path])[path]
    wayback = next(x for x in link["lookups"] if x["service"] == "wayback")
    assert wayback["outcome"] == "failed" and "rate-limiting" in wayback["detail"]
    assert link["evidence"] == "unknown"
    assert all(wait < 600 for wait in waits.asked)


def test_archived_citations_in_current_and_pre_2021_ukgwa_forms(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    current = server.url(f"/ukgwa/20120119192332/{CWDC}")
    legacy = server.url(f"/20120119192332/{CWDC}")
    wayback = server.url(f"/wayback/web/20120505101010/{server.url('/lost/only-wayback')}")
    links = check(run_cli, tmp_path, server, [current, legacy, wayback])
    for url in (current, legacy, wayback):
        link = links[url.replace(server.base, "")]
        assert link["status"] == "ok", link
        assert link["evidence"] == "archived"
        assert link["lookups"] == []
    cur = links[current.replace(server.base, "")]
    assert cur["archive"]["original"] == CWDC
    assert cur["archive"]["captured"] == "2012-01-19T19:23:32+00:00"
    assert "pre-2021" not in cur["detail"]
    old = links[legacy.replace(server.base, "")]
    assert f"this is a pre-2021 address: cite {current}" in old["detail"]


def test_web_continuity_redirect_is_preserved_not_moved(run_cli: Any, tmp_path: Path,
                                                        server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/moved-to-archive"])["/moved-to-archive"]
    assert link["status"] == "archived"
    assert link["evidence"] == "archived"
    assert link["archive"]["original"] == CWDC
    assert "the live page is gone" in link["detail"]


def test_web_continuity_is_archived_only_when_the_capture_it_leads_to_is_the_page(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """TNA's web continuity sends a closed body's dead address into UKGWA, at a capture or
    at the latest (``/ukgwa/+/``): pywb's top frame there is a 200 with Memento-Datetime
    whatever the capture is, so a capture of a 404 or of an error page served 200 was
    offered as the copy to cite. The capture itself is judged now: the link is then
    ``dead`` or ``soft-404``, and the archives are asked for a copy that is the page."""
    for prefix in ("/continuity", "/continuity-latest"):
        links = check(run_cli, tmp_path, server,
                      [f"{prefix}/good", f"{prefix}/gone", f"{prefix}/soft"])
        good, gone, soft = (links[f"{prefix}/{kind}"] for kind in ("good", "gone", "soft"))
        leads = ("the live page is gone; its address now leads to the UK Government Web "
                 "Archive's capture of 1 March 2013")
        capture = server.url(f"/ukgwa/20130301000000/{server.url(f'{prefix}/good')}")
        assert good["status"] == "archived" and good["evidence"] == "archived"
        assert good["detail"] == f"{leads}: cite {capture}"
        assert good["archive"]["url"] == capture
        assert gone["status"] == "dead", prefix
        assert gone["detail"] == (f"{leads}, but the capture is itself a 404 Not Found page, "
                                  "not the evidence")
        # The fallback found an older capture that is the page: that is the copy to cite.
        assert gone["evidence"] == "archived"
        assert gone["archive"]["url"] == server.url(
            f"/ukgwa/20120601000000/{server.url(f'{prefix}/gone')}")
        assert soft["status"] == "soft-404", prefix
        assert soft["detail"].startswith(f"{leads}, but the capture is not the evidence")
        assert "Page not found" in soft["detail"]
        assert soft["evidence"] == "lost" and soft["archive"] is None
        assert "mp_" not in json.dumps(links)


def test_web_continuity_into_a_capture_of_an_error_page_is_caught_without_the_fallback(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/continuity/gone"], "--no-archive")[
        "/continuity/gone"]
    assert link["status"] == "dead" and link["archive"] is None
    assert "the capture is itself a 404 Not Found page" in link["detail"]


def test_no_archive_turns_the_fallback_off(run_cli: Any, tmp_path: Path,
                                           server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/in-ukgwa"], "--no-archive")
    assert link["/lost/in-ukgwa"]["lookups"] == []
    assert not [p for p in server.seen if p.startswith(("/ukgwa", "/wayback"))]


def test_archive_option_chooses_and_orders(run_cli: Any, tmp_path: Path,
                                           server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/ukgwa-503"], "--archive", "wayback")
    assert [x["service"] for x in link["/lost/ukgwa-503"]["lookups"]] == ["wayback"]
    # Wayback first: it has nothing, so UKGWA is asked second and has the copy.
    link = check(run_cli, tmp_path, server, ["/lost/in-ukgwa"], "--archive", "wayback,ukgwa")
    assert [x["service"] for x in link["/lost/in-ukgwa"]["lookups"]] == ["wayback", "ukgwa"]
    bad = run_cli("cases/salford.yaml", "--archive", "ukgwa,bl")
    assert bad.exit_code == 2 and "unknown archive `bl`" in bad.stderr


def test_live_pages_are_not_looked_up(run_cli: Any, tmp_path: Path,
                                      server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/page"])["/page"]
    assert link["evidence"] == "live" and link["lookups"] == []
    assert not [p for p in server.seen if p.startswith(("/ukgwa", "/wayback"))]


def test_terminal_report_shows_copies_and_evidence_summary(run_cli: Any, tmp_path: Path,
                                                           server: EvidenceServer) -> None:
    case = write_case(tmp_path, [
        {"id": "a", "title": "In UKGWA", "url": server.url("/lost/in-ukgwa")},
        {"id": "b", "title": "Nowhere", "url": server.url("/lost/never")},
        {"id": "c", "title": "Live", "url": server.url("/page")},
        {"id": "d", "title": "Archive down", "url": server.url("/lost/ukgwa-503-nowhere")},
        {"id": "e", "title": "A 404 kept", "url": server.url("/lost/only-404-capture")},
    ])
    out = run_cli(str(case)).stdout
    assert (f"↳ archived copy in UKGWA: {server.url('/ukgwa/20131101093000/')}"
            f"{server.url('/lost/in-ukgwa')} (captured 1 November 2013, 28 days before the "
            "case date)") in out
    assert "↳ no archived copy in UKGWA or the Wayback Machine" in out
    assert "↳ the Wayback Machine: the capture tried is not usable: the capture is itself " \
           "a 404 Not Found page" in out  # why: it has a capture, of the 404 page
    assert f"↳ look for yourself: {server.url('/ukgwa/*/')}{server.url('/lost/never')}" in out
    assert "↳ could not ask UKGWA: UKGWA answered 503 Service Unavailable" in out
    assert "Evidence: 1 live, 1 only in an archive, 2 lost, 1 undetermined" in out


@pytest.mark.parametrize("source", ["option", "env", "config"])
def test_archive_base_urls_from_option_env_and_config(
        source: str, run_cli: Any, tmp_path: Path, server: EvidenceServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The usual fakes are moved out of the way; only the chosen setting points at them.
    monkeypatch.setenv("REFCHECK_UKGWA_URL", "http://nowhere.invalid/ukgwa")
    args: list[str] = []
    if source == "option":
        args = ["--ukgwa-url", server.url("/ukgwa")]
    elif source == "env":
        monkeypatch.setenv("REFCHECK_UKGWA_URL", server.url("/ukgwa"))
    else:
        monkeypatch.delenv("REFCHECK_UKGWA_URL")
        config = tmp_path / "refcheck.toml"
        config.write_text(f'[archives]\nukgwa_url = "{server.url("/ukgwa")}"\n')
        args = ["--config", str(config)]
    link = check(run_cli, tmp_path, server, ["/lost/in-ukgwa"], *args)["/lost/in-ukgwa"]
    assert link["archive"]["service"] == "ukgwa"


def test_bad_config_file_is_a_usage_error(run_cli: Any, tmp_path: Path) -> None:
    config = tmp_path / "refcheck.toml"
    config.write_text("[archives]\nwayback_per_minute = 24\n")
    run = run_cli("cases/salford.yaml", "--config", str(config))
    assert run.exit_code == 2 and "unknown setting archives.wayback_per_minute" in run.stderr


def test_source_with_a_dead_and_a_live_url_does_not_fail(run_cli: Any, tmp_path: Path,
                                                          server: EvidenceServer) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "Two copies",
                                  "urls": [server.url("/lost/never"), server.url("/page")]}])
    run = run_cli(str(case), "--format", "json")
    links = json.loads(run.stdout)["links"]
    assert [link["status"] for link in links] == ["dead", "ok"]
    assert {link["source_status"] for link in links} == {"ok"}
    assert run.exit_code == 0
    text = run_cli(str(case)).stdout
    assert "✓ ok (the best of its 2 URLs)" in text


def test_an_archive_answering_5xx_is_asked_again_by_the_one_retry_policy(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """An archive's 503 is transient trouble like a site's: asked again after a backoff
    (it used to be given up at once), then reported as a failed lookup, never 'lost'."""
    link = check(run_cli, tmp_path, server, ["/lost/ukgwa-503-nowhere"])[
        "/lost/ukgwa-503-nowhere"]
    asked = [p for p in server.seen if p.startswith("/ukgwa/timemap/")]
    assert len(asked) == 3  # the first try and two more
    assert link["lookups"][0]["outcome"] == "failed" and "503" in link["lookups"][0]["detail"]
    assert link["evidence"] == "unknown"


def test_a_bare_host_with_a_query_is_asked_for_with_its_slash_before_the_query(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """``http://host?page_id=12`` is ``http://host/?page_id=12`` to an archive: the slash
    goes before the query (it was put after it, ``…?page_id=12/``, an address no archive
    holds, and the evidence was called lost)."""
    url = "http://lapsed-charity.invalid?page_id=12"
    link = check(run_cli, tmp_path, server, [url])[url]
    assert link["evidence"] == "archived", link["lookups"]
    assert link["archive"]["original"] == "http://lapsed-charity.invalid/?page_id=12"
    assert link["listing"] == server.url(
        "/ukgwa/*/http://lapsed-charity.invalid/?page_id=12")


def test_a_timemap_in_pages_is_read_to_the_page_nearest_the_date(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """UKGWA's first TimeMap page lists 2008 and 2010; it links (rel="next", RFC 7089 4.3)
    to a page covering 2013. The capture nearest the case date, 20 November 2013, is on
    that page: it used to be missed, and the 2010 capture offered, three years off."""
    path = "/lost/ukgwa-paged"
    link = check(run_cli, tmp_path, server, [path])[path]
    assert link["archive"]["service"] == "ukgwa"
    assert link["archive"]["captured"] == "2013-11-20T00:00:00+00:00"
    # Without a date the newest is wanted, and it is on the last page too.
    link = check(run_cli, tmp_path, server, [path], date=None)[path]
    assert link["archive"]["captured"] == "2013-11-20T00:00:00+00:00"
    # With a date on the first page, the second is not asked for.
    server.reset_counts()
    link = check(run_cli, tmp_path, server, [path], date="2008-02-01")[path]
    assert link["archive"]["captured"] == "2008-01-01T00:00:00+00:00"
    with server.lock:
        assert not [p for p in server.seen if p.startswith("/ukgwa/timemap/page")]


def test_the_advice_for_a_failed_lookup_is_to_ask_again_later(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """UKGWA answered 503 and the Wayback Machine has nothing: no copy was found, but the
    archive that failed may have one. The advice used to be only "find where the evidence
    went", as if the archives had been asked; it now says which could not say, and to look
    in its listing or run again later."""
    case = write_case(tmp_path, [{"id": "a", "title": "Evidence",
                                  "url": server.url("/lost/ukgwa-503-nowhere")}])
    text = " ".join(run_cli(str(case)).stdout.split())
    listing = server.url(f"/ukgwa/*/{server.url('/lost/ukgwa-503-nowhere')}")
    assert ("a - dead; UKGWA could not say whether it holds an archived copy: look for "
            f"yourself: {listing}, or run refcheck again later; else find where the evidence "
            "went") in text


def test_a_page_captured_more_often_than_one_cdx_answer_holds_gets_its_nearest_capture(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """Captured every three hours: the CDX's 5,000 rows from the window's start end in
    2013-08, months before the case date. The capture of the date itself was missed, and
    one of August offered; the rows either side of the date are now asked for too."""
    path = "/lost/wayback-dense"
    link = check(run_cli, tmp_path, server, [path])[path]
    assert link["archive"]["service"] == "wayback"
    assert link["archive"]["captured"] == "2013-11-29T12:00:00+00:00"  # the date, at noon


def test_a_cited_list_of_captures_is_checked_for_the_capture_to_cite(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """``…/web/*/{url}`` and ``…/ukgwa/*/{url}`` are the archives' lists of captures: the
    list page answers 200 whether or not any capture is the page, and it used to be ``ok``
    with the evidence "live". Now the archives are asked which capture to cite: one found
    is offered; none usable (a list of a 404 page's capture only) is ``soft-404``, lost."""
    good = server.url(f"/wayback/web/*/{server.url('/lost/in-ukgwa')}")
    bad = server.url(f"/ukgwa/*/{server.url('/lost/only-404-capture')}")
    links = check(run_cli, tmp_path, server, [good, bad])
    found = links[good.replace(server.base, "")]
    assert found["status"] == "ok" and found["evidence"] == "archived"
    assert found["archive"]["captured"] == "2013-11-01T09:30:00+00:00"
    assert found["detail"] == (f"a list of the captures of {server.url('/lost/in-ukgwa')}, not "
                               f"a capture; cite the capture of 1 November 2013: "
                               f"{found['archive']['url']}")
    calendar = server.url(f"/wayback/web/2013*/{server.url('/lost/in-ukgwa')}")
    listed = check(run_cli, tmp_path, server, [calendar])[calendar.replace(server.base, "")]
    assert listed["evidence"] == "archived" and listed["detail"] == found["detail"]
    none = links[bad.replace(server.base, "")]
    assert none["status"] == "soft-404" and none["evidence"] == "lost"
    assert none["detail"].startswith(
        f"a list of the captures of {server.url('/lost/only-404-capture')}, not a capture, and "
        "the archives asked have no usable capture of it (")
