"""Issue-4 verdicts in isolation: short links, meta refresh, section roots, the sibling
probe, quotes, DOIs and the best-of rule for sources with several URLs."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
from typing import Any

import httpx
import pytest
import respx

from refcheck.checker import CheckOptions, check
from refcheck.classify import meta_refresh_target
from refcheck.http import Fetcher, HttpSettings
from refcheck.model import (
    Answer,
    Case,
    CitedUrl,
    Fetch,
    Hop,
    LinkResult,
    Position,
    RunReport,
    Source,
    Status,
    decide,
)
from refcheck.probe import near_identical, sibling_of
from refcheck.report import Format
from refcheck.text import contains_quote, html_text, normalise
from refcheck.urls import doi_of, is_section_root, normalise_doi
from refcheck.verdict import classify
from tests import rot
from tests.conftest import Waits
from tests.pdfs import make_pdf

HTML = {"content-type": "text/html"}


def _case(urls: list[str], quote: str | None = None) -> Case:
    source = Source(id="a", title="A", quote=quote, position=Position("c.yaml", 1, 1),
                    urls=tuple(CitedUrl(u, Position("c.yaml", i + 2, 10))
                               for i, u in enumerate(urls)))
    return Case(path="c.yaml", title="T", sources=(source,))


def run(router: respx.MockRouter, case: Case, **options: Any) -> RunReport:
    async def go() -> RunReport:
        async with Fetcher(HttpSettings(), transport=httpx.MockTransport(router.async_handler),
                           sleep=Waits(), watch_loop=False) as fetcher:
            return await check([case], fetcher, RunReport(),
                               CheckOptions(probe_url=None, **options))
    return asyncio.run(asyncio.wait_for(go(), 10))


LONG = "<title>Report</title>" + "<p>Evidence of impact on families. </p>" * 80


def test_short_link_shows_its_expanded_target() -> None:
    router = respx.MockRouter()
    router.get("https://bit.ly/3abcXYZ").respond(301, headers={
        "Location": "https://www.gov.uk/government/publications/troubled-families"})
    router.get("https://www.gov.uk/government/publications/troubled-families").respond(
        200, html=LONG)
    (result,) = run(router, _case(["https://bit.ly/3abcXYZ"])).results
    assert result.status is Status.OK
    assert result.detail.startswith(
        "short link to https://www.gov.uk/government/publications/troubled-families")


@pytest.mark.parametrize(("short", "target"), [
    ("http://youtu.be/dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=youtu.be"),
    ("http://bbc.in/1a2B3c4", "https://www.bbc.co.uk/news/uk-england-manchester-21234567"),
])
def test_a_sites_own_short_link_is_a_short_link_not_a_move(short: str, target: str) -> None:
    router = respx.MockRouter()
    router.get(short).respond(301, headers={"Location": target})
    router.get(url__startswith=target.split("?")[0]).respond(200, html=LONG)
    (result,) = run(router, _case([short])).results
    assert result.status is Status.OK, result.detail
    assert result.detail.startswith(f"short link to {target}")


def test_short_link_to_a_dead_page_is_dead() -> None:
    router = respx.MockRouter()
    router.get("https://tinyurl.com/abc").respond(301, headers={
        "Location": "http://council.example.gov.uk/old/report.pdf"})
    router.get("http://council.example.gov.uk/old/report.pdf").respond(404)
    (result,) = run(router, _case(["https://tinyurl.com/abc"])).results
    assert result.status is Status.DEAD
    assert "short link to http://council.example.gov.uk/old/report.pdf" in result.detail


def test_goo_gl_is_dead_without_a_request() -> None:
    router = respx.MockRouter(assert_all_called=False)
    (result,) = run(router, _case(["https://goo.gl/fbsS"])).results
    assert result.status is Status.DEAD and "25 August 2025" in result.detail
    assert not router.calls


def test_meta_refresh_is_read() -> None:
    body = b'<meta http-equiv="refresh" content="0; url=/new/page.html"><title>x</title>'
    assert meta_refresh_target(body) == "/new/page.html"
    assert meta_refresh_target(b"<meta http-equiv='Refresh' content='5;URL=http://a/b'>") == \
        "http://a/b"
    assert meta_refresh_target(b'<meta http-equiv="refresh" content="600">') is None
    assert meta_refresh_target(b'<meta http-equiv="refresh" content="300; url=/x">') is None


#: Facebook's page as a browser without JavaScript would be sent on from it: a meta refresh
#: inside <noscript>, which a browser running scripts does not read.
FACEBOOK_PAGE = (
    '<!DOCTYPE html><html lang="en" id="facebook" class="no_js"><head><meta charset="utf-8" />'
    '<script nonce="x">function envFlush(a){}</script><title>Dibyesh Anand | Facebook</title>'
    '<noscript><meta http-equiv="refresh" content="0; URL=/dibyesh/?_fb_noscript=1" />'
    '</noscript><meta property="og:url" content="https://www.facebook.com/dibyesh" /></head>'
    '<body><div id="content">' + "<p>Professor of International Relations. </p>" * 60
    + "</div></body></html>")


def test_a_meta_refresh_for_browsers_without_javascript_is_not_followed() -> None:
    router = respx.MockRouter()
    router.get("https://www.facebook.com/dibyesh").respond(200, html=FACEBOOK_PAGE)
    nojs = router.get("https://www.facebook.com/dibyesh/?_fb_noscript=1").respond(
        200, html=LONG)
    (result,) = run(router, _case(["https://www.facebook.com/dibyesh"]),
                    sibling_probe=False).results
    assert result.status is Status.OK, result.detail
    assert result.detail == "200 OK" and not nojs.called
    # Outside <noscript>, after one, it is followed.
    assert meta_refresh_target(b'<noscript><img src="/px"></noscript><meta http-equiv='
                               b'"refresh" content="0; url=/new">') == "/new"


def test_meta_refresh_is_followed_as_a_redirect() -> None:
    router = respx.MockRouter()
    router.get("https://a.test/old").respond(
        200, html='<meta http-equiv="refresh" content="0; url=/new">')
    router.get("https://a.test/new").respond(200, html=LONG)
    (result,) = run(router, _case(["https://a.test/old"]), sibling_probe=False).results
    assert result.status is Status.MOVED
    assert result.final_url == "https://a.test/new"
    assert [h.status for h in result.redirects] == [200]


@pytest.mark.parametrize(
    ("original", "final", "root"),
    [
        ("https://c.gov.uk/news/2012/03/item.htm", "https://c.gov.uk/news/", True),
        ("https://c.gov.uk/news/2012/03/item.htm", "https://www.c.gov.uk/news/2012/", True),
        ("https://c.gov.uk/news/item", "https://c.gov.uk/events/", False),
        ("https://c.gov.uk/news/", "https://c.gov.uk/news/", False),
        ("https://c.gov.uk/news/item", "https://other.gov.uk/news/", False),
        # A document, or the page itself without its view: not a section.
        ("https://le.ac.uk/media/documents/report.pdf/view", "https://le.ac.uk/media/documents/"
         "report.pdf", False),
        ("https://c.gov.uk/reports/annual.html/index", "https://c.gov.uk/reports/annual.html",
         False),
        ("https://c.gov.uk/news/2013/carers-week/print", "https://c.gov.uk/news/2013/carers-week",
         False),
        ("https://c.gov.uk/news/2013/view", "https://c.gov.uk/news/", True),
        # A redesign that flattened the site: the section is further up than the page's.
        ("https://c.gov.uk/cyp/news/2012/item", "https://c.gov.uk/news/", True),
        ("https://c.gov.uk/en/publications/reports/annual-2012", "https://c.gov.uk/"
         "publications/reports", True),
        # The page itself, moved up: its own last folder (or file) goes with it.
        ("https://c.gov.uk/cms/articles/1234", "https://c.gov.uk/articles/1234", False),
        ("https://c.gov.uk/old/section/report-2012", "https://c.gov.uk/report-2012", False),
        ("https://c.gov.uk/about/news/item", "https://c.gov.uk/events/news-archive", False),
        # A server that ignores case (IIS, SharePoint): cited in its old spelling.
        ("https://c.gov.uk/News/2012/Carers-Week.aspx", "https://c.gov.uk/news/", True),
        ("https://c.gov.uk/CYP/News%20Items/2012/item", "https://c.gov.uk/news%20items", True),
        ("https://c.gov.uk/Cms/Articles/1234", "https://c.gov.uk/articles/1234", False),
        # A folder's own page, sent to the folder: NHS Choices' SharePoint addresses, now
        # the condition's page; but a news item's page in SharePoint is an item.
        ("http://www.nhs.uk/conditions/Aspergillosis/Pages/Introduction.aspx",
         "https://www.nhs.uk/conditions/aspergillosis/", False),
        ("https://c.gov.uk/services/carers/overview", "https://c.gov.uk/services/carers/",
         False),
        ("https://c.gov.uk/news/Pages/default.aspx", "https://c.gov.uk/news/", False),
        ("https://c.gov.uk/news/Pages/carers-week.aspx", "https://c.gov.uk/news/", True),
        ("https://c.gov.uk/news/2012/overview", "https://c.gov.uk/news/", True),
    ],
)
def test_section_roots(original: str, final: str, root: bool) -> None:
    assert is_section_root(original, final) is root


def test_redirect_to_section_root_is_soft_404() -> None:
    url = "https://c.gov.uk/news/2012/03/item.htm"
    fetch = Fetch(url, (Hop(url, 301, "https://c.gov.uk/news/"),),
                  Answer("https://c.gov.uk/news/", 200, "", HTML, LONG.encode()))
    assert classify(fetch).status is Status.SOFT_404


def test_sibling_address_and_similarity() -> None:
    assert sibling_of("https://c.gov.uk/a/b/report.htm?x=1", "abc") == \
        "https://c.gov.uk/a/b/refcheck-probe-abc.htm"
    assert sibling_of("https://c.gov.uk/a/b/", "abc") == "https://c.gov.uk/a/b/refcheck-probe-abc"
    page = Answer("https://c/x", 200, "", HTML, b"<title>Welcome</title><p>Council 2024</p>")
    same = Answer("https://c/y", 200, "", HTML, b"<title>Welcome</title><p>Council 2025</p>")
    other = Answer("https://c/z", 200, "", HTML, b"<title>Budget</title><p>Spending plans</p>")
    assert near_identical(page, same) and not near_identical(page, other)


def test_catch_all_site_is_soft_404_and_probed_once_per_folder() -> None:
    router = respx.MockRouter()
    generic = "<title>Welcome to Example Council</title><p>Find services.</p>"
    route = router.get(host="c.test").respond(200, html=generic)
    report = run(router, _case(["https://c.test/r/a.htm", "https://c.test/r/b.htm"]))
    assert [r.status for r in report.results] == [Status.SOFT_404, Status.SOFT_404]
    probes = [c for c in route.calls if "refcheck-probe" in str(c.request.url)]
    assert len(probes) == 1


#: A site's long home page, naming itself the home page in its head (as WordPress's and
#: Drupal's do for the page they render).
HOME = ('<html><head><title>Springboard Family Project</title><link rel="canonical" '
        'href="https://c.test/"><meta property="og:url" content="https://c.test/"></head>'
        "<body>" + "<p>Welcome to the Springboard family project in Blackpool. </p>" * 80
        + "</body></html>")


@pytest.mark.parametrize("host", ["c.test", "www.c.test"])
def test_a_deep_address_that_shows_the_home_page_is_probed_and_soft_404(host: str) -> None:
    """A site that shows its home page, unredirected, for an address it no longer has:
    the page says it is the home page (on its own host, or with or without ``www.``), and
    a made-up address beside it gets the same."""
    router = respx.MockRouter()
    router.get(host=host).respond(200, html=HOME)
    (result,) = run(router, _case([f"https://{host}/reports/2012/evaluation"])).results
    assert result.status is Status.SOFT_404, result.detail


@pytest.mark.parametrize("head", [
    # A site whose every page names the home page (a known SEO plug-in mistake).
    '<link href="/" rel="canonical">',
    # The page names itself.
    '<link rel="canonical" href="https://c.test/reports/2012/evaluation">',
])
def test_a_real_page_that_names_a_canonical_address_stays_ok(head: str) -> None:
    router = respx.MockRouter()
    router.get(url__regex=r"refcheck-probe").respond(404, html="<title>Not found</title>")
    router.get(host="c.test").respond(200, html=f"<html><head><title>Evaluation</title>{head}"
                                      f"</head><body>{LONG}</body></html>")
    (result,) = run(router, _case(["https://c.test/reports/2012/evaluation"])).results
    assert result.status is Status.OK, result.detail


@pytest.mark.parametrize("signed", [
    "https://bucket.s3.eu-west-2.amazonaws.com/reports/evaluation.pdf?X-Amz-Algorithm=AWS4-HMAC"
    "-SHA256&X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=0123456789abcdef",
    "https://files.c.test/evaluation.pdf?token=9f8e7d6c5b4a",
])
def test_a_download_sent_to_an_address_the_server_signs_is_ok_as_cited(signed: str) -> None:
    """A repository's download link that redirects to a signed address: the signed one
    expires within minutes, so it is never the new address to cite."""
    router = respx.MockRouter()
    router.get("https://c.test/download/evaluation").respond(301, headers={"Location": signed})
    router.get(url__startswith=signed.split("?")[0]).respond(
        200, content=b"%PDF-1.4 report", headers={"content-type": "application/pdf"})
    (result,) = run(router, _case(["https://c.test/download/evaluation"])).results
    assert result.status is Status.OK, result.detail
    assert "cite the new address" not in result.detail
    assert result.detail.endswith("an address with credentials the server added, which "
                                  "expire: keep the address as cited)")


#: A web application's shell as React's, Angular's and Vue's build tools write it: the same
#: few bytes at every address, the page drawn by the scripts.
APP_SHELLS = [
    '<!doctype html><html><head><title>Coronavirus (COVID-19) in the UK</title><script defer '
    'src="/static/js/main.4f2a.js"></script></head><body><noscript>You need to enable '
    'JavaScript to run this app.</noscript><div id="root"></div></body></html>',
    '<!doctype html><html><head><title>Flood map for planning</title></head><body><app-root>'
    '</app-root><script src="main.8c1d.js"></script></body></html>',
    '<html><head><title>Data explorer</title></head><body><div id="app"></div><script '
    'src="/js/chunk-vendors.js"></script></body></html>',
    # DSpace 7's repository pages without server-side rendering: its Angular root element.
    '<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><base href="/"><title>FAO '
    'Knowledge Repository</title></head><body><ds-app></ds-app><script src="runtime.js" '
    'type="module"></script><script src="main.js" type="module"></script></body></html>',
    # YouTube's watch page as served (Polymer's <ytd-app>, the links in it hidden).
    '<!DOCTYPE html><html lang="en-GB"><head><title>Marine renewables lecture - YouTube'
    '</title><link rel="canonical" href="https://www.youtube.com/watch?v=G4XrhcQ5khs"></head>'
    '<body dir="ltr"><script>var ytInitialPlayerResponse = {"playabilityStatus": {"status": '
    '"OK"}};</script><ytd-app disable-upgrade="true"><ytd-masthead id="masthead" '
    'class="shell"><div id="search-container"></div></ytd-masthead><a slot="guide-links-'
    'primary" href="https://www.youtube.com/about/" style="display: none;">About</a>'
    '</ytd-app></body></html>',
]


@pytest.mark.parametrize("shell", APP_SHELLS)
def test_a_web_applications_page_is_not_taken_for_a_catch_all(shell: str) -> None:
    """A web application shows the same shell at every address and draws the page in the
    browser: that a made-up address gets it too says nothing of the cited one, so the link
    is not called dead, and the user is told to look in a browser."""
    router = respx.MockRouter()
    router.get(host="c.test").respond(200, html=shell)
    (result,) = run(router, _case(["https://c.test/details/cases?areaName=England"])).results
    assert result.status is Status.OK, result.detail
    assert "a web application's page, drawn by its scripts" in result.detail
    assert result.detail.endswith("open it in a browser to confirm")


def test_a_quote_on_a_page_drawn_by_its_scripts_is_not_called_missing() -> None:
    """A video's page, a tweet: the words are drawn in the browser, so a quote refcheck
    cannot see is not checked, and the user is told to look."""
    router = respx.MockRouter()
    router.get(host="www.youtube.com").respond(200, html=rot.YOUTUBE_WATCH.decode())
    (result,) = run(router, _case(["https://www.youtube.com/watch?v=Exf02R1FnXY"],
                                  quote="Young carers talk about school")).results
    assert result.status is Status.OK, result.detail
    assert result.detail.endswith("cannot read its text and the quote was not checked: look "
                                  "for it in a browser")
    # A quote it does show is found.
    (result,) = run(router, _case(["https://www.youtube.com/watch?v=Exf02R1FnXY"],
                                  quote="Young carers in Salford")).results
    assert result.detail.endswith("the quote is there"), result.detail


#: A small site built with Next.js that shows its home page, drawn on the server inside
#: Next's root element, at any address it no longer has.
NEXT_HOME = (
    '<!DOCTYPE html><html><head><title>Springboard Family Project</title><link rel="canonical" '
    'href="https://c.test/"></head><body><div id="__next"><header><nav><a href="/">Home</a>'
    '<a href="/about">About</a></nav></header><main><h1>Welcome to Springboard</h1>'
    + "<p>We support families in Blackpool with advice and activities. </p>" * 12
    + '</main></div><script src="/_next/static/chunks/main.js"></script></body></html>')


def test_a_page_drawn_on_the_server_in_an_applications_element_is_still_a_catch_all() -> None:
    """Next's root element round a page with text of its own is no empty shell: refcheck
    can read it, and it is the home page shown for a lost address."""
    router = respx.MockRouter()
    router.get(host="c.test").respond(200, html=NEXT_HOME)
    (result,) = run(router, _case(["https://c.test/reports/2012/evaluation"])).results
    assert result.status is Status.SOFT_404, result.detail
    assert "cannot see" not in result.detail


def test_a_tweet_on_x_com_is_a_web_application_not_a_parked_domain() -> None:
    """x.com titles every page with its bare domain and, without JavaScript, shows only
    its scripts' fallback ("Something went wrong, but don't fret"): not a parked domain,
    not an error page, but a page refcheck cannot see, and it says so."""
    router = respx.MockRouter()
    router.get(host="x.com").respond(200, html=rot.X_SHELL.decode())
    (result,) = run(router, _case(["https://x.com/salfordcarers/status/241438450061045760"])
                    ).results
    assert result.status is Status.OK, result.detail
    assert result.detail.endswith("refcheck cannot see whether this one holds the evidence; "
                                  "open it in a browser to confirm")


def test_a_parking_lander_drawn_by_a_script_is_still_a_catch_all() -> None:
    router = respx.MockRouter()
    router.get(host="salfordcarers.org.uk").respond(200, html=(
        '<html><head><title>salfordcarers.org.uk</title></head><body><div id="root"></div>'
        '<script src="/js/lander.js"></script></body></html>'))
    (result,) = run(router, _case(["https://salfordcarers.org.uk/young-carers/report"])).results
    assert result.status is Status.SOFT_404, result.detail


def test_a_cited_pdf_sent_empty_is_not_the_document() -> None:
    """A download script whose file is gone answers 200 with nothing: the server says so
    in its Content-Length, though a PDF's body is not read without a quote."""
    router = respx.MockRouter()
    router.get("https://c.test/docs/report.pdf").respond(
        200, content=b"", headers={"content-type": "application/pdf", "content-length": "0"})
    (result,) = run(router, _case(["https://c.test/docs/report.pdf"])).results
    assert result.status is Status.SOFT_404, result.detail
    assert "empty" in result.detail


