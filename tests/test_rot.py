"""The rot real evidence links hit, through the command: nobody is told to cite an error
page, a search, a sign-in or a consent page; the sibling probe asks beside the cited page
and compares fairly; a domain that changed hands is caught by comparing the live page with
its capture (by default in a short case file), and the report says which copy to cite."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from refcheck.checker import CheckOptions, check
from refcheck.http import Fetcher, HttpSettings
from refcheck.model import Case, CitedUrl, Position, RunReport, Source, Status
from tests import rot
from tests.conftest import Waits, write_case
from tests.server import EvidenceServer
from tests.test_labelled import simulated_web

LANDINGS = ["/old/Evaluation.aspx", "/old/evaluation-2012.htm", "/old/strategy.php",
            "/old/services/young-carers.aspx", "/old/docs/carers-strategy.htm",
            "/old/report.html", "/old/news-item", "/old/page.php",
            "/old/publication/123", "/blog/2013/06/annual-report/", "/js-home/report.html",
            "/intranet/report", "/video/watch", "/news/yahoo-story",
            "/council/young-carers-strategy"]


def test_nobody_is_told_to_cite_an_error_search_login_or_consent_landing(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    sources = [{"id": f"s{i}", "title": f"Evidence {i}", "url": server.url(path)}
               for i, path in enumerate(LANDINGS)]
    sources.append({"id": "parked", "title": "Report", "url": "http://youngcarers-network"
                    f".org.uk:{server.server_address[1]}/reports/2012.pdf"})
    case = str(write_case(tmp_path, sources))
    for form in ("terminal", "markdown", "html"):
        text = " ".join(run_cli(case, "--format", form, "--no-archive",
                                parts=simulated_web(waits)).stdout.split())
        assert "moved;" not in text and "then cite" not in text
        assert "cite the new address" not in text
    links = json.loads(run_cli(case, "--format", "json", "--no-archive",
                               parts=simulated_web(waits)).stdout)["links"]
    assert {link["status"] for link in links} == {"soft-404", "blocked"}


def _to_do(text: str, source: str) -> str:
    """The What to do line of ``source`` in a terminal report's words (what fails the run
    comes first, so the line is not always the last)."""
    line = text.split(f" {source} - ", 1)[1]
    return re.split(r" \S+ - (?=[a-z-]+; )", line, maxsplit=1)[0].split(" Case-file warnings")[
        0].split(" links in ")[0]


LONG_PAGE = "<title>Annual report</title>" + "<p>Evidence of impact on families. </p>" * 80


def _case(urls: list[str]) -> Case:
    source = Source(id="a", title="A", position=Position("c.yaml", 1, 1),
                    urls=tuple(CitedUrl(u, Position("c.yaml", 2, 1)) for u in urls))
    return Case(path="c.yaml", title="T", sources=(source,))


def run(router: respx.MockRouter, urls: list[str]) -> RunReport:
    async def go() -> RunReport:
        async with Fetcher(HttpSettings(), transport=httpx.MockTransport(router.async_handler),
                           sleep=Waits(), watch_loop=False) as fetcher:
            return await check([_case(urls)], fetcher, RunReport(),
                               CheckOptions(probe_url=None))
    return asyncio.run(asyncio.wait_for(go(), 10))


def test_the_probe_asks_beside_the_cited_page_on_the_cited_host() -> None:
    """A lapsed site that sends every address to one page of another site: the probe asks
    the lapsed site (which sends it there too), not the site it was sent to."""
    router = respx.MockRouter()
    # (Not a notice that the project has closed, which is read as one before any probe.)
    notice = "<title>Moved</title><p>Read about our work and our history.</p>"
    router.get(url__startswith="http://old-project.test/").respond(
        301, headers={"Location": "https://www.new-home.test/about-us/our-history"})
    router.get("https://www.new-home.test/about-us/our-history").respond(200, html=notice)
    elsewhere = router.get(url__startswith="https://www.new-home.test/about-us/refcheck")
    elsewhere.respond(200, html=notice)
    (result,) = run(router, ["http://old-project.test/reports/evaluation.htm"]).results
    assert result.status is Status.SOFT_404
    assert "made-up address beside it (http://old-project.test/reports/refcheck-probe-" \
        in result.detail
    assert not elsewhere.called


def test_the_probe_compares_pages_without_the_addresses_they_echo() -> None:
    """A site whose every address answers one short page that names the address asked:
    the cited page's long name and the probe's random one must not make them differ."""
    router = respx.MockRouter()

    def echo(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, html=f"<title>Salford Carers</title><p>We could not show "
                              f"you {name} today.</p><p>Browse our pages instead.</p>")

    router.get(host="carers.test").mock(side_effect=echo)
    cited = "http://carers.test/reports/young-carers-evaluation-final-report-appendices.htm"
    (result,) = run(router, [cited]).results
    assert result.status is Status.SOFT_404 and "made-up address" in result.detail


CASINO_CASE = [{"id": "a", "title": "Evaluation of the Springboard project",
                "url": "http://springboard-families.org.uk:{port}/evaluation.html"},
               {"id": "b", "title": "Young carers service evaluation",
                "url": "http://carers-trust-salford.org.uk:{port}/about/evaluation"}]


def _sources(server: EvidenceServer) -> list[dict[str, str]]:
    port = server.server_address[1]
    return [{**s, "url": s["url"].format(port=port)} for s in CASINO_CASE]


def test_a_domain_that_changed_hands_is_caught_by_default_in_a_short_case_file(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    case = str(write_case(tmp_path, _sources(server)))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", parts=simulated_web(waits)).stdout)["links"]}
    casino = links["a"]
    assert casino["status"] == "drifted" and casino["evidence"] == "archived"
    assert "the page now shows something else" in casino["detail"]
    assert casino["archive"]["captured"] == "2013-06-15T00:00:00+00:00"
    assert links["b"]["status"] == "ok"  # redesigned, but the same page
    terminal = run_cli(case, parts=simulated_web(waits)).stdout
    assert "drifted; cite the archived copy of 15 June 2013" in " ".join(terminal.split())


def test_compare_archive_never_leaves_live_pages_as_they_answer(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    case = str(write_case(tmp_path, _sources(server)))
    links = json.loads(run_cli(case, "--format", "json", "--compare-archive", "never",
                               parts=simulated_web(waits)).stdout)["links"]
    assert [link["status"] for link in links] == ["ok", "ok"]


def test_a_redesign_that_sends_a_page_to_an_unrelated_section_is_no_move_to_cite(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A council's redesign sends each old address to a new one: the strategy to its own new
    page (a move), the evaluation to a section's landing page that does not mention it. The
    council's name in both titles does not make the landing page the evidence."""
    port = server.server_address[1]
    council = rot.COUNCIL.replace("gov.uk/", f"gov.uk:{port}/")
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Young carers strategy 2012-2015",
         "url": council + "strategy2012.htm"},
        {"id": "b", "title": "Evaluation of the young carers service",
         "url": council + "evaluation.htm"}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", parts=simulated_web(waits)).stdout)["links"]}
    assert links["a"]["status"] == "moved"
    landing = links["b"]
    assert landing["status"] == "drifted" and landing["evidence"] == "archived"
    assert landing["detail"].startswith(
        f"redirects to http://www.northshire.gov.uk:{port}/children-and-families/, which "
        "shows something else (\u201cChildren and families | Northshire County Council\u201d); "
        "the capture of 1 June 2013 shows the cited page")
    text = " ".join(run_cli(case, parts=simulated_web(waits)).stdout.split())
    assert "b - drifted; cite the archived copy of 1 June 2013" in text
    assert "cite http://www.northshire.gov.uk:" not in _to_do(text, "b")


