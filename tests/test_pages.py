"""The verdicts on pages that are not the evidence, rule by rule, with the page each rule
was made for (the server or CMS named) and the real page beside it that it must leave
alone. Pure: ``verdict.classify`` over ``Fetch`` values, no network."""

from __future__ import annotations

import datetime as dt

import pytest

from refcheck.classify import page_title, script_redirect_target
from refcheck.model import Answer, Archive, Capture, Fetch, Hop, Status
from refcheck.pages import (
    is_error_url,
    is_generic_title,
    is_search_url,
    is_site_index,
    read_page,
    reseller_of,
)
from refcheck.text import page_text
from refcheck.verdict import changed_hands, classify, worth_comparing
from tests import rot

URL = "http://www.salfordcarers.org.uk/reports/2012/evaluation.html"
HTML = "text/html; charset=utf-8"


def verdict(body: bytes | str, *, url: str = URL, landed: str | None = None,
            ctype: str = HTML, status: int = 200) -> tuple[Status, str]:
    """What refcheck says of ``url`` answering ``body`` (after a redirect to ``landed``)."""
    data = body.encode() if isinstance(body, str) else body
    final = landed or url
    hops = (Hop(url, 301, final),) if landed else ()
    answer = Answer(final, status, "OK", {"content-type": ctype}, data)
    result = classify(Fetch(url, hops, answer))
    return result.status, result.detail


def test_a_long_real_page_is_ok() -> None:
    assert verdict(rot.article("Evaluation 2012", "What we found.")) == (Status.OK, "200 OK")


# -- parked and for sale -------------------------------------------------------------------

@pytest.mark.parametrize(("body", "words"), [
    (rot._sedo("salfordcarers.org.uk"), "caf.js"),  # Sedo: AdSense for Domains
    (rot.PARKINGCREW, "parkingcrew.net"),  # ParkingCrew's script-only page
    (rot._godaddy("salfordcarers.org.uk"), "courtesy of GoDaddy"),  # GoDaddy's free parking
    (rot._dan("salfordcarers.org.uk"), "is for sale"),  # Dan.com's lander
    # Bodis: the bare domain as title, then "Related Searches".
    ("<title>salfordcarers.org.uk</title><h1>salfordcarers.org.uk</h1><h2>Related Searches"
     f"</h2><ul>{rot.SPONSORED}</ul>", "bare domain"),
    # Sedo without its scripts: the bare domain, and the sale notice in the text.
    ("<title>www.salfordcarers.org.uk</title><div>The domain salfordcarers.org.uk may be for "
     "sale by its owner!</div>", "may be for sale"),
    # A registrar's expired-domain page.
    ("<title>salfordcarers.org.uk</title><h1>This domain has expired</h1>", "expired"),
    # The parking landers' title (ParkingCrew, Above), the page drawn by its own script.
    ('<title>salfordcarers.org.uk - This website is for sale! - salfordcarers Resources and '
     'Information.</title><div id="container"></div><script src="/js/park.js"></script>',
     "This website is for sale!"),
])
def test_parked_and_for_sale_domains_are_soft_404(body: bytes | str, words: str) -> None:
    status, detail = verdict(body)
    assert status is Status.SOFT_404 and "parked domain" in detail and words in detail


def test_the_quoted_sentence_of_a_parked_page_is_shown_from_its_first_letter() -> None:
    """The page's text has no sentence before the words that matched: it is quoted from
    its start, as the server wrote it."""
    body = ("<title>salfordcarers.org.uk</title><div>Related Searches:</div><a>Charity "
            "Donations</a><a>Family Support</a><a>Child Care</a><p>The domain owner may be "
            "interested in selling</p>")
    status, detail = verdict(body)
    assert status is Status.SOFT_404
    assert "(\u201csalfordcarers.org.uk Related Searches: " in detail


def test_an_article_about_domains_for_sale_is_ok() -> None:
    assert verdict(rot.DOMAIN_ARTICLE)[0] is Status.OK


def test_a_council_page_on_a_building_site_for_sale_is_ok() -> None:
    """A site in the planning sense: only a website for sale is a parked domain's."""
    body = rot.article("This site is for sale", "The council is selling the former young "
                       "carers' centre on Chapel Street; this site is for sale by tender.",
                       heading="This site is for sale")
    assert verdict(body)[0] is Status.OK


@pytest.mark.parametrize("title", [
    "Hinkley Point decision is parked until 2016 - BBC News",
    "Public domain has expired for Orwell's works | Salford Carers",
])
def test_a_long_article_headlined_with_parking_words_is_ok(title: str) -> None:
    assert verdict(rot.article(title, "What the decision means for the region.")) == (
        Status.OK, "200 OK")


@pytest.mark.parametrize("landed", [
    "https://www.hugedomains.com/domain_profile.cfm?d=salfordcarers&e=org.uk",
    "https://sedo.com/search/details/?partnerid=1&domain=salfordcarers.org.uk",
    "https://www.afternic.com/forsale/salfordcarers.org.uk?traffic_type=TDFS",
    "https://dan.com/buy-domain/salfordcarers.org.uk",
    "https://uk.godaddy.com/domainsearch/find?domainToCheck=salfordcarers.org.uk",
])
def test_a_redirect_to_a_domain_reseller_is_soft_404_never_moved(landed: str) -> None:
    status, detail = verdict("<title>Buy it</title><p>A fine domain.</p>", landed=landed)
    assert status is Status.SOFT_404 and "domain reseller" in detail
    assert "cite the" not in detail