def test_long_plain_page_is_never_probed() -> None:
    router = respx.MockRouter()
    route = router.get(host="c.test").respond(200, html=LONG)
    (result,) = run(router, _case(["https://c.test/report"])).results
    assert result.status is Status.OK and route.call_count == 1


def test_quote_matching_ignores_case_spacing_and_typography() -> None:
    text = "The \u201cgrip\u201d of family\u00a0intervention work\u2014in practice\nand pro-\nvides"
    assert contains_quote(text, '"GRIP" of family intervention work-in practice and provides')
    assert not contains_quote(text, "not there")
    assert normalise("  A\u2019s   B ") == "a's b"
    # A soft hyphen (U+00AD, invisible on the page, common in PDFs) does not break a word.
    assert contains_quote("a co\u00adordinated approach", "a coordinated approach")


@pytest.mark.parametrize("text", [
    html_text(rot.DROP_CAP),  # "<span>T</span>he": one word on the screen
    "The eval uation found that res pite breaks made the greatest differ ence",  # pypdf
    "The evaluation found thatrespite breaks made the greatestdifference",  # pypdf again
])
def test_a_quote_matches_words_the_page_or_pdf_text_splits_or_joins(text: str) -> None:
    assert contains_quote(text, rot.RESPITE_QUOTE)
    assert not contains_quote(text, "The evaluation found that short breaks made")


