from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from refcheck.urls import (
    address_defect,
    host_of,
    is_home_page,
    is_login_page,
    is_trivial_move,
    redact,
    redact_text,
    site_of,
    without_session,
)
from tests.conftest import cited_urls


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:hunter2@example.org/x", "https://****:****@example.org/x"),
        ("https://token@example.org/x", "https://****@example.org/x"),
        ("https://e.org/x?token=abc&page=2", "https://e.org/x?token=****&page=2"),
        ("https://e.org/x?api_key=abc", "https://e.org/x?api_key=****"),
        ("https://e.org/x?Password=abc&secret=s", "https://e.org/x?Password=****&secret=****"),
        ("https://e.org/x?access_token=abc#frag", "https://e.org/x?access_token=****#frag"),
        ("https://e.org/x?keywords=troubled+families", "https://e.org/x?keywords=troubled+families"),
        ("https://e.org/plain", "https://e.org/plain"),
    ],
)
def test_credentials_are_masked(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_credentials_inside_free_text_are_masked() -> None:
    text = "moved to https://bob:pw@e.org/a?key=K1; cite the new address"
    assert redact_text(text) == "moved to https://****:****@e.org/a?key=****; cite the new address"


@pytest.mark.parametrize(("text", "shown"), [
    ("redirects to http://h.org/landing?token=T0K&sig=S1G, which answers 404 Not Found",
     "redirects to http://h.org/landing?token=****&sig=****, which answers 404 Not Found"),
    ("an error page (http://h.org/land/error?code=C0DE): the cited page is gone",
     "an error page (http://h.org/land/error?code=****): the cited page is gone"),
    ("cite http://h.org/a?api_key=K3Y.", "cite http://h.org/a?api_key=****."),
    ("\u201chttp://h.org/a?token=T0K\u201d, then", "\u201chttp://h.org/a?token=****\u201d, then"),
    ("see http://h.org/a?sig=S1G!), now", "see http://h.org/a?sig=****!), now"),
    # Punctuation inside a value is the value's: all of it is masked.
    ("at http://h.org/a?token=T0K.S1G,C0DE!K3Y(x) now", "at http://h.org/a?token=**** now"),
    ("http://h.org/wiki/A_(b)?token=T0K)", "http://h.org/wiki/A_(b)?token=****)"),
    # A value quoted in backticks, as case-file and settings messages quote them.
    ("url `http://h.org/a?token=T0K.`: remove the trailing full stop",
     "url `http://h.org/a?token=****.`: remove the trailing full stop"),
])
def test_masking_keeps_the_punctuation_after_a_url_in_prose(text: str, shown: str) -> None:
    assert redact_text(text) == shown


@pytest.mark.parametrize(
    ("original", "final", "trivial"),
    [
        ("http://e.org/a", "https://e.org/a", True),
        ("http://e.org/a", "http://e.org/a/", True),
        ("http://e.org/a", "https://www.e.org/a", True),
        ("http://e.org:80/a", "http://e.org/a", True),
        ("http://e.org/a", "http://e.org/b", False),
        ("http://e.org/a", "http://other.org/a", False),
        ("http://e.org/a?x=1", "http://e.org/a?x=2", False),
        # A folder's own page, named or not.
        ("http://e.org/reports/2012/index.html", "https://e.org/reports/2012/", True),
        ("http://e.org/about/default.aspx", "http://e.org/about/", True),
        ("http://e.org/about/", "http://e.org/about/index.php", True),
        ("http://e.org/reports/2012/index.html", "http://e.org/reports/", False),
        # A visitor's session put in the address on the way.
        ("http://e.org/a/springboard", "http://e.org/a/springboard;jsessionid=8A3F0C1D", True),
        ("http://e.org/a/p.aspx", "http://e.org/(S(x3fjk2lmn))/a/p.aspx", True),
        ("http://e.org/a?id=3", "http://e.org/a?id=3&PHPSESSID=abc", True),
        ("http://e.org/a;jsessionid=1", "http://e.org/b;jsessionid=1", False),
        # The server's own spelling of the address: letter case, percent-encoding, the order
        # of the query's parameters.
        ("http://e.org/Reports/Annual%20Report.PDF", "http://e.org/reports/annual report.pdf",
         True),
        ("http://e.org/view.php?type=report&id=12", "http://e.org/view.php?id=12&type=report",
         True),
        ("http://e.org/view.php?id=12&type=report", "http://e.org/view.php?id=13&type=report",
         False),
        # A site's mobile host, and its desktop one.
        ("http://en.m.wikipedia.org/wiki/Young_carer", "https://en.wikipedia.org/wiki/"
         "Young_carer", True),
        ("http://m.bbc.co.uk/news/uk-12345", "https://www.bbc.co.uk/news/uk-12345", True),
        ("http://mobile.example.org/a", "http://example.org/a", True),
        ("http://m.example.org/a", "http://n.example.org/a", False),
        ("http://en.m.wikipedia.org/wiki/A", "https://de.wikipedia.org/wiki/A", False),
        # The query's own spelling: a space as + or %20, a letter escaped or not.
        ("http://e.org/search?q=young+carers", "https://e.org/search?q=young%20carers", True),
        ("http://e.org/show.asp?title=Caf%E9", "http://e.org/show.asp?title=Caf%e9", True),
        ("http://e.org/search?q=young+carers", "http://e.org/search?q=young", False),
    ],
)
def test_trivial_moves(original: str, final: str, trivial: bool) -> None:
    assert is_trivial_move(original, final) is trivial


@pytest.mark.parametrize(
    ("url", "home"),
    [
        ("https://e.org/", True),
        ("https://e.org", True),
        ("https://e.org/index.html", True),
        ("https://e.org/default.aspx", True),
        ("https://e.org/en/", True),
        ("https://e.org/en/home", True),
        ("https://e.org/en-gb/home", True),
        ("https://e.org/homepage", True),
        ("https://e.org/Pages/default.aspx", True),
        ("https://e.org/cy/hafan", True),
        ("https://e.org/news/item", False),
        ("https://e.org/?page=1", False),
        # Where the visitor came from, or the language: still the front page.
        ("https://e.org/?utm_source=old&utm_medium=redirect", True),
        ("https://e.org/?lang=en", True),
        ("https://e.org/en/?ref=old", True),
        ("https://e.org/index.php?page=home", True),
        # A query that chooses a page is not the front page.
        ("https://e.org/?p=123", False),
        ("https://e.org/index.php?option=com_content&id=5", False),
        ("https://e.org/?lang=en&id=5", False),
        ("https://e.org/?src=report2012.pdf", False),
        ("https://e.org/?source=annual-report", False),
        # Two letters that are a section more often than a language.
        ("https://e.org/hr/", False),
        ("https://e.org/it/", False),
        ("https://e.org/ai/", False),
        ("https://e.org/en/news", False),
    ],
)
def test_home_pages(url: str, home: bool) -> None:
    assert is_home_page(url) is home


@pytest.mark.parametrize(
    ("url", "login"),
    [
        ("https://e.org/login?next=/x", True),
        ("https://wayf.ukfederation.org.uk/DS002/uk.ds?entityID=https%3A%2F%2Fsp.e.ac.uk"
         "%2Fshibboleth&return=https%3A%2F%2Fsp.e.ac.uk%2FShibboleth.sso%2FLogin", True),
        ("https://e.org/users/sign_in", True),
        ("https://idp.e.ac.uk/idp/profile/SAML2", True),
        ("https://login.microsoftonline.com/common", True),
        ("https://mail.e.gov.uk/CookieAuth.dll?GetLogon?curl=Z2F&reason=0", True),  # TMG
        ("https://e.org/blog/logging-in-the-lab", False),
        ("https://e.org/authors/smith", False),
        # Single sign-on's short names, which are folders' names too.
        ("https://sso.e.ac.uk/cas/login?service=https%3A%2F%2Fe.ac.uk%2F", True),
        ("https://e.ac.uk/auth?return=/x", True),
        ("https://e.org/sso", True),
        ("https://www.brookings.edu/about/projects/idp/un-mandate/chaloka-beyani", False),
        ("http://www.joburg-archive.co.za/2012/pdfs/idp/idp201216.pdf", False),
        ("https://e.ac.uk/cas/news/2013/centre-wins-award", False),
    ],
)
def test_login_pages(url: str, login: bool) -> None:
    assert is_login_page(url) is login


def test_host_of_agrees_with_a_full_split() -> None:
    """host_of reads plain http(s) hosts its own quick way; for real cited URLs and the
    edges of that reading, its answer is the one a full split gives."""
    urls = cited_urls()
    urls += ["HTTP://WWW.A.TEST:8080/x", "http://a.test", "http://a.test:", "http://a.test:80x/",
             "http://u:p@a.test/", "http://[::1]:80/", "http://a.test?q", "http://a.test#f",
             "http://a\t.test/", "https://bücher.test/", "ftp://a.test/"]

    def split(url: str) -> str:
        try:
            return (urlsplit(url).hostname or "").lower()
        except ValueError:
            return ""

    assert [host_of(u) for u in urls] == [split(u) for u in urls]


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("http://e.org/x;jsessionid=ABC?q=1&sid=0123456789abcdef0123456789abcdef#f",
         "http://e.org/x?q=1#f"),
        ("http://e.org/readstory.asp?sid=106&ln=5", "http://e.org/readstory.asp?sid=106&ln=5"),
        ("http://e.org/(S(x3fjk2lmn))/a/p.aspx", "http://e.org/a/p.aspx"),
        ("http://e.org/a?PHPSESSID=abc", "http://e.org/a"),
        ("http://e.org/a?session_year=2012", "http://e.org/a?session_year=2012"),
        # Springer Nature's cookie check, and a code that names an area, kept without it.
        ("https://link.springer.com/article/10.1007/s10953-011-9719-x?error=cookies_not_"
         "supported&code=40571a11-7f18", "https://link.springer.com/article/10.1007/"
         "s10953-011-9719-x"),
        ("http://e.org/area?code=E06000001", "http://e.org/area?code=E06000001"),
        # Where the visitor came from says nothing about the page.
        ("https://e.org/r?id=7&utm_source=old-site&utm_medium=redirect&fbclid=IwAR0",
         "https://e.org/r?id=7"),
        ("https://e.org/r?ref=annual", "https://e.org/r?ref=annual"),
    ],
)
def test_a_visitors_session_is_taken_out_of_an_address(url: str, clean: str) -> None:
    assert without_session(url) == clean


