"""The rot real evidence links hit, served by the local test server: parked and for-sale
domains, suspended hosting, servers' default pages, error pages served with 200 by the
common servers and CMSs, redirects to error addresses, site searches, login and consent
pages, the wrong kind of answer, a domain that changed hands; and the traps, real pages
that only mention errors, which must stay ``ok``.

Pages on 127.0.0.1 are in ``ROUTES`` (by path); other sites are in ``SITES`` (by host
name), which tests reach through ``SimulatedNames``: every name in ``SITES`` is
127.0.0.1, every other name does not exist. Each page is modelled on what the server, CMS
or service named beside it sends.
"""

from __future__ import annotations

import gzip
import socket
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.pdfs import make_pdf

if TYPE_CHECKING:
    from tests.server import Handler

HTML = "text/html; charset=utf-8"

# -- pieces of pages ------------------------------------------------------------------------

NAV = "".join(f'<li><a href="/{slug}">{name}</a></li>' for slug, name in [
    ("about", "About us"), ("services", "Our services"), ("news", "News and events"),
    ("publications", "Publications and reports"), ("get-involved", "Get involved"),
    ("volunteer", "Volunteering opportunities"), ("donate", "Donate"),
    ("contact", "Contact us"), ("jobs", "Jobs and vacancies"), ("privacy", "Privacy"),
    ("accessibility", "Accessibility statement"), ("sitemap", "Site map")])
FOOTER = ("<footer><p>Registered charity number 1012345. Company limited by guarantee, "
          "registered in England and Wales no. 2345678. Registered office: 12 Chapel "
          "Street, Salford M3 5JZ.</p><ul>" + NAV + "</ul><p>Copyright 2013. All rights "
          "reserved. We use cookies to make this website work better.</p></footer>")
ARTICLE = " ".join([
    "Young carers in Salford look after a parent or sibling with an illness, a disability "
    "or a problem with drugs or alcohol, and many do so without anyone at school knowing.",
    "The evaluation followed forty families over two years and spoke to the carers, their "
    "parents, their teachers and the workers who supported them.",
    "It found that regular respite breaks, a named contact at school and help with "
    "transport made the greatest difference to attendance and to wellbeing."] * 8)


def site_page(site: str, main: str, *, title: str | None = None) -> bytes:
    """A page of a small organisation's site: the site's chrome round ``main``."""
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title if title is not None else site}</title>"
            f"<link rel=\"stylesheet\" href=\"/css/site.css\"></head><body>"
            f"<header class=\"site-header\"><a class=\"logo\" href=\"/\">{site}</a>"
            f"<nav class=\"main-nav\"><ul>{NAV}</ul></nav></header>"
            f"<div id=\"content\" class=\"content\">{main}</div>"
            f"<aside class=\"sidebar\"><h3>Latest news</h3><ul>{NAV}</ul></aside>"
            f"{FOOTER}</body></html>").encode()


def article(title: str, lead: str, *, heading: str | None = None, extra: str = "") -> bytes:
    """A long, real article on the Salford Carers site."""
    return site_page("Salford Carers", f"<article><h1>{heading or title}</h1><p>{lead}</p>"
                     f"<p>{ARTICLE}</p>{extra}<p>{ARTICLE}</p></article>",
                     title=f"{title} | Salford Carers")


def _send(body: bytes | str, content_type: str = HTML, status: int = 200,
          headers: dict[str, str] | None = None) -> Callable[[Handler], None]:
    data = body.encode() if isinstance(body, str) else body
    return lambda h: h.send(status, data, content_type, headers)


def _to(location: str, status: int = 302) -> Callable[[Handler], None]:
    """A redirect; ``{base}`` is the server, ``{port}`` its port (for other hosts)."""
    def send(h: Handler) -> None:
        h.redirect(status, location.format(base=h.server.base, port=h.server.server_address[1]))
    return send


# -- parked, for sale, suspended, placeholders ----------------------------------------------

SPONSORED = "".join(f'<li><a href="/?kw={w}">{w.replace("+", " ").title()}</a></li>' for w in [
    "family+support+services", "foster+care", "parenting+classes", "child+counselling",
    "online+degree", "car+insurance", "cheap+flights", "mortgage+rates"] * 6)


def _sedo(domain: str) -> bytes:
    """Sedo's parking page: titled with the bare domain, sponsored links filled by
    Google's AdSense for Domains (caf.js), a "may be for sale" banner at the foot."""
    return (f"<!DOCTYPE html><html><head><title>{domain}</title>"
            '<script src="https://www.google.com/adsense/domains/caf.js"></script>'
            '<script src="https://img.sedoparking.com/jspartner/sedo.js"></script></head>'
            f"<body><div id=\"header\"><h1>{domain}</h1></div><div id=\"related\"><h2>Related "
            f"Searches</h2><ul>{SPONSORED}</ul></div><div id=\"footer\">The domain "
            f"{domain} may be for sale by its owner!</div></body></html>").encode()


def _godaddy(domain: str) -> bytes:
    """GoDaddy's free parking page: "This web page is parked FREE, courtesy of GoDaddy"."""
    return (f"<html><head><title>{domain}</title></head><body><div class=\"banner\">"
            "<h2>This Web page is parked for FREE, courtesy of GoDaddy.com.</h2></div>"
            f"<h1>{domain}</h1><p>Is this your domain? Let's turn it into a website!</p>"
            f"<ul>{SPONSORED}</ul><p>Would you like to buy this domain?</p></body></html>"
            ).encode()


def _dan(domain: str) -> bytes:
    """A Dan.com lander served on the domain itself: "… is for sale", "Buy now"."""
    return (f"<!DOCTYPE html><html><head><title>{domain} is for sale</title></head><body>"
            f"<main><h1>{domain}</h1><p>This domain name is available. Get this domain: "
            "buy now for £1,850 or pay in 12 monthly instalments. Make an offer.</p>"
            "<p>Fast and secure transfer. Buyer protection programme.</p></main>"
            "</body></html>").encode()


BODIS_LANDER = (b'<html><head><title></title><script>window.location.replace("/lander");'
                b"</script></head><body></body></html>")
#: Bodis's lander, where its script sends: the bare domain, then "Related Searches".
BODIS_PAGE = ("<!DOCTYPE html><html><head><title>familylinks-trust.org</title></head><body>"
              f"<div class=\"container\"><h1>familylinks-trust.org</h1><h2>Related Searches"
              f"</h2><ul>{SPONSORED}</ul></div></body></html>").encode()
PARKINGCREW = (b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>earlyhelp-hub.org.uk'
               b'</title><script src="//parkingcrew.net/jsparkcaf.js"></script></head>'
               b'<body><div id="target"></div><script>init("earlyhelp-hub.org.uk")</script>'
               b"</body></html>")
HUGEDOMAINS_LISTING = (b"<html><head><title>YoungCarers-Network.org.uk is for sale | "
                       b"HugeDomains</title></head><body><h1>YoungCarers-Network.org.uk</h1>"
                       b"<p>Buy this domain. Fast, easy transfer.</p></body></html>")
CPANEL_SUSPENDED = (b"<html><head><title>Account Suspended</title></head><body><div><h1>"
                    b"Account Suspended</h1><p>This Account has been suspended.</p><p>Contact "
                    b"your hosting provider for more information.</p></div></body></html>"
                    )
WPCOM_SUSPENDED = (b"<!DOCTYPE html><html><head><title>Site unavailable</title></head><body>"
                   b"<h1>Site unavailable</h1><p>This site has been archived or suspended in "
                   b"accordance with our Terms of Service.</p></body></html>")
APACHE_UBUNTU = ("<!DOCTYPE html><html><head><title>Apache2 Ubuntu Default Page: It works"
                 "</title></head><body><div class=\"main_page\"><div class=\"page_header\">"
                 "Apache2 Ubuntu Default Page</div><div class=\"section_header\">It works!"
                 "</div><p>" + " ".join([
                     "This is the default welcome page used to test the correct operation of "
                     "the Apache2 server after installation on Ubuntu systems.",
                     "If you can read this page, it means that the Apache HTTP server "
                     "installed at this site is working properly. You should replace this "
                     "file (located at /var/www/html/index.html) before continuing to "
                     "operate your HTTP server."] * 6) + "</p></div></body></html>").encode()
