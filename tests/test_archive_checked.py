"""Archive copies are checked, not trusted: a Wayback CDX 200 row or a TimeMap entry is a
candidate until its capture is fetched and judged as a live page would be; a replay that
redirects to another timestamp is followed and the capture a person lands on is reported,
with its real date; the CDX reader takes JSON however it is laid out."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from refcheck.archive.memento import parse_cdx_rows
from tests.conftest import Waits, write_case
from tests.server import EvidenceServer
from tests.test_archive_e2e import check


def test_a_wayback_capture_that_is_an_error_page_is_skipped_for_the_next(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """The CDX lists it as a 200; the capture is nginx's "404 Not Found" served 200."""
    link = check(run_cli, tmp_path, server, ["/lost/wayback-soft-first"])[
        "/lost/wayback-soft-first"]
    assert link["evidence"] == "archived"
    assert link["archive"]["service"] == "wayback"
    assert link["archive"]["captured"] == "2013-06-01T00:00:00+00:00"  # not 20 November


def test_a_wayback_capture_of_a_parked_domain_is_skipped(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/wayback-parked-first"])[
        "/lost/wayback-parked-first"]
    assert link["archive"]["captured"] == "2012-10-01T00:00:00+00:00"


def test_at_most_three_captures_are_tried_so_a_good_fourth_is_not_reached(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/wayback-three-bad"])[
        "/lost/wayback-three-bad"]
    assert link["archive"] is None and link["evidence"] == "lost"
    wayback = link["lookups"][1]
    assert wayback["outcome"] == "not archived"
    assert "none of the 3 captures tried is usable" in wayback["detail"]