def test_the_simulated_web_has_every_site_it_names() -> None:
    """Each site the behaviours cite answers (a test of the tests)."""
    from tests.behaviours import ROT
    hosts = {url.split("/")[2].split(":")[0] for _, url, _, _ in ROT if url.startswith("http")}
    assert hosts <= set(rot.SITES)


@pytest.mark.parametrize("cited", [
    "http://news.test/news/123/council-wins-carers-award",  # the slug is right
    "http://news.test/news/123/council-wins-award",  # an old slug, sent to the right one
    # The Daily Mail's kind of ID, a word and a number, cut short as a PDF's URL often is.
    "http://news.test/news/article-123/council-wins-ca",
])
def test_a_short_page_after_an_items_id_is_not_taken_for_a_catch_all(cited: str) -> None:
    """A site that reads the item from its ID (/news/123/any-words shows item 123, or sends
    it to its right slug): a made-up slug gets the same short press release, which proves
    nothing about it (review)."""
    router = respx.MockRouter()
    folder = cited.rsplit("/", 1)[0]
    right = f"{folder}/council-wins-carers-award"
    release = ("<title>Council wins carers award | News</title><h1>Council wins carers "
               "award</h1><p>The council's young carers service won a national award.</p>")

    def by_id(request: httpx.Request) -> httpx.Response:
        if str(request.url) != right:
            return httpx.Response(301, headers={"Location": right})
        return httpx.Response(200, html=release)

    router.get(url__startswith=f"{folder}/").mock(side_effect=by_id)
    (result,) = run(router, [cited]).results
    assert result.status in (Status.OK, Status.MOVED), result.detail
    assert "made-up address" not in result.detail