APACHE_IT_WORKS = b"<html><body><h1>It works!</h1></body></html>"
NGINX_WELCOME = (b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>"
                 b"<h1>Welcome to nginx!</h1><p>If you see this page, the nginx web server is "
                 b"successfully installed and working. Further configuration is required.</p>"
                 b"<p><em>Thank you for using nginx.</em></p></body></html>")
IIS_DEFAULT = (b'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html;'
               b' charset=iso-8859-1" /><title>IIS Windows Server</title></head><body><div '
               b'id="container"><a href="http://go.microsoft.com/fwlink/?linkid=66138&amp;'
               b'clcid=0x409"><img src="iisstart.png" alt="IIS" width="960" height="600" />'
               b"</a></div></body></html>")
COMING_SOON = (b"<!DOCTYPE html><html><head><title>Coming Soon</title></head><body><h1>Coming "
               b"Soon</h1><p>Our new website is on its way. Check back soon!</p></body></html>"
               )
PLESK_DEFAULT = (b"<!DOCTYPE html><html><head><title>Domain Default page</title></head><body>"
                 b"<h1>Domain Default page</h1><p>This page is generated by Plesk, the leading "
                 b"hosting automation software. You see this page because there is no Web site "
                 b"at this address.</p></body></html>")

# -- error pages served with 200 -------------------------------------------------------------

ASPNET_YELLOW = (b"<html><head><title>The resource cannot be found.</title></head><body "
                 b'bgcolor="white"><span><H1>Server Error in \'/\' Application.<hr width=100% '
                 b"size=1 color=silver></H1><h2> <i>The resource cannot be found.</i> </h2>"
                 b"</span><b> Description: </b>HTTP 404. The resource you are looking for (or "
                 b"one of its dependencies) could have been removed, had its name changed, or is "
                 b"temporarily unavailable.<br><b> Requested URL: </b>/Reports/Evaluation.aspx"
                 b"<br><hr><b>Version Information:</b> Microsoft .NET Framework Version:4.0."
                 b"30319; ASP.NET Version:4.8.4465.0</body></html>")
TOMCAT_404 = ('<!doctype html><html lang="en"><head><title>HTTP Status 404 \u2013 Not Found'
              "</title></head><body><h1>HTTP Status 404 \u2013 Not Found</h1><hr class=\"line\" />"
              "<p><b>Type</b> Status Report</p><p><b>Message</b> /reports/annual.jsp</p><p><b>"
              "Description</b> The origin server did not find a current representation for the "
              "target resource or is not willing to disclose that one exists.</p><hr class="
              '"line" /><h3>Apache Tomcat/9.0.65</h3></body></html>').encode()
NGINX_404 = (b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404"
             b" Not Found</h1></center>\r\n<hr><center>nginx/1.18.0 (Ubuntu)</center>\r\n"
             b"</body>\r\n</html>\r\n")
APACHE_404 = (b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 '
              b"Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL "
              b"was not found on this server.</p>\n<hr>\n<address>Apache/2.4.41 (Ubuntu) "
              b"Server at www.example.org Port 80</address>\n</body></html>\n")
IIS6_404 = (b"<html><head><title>The page cannot be found</title></head><body><h1>The page "
            b"cannot be found</h1><p>The page you are looking for might have been removed, had "
            b"its name changed, or is temporarily unavailable.</p><hr><p>HTTP Error 404 - File "
            b"or directory not found.<br>Internet Information Services (IIS)</p></body></html>"
            )
WIDGETS = ("<section class=\"widget\"><h2>Recent Posts</h2><ul>" + "".join(
    f"<li><a href=\"/2012/0{i}/post/\">Carers week {2010 + i}: what we did and what "
    "families told us about support</a></li>" for i in range(1, 9)) + "</ul></section>"
    "<section class=\"widget\"><h2>Archives</h2><ul>" + "".join(
        f"<li><a href=\"/20{y}/\">20{y}</a></li>" for y in range(10, 14)) + "</ul></section>")
WORDPRESS_404 = ("<!DOCTYPE html><html lang=\"en-GB\"><head><title>Page not found \u2013 "
                 "Salford Carers</title></head><body class=\"error404\"><header id=\"masthead\">"
                 f"<p class=\"site-title\">Salford Carers</p><nav><ul>{NAV}</ul></nav></header>"
                 "<main id=\"main\"><section class=\"error-404 not-found\"><header><h1 class="
                 "\"page-title\">Oops! That page can\u2019t be found.</h1></header><div class="
                 "\"page-content\"><p>It looks like nothing was found at this location. Maybe "
                 f"try one of the links below or a search?</p>{WIDGETS}{WIDGETS}</div></section>"
                 f"</main>{FOOTER}</body></html>").encode()
WORDPRESS_NOTHING = site_page("Salford Carers", "<h1 class=\"page-title\">Nothing Found</h1>"
                              "<p>Sorry, but nothing matched your search terms. Please try "
                              "again with some different keywords.</p>" + WIDGETS)
DRUPAL_404 = site_page("Blackpool Families", "<h1 class=\"title\">Page not found</h1><div "
                       "class=\"content\">The requested page \"/node/1234\" could not be "
                       "found.</div>", title="Page not found | Blackpool Families")
SHAREPOINT_ERROR = (b"<!DOCTYPE html><html dir=\"ltr\"><head><title>Error</title></head><body>"
                    b"<div id=\"ms-error-header\" class=\"ms-pr\"><h1 class=\"ms-core-pageTitle\">"
                    b"Sorry, something went wrong</h1><div id=\"ms-error-body\"><div id=\""
                    b"ms-error-error-content\"><span id=\"ctl00_PlaceHolderMain_LabelMessage\">"
                    b"This page has been removed, had its name changed, or is temporarily "
                    b"unavailable.</span></div><div id=\"ms-error-details\">Technical Details"
                    b"<br>Correlation ID: 6c2e9f9e-3a4b-4c5d-8e7f-0a1b2c3d4e5f<br>Date and Time: "
                    b"11/26/2024 9:00:00 AM</div></div></div></body></html>")
SITE_NAME_H2 = site_page("Salford CVS", "<h2>That page can\u2019t be found</h2><p>It may have "
                         "moved, or the link you followed may be out of date. Try the menu "
                         "above, or search the site.</p>")
SITE_NAME_LEAD = site_page("Blackpool Families", "<p>Sorry, the page you requested can't be "
                           "found. You could try our home page or the site map.</p>")
#: What a site leaves where a page was, answered 200: a notice, and a link to go on.
MOVED_NOTICE = site_page("Evidence Trust", "<h1>This page has moved</h1><p>This page has "
                         "moved to <a href=\"/research/\">our research pages</a>. Please "
                         "update your bookmarks.</p>", title="Page moved | Evidence Trust")
NOT_HERE = site_page("Evidence Trust", "<h2>Sorry, this page isn\u2019t here</h2><p>It may "
                     "have been moved or deleted.</p>")
SITE_HOME = site_page("Evidence Trust", "<h1>Welcome to the Evidence Trust</h1><p>We gather "
                      "evidence about what works for children and families.</p>",
                      title="Evidence Trust home")
SITE_ERROR = site_page("Evidence Trust", "<h2>Page not found</h2><p>Sorry, we could not find "
                       "that page.</p>")


def _compressed(body: bytes, coding: str) -> Callable[[Handler], None]:
    """An error page behind a content coding servers really send: raw deflate (no zlib
    header, as some IIS and PHP set-ups send), or gzip applied twice (a proxy gzipping what
    the application had gzipped)."""
    if coding == "deflate":
        squeezer = zlib.compressobj(wbits=-15)
        data = squeezer.compress(body) + squeezer.flush()
    else:
        data = gzip.compress(gzip.compress(body))
    return lambda h: h.send(200, data, headers={"Content-Encoding": coding})


# -- walls ----------------------------------------------------------------------------------

SIGN_IN = (b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Sign in</h1>"
           b"<form method=\"post\" action=\"/members-only/login\"><label>Email <input "
           b"name=\"email\"></label><label>Password <input type=\"password\" name=\"password\">"
           b"</label><button>Sign in</button></form></body></html>")