def test_a_registrars_own_pages_are_not_resellers() -> None:
    assert reseller_of("https://www.godaddy.com/hosting/wordpress") is None
    assert reseller_of("https://www.namecheap.com/domains/marketplace/") == "namecheap.com"


# -- suspended and placeholder sites ---------------------------------------------------------

@pytest.mark.parametrize(("body", "url"), [
    (rot.CPANEL_SUSPENDED, "http://a.org.uk/cgi-sys/suspendedpage.cgi"),  # cPanel
    (rot.WPCOM_SUSPENDED, URL),  # WordPress.com
    ("<title>Website Expired</title><p>Contact the owner.</p>", URL),  # Squarespace
    ("<title>Store unavailable</title><h1>Sorry, this shop is currently unavailable.</h1>",
     URL),  # Shopify
])
def test_suspended_hosting_is_soft_404(body: bytes | str, url: str) -> None:
    status, detail = verdict(body, url=url)
    assert status is Status.SOFT_404 and "hosting company" in detail


def test_a_news_story_about_a_suspended_site_is_ok() -> None:
    body = rot.article("Building work at the centre", "Work on the site has been suspended "
                       "while the council reviews the plans.")
    assert verdict(body)[0] is Status.OK


@pytest.mark.parametrize("title", [
    "Katie Hopkins' Twitter account suspended - BBC News",
    "Council website suspended after data breach | Salford Carers",
])
def test_a_news_story_headed_with_a_suspension_is_ok(title: str) -> None:
    """A hosting company's notice is short; an article so headed is the evidence."""
    assert verdict(rot.article(title, "The account was suspended on Tuesday.")) == (
        Status.OK, "200 OK")


def test_a_short_news_story_headed_with_a_suspension_is_ok() -> None:
    """A story of two paragraphs, as short as a host's notice: its headline says whose
    account was suspended, which a notice does not."""
    assert verdict(rot.ACCOUNT_SUSPENDED_STORY, url="https://www.bbc.co.uk/news/uk-21234567"
                   ) == (Status.OK, "200 OK")


@pytest.mark.parametrize("body", [
    rot.APACHE_UBUNTU, rot.APACHE_IT_WORKS, rot.NGINX_WELCOME, rot.IIS_DEFAULT,
    rot.PLESK_DEFAULT, rot.COMING_SOON,
    "<title>Test Page for the Apache HTTP Server on Fedora</title><h1>Fedora Test Page</h1>",
    "<title>Future home of something quite cool.</title><p>Coming soon</p>",  # cPanel/GoDaddy
])
def test_web_server_default_and_placeholder_pages_are_soft_404(body: bytes | str) -> None:
    status, detail = verdict(body)
    assert status is Status.SOFT_404 and "default or placeholder page" in detail


@pytest.mark.parametrize("title", [
    "Maintenance dredging - GOV.UK",  # a guidance page
    "Maintenance of historic buildings | Salford City Council",
    "Coming soon to a cinema near you: Life of Pi | BFI",
    "Under Construction at the Barbican",  # an exhibition
])
def test_a_short_page_titled_with_a_notices_first_words_is_ok(title: str) -> None:
    """ "Maintenance" or "Coming soon" followed by more of a title names a page; the notices
    stop at their words ("Under maintenance", "Coming soon!")."""
    body = (f"<title>{title}</title><h1>{title.split(' - ')[0].split(' | ')[0]}</h1><p>How "
            "to apply, who may apply and what to send, with the form to download.</p>")
    assert verdict(body) == (Status.OK, "200 OK")


def test_a_long_page_titled_coming_soon_is_ok() -> None:
    body = rot.article("Coming soon: the 2014 survey", "What we will ask carers next year.")
    assert verdict(body)[0] is Status.OK


# -- error pages served with 200 ------------------------------------------------------------

@pytest.mark.parametrize(("body", "words"), [
    (rot.ASPNET_YELLOW, "The resource cannot be found."),  # ASP.NET
    (rot.TOMCAT_404, "HTTP Status 404"),  # Apache Tomcat
    (rot.NGINX_404, "404 Not Found"),  # nginx
    (rot.APACHE_404, "404 Not Found"),  # Apache
    (rot.IIS6_404, "The page cannot be found"),  # IIS 6
    (rot.WORDPRESS_404, "Page not found"),  # WordPress: long, with widgets
    (rot.WORDPRESS_NOTHING, "Nothing Found"),  # WordPress: an empty archive
    (rot.DRUPAL_404, "Page not found"),  # Drupal
    (rot.SHAREPOINT_ERROR, "Sorry, something went wrong"),  # SharePoint
    ("<title>Page not found (404)</title><p>No page matches.</p>", "(404)"),  # Django
    ("<title>Whitelabel Error Page</title><h1>Whitelabel Error Page</h1>", "Whitelabel"),
    ("<title>IIS 8.5 Detailed Error - 404.0 - Not Found</title>", "Not Found"),  # IIS 8.5
    # SharePoint 2010 and many CMSs: the title "Error", a short page.
    ("<title>Error</title><div>An unexpected error has occurred.</div>", "unexpected error"),
])
def test_error_pages_served_with_200_are_soft_404(body: bytes | str, words: str) -> None:
    status, detail = verdict(body)
    assert status is Status.SOFT_404 and words in detail