def test_a_closed_bodys_page_sent_to_govuks_has_closed_page_is_no_move_to_cite(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A closed body's old addresses are sent to GOV.UK's page for it ("… has closed"):
    that page names the publisher, not the evidence, so it is a soft 404 and the capture of
    the cited page is offered; a consultation GOV.UK keeps ("This consultation has closed")
    and a closure story its site moved are the pages themselves."""
    port = server.server_address[1]
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "CWDC workforce report",
         "url": f"http://www.cwdcouncil.org.uk:{port}/research/workforce-report.html"},
        {"id": "b", "title": "Young carers consultation",
         "url": f"http://www.cwdcouncil.org.uk:{port}/consultations/young-carers"},
        {"id": "c", "title": "Sure Start closure", "url": server.url("/news/sure-start-closure")},
        # One address sent there, its neighbours 404: no probe would see it.
        {"id": "d", "title": "CWDC research", "url": server.url("/cwdc/research-report")},
        # A merged body's page sent to its successor's page on GOV.UK, which goes on.
        {"id": "e", "title": "Young carers (DCSF)", "url": f"http://www.education.gov.uk:{port}"
         "/childrenandyoungpeople/families/b0070575/youngcarers"}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", parts=simulated_web(waits)).stdout)["links"]}
    closed = links["a"]
    assert closed["status"] == "soft-404" and closed["evidence"] == "archived"
    assert "Children's Workforce Development Council has closed" in closed["detail"]
    assert closed["archive"]["captured"] == "2012-03-01T00:00:00+00:00"
    assert links["b"]["status"] == "moved" and links["c"]["status"] == "moved"
    assert links["d"]["status"] == "soft-404" and "has closed" in links["d"]["detail"]
    assert links["e"]["status"] == "soft-404"
    assert "GOV.UK's page for Department for Education" in links["e"]["detail"]
    text = " ".join(run_cli(case, parts=simulated_web(waits)).stdout.split())
    assert "a - soft-404; cite the archived copy of 1 March 2012" in text
    assert "cite http://www.gov.uk" not in text.split("a - ")[1].split(" b - ")[0]
    assert "cite http://www.gov.uk" not in _to_do(text, "e")


def test_an_html_page_sent_as_the_cited_pdf_is_not_the_document(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A CDN or repository that sends its "not found" page with the PDF's own type: a
    browser cannot show it as the PDF, so it is no document; a real PDF sent as S3 sends
    downloads (``binary/octet-stream``) is."""
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Evaluation summary",
         "url": server.url("/files/evaluation-summary.pdf")},
        {"id": "b", "title": "Report 2013", "url": server.url("/files/s3/report-2013.pdf")}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", "--no-archive", parts=simulated_web(waits)).stdout)["links"]}
    assert links["a"]["status"] == "soft-404"
    assert "Page not found" in links["a"]["detail"]
    assert links["b"]["status"] == "ok"
    text = " ".join(run_cli(case, "--no-archive", parts=simulated_web(waits)).stdout.split())
    assert "a - soft-404;" in text and " b - " not in text