@pytest.mark.parametrize("quote", [
    "the evaluation found that ... made the greatest difference",
    "The evaluation found that [\u2026] made the greatest difference",
    "\u201cThe evaluation found that respite breaks (...) the greatest difference\u201d",
])
def test_a_quote_that_leaves_words_out_matches_its_parts_in_order(quote: str) -> None:
    text = html_text(rot.DROP_CAP)
    assert contains_quote(text, quote)
    assert not contains_quote(text, "made the greatest difference ... the evaluation found")
    assert not contains_quote(text, "the evaluation found that ... made no difference")


@pytest.mark.parametrize("home", [
    # Springer Nature's cookie check, on the way back from its sign-in service.
    "https://link.springer.com/?error=cookies_not_supported&code=7c1e2a4b-9f3d",
    # A Java site's session, put in the address of a visitor without cookies.
    "https://c.test/;jsessionid=0123456789ABCDEF0123456789ABCDEF",
    "https://c.test/news/?PHPSESSID=0123456789abcdef0123456789",
])
def test_a_redirect_home_with_a_session_in_the_address_is_never_a_move_to_cite(
        home: str) -> None:
    host = home.split("/")[2]
    cited = f"https://{host}/news/2012/evaluation-report"
    router = respx.MockRouter()
    router.get(cited).respond(301, headers={"Location": home})
    router.get(url__regex="refcheck-probe").respond(404)
    router.get(host=host).respond(200, html=LONG)
    (result,) = run(router, _case([cited])).results
    assert result.status is Status.SOFT_404, result.detail
    assert "cite the new address" not in result.detail


