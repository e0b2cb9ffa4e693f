"""The classifier: every status from a Fetch value, no network involved."""

from __future__ import annotations

import datetime as dt

import pytest

from refcheck.classify import (
    backoff_seconds,
    is_retryable,
    retry_after_seconds,
)
from refcheck.model import Answer, Failure, FailureKind, Fetch, Hop, Status
from refcheck.verdict import classify

URL = "http://evidence.example.org/reports/2012/neglect.html"


def answer(status: int = 200, *, url: str = URL, title: str | None = "Evaluation report",
           headers: dict[str, str] | None = None, ctype: str = "text/html") -> Answer:
    body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>" \
        if title is not None else ""
    return Answer(url=url, status=status, reason="", headers={"content-type": ctype,
                  **(headers or {})}, body=body.encode())


def fetch(ans: Answer | None = None, *, hops: tuple[Hop, ...] = (), failure: Failure | None =
          None, attempts: int = 1) -> Fetch:
    return Fetch(URL, hops, ans, failure, attempts)


def test_plain_200_is_ok_and_keeps_the_page_title() -> None:
    verdict = classify(fetch(answer()))
    assert verdict.status is Status.OK
    assert verdict.detail == "200 OK"
    assert verdict.page_title == "Evaluation report"


@pytest.mark.parametrize("code", [404, 410])
def test_404_and_410_are_dead(code: int) -> None:
    verdict = classify(fetch(answer(code)))
    assert verdict.status is Status.DEAD
    assert verdict.detail.startswith(str(code))


def test_dns_failure_is_dead() -> None:
    verdict = classify(fetch(failure=Failure(FailureKind.DNS, "host name not found")))
    assert verdict.status is Status.DEAD
    assert "host name does not exist" in verdict.detail


def test_redirect_to_a_different_working_page_is_moved() -> None:
    new = "https://www.gov.uk/government/publications/neglect"
    verdict = classify(fetch(answer(url=new), hops=(Hop(URL, 301, new),)))
    assert verdict.status is Status.MOVED
    assert verdict.final_url == new
    assert verdict.detail == f"moved to {new}; cite the new address"


@pytest.mark.parametrize(
    "final",
    [
        "https://evidence.example.org/reports/2012/neglect.html",      # http -> https
        "http://www.evidence.example.org/reports/2012/neglect.html",   # www. added
        "http://evidence.example.org/reports/2012/neglect.html/",      # trailing slash
    ],
)
def test_trivial_redirects_are_ok(final: str) -> None:
    verdict = classify(fetch(answer(url=final), hops=(Hop(URL, 301, final),)))
    assert verdict.status is Status.OK
    assert verdict.final_url == final


def test_redirect_to_home_page_is_soft_404() -> None:
    home = "http://evidence.example.org/"
    verdict = classify(fetch(answer(url=home), hops=(Hop(URL, 302, home),)))
    assert verdict.status is Status.SOFT_404
    assert "home page" in verdict.detail


@pytest.mark.parametrize(
    "title",
    ["Page not found", "404 - File or directory not found", "Sorry, this page is no longer "
     "available", "This content has been removed", "The page could not be found"],
)
def test_error_page_wording_is_soft_404(title: str) -> None:
    verdict = classify(fetch(answer(title=title)))
    assert verdict.status is Status.SOFT_404
    assert title in verdict.detail


@pytest.mark.parametrize("title", ["Evidence 404", "Bus route 404 timetable",
                                   "Annual report 2012"])
def test_a_number_404_in_a_title_is_not_an_error_page(title: str) -> None:
    assert classify(fetch(answer(title=title))).status is Status.OK


@pytest.mark.parametrize("title", ["404", "404 Not Found", "Error 404 - Page missing",
                                   "404 error | Salford", "Salford City Council | 404",
                                   "Sorry \u2013 404"])
def test_404_titles_are_soft_404(title: str) -> None:
    assert classify(fetch(answer(title=title))).status is Status.SOFT_404