@pytest.mark.parametrize(("host", "site"), [
    ("www.research.salford.ac.uk", "salford.ac.uk"),
    ("search.cardiffmet.ac.uk", "cardiffmet.ac.uk"),
    ("www.bbc.co.uk", "bbc.co.uk"),
    ("news.bbc.com", "bbc.com"),
    ("casino.test", "casino.test"),
])
def test_a_hosts_site_is_the_name_its_organisation_registered(host: str, site: str) -> None:
    assert site_of(host) == site


LABEL = "a" * 300


@pytest.mark.parametrize(("url", "defect"), [
    ("https://[::1", "the `[` that starts an IPv6 address is never closed; write the address "
     "between brackets, e.g. http://[2001:db8::1]/"),
    ("http://a.b/\x00x", "the invisible control character `\\x00` (character 12) cannot be "
     "part of a web address; delete it (it is often left by text pasted from a document)"),
    ("http://a\x1b[2J.example/", "the invisible control character `\\x1b` (character 9)"),
    ("http://a.test/\x7f", "the invisible control character `\\x7f` (character 15)"),
    ("http://127.0.0.2:99999/", "port 99999 is out of range (1-65535); correct the number after "
     "the `:`, or delete `:99999` to use the usual port"),
    ("http://[::1]:70000/", "port 70000 is out of range (1-65535)"),
    ("http://a.test:0/", "port 0 is out of range (1-65535)"),
    ("http://a.test:port/x", "the port `port` (after the `:`) is not a number from 1 to 65535; "
     "most addresses need no port: delete `:port`"),
    ("http://a.test:-1/", "the port `-1` (after the `:`) is not a number from 1 to 65535"),
    (f"http://{LABEL}.com/", "a part of the host name is 300 characters long, more than the 63 "
     "allowed between dots (and 253 for the whole name); check that it was copied correctly"),
    (f"http://{'.'.join(['a' * 60] * 5)}/", "the host name is 304 characters long, more than "
     "the 253 allowed; check that it was copied correctly"),
    ("http://a..b.test/", "the host name `a..b.test` has an empty part between dots; remove "
     "the extra `.`"),
    ("http://.a.test/", "the host name `.a.test` has an empty part between dots"),
    ("http://999.1.1.1/", "`999.1.1.1` is not an IP address: each of its four numbers is at "
     "most 255"),
    ("http://[zz]/", "`[zz]` is not an IPv6 address"),
    ("http://[::1]x/", "`x` after the `]` should be `:` and a port number, or nothing"),
    ("http://2001:db8::1/", "`2001:db8::1` looks like an IPv6 address; write it between "
     "brackets: `[2001:db8::1]`"),
    ("http://\u2603.com/", "the host name `\u2603.com` is not a valid international domain name"),
    ("http://user@:80/", "there is no host name; expected http://host/path"),
    ("http://a.test/" + "x" * 70_000, "the address is 70,014 characters long, more than the "
     "65,536 a web address may have; check that only the address was copied"),
])
def test_an_address_that_cannot_be_requested_says_what_is_wrong(url: str, defect: str) -> None:
    found = address_defect(url)
    assert found is not None and found.startswith(defect)
    assert "Invalid" not in found and "idna" not in found  # not httpx's or Python's words


