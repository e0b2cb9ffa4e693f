"""A registered DOI is judged by the page it points to as well: a target that is plainly
gone (404, a host name that no longer exists, a parked domain, a redirect to the home page)
is not reported ``ok``; a publisher that refuses robots, or any answer less certain, leaves
the DOI ``ok``. Against respx: the DOI system's handle API and the publishers' sites."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from typing import Any

import httpx
import pytest
import respx

from refcheck.archive import SERVICES, ArchiveSettings
from refcheck.archive.interface import ArchiveService
from refcheck.archive.registry import Archives
from refcheck.checker import CheckOptions, check
from refcheck.http import Fetcher, HttpSettings
from refcheck.model import (
    Archive,
    Capture,
    Case,
    CitedUrl,
    Evidence,
    LinkResult,
    Lookup,
    LookupOutcome,
    Position,
    RunReport,
    Source,
    Status,
)
from tests.conftest import Waits

DOI = "10.9999/jsw.2012.001"
CITED = f"https://doi.org/{DOI}"
HANDLE = f"https://doi.test/api/handles/{DOI}"
TARGET = "https://journal.example.org/article/view/123"
ARTICLE = ("<title>Family support in practice | Journal of Social Work</title>"
           + "<p>The evaluation followed families in Blackpool for two years. </p>" * 60)
ADVICE = ("ask the publisher (the DOI's registrant) to point the DOI at the work's current "
          "page, or cite an archived copy")


def _registered(router: respx.MockRouter, target: str = TARGET) -> respx.Route:
    record = {"responseCode": 1, "handle": DOI, "values": [
        {"index": 1, "type": "URL", "data": {"format": "string", "value": target}}]}
    return router.get(HANDLE).respond(200, json=record)


def _run(router: respx.MockRouter, *, archives: Archives | None = None,
         **settings: Any) -> LinkResult:
    source = Source(id="a", title="Article", position=Position("c.yaml", 1, 1),
                    urls=(CitedUrl(CITED, Position("c.yaml", 2, 1)),))
    case = Case(path="c.yaml", title="T", sources=(source,), date=dt.date(2013, 11, 29))

    async def go() -> RunReport:
        async with Fetcher(HttpSettings(**settings),
                           transport=httpx.MockTransport(router.async_handler),
                           sleep=Waits(), watch_loop=False) as fetcher:
            return await check([case], fetcher, RunReport(),
                               CheckOptions(probe_url=None, doi_url="https://doi.test"),
                               archives=archives)

    (result,) = asyncio.run(asyncio.wait_for(go(), 10)).results
    return result


# -- targets that are plainly gone --------------------------------------------------------

def test_a_registered_doi_whose_page_is_404_is_dead_and_names_the_doi_and_its_target() -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).respond(404, html="<title>404 Not Found</title>")
    result = _run(router)
    assert result.status is Status.DEAD
    assert result.detail == (f"DOI {DOI} is registered, but the page it points to ({TARGET}) "
                             f"is gone: 404 Not Found; {ADVICE}")
    assert result.final_url == TARGET
    assert result.http_status == 404  # the page's answer, not the DOI system's 200


def test_a_registered_doi_whose_page_is_410_is_dead() -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).respond(410)
    result = _run(router)
    assert result.status is Status.DEAD and "410 Gone" in result.detail
    assert DOI in result.detail and ADVICE in result.detail


def test_a_registered_doi_whose_host_name_no_longer_exists_is_dead() -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).mock(side_effect=socket.gaierror(socket.EAI_NONAME, "Name or service "
                                                        "not known"))
    result = _run(router)
    assert result.status is Status.DEAD
    assert result.detail.startswith(f"DOI {DOI} is registered, but the page it points to "
                                    f"({TARGET}) is gone: the host name does not exist")
    assert result.detail.endswith(ADVICE)


def test_a_registered_doi_on_a_parked_domain_is_a_soft_404() -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).respond(200, html=(
        "<html><head><title>journal.example.org</title><script src=\"https://www.google.com/"
        "adsense/domains/caf.js\"></script></head><body><h2>Related Searches</h2></body>"
        "</html>"))
    result = _run(router)
    assert result.status is Status.SOFT_404
    assert result.detail.startswith(f"DOI {DOI} is registered, but the page it points to "
                                    f"({TARGET}) is gone: a parked domain's page")
    assert result.detail.endswith(ADVICE)


def test_a_registered_doi_sent_to_its_platforms_home_page_is_a_soft_404() -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).respond(301, headers={"Location": "https://journal.example.org/"})
    router.get("https://journal.example.org/").respond(200, html=ARTICLE)
    result = _run(router)
    assert result.status is Status.SOFT_404
    assert result.detail == (
        f"DOI {DOI} is registered, but the page it points to ({TARGET}) is gone: redirects "
        "to the site's home page (https://journal.example.org/): the cited page is gone; "
        f"{ADVICE}")
    assert result.final_url == "https://journal.example.org/"


def test_the_archives_are_asked_for_the_page_a_gone_doi_pointed_to() -> None:
    asked: list[str] = []
    capture = Capture(Archive.WAYBACK, f"https://web.archive.org/web/20130601000000/{TARGET}",
                      dt.datetime(2013, 6, 1, tzinfo=dt.UTC), TARGET, "Wayback")

    class Wayback(ArchiveService):
        info = SERVICES[Archive.WAYBACK]

        async def lookup(self, url: str, target: dt.datetime | None) -> Lookup:
            asked.append(url)
            return Lookup(self.info.key, LookupOutcome.FOUND, capture=capture,
                          label="Wayback")

    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).respond(404)
    result = _run(router, archives=Archives(ArchiveSettings(), [Wayback()]))
    assert asked == [TARGET]  # the archives keep the page, not the DOI
    assert result.status is Status.DEAD and result.archive == capture
    assert result.evidence is Evidence.ARCHIVED


# -- targets that say nothing against the DOI ---------------------------------------------

def test_a_registered_doi_whose_page_answers_is_ok_as_before() -> None:
    router = respx.MockRouter()
    _registered(router)
    target = router.get(TARGET).respond(200, html=ARTICLE)
    result = _run(router)
    assert result.status is Status.OK
    assert result.detail == f"registered DOI {DOI}; it points to {TARGET}"
    assert result.final_url == TARGET and target.called


def test_a_registered_doi_whose_page_redirects_to_the_article_is_ok() -> None:
    router = respx.MockRouter()
    _registered(router)
    article = "https://www.journal.example.org/doi/full/10.9999/jsw.2012.001"
    router.get(TARGET).respond(302, headers={"Location": article})
    page = router.get(article).respond(200, html=ARTICLE)
    result = _run(router)
    assert result.status is Status.OK
    assert result.detail == f"registered DOI {DOI}; it points to {TARGET}"
    assert page.called  # the redirect was followed, and the article seen


@pytest.mark.parametrize("status", [401, 403, 429])
def test_a_publisher_that_refuses_robots_leaves_the_doi_ok(status: int) -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).respond(status, html="<title>Access denied</title>")
    result = _run(router, retries=0)
    assert result.status is Status.OK
    assert result.detail == (f"registered DOI {DOI}; it points to {TARGET}; the publisher "
                             "refuses automated checks, so the page itself was not seen")


def test_a_bot_wall_that_answers_404_leaves_the_doi_ok() -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).respond(404, headers={"cf-mitigated": "challenge"},
                               html="<title>Just a moment...</title>")
    result = _run(router)
    assert result.status is Status.OK and "refuses automated checks" in result.detail


def test_a_sign_in_wall_leaves_the_doi_ok() -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).respond(302, headers={
        "Location": "https://idp.example.org/login?return=/article/view/123"})
    router.get("https://idp.example.org/login?return=/article/view/123").respond(
        200, html="<title>Sign in</title><form><input type=password></form>")
    result = _run(router)
    assert result.status is Status.OK
    assert result.detail == (f"registered DOI {DOI}; it points to {TARGET}; the publisher's "
                             "page sends a visitor to sign in (https://idp.example.org/login?"
                             "return=/article/view/123), so the page itself was not seen")


@pytest.mark.parametrize("sign_in", [
    "https://journal.example.org/Shibboleth.sso/Login?target=https%3A%2F%2Fjournal.example.org"
    "%2Farticle%2Fview%2F123",
    "https://login.openathens.net/saml/2/sso/journal.example.org?SAMLRequest=fZJN",
    "https://wayf.ukfederation.org.uk/DS?entityID=https%3A%2F%2Fjournal.example.org",
])
def test_a_doi_whose_publisher_asks_for_an_institutions_sign_in_is_ok_and_says_so(
        sign_in: str) -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).respond(302, headers={"Location": sign_in})
    router.get(sign_in).respond(200, html=(
        "<title>Sign in</title><h1>Find your institution</h1><form><input name=q></form>"))
    result = _run(router)
    assert result.status is Status.OK
    assert result.detail == (f"registered DOI {DOI}; it points to {TARGET}; the publisher's "
                             f"page sends a visitor to sign in ({sign_in}), so the page itself "
                             "was not seen")


def test_a_publisher_that_times_out_leaves_the_doi_ok() -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).mock(side_effect=httpx.ReadTimeout("timed out"))
    result = _run(router, retries=0)
    assert result.status is Status.OK
    assert result.detail.startswith(f"registered DOI {DOI}; it points to {TARGET}; the page "
                                    "gave no clear answer (timed out")
    assert result.detail.endswith("so the DOI system's word stands")


@pytest.mark.parametrize("body", [
    "",  # a blank page: a script-driven platform's, or a robot's
    "<title>Journal of Social Work</title><h1>Not found</h1><p>Sorry.</p>",  # error wording
])
def test_a_page_read_as_a_soft_404_by_less_certain_signs_leaves_the_doi_ok(body: str) -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).respond(200, html=body)
    result = _run(router)
    assert result.status is Status.OK
    assert result.detail.startswith(f"registered DOI {DOI}; it points to {TARGET}; the page "
                                    "gave no clear answer")


# -- nothing changes when the DOI system says nothing of a page ---------------------------

def test_a_doi_that_is_not_registered_is_dead_and_nothing_else_is_fetched() -> None:
    router = respx.MockRouter()
    router.get(HANDLE).respond(404, json={"responseCode": 100, "handle": DOI})
    result = _run(router)
    assert result.status is Status.DEAD
    assert result.detail == (f"DOI {DOI} is not registered: no such DOI exists; check it for "
                             "typing errors")
    assert [str(c.request.url) for c in router.calls] == [HANDLE]


def test_a_handle_api_that_fails_is_an_error_and_no_target_is_fetched() -> None:
    router = respx.MockRouter()
    router.get(HANDLE).respond(500)
    result = _run(router, retries=0)
    assert result.status is Status.ERROR
    assert result.detail.startswith("could not ask the DOI system")
    assert [str(c.request.url) for c in router.calls] == [HANDLE]


def test_a_target_that_is_no_web_address_is_not_fetched() -> None:
    router = respx.MockRouter()
    _registered(router, target="ftp://journal.example.org/article.pdf")
    result = _run(router)
    assert result.status is Status.OK
    assert result.detail == (f"registered DOI {DOI}; it points to "
                             "ftp://journal.example.org/article.pdf")
    assert [str(c.request.url) for c in router.calls] == [HANDLE]


def test_the_target_is_fetched_once_for_each_doi() -> None:
    router = respx.MockRouter()
    handle = _registered(router)
    target = router.get(TARGET).respond(200, html=ARTICLE)
    _run(router)
    assert handle.call_count == 1 and target.call_count == 1
    assert json.loads(handle.calls[0].response.content)["responseCode"] == 1


def test_the_doi_systems_queue_does_not_wait_on_the_publishers() -> None:
    """Once the DOI system has answered, the next DOI is asked while the publisher is
    still answering: ``doi.org`` is a large run's busiest host."""
    dois = [f"10.9999/jsw.2012.00{i}" for i in range(1, 4)]
    asked: list[str] = []
    third_asked = asyncio.Event()

    async def handle(request: httpx.Request) -> httpx.Response:
        doi = request.url.path.removeprefix("/api/handles/")
        asked.append(doi)
        if doi == dois[-1]:
            third_asked.set()
        return httpx.Response(200, json={"responseCode": 1, "handle": doi, "values": [
            {"index": 1, "type": "URL", "data": {"format": "string",
                                                 "value": f"https://journal.test/{doi}"}}]})

    async def publisher(request: httpx.Request) -> httpx.Response:
        # The first two pages are held until the third DOI has been asked about.
        if not request.url.path.endswith(dois[-1]):
            await asyncio.wait_for(third_asked.wait(), 5)
        return httpx.Response(200, html=ARTICLE)

    router = respx.MockRouter()
    router.route(host="doi.test").mock(side_effect=handle)
    router.route(host="journal.test").mock(side_effect=publisher)
    source = Source(id="a", title="Article", position=Position("c.yaml", 1, 1), urls=tuple(
        CitedUrl(f"https://doi.org/{d}", Position("c.yaml", 2 + i, 1))
        for i, d in enumerate(dois)))
    case = Case(path="c.yaml", title="T", sources=(source,))

    async def go() -> RunReport:
        async with Fetcher(HttpSettings(per_host=1, concurrency=8),
                           transport=httpx.MockTransport(router.async_handler),
                           sleep=Waits(), watch_loop=False) as fetcher:
            return await check([case], fetcher, RunReport(),
                               CheckOptions(probe_url=None, doi_url="https://doi.test"))

    report = asyncio.run(asyncio.wait_for(go(), 10))
    assert asked == dois
    assert [r.status for r in report.results] == [Status.OK] * 3
    assert {r.detail for r in report.results} == {
        f"registered DOI {d}; it points to https://journal.test/{d}" for d in dois}