def test_error_wording_in_main_heading_only_is_soft_404() -> None:
    body = b"<html><head><title>Salford Council</title></head><body><h1>Page not found</h1>"
    ans = Answer(URL, 200, "", {"content-type": "text/html"}, body)
    assert classify(fetch(ans)).status is Status.SOFT_404


def test_pdf_is_ok_without_reading_it() -> None:
    ans = Answer(URL, 200, "", {"content-type": "application/pdf"}, b"")
    assert classify(fetch(ans)).status is Status.OK


@pytest.mark.parametrize("code", [401, 403, 999])
def test_refusals_are_blocked(code: int) -> None:
    verdict = classify(fetch(answer(code, title="Forbidden")))
    assert verdict.status is Status.BLOCKED
    assert "open it in a browser" in verdict.detail


def test_linkedins_999_without_a_reason_is_named_not_unknown() -> None:
    # LinkedIn sends 999 with no reason phrase: the report said "999 unknown status".
    verdict = classify(fetch(Answer(URL, 999, "", {"content-type": "text/html"}, b"")))
    assert verdict.status is Status.BLOCKED
    assert "unknown status" not in verdict.detail
    assert verdict.detail == ("a bot check (999 Request Denied, LinkedIn's refusal of "
                              "automated requests); open it in a browser")


def test_451_is_a_page_withheld_for_legal_reasons_not_a_refusal_of_robots() -> None:
    # US news sites answer 451 to every visitor from the UK and the EU: a browser here gets
    # it too, so the report must not say the server refuses automated checks.
    verdict = classify(fetch(answer(451, title="Unavailable")))
    assert verdict.status is Status.BLOCKED
    assert verdict.detail == (
        "451 Unavailable For Legal Reasons: the site withholds the page for legal reasons, "
        "often from every visitor in the UK or the EU; open it in a browser, and if it is "
        "withheld there too, cite an archived copy")


def test_a_407_is_the_networks_proxy_not_the_site() -> None:
    verdict = classify(fetch(answer(407, title="Proxy Authentication Required")))
    assert verdict.status is Status.BLOCKED
    assert "a proxy on this network asks for a sign-in" in verdict.detail
    assert "HTTPS_PROXY" in verdict.detail and "refuses automated checks" not in verdict.detail


def test_persistent_429_is_blocked() -> None:
    verdict = classify(fetch(answer(429, title="Too many"), attempts=3))
    assert verdict.status is Status.BLOCKED
    assert "after 3 tries" in verdict.detail


@pytest.mark.parametrize(
    ("headers", "title", "status"),
    [
        ({"cf-mitigated": "challenge"}, "Just a moment...", 403),
        ({}, "Just a moment...", 200),
        ({}, "Attention Required! | Cloudflare", 403),
        ({"server": "AkamaiGHost"}, "Access Denied", 403),
        ({"x-amzn-waf-action": "captcha"}, "Human Verification", 405),
    ],
)
def test_bot_challenges_are_blocked(headers: dict[str, str], title: str, status: int) -> None:
    verdict = classify(fetch(answer(status, title=title, headers=headers)))
    assert verdict.status is Status.BLOCKED
    assert "bot check" in verdict.detail


def test_redirect_to_login_page_is_blocked() -> None:
    login = "https://idp.example.ac.uk/login?target=x"
    verdict = classify(fetch(answer(url=login, title="Sign in"), hops=(Hop(URL, 302, login),)))
    assert verdict.status is Status.BLOCKED
    assert "login page" in verdict.detail


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (FailureKind.TIMEOUT, "timed out"),
        (FailureKind.DEADLINE, "too slow"),
        (FailureKind.REFUSED, "connection refused"),
        (FailureKind.RESET, "closed the connection"),
        (FailureKind.TLS, "secure connection failed"),
        (FailureKind.REDIRECT_LOOP, "redirect loop"),
        (FailureKind.TOO_MANY_REDIRECTS, "too many redirects"),
    ],
)
def test_failures_are_errors(kind: FailureKind, words: str) -> None:
    verdict = classify(fetch(failure=Failure(kind, "")))
    assert verdict.status is Status.ERROR
    assert words in verdict.detail