def test_error_wording_in_an_h2_counts_when_the_title_is_the_sites_name() -> None:
    status, detail = verdict(rot.SITE_NAME_H2, url="http://www.salfordcvs.org.uk/x/y.html")
    assert status is Status.SOFT_404 and "can\u2019t be found" in detail


def test_error_wording_in_the_first_paragraph_counts_on_a_short_page() -> None:
    body = ("<title>Annual review</title><p>Sorry, the page you requested can't be found.</p>"
            "<p>Try the site map.</p>")
    assert verdict(body)[0] is Status.SOFT_404


def test_error_wording_counts_on_a_page_of_menus_with_one_sentence_of_its_own() -> None:
    """An old site's error page: its menus are plain lists of links, not <nav>."""
    menus = f"<div class='links'><ul>{rot.NAV * 4}</ul></div>"
    body = (f"<title>Reports and publications</title>{menus}<p>Sorry, that page can't be "
            f"found.</p>{menus}")
    assert verdict(body)[0] is Status.SOFT_404


def test_error_wording_counts_on_a_page_reached_by_a_redirect() -> None:
    body = rot.site_page("Evidence Trust", f"<h2>Sorry, that page can't be found</h2><p>"
                         f"{rot.ARTICLE}</p>", title="Evidence Trust news")
    landed = "http://www.salfordcarers.org.uk/news/latest"
    assert verdict(body)[0] is Status.OK  # long, with a title of its own: not alone
    assert verdict(body, landed=landed)[0] is Status.SOFT_404


@pytest.mark.parametrize("body", [
    rot.HIDDEN_CARERS, rot.DATA_ERRORS, rot.LOST_AND_FOUND, rot.ERROR_BARS,
    rot.article("Carers: a page you are looking for?", "The page you requested has moved "
                "to a new folder, our guide explains."),
])
def test_long_real_pages_that_mention_errors_are_ok(body: bytes) -> None:
    assert verdict(body)[0] is Status.OK


def test_a_forbidden_page_served_with_200_is_blocked_not_lost() -> None:
    status, detail = verdict("<title>403 Forbidden</title><h1>Forbidden</h1>")
    assert status is Status.BLOCKED and "403 Forbidden" in detail


def test_titles_that_are_only_the_sites_name() -> None:
    assert is_generic_title("Salford CVS", "http://www.salfordcvs.org.uk/a")
    assert is_generic_title("Children's Workforce Development Council",
                            "http://www.cwdcouncil.org.uk/a")
    assert is_generic_title("Home | Salford CVS", "http://example.org/a")
    assert not is_generic_title("Evaluation of the Springboard project",
                                "http://www.salfordcvs.org.uk/a")


# -- redirects that land on a non-page ------------------------------------------------------

@pytest.mark.parametrize("landed", [
    "http://www.salfordcarers.org.uk/Error.aspx?aspxerrorpath=/reports/2012/evaluation.html",
    "http://www.salfordcarers.org.uk/404.html",
    "http://www.salfordcarers.org.uk/not-found?url=/reports/2012/evaluation.html",
    "http://www.salfordcarers.org.uk/pagenotfound",
    "http://www.salfordcarers.org.uk/Pages/PageNotFoundError.aspx",  # SharePoint
    "http://www.salfordcarers.org.uk/errors/404?path=x",
])
def test_a_redirect_to_an_error_address_is_soft_404_never_moved(landed: str) -> None:
    status, detail = verdict(rot.article("Our news", "Latest."), landed=landed)
    assert status is Status.SOFT_404 and "redirects to an error page" in detail
    assert "cite the" not in detail


@pytest.mark.parametrize("landed", [
    "http://www.salfordcarers.org.uk/search?q=evaluation",
    "http://www.salfordcarers.org.uk/?s=evaluation",  # WordPress
    "http://www.salfordcarers.org.uk/search/results.aspx?k=evaluation",  # SharePoint
    "http://www.salfordcarers.org.uk/search/node/evaluation",  # Drupal
])
def test_a_redirect_to_a_site_search_is_soft_404_never_moved(landed: str) -> None:
    status, detail = verdict(rot.article("Search", "Results."), landed=landed)
    assert status is Status.SOFT_404 and "site search" in detail


def test_a_cited_search_sent_to_the_sites_new_search_is_a_move() -> None:
    """The case study cited a search on purpose (its results are the evidence): sent to
    the new search for the same words, it has moved."""
    status, detail = verdict(rot.article("Search", "Results for young carers."),
                             url="http://www.nice.org.uk/Search.do?searchText=young+carers",
                             landed="https://www.nice.org.uk/search?q=young+carers")
    assert status is Status.MOVED, detail