def test_a_home_page_that_redirects_to_its_language_home_is_not_a_soft_404() -> None:
    """A cited home page redirecting to another form of the home page (/ to /en/) is the
    site answering for itself, not a lost page sent home."""
    url = "https://www.example.org/"
    fetch = Fetch(url, hops=(Hop(url, 302, "https://www.example.org/en/"),),
                  answer=Answer("https://www.example.org/en/", 200, "OK", HTML, LONG.encode()))
    assert classify(fetch).status is Status.MOVED
    deep = "https://www.example.org/reports/2012/summary.html"
    moved_home = Fetch(deep, hops=(Hop(deep, 302, "https://www.example.org/en/"),),
                       answer=fetch.answer)
    assert classify(moved_home).status is Status.SOFT_404


def test_quote_missing_from_live_page_is_drifted() -> None:
    router = respx.MockRouter()
    router.get("https://a.test/p").respond(200, html=LONG)
    (result,) = run(router, _case(["https://a.test/p"], quote="Springboard model")).results
    assert result.status is Status.DRIFTED
    assert "no longer contains the quote \u201cSpringboard model\u201d" in result.detail


@pytest.mark.parametrize(
    ("text", "doi"),
    [("10.1002/car.934", "10.1002/car.934"), ("doi:10.1002/car.934", "10.1002/car.934"),
     ("https://doi.org/10.1016/j.nedt.2005.05.003", "10.1016/j.nedt.2005.05.003"),
     ("car.934", None),
     # As case studies print it, and as a browser's address bar shows it.
     ("DOI: 10.1002/car.934", "10.1002/car.934"), ("Doi:10.1002/car.934", "10.1002/car.934"),
     ("https://DOI.ORG/10.1002/car.934", "10.1002/car.934"),
     ("https://www.doi.org/10.1002/car.934", "10.1002/car.934"),
     ("doi.org/10.1002/car.934", "10.1002/car.934"),
     ("http://dx.doi.org/10.1002/car.934", "10.1002/car.934")],
)
def test_dois_are_normalised(text: str, doi: str | None) -> None:
    assert normalise_doi(text) == doi


def test_doi_urls_are_recognised() -> None:
    assert doi_of("http://dx.doi.org/10.1002/car.934") == "10.1002/car.934"
    assert doi_of("https://doi.org/10.1002%2Fcar.934") == "10.1002/car.934"
    assert doi_of("https://www.doi.org/the-identifier/what-is-a-doi/") is None
    assert doi_of("HTTPS://DX.DOI.ORG/10.1002/car.934") == "10.1002/car.934"
    assert doi_of("https://doi.org:443/10.1002/car.934") == "10.1002/car.934"
    assert doi_of("https://someone@doi.org/10.1002/car.934") == "10.1002/car.934"
    assert doi_of("https://doi.org.evil.test/10.1002/car.934") is None
    assert doi_of("https://[doi.org/10.1002/car.934") is None


def test_doi_checked_with_the_handle_api_not_the_publisher() -> None:
    router = respx.MockRouter()
    router.get("https://doi.test/api/handles/10.1002/car.934").respond(200, json={
        "responseCode": 1, "handle": "10.1002/car.934",
        "values": [{"index": 1, "type": "URL", "data": {"format": "string",
                    "value": "https://onlinelibrary.wiley.com/doi/10.1002/car.934"}}]})
    router.get("https://doi.test/api/handles/10.1002/nope").respond(
        404, content=json.dumps({"responseCode": 100, "handle": "10.1002/nope"}).encode())
    # The publisher's bot wall: the DOI system's word stands.
    router.get("https://onlinelibrary.wiley.com/doi/10.1002/car.934").respond(403)
    report = run(router, _case(["https://doi.org/10.1002/car.934",
                                "https://doi.org/10.1002/nope"]), doi_url="https://doi.test")
    by_url = {r.cited.url: r for r in report.results if r.cited}
    ok, missing = by_url["https://doi.org/10.1002/car.934"], by_url["https://doi.org/10.1002/nope"]
    assert ok.status is Status.OK
    assert ok.final_url == "https://onlinelibrary.wiley.com/doi/10.1002/car.934"
    assert missing.status is Status.DEAD and "not registered" in missing.detail