PORTAL_LOGIN = site_page("Evidence Portal", "<p>Please enter your details to continue.</p>"
                         "<form method=\"post\"><input name=\"user\"><input type=\"password\" "
                         "name=\"pass\"><input type=\"submit\" value=\"Go\"></form>")
ACCOUNT_LOGIN = site_page("Salford City Council", "<h1>Log in</h1><form><input name=\"u\">"
                          "<input type=\"password\" name=\"p\"></form>",
                          title="Log in - Salford City Council")
GOOGLE_CONSENT = (b"<!DOCTYPE html><html lang=\"en\"><head><title>Before you continue to "
                  b"YouTube</title></head><body><h1>Before you continue to YouTube</h1><p>We use "
                  b"cookies and data to deliver and maintain Google services.</p><form action="
                  b"\"https://consent.youtube.com/save\"><button>Reject all</button><button>"
                  b"Accept all</button></form></body></html>")
YAHOO_CONSENT = (b"<!DOCTYPE html><html><head><title>Yahoo is part of the Yahoo family of brands"
                 b"</title></head><body><h2>Yahoo is part of the Yahoo family of brands</h2><p>"
                 b"When you use our sites and apps, we use cookies to provide our sites and apps "
                 b"to you.</p><button>Accept all</button><button>Reject all</button>"
                 b"</body></html>")

# -- traps: real pages that only mention errors ------------------------------------------------

OFFICE_MOVED = article("Our office has moved", "The young carers service has moved to "
                      "the Langworthy hub.", heading="The service has moved to Langworthy")
HIDDEN_CARERS = article("Not found: the hidden carers of Salford", "Many young carers are "
                        "not found by services until a crisis; this report asks why.")
DATA_ERRORS = article("Counting young carers", "An error in the 2011 census returns meant "
                      "that 404 records were not found in the register at first, and the "
                      "figures were corrected in 2012.")
LOST_AND_FOUND = article("Missing from education", "Children missing from school are often "
                         "carers.", extra="<h2>Lost and not found</h2><p>Some children are "
                         "never found by the register at all.</p>")
DOMAIN_ARTICLE = article("How charities lose their web addresses", "When a small charity "
                         "closes, its web address lapses.", extra="<p>Within months a "
                         "parking company may show a page saying this domain is for sale, "
                         "full of sponsored links, where the charity's reports used to "
                         "be.</p>")
MEMBER_SIDEBAR = site_page("Salford Carers", f"<article><h1>Annual report 2012</h1><p>{ARTICLE}"
                           "</p></article><form class=\"login-box\"><h3>Member login</h3><input "
                           "name=\"user\"><input type=\"password\" name=\"pw\"></form>",
                           title="Annual report 2012 | Salford Carers")
COOKIE_BANNER = article("Respite breaks for young carers", "What families told us about "
                        "short breaks.", extra="<div class=\"cookie-banner\"><h2>We value "
                        "your privacy</h2><p>We use cookies.</p><button>Accept all</button>"
                        "</div>")
SPA_SHELL = (b"<!DOCTYPE html><html><head><title>Young carers dashboard</title><script "
             b"defer src=\"/static/js/main.4f3a2b.js\"></script></head><body><noscript>You need "
             b"to enable JavaScript to run this app.</noscript><div id=\"root\"></div>"
             b"</body></html>")
ERROR_BARS = article("Error bars in impact evaluation", "What a confidence interval tells "
                     "you, and what an error bar does not.")
CONDITIONAL_SCRIPT = article("Short breaks survey 2013", "The results of our survey.",
                             extra="<script>if (!document.cookie) { window.location = "
                             "\"/welcome\"; }</script>")
RESEARCH_REPORT = article("Young carers research report 2013", "Our research report.")
CARERS_WEEK = article("Carers week 2013", "What young carers told us this week.")
PHP_PDF_QUOTE = "Respite breaks made the greatest difference to attendance"
PLONE_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
BUDGET_STORY = article("Error in budget figures corrected", "The council corrected its "
                       "figures for carers' support.")

# -- a domain that changed hands ------------------------------------------------------------

CASINO = ("<!DOCTYPE html><html><head><title>Best Online Casino Sites UK 2024 \u2013 Free "
          "Spins &amp; Bonuses</title></head><body><h1>Best online casino sites</h1><p>" +
          " ".join(["Claim free spins and a welcome bonus at the top rated slots and roulette "
                    "sites, compared by our betting experts.",
                    "Play blackjack, poker and live dealer games with fast withdrawals and "
                    "secure payment methods."] * 12) + "</p></body></html>").encode()
SPRINGBOARD_EVALUATION = " ".join([
    "The Springboard project in Blackpool brought family support services together around "
    "families with complex needs.",
    "The evaluation followed the families for two years and found fewer children entering "
    "care, better school attendance and less domestic violence."] * 8)
REDESIGNED = site_page("Salford Carers Trust", "<article><h1>Evaluation of our young carers "
                       "service</h1><p>" + " ".join([
                           "Our young carers service in Salford supports children who look "
                           "after a parent or sibling, with respite breaks and school support.",
                           "An independent evaluation followed forty families over two years "
                           "and found better attendance and wellbeing."] * 8) + "</p></article>",
                       title="Evaluation of our young carers service | Salford Carers Trust")
#: A council's redesign: its old addresses sent, one by one, to new ones (any other old
#: address is 404): the strategy to its new page, the evaluation to the landing page of
#: a section that does not mention it.
COUNCIL_NAV = "".join(f'<li><a href="/{slug}">{slug.replace("-", " ").title()}</a></li>'
                      for slug in ["bins", "council-tax", "housing", "schools", "social-care",
                                   "planning", "libraries", "jobs", "contact-us", "news"])


def council_page(title: str, main: str) -> bytes:
    return (f"<!DOCTYPE html><html><head><title>{title} | Northshire County Council</title>"
            f"</head><body><header><a href=\"/\">Northshire County Council</a><nav><ul>"
            f"{COUNCIL_NAV}</ul></nav></header><main>{main}</main><footer><ul>{COUNCIL_NAV}"
            "</ul></footer></body></html>").encode()


YOUNG_CARERS_STRATEGY = ("<h1>Young carers strategy 2012 to 2015</h1><p>" + " ".join([
    "The young carers strategy sets out how the council and its partners will find young "
    "carers early, support them at school and give them respite breaks, following the "
    "independent evaluation of the young carers service."] * 8) + "</p>")
CHILDREN_AND_FAMILIES = council_page("Children and families", "<h1>Children and families</h1>"
                                     "<ul>" + "".join(
    f'<li><a href="/children-and-families/{slug}">{slug.replace("-", " ").title()}</a><p>Find '
    f'out about {slug.replace("-", " ")} in Northshire.</p></li>' for slug in [
        "adoption", "fostering", "early-help", "childcare", "local-offer", "family-hubs",
        "youth-services", "safeguarding"]) + "</ul>")
COUNCIL = "http://www.northshire.gov.uk/socialcare/youngcarers/"
#: The captures of the council's old pages, as they were: titled with the council's name.
COUNCIL_CAPTURES = {
    COUNCIL + "strategy2012.htm": council_page("Young carers strategy", YOUNG_CARERS_STRATEGY),
    COUNCIL + "evaluation.htm": council_page("Young carers service evaluation", "<h1>Young "
                                             "carers service evaluation</h1><p>" + " ".join([
        "The independent evaluation of the young carers service followed forty families for "
        "two years and found better school attendance and wellbeing."] * 8) + "</p>"),
}

#: The captures the fake archives hold of the last two, by the fake's key.
CAPTURE_TEXTS = {
    "http://springboard-families.org.uk/evaluation.html":
        "Evaluation of the Springboard project. " + SPRINGBOARD_EVALUATION,
    "http://carers-trust-salford.org.uk/about/evaluation":
        "Young carers service evaluation. " + " ".join([
            "The young carers service supports children in Salford who look after a parent "
            "or a brother or sister, with respite breaks and support at school.",
            "The independent evaluation followed forty families for two years; attendance "
            "and wellbeing improved."] * 8),
}


# -- YouTube ---------------------------------------------------------------------------------