def test_a_public_sites_redirect_into_a_private_network_is_not_followed() -> None:
    """A public site that redirects to an address of its own network (10.0.0.5) or to
    the visitor's own machine (localhost, 127.0.0.1): no visitor can follow it, and
    refcheck does not ask this machine's network for it; the report says what the site
    did, not that a connection was refused. (Judged by the address the answer came from
    where the transport says, so a site on this machine may send to another: the
    simulated web's sites are all on 127.0.0.1.)"""
    router = respx.MockRouter()
    for name, target in (("annual", "http://10.0.0.5/reports/annual"),
                         ("staff", "http://localhost/reports/staff"),
                         ("local", "http://127.0.0.1:8080/internal/report")):
        router.get(f"http://www.carersnet.test/reports/{name}").respond(
            302, headers={"Location": target})
    inside = router.get(url__regex=r"^http://(10\.0\.0\.5|localhost|127\.0\.0\.1)")
    inside.respond(200, html=LONG_PAGE)
    results = {r.cited.url.rsplit("/", 1)[1]: r for r in run(router, [
        f"http://www.carersnet.test/reports/{n}" for n in ("annual", "staff", "local")]).results
        if r.cited is not None}
    assert results["annual"].detail == (
        "the server redirected to an unusable address ('http://10.0.0.5/reports/annual' is "
        "an address on a private network, which no visitor from outside the site's own "
        "network can open)")
    assert "this machine's own address (localhost)" in results["staff"].detail
    assert "this machine's own address (loopback)" in results["local"].detail
    assert {r.status for r in results.values()} == {Status.ERROR}
    assert not inside.called