def test_source_verdict_is_the_best_of_its_urls() -> None:
    case = _case(["https://a.test/gone", "https://a.test/there"])
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    source = case.sources[0]
    dead = LinkResult(case, source, source.urls[0], Status.DEAD, "404", checked_at=now)
    fine = LinkResult(case, source, source.urls[1], Status.OK, "200", checked_at=now)
    assert decide(RunReport(cases=[case], results=[dead, fine])).exit_code == 0
    assert decide(RunReport(cases=[case], results=[dead])).exit_code == 1


# -- review of session 11: canonical redirects, home pages, sessions, maintenance --------------

def _redirect_case(cited: str, location: str, body: str = LONG, status: int = 200
                   ) -> LinkResult:
    router = respx.MockRouter()
    router.get(cited).respond(301, headers={"Location": location})
    router.get(location).respond(status, html=body)
    (result,) = run(router, _case([cited]), sibling_probe=False).results
    return result


@pytest.mark.parametrize(("cited", "location"), [
    ("http://c.gov.uk/reports/2012/index.html", "https://c.gov.uk/reports/2012/"),
    ("http://c.ac.uk/about/default.aspx", "http://c.ac.uk/about/"),
    ("http://c.ac.uk/project/springboard", "http://c.ac.uk/project/springboard;jsessionid=8A3"),
])
def test_a_canonical_redirect_to_the_same_page_is_ok(cited: str, location: str) -> None:
    result = _redirect_case(cited, location)
    assert result.status is Status.OK, result.detail


@pytest.mark.parametrize("home", ["/en/home", "/homepage", "/Pages/default.aspx", "/cy/hafan",
                                  "/?utm_source=old", "/?lang=en", "/index.php?page=home"])
def test_a_redirect_to_a_home_page_under_another_name_is_not_a_move(home: str) -> None:
    result = _redirect_case("http://c.gov.uk/services/evaluation2012.aspx",
                            f"https://www.c.gov.uk{home}")
    assert result.status is Status.SOFT_404
    assert "home page" in result.detail


def test_a_redirect_to_a_post_on_the_front_page_address_is_a_move() -> None:
    result = _redirect_case("http://c.org.uk/news/evaluation-2012",
                            "https://c.org.uk/?p=4711")
    assert result.status is Status.MOVED, result.detail


def test_a_move_is_cited_without_the_session_the_server_added() -> None:
    result = _redirect_case("http://c.ac.uk/project/old",
                            "http://c.ac.uk/research/springboard;jsessionid=8A3F0C1D")
    assert result.status is Status.MOVED
    assert result.detail == "moved to http://c.ac.uk/research/springboard; cite the new address"


def _springer_nature_cookie_check(router: respx.MockRouter, page: str) -> None:
    """Springer Nature's sign-in service, as a client that does not keep its cookie meets
    it: sent to idp.nature.com and back to the page, with the cookie check's error and that
    visit's code in the address."""
    back = page.replace(":", "%3A").replace("/", "%2F")
    authorize = (f"https://idp.nature.com/authorize?response_type=cookie&client_id=grover"
                 f"&redirect_uri={back}")
    transit = f"https://idp.nature.com/transit?redirect_uri={back}&code=27d1c0c4-4bb5"
    router.get(f"{page}?error=cookies_not_supported&code=27d1c0c4-4bb5").respond(
        200, html=LONG)
    router.get(transit).respond(302, headers={
        "Location": f"{page}?error=cookies_not_supported&code=27d1c0c4-4bb5"})
    router.get(authorize).respond(302, headers={"Location": transit})
    router.get(page).respond(303, headers={"Location": authorize})


def test_springer_natures_cookie_check_is_the_cited_page_not_a_move() -> None:
    router = respx.MockRouter()
    _springer_nature_cookie_check(router, "https://www.nature.com/articles/nature09512")
    old = "http://www.nature.com/nature/journal/v467/n7319/full/nature09512.html"
    router.get(old).respond(301, headers={"Location": "https://www.nature.com/articles/"
                                                      "nature09512"})
    report = run(router, _case(["https://www.nature.com/articles/nature09512", old]),
                 sibling_probe=False)
    by_url = {r.cited.url: r for r in report.results if r.cited is not None}
    current = by_url["https://www.nature.com/articles/nature09512"]
    assert current.status is Status.OK, current.detail
    assert "cite" not in current.detail
    moved = by_url[old]  # a real move, to the page's own address without the check's
    assert moved.status is Status.MOVED
    assert moved.detail == ("moved to https://www.nature.com/articles/nature09512; cite the "
                            "new address")


def test_a_move_through_springers_cookie_check_is_to_be_cited_without_it() -> None:
    # link.springer.com/10.1007/… (a DOI's usual target) moves to /article/10.1007/…, by
    # way of the cookie check: the report's "What to do" names the article's address, not
    # one with this visit's ?error=cookies_not_supported&code=….
    router = respx.MockRouter()
    article = "https://link.springer.com/article/10.1007/s10826-012-9664-0"
    _springer_nature_cookie_check(router, article)
    old = "http://link.springer.com/10.1007/s10826-012-9664-0"
    router.get(old).respond(301, headers={"Location": article})
    report = run(router, _case([old]), sibling_probe=False)
    (result,) = report.results
    assert result.status is Status.MOVED
    out = io.StringIO()
    Format.terminal.renderer().render(report, decide(report), out)
    text = out.getvalue()
    assert f"a - moved; check that the new page (\u201cReport\u201d) is the same evidence, " \
           f"then cite {article}\n" in text
    assert "cookies_not_supported" not in text.split("What to do", 1)[1]


def test_a_maintenance_page_is_an_error_to_try_again_not_a_lost_site() -> None:
    router = respx.MockRouter()
    router.get("https://c.ac.uk/report").respond(200, html=(
        "<title>Under Maintenance</title><h1>Under maintenance</h1>"
        "<p>Please check back in a few hours.</p>"))
    (result,) = run(router, _case(["https://c.ac.uk/report"]), sibling_probe=False).results
    assert result.status is Status.ERROR
    assert "maintenance page" in result.detail and "try again later" in result.detail