def _youtube(title: str, playability: str) -> bytes:
    """YouTube's watch page as a script-less visitor gets it: drawn by its scripts in
    ``<ytd-app>``, the player's data inline, 200 whether or not the video plays."""
    return ("<!DOCTYPE html><html lang=\"en-GB\"><head><title>" + title + "</title><script "
            "src=\"/s/desktop/1a2b3c/jsbin/desktop_polymer.vflset/desktop_polymer.js\">"
            "</script></head><body><ytd-app></ytd-app><script>var ytInitialPlayerResponse = "
            "{\"responseContext\":{\"serviceTrackingParams\":[]},\"playabilityStatus\":"
            + playability + ",\"videoDetails\":{}};</script></body></html>").encode()


YOUTUBE_VIDEOS = {
    "young-carers-film": _youtube("Young carers in Salford - YouTube",
                                  "{\"status\":\"OK\",\"playableInEmbed\":true}"),
    "removed-film": _youtube(" - YouTube", "{\"status\":\"ERROR\",\"reason\":\"Video "
                             "unavailable\",\"errorScreen\":{}}"),
    "private-film": _youtube(" - YouTube", "{\"status\":\"LOGIN_REQUIRED\",\"reason\":"
                             "\"This video is private\",\"messages\":[]}"),
    # What YouTube answers an automated visitor from a data centre, for any video.
    "bot-checked-film": _youtube(" - YouTube", "{\"status\":\"LOGIN_REQUIRED\",\"reason\":"
                                 "\"Sign in to confirm you\u2019re not a bot\"}"),
}


def _youtube_site(h: Handler, path: str) -> None:
    video = h.path.partition("?v=")[2].split("&")[0]
    # Exf02R1FnXY: a real video's page, as YouTube serves it today.
    page = (YOUTUBE_WATCH if video == "Exf02R1FnXY" else YOUTUBE_VIDEOS.get(video)) \
        if path == "/watch" else None
    if page is None:
        h.send(404, b"<title>404 Not Found</title>")
    else:
        h.send(200, page)


# -- a body that closed ------------------------------------------------------------------

#: GOV.UK's page for a closed body, where the body's old addresses are sent: the body's
#: name, the notice, a link to its archived site.
GOVUK_CLOSED = ("<!DOCTYPE html><html lang=\"en\"><head><title>Children's Workforce "
                "Development Council - GOV.UK</title></head><body><header><a href=\"/\">GOV.UK"
                "</a></header><main id=\"content\"><h1>Children's Workforce Development "
                "Council</h1><p>Children's Workforce Development Council has closed. Its "
                "functions were transferred to the Teaching Agency and the Department for "
                "Education.</p><p>Visit the <a href=\"https://webarchive.nationalarchives.gov.uk"
                "/*/http://www.cwdcouncil.org.uk\">archived CWDC website</a>.</p></main><footer>"
                "All content is available under the Open Government Licence v3.0, except where "
                "otherwise stated. \u00a9 Crown copyright</footer></body></html>").encode()
GOVUK_ORGANISATION = "/government/organisations/childrens-workforce-development-council"
#: A consultation that has closed, where the old department's address now sends: the page.
GOVUK_CONSULTATION = ("<!DOCTYPE html><html lang=\"en\"><head><title>Young carers: "
                      "consultation - GOV.UK</title></head><body><main><h1>Young carers: "
                      "consultation</h1><p>This consultation has closed.</p><p>" + " ".join([
                          "We asked for views on how schools and councils should identify "
                          "young carers early and support them with respite breaks."] * 6) +
                      "</p></main></body></html>").encode()
#: GOV.UK's page for the body a closed one merged into: long, and not the evidence.
GOVUK_DFE = ("<!DOCTYPE html><html lang=\"en\"><head><title>Department for Education - "
             "GOV.UK</title></head><body><main><h1>Department for Education</h1><p>" + " ".join(
                 ["We are responsible for children's services and education, including early "
                  "years, schools, higher and further education policy, apprenticeships and "
                  "wider skills in England."] * 6) + "</p><h2>Latest from the Department for "
             "Education</h2><ul>" + "".join(f"<li><a href=\"/government/news/item-{i}\">News "
                                            f"story {i}</a></li>" for i in range(10)) +
             "</ul></main></body></html>").encode()
#: A publication GOV.UK withdrew, where the old department's address now sends: still the
#: evidence, with its notice.
GOVUK_WITHDRAWN = ("<!DOCTYPE html><html lang=\"en\"><head><title>Young carers: guidance for "
                   "schools - GOV.UK</title></head><body><main><h1>Young carers: guidance for "
                   "schools</h1><p>This guidance was withdrawn on 1 May 2015 and has been "
                   "replaced by Supporting young carers in school.</p><p>" + " ".join([
                       "Schools should name a member of staff who young carers can talk to, "
                       "and tell them about the support the council offers."] * 6) +
                   "</p></main></body></html>").encode()
#: A closed project's site: one notice at every address.
PROJECT_CLOSED = site_page("Young Carers Network", "<h1>Thank you</h1><p>The Young Carers "
                           "Network website has now closed. Thank you to everyone who took "
                           "part.</p>", title="Young Carers Network")
#: A story about a closure, moved by its own site: the page, which says "has closed".
CLOSURE_STORY = article("Sure Start centre has closed", "The Sure Start centre in Ordsall "
                        "has closed after funding ended; families will be served from the "
                        "Langworthy hub.", heading="Ordsall Sure Start centre has closed")


# -- where they are served ------------------------------------------------------------------