def test_a_wayback_replay_that_redirects_reports_the_capture_landed_on(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """The CDX row says 1 November; its replay redirects to the capture of 15 October,
    which is what a person opening the link sees."""
    original = server.url("/lost/wayback-redirects")
    link = check(run_cli, tmp_path, server, ["/lost/wayback-redirects"])[
        "/lost/wayback-redirects"]
    assert link["archive"]["captured"] == "2013-10-15T09:30:00+00:00"
    assert link["archive"]["url"] == server.url(f"/wayback/web/20131015093000/{original}")


def test_a_ukgwa_replay_that_redirects_reports_the_capture_landed_on(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    original = server.url("/lost/ukgwa-redirects")
    link = check(run_cli, tmp_path, server, ["/lost/ukgwa-redirects"])[
        "/lost/ukgwa-redirects"]
    assert link["archive"]["service"] == "ukgwa"
    assert link["archive"]["captured"] == "2013-10-20T00:00:00+00:00"
    assert link["archive"]["url"] == server.url(f"/ukgwa/20131020000000/{original}")


def test_a_ukgwa_capture_of_a_drupal_error_page_is_skipped(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/ukgwa-soft-first"])[
        "/lost/ukgwa-soft-first"]
    assert link["archive"]["service"] == "ukgwa"
    assert link["archive"]["captured"] == "2013-03-01T00:00:00+00:00"


def test_a_cdx_answer_all_on_one_line_is_read(run_cli: Any, tmp_path: Path,
                                              server: EvidenceServer) -> None:
    link = check(run_cli, tmp_path, server, ["/lost/cdx-one-line"])["/lost/cdx-one-line"]
    assert link["archive"]["captured"] == "2013-11-11T00:00:00+00:00"


def test_a_cited_capture_of_an_error_page_is_not_evidence(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    capture = f"/wayback/web/20131120000000/{server.url('/lost/wayback-soft-first')}"
    (link,) = check(run_cli, tmp_path, server, [capture]).values()
    assert link["status"] == "soft-404"
    assert "404 Not Found" in link["detail"]


def test_cdx_rows_are_read_however_the_json_is_laid_out() -> None:
    rows = [["timestamp", "original", "statuscode"], ["20130101000000", "http://a/", "200"],
            ["20140101000000", "http://a/", "200"]]
    one_line = '[["timestamp","original","statuscode"],["20130101000000","http://a/","200"],' \
               '["20140101000000","http://a/","200"]]'
    pretty = "[\n  [\n    \"timestamp\",\n    \"original\",\n    \"statuscode\"\n  ],\n" + \
             ",\n".join(f'  ["{r[0]}", "{r[1]}", "{r[2]}"]' for r in rows[1:]) + "\n]\n"
    per_line = "[" + ",\n".join(str(r).replace("'", '"') for r in rows) + "]"
    expected = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    for text in (one_line, pretty, per_line):
        assert list(parse_cdx_rows(text)) == expected
    # Cut off in the middle of a row: the complete rows are kept.
    assert list(parse_cdx_rows(one_line[:-30])) == expected[:1]
    # pywb's objects, one a line, with a line that is not JSON between them.
    assert [r["timestamp"] for r in parse_cdx_rows(
        '{"timestamp": "1"}\nnot json\n{"timestamp": "2"}\n')] == ["1", "2"]
    assert list(parse_cdx_rows("[]")) == [] and list(parse_cdx_rows("")) == []


def test_without_a_date_a_lapsed_domain_s_parked_captures_do_not_hide_its_good_ones(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """The newest captures of a lapsed domain are its parked page, year after year: the
    search goes back in time past them to a capture of the page (it used to try the three
    newest, all parked, and call the evidence lost)."""
    for path, service in (("/lost/wayback-lapsed", "wayback"), ("/lost/ukgwa-lapsed", "ukgwa")):
        link = check(run_cli, tmp_path, server, [path], date=None)[path]
        assert link["evidence"] == "archived", link["lookups"]
        assert link["archive"]["service"] == service
        assert link["archive"]["captured"] == "2014-06-01T00:00:00+00:00"


def test_a_date_after_the_domain_lapsed_searches_back_past_the_wayback_window(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """Every capture within two years of the date is parked: the TimeMap lists the older
    ones, and a capture of the page is found among them."""
    path = "/lost/wayback-lapsed"
    link = check(run_cli, tmp_path, server, [path], date="2021-03-01")[path]
    assert link["evidence"] == "archived", link["lookups"]
    assert link["archive"]["captured"] == "2014-06-01T00:00:00+00:00"
    asked = [p for p in server.seen if p.startswith("/wayback/web/") and "lapsed" in p]
    assert len(asked) == 3 + 1  # three captures at most, and the TimeMap


def test_a_quote_is_looked_for_in_the_capture_not_in_the_archive_s_banner_frame(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """UKGWA's capture address, as a person opens it, is pywb's banner with the capture in
    an iframe: the quote is read from the capture itself (``mp_``). Read from the banner
    page, it was never there, and the capture was said to lack it too."""
    case = write_case(tmp_path, [{
        "id": "a", "title": "Family intervention", "url": server.url("/drifted-page"),
        "quote": "Family intervention workers are dedicated to the families"}])
    link = json.loads(run_cli(str(case), "--format", "json").stdout)["links"][0]
    assert link["status"] == "drifted" and link["archive"]["service"] == "ukgwa"
    assert "the quote is in the capture of 1 October 2013" in link["detail"]
    assert link["evidence"] == "archived"


def test_the_capture_a_quote_is_looked_for_in_is_fetched_under_the_archives_budget(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """Reading a capture for a quote is one more request to the archive, and keeps to its
    budget as the lookup's own requests do: with UKGWA allowed one request a minute, every
    request after the first waited its minute."""
    case = write_case(tmp_path, [{
        "id": "a", "title": "Family intervention", "url": server.url("/drifted-page"),
        "quote": "Family intervention workers are dedicated to the families"}])
    config = tmp_path / "refcheck.toml"
    config.write_text('[archives]\norder = ["ukgwa"]\nukgwa_requests_per_second = 0.0166667\n')
    server.reset_counts()
    link = json.loads(run_cli(str(case), "--format", "json", "--config", str(config)
                              ).stdout)["links"][0]
    assert "the quote is in the capture of 1 October 2013" in link["detail"]
    with server.lock:
        asked = [p for p in server.seen if p.startswith("/ukgwa/")]
    assert len(asked) == 2  # the list of captures, the capture (proved and read at once)
    assert sum(1 for wait in waits.asked if wait > 59) >= len(asked) - 1, (asked, waits.asked)


def test_cited_ukgwa_captures_are_judged_from_the_capture_not_the_banner_frame(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """UKGWA's capture address, as a person opens it, is pywb's banner frame: a 200 with
    Memento-Datetime whatever the capture is. A capture of a 404 page or of an error page
    served 200 was reported ``ok``; it is now judged from the capture itself (``mp_``),
    and the report shows the address as cited, never the ``mp_`` one."""
    def cited(path: str, ts: str = "20130301000000") -> str:
        return f"/ukgwa/{ts}/{server.url(path)}"

    good = cited("/cited/ukgwa-good")
    paths = [cited("/cited/ukgwa-404"), cited("/cited/ukgwa-soft"), good,
             cited("/cited/ukgwa-good", "20130201000000")]
    dead, soft, ok, near = check(run_cli, tmp_path, server, paths).values()
    assert [link["url"] for link in (dead, soft, ok, near)] == [server.url(p) for p in paths]
    assert dead["status"] == "dead"
    assert dead["detail"] == ("the UK Government Web Archive has a capture at this address, "
                              "but the capture is itself a 404 Not Found page, not the "
                              "evidence")
    assert soft["status"] == "soft-404"
    assert soft["detail"].startswith("the UK Government Web Archive has a capture at this "
                                     "address, but the capture is not the evidence")
    assert "Page not found" in soft["detail"]
    for link in (dead, soft):  # the archives were asked for another copy: none is good
        assert link["evidence"] == "lost" and link["archive"] is None
    assert ok["status"] == "ok" and ok["evidence"] == "archived"
    assert ok["detail"] == (f"a capture of {server.url('/cited/ukgwa-good')} in the UK "
                            "Government Web Archive, taken 1 March 2013")
    assert ok["archive"]["url"] == server.url(good)
    # A timestamp that is not a capture's: pywb's redirect to the exact one is followed.
    assert near["status"] == "ok" and near["archive"]["url"] == server.url(good)
    assert near["final_url"] == server.url(good)
    assert near["archive"]["captured"] == "2013-03-01T00:00:00+00:00"
    assert "mp_" not in json.dumps([dead, soft, ok, near])


def test_a_cited_pre_2021_ukgwa_address_is_judged_from_the_capture_it_leads_to(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    soft, good = (f"/20130301000000/{server.url(p)}"
                  for p in ("/cited/ukgwa-soft", "/cited/ukgwa-good"))
    links = check(run_cli, tmp_path, server, [soft, good])
    bad, old = links.values()
    assert bad["url"] == server.url(soft) and bad["status"] == "soft-404"
    assert "Page not found" in bad["detail"]
    current = server.url(f"/ukgwa/20130301000000/{server.url('/cited/ukgwa-good')}")
    assert old["url"] == server.url(good) and old["status"] == "ok"
    assert old["detail"].endswith(f"; this is a pre-2021 address: cite {current}")
    assert old["archive"]["url"] == current
    assert "mp_" not in json.dumps(links)


def test_a_cited_ukgwa_capture_of_a_404_is_caught_without_asking_the_archives(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """Checking a cited capture is a live check, whichever archives a run asks."""
    path = f"/ukgwa/20130301000000/{server.url('/cited/ukgwa-404')}"
    for args in (["--no-archive"], ["--archive", "wayback"]):
        (link,) = check(run_cli, tmp_path, server, [path], *args).values()
        assert link["status"] == "dead", args
        assert "the capture is itself a 404 Not Found page" in link["detail"]


def test_a_cited_latest_ukgwa_capture_is_judged_from_the_capture_it_leads_to(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """``…/ukgwa/+/{url}`` (and the pre-2021 ``/+/{url}``) is sent to the top frame of the
    newest capture, a 200 with Memento-Datetime whatever the capture is: a newest capture
    of a 404 page or of an error page served 200 was reported ``ok``. The capture it leads
    to is now judged itself, and the archives are asked for a good copy."""
    def latest(path: str) -> str:
        return f"/ukgwa/+/{server.url(path)}"

    paths = [latest("/cited/ukgwa-latest-gone"), latest("/cited/ukgwa-soft"),
             latest("/cited/ukgwa-good"), f"/+/{server.url('/cited/ukgwa-404')}",
             f"/+/{server.url('/cited/ukgwa-good')}",
             "/ukgwa/+/http://closed-body.invalid/"]
    links = check(run_cli, tmp_path, server, paths)
    dead, soft, ok, old_dead, old_ok, home = links.values()
    assert dead["status"] == "dead"
    assert dead["detail"] == ("the UK Government Web Archive has a capture at this address "
                              "(its latest, taken 1 March 2013), but the capture is itself a "
                              "404 Not Found page, not the evidence")
    # The fallback found the older capture, which is the page.
    assert dead["evidence"] == "archived"
    assert dead["archive"]["url"] == server.url(
        f"/ukgwa/20120601000000/{server.url('/cited/ukgwa-latest-gone')}")
    assert soft["status"] == "soft-404" and soft["evidence"] == "lost"
    assert soft["detail"].startswith("the UK Government Web Archive has a capture at this "
                                     "address (its latest, taken 1 March 2013), but the "
                                     "capture is not the evidence")
    assert "Page not found" in soft["detail"]
    good = server.url(f"/ukgwa/20130301000000/{server.url('/cited/ukgwa-good')}")
    assert ok["status"] == "ok" and ok["evidence"] == "archived"
    assert ok["detail"] == (f"a capture of {server.url('/cited/ukgwa-good')} in the UK "
                            "Government Web Archive, taken 1 March 2013")
    assert ok["archive"]["url"] == good
    assert old_dead["status"] == "dead" and old_dead["evidence"] == "lost"
    assert "the capture is itself a 404 Not Found page" in old_dead["detail"]
    assert old_ok["status"] == "ok" and old_ok["archive"]["url"] == good
    assert old_ok["detail"].endswith("; this is a pre-2021 address: cite "
                                     + server.url(latest("/cited/ukgwa-good")))
    # A home page cited at its latest capture is the page, not "a redirect to the home page".
    assert home["status"] == "ok", home["detail"]
    assert "mp_" not in json.dumps(links)


def _reading(waits: Waits, **limits: int) -> Any:
    """The run's parts, with the Fetcher's read limits changed (``max_quote_bytes`` …)."""
    from tests.conftest import parts_with

    base = parts_with(waits)

    def make(settings: Any) -> Any:
        return base.make_fetcher(dataclasses.replace(settings, **limits))

    return dataclasses.replace(base, make_fetcher=make)


def _drifted_long_capture(tmp_path: Path, server: EvidenceServer) -> Path:
    return write_case(tmp_path, [{
        "id": "a", "title": "Springboard evaluation", "url": server.url("/drifted-long-capture"),
        "quote": "Family intervention workers are dedicated to the families"}])


def test_a_capture_longer_than_refcheck_reads_is_not_said_to_lack_the_quote(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """The capture holds the quote past the most refcheck reads (256 KiB here, 32 MiB by
    default): the part read lacks it, which says nothing of the rest. It used to say "the
    capture … lacks it too" and advise that the quote is not in the archived copy."""
    case = _drifted_long_capture(tmp_path, server)
    run = run_cli(str(case), "--format", "json", parts=_reading(waits, max_quote_bytes=256 * 1024))
    link = json.loads(run.stdout)["links"][0]
    assert link["status"] == "drifted" and link["archive"]["service"] == "ukgwa"
    assert "lacks it" not in link["detail"]
    assert ("the capture of 1 October 2013 is longer than the 256 KiB refcheck reads, so the "
            "quote was not checked in it: look for it in the capture, "
            f"{link['archive']['url']}") in link["detail"]
    assert link["evidence"] == "unknown"  # not shown to be in the copy, nor shown missing
    text = run_cli(str(case), parts=_reading(waits, max_quote_bytes=256 * 1024)).stdout
    assert "could not check the archived copy of 1 October 2013 for the quote" in text
    assert "the quote is not in the archived copy" not in text


def test_a_capture_found_for_a_quote_is_fetched_once_and_read_whole(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """The capture that proved itself is the one read for the quote: one request to the
    archive for it, not one to prove it and another to read it, and read to the quote's
    limit (past the usual 64 KiB here), so the quote at its end is found."""
    case = _drifted_long_capture(tmp_path, server)
    server.reset_counts()
    run = run_cli(str(case), "--format", "json", parts=_reading(waits, max_bytes=64 * 1024))
    link = json.loads(run.stdout)["links"][0]
    assert "the quote is in the capture of 1 October 2013" in link["detail"]
    assert link["evidence"] == "archived"
    with server.lock:
        captures = [p for p in server.seen if p.startswith("/ukgwa/20131001000000")]
    assert len(captures) == 1, captures


def test_a_timemap_longer_than_the_usual_read_is_read_to_its_newest_captures(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    """A TimeMap lists its newest captures last. Read to the usual cap (1 KiB here, 2 MiB by
    default: some 14,000 captures) only the oldest were seen, and the newest good capture
    of the lapsed domain (2015) was never a candidate."""
    path = "/lost/ukgwa-lapsed"
    case = write_case(tmp_path, [{"id": "a", "title": "t", "url": server.url(path)}],
                      date="2015-07-01")
    run = run_cli(str(case), "--format", "json", "--archive", "ukgwa",
                  parts=_reading(waits, max_bytes=1024))
    link = json.loads(run.stdout)["links"][0]
    assert link["archive"]["captured"] == "2015-06-01T00:00:00+00:00", link["lookups"]


def test_a_timemap_longer_than_refcheck_reads_fails_the_lookup_not_no_copy(
        run_cli: Any, tmp_path: Path, server: EvidenceServer, waits: Waits) -> None:
    path = "/lost/ukgwa-lapsed"
    case = write_case(tmp_path, [{"id": "a", "title": "t", "url": server.url(path)}],
                      date="2015-07-01")
    run = run_cli(str(case), "--format", "json", "--archive", "ukgwa",
                  parts=_reading(waits, max_bytes=1024, max_quote_bytes=1024))
    link = json.loads(run.stdout)["links"][0]
    assert link["archive"] is None and link["evidence"] == "unknown"
    (ukgwa,) = link["lookups"]
    assert ukgwa["outcome"] == "failed"
    assert ukgwa["detail"] == ("UKGWA's list of captures is longer than the 1 KiB refcheck "
                               "reads, so not every capture could be considered; look through "
                               "them in a browser")


def test_a_listed_capture_served_without_memento_datetime_is_a_failed_lookup_not_no_copy(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """The CDX lists a 200 capture; its playback is a page of the archive's own, without
    Memento-Datetime (a failing archive, a proxy's page). It used to be one more capture
    "not usable", and the evidence was called lost; the archive could not show its copy,
    which says nothing of whether it has one."""
    path = "/lost/wayback-no-memento"
    link = check(run_cli, tmp_path, server, [path])[path]
    assert link["archive"] is None and link["evidence"] == "unknown"
    wayback = link["lookups"][1]
    assert wayback["outcome"] == "failed"
    assert "lists a capture here but served a page that is not one" in wayback["detail"]


def test_a_capture_of_a_redirect_leads_to_the_capture_of_the_page_it_redirected_to(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    """The Wayback Machine replays a captured 301 as a 301 with Memento-Datetime, to its
    capture of the page the address redirected to. Where that page was captured, it is the
    copy (a person opening the capture lands there); where it never was, the replay ends in
    a 404 without Memento-Datetime: that capture is no copy, and the next is tried, without
    calling the lookup failed."""
    moved, unarchived = "/lost/wayback-captured-move", "/lost/wayback-redirect-to-unarchived"
    links = check(run_cli, tmp_path, server, [moved, unarchived], "--archive", "wayback")
    assert links[moved]["evidence"] == "archived"
    assert links[moved]["archive"]["url"] == server.url(
        f"/wayback/web/20120505101010/{server.url('/lost/only-wayback')}")
    assert links[unarchived]["evidence"] == "archived", links[unarchived]["lookups"]
    assert links[unarchived]["archive"]["captured"] == "2012-01-01T00:00:00+00:00"