def test_a_redirect_to_sharepoint_search_results_anywhere_is_soft_404() -> None:
    """SharePoint's results page in a subsite, titled with the site's name only."""
    status, detail = verdict(rot.article("Springboard Trust", "Latest news."),
                             landed="http://www.salfordcarers.org.uk/land/results.aspx?k=annual")
    assert status is Status.SOFT_404 and "site search" in detail


def test_a_redirect_to_a_search_results_page_is_soft_404() -> None:
    """WordPress's results page, reached through an address that does not say "search"."""
    body = rot.site_page("Salford Carers", "<h1>You searched for annual report</h1><p>"
                         "Nothing matched.</p>", title="You searched for annual report")
    status, detail = verdict(body, landed="http://www.salfordcarers.org.uk/find-it/annual")
    assert status is Status.SOFT_404 and "site search" in detail
    assert verdict(body, url="http://www.salfordcarers.org.uk/find-it/annual")[0] is \
        Status.OK  # a search cited as such is what it is


def test_a_sites_a_to_z_and_site_map_are_indexes_and_pages_named_so_are_not() -> None:
    for url in ("http://www.salford.gov.uk/a-z", "http://www.salford.gov.uk/a-to-z/y",
                "http://www.salford.gov.uk/en/atoz/", "http://a.org/sitemap.aspx",
                "http://a.org/site-map", "http://a.org/cy/a-z/c"):
        assert is_site_index(url), url
    for url in ("http://a.org/news/a-z-of-caring", "http://a.org/azure/report",
                "http://a.org/docs/a-z-guide.pdf", "http://a.org/services/az/report",
                "http://a.org/sitemaps/2012/report.html"):
        assert not is_site_index(url), url
    body = rot.site_page("Salford Council", "<h1>A to Z of services: Y</h1><ul><li>Youth "
                         "services</li></ul>", title="A to Z: Y")
    status, detail = verdict(body, landed="http://www.salfordcarers.org.uk/a-z/y")
    assert status is Status.SOFT_404
    assert detail == ("redirects to the site's index of its pages "
                      "(http://www.salfordcarers.org.uk/a-z/y): the cited page is gone")


def test_addresses_with_error_or_search_in_their_words_are_pages() -> None:
    for url in ("http://a.org/news/2012/error-in-budget-figures", "http://a.org/research/x",
                "http://a.org/?p=404", "http://a.org/?page=4040", "http://a.org/?notfoundation",
                "http://a.org/news/cure-not-found-yet", "http://a.org/bus/route-404"):
        assert not is_error_url(url) and not is_search_url(url)
    status, _ = verdict(rot.RESEARCH_REPORT, landed="http://www.salfordcarers.org.uk/"
                        "research/report-2013")
    assert status is Status.MOVED


@pytest.mark.parametrize("landed", [
    "https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fwatch",
    "https://consent.google.com/ml?continue=https://www.google.com/maps",
    "https://guce.yahoo.com/consent?done=https%3A%2F%2Fnews.yahoo.com%2F",
    "https://myprivacy.example.nl/consent?redirectUri=https%3A%2F%2Fnews.example.nl",
])
def test_a_redirect_to_a_consent_page_is_blocked(landed: str) -> None:
    status, detail = verdict(rot.YAHOO_CONSENT, landed=landed)
    assert status is Status.BLOCKED and "cookie-consent page" in detail
    assert "cite the" not in detail


@pytest.mark.parametrize("landed", [
    "https://www.gmc-uk.org/guidance/ethical_guidance/consent?lang=en",
    "https://www.legislation.gov.uk/ukpga/2005/9/crossheading/consent?view=plain",
])
def test_a_move_to_a_page_about_consent_is_a_move(landed: str) -> None:
    """The GMC's guidance on consent, the Mental Capacity Act's part on it: pages named
    consent with a query of their own are pages, not a consent wall (which says where to
    go back to)."""
    status, detail = verdict(rot.article("Consent", "Guidance for doctors."),
                             url="http://www.gmc-uk.org/guidance/consent_guidance.asp",
                             landed=landed)
    assert status is Status.MOVED, detail


def test_a_consent_host_passed_on_the_way_back_to_the_page_is_no_landing() -> None:
    """Publishers that set a consent cookie on a consent host and send the browser back."""
    answer = Answer(URL, 200, "OK", {"content-type": HTML}, rot.HIDDEN_CARERS)
    consent = "https://consent.example.com/set?return=" + URL
    fetch = Fetch(URL, (Hop(URL, 302, consent), Hop(consent, 302, URL)), answer)
    assert classify(fetch).status is Status.OK


def test_a_redirect_to_wordpress_sign_in_is_blocked() -> None:
    landed = "http://www.salfordcarers.org.uk/wp-login.php?redirect_to=%2Freports%2F"
    status, detail = verdict(rot.ACCOUNT_LOGIN, landed=landed)
    assert status is Status.BLOCKED and "login page" in detail