ROUTES: dict[str, Callable[[Handler], None]] = {
    # Error pages served with 200.
    "/aspnet/Reports/Evaluation.aspx": _send(ASPNET_YELLOW),
    "/tomcat/reports/annual.jsp": _send(TOMCAT_404),
    "/nginx-200/report.html": _send(NGINX_404),
    "/apache-200/report.html": _send(APACHE_404),
    "/iis6/reports/2012.htm": _send(IIS6_404),
    "/blog/2012/05/evaluation-report/": _send(WORDPRESS_404),
    "/category/young-carers/": _send(WORDPRESS_NOTHING),
    "/node/1234": _send(DRUPAL_404),
    "/sites/research/Pages/report.aspx": _send(SHAREPOINT_ERROR),
    "/deflate/report.html": _compressed(NGINX_404, "deflate"),
    "/gzip-twice/report.html": _compressed(APACHE_404, "gzip, gzip"),
    # Notices left where a page was.
    "/projects/evaluation-2012.html": _send(MOVED_NOTICE),
    "/projects/young-carers-survey.html": _send(NOT_HERE),
    # Redirects that land on no page.
    "/old/Evaluation.aspx": _to("/Error.aspx?aspxerrorpath=/old/Evaluation.aspx"),
    "/Error.aspx": _send(site_page("Evidence Trust", "<p>Sorry, an error has occurred.</p>",
                                   title="Error")),
    "/old/report.html": _to("/404.html", 301),
    "/404.html": _send(SITE_ERROR),
    "/old/news-item": _to("/not-found?url=/old/news-item"),
    "/not-found": _send(SITE_ERROR),
    "/old/page.php": _to("/pagenotfound"),
    "/pagenotfound": _send(site_page("Evidence Trust", "<p>We have recently redesigned our "
                                     "website.</p>")),
    "/old/evaluation-2012.htm": _to("/?404=/old/evaluation-2012.htm"),
    "/old/strategy.php": _to("/index.php?notfound=1", 301),
    "/old/services/young-carers.aspx": _to("/?redirect=/old/services/young-carers.aspx", 301),
    "/old/docs/carers-strategy.htm": _to("/index.php?oldurl={base}/old/docs/carers-strategy"
                                         ".htm"),
    "/old/publication/123": _to("/search?q=publication+123"),
    # A council's redesign sends what it lost to its A-Z of services, or to the site map.
    "/socialcare/carers/young-carers-grant.aspx": _to("/a-z/y", 301),
    "/a-z/y": _send(site_page("Evidence Trust", "<h1>A to Z of services: Y</h1><ul><li><a "
                              "href=\"/youth-services\">Youth services</a></li><li><a "
                              "href=\"/young-people\">Young people</a></li></ul>",
                              title="A to Z: Y | Evidence Trust")),
    "/publications/2011/annual-review.htm": _to("/sitemap.aspx"),
    "/sitemap.aspx": _send(site_page("Evidence Trust", "<h1>Site map</h1><ul><li><a href="
                                     "\"/about\">About us</a></li></ul>",
                                     title="Site map | Evidence Trust")),
    "/search": _send(site_page("Evidence Trust", "<h1>Search results</h1><p>0 results for "
                               "\u201cpublication 123\u201d.</p>",
                               title="Search | Evidence Trust")),
    "/blog/2013/06/annual-report/": _to("/?s=annual-report", 301),
    "/js-home/report.html": _send(b'<html><head><script type="text/javascript">'
                                  b'window.location.href = "/";</script></head>'
                                  b"<body></body></html>"),
    "/meta-home/report.html": _send(b'<html><head><meta http-equiv="refresh" '
                                    b"content=\"3;URL='/index.php'\"><title>Page moved</title>"
                                    b"</head><body>This page has moved.</body></html>"),
    "/index.php": _send(SITE_HOME),
    "/intranet/report": _to("/Account/Login?ReturnUrl=%2Fintranet%2Freport"),
    "/Account/Login": _send(ACCOUNT_LOGIN),
    "/video/watch": _to("http://consent.youtube.com:{port}/m?continue=https%3A%2F%2Fwww."
                        "youtube.com%2Fwatch%3Fv%3Dabc&gl=GB&hl=en"),
    "/news/yahoo-story": _to("http://guce.yahoo.com:{port}/consent?brandType=nonEu&done="
                             "https%3A%2F%2Fnews.yahoo.com%2Fstory"),
    "/maps/consent": _send(GOOGLE_CONSENT),
    # A council that sends a visitor who has not chosen to its own cookie page, to come
    # back after; and its cookie policy, which a page may cite.
    "/council/young-carers-strategy": _to("/cookies?returnUrl=%2Fcouncil%2Fyoung-carers-"
                                          "strategy"),
    "/cookies": _send(site_page("Northshire County Council", "<h1>Cookies on our website</h1>"
                                "<p>We use some essential cookies to make this website work. "
                                "We would like to set additional cookies to understand how you "
                                "use the site.</p><button>Accept all</button><button>Reject "
                                "additional cookies</button>", title="Cookies | Northshire")),
    # The wrong kind of answer.
    "/docs/annual-report-2012.pdf": _send(SITE_HOME),
    "/docs/evaluation.pdf": _send(SITE_ERROR),
    "/docs/survey-results.docx": _send(SITE_HOME),
    # A CDN or repository sending its HTML "not found" page under the document's type,
    # and the trap: a real PDF sent as S3 sends downloads, binary/octet-stream.
    "/files/evaluation-summary.pdf": _send(SITE_ERROR, "application/pdf"),
    "/files/annual-report.docx": _send(SITE_HOME, "application/vnd.openxmlformats-"
                                       "officedocument.wordprocessingml.document"),
    "/files/s3/report-2013.pdf": _send(PLONE_PDF + b"%" + b"x" * 4096, "binary/octet-stream"),
    # A PDF shown at its own address in Mozilla's pdf.js viewer (a CMS's plug-in), and
    # one in an HTML page that embeds it: the document, in the browser's reader.
    "/publications/annual-report-2013.pdf": _send(
        "<!DOCTYPE html><html dir=\"ltr\"><head><title>PDF.js viewer</title><script src=\""
        "/pdfjs/build/pdf.mjs\" type=\"module\"></script><script src=\"/pdfjs/web/viewer.mjs"
        "\" type=\"module\"></script></head><body><div id=\"outerContainer\"><div id=\""
        "viewerContainer\"><div id=\"viewer\" class=\"pdfViewer\"></div></div></div>"
        "</body></html>"),
    "/publications/evaluation-2013.pdf": _send(
        "<!DOCTYPE html><html><head><title>Evaluation 2013</title></head><body><embed src=\""
        "/files/evaluation-2013.pdf\" type=\"application/pdf\" width=\"100%\" height=\"900"
        "\"></body></html>"),
    # A PHP download script's PDF: the blank line its include printed first, and PHP's
    # default type, text/html. Readers find the header within the first kilobyte.
    "/download.php/young-carers-report.pdf": _send(b"\r\n" + make_pdf([PHP_PDF_QUOTE]),
                                                   "text/html; charset=UTF-8"),
    "/empty/report.html": _send(b""),
    "/data/young-carers-2012.csv": _send(b"year,carers\n2012,40\n", "text/plain"),
    "/status/report-2012": _send(b"OK", "text/plain"),
    # Login walls served with 200.
    "/portal/evidence.html": _send(PORTAL_LOGIN),
    # Traps: real pages that must stay ok.
    "/articles/hidden-carers": _send(HIDDEN_CARERS),
    "/articles/office-moved": _send(OFFICE_MOVED),
    "/articles/counting-young-carers": _send(DATA_ERRORS),
    "/articles/missing-from-education": _send(LOST_AND_FOUND),
    "/articles/lapsed-addresses": _send(DOMAIN_ARTICLE),
    "/members/news/annual-report": _send(MEMBER_SIDEBAR),
    "/articles/respite-breaks": _send(COOKIE_BANNER),
    "/app/dashboard": _send(SPA_SHELL),
    "/articles/error-bars": _send(ERROR_BARS),
    "/articles/survey-2013": _send(CONDITIONAL_SCRIPT),
    "/moved/report": _to("/research/report-2013", 301),
    "/research/report-2013": _send(RESEARCH_REPORT),
    "/moved/budget": _to("/news/2012/error-in-budget-figures-corrected", 301),
    "/news/2012/error-in-budget-figures-corrected": _send(BUDGET_STORY),
    # Plone's view of a document, sent to the document itself (as a site that left Plone
    # keeps its old addresses working), and a page's print view sent to the page.
    "/plone/publications/evaluation.pdf/view": _to("/plone/publications/evaluation.pdf", 301),
    "/plone/publications/evaluation.pdf": _send(PLONE_PDF, "application/pdf"),
    "/news/2013/carers-week/print": _to("/news/2013/carers-week", 301),
    "/news/2013/carers-week": _send(CARERS_WEEK),
    "/cwdc/research-report": _to("http://www.gov.uk:{port}" + GOVUK_ORGANISATION, 301),
    "/research/projects/young-carers": _to("/research/young-carers-project", 301),
    "/research/young-carers-project": _send(site_page(
        "Salford Carers", "<h1>Young carers project</h1><p>This project has now closed. The "
        "final report is available below.</p><p><a href=\"/research/final-report.pdf\">Final "
        "report (PDF)</a></p>", title="Young carers project | Salford Carers")),
    "/news/sure-start-closure": _to("/news/2013/ordsall-sure-start-centre-has-closed", 301),
    "/news/2013/ordsall-sure-start-centre-has-closed": _send(CLOSURE_STORY),
    # Retry-After longer than refcheck waits.
    "/busy503": lambda h: h.send(503, b"<title>Service Unavailable</title>",
                                 headers={"Retry-After": "600"}),
}


# -- healthy evidence as the big sites serve it today: none of it is rot --------------------

def news_article(title: str, lead: str, *, site: str = "The Guardian",
                 section: str = "Society") -> bytes:
    """A long news story as a national paper serves it: its headline in the title with
    the section's and the paper's names, the headline again in the h1, a standfirst."""
    return site_page(site, f"<article><h1>{title}</h1><p>{lead}</p><p>{ARTICLE}</p>"
                     f"<p>{ARTICLE}</p></article>", title=f"{title} | {section} | {site}")


#: A story whose opening sentence says that something "could not be found", cited at the
#: paper's old address, which now redirects to its new one.
MISSING_BOYS = news_article("Moorland search for missing brothers called off",
                            "Police said the two boys could not be found after a week of "
                            "searching the moors above Oldham.")

#: A story about a closure, which the paper's move to its new domain sent there: the story,
#: though its opening sentence says "The project has closed".
PROJECT_CLOSES = news_article("Salford young carers project closes as funding ends",
                              "The project has closed, leaving 200 young carers without the "
                              "respite breaks it ran for a decade.")

#: A long story with subheadings, one quoting what a hospital said of a lost file.
LOST_RECORDS = site_page("The Guardian", "<article><h1>Hospital loses young carers' records"
                         f"</h1><p>{ARTICLE}</p><h2>\u2018The file could not be found\u2019"
                         f"</h2><p>{ARTICLE}</p><h2>What happens next</h2><p>{ARTICLE}</p>"
                         "</article>", title="Hospital loses young carers' records | Society | "
                         "The Guardian")