def test_a_lapsed_domain_sending_each_visitor_to_another_advertiser_is_not_a_move() -> None:
    """Each request to the lapsed domain is sent to a different advertiser, so the made-up
    address beside the cited one does not get the same page: that it was sent to a third
    site is what shows the domain is no longer the organisation's."""
    router = respx.MockRouter()
    advertisers = iter(["https://casino.test/free-spins", "https://vpn-deals.test/offer"])
    router.get(host="familysupport-salford.org.uk").mock(
        side_effect=lambda request: httpx.Response(302, headers={"Location": next(advertisers)}))
    router.get(host="casino.test").respond(200, html="<title>Free spins</title>" + (
        "<p>Claim 200 free spins on your first deposit at the best UK casino. </p>" * 30))
    router.get(host="vpn-deals.test").respond(200, html="<title>VPN deal</title>" + (
        "<p>Stay private online: our VPN is 80% off for new customers today only. </p>" * 30))
    (result,) = run(router, _case(
        ["http://familysupport-salford.org.uk/reports/evaluation-2012.html"])).results
    assert result.status is Status.SOFT_404, result.detail
    assert "cite the new address" not in result.detail
    assert "unrelated sites" in result.detail


@pytest.mark.parametrize("unknown", [
    httpx.Response(404),
    # The new site answers an unknown address with its search page: a page on the same
    # site as the cited link's, so not a third site.
    httpx.Response(302, headers={"Location": "https://search.cardiffmet.ac.uk/?q=report"}),
])
def test_a_renamed_organisation_sending_old_addresses_to_its_new_site_is_a_move(
        unknown: httpx.Response) -> None:
    router = respx.MockRouter()
    router.get(host="uwic.ac.uk").mock(side_effect=lambda request: httpx.Response(
        301, headers={"Location": f"https://www.cardiffmet.ac.uk{request.url.path}"}))
    router.get("https://www.cardiffmet.ac.uk/research/report.html").respond(200, html=LONG)
    router.get(host="www.cardiffmet.ac.uk").mock(return_value=unknown)
    router.get(host="search.cardiffmet.ac.uk").respond(200, html=(
        "<title>Search | Cardiff Met</title>" + "<p>Results for your search. </p>" * 60))
    (result,) = run(router, _case(["http://uwic.ac.uk/research/report.html"])).results
    assert result.status is Status.MOVED, result.detail


@pytest.mark.parametrize(("status", "body", "walled"), [
    (200, '<html><head><meta name="robots" content="noindex,nofollow"><script src='
          '"/_Incapsula_Resource?SWJIYLWA=5074a744e2e3d891814e9a2dace20bd4"></script></head>'
          '<body></body></html>', True),
    (403, '<html><body><iframe src="/_Incapsula_Resource?CWUDNSAI=9">Request unsuccessful. '
          'Incapsula incident ID: 1234000560078-123</iframe></body></html>', True),
    (200, LONG + '<script src="/_Incapsula_Resource?SWJIYLWA=5074a744"></script>', False),
])
def test_an_imperva_wall_is_blocked_but_a_page_it_lets_through_is_not(
        status: int, body: str, walled: bool) -> None:
    url = "https://www.c.gov.uk/report"
    verdict = classify(Fetch(url, answer=Answer(url, status, "", HTML, body.encode())))
    assert (verdict.status is Status.BLOCKED) is walled, verdict.detail
    assert "bot check" in verdict.detail if walled else verdict.status is Status.OK


#: Cloudflare's captcha page (200 behind some set-ups): its whole text, about 1,000
#: characters.
CLOUDFLARE_CAPTCHA = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Attention Required! | Cloudflare</title>'
    '</head><body><div id="cf-wrapper"><div class="cf-alert">Please enable cookies.</div>'
    '<div id="cf-error-details"><h1>One more step</h1><h2>Please complete the security '
    'check to access www.c.gov.uk</h2><form id="challenge-form"><script src="https://www.'
    'google.com/recaptcha/api.js"></script></form><h2>Why do I have to complete a CAPTCHA?'
    '</h2><p>Completing the CAPTCHA proves you are a human and gives you temporary access '
    'to the web property.</p><h2>What can I do to prevent this in the future?</h2><p>If you '
    'are on a personal connection, like at home, you can run an anti-virus scan on your '
    'device to make sure it is not infected with malware.</p><p>If you are at an office or '
    'shared network, you can ask the network administrator to run a scan across the network '
    'looking for misconfigured or infected devices.</p><p>Another way to prevent getting '
    'this page in the future is to use Privacy Pass. You may need to download version 2.0 '
    'now from the Chrome Web Store.</p><p>Cloudflare Ray ID: 6c2e9f9e3a4b4c5d &bull; Your '
    'IP: 203.0.113.7 &bull; Performance &amp; security by Cloudflare</p></div></div>'
    '</body></html>')


@pytest.mark.parametrize(("title", "walled"), [
    ("Attention Required! | Cloudflare", True),
    ("One more step towards a malaria vaccine - BBC News", False),
    ("Access denied: disabled people and the benefits system | The Guardian", False),
    ("Security checks at UK airports to be tightened - BBC News", False),
    ("Please verify your identity to vote, says Electoral Commission - BBC News", False),
])
def test_a_page_titled_like_a_bot_check_is_one_only_while_it_says_little(
        title: str, walled: bool) -> None:
    """A bot wall's title ("Access Denied", "Security check", "One more step") begins many a
    headline: a long article so titled is the evidence, not a wall."""
    body = (CLOUDFLARE_CAPTCHA if walled else
            f"<title>{title}</title><h1>{title}</h1>" + LONG.split("</title>", 1)[1])
    url = "https://www.c.gov.uk/news/health-23456789"
    verdict = classify(Fetch(url, answer=Answer(url, 200, "", HTML, body.encode())))
    assert (verdict.status is Status.BLOCKED) is walled, verdict.detail
    assert "bot check" in verdict.detail if walled else verdict.detail == "200 OK"


def test_a_redirect_to_the_uk_federations_where_are_you_from_page_is_a_sign_in() -> None:
    wayf = ("https://wayf.ukfederation.org.uk/DS002/uk.ds?entityID=https%3A%2F%2Fsp.c.ac.uk"
            "%2Fshibboleth&return=https%3A%2F%2Fsp.c.ac.uk%2FShibboleth.sso%2FLogin")
    result = _redirect_case("https://sp.c.ac.uk/reports/evaluation.pdf", wayf, body=(
        "<title>Select your organisation</title><p>Choose where you are from.</p>"))
    assert result.status is Status.BLOCKED
    assert "login page" in result.detail


# -- shorteners' own pages ----------------------------------------------------------------------