def test_a_javascript_redirect_is_read_only_from_a_page_that_is_nothing_else() -> None:
    assert script_redirect_target(b'<script>window.location.href = "/";</script>') == "/"
    assert script_redirect_target(b"<script>location.replace('/lander')</script>") == "/lander"
    assert script_redirect_target(  # Bodis: the query is added, the address is literal
        b'<script>window.location.href="/lander" + window.location.search;</script>') == \
        "/lander"
    assert script_redirect_target(b'<script src="/a.js">location.href="/x"</script>') is None
    assert script_redirect_target(b'<script>location.href = "/s?q=" + q;</script>') == "/s?q="
    assert script_redirect_target(b'<script>if (a == "/x") { go(); }</script>') is None
    long = rot.CONDITIONAL_SCRIPT
    assert b'window.location = "/welcome"' in long
    assert script_redirect_target(long) is None  # a page of its own


# -- walls ----------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    rot.SIGN_IN, rot.PORTAL_LOGIN,
    "<title>Sign in to your account</title><div id='app'></div>",  # Microsoft's sign-in
    "<title>Central Authentication Service</title><h1>CAS</h1>",
])
def test_sign_in_pages_served_with_200_are_blocked(body: bytes | str) -> None:
    status, detail = verdict(body)
    assert status is Status.BLOCKED and "sign-in page" in detail


def test_a_long_page_with_a_login_box_or_a_title_about_logging_in_is_ok() -> None:
    assert verdict(rot.MEMBER_SIDEBAR)[0] is Status.OK
    guide = rot.article("Log in to the carers portal: a guide", "How to use the portal.")
    assert verdict(guide)[0] is Status.OK


#: The login boxes CMSs put beside every page: Drupal 7's "User login" block in its
#: sidebar, Joomla 3's login module in Protostar's #aside, WordPress's login widget.
LOGIN_BOXES = [
    '<div id="sidebar-first" class="column sidebar"><div class="region region-sidebar-first">'
    '<div id="block-user-login" class="block block-user"><h2>User login</h2><form action="/'
    'node/12?destination=node/12" method="post" id="user-login-form"><label for="edit-name">'
    'Username</label><input type="text" id="edit-name" name="name"><label for="edit-pass">'
    'Password</label><input type="password" id="edit-pass" name="pass"><input type="submit" '
    'value="Log in"></form></div></div></div>',
    '<div id="aside" class="span3"><div class="well"><h3 class="page-header">Login Form</h3>'
    '<form action="/index.php" method="post" id="login-form"><input id="modlgn-username" '
    'type="text" name="username"><input id="modlgn-passwd" type="password" name="password">'
    '<button type="submit">Log in</button></form></div></div>',
    '<aside id="secondary" class="widget-area"><section class="widget widget_login"><h2>'
    'Members</h2><form name="loginform" action="/wp-login.php" method="post"><input '
    'type="text" name="log"><input type="password" name="pwd"></form></section></aside>',
]


@pytest.mark.parametrize("box", LOGIN_BOXES)
def test_a_short_page_with_the_sites_login_box_beside_it_is_ok(box: str) -> None:
    """A short page (a publication's landing page: a line and its download) on a site
    that shows a login box beside every page is the evidence, not a sign-in page."""
    body = rot.site_page("Family Action Trust", "<article><h1>Evaluation report 2012</h1><p>"
                         "The evaluation was published in March 2013.</p><p><a href=\"/files/"
                         "evaluation.pdf\">Download the report (PDF, 1.2 MB)</a></p></article>"
                         + box, title="Evaluation report 2012 | Family Action Trust")
    assert verdict(body) == (Status.OK, "200 OK")


def test_a_consent_wall_served_with_200_is_blocked_a_cookie_banner_is_not() -> None:
    assert verdict(rot.GOOGLE_CONSENT)[0] is Status.BLOCKED
    assert verdict(rot.COOKIE_BANNER)[0] is Status.OK


# -- the wrong kind of answer ---------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://a.org/docs/report.pdf", "http://a.org/data/t.xlsx",
                                 "http://a.org/docs/survey.DOCX"])
def test_a_cited_document_answered_by_an_html_page_is_soft_404(url: str) -> None:
    status, detail = verdict(rot.SITE_HOME, url=url)
    assert status is Status.SOFT_404 and "document was cited" in detail


def test_a_document_viewer_at_a_documents_address_is_not_the_wrong_kind() -> None:
    """Dropbox, OneDrive, Google Drive show a cited PDF in an HTML viewer."""
    url = "https://www.dropbox.com/s/a1b2c3/evaluation-report.pdf?dl=0"
    assert verdict(rot.article("evaluation-report.pdf", "Preview."), url=url)[0] is Status.OK


def test_a_cited_document_that_is_the_document_is_ok() -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert verdict(pdf, url="http://a.org/docs/report.pdf", ctype="application/pdf")[0] \
        is Status.OK
    assert verdict(pdf, url="http://a.org/docs/report.pdf")[0] is Status.OK  # mistyped


@pytest.mark.parametrize(("url", "body"), [
    ("http://a.org/files/survey.docx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00[Content_Types].xml"),
    ("http://a.org/files/results.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00"),
    ("http://a.org/files/letter.rtf", b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}"),
])
def test_a_document_a_download_script_sends_as_html_is_the_document(url: str,
                                                                     body: bytes) -> None:
    """PHP sends text/html unless a script names another type: the Word file is there."""
    assert verdict(body, url=url, ctype="text/html") == (Status.OK, "200 OK")
    answer = Answer(url, 200, "OK", {"content-type": "text/html"}, body)
    assert page_text(answer) is None  # not read as a page: a quote is "not checked"