#: Stories, a review and an exhibition whose names begin with an error's.
WEB_FORGETS = news_article("Page not found \u2013 why the web forgets",
                           "Link rot is eating the record of the last two decades.",
                           section="Technology")
NOTHING_FOUND = news_article("Nothing Found Here \u2013 review",
                             "A novel of absence, set in an empty seaside town.",
                             section="Books")
EXHIBITION_404 = site_page("University of Nottingham", "<article><h1>404 Not Found \u2013 an "
                           "exhibition about digital loss</h1><p>An exhibition at the "
                           f"Djanogly Gallery.</p><p>{ARTICLE}</p></article>",
                           title="404 Not Found \u2013 an exhibition about digital loss - "
                           "The University of Nottingham")


#: A short news story (a few paragraphs, as the BBC's are) headlined with a suspension.
ACCOUNT_SUSPENDED_STORY = site_page(
    "BBC News", "<article><h1>MP's Twitter account suspended after abuse</h1><p>The "
    "account of the MP for Salford was suspended on Tuesday after complaints from other "
    "users.</p><p>A spokesperson for the company said it did not comment on individual "
    "accounts, but that its rules on abuse applied to everyone.</p></article>",
    title="MP's Twitter account suspended after abuse - BBC News")


#: A department's old site, handed over to GOV.UK: the pages GOV.UK kept are sent to their
#: new addresses, every other address to The National Archives' capture of it.
DH_PUBLICATION = ("/en/Publicationsandstatistics/Publications/PublicationsPolicyAndGuidance/"
                  "DH_4006068")
GOVUK_PUBLICATION = site_page("GOV.UK", f"<main><h1>Carers at the heart of 21st-century "
                              f"families and communities</h1><p>{ARTICLE}</p></main>",
                              title="Carers at the heart of 21st-century families and "
                              "communities - GOV.UK")


def _transitioned(h: Handler, path: str) -> None:
    port = h.server.server_address[1]
    if path == DH_PUBLICATION:
        h.redirect(301, f"http://www.gov.uk:{port}/government/publications/carers-strategy")
    else:
        h.redirect(301, f"http://webarchive.nationalarchives.gov.uk:{port}/20130107105354/"
                        f"http://www.dh.gov.uk{path}")


def _ukgwa_frame(h: Handler, path: str) -> None:
    """UKGWA's banner, the capture in a frame: answered 200 whatever the capture is."""
    h.send(200, site_page("UK Government Web Archive", "<iframe src=\"/capture\"></iframe>",
                          title="UK Government Web Archive"))


#: NHS Choices' SharePoint address of a condition's page, and where it is now.
NHS_CONDITION = site_page("NHS", f"<main><h1>Aspergillosis</h1><p>{ARTICLE}</p></main>",
                          title="Aspergillosis - NHS")


#: A council's news item of 2012, saved in Windows-1252 and declaring nothing (its curly
#: apostrophe one byte, 0x92), and the sentence a case study quotes from it.
AWARD_QUOTE = "the council\u2019s young carers service has won a national award"
AWARD_1252 = ("<html><head><title>Young carers award</title></head><body><h1>Young carers "
              "award</h1><p>The council\u2019s young carers service has won a national award "
              f"for its work with schools.</p><p>{ARTICLE}</p></body></html>").encode("cp1252")


#: A charity's report page opening with a drop capital: "<span>T</span>he", one word on
#: the screen.
RESPITE_QUOTE = "The evaluation found that respite breaks made the greatest difference"
DROP_CAP = site_page("Salford Carers", "<article><h1>Respite breaks evaluation</h1><p><span "
                     "class=\"dropcap\">T</span>he evaluation found that <a href=\"/respite"
                     "\">respite breaks</a> made the <em>greatest</em> difference.</p>"
                     f"<p>{ARTICLE}</p></article>",
                     title="Respite breaks evaluation | Salford Carers")


#: YouTube's watch page as it is served: Polymer's <ytd-app>, the video's title and
#: description only in the scripts' data.
YOUTUBE_WATCH = (b'<!DOCTYPE html><html lang="en-GB"><head><title>Young carers in Salford - '
                 b'YouTube</title></head><body><script>var ytInitialData = {"description": '
                 b'"Young carers talk about school and respite breaks"};</script><ytd-app '
                 b'disable-upgrade="true"></ytd-app></body></html>')


#: The login pop-up a small site's theme (Bootstrap's modal) carries hidden on every page,
#: before the page's content: its heading "Sign in", a password field.
LOGIN_MODAL = ("<div class=\"modal fade\" id=\"loginModal\" role=\"dialog\" aria-hidden=\"true"
               "\"><div class=\"modal-dialog\"><h1>Sign in</h1><form action=\"/user/login\">"
               "<input name=\"name\"><input type=\"password\" name=\"pass\"><button>Sign in"
               "</button></form></div></div>")
#: A short news item, and a long one, on such a site.
AWARD_WITH_MODAL = site_page("Salford Carers", LOGIN_MODAL + "<h1>Young carers award</h1><p>"
                             "Our young carers service has won a national award for its work "
                             "with schools across Salford.</p>",
                             title="Young carers award | Salford Carers")
REPORT_WITH_MODAL = site_page("Salford Carers", LOGIN_MODAL + "<h1>Respite breaks: the "
                              f"evaluation</h1><p>{ARTICLE}</p>",
                              title="Respite breaks: the evaluation | Salford Carers")
#: A video, a gallery and an embedded report on such a site: a heading and the media.
VIDEO_WITH_MODAL = site_page("Salford Carers", LOGIN_MODAL + "<h1>Watch: the awards</h1>"
                             "<video src=\"/media/awards-2013.mp4\" controls></video>",
                             title="Young carers awards video | Salford Carers")
GALLERY_WITH_MODAL = site_page("Salford Carers", LOGIN_MODAL + "<h1>Gallery</h1><img src=\""
                               "/media/1.jpg\" alt=\"\"><img src=\"/media/2.jpg\" alt=\"\">",
                               title="Respite breaks in pictures | Salford Carers")
#: A sign-in wall drawn as a pop-up over a page with nothing else: still a sign-in page.
MODAL_WALL = site_page("Members", LOGIN_MODAL, title="Members")


#: A research data set's notes, a plain-text file (no title, as none has one), whose first
#: lines say what the data lacks.
DATA_NOTES = ("Survey of young carers in Salford, 2012: notes on the data\n\nRecords for 12 "
              "carers could not be found in the register and are left out of the tables. The "
              "project's old domain is for sale; the data stays here.\n\n" + "carer,age,"
              "hours_a_week,school_days_missed\n" + "".join(
                  f"{i},{11 + i % 7},{10 + i % 30},{i % 12}\n" for i in range(120))).encode()


#: A charity's home page, cited as the charity's: titled with its name, and its opening
#: sentence says what the charity is for.
MISSING_PEOPLE_HOME = site_page(
    "Missing People", "<main><p>Every year thousands of children run away from home, and "
    "some could not be found for weeks. We search, we support the families left behind, "
    f"and we campaign for change.</p><p>{ARTICLE}</p></main>", title="Missing People")


#: Short news stories (a few sentences, as a local paper's briefs are) whose words an
#: error page might use of a page.
WALKER_STORY = site_page("Manchester Evening News", "<article><h1>Search for missing walker "
                         "called off</h1><p>Mountain rescue teams said the walker could not be "
                         "found after two days on Kinder Scout.</p><p>The search will resume "
                         "when the weather clears.</p></article>",
                         title="Search for missing walker called off - Manchester Evening News")
RAID_STORY = site_page("Salford Star", "<article><h1>Police raid on Chapel Street</h1><p>Officers "
                       "searched the flat for three hours, but nothing was found.</p></article>",
                       title="Police raid on Chapel Street | Salford Star")


#: The Daily Mail: a story is read from the ID in its folder (``article-2235334``), and any
#: other words after it are sent to the story's own; a case study cites the address cut
#: short, as it was copied out of a PDF.
MAIL_STORY = "/news/article-2235334/Agnes-Collier-17-paralysed-crash-awarded-compensation.html"
MAIL_ARTICLE = news_article("Agnes Collier, 17, paralysed in crash, awarded compensation",
                            "A teenager paralysed in a crash that killed her mother has been "
                            "awarded compensation.", site="Mail Online", section="News")