@pytest.mark.parametrize("url", [
    "https://www.gov.uk/report.pdf", "http://a.test:8080/x", "http://[::1]:8080/",
    "http://[2001:db8::1]/", "http://user:pw@a.test/", "http://a.test./", "http://b\u00fccher.de/",
    f"http://{'a' * 63}.test/", "http://a.test/?q=[1]", "http://a_b.test/", "https://a.test:443",
])
def test_an_address_that_can_be_requested_has_no_defect(url: str) -> None:
    assert address_defect(url) is None


def test_every_address_httpx_refuses_is_a_defect_and_few_real_cited_ones_are() -> None:
    """What the run's parser refuses (the link would be `invalid`), --check-only warns of."""
    refused = ["https://[::1", "http://a.b/\x00x", "http://a.b/\tx", "http://a.test:x/",
               "http://999.1.1.1/", "http://[zz]/", "http://[::1]x/", "http://::1/",
               "http://\u2603.com/", "http://a.test/\x1b", "http://a.test/" + "x" * 70_000]
    for url in refused:
        with pytest.raises(httpx.InvalidURL):
            httpx.URL(url)
        assert address_defect(url) is not None, url
    # The real ones that are: a sign no host name has, which no resolver looks up (the
    # link would be `dead` for a host not found).
    assert [u for u in cited_urls() if address_defect(u) is not None] == [
        "http://www,ras.org.uk/images/stories/publications/beyondthestars.pdf",
        "http://www.biduk.org):", "http://www.mantralingua.com(Search"]