def test_certificate_problem_is_named() -> None:
    verdict = classify(fetch(failure=Failure(FailureKind.TLS, "certificate expired")))
    assert verdict.detail == "secure connection failed (certificate expired)"


def test_5xx_after_retries_is_error() -> None:
    verdict = classify(fetch(answer(503), attempts=3))
    assert verdict.status is Status.ERROR
    assert verdict.detail.startswith("503 Service Unavailable after 3 tries")


def test_redirect_into_a_404_is_dead_and_says_where() -> None:
    new = "http://evidence.example.org/moved/here"
    verdict = classify(fetch(answer(404, url=new), hops=(Hop(URL, 301, new),)))
    assert verdict.status is Status.DEAD
    assert verdict.detail == f"redirects to {new}, which answers 404 Not Found"


def test_invalid_url_failure_is_invalid() -> None:
    verdict = classify(fetch(failure=Failure(FailureKind.INVALID_URL, "Invalid port")))
    assert verdict.status is Status.INVALID


# -- retry policy -------------------------------------------------------------------------

@pytest.mark.parametrize("code", [429, 500, 502, 503, 504, 408])
def test_transient_statuses_are_retried(code: int) -> None:
    assert is_retryable(fetch(answer(code)))


@pytest.mark.parametrize("code", [200, 301, 403, 404, 410])
def test_final_statuses_are_not_retried(code: int) -> None:
    assert not is_retryable(fetch(answer(code)))


@pytest.mark.parametrize(
    ("kind", "retry"),
    [
        (FailureKind.TIMEOUT, True),
        (FailureKind.RESET, True),
        (FailureKind.DNS, False),
        (FailureKind.TLS, False),
        (FailureKind.REFUSED, False),
        (FailureKind.DEADLINE, False),
    ],
)
def test_failures_retry_policy(kind: FailureKind, retry: bool) -> None:
    assert is_retryable(fetch(failure=Failure(kind, ""))) is retry


#: Amazon's robot check, as its shops send it (with 503, and sometimes 200).
AMAZON_CAPTCHA = (
    b'<!doctype html><html><head><title>Amazon.co.uk</title></head><body><div class="a-box">'
    b'<h4>Enter the characters you see below</h4><p class="a-last">Sorry, we just need to '
    b"make sure you're not a robot. For best results, please make sure your browser is "
    b'accepting cookies.</p><form method="get" action="/errors/validateCaptcha" name=""><img '
    b'src="https://images-na.ssl-images-amazon.com/captcha/usvmgloq/Captcha_kwrrnqwkph.jpg">'
    b'<input autocomplete="off" type="text" id="captchacharacters" name="field-keywords">'
    b'<button type="submit">Continue shopping</button></form></div></body></html>')


@pytest.mark.parametrize("status", [503, 200])
def test_amazons_robot_check_is_a_bot_wall_not_asked_again(status: int) -> None:
    wall = Answer(url="https://www.amazon.co.uk/dp/0199540519", status=status, reason="",
                  headers={"content-type": "text/html"}, body=AMAZON_CAPTCHA)
    verdict = classify(fetch(wall))
    assert verdict.status is Status.BLOCKED, verdict.detail
    assert "bot check" in verdict.detail
    assert not is_retryable(fetch(wall))


def test_cloudflare_503_challenge_is_not_retried() -> None:
    assert not is_retryable(fetch(answer(503, headers={"cf-mitigated": "challenge"})))


def test_retry_after_in_seconds_and_as_a_date() -> None:
    now = dt.datetime(2026, 11, 26, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds({"retry-after": "7"}, now) == 7
    assert retry_after_seconds({"retry-after": "Thu, 26 Nov 2026 12:00:30 GMT"}, now) == 30
    assert retry_after_seconds({"retry-after": "soon"}, now) is None
    assert retry_after_seconds({}, now) is None


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    assert backoff_seconds(1, base=1, cap=30, jitter=0.0) == 0.5
    assert backoff_seconds(1, base=1, cap=30, jitter=1.0) == 1.0
    assert backoff_seconds(3, base=1, cap=30, jitter=0.0) == 2.0
    assert backoff_seconds(10, base=1, cap=30, jitter=1.0) == 30.0