def test_empty_and_trivial_answers_are_soft_404() -> None:
    assert verdict(b"")[0] is Status.SOFT_404
    assert verdict(b"  \n")[0] is Status.SOFT_404
    status, detail = verdict(b"OK", ctype="text/plain")
    assert status is Status.SOFT_404 and "\u201cOK\u201d" in detail
    assert verdict(b"<html><body></body></html>")[0] is Status.SOFT_404


def test_pages_that_draw_themselves_and_bare_endpoints_are_not_trivial() -> None:
    assert verdict(rot.SPA_SHELL)[0] is Status.OK  # a JavaScript app
    assert verdict(b"<frameset><frame src='/main.html'></frameset>")[0] is Status.OK
    assert verdict(b"ok", url="https://a.test/ok")[0] is Status.OK  # an endpoint, not a page


# -- the domain changed hands ---------------------------------------------------------------

def _answer(body: bytes, url: str = URL) -> Answer:
    return Answer(url, 200, "OK", {"content-type": HTML}, body)


def _capture(text: str) -> bytes:
    return (f"<title>Evaluation of the Springboard project</title><h1>Springboard</h1>"
            f"<p>{text}</p>").encode()


CAPTURE = Capture(Archive.WAYBACK, f"https://web.archive.org/web/20130615000000/{URL}",
                  dt.datetime(2013, 6, 15, tzinfo=dt.UTC), URL, "the Wayback Machine")


def test_a_live_page_unrelated_to_its_capture_has_drifted() -> None:
    live = classify(Fetch(URL, answer=_answer(rot.CASINO)))
    judged = changed_hands(live, _answer(rot.CASINO), CAPTURE,
                           _answer(_capture(rot.SPRINGBOARD_EVALUATION)))
    assert judged.status is Status.DRIFTED and judged.capture == CAPTURE
    assert "the page now shows something else" in judged.detail
    assert "the capture of 15 June 2013 shows the cited page" in judged.detail


def test_a_redesigned_page_on_the_same_subject_has_not_drifted() -> None:
    live = classify(Fetch(URL, answer=_answer(rot.REDESIGNED)))
    before = _capture(rot.CAPTURE_TEXTS["http://carers-trust-salford.org.uk/about/evaluation"])
    assert changed_hands(live, _answer(rot.REDESIGNED), CAPTURE, _answer(before)) is live


def test_pages_too_short_to_compare_are_left_alone() -> None:
    live = classify(Fetch(URL, answer=_answer(rot.CASINO)))
    assert changed_hands(live, _answer(rot.CASINO), CAPTURE,
                         _answer(b"<title>Archived</title><p>Archived evidence.</p>")) is live


def test_which_live_pages_are_compared_with_their_capture() -> None:
    live = classify(Fetch(URL, answer=_answer(rot.CASINO)))
    casino = _answer(rot.CASINO)
    title = "Evaluation of the Springboard project, Blackpool"
    assert worth_comparing(live, casino, quote=None, title=title, mode="auto")
    assert not worth_comparing(live, casino, quote=None, title="Best casino sites",
                               mode="auto")  # the page is what the source says it is
    assert not worth_comparing(live, casino, quote="free spins", title=title, mode="always")
    assert not worth_comparing(live, casino, quote=None, title=title, mode="never")
    assert worth_comparing(live, casino, quote=None, title="Best casino sites", mode="always")


@pytest.mark.parametrize("word", ["Page not found", "ERROR", "Sign in", "Accept cookies",
                                  "Weitergehen", "Acc\u00e9der", "sedoparking.com"])
def test_a_page_is_read_whenever_its_start_holds_a_word_that_a_rule_reads(word: str) -> None:
    """The quick look that spares plain pages the full reading sees each word, in any case,
    anywhere in the first READ_BYTES of the page; a long plain page is not read."""
    from refcheck.pages import READ_BYTES, worth_reading

    filler = "<p>The report describes the impact of the research on policy.</p>\n"
    plain = "<html><head><title>Evaluation</title></head><body>" + filler * 5000

    def answer(text: str) -> Answer:
        return Answer(URL, 200, "OK", {"content-type": HTML}, text.encode())

    assert not worth_reading(answer(plain))
    deep = plain[:READ_BYTES - 200]
    assert worth_reading(answer(deep + word + plain[READ_BYTES - 200:]))
    assert worth_reading(answer(word + plain))
    assert not worth_reading(answer(plain[:READ_BYTES] + word))