def _mail(h: Handler, path: str) -> None:
    if path == MAIL_STORY:
        h.send(200, MAIL_ARTICLE)
    elif path.startswith("/news/article-2235334/"):
        h.redirect(301, MAIL_STORY)
    else:
        h.send(404, b"<title>Not Found</title>")


#: A tweet on x.com, as x.com answers a client without JavaScript: titled with the bare
#: domain, a notice that JavaScript is needed, and its scripts' fallback text.
X_SHELL = ("<!DOCTYPE html><html dir=\"ltr\" lang=\"en\"><head><meta charset=\"utf-8\">"
           "<title>x.com</title><script src=\"https://abs.twimg.com/responsive-web/client-"
           "web/main.js\"></script></head><body><noscript><div><h1>JavaScript is not "
           "available.</h1><p>We\u2019ve detected that JavaScript is disabled in this browser. "
           "Please enable JavaScript or switch to a supported browser to continue using x.com."
           "</p></div></noscript><div id=\"react-root\"><div id=\"ScriptLoadFailure\"><span>"
           "Something went wrong, but don\u2019t fret \u2014 let\u2019s give it another shot."
           "</span></div></div></body></html>").encode()


def _twitter(h: Handler, path: str) -> None:
    """twitter.com: every address sent to the same one on x.com."""
    h.redirect(301, f"http://x.com:{h.server.server_address[1]}{path}")


def _guardian_moved(h: Handler, path: str) -> None:
    """guardian.co.uk: every story sent to the same path on theguardian.com."""
    h.redirect(301, f"http://www.theguardian.com:{h.server.server_address[1]}{path}")


def _members_only(h: Handler, path: str) -> None:
    h.send(200, SIGN_IN)


def _every_path(body: bytes) -> Callable[[Handler, str], None]:
    return lambda h, path: h.send(200, body)


def _paths(routes: dict[str, Callable[[Handler], None]]) -> Callable[[Handler, str], None]:
    def serve(h: Handler, path: str) -> None:
        route = routes.get(path)
        if route is None:
            h.send(404, b"<title>Not Found</title><h1>Not Found</h1>")
        else:
            route(h)
    return serve


def _query_paths(routes: dict[str, Callable[[Handler], None]]) -> Callable[[Handler, str],
                                                                         None]:
    """As ``_paths``, for a site whose addresses have queries: routed by path and query."""
    def serve(h: Handler, path: str) -> None:
        route = routes.get(h.path)
        if route is None:
            h.send(404, b"<title>Not Found</title><h1>Not Found</h1>")
        else:
            route(h)
    return serve