@pytest.mark.parametrize("status", [404, 200])
def test_an_html_page_in_place_of_the_handle_api_is_an_error_never_dead(status: int) -> None:
    # A proxy's page or a --doi-url naming another site: no responseCode, so no word on
    # the DOI.
    router = respx.MockRouter()
    router.get(HANDLE).respond(status, html="<title>Not Found</title><p>nginx</p>")
    result = _run(router, retries=0)
    assert result.status is Status.ERROR
    assert result.detail == (f"could not ask the DOI system: its answer ({status} "
                             f"{'Not Found' if status == 404 else 'OK'}) was not the handle "
                             "API's; check --doi-url and the network, then run again")
    assert [str(c.request.url) for c in router.calls] == [HANDLE]


@pytest.mark.parametrize("doi", ["10.9999/jsw#2012", "10.9999/jsw?2012"])
def test_a_doi_field_with_a_hash_or_question_mark_is_looked_up_whole(doi: str) -> None:
    # `#` and `?` are the DOI's own characters, not a URL's fragment or query: the DOI
    # asked about is the one in the case file, not a cut-short one that is not registered.
    from refcheck.cases import parse

    loaded = parse(f"case:\n  title: T\n  date: 2013-11-29\nsources:\n  - id: a\n"
                   f"    title: Article\n    doi: \"{doi}\"\n", "c.yaml")
    router = respx.MockRouter()
    encoded = doi.replace("#", "%23").replace("?", "%3F")
    router.get(f"https://doi.test/api/handles/{encoded}").respond(200, json={
        "responseCode": 1, "handle": doi, "values": [
            {"index": 1, "type": "URL", "data": {"format": "string", "value": TARGET}}]})
    router.get(TARGET).respond(200, html=ARTICLE)

    async def go() -> RunReport:
        async with Fetcher(HttpSettings(), transport=httpx.MockTransport(router.async_handler),
                           sleep=Waits(), watch_loop=False) as fetcher:
            return await check([loaded.case], fetcher, RunReport(),
                               CheckOptions(probe_url=None, doi_url="https://doi.test"))

    (result,) = asyncio.run(asyncio.wait_for(go(), 10)).results
    assert result.status is Status.OK
    assert result.detail.startswith(f"registered DOI {doi}; it points to {TARGET}")