def test_a_redirect_that_names_no_address_is_the_sites_set_up_not_a_moment(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A 302 with no Location header: a browser shows a blank page, and running again
    changes nothing, so the advice is to open it in a browser, not to try later."""
    case = str(write_case(tmp_path, [{"id": "a", "title": "Report",
                                      "url": server.url("/redirect-nowhere")}]))
    text = " ".join(run_cli(case, "--no-archive", parts=simulated_web(waits)).stdout.split())
    assert "no Location header" in text
    assert "a - error; open it in a browser: this is how the server is set up" in text


def test_the_capture_a_live_page_is_compared_with_is_fetched_once(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """The capture that proved itself in the lookup is the one compared with the live page:
    one playback request to the Wayback Machine, not one to prove it and one to compare."""
    case = str(write_case(tmp_path, _sources(server)[:1]))
    server.reset_counts()
    (link,) = json.loads(run_cli(case, "--format", "json",
                                 parts=simulated_web(waits)).stdout)["links"]
    assert link["status"] == "drifted"
    with server.lock:
        replays = [p for p in server.seen if p.startswith("/wayback/web/20130615000000")]
    assert len(replays) == 1, replays


def test_a_site_handed_to_govuk_that_archives_what_it_did_not_keep_is_a_move() -> None:
    """GOV.UK's redirects for a closed department's site: the page it kept goes to its new
    address, a made-up address beside it to The National Archives' capture (web
    continuity). Three sites, but no lapsed domain: the cited page has moved."""
    router = respx.MockRouter()
    cited = "http://www.dh.gov.uk/en/Publications/DH_4006068"
    new = "https://www.gov.uk/government/publications/carers-strategy"
    router.get(cited).respond(301, headers={"Location": new})
    router.get(new).respond(200, html=rot.GOVUK_PUBLICATION.decode())
    router.get(url__startswith="http://www.dh.gov.uk/en/Publications/refcheck-probe-").mock(
        side_effect=lambda request: httpx.Response(301, headers={
            "Location": f"https://webarchive.nationalarchives.gov.uk/ukgwa/20130107105354/"
                        f"{request.url}"}))
    frame = router.get(url__startswith="https://webarchive.nationalarchives.gov.uk/ukgwa/")
    frame.respond(200, html="<title>UK Government Web Archive</title><iframe></iframe>")
    (result,) = run(router, [cited]).results
    assert frame.called  # the probe was sent, and went to the archive
    assert result.status is Status.MOVED, result.detail
    assert result.detail == f"moved to {new}; cite the new address"


def test_a_youtube_video_that_no_longer_plays_is_not_the_evidence(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """YouTube answers 200 for every video page, drawn by its scripts: a removed video is
    a soft 404 with YouTube's own words, a private one is blocked, one that plays is ok."""
    port = server.server_address[1]
    case = str(write_case(tmp_path, [
        {"id": v, "title": f"Film {v}", "url": f"http://www.youtube.com:{port}/watch?v={v}"}
        for v in ("removed-film", "private-film", "young-carers-film")]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", "--no-archive", parts=simulated_web(waits)).stdout)["links"]}
    assert links["removed-film"]["status"] == "soft-404"
    assert "(\u201cVideo unavailable\u201d)" in links["removed-film"]["detail"]
    assert links["private-film"]["status"] == "blocked"
    assert "This video is private" in links["private-film"]["detail"]
    assert links["young-carers-film"]["status"] == "ok"


def test_a_dead_short_links_archived_copy_is_the_page_it_led_to(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A bit.ly link whose page is gone: the archives keep the page, not the short link,
    so the copy offered is the capture of the page it expanded to."""
    port = server.server_address[1]
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Young carers report", "url": f"http://bit.ly:{port}/3yCarers"},
        {"id": "b", "title": "Short breaks report", "url": f"http://bit.ly:{port}/3yBreaks"}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", parts=simulated_web(waits)).stdout)["links"]}
    assert links["a"]["status"] == "dead" and links["a"]["evidence"] == "archived"
    assert links["a"]["archive"]["url"].endswith("/lost/in-ukgwa")
    assert links["b"]["status"] == "dead" and links["b"]["evidence"] == "archived"
    assert links["b"]["archive"]["url"].endswith("/lost/only-wayback")
    text = " ".join(run_cli(case, parts=simulated_web(waits)).stdout.split())
    assert "a - dead; cite the archived copy of" in text


def test_a_pdf_after_a_scripts_blank_line_sent_as_html_is_the_document(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A download script's PDF that starts with the blank line its include printed, sent
    as text/html (PHP's default): PDF readers find its header within the first kilobyte,
    so it is the cited document, and its quote is read from its text."""
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Young carers report",
         "url": server.url("/download.php/young-carers-report.pdf"),
         "quote": rot.PHP_PDF_QUOTE}]))
    (link,) = json.loads(run_cli(case, "--format", "json", "--no-archive",
                                 parts=simulated_web(waits)).stdout)["links"]
    assert link["status"] == "ok", link["detail"]
    assert "not checked" not in link["detail"]  # the quote was read, and found


def test_a_story_about_a_closure_moved_to_the_papers_new_domain_is_a_move(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """guardian.co.uk's stories are sent to theguardian.com, another site by its domain: a
    story reporting that a project has closed is still the story, moved, not a notice that
    the body that published the evidence has closed."""
    port = server.server_address[1]
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Project closes (Guardian)",
         "url": f"http://www.guardian.co.uk:{port}/society/2012/mar/01/"
                "salford-young-carers-project-closes"}]))
    (link,) = json.loads(run_cli(case, "--format", "json", "--no-archive",
                                 parts=simulated_web(waits)).stdout)["links"]
    assert link["status"] == "moved", link["detail"]
    assert link["final_url"].startswith(f"http://www.theguardian.com:{port}/society/")