#: Other sites, by host name: each answers every path as its (lapsed) owner now does.
SITES: dict[str, Callable[[Handler, str], None]] = {
    # Healthy pages of the sites REF case studies cite most.
    "www.guardian.co.uk": _guardian_moved,
    "www.theguardian.com": _paths({
        "/uk/2012/oct/17/moorland-search-missing-brothers": _send(MISSING_BOYS),
        "/technology/2013/may/01/link-rot": _send(WEB_FORGETS),
        "/books/2013/may/03/nothing-found-here-review": _send(NOTHING_FOUND),
        "/society/2012/mar/01/salford-young-carers-project-closes": _send(PROJECT_CLOSES),
        "/society/2012/jun/05/hospital-loses-young-carers-records": _send(LOST_RECORDS)}),
    "www.dh.gov.uk": _transitioned,
    "webarchive.nationalarchives.gov.uk": _ukgwa_frame,
    # A comparison site whose ``cmp`` chooses what is compared (not the Guardian's CMP
    # campaign tag): its comparison moved, the choice kept.
    "www.carecompare.org.uk": _query_paths({
        "/compare.php?cmp=respite-vs-day-care": _to("/compare?cmp=respite-vs-day-care", 301),
        "/compare?cmp=respite-vs-day-care": _send(site_page(
            "Care Compare", f"<h1>Respite breaks compared with day care</h1><p>{ARTICLE}</p>",
            title="Respite breaks vs day care | Care Compare")),
        "/compare?cmp=respite-vs-home-care": _to("/compare?cmp=respite-vs-day-care", 301)}),
    # Folders named as single sign-on's are (internally displaced people's, a Centre for
    # Advanced Studies'): pages moved into them are pages, not sign-ins.
    "www.displacement-institute.org": _paths({
        "/research/idp-project.html": _to("/projects/idp/", 301),
        "/projects/idp/": _send(site_page("Displacement Institute", "<h1>Project on "
                                          f"internal displacement</h1><p>{ARTICLE}</p>")),
        "/staff/jsmith.htm": _to("/cas/profile/jane-smith", 301),
        "/cas/profile/jane-smith": _send(site_page("Displacement Institute", "<h1>Professor "
                                                   f"Jane Smith</h1><p>{ARTICLE}</p>"))}),
    # A site run by one script that is asked for each page by its path (a front
    # controller's ``index.php?page=/…``): a page sent there is the page, not the home page.
    "www.salfordyouth.org.uk": _query_paths({
        "/about/history": _to("/index.php?page=/about/history", 301),
        "/index.php?page=/about/history": _send(site_page(
            "Salford Youth", f"<h1>Our history</h1><p>{ARTICLE}</p>",
            title="Our history | Salford Youth"))}),
    # A charity that changed its name and domain: its old addresses sent to the same
    # paths on the new one, where a short news item says one of its sites has closed.
    "www.salfordfamilies.org.uk": lambda h, path: h.redirect(
        301, f"http://www.familiesfirst-northwest.org.uk:{h.server.server_address[1]}{path}"),
    "www.familiesfirst-northwest.org.uk": _paths({
        "/news/2013/ordsall": _send(site_page(
            "Families First", "<h1>Ordsall drop-in</h1><p>Our Ordsall site has now closed; "
            "families will be seen at the Langworthy hub from 1 April.</p>",
            title="Ordsall drop-in | Families First"))}),
    # GitHub's page for a PDF in a repository: an HTML viewer at an address ending .pdf.
    "github.com": _paths({"/salford-carers/evaluation/blob/main/report-2013.pdf": _send(
        "<!DOCTYPE html><html><head><title>evaluation/report-2013.pdf at main \u00b7 "
        "salford-carers/evaluation \u00b7 GitHub</title></head><body><div id=\"repo-content"
        "\"><h1>report-2013.pdf</h1><p>Latest commit: final report of the young carers "
        "evaluation</p><a href=\"/salford-carers/evaluation/raw/main/report-2013.pdf\">"
        "Download raw file</a></div></body></html>")}),
    # A regulator's guidance on cookies, moved, reached from its home page (``?ref=``):
    # the evidence, not a cookie wall.
    "www.infocommissioner.org.uk": _query_paths({
        "/pecr/cookies.aspx": _to("/guide-to-pecr/cookies?ref=home", 301),
        "/guide-to-pecr/cookies?ref=home": _send(site_page(
            "Information Commissioner", "<h1>Guidance on the use of cookies and similar "
            f"technologies</h1><p>{ARTICLE}</p>", title="Cookies | Information Commissioner"))}),
    # A Drupal site without clean addresses: each page is the front script's ``?q=`` path
    # (``/?q=node/123``), not a search.
    "www.carersforum-drupal.org.uk": _query_paths({
        "/node/123": _to("/?q=node/123", 301),
        "/?q=node/123": _send(site_page("Carers Forum", "<h1>Young carers forum report</h1>"
                                        f"<p>{ARTICLE}</p>",
                                        title="Forum report | Carers Forum"))}),
    # A site search cited on purpose, at the search's old address.
    "www.nice.org.uk": _query_paths({
        "/Search.do?searchText=young+carers": _to("/search?q=young+carers", 301),
        "/search?q=young+carers": _send(site_page("NICE", "<h1>Search results for young "
                                                  "carers</h1><ul><li><a href=\"/guidance/"
                                                  "ng150\">Supporting adult carers</a></li>"
                                                  "</ul>", title="Search | NICE"))}),
    "www.salford.gov.uk": _paths({"/news/2012/young-carers-award.htm": _send(AWARD_1252,
                                                                             "text/html")}),
    "www.dailymail.co.uk": _mail,
    "twitter.com": _twitter,
    "x.com": _every_path(X_SHELL),
    "www.missingpeople.org.uk": _paths({"/": _send(MISSING_PEOPLE_HOME)}),
    "www.manchestereveningnews.co.uk": _paths({
        "/news/local-news/search-missing-walker-called-off-1234567": _send(WALKER_STORY)}),
    "www.salfordstar.com": _paths({"/article.asp?id=1234": _send(RAID_STORY),
                                   "/article.asp": _send(RAID_STORY)}),
    "data.salford.ac.uk": _paths({"/young-carers/2012/notes.txt": _send(DATA_NOTES,
                                                                        "text/plain")}),
    "www.salfordcarers.org.uk": _paths({"/reports/respite-breaks": _send(DROP_CAP),
                                        "/news/2013/young-carers-award": _send(AWARD_WITH_MODAL),
                                        "/reports/respite-evaluation": _send(REPORT_WITH_MODAL),
                                        "/video/awards-2013": _send(VIDEO_WITH_MODAL),
                                        "/gallery/respite-2013": _send(GALLERY_WITH_MODAL)}),
    "www.nhs.uk": _paths({
        "/conditions/Aspergillosis/Pages/Introduction.aspx": _to("/conditions/aspergillosis/",
                                                                 301),
        "/conditions/aspergillosis/": _send(NHS_CONDITION)}),
    "www.bbc.co.uk": _paths({"/news/uk-politics-21234567": _send(ACCOUNT_SUSPENDED_STORY)}),
    "www.nottingham.ac.uk": _paths({
        "/news/pressreleases/2013/may/404-exhibition.aspx": _send(EXHIBITION_404)}),
    "springboard-project.org.uk": _every_path(_sedo("springboard-project.org.uk")),
    "familiesfirst-salford.org.uk": _every_path(_godaddy("familiesfirst-salford.org.uk")),
    "parentingmatters.co.uk": _every_path(_dan("parentingmatters.co.uk")),
    "youngcarers-network.org.uk": lambda h, path: _to(
        "http://www.hugedomains.com:{port}/domain_profile.cfm?d=youngcarers-network&e=org.uk",
        301)(h),
    "carers-forum.org.uk": lambda h, path: _to(
        "http://dan.com:{port}/buy-domain/carers-forum.org.uk?redirected=true")(h),
    "www.hugedomains.com": _every_path(HUGEDOMAINS_LISTING),
    "dan.com": _every_path(_dan("carers-forum.org.uk")),
    "familylinks-trust.org": lambda h, path: h.send(
        200, BODIS_PAGE if path == "/lander" else BODIS_LANDER),
    "earlyhelp-hub.org.uk": _every_path(PARKINGCREW),
    "northwest-evidence.org.uk": lambda h, path: (
        h.send(200, CPANEL_SUSPENDED) if path == "/cgi-sys/suspendedpage.cgi"
        else _to("/cgi-sys/suspendedpage.cgi")(h)),
    "parentingproject.wordpress.com": _every_path(WPCOM_SUSPENDED),
    "safeguarding-board.org.uk": _every_path(APACHE_UBUNTU),
    "old-project.org.uk": _every_path(APACHE_IT_WORKS),
    "localcommunity-trust.org.uk": _every_path(NGINX_WELCOME),
    "councilreports.org.uk": _every_path(IIS_DEFAULT),
    "youthvoice.org.uk": _every_path(COMING_SOON),
    "evidence-hub.co.uk": _every_path(PLESK_DEFAULT),
    "salfordcvs.org.uk": _every_path(SITE_NAME_H2),
    "blackpoolfamilies.org.uk": _every_path(SITE_NAME_LEAD),
    "consent.youtube.com": _every_path(GOOGLE_CONSENT),
    "guce.yahoo.com": _every_path(YAHOO_CONSENT),
    "members.salfordcarers.org.uk": _members_only,
    "springboard-families.org.uk": _every_path(CASINO),
    # A body that closed: its old addresses sent to GOV.UK's page for it, one to the
    # consultation GOV.UK keeps.
    "www.cwdcouncil.org.uk": lambda h, path: _to(
        "http://www.gov.uk:{port}" + ("/government/consultations/young-carers"
                                      if path == "/consultations/young-carers"
                                      else GOVUK_ORGANISATION), 301)(h),
    "www.youtube.com": _youtube_site,
    # A site that sends a page to another site on the same machine (here, the test
    # server's own address): followed, as a browser there would.
    # Short links to pages since lost, which the archives keep.
    "bit.ly": _paths({"/3yCarers": _to("http://127.0.0.1:{port}/lost/in-ukgwa", 301),
                      "/3yBreaks": _to("http://127.0.0.1:{port}/lost/only-wayback", 301)}),
    "www.carersnet.org.uk": _paths({"/reports/young-carers-2013": _to(
        "http://127.0.0.1:{port}/research/report-2013", 301)}),
    "www.education.gov.uk": _paths({
        "/publications/standard/youngcarers": _to(
            "http://www.gov.uk:{port}/government/publications/young-carers-guidance", 301),
        "/childrenandyoungpeople/families/b0070575/youngcarers": _to(
            "http://www.gov.uk:{port}/government/organisations/department-for-education", 301),
        "/": _to("http://www.gov.uk:{port}/government/organisations/department-for-education",
                 301),
        # The department's own "about us", sent to its page on GOV.UK ("about").
        "/aboutdfe/about-us": _to("http://www.gov.uk:{port}/government/organisations/"
                                  "department-for-education/about", 301)}),
    "youngcarersnetwork.org.uk": _every_path(PROJECT_CLOSED),
    "www.gov.uk": _paths({GOVUK_ORGANISATION: _send(GOVUK_CLOSED),
                          # GOV.UK's own short address for an organisation's page.
                          "/dfe": _to("/government/organisations/department-for-education",
                                      301),
                          "/government/publications/carers-strategy": _send(GOVUK_PUBLICATION),
                          "/government/organisations/department-for-education":
                              _send(GOVUK_DFE),
                          "/government/organisations/department-for-education/about":
                              _send(GOVUK_DFE),
                          "/government/publications/young-carers-guidance":
                              _send(GOVUK_WITHDRAWN),
                          "/government/consultations/young-carers": _send(GOVUK_CONSULTATION)}),
    "carers-trust-salford.org.uk": _paths({"/about/evaluation": _send(REDESIGNED)}),
    # An international body's country office, its page moved to the country's code
    # (Azerbaijan's, az): the office's page, not an A-Z.
    "www.childrens-fund.org": _paths({
        "/azerbaijan/": _to("/az/", 301),
        "/az/": _send(site_page("Children's Fund", "<h1>Children's Fund in Azerbaijan</h1>"
                                f"<p>{ARTICLE}</p>", title="Azerbaijan | Children's Fund"))}),
    "www.northshire.gov.uk": _paths({
        "/socialcare/youngcarers/strategy2012.htm": _to("/children-and-families/young-carers/"
                                                        "strategy", 301),
        "/children-and-families/young-carers/strategy": _send(council_page(
            "Young carers strategy", YOUNG_CARERS_STRATEGY)),
        "/socialcare/youngcarers/evaluation.htm": _to("/children-and-families/", 301),
        "/children-and-families/": _send(CHILDREN_AND_FAMILIES),
        # A short news item about a place that moved: "The site" is the recycling site.
        "/news/2013/recycling-site-moves.htm": _send(council_page(
            "Recycling site moves", "<h1>Recycling site moves</h1><p>From 1 April the "
            "household waste recycling site at Frederick Road will close. The site has moved "
            "to Cobden Street, open seven days a week.</p>")),
        "/news/2013/website-moves.htm": _send(council_page(
            "Young carers service", "<h1>Young carers service</h1><p>This site has moved. "
            "Please visit our new website, www.northshire-youngcarers.org.uk.</p>"))}),
}


class SimulatedNames:
    """Stands in for getaddrinfo: the host names of ``SITES`` are 127.0.0.1, and no other
    name exists (so no test can reach the internet)."""

    async def __call__(self, host: str, port: object, **kwargs: Any) -> list[Any]:
        if host in SITES or host in ("localhost", "127.0.0.1"):
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                     ("127.0.0.1", 0))]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