@pytest.mark.parametrize(("body", "content_type", "title"), [
    # A page of the 2000s saved in Windows' code page, declaring nothing.
    ("<title>The Children\u2019s Trust \u2013 annual report</title>".encode("cp1252"),
     "text/html", "The Children\u2019s Trust \u2013 annual report"),
    # Declared as ISO-8859-1, read as browsers read it (Windows-1252).
    ("<title>Caf\u00e9 Cymraeg \u2018Ein Hanes\u2019</title>".encode("cp1252"),
     "text/html; charset=ISO-8859-1", "Caf\u00e9 Cymraeg \u2018Ein Hanes\u2019"),
    (b'<meta charset="windows-1252"><title>Na\xefve \x93quotes\x94</title>', "text/html",
     "Na\u00efve \u201cquotes\u201d"),
    ("<title>Ymchwil ac \u0175yl</title>".encode(), "text/html; charset=utf-8",
     "Ymchwil ac \u0175yl"),
])
def test_a_page_title_is_read_in_the_encoding_the_page_is_in(
        body: bytes, content_type: str, title: str) -> None:
    answer = Answer("https://e.org/r", 200, "OK", {"content-type": content_type}, body)
    assert page_title(answer) == title
    page = read_page(answer)
    assert page is not None and page.title == title


# -- a domain that changed hands, by its title --------------------------------------------

def _springboard(title: str, main: str) -> Answer:
    return _answer(f"<title>{title}</title><h1>{title.split(' | ')[0]}</h1><p>{main}</p>"
                   .encode())


SPRINGBOARD_THEN = _springboard("About us | Springboard project Blackpool",
                                rot.SPRINGBOARD_EVALUATION)


@pytest.mark.parametrize(("title", "main"), [
    # An expired-domain site that keeps the old name whole in its title.
    ("Springboard Project Blackpool | Casino reviews and bonuses",
     "Claim free spins and a welcome bonus at the top rated slots and roulette sites, "
     "compared by our betting experts. " * 20),
    # A firm of the same name: one word of the title in common.
    ("About us | Springboard Recruitment", "We place temporary and permanent staff in "
     "logistics, warehousing and hospitality roles across the North West. " * 20),
])
def test_a_new_owner_keeping_the_old_name_in_its_title_has_drifted(title: str,
                                                                   main: str) -> None:
    now = _springboard(title, main)
    live = classify(Fetch(URL, answer=now))
    judged = changed_hands(live, now, CAPTURE, SPRINGBOARD_THEN)
    assert judged.status is Status.DRIFTED and "the page now shows something else" in \
        judged.detail


@pytest.mark.parametrize(("title", "main"), [
    # Renamed, its page rewritten.
    ("About us | Springboard Families Blackpool", " ".join([
        "Springboard Families is the new name of the Springboard project, which began in "
        "Blackpool in 2009.", "We still work alongside parents and children, helping them get "
        "the right help from schools, health visitors and the police at the same time.",
        "Our keyworkers visit families at home and stay with them for as long as they need "
        "us."] * 4)),
    # Closed, a short notice left at the address.
    ("Springboard project | Blackpool Council", "The Springboard project ran from 2009 to "
     "2013 and brought family support services together around families with complex needs. "
     "It has now ended; its final evaluation report is below, and current family support in "
     "Blackpool is on the Early Help pages."),
])
def test_a_renamed_or_closed_project_keeping_its_page_has_not_drifted(title: str,
                                                                     main: str) -> None:
    now = _springboard(title, main)
    live = classify(Fetch(URL, answer=now))
    assert changed_hands(live, now, CAPTURE, SPRINGBOARD_THEN) is live




def test_a_project_site_with_the_same_one_word_title_has_not_drifted() -> None:
    """The capture's front page announced a conference; the live one lists the outputs.
    One telling word in the title, but the same title: the same site (review)."""
    then = _answer(b"<title>ReCAP | Home</title><h1>ReCAP</h1><p>" + (
        b"Join us in Manchester in June for three days of talks and workshops on "
        b"rehabilitation after stroke; registration closes on the first of May. ") * 6 + b"</p>")
    now = _answer(b"<title>ReCAP | Home</title><h1>ReCAP</h1><p>" + (
        b"Our outputs: the final evaluation, the toolkit for therapists, papers in journals "
        b"and films of the talks given over the years of the programme. ") * 6 + b"</p>")
    live = classify(Fetch(URL, answer=now))
    assert changed_hands(live, now, CAPTURE, then) is live


# -- error pages in Welsh, German and French ------------------------------------------------

_LONG_PROSE = ("<p>" + "Find out about bins, schools, council tax, libraries, leisure centres "
               "and planning in the county. " * 40 + "</p>")


@pytest.mark.parametrize(("title", "heading"), [
    ("Tudalen heb ei chanfod | Cyngor Sir Ddinbych", "Tudalen heb ei chanfod"),
    ("Ni chanfuwyd y dudalen - Cyngor Gwynedd", "Ni chanfuwyd y dudalen"),
    ("Seite nicht gefunden - Stadt Leipzig", "Die Seite wurde nicht gefunden"),
    ("Page introuvable \u2013 Ville de Rennes", "Page non trouv\u00e9e"),
])
def test_a_welsh_german_or_french_error_page_is_soft_404(title: str, heading: str) -> None:
    body = rot.site_page("Cyngor", f"<h1>{heading}</h1>{_LONG_PROSE}", title=title)
    status, detail = verdict(body)
    assert status is Status.SOFT_404, detail