def test_govuks_short_address_for_an_organisation_is_a_move_to_its_page(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """``www.gov.uk/dfe`` is GOV.UK's own short address for the Department for Education's
    page, and is sent there: the organisation was cited, not a page it published, so the
    redirect is a move, not a soft 404."""
    port = server.server_address[1]
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Department for Education", "url": f"http://www.gov.uk:{port}/dfe"}]))
    (link,) = json.loads(run_cli(case, "--format", "json", "--no-archive",
                                 parts=simulated_web(waits)).stdout)["links"]
    assert link["status"] == "moved", link["detail"]
    assert link["final_url"].endswith("/government/organisations/department-for-education")


def test_a_country_offices_page_moved_to_its_country_code_az_is_a_move(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """``/az/`` is Azerbaijan's code on an international body's site as well as some
    councils' A-Z: a country office's page sent there, titled for the country and not for
    an index, is a move, not a redirect to the site's index of its pages."""
    port = server.server_address[1]
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Children's Fund in Azerbaijan",
         "url": f"http://www.childrens-fund.org:{port}/azerbaijan/"}]))
    (link,) = json.loads(run_cli(case, "--format", "json", "--no-archive",
                                 parts=simulated_web(waits)).stdout)["links"]
    assert link["status"] == "moved", link["detail"]


def test_a_query_the_cited_address_chose_its_page_by_is_kept_in_the_move(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A comparison site's ``?cmp=`` chooses what is compared, though the Guardian's
    ``CMP`` is a campaign tag of the same name: a comparison cited with it, moved, is to be
    cited with it (never without, which is another page), and one sent to another
    comparison is no same page."""
    port = server.server_address[1]
    site = f"http://www.carecompare.org.uk:{port}"
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Respite compared",
         "url": f"{site}/compare.php?cmp=respite-vs-day-care"},
        {"id": "b", "title": "Home care compared",
         "url": f"{site}/compare?cmp=respite-vs-home-care"}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", "--no-archive", parts=simulated_web(waits)).stdout)["links"]}
    assert links["a"]["status"] == "moved", links["a"]["detail"]
    assert links["a"]["detail"] == (f"moved to {site}/compare?cmp=respite-vs-day-care; cite "
                                    "the new address")
    assert links["b"]["status"] == "moved", links["b"]["detail"]
    assert f"{site}/compare?cmp=respite-vs-day-care" in links["b"]["detail"]


def test_a_quote_with_the_quoters_brackets_and_spaced_dots_is_found(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A quote as quotations are written: a capital changed in brackets ("[T]he"), the
    quoter's words in brackets, words left out with ". . ." (the legal style). The page
    holds what the quote quotes, so it is ok, not drifted."""
    port = server.server_address[1]
    url = f"http://www.salfordcarers.org.uk:{port}/reports/respite-breaks"
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Respite", "url": url,
         "quote": "[T]he evaluation found that respite breaks . . . made the greatest "
                  "difference [to young carers]"},
        {"id": "b", "title": "Respite", "url": url,
         "quote": "[T]he evaluation found that respite breaks made no difference"}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", "--no-archive", parts=simulated_web(waits)).stdout)["links"]}
    assert links["a"]["status"] == "ok", links["a"]["detail"]
    assert links["b"]["status"] == "drifted", links["b"]["detail"]


def test_a_page_moved_into_a_folder_named_idp_or_cas_is_a_move_not_a_sign_in(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """``/projects/idp/`` (internally displaced people) and ``/cas/profile/…`` (a Centre for
    Advanced Studies' staff) are folders that single sign-on's short names spell: a page
    moved there, with no sign-in's query or path after them, is a move."""
    site = f"http://www.displacement-institute.org:{server.server_address[1]}"
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "IDP project", "url": f"{site}/research/idp-project.html"},
        {"id": "b", "title": "Jane Smith", "url": f"{site}/staff/jsmith.htm"}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", "--no-archive", parts=simulated_web(waits)).stdout)["links"]}
    assert links["a"]["status"] == "moved", links["a"]["detail"]
    assert links["b"]["status"] == "moved", links["b"]["detail"]


