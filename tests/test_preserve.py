"""`refcheck preserve` against a fake Save Page Now and CDX (tests/fake_spn.py), the live
pages on the local evidence server: captured, already captured, 429s, each error code, no
keys, bad keys, a job that never ends; and the keys never in any output."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from typer.testing import CliRunner

from refcheck.http import DEFAULT_USER_AGENT, Fetcher
from refcheck.model import Case, CitedUrl, LinkResult, Position, Source, Status
from refcheck.preserve import (
    KEYS_PAGE,
    TNA_SUGGEST,
    Keys,
    Preserved,
    Saved,
    SaveOutcome,
    SavePageNow,
    is_uk_government,
)
from refcheck.preserve_command import app, render_json, render_terminal
from tests.conftest import Run, Waits, parts_with, write_case
from tests.fake_spn import ACCESS, CAPTURED_AT, SECRET, FakeSpn
from tests.server import EvidenceServer


@pytest.fixture(scope="session")
def fake_spn() -> Iterator[FakeSpn]:
    server = FakeSpn()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def spn(fake_spn: FakeSpn) -> FakeSpn:
    fake_spn.reset()
    return fake_spn


@pytest.fixture
def run_preserve(run_cli: Any, waits: Waits, spn: FakeSpn,
                 monkeypatch: pytest.MonkeyPatch) -> Any:
    """`refcheck preserve ARGS` in-process: run_cli's test settings, Save Page Now and the
    Wayback CDX on the fake, the fake's keys set; the keys never in any output."""
    monkeypatch.setenv("REFCHECK_SPN_URL", spn.base)
    monkeypatch.setenv("REFCHECK_WAYBACK_URL", spn.base)
    monkeypatch.setenv("REFCHECK_IA_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("REFCHECK_IA_SECRET_KEY", SECRET)

    def run(*args: str) -> Run:
        result = CliRunner().invoke(app, list(args), prog_name="refcheck preserve",
                                    obj=parts_with(waits))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        for stream in (result.stdout, result.stderr):
            assert SECRET not in stream and ACCESS not in stream
        return Run(result.exit_code, result.stdout, result.stderr)
    return run


def case_of(tmp_path: Path, *urls: str) -> Path:
    return write_case(tmp_path, [{"id": f"s{i}", "title": f"Evidence {i}", "url": url}
                                 for i, url in enumerate(urls, 1)])


def links(run: Run) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(run.stdout)["links"]
    return found


def test_a_live_page_without_a_recent_capture_is_captured(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    url = server.url("/page")
    run = run_preserve(str(case_of(tmp_path, url)))
    assert run.exit_code == 0, run.stdout + run.stderr
    capture = f"{spn.base}/web/{CAPTURED_AT}/{url}"
    assert f"  captured 26 November 2026, 09:01 UTC: {capture}\n" in run.stdout
    assert "1 captured, 0 already captured since 26 November 2025" in run.stdout
    assert spn.saved == [url]
    form = dict(spn.forms[0])
    # Save Page Now makes no capture where it has one since --since, in seconds.
    within = int(form.pop("if_not_archived_within")[0])
    assert 365 * 86_400 < within < 366 * 86_400
    assert form == {"url": [url], "skip_first_archive": ["1"]}
    assert spn.cdx[0]["from"] == ["20251126"] and spn.cdx[0]["url"] == [url]
    posted = [headers for method, _, headers in spn.seen if method == "POST"]
    assert posted[0]["Authorization"] == f"LOW {ACCESS}:{SECRET}"
    assert posted[0]["Accept"] == "application/json"
    assert posted[0]["User-Agent"] == DEFAULT_USER_AGENT


def test_a_capture_the_wayback_machine_does_not_list_yet_is_not_made_again(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    """Run again at once after a stop, the captures just made are not in the CDX yet: Save
    Page Now, told to make none where it has one since --since, answers with the one it
    made, which is reported already captured, not captured anew."""
    url = server.url("/page?spn=unlisted")
    run = run_preserve(str(case_of(tmp_path, url)), "-f", "json")
    (link,) = links(run)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert link["outcome"] == "already-captured"
    assert "already captured 26 November 2026, 08:30 UTC" in link["detail"]
    assert "no new capture was made" in link["detail"]
    assert link["capture_url"] == f"{spn.base}/web/20261126083000/{url}"


def test_a_page_captured_since_the_date_is_not_captured_again(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    url = server.url("/page?spn=recent")
    run = run_preserve(str(case_of(tmp_path, url)), "-f", "json")
    assert run.exit_code == 0
    (link,) = links(run)
    assert link["outcome"] == "already-captured"
    assert link["captured"] == "2026-06-01T12:00:00+00:00"
    assert link["capture_url"] == f"{spn.base}/web/20260601120000/{url}"
    assert spn.saved == []
    later = run_preserve(str(case_of(tmp_path, url)), "--since", "2026-07-01")
    assert "captured 26 November 2026" in later.stdout and spn.saved == [url]


def test_a_recent_capture_that_is_a_bot_wall_s_challenge_is_no_capture_of_the_page(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    """The CDX lists a capture since the date, as a 200; the capture is Cloudflare's "Just a
    moment…" page, which keeps nothing of the evidence. It used to count as "already
    captured", so the page was never saved; now the capture is fetched and judged, and the
    page is captured."""
    url = server.url("/page?spn=recent-challenge")
    run = run_preserve(str(case_of(tmp_path, url)), "-f", "json")
    (link,) = links(run)
    assert link["outcome"] == "captured", link
    assert spn.saved == [url]
    assert "its captures since 26 November 2025 are not the page" in link["detail"]
    assert "the capture is not the evidence (a bot check" in link["detail"]
    assert spn.replays == [url]  # the capture was fetched to be judged


def test_a_site_the_wayback_machine_excludes_is_refused_without_spending_a_capture(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    """Its captures are never shown, a new one no more than the old: "captured" would be
    a false comfort, and the capture one of the day's."""
    run = run_preserve(str(case_of(tmp_path, server.url("/page?spn=excluded"))), "-f", "json")
    (link,) = links(run)
    assert spn.saved == [] and run.exit_code == 1
    assert link["outcome"] == "refused"
    assert "the Wayback Machine excludes this site" in link["detail"]
    assert "nothing was sent" in link["detail"]


def test_a_since_date_still_to_come_is_refused_before_anything_is_sent(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    """--since 2062-01-01 for 2026-01-01 would count no capture as recent, and spend a
    capture on every live link."""
    run = run_preserve(str(case_of(tmp_path, server.url("/page"))), "--since", "2062-01-01")
    assert run.exit_code == 2
    assert "--since: 2062-01-01 is in the future" in run.stderr
    assert spn.saved == [] and spn.cdx == []


def test_a_429_pauses_for_retry_after_and_the_capture_still_happens(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn,
        waits: Waits) -> None:
    url = server.url("/page?spn=429")
    run = run_preserve(str(case_of(tmp_path, url)), "-f", "json")
    assert links(run)[0]["outcome"] == "captured", run.stdout
    assert spn.submits[url] == 2
    assert any(abs(asked - 30) < 1 for asked in waits.asked)


def test_a_429_asking_for_an_hour_is_reported_and_nothing_more_is_sent(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn,
        waits: Waits) -> None:
    url = server.url("/page?spn=429-for-an-hour")
    run = run_preserve(str(case_of(tmp_path, url)))
    assert run.exit_code == 1
    assert "refused: Save Page Now is rate-limiting your captures (429 Too Many Requests) " \
           "and asked to wait 60 minutes" in run.stdout
    assert spn.submits[url] == 1 and max(waits.asked, default=0) < 3600


ERRORS = [
    ("error:blocked-url", "refused", "does not capture this address"),
    ("error:invalid-url-syntax", "refused", "not a valid URL"),
    ("error:too-many-daily-captures", "refused", "captured as often today"),
    ("error:user-session-limit", "refused", "as many captures running"),
    ("error:not-found", "refused", "404 Not Found"),
    ("error:no-access", "refused", "refused Save Page Now (403)"),
    ("error:job-failed", "failed", "a fault on Save Page Now's side"),
    ("error:soft-time-limit-exceeded", "failed", "took longer than"),
    ("error:never-seen-before", "failed", "could not capture it"),
]


@pytest.mark.parametrize("when", ["job", "submit"])
def test_each_error_code_is_reported_per_link_and_stops_no_other(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn,
        when: str) -> None:
    prefix = "" if when == "job" else "submit-"
    urls = [server.url(f"/page?spn={prefix}{code}") for code, _, _ in ERRORS]
    fine = server.url("/long-page")
    run = run_preserve(str(case_of(tmp_path, *urls, fine)), "-f", "json")
    assert run.exit_code == 1
    reported = links(run)
    for (code, outcome, words), link in zip(ERRORS, reported, strict=False):
        assert (link["outcome"], link["code"]) == (outcome, code)
        assert words in link["detail"] and code in link["detail"]
    assert reported[-1]["outcome"] == "captured"
    text = run_preserve(str(case_of(tmp_path, urls[0])))
    assert "  refused: the Internet Archive does not capture this address (it is on its " \
           "block list) (error:blocked-url: " in text.stdout


def test_without_keys_it_says_how_to_get_them_and_does_nothing(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REFCHECK_IA_SECRET_KEY")
    case = case_of(tmp_path, server.url("/page"))
    server.reset_counts()
    run = run_preserve(str(case))
    assert run.exit_code == 2
    assert KEYS_PAGE in run.stderr and "REFCHECK_IA_ACCESS_KEY" in run.stderr
    assert spn.seen == [] and spn.cdx == [] and server.seen == []


@pytest.mark.parametrize(("name", "secret", "what"), [
    ("REFCHECK_IA_SECRET_KEY", "half-of-it\nthe-other-half", "a line break"),
    ("REFCHECK_IA_SECRET_KEY", "k3y-part1 k3y-part2", "a space"),
    ("REFCHECK_IA_ACCESS_KEY", "\u201cquoted-in-a-document\u201d",
     "characters other than plain letters, digits and punctuation"),
    ("REFCHECK_IA_SECRET_KEY", "half-of-it\rthe-other-half", "a line break"),
    ("REFCHECK_IA_SECRET_KEY", "half-of-it\x01the-other-half",
     "characters other than plain letters, digits and punctuation"),
    ("REFCHECK_IA_SECRET_KEY", "half-of-it\u200bthe-other-half",
     "characters other than plain letters, digits and punctuation"),
])
def test_keys_no_header_can_carry_are_refused_unprinted_before_anything_is_sent(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn,
        monkeypatch: pytest.MonkeyPatch, name: str, secret: str, what: str) -> None:
    monkeypatch.setenv(name, secret)
    case = case_of(tmp_path, server.url("/page"))
    server.reset_counts()
    run = run_preserve(str(case))
    assert run.exit_code == 2
    assert f"refcheck preserve: {name} holds {what}, so it is not the key the Internet " \
           f"Archive gave you; copy it again from {KEYS_PAGE} exactly" in run.stderr
    for part in secret.replace("\x01", " ").replace("\u200b", " ").split():
        assert part.strip("\u201c\u201d") not in run.stdout + run.stderr
    assert spn.seen == [] and spn.cdx == [] and server.seen == []


def test_keys_the_archive_refuses_are_reported_for_every_link(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFCHECK_IA_SECRET_KEY", "wrong")
    run = run_preserve(str(case_of(tmp_path, server.url("/page"), server.url("/long-page"),
                                   server.url("/short-real"))), "-f", "json")
    assert run.exit_code == 1
    assert [link["outcome"] for link in links(run)] == ["refused"] * 3
    assert all("did not accept your keys (401 Unauthorized)" in link["detail"]
               for link in links(run))
    assert len(spn.saved) <= 2  # at most the captures already under way


def test_keys_the_service_echoes_back_are_never_shown(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    """Save Page Now's own words are shown to the user: should they ever repeat the
    request's Authorization header, the keys in them are not."""
    run = run_preserve(str(case_of(tmp_path, server.url("/page?spn=echo-keys"))), "-f",
                       "json")
    (link,) = links(run)
    assert link["outcome"] == "refused"
    assert "LOW [your access key]:[your secret key]" in link["detail"]
    for output in (run.stdout, run.stderr):
        assert SECRET not in output and ACCESS not in output


def test_a_job_that_never_ends_times_out_without_real_waiting(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn,
        waits: Waits) -> None:
    run = run_preserve(str(case_of(tmp_path, server.url("/page?spn=pending"))), "-f", "json")
    (link,) = links(run)
    assert link["outcome"] == "failed" and run.exit_code == 1
    assert "had not finished after 5 minutes" in link["detail"]
    assert link["job_id"] in link["detail"]
    assert sum(waits.asked) >= 300 and len(spn.polls) == 1


def test_links_that_are_not_live_are_skipped_and_a_move_is_kept_at_its_new_address(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    run = run_preserve(str(case_of(tmp_path, server.url("/gone404"),
                                   server.url("/chain/1"))))
    assert run.exit_code == 0
    assert "skipped: dead: only a live page can be captured" in run.stdout
    new = server.url("/new/home-of-evidence")
    assert f"(asked for {new})" in run.stdout and spn.saved == [new]


def test_a_page_behind_a_signed_redirect_is_captured_at_its_cited_address(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    """A download that hands out a signed address (S3's X-Amz-Signature) is ok as cited;
    the signed address without its signature answers 403, so Save Page Now would capture
    an error page: the address asked for is the cited one, whose redirect it follows."""
    cited = server.url("/signed/1")
    run = run_preserve(str(case_of(tmp_path, cited)), "-f", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert spn.saved == [cited]
    assert links(run)[0]["asked"] == cited and links(run)[0]["outcome"] == "captured"
    assert "X-Amz" not in run.stdout


def test_a_move_to_a_page_not_shown_to_be_the_evidence_is_captured_with_a_caution(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    """The page a move leads to is captured, but "captured" alone would say the evidence
    is kept: when its title does not match the source's (the rule refcheck fix cites a
    move by), the user is told to check it."""
    case = write_case(tmp_path, [
        {"id": "a", "title": "Annual report of the Children's Trust",
         "url": server.url("/chain/1")},
        {"id": "b", "title": "Evaluation of the Springboard project (Blackpool, 2012)",
         "url": server.url("/moved-tracked")}])
    run = run_preserve(str(case), "-f", "json")
    other, same = links(run)
    assert other["outcome"] == same["outcome"] == "captured"
    assert "not shown to be the source's evidence: check it is the same evidence" in \
        other["detail"]
    assert "\u201cEvaluation of the Springboard project\u201d" in other["detail"]
    assert "check it" not in same["detail"]


def test_credentials_are_neither_sent_to_the_archive_nor_shown(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    run = run_preserve(str(case_of(tmp_path, server.url("/page?token=s3cret"))), "-f", "json")
    assert spn.saved == [server.url("/page")]
    assert "s3cret" not in run.stdout and links(run)[0]["url"].endswith("?token=****")


def result(url: str) -> LinkResult:
    position = Position("c.yaml", 5, 10)
    source = Source("a", "Guidance", (CitedUrl(url, position),), position)
    return LinkResult(Case("c.yaml", "T", (source,)), source, source.urls[0], Status.OK, "",
                      dt.datetime(2026, 11, 26, tzinfo=dt.UTC))


def test_uk_government_pages_point_to_the_national_archives() -> None:
    assert is_uk_government("https://www.gov.uk/guidance/x")
    assert is_uk_government("https://www.england.nhs.uk/a") and is_uk_government("https://nhs.uk/")
    assert not is_uk_government("https://www.example.org/gov.uk")
    item = Preserved(result("https://www.gov.uk/guidance/x"), "https://www.gov.uk/guidance/x",
                     Saved(SaveOutcome.CAPTURED, "captured 26 November 2026, 09:01 UTC"),
                     government=True)
    since = dt.date(2025, 11, 26)
    assert f"suggest it to The National Archives: {TNA_SUGGEST}" in render_terminal([item],
                                                                                   since)
    assert json.loads(render_json([item], since))["links"][0]["suggest_to_ukgwa"] == TNA_SUGGEST


# -- the client alone, against respx ------------------------------------------------------

def client_run(router: respx.MockRouter, waits: Waits, url: str) -> Saved:
    async def go() -> Saved:
        fetcher = Fetcher(sleep=waits, clock=waits.clock)
        async with SavePageNow("https://spn.test", Keys("a", "b"), fetcher,
                               capture_base="https://web.test",
                               transport=httpx.MockTransport(router.async_handler)) as spn:
            return await spn.save(url)
    return asyncio.run(go())


def client_runs(router: respx.MockRouter, waits: Waits, *urls: str) -> list[Saved]:
    """Each URL saved in turn by one client, as a run saves its links."""
    async def go() -> list[Saved]:
        fetcher = Fetcher(sleep=waits, clock=waits.clock)
        async with SavePageNow("https://spn.test", Keys("a", "b"), fetcher,
                               capture_base="https://web.test",
                               transport=httpx.MockTransport(router.async_handler)) as spn:
            return [await spn.save(url) for url in urls]
    return asyncio.run(go())


def test_captures_of_yours_still_running_are_waited_for_not_refused(waits: Waits) -> None:
    """Save Page Now's limit on your captures running at once (a run just stopped leaves
    its captures running): refcheck waits and asks again, as for a 429."""
    router = respx.MockRouter()
    router.post("https://spn.test/save").mock(side_effect=[
        httpx.Response(200, json={"status": "error", "status_ext": "error:user-session-limit",
                                  "message": "You have already reached the limit of active "
                                             "sessions."}),
        httpx.Response(200, json={"url": "https://a.test/", "job_id": "spn2-1"})])
    router.get("https://spn.test/save/status/spn2-1").respond(
        json={"status": "success", "timestamp": "20261126090500",
              "original_url": "https://a.test/"})
    saved = client_run(router, waits, "https://a.test/")
    assert saved.outcome is SaveOutcome.CAPTURED, saved.detail
    assert 60.0 in waits.asked


def test_the_accounts_captures_for_the_day_spent_nothing_more_is_sent(waits: Waits) -> None:
    router = respx.MockRouter()
    save = router.post("https://spn.test/save").respond(json={
        "status": "error", "message": "You cannot make more than 4,000 captures per day."})
    first, second = client_runs(router, waits, "https://a.test/", "https://b.test/")
    assert save.call_count == 1
    for saved in (first, second):
        assert saved.outcome is SaveOutcome.REFUSED
        assert "run refcheck preserve again tomorrow" in saved.detail
        assert "4,000 captures per day" in saved.detail


def test_a_redirect_from_save_page_now_is_not_followed(waits: Waits) -> None:
    router = respx.MockRouter(assert_all_called=False)
    router.post("https://spn.test/save").respond(302, headers={"Location": "https://x.test/"})
    saved = client_run(router, waits, "https://a.test/")
    assert saved.outcome is SaveOutcome.FAILED and "redirects are not followed" in saved.detail
    assert router.calls.call_count == 1


@pytest.mark.parametrize(("answer", "words"), [
    (httpx.Response(503, text="busy"), "503 Service Unavailable; try again later"),
    (httpx.Response(200, text="<html>not json</html>"), "not the JSON expected"),
    (httpx.Response(200, json={"message": "hmm"}), "without a job: hmm"),
])
def test_answers_that_are_not_a_job_are_failures_in_words(
        waits: Waits, answer: httpx.Response, words: str) -> None:
    router = respx.MockRouter()
    router.post("https://spn.test/save").mock(return_value=answer)
    saved = client_run(router, waits, "https://a.test/")
    assert saved.outcome is SaveOutcome.FAILED and words in saved.detail


def test_the_status_of_a_job_is_polled_until_success(waits: Waits) -> None:
    router = respx.MockRouter()
    router.post("https://spn.test/save").respond(json={"url": "https://a.test/",
                                                       "job_id": "spn2-1"})
    router.get("https://spn.test/save/status/spn2-1").mock(side_effect=[
        httpx.Response(200, json={"status": "pending"}),
        httpx.Response(429, headers={"Retry-After": "20"}),
        httpx.Response(200, json={"status": "success", "timestamp": "20261126090500",
                                  "original_url": "https://a.test/final"})])
    saved = client_run(router, waits, "https://a.test/")
    assert saved.outcome is SaveOutcome.CAPTURED
    assert saved.capture_url == "https://web.test/web/20261126090500/https://a.test/final"
    assert waits.asked[:3] == [5.0, 7.5, 20.0]


def test_a_status_poll_told_to_wait_an_hour_is_not_waited_for(waits: Waits) -> None:
    """A 429 on a status poll asking for longer than a capture is waited for: the link is
    reported at once with its job, not after an hour of waiting."""
    router = respx.MockRouter()
    router.post("https://spn.test/save").respond(json={"url": "https://a.test/",
                                                       "job_id": "spn2-1"})
    router.get("https://spn.test/save/status/spn2-1").respond(
        429, headers={"Retry-After": "3600"})
    saved = client_run(router, waits, "https://a.test/")
    assert saved.outcome is SaveOutcome.FAILED and saved.job_id == "spn2-1"
    assert "asked to wait 60 minutes" in saved.detail and "may still appear" in saved.detail
    assert sum(waits.asked) < 300


def test_a_status_poll_that_meets_a_passing_server_error_keeps_polling(waits: Waits) -> None:
    """The Internet Archive's front servers answer 502 or 503 now and then: the capture is
    still being made, so a poll that meets one is not the capture failing."""
    router = respx.MockRouter()
    router.post("https://spn.test/save").respond(json={"url": "https://a.test/",
                                                       "job_id": "spn2-1"})
    router.get("https://spn.test/save/status/spn2-1").mock(side_effect=[
        httpx.Response(502, html="<h1>502 Bad Gateway</h1>"),
        httpx.Response(503, html="<h1>503 Service Unavailable</h1>"),
        httpx.Response(200, json={"status": "success", "timestamp": "20261126090500",
                                  "original_url": "https://a.test/"})])
    saved = client_run(router, waits, "https://a.test/")
    assert saved.outcome is SaveOutcome.CAPTURED, saved.detail


def test_a_status_poll_that_keeps_meeting_server_errors_says_the_capture_may_appear(
        waits: Waits) -> None:
    router = respx.MockRouter()
    router.post("https://spn.test/save").respond(json={"url": "https://a.test/",
                                                       "job_id": "spn2-1"})
    router.get("https://spn.test/save/status/spn2-1").respond(502, html="Bad Gateway")
    saved = client_run(router, waits, "https://a.test/")
    assert saved.outcome is SaveOutcome.FAILED and saved.job_id == "spn2-1"
    assert "502 Bad Gateway" in saved.detail and "may still appear" in saved.detail


def test_a_settings_value_is_shown_escaped_not_obeyed(
        tmp_path: Path, run_preserve: Any) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("case:\n  title: T\nsources:\n  - id: a\n    title: A\n")
    (tmp_path / "refcheck.toml").write_text('exclude = ["\\u001b]0;pwned\\u0007(("]\n')
    run = run_preserve(str(case), "--config", str(tmp_path / "refcheck.toml"))
    assert run.exit_code == 2
    assert "\\x1b]0;pwned\\x07" in run.stderr and "\x1b" not in run.stderr


def test_the_settings_file_beside_the_case_file_keeps_excluded_links_from_the_archive(
        tmp_path: Path, run_preserve: Any, server: EvidenceServer, spn: FakeSpn) -> None:
    intranet, public = server.url("/page?intranet"), server.url("/long-page")
    case = case_of(tmp_path, intranet, public)
    (tmp_path / "refcheck.toml").write_text("exclude = ['intranet']\n")
    run = run_preserve(str(case), "-f", "json")  # found beside the case, not named
    assert run.exit_code == 0, run.stdout + run.stderr
    assert spn.saved == [public]
    assert [link["outcome"] for link in links(run)] == ["skipped", "captured"]
    assert links(run)[0]["detail"] == ("not checked: the settings file excludes it (exclude "
                                       "pattern `intranet`); nothing was sent")


@pytest.mark.parametrize("form", ["terminal", "json"])
def test_stopped_it_lists_the_captures_made_and_the_ones_under_way(
        tmp_path: Path, server: EvidenceServer, spn: FakeSpn, waits: Waits, form: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C once one capture is made and another asked for: both are listed (a run again
    at once would ask for them again, the Wayback Machine not listing them yet, and spend
    the day's captures), and the exit code is 130."""
    import signal

    from refcheck.preserve_command import PreserveParts

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("Ctrl-C is not refcheck's to handle here")
    made, under_way = server.url("/page?made"), server.url("/long-page?under-way")
    case = case_of(tmp_path, made, under_way, server.url("/gone404"))
    jobs: dict[str, str] = {}
    made_done = asyncio.Event()
    stopped: list[bool] = []

    def stop_once_both() -> None:
        if made_done.is_set() and under_way in jobs.values() and not stopped:
            stopped.append(True)
            signal.raise_signal(signal.SIGINT)

    async def save_page_now(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            url = dict(httpx.QueryParams(request.content.decode()))["url"]
            jobs[f"job-{len(jobs) + 1}"] = url
            stop_once_both()
            return httpx.Response(200, json={"url": url, "job_id": f"job-{len(jobs)}"})
        url = jobs[request.url.path.rsplit("/", 1)[1]]
        if url == made:
            made_done.set()
            stop_once_both()
            return httpx.Response(200, json={"status": "success", "timestamp": CAPTURED_AT,
                                             "original_url": url})
        await made_done.wait()
        await asyncio.Event().wait()  # under way until refcheck is stopped
        raise AssertionError("not reached")

    monkeypatch.setenv("REFCHECK_SPN_URL", spn.base)
    monkeypatch.setenv("REFCHECK_WAYBACK_URL", spn.base)
    monkeypatch.setenv("REFCHECK_IA_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("REFCHECK_IA_SECRET_KEY", SECRET)
    parts = PreserveParts(make_fetcher=parts_with(waits).make_fetcher,
                          spn_transport=httpx.MockTransport(save_page_now))
    try:
        result = CliRunner().invoke(app, [str(case), "-f", form], obj=parts,
                                    prog_name="refcheck preserve")
    finally:  # what the process's end would undo
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert result.exit_code == 130, result.stdout + result.stderr
    assert "refcheck preserve: interrupted (Ctrl-C); what became of each link is listed " \
           "above. 1 capture asked for may still be made: look for it" in result.stderr
    if form == "json":
        document = json.loads(result.stdout)
        assert document["complete"] is False
        assert [(link["outcome"], link["job_id"]) for link in document["links"]] == [
            ("captured", "job-1"), ("asked", "job-2"), ("skipped", None)] or [
            (link["outcome"], link["job_id"]) for link in document["links"]] == [
            ("captured", "job-2"), ("asked", "job-1"), ("skipped", None)]
        assert document["links"][0]["capture_url"] == f"{spn.base}/web/{CAPTURED_AT}/{made}"
        assert document["summary"]["asked"] == 1
    else:
        assert f"  captured 26 November 2026, 09:01 UTC: {spn.base}/web/{CAPTURED_AT}/" \
               f"{made}\n" in result.stdout
        assert "  asked for: refcheck was stopped while Save Page Now was making the " \
               "capture (job job-" in result.stdout
        assert result.stdout.endswith("0 refused, 0 failed, 1 skipped, 1 asked for\n")