@pytest.mark.parametrize(("cited", "landed"), [
    ("http://www.bbc.co.uk/news/uk-12345", "https://www.bbc.co.uk/news/uk-12345"
     "?at_medium=RSS&at_campaign=KARANGA"),
    ("http://e.org/reports/annual", "http://e.org/reports/annual?utm_source=old-site"
     "&utm_medium=redirect"),
    ("https://www.theguardian.com/society/2012/oct/17/carers?CMP=share_btn_tw",
     "https://www.theguardian.com/society/2012/oct/17/carers"),
    ("https://www.sciencedirect.com/science/article/pii/S0140673612607809",
     "https://www.sciencedirect.com/science/article/pii/S0140673612607809?via%3Dihub"),
])
def test_a_redirect_that_only_adds_tracking_is_the_same_page(cited: str, landed: str) -> None:
    assert is_trivial_move(cited, landed)


def test_a_move_is_cited_without_its_tracking_parameters() -> None:
    assert without_session("https://www.sciencedirect.com/science/article/pii/S01406736"
                           "12607809?via%3Dihub") == ("https://www.sciencedirect.com/science/"
                                                      "article/pii/S0140673612607809")
    # Parameters that choose the page stay, whatever they are next to.
    assert without_session("http://e.org/view.php?id=12&utm_source=x&via=email") == \
        "http://e.org/view.php?id=12&via=email"