def test_a_page_sent_to_the_script_that_shows_it_by_its_path_is_a_move(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A site whose one script shows each page by its path, ``index.php?page=/about/
    history``: a page sent there is the page, moved, not the home page told where the
    visitor came from (``/?redirect=/old/page``)."""
    site = f"http://www.salfordyouth.org.uk:{server.server_address[1]}"
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Our history", "url": f"{site}/about/history"}]))
    (link,) = json.loads(run_cli(case, "--format", "json", "--no-archive",
                                 parts=simulated_web(waits)).stdout)["links"]
    assert link["status"] == "moved", link["detail"]
    assert link["detail"].startswith(f"moved to {site}/index.php?page=/about/history;")


def test_a_short_news_item_about_a_place_that_moved_is_the_page(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A council's short news item, "The site has moved to Cobden Street": the site is a
    recycling site, and the item is the page, ok. A page whose notice says the website has
    moved, and where to, is still a soft 404."""
    site = f"http://www.northshire.gov.uk:{server.server_address[1]}"
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Recycling", "url": f"{site}/news/2013/recycling-site-moves.htm"},
        {"id": "b", "title": "Young carers service",
         "url": f"{site}/news/2013/website-moves.htm"}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", "--no-archive", parts=simulated_web(waits)).stdout)["links"]}
    assert links["a"]["status"] == "ok", links["a"]["detail"]
    assert links["b"]["status"] == "soft-404", links["b"]["detail"]
    assert "This site has moved" in links["b"]["detail"]


def test_a_news_item_saying_a_charitys_premises_closed_is_the_page_on_its_new_domain(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A charity's new domain holds its short news item "Our Ordsall site has now closed":
    the site is a drop-in centre, not the website, so the item, sent from the old domain,
    is a move, not a notice that the website has closed."""
    port = server.server_address[1]
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Ordsall drop-in",
         "url": f"http://www.salfordfamilies.org.uk:{port}/news/2013/ordsall"}]))
    (link,) = json.loads(run_cli(case, "--format", "json", "--no-archive",
                                 parts=simulated_web(waits)).stdout)["links"]
    assert link["status"] == "moved", link["detail"]


def test_githubs_page_for_a_pdf_in_a_repository_is_a_viewer_not_a_lost_document(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """GitHub shows a repository's PDF in an HTML page at an address ending ``.pdf``
    (``…/blob/main/report-2013.pdf``), as Dropbox and Google Drive do: the page is the
    document's, not an HTML page where the document should be."""
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Evaluation report", "url": f"http://github.com:"
         f"{server.server_address[1]}/salford-carers/evaluation/blob/main/report-2013.pdf"}]))
    (link,) = json.loads(run_cli(case, "--format", "json", "--no-archive",
                                 parts=simulated_web(waits)).stdout)["links"]
    assert link["status"] == "ok", link["detail"]