BITLY_WARNING = ("<!DOCTYPE html><html><head><title>Warning! | There might be a problem with "
                 "the requested link</title></head><body><h1>Warning! There might be a "
                 "problem with the requested link</h1><p>The link you requested has been "
                 "identified by Bitly as being potentially problematic.</p><a href=\"#\">"
                 "Continue at your own risk</a></body></html>")


def test_a_bitly_warning_page_is_blocked_never_the_short_links_expansion() -> None:
    router = respx.MockRouter()
    router.get("http://bit.ly/1aBcDeF").respond(301, headers={"Location": (
        "http://bitly.com/a/warning?hash=1aBcDeF&url=http%3A%2F%2Fspringboard-blackpool.org.uk"
        "%2Freport")})
    router.get(url__startswith="http://bitly.com/a/warning").respond(200, html=BITLY_WARNING)
    (result,) = run(router, _case(["http://bit.ly/1aBcDeF"])).results
    assert result.status is Status.BLOCKED, result.detail
    assert result.detail.startswith("Bitly shows a warning page")
    assert "(to http://springboard-blackpool.org.uk/report)" in result.detail
    assert "citing that address is safer" not in result.detail


def test_a_bitly_link_to_a_page_with_a_url_parameter_is_still_its_expansion() -> None:
    router = respx.MockRouter()
    target = "https://www.gov.uk/government/publications/warning?url=x"
    router.get("http://bit.ly/2xYz").respond(301, headers={"Location": target})
    router.get(target).respond(200, html=LONG)
    (result,) = run(router, _case(["http://bit.ly/2xYz"])).results
    assert result.status is Status.OK
    assert result.detail.startswith(f"short link to {target}")


def _linkedin(target: str, *, marked: bool = True) -> str:
    """LinkedIn's lnkd.in page for a link to a site it has not checked, as served."""
    tracking = ' data-tracking-control-name="external_url_click" data-tracking-will-navigate'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta name="pageKey" content="d_shortlink_'
        'frontend_external_link_redirect_interstitial"><title>LinkedIn</title><meta name='
        '"description" content="This link will take you to a page that\u2019s not on LinkedIn">'
        '</head><body dir="ltr"><main class="main"><h1 class="t-24 t-bold">This link will take'
        ' you to a page that\u2019s not on LinkedIn</h1><h2 class="t-16">Because this is an '
        'external link, we\u2019re unable to verify it for safety.</h2><a class="artdeco-button"'
        f'{tracking if marked else ""} href="{target}">{target if marked else "Continue"}</a>'
        '</main><footer><a class="t-14" data-tracking-control-name="learn_more_click" href='
        '"https://www.linkedin.com/help/linkedin/answer/a1341680?trk=in_page_learn_more_click"'
        '>Learn more</a></footer></body></html>')


@pytest.mark.parametrize(("status", "expected", "words"), [
    (404, Status.DEAD, "which answers 404 Not Found"),
    (200, Status.OK, "citing that address is safer"),
])
def test_linkedins_interstitial_is_followed_to_the_link_it_shows(
        status: int, expected: Status, words: str) -> None:
    router = respx.MockRouter()
    target = "http://www.oldbody.org.uk/news/2013/report.html?a=1&b=2"
    router.get("http://lnkd.in/dXyZ123").respond(
        200, html=_linkedin(target.replace("&", "&amp;")))
    router.get(target).respond(status, html=LONG if status == 200 else "<title>Gone</title>")
    (result,) = run(router, _case(["http://lnkd.in/dXyZ123"])).results
    assert result.status is expected, result.detail
    assert result.detail.startswith(f"short link to {target}") and words in result.detail


def test_linkedins_interstitial_without_a_readable_link_is_blocked_not_ok() -> None:
    router = respx.MockRouter()
    router.get("http://lnkd.in/dXyZ123").respond(
        200, html=_linkedin("/redirect?token=abc", marked=False))
    (result,) = run(router, _case(["http://lnkd.in/dXyZ123"])).results
    assert result.status is Status.BLOCKED, result.detail
    assert result.detail.startswith("LinkedIn shows a page of its own")


def test_linkedins_interstitial_reached_over_https_and_www_is_still_blocked() -> None:
    """http://lnkd.in/x first goes to https://www.lnkd.in/x: the interstitial is still
    LinkedIn's page, never "short link to …www.lnkd.in…; citing that address is safer"."""
    router = respx.MockRouter()
    router.get("http://lnkd.in/dXyZ123").respond(
        301, headers={"Location": "https://www.lnkd.in/dXyZ123"})
    router.get("https://www.lnkd.in/dXyZ123").respond(
        200, html=_linkedin("/redirect?token=abc", marked=False))
    (result,) = run(router, _case(["http://lnkd.in/dXyZ123"])).results
    assert result.status is Status.BLOCKED, result.detail
    assert "citing that address" not in result.detail


@pytest.mark.parametrize("page", ["", "<title>Redirecting</title><p>Please wait.</p>"])
def test_a_refresh_header_is_followed_as_a_redirect(page: str) -> None:
    # PHP's header("Refresh: 0; url=…"): browsers follow it as they follow a meta refresh
    # (the HTML standard processes the header as one), whatever the page says meanwhile.
    router = respx.MockRouter()
    router.get("https://a.test/old").respond(
        200, html=page, headers={"Refresh": "0; url=/new"})
    router.get("https://a.test/new").respond(200, html=LONG)
    (result,) = run(router, _case(["https://a.test/old"]), sibling_probe=False).results
    assert result.status is Status.MOVED
    assert result.final_url == "https://a.test/new"
    assert "moved to https://a.test/new" in result.detail


@pytest.mark.parametrize("value", ["600; url=/new", "5", "0; url=/old"])
def test_a_refresh_header_that_waits_long_or_reloads_is_no_redirect(value: str) -> None:
    router = respx.MockRouter()
    router.get("https://a.test/old").respond(200, html=LONG, headers={"Refresh": value})
    (result,) = run(router, _case(["https://a.test/old"]), sibling_probe=False).results
    assert result.status is Status.OK
    assert result.final_url is None


def _run_with(router: respx.MockRouter, case: Case, settings: HttpSettings) -> RunReport:
    async def go() -> RunReport:
        async with Fetcher(settings, transport=httpx.MockTransport(router.async_handler),
                           sleep=Waits(), watch_loop=False) as fetcher:
            return await check([case], fetcher, RunReport(),
                               CheckOptions(probe_url=None, sibling_probe=False))
    return asyncio.run(asyncio.wait_for(go(), 10))