@pytest.mark.parametrize("record", [
    {"responseCode": 200, "handle": DOI},  # the handle API's "values not found"
    {"responseCode": 1, "handle": DOI, "values": [
        {"index": 100, "type": "HS_ADMIN", "data": {"format": "admin", "value": {}}}]},
])
def test_a_registered_doi_with_no_web_address_says_so_and_what_to_do(
        record: dict[str, Any]) -> None:
    # The DOI system answered: it is not a failure to ask it, and nothing is fetched.
    router = respx.MockRouter()
    router.get(HANDLE).respond(200, json=record)
    result = _run(router)
    assert result.status is Status.ERROR
    assert result.detail == (f"DOI {DOI} is registered but names no web page, so it leads a "
                             "reader nowhere; ask the publisher (the DOI's registrant) to point "
                             "it at the work's page, or cite that page")
    assert [str(c.request.url) for c in router.calls] == [HANDLE]


def test_a_doi_whose_publisher_sends_robots_to_its_cookie_check_is_ok() -> None:
    router = respx.MockRouter()
    _registered(router)
    router.get(TARGET).respond(302, headers={
        "Location": "https://journal.example.org/action/cookieAbsent"})
    router.get("https://journal.example.org/action/cookieAbsent").respond(
        200, html="<title>Cookie absent</title><p>Cookies must be enabled.</p>")
    result = _run(router)
    assert result.status is Status.OK
    assert result.detail == (f"registered DOI {DOI}; it points to {TARGET}; the publisher "
                             "refuses automated checks, so the page itself was not seen")


@pytest.mark.parametrize(("status", "record", "said"), [
    (429, {"responseCode": 2, "message": "Too many requests"}, "429 Too Many Requests"),
    (500, {"responseCode": 2, "handle": DOI}, "500 Internal Server Error"),
    (503, None, "503 Service Unavailable"),
])
def test_a_handle_api_in_trouble_is_retried_then_an_error_to_run_again_never_dead(
        status: int, record: dict[str, Any] | None, said: str) -> None:
    router = respx.MockRouter()
    if record is None:
        handle = router.get(HANDLE).respond(status, html="<title>Service Unavailable</title>")
    else:
        handle = router.get(HANDLE).respond(status, json=record)
    result = _run(router, retries=2)
    assert handle.call_count == 3
    assert result.status is Status.ERROR
    assert result.detail == (f"could not ask the DOI system: it answered {said} after 3 "
                             f"tries; this says nothing of DOI {DOI}: run refcheck again later")