def test_guidance_on_cookies_moved_with_a_ref_tag_is_a_move_not_a_cookie_wall(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A regulator's guidance on cookies, moved to ``…/guide-to-pecr/cookies?ref=home``:
    a cookie wall sends the visitor back to an address (``/cookies?returnUrl=/reports``);
    ``ref=home`` names none, so this is the guidance, moved, not a cookie page in the way
    (the site's own, ``/cookies?returnUrl=…``, still is)."""
    site = f"http://www.infocommissioner.org.uk:{server.server_address[1]}"
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Cookie guidance", "url": f"{site}/pecr/cookies.aspx"},
        {"id": "b", "title": "Young carers strategy",
         "url": server.url("/council/young-carers-strategy")}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", "--no-archive", parts=simulated_web(waits)).stdout)["links"]}
    assert links["a"]["status"] == "moved", links["a"]["detail"]
    assert links["b"]["status"] == "blocked", links["b"]["detail"]


def test_a_bodys_about_us_page_sent_to_its_page_on_govuk_is_a_move(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A department's "about us" page, cited for what the body is, sent to its "about"
    page on GOV.UK: the body was cited, and its page on GOV.UK says the same, so it is a
    move, as the body's home page sent there is; a deep page sent there is a soft 404."""
    port = server.server_address[1]
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "About the DfE",
         "url": f"http://www.education.gov.uk:{port}/aboutdfe/about-us"},
        {"id": "b", "title": "Young carers (DCSF)", "url": f"http://www.education.gov.uk:{port}"
         "/childrenandyoungpeople/families/b0070575/youngcarers"}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", "--no-archive", parts=simulated_web(waits)).stdout)["links"]}
    assert links["a"]["status"] == "moved", links["a"]["detail"]
    assert links["b"]["status"] == "soft-404", links["b"]["detail"]


def test_a_video_or_gallery_beside_a_hidden_login_pop_up_is_the_page(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A site that keeps a login pop-up hidden on every page: a page that is a heading and
    a video, or a gallery of pictures, has little text but content of its own, so it is
    ok, not a sign-in page (a pop-up over nothing at all still is)."""
    site = f"http://www.salfordcarers.org.uk:{server.server_address[1]}"
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Awards video", "url": f"{site}/video/awards-2013"},
        {"id": "b", "title": "Respite gallery", "url": f"{site}/gallery/respite-2013"}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", "--no-archive", parts=simulated_web(waits)).stdout)["links"]}
    assert links["a"]["status"] == "ok", links["a"]["detail"]
    assert links["b"]["status"] == "ok", links["b"]["detail"]


def test_a_pdf_shown_at_its_address_in_a_viewer_page_is_the_document(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A PDF a CMS shows at its own address in Mozilla's pdf.js viewer, or in a page that
    embeds it (``<embed type="application/pdf">``): the page is the document's reader, not
    an HTML page where the document should be."""
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Annual report", "url": server.url(
            "/publications/annual-report-2013.pdf")},
        {"id": "b", "title": "Evaluation", "url": server.url(
            "/publications/evaluation-2013.pdf")}]))
    links = {link["source"]: link for link in json.loads(run_cli(
        case, "--format", "json", "--no-archive", parts=simulated_web(waits)).stdout)["links"]}
    assert links["a"]["status"] == "ok", links["a"]["detail"]
    assert links["b"]["status"] == "ok", links["b"]["detail"]


def test_youtubes_bot_check_is_said_to_be_one_not_a_private_video(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """YouTube asks an automated visitor from a data centre to "Sign in to confirm you're
    not a bot", whatever the video: blocked, said to be YouTube's check of automated
    visitors, not that the video may be private or restricted."""
    port = server.server_address[1]
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Film", "url": f"http://www.youtube.com:{port}/watch?v="
                                            "bot-checked-film"}]))
    (link,) = json.loads(run_cli(case, "--format", "json", "--no-archive",
                                 parts=simulated_web(waits)).stdout)["links"]
    assert link["status"] == "blocked"
    assert "YouTube's check of automated visitors" in link["detail"], link["detail"]
    assert "private" not in link["detail"]


def test_a_moved_storys_subheading_quoting_a_lost_file_is_no_error_notice(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """A long story, moved to the paper's new domain, with a subheading below its headline
    quoting a hospital, "'The file could not be found'": the story's own words, not a
    notice heading the page, so the story is a move."""
    port = server.server_address[1]
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Lost records", "url": f"http://www.guardian.co.uk:{port}/society/"
                                                    "2012/jun/05/hospital-loses-young-carers-records"}]))
    (link,) = json.loads(run_cli(case, "--format", "json", "--no-archive",
                                 parts=simulated_web(waits)).stdout)["links"]
    assert link["status"] == "moved", link["detail"]


def test_a_drupal_page_sent_to_its_q_path_is_a_move_not_a_site_search(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    """Drupal without clean addresses shows every page at the front script's ``?q=`` path
    (``/?q=node/123``): a page sent there is the page, moved, not a search of the site for
    what it lost (``/?q=young+carers+report`` is one)."""
    site = f"http://www.carersforum-drupal.org.uk:{server.server_address[1]}"
    case = str(write_case(tmp_path, [
        {"id": "a", "title": "Forum report", "url": f"{site}/node/123"}]))
    (link,) = json.loads(run_cli(case, "--format", "json", "--no-archive",
                                 parts=simulated_web(waits)).stdout)["links"]
    assert link["status"] == "moved", link["detail"]