@pytest.mark.parametrize("title", [
    "Seite nicht gefunden? How German archives keep lost web pages",
    "Page introuvable: the French web's missing years",
    "Tudalen heb ei chanfod: y llyfr coll",  # a book's title, after the colon
    "Heb ei chanfod",  # an exhibition of that name ("not found")
])
def test_pages_titled_with_those_words_and_more_are_not_error_pages(title: str) -> None:
    assert verdict(rot.article(title, "What the national library's crawls did not keep."))[0] \
        is Status.OK


def test_an_h1_saying_we_could_not_find_the_page_you_were_looking_for_is_an_error_name() -> None:
    body = rot.site_page("Anytown Council", "<h1>Sorry, we couldn\u2019t find the page you were "
                         f"looking for</h1>{_LONG_PROSE}", title="Anytown Council")
    assert verdict(body)[0] is Status.SOFT_404


def test_a_moved_story_whose_opening_sentence_says_could_not_be_found_is_a_move() -> None:
    """guardian.co.uk stories redirect to theguardian.com: the move is no sign that the
    story's own words ("the two boys could not be found") are an error notice."""
    status, detail = verdict(rot.MISSING_BOYS, url="http://www.guardian.co.uk/uk/2012/oct/17/x",
                             landed="https://www.theguardian.com/uk/2012/oct/17/x")
    assert status is Status.MOVED, detail
    headline = rot.news_article("Why the missing plane could not be found", "A year on.")
    status, detail = verdict(headline, url="http://www.guardian.co.uk/world/2015/mar/08/x",
                             landed="https://www.theguardian.com/world/2015/mar/08/x")
    assert status is Status.MOVED, detail


@pytest.mark.parametrize("body", [rot.WEB_FORGETS, rot.NOTHING_FOUND, rot.EXHIBITION_404])
def test_a_headline_that_begins_with_an_errors_name_is_a_page(body: bytes) -> None:
    """The title's first part is "Page not found", "Nothing Found Here", "404 Not Found",
    but the page's heading goes on: a story, a review, an exhibition, and long."""
    assert verdict(body) == (Status.OK, "200 OK")


def test_an_error_pages_heading_with_the_sites_name_is_still_an_error_page() -> None:
    body = rot.site_page("Salford City Council", "<h1>Page not found - Salford City Council"
                         "</h1><p>Try the search.</p>",
                         title="Page not found | Salford City Council")
    assert verdict(body)[0] is Status.SOFT_404


def test_a_cited_search_sent_to_a_search_elsewhere_on_the_site_is_a_move() -> None:
    """search.ft.com's searches now answer at www.ft.com/search, under other parameters."""
    status, detail = verdict(rot.article("Search results", "Results for Roro."),
                             url="http://search.ft.com/search?queryText=Roro",
                             landed="https://www.ft.com/search?q=Roro&sort=date")
    assert status is Status.MOVED, detail


@pytest.mark.parametrize("body", [rot.AWARD_WITH_MODAL, rot.REPORT_WITH_MODAL])
def test_a_login_pop_up_hidden_on_every_page_is_no_sign_in_page(body: bytes) -> None:
    """A small site's theme carries its login form in a Bootstrap modal (role="dialog",
    its heading "Sign in", a password field) on every page: a short news item and a long
    report are pages, not sign-in pages."""
    assert verdict(body, url="https://www.salfordcarers.org.uk/news/2013/award") == (
        Status.OK, "200 OK")


def test_a_login_pop_up_over_a_page_with_nothing_else_is_a_sign_in_page() -> None:
    status, detail = verdict(rot.MODAL_WALL, url="https://members.example.org/reports/2012")
    assert status is Status.BLOCKED and "sign-in page" in detail


def test_a_plain_text_file_is_not_an_error_or_parked_page_for_having_no_title() -> None:
    """A data set's notes in plain text: no title (none has one), and its opening says
    records "could not be found" and the old domain "is for sale". Not an error page, not a
    parked domain; a plain-text error page says little, and is still one."""
    url = "https://data.salford.ac.uk/young-carers/2012/notes.txt"
    assert verdict(rot.DATA_NOTES, url=url, ctype="text/plain") == (Status.OK, "200 OK")
    assert verdict("404 page not found", url=url, ctype="text/plain")[0] is Status.SOFT_404


def test_a_home_page_titled_with_its_name_may_say_could_not_be_found_in_its_opening() -> None:
    """A title that is only the site's name corroborates an error's words in a heading, as
    CMS error pages keep the site's title; not a long page's own opening sentence."""
    url = "https://www.missingpeople.org.uk/"
    assert verdict(rot.MISSING_PEOPLE_HOME, url=url) == (Status.OK, "200 OK")
    assert verdict(rot.SITE_NAME_H2, url="http://www.salfordcvs.org.uk/x/y.html")[0] is \
        Status.SOFT_404


@pytest.mark.parametrize("body", [rot.WALKER_STORY, rot.RAID_STORY])
def test_a_short_story_may_say_someone_could_not_be_found_or_nothing_was(body: bytes) -> None:
    """What an error page cannot find is the page: a news brief that says the walker "could
    not be found", or "nothing was found" in a search of a flat, is a page."""
    assert verdict(body) == (Status.OK, "200 OK")
    # And a short page that says so of the page is still an error page.
    assert verdict("<title>Salford Star</title><p>The article you asked for could not be "
                   "found.</p>")[0] is Status.SOFT_404