def test_a_quote_past_the_most_refcheck_reads_is_not_checked_never_missing() -> None:
    # A page or PDF longer than refcheck reads for a quote: what was read is not the whole,
    # so a quote not found in it may be further on. Not drifted, and the reason is given.
    quote = "Family intervention workers are dedicated to the families"
    router = respx.MockRouter()
    router.get("https://a.test/long.html").respond(
        200, html=LONG + "<p>more</p>" * 20_000 + f"<p>{quote}</p>")
    router.get("https://a.test/report.pdf").respond(
        200, content=make_pdf(["A line of the report's text, and more of it."] * 3000 + [quote]),
        headers={"content-type": "application/pdf"})
    settings = HttpSettings(max_bytes=4096, max_quote_bytes=64 * 1024)
    results = _run_with(router, _case(["https://a.test/long.html", "https://a.test/report.pdf"],
                                      quote=quote), settings).results
    for result in results:
        assert result.status is Status.OK, result.detail
        assert result.detail.endswith(
            "; it is longer than the 64 KiB refcheck reads, so the quote was not checked: "
            "look for it in a browser"), result.detail


@pytest.mark.parametrize(("cited", "location"), [
    ("http://www.bbc.co.uk/news/uk-12345",
     "https://www.bbc.co.uk/news/uk-12345?at_medium=RSS&at_campaign=KARANGA"),
    ("http://c.org.uk/reports/annual", "https://c.org.uk/reports/annual?utm_source=old"),
])
def test_a_redirect_that_only_adds_tracking_is_ok(cited: str, location: str) -> None:
    result = _redirect_case(cited, location)
    assert result.status is Status.OK, result.detail


def test_a_move_is_cited_without_the_tracking_the_server_added() -> None:
    result = _redirect_case("http://linkinghub.elsevier.com/retrieve/pii/S0140673612607809",
                            "https://www.sciencedirect.com/science/article/pii/"
                            "S0140673612607809?via%3Dihub")
    assert result.status is Status.MOVED
    assert result.detail == ("moved to https://www.sciencedirect.com/science/article/pii/"
                             "S0140673612607809; cite the new address")


@pytest.mark.parametrize("declared", ["text/html", "text/html; charset=iso-8859-1",
                                      "text/html; charset=windows-1252"])
def test_a_quote_is_read_in_the_encoding_of_its_page(declared: str) -> None:
    """An old council page in Windows-1252 (declared as such, as Latin-1, or not at all):
    its curly apostrophe is one byte, and the quote that has it is there."""
    router = respx.MockRouter()
    router.get("https://a.test/p").respond(200, content=rot.AWARD_1252,
                                           headers={"content-type": declared})
    (result,) = run(router, _case(["https://a.test/p"], quote=rot.AWARD_QUOTE)).results
    assert result.status is Status.OK, result.detail
    assert result.detail.endswith("the quote is there")


def test_a_redirect_that_respells_the_query_is_ok() -> None:
    """The server's own spelling of the cited search: the same page, not a move."""
    result = _redirect_case("http://c.org.uk/publications?title=young+carers&year=2012",
                            "https://c.org.uk/publications?year=2012&title=young%20carers")
    assert result.status is Status.OK, result.detail


def test_a_mobile_address_sent_to_the_desktop_site_is_ok() -> None:
    result = _redirect_case("http://en.m.wikipedia.org/wiki/Young_carer",
                            "https://en.wikipedia.org/wiki/Young_carer")
    assert result.status is Status.OK, result.detail


def test_a_move_into_a_folder_named_like_single_sign_on_is_a_move() -> None:
    """Brookings' project on internally displaced people is /projects/idp/: a page moved
    there has moved, it was not sent to a sign-in."""
    result = _redirect_case("http://www.brookings.edu/research/reports/2012/idp-mandate",
                            "https://www.brookings.edu/projects/idp/un-mandate/report")
    assert result.status is Status.MOVED, result.detail


@pytest.mark.parametrize("page", [
    "https://onlinelibrary.wiley.com/doi/full/10.1002/car.934",
    "https://www.tandfonline.com/doi/abs/10.1080/13575279.2012.713850",
])
def test_a_publishers_cookie_check_is_blocked_never_a_move(page: str) -> None:
    # Atypon's platforms send a visitor that did not send back their cookie to
    # /action/cookieAbsent: nobody should cite that, and the article is there for a browser.
    router = respx.MockRouter()
    host = page.split("/doi/")[0]
    router.get(page).respond(302, headers={"Location": f"{host}/action/cookieAbsent"})
    router.get(f"{host}/action/cookieAbsent").respond(200, html=(
        "<title>Cookie absent</title><h1>Cookies disabled</h1><p>Cookies must be enabled "
        "to use this site. Please enable cookies in your browser.</p>"))
    (result,) = run(router, _case([page]), sibling_probe=False).results
    assert result.status is Status.BLOCKED
    assert result.detail == (f"redirects to the site's cookie check ({host}/action/"
                             "cookieAbsent): it shows the page only to a browser that keeps "
                             "its cookies; open it in a browser")


def _what_to_do(report: RunReport) -> str:
    out = io.StringIO()
    Format.terminal.renderer().render(report, decide(report), out)
    return out.getvalue().split("What to do", 1)[1]


@pytest.mark.parametrize(("page", "doi"), [
    ("https://onlinelibrary.wiley.com/doi/10.1002/car.934/full", "10.1002/car.934"),
    ("https://www.tandfonline.com/doi/abs/10.1080/13575279.2012.713850",
     "10.1080/13575279.2012.713850"),
    ("https://link.springer.com/article/10.1007/s10826-012-9664-0",
     "10.1007/s10826-012-9664-0"),
])
def test_a_publisher_page_that_refuses_robots_is_to_be_cited_by_its_doi(
        page: str, doi: str) -> None:
    router = respx.MockRouter()
    router.get(page).respond(403, html="<title>Just a moment...</title>",
                             headers={"cf-mitigated": "challenge"})
    report = run(router, _case([page]), sibling_probe=False)
    assert report.results[0].status is Status.BLOCKED
    assert (f"a - blocked; open it in a browser and confirm the evidence is there; its "
            f"address names the DOI {doi}: cite https://doi.org/{doi} (or give it as the "
            "source's `doi:`), which refcheck checks with the DOI system\n"
            in _what_to_do(report))


def test_a_blocked_page_whose_doi_the_source_cites_too_is_not_told_to_cite_it() -> None:
    page = "https://onlinelibrary.wiley.com/doi/full/10.1002/car.934"
    router = respx.MockRouter()
    router.get(page).respond(403)
    router.get("https://doi.test/api/handles/10.1002/car.934").respond(
        500, json={"responseCode": 2})
    report = run(router, _case([page, "https://doi.org/10.1002/CAR.934"]),
                 sibling_probe=False, doi_url="https://doi.test")
    assert "a - blocked; open it in a browser and confirm the evidence is there\n" in \
        _what_to_do(report)
