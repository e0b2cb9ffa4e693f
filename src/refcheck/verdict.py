"""The one place a link's status is decided.

The I/O steps (the fetch, the DOI lookup, the sibling probe, reading the page's text,
recognising archive citations) gather what they learn into ``Findings``; ``judge`` turns
those into a ``Verdict``, and ``evidence_of`` says where the evidence can be seen. Pure
functions: no I/O, tested without a network. ``classify`` is the part that reads an HTTP
exchange (redirects, error pages, parked domains, walls); ``classify.py`` and ``pages.py``
read pages (``classify.py`` also holds the retry policy) and decide no status. Every
``Verdict`` is made in this module, with the corroboration each reading needs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

from refcheck.archive.citations import Citation, original_of_capture
from refcheck.archive.memento import parse_http_date, parse_timestamp
from refcheck.classify import (
    HTML_TYPES,
    RETRY_STATUSES,
    describe_status,
    is_bot_challenge,
    page_title,
    shortener_interstitial,
    wait_words,
)
from refcheck.model import (
    Answer,
    Capture,
    Evidence,
    FailureKind,
    Fetch,
    Hop,
    Lookup,
    LookupOutcome,
    Status,
    Verdict,
    day,
)
from refcheck.pages import (
    Page,
    app_shell,
    closure_sign,
    consent_sign,
    document_kind,
    error_sign,
    govuk_organisation,
    is_about_page,
    is_consent_url,
    is_cookie_check_url,
    is_error_url,
    is_generic_title,
    is_govuk_alias_of,
    is_html,
    is_login_url,
    is_search_url,
    is_site_index,
    is_trivial,
    is_viewer,
    login_sign,
    maintenance_sign,
    mentions,
    names_its_home_page,
    parking_sign,
    placeholder_sign,
    read_page,
    reseller_of,
    resemblance,
    search_sign,
    shows_a_pdf,
    suspended_sign,
    telling_words_shared,
    title_overlap,
    title_segments,
    video_unavailable,
    words_of,
    worth_reading,
)
from refcheck.urls import (
    credentials_in,
    host_of,
    is_home_page,
    is_login_page,
    is_section_root,
    is_short_link,
    is_trivial_move,
    shortener_warning,
    site_of,
    without_session,
)

NO_NETWORK_DETAIL = (
    "not checked: no network connection (nothing could be reached, not even {probe}); "
    "connect to the internet and run refcheck again"
)


@dataclass(frozen=True)
class DoiRecord:
    """What the DOI system's handle API said about a DOI."""

    doi: str
    fetch: Fetch  # the handle API's answer (or failure)
    code: int | None  # its responseCode: 1 registered, 100 not found, 200 no values
    target: str | None  # the web address the DOI points to
    landing: Fetch | None = None  # the fetch of ``target``, when it was fetched


@dataclass(frozen=True)
class Findings:
    """Everything learned about one cited URL, before anything is concluded."""

    url: str
    fetch: Fetch
    retired: str | None = None  # why a short link can no longer work (no request made)
    doi: DoiRecord | None = None  # the URL names a DOI: the DOI system was asked instead
    cited: Citation | None = None  # the URL names an archive capture
    landed: Citation | None = None  # its redirects ended on an archive capture
    catch_all: str | None = None  # a made-up address beside it got the same page
    #: A made-up address beside it was sent to a third site (the cited link to another).
    sent_elsewhere: str | None = None


def judge(findings: Findings) -> Verdict:
    """The status and plain-English detail of one cited URL."""
    if findings.retired:
        return Verdict(Status.DEAD, f"{findings.retired}; the page it led to can only be "
                       "found through an archive")
    if findings.doi is not None:
        return _doi(findings.doi)
    verdict = classify(findings.fetch)
    archived = _archive(findings, verdict)
    if archived is not None:
        return archived
    if findings.sent_elsewhere and verdict.status in (Status.OK, Status.MOVED):
        return Verdict(
            Status.SOFT_404,
            f"redirects to {verdict.final_url} on another site, and a made-up address beside "
            f"it to yet another ({findings.sent_elsewhere}): the domain sends visitors to "
            "unrelated sites, as a lapsed domain sold for its traffic does, so the evidence "
            "is gone",
            final_url=verdict.final_url, page_title=verdict.page_title)
    if findings.catch_all:
        answer = findings.fetch.answer
        if answer is not None and app_shell(answer):
            return dataclasses.replace(verdict, detail=(
                f"{verdict.detail}; a web application's page, drawn by its scripts, which the "
                f"site shows at any address (a made-up one beside it, {findings.catch_all}, "
                "too): refcheck cannot see whether this one holds the evidence; open it in a "
                "browser to confirm"))
        return Verdict(
            Status.SOFT_404,
            f"answers, but a made-up address beside it ({findings.catch_all}) gets the same "
            "page: the site shows this page for anything, so it is not the evidence",
            final_url=verdict.final_url, page_title=verdict.page_title)
    return verdict


def origin(fetch: Fetch) -> str:
    """Where the cited page really is: a short link's first hop is its expansion."""
    return fetch.hops[0].location if is_short_link(fetch.url) and fetch.hops else fetch.url


def redirected(fetch: Fetch) -> bool:
    """Whether the answer came from another page than the one cited (trivial moves and a
    short link's own redirect aside)."""
    return (fetch.answer is not None and bool(fetch.hops)
            and not is_trivial_move(origin(fetch), fetch.answer.url))


def worth_probing(findings: Findings, verdict: Verdict,
                  short_text: Callable[[Answer], bool]) -> bool:
    """Whether a live verdict is suspicious enough to ask a made-up address beside it:
    the page was reached by a redirect, or its text is short (``short_text``, asked last:
    it reads the page's text)."""
    answer = findings.fetch.answer
    if answer is None or verdict.status not in (Status.OK, Status.MOVED):
        return False
    if verdict.capture is not None or answer.content_type not in HTML_TYPES:
        return False
    # Error wording that is not plain enough to count alone, or a deep address whose page
    # names the home page as its own: a site that shows the same page for a made-up
    # address settles it.
    return (redirected(findings.fetch) or short_text(answer)
            or (worth_reading(answer) and error_sign(answer) is not None)
            or names_its_home_page(answer))


def with_quote(verdict: Verdict, quote: str | None, found: bool | None, *,
               cut: int | None = None, drawn: bool = False) -> Verdict:
    """A live page must still hold the quote its source cites, or it has drifted.
    ``found`` is None when the page's text could not be read, or the quote is not in the
    part read; ``cut`` is the most that is read, when the page was longer; ``drawn`` when
    the page is a web application's shell, its text drawn in the browser."""
    if not quote or verdict.status not in (Status.OK, Status.MOVED):
        return verdict
    if drawn:
        return dataclasses.replace(
            verdict, detail=f"{verdict.detail}; the page is drawn by its scripts in the "
                            "browser, so refcheck cannot read its text and the quote was not "
                            "checked: look for it in a browser")
    if found is None and cut is not None:
        return dataclasses.replace(
            verdict, detail=f"{verdict.detail}; it {too_long_to_read(cut)}, so the quote was "
                            "not checked: look for it in a browser")
    if found is None:
        return dataclasses.replace(
            verdict, detail=f"{verdict.detail}; could not read the page's text, so the quote "
                            "was not checked")
    if found:
        return dataclasses.replace(verdict, detail=f"{verdict.detail}; the quote is there")
    return dataclasses.replace(
        verdict, status=Status.DRIFTED,
        detail=f"the page no longer contains the quote \u201c{_short(quote)}\u201d "
               f"({verdict.detail})")


def no_url() -> Verdict:
    return Verdict(Status.NO_URL, "no URL: held by the institution, not checkable online")


def invalid(defect: str) -> Verdict:
    return Verdict(Status.INVALID, f"not a usable web address: {defect}")


def no_network(probe: str | None) -> Verdict:
    return Verdict(Status.ERROR, NO_NETWORK_DETAIL.format(probe=probe or "the probe address"))


def excluded_by(url: str, include: Sequence[re.Pattern[str]],
                exclude: Sequence[re.Pattern[str]]) -> Verdict | None:
    """The settings file's ``include``/``exclude`` patterns (regular expressions searched
    in the URL as cited, as lychee's): a URL an ``include`` pattern matches is checked;
    else one an ``exclude`` pattern matches is not, nor, when there are ``include``
    patterns, one none of them matches. None when the URL is to be checked."""
    if any(p.search(url) for p in include):
        return None
    for pattern in exclude:
        if pattern.search(url):
            return Verdict(Status.EXCLUDED, "not checked: the settings file excludes it "
                           f"(exclude pattern `{pattern.pattern}`)")
    if include:
        return Verdict(Status.EXCLUDED, "not checked: it matches none of the settings "
                       "file's include patterns")
    return None


def accepted(verdict: Verdict, fetch: Fetch, accept: Mapping[str, frozenset[int]],
             quote: str | None = None) -> Verdict:
    """A failing answer whose HTTP status the settings file's ``accept`` table allows for
    its host (``"www.linkedin.com" = [999]``: the user has looked) is ``ok``."""
    answer = fetch.answer
    if not accept or answer is None or verdict.status in (Status.OK, Status.MOVED,
                                                          Status.ARCHIVED):
        return verdict
    hosts = {host_of(answer.url), host_of(fetch.url)}
    if not any(answer.status in accept.get(host, ()) for host in hosts):
        return verdict
    unchecked = "; the quote could not be checked" if quote else ""
    return Verdict(Status.OK, f"{describe_status(answer.status, answer.reason)}, accepted by "
                   f"the settings file for {host_of(answer.url)}{unchecked}",
                   final_url=verdict.final_url, page_title=verdict.page_title)


def unconcluded() -> Verdict:
    """A link whose check had failed for want of a network, when the run was stopped before
    refcheck could tell whether the network itself was down."""
    return Verdict(Status.ERROR, "not concluded: the run was stopped before refcheck could "
                   "tell whether the network is up; run it again")


#: Statuses whose evidence is looked for in the archives.
LOOKUP_STATUSES = frozenset({Status.DEAD, Status.SOFT_404, Status.BLOCKED, Status.ERROR,
                             Status.DRIFTED})


def evidence_of(status: Status, capture: Capture | None, lookups: Sequence[Lookup],
                quote_in_capture: bool | None = None) -> Evidence | None:
    """Where the evidence behind a link can be seen now."""
    if status in (Status.NO_URL, Status.EXCLUDED):
        return None
    if status in (Status.BLOCKED, Status.ERROR):
        # The live page may well be there, behind the wall or the error: a capture is a
        # help, but the evidence is not known to exist only in an archive.
        return Evidence.UNKNOWN
    if capture is not None:
        return Evidence.UNKNOWN if quote_in_capture is False else Evidence.ARCHIVED
    if status in (Status.OK, Status.MOVED):
        return Evidence.LIVE
    lost = status in (Status.DEAD, Status.SOFT_404, Status.DRIFTED)
    if lost and lookups and all(x.outcome is LookupOutcome.NOT_ARCHIVED for x in lookups):
        return Evidence.LOST
    return Evidence.UNKNOWN


#: Said of a capture a quote could not be looked for in all of; ``report.action`` reads it
#: back, so as not to call the quote missing from a copy that was not read.
QUOTE_NOT_CHECKED_IN_CAPTURE = "so the quote was not checked in it"


def quote_in_capture_detail(detail: str, capture: Capture, found: bool | None,
                            unread: str | None = None) -> str:
    """What the capture says of the quote: in it, missing from it (read whole), or, when
    ``found`` is None, not checked, because of ``unread`` (it is longer than refcheck reads,
    its text or the capture itself could not be read): never a confident negative from a
    partial read."""
    when = day(capture.captured)
    if found:
        return f"{detail}; the quote is in the capture of {when}"
    if found is False:
        return f"{detail}; the capture of {when} lacks it too"
    return (f"{detail}; the capture of {when} {unread or 'could not be read'}, "
            f"{QUOTE_NOT_CHECKED_IN_CAPTURE}: look for it in the capture, {capture.url}")


def too_long_to_read(cut: int) -> str:
    """Of a document read only in part: why a quote not found in it is not checked."""
    return f"is longer than the {_size(cut)} refcheck reads"


# -- what an HTTP exchange means ------------------------------------------------------

_FAILURE_TEXT = {
    FailureKind.REFUSED: "connection refused: nothing is listening at that address",
    FailureKind.RESET: "the server closed the connection",
    FailureKind.TIMEOUT: "timed out waiting for the server",
    FailureKind.DEADLINE: "gave up: the server was too slow to send the page",
    FailureKind.TLS: "secure connection failed",
    FailureKind.REDIRECT_LOOP: "redirect loop",
    FailureKind.TOO_MANY_REDIRECTS: "too many redirects",
    FailureKind.BAD_REDIRECT: "the server redirected to an unusable address",
    FailureKind.PROTOCOL: "the server's answer is not valid HTTP",
    FailureKind.HTTP2_ONLY: "the server requires HTTP/2",
    FailureKind.LOCAL: "not checked: this machine ran out of resources",
    FailureKind.DNS_TEMPORARY: "the host name could not be looked up just now",
    FailureKind.OTHER: "request failed",
}


def classify(fetch: Fetch) -> Verdict:
    """What the network said about one URL, as a status and a plain-English detail: the
    HTTP part of ``judge``."""
    failure = fetch.failure
    if failure is not None:
        final = fetch.hops[-1].location if fetch.hops else None
        if failure.kind is FailureKind.INVALID_URL:
            return Verdict(Status.INVALID, f"not a usable web address: {failure.message}")
        if failure.kind is FailureKind.DNS:
            if fetch.hops:
                return Verdict(
                    Status.DEAD,
                    f"redirects to {final}, whose host name does not exist",
                    final_url=final,
                )
            return Verdict(Status.DEAD, "the host name does not exist (DNS lookup failed)")
        text = _FAILURE_TEXT.get(failure.kind, "request failed")
        if failure.message and failure.kind is not FailureKind.REDIRECT_LOOP:
            text = f"{text} ({failure.message})"
        elif failure.message:
            text = f"{text}: {failure.message}"
        if fetch.attempts > 1:
            text += f"; tried {fetch.attempts} times"
        return Verdict(Status.ERROR, text, final_url=final)

    answer = fetch.answer
    if answer is None:  # a Fetch always has one or the other; be explicit all the same
        return Verdict(Status.ERROR, "no answer")
    code = answer.status
    short = is_short_link(fetch.url) and bool(fetch.hops)
    # A short link's redirect is its job: judge the page from where it expands to.
    origin = fetch.hops[0].location if short else fetch.url
    redirected = bool(fetch.hops) and not is_trivial_move(origin, answer.url)
    final_url = answer.url if fetch.hops else None
    if short:
        via = f"short link to {answer.url}, which answers "
    else:
        via = f"redirects to {answer.url}, which answers " if redirected else ""
    title = page_title(answer)

    # A shortener's own page in the way (Bitly's warning, LinkedIn's "not on LinkedIn"
    # page when its link could not be read): not the link's expansion, and no verdict on
    # the evidence behind it.
    warning = shortener_warning(answer.url) if short else None
    if warning is not None:
        service, target = warning
        to = f" (to {target})" if target else ""
        return Verdict(
            Status.BLOCKED,
            f"{service} shows a warning page instead of following the short link{to}: it "
            "warns about links it takes for spam or phishing, and about links to other short "
            "links; open it in a browser",
            final_url=final_url, page_title=title)
    interstitial = (shortener_interstitial(answer.body)
                    # on the shortener's own host, however it got there (http to https,
                    # lnkd.in to www.lnkd.in)
                    if is_short_link(fetch.url) and is_short_link(answer.url)
                    and 200 <= code < 300 else None)
    if interstitial is not None:
        return Verdict(
            Status.BLOCKED,
            f"{interstitial} shows a page of its own instead of following the short link, "
            "and where it leads could not be read from it; open it in a browser",
            page_title=title)

    if is_bot_challenge(answer, title):
        return Verdict(
            Status.BLOCKED,
            f"{via}a bot check ({describe_status(code, answer.reason)}); open it in a browser",
            final_url=final_url,
            page_title=title,
        )
    if code in (404, 410):
        return Verdict(Status.DEAD, via + describe_status(code, answer.reason),
                       final_url=final_url, page_title=title)
    if code == 451:
        # Withheld by law, usually by the visitor's country (US news sites that keep out the
        # UK and the EU): a person's browser here may well get the same.
        return Verdict(
            Status.BLOCKED,
            f"{via}{describe_status(code, answer.reason)}: the site withholds the page for "
            "legal reasons, often from every visitor in the UK or the EU; open it in a "
            "browser, and if it is withheld there too, cite an archived copy",
            final_url=final_url,
            page_title=title,
        )
    if code == 407:
        # Not the site: a proxy between this machine and the web wants a sign-in.
        return Verdict(
            Status.BLOCKED,
            f"{via}{describe_status(code, answer.reason)}: a proxy on this network asks "
            "for a sign-in before it lets refcheck through; put its user name and password "
            "in HTTPS_PROXY and HTTP_PROXY (http://user:password@proxy:port), or run "
            "refcheck where no proxy is needed",
            final_url=final_url,
            page_title=title,
        )
    if code == 402:
        # A paywall (some news and journal sites answer so), or a site whose owner has not
        # paid its host (Shopify's unpaid shops): a person may see the page, or the same.
        return Verdict(
            Status.BLOCKED,
            f"{via}{describe_status(code, answer.reason)}: the page is behind a paywall, or "
            "the site's owner has not paid for it; open it in a browser, and if it is "
            "not there, cite an archived copy",
            final_url=final_url,
            page_title=title,
        )
    if code in (401, 403):
        return Verdict(
            Status.BLOCKED,
            f"{via}{describe_status(code, answer.reason)}: the server refuses automated "
            "checks; open it in a browser",
            final_url=final_url,
            page_title=title,
        )
    if fetch.retry_after is not None and (code in RETRY_STATUSES or 500 <= code < 600):
        # The server said when to come back, later than refcheck waits: not a verdict on
        # the page, and no "after N tries" (it was not asked again).
        return Verdict(
            Status.BLOCKED if code == 429 else Status.ERROR,
            f"{via}{describe_status(code, answer.reason)}: the server asked us to wait "
            f"{wait_words(fetch.retry_after)}; try later",
            final_url=final_url,
        )
    if code == 429:
        return Verdict(
            Status.BLOCKED,
            f"{via}429 Too Many Requests after {fetch.attempts} tries: the site is rate-limiting; "
            "open it in a browser or later",
            final_url=final_url,
        )
    if 500 <= code < 600:
        tries = f" after {fetch.attempts} tries" if fetch.attempts > 1 else ""
        return Verdict(Status.ERROR, f"{via}{describe_status(code, answer.reason)}{tries}: "
                       "the server failed; try again later", final_url=final_url)
    if not 200 <= code < 300:
        return Verdict(Status.ERROR,
                       f"{via}unexpected answer {describe_status(code, answer.reason)}",
                       final_url=final_url)

    if fetch.hops and _sign_in(answer.url) and not _sign_in(fetch.url):
        return Verdict(
            Status.BLOCKED,
            f"redirects to a login page ({answer.url}); open it in a browser, signed in if "
            "the evidence needs it",
            final_url=final_url,
            page_title=title,
        )
    if redirected:
        landing = _landing(fetch, origin, title)
        if landing is not None:
            status, detail = landing
            return Verdict(status, detail, final_url=final_url, page_title=title)
    # Where it landed, without the visitor's session or Springer's cookie check the
    # server put in the address on the way (``/;jsessionid=…`` is the home page too).
    landed = without_session(answer.url)
    if redirected and is_home_page(landed, sent_from=origin) and not is_home_page(origin):
        return Verdict(
            Status.SOFT_404,
            f"redirects to the site's home page ({answer.url}): the cited page is gone",
            final_url=final_url,
            page_title=title,
        )
    if redirected and is_section_root(origin, landed):
        return Verdict(
            Status.SOFT_404,
            f"redirects to a section page ({answer.url}): the cited page is gone",
            final_url=final_url,
            page_title=title,
        )
    # A YouTube video that no longer plays: its page answers 200 whatever the video.
    video = video_unavailable(answer)
    if video is not None:
        playability, reason = video
        said = f" (\u201c{_short(reason)}\u201d)" if reason else ""
        if playability == "ERROR":
            return Verdict(Status.SOFT_404, f"{via}YouTube's page for a video that is not "
                           f"there{said}: the video has been removed or never existed",
                           final_url=final_url, page_title=title)
        if _BOT_CHECK.search(reason):
            return Verdict(Status.BLOCKED, f"{via}YouTube's check of automated visitors"
                           f"{said}, which it shows for any video: the video may well be there; "
                           "open it in a browser", final_url=final_url, page_title=title)
        return Verdict(Status.BLOCKED, f"{via}YouTube's page for a video it will not play "
                       f"here{said}: it may be private, age-restricted or blocked in this "
                       "country; open it in a browser", final_url=final_url, page_title=title)
    # Most pages say nothing any rule reads: those are not parsed at all.
    page = (read_page(answer) if redirected or worth_reading(answer, title)
            or document_kind(origin) else None)
    if page is not None:
        shown = _what_it_shows(answer, page, origin, redirected)
        if shown is not None:
            status, detail = shown
            return Verdict(status, f"{via}{detail}", final_url=final_url, page_title=title)
    if _empty(answer):
        return Verdict(Status.SOFT_404, f"{via}{describe_status(code, answer.reason)} with an "
                       "empty page: none of the evidence is there", final_url=final_url)
    # A signed or tokened address the server hands out (S3's X-Amz-Signature behind a
    # repository's download link): it expires, so the cited address is the one to keep. (A
    # visitor's session is left out of the new address instead: ``without_session``.)
    signed = redirected and bool(credentials_in(without_session(answer.url))
                                 - credentials_in(origin))
    if short:
        if signed:
            return Verdict(Status.OK, f"short link to {answer.url}, an address with "
                           "credentials the server added, which expire: keep the short link, "
                           "or find the page's own address", final_url=final_url,
                           page_title=title)
        return Verdict(Status.OK, f"short link to {answer.url}; citing that address is safer",
                       final_url=final_url, page_title=title)
    if signed:
        return Verdict(Status.OK, f"{describe_status(code, answer.reason)} (via {answer.url}, "
                       "an address with credentials the server added, which expire: keep the "
                       "address as cited)", final_url=final_url, page_title=title)
    # GOV.UK's page for an organisation, where a closed or merged body's old addresses are
    # sent (when the page does not say it closed): the publisher's page, never the cited
    # one, unless the body itself was cited by its home page.
    body = govuk_organisation(answer.url) if redirected else None
    # (GOV.UK's own short address for the organisation, ``www.gov.uk/dfe``, and the body's
    # page about itself, ``/about-us``, cite it.)
    if body is not None and govuk_organisation(origin) is None and not is_home_page(origin) \
            and not is_govuk_alias_of(origin, body) and not is_about_page(origin):
        name = (title_segments(title)[0] if title and title_segments(title) else body)
        return Verdict(Status.SOFT_404,
                       f"redirects to GOV.UK's page for {name} ({answer.url}), not to the cited "
                       "page: the body that published it has closed or merged, and the page "
                       "is gone", final_url=final_url, page_title=title)
    if redirected:
        return Verdict(Status.MOVED, f"moved to {without_session(answer.url, cited=origin)}; "
                       "cite the new address",
                       final_url=final_url, page_title=title)
    detail = describe_status(code, answer.reason)
    if fetch.hops:
        detail += f" (via {answer.url})"
    return Verdict(Status.OK, detail, final_url=final_url, page_title=title)


# -- what a page is, when it is not the evidence ----------------------------------------------

def _landing(fetch: Fetch, origin: str, title: str | None) -> tuple[Status, str] | None:
    """Where a redirect led, when that is no page at all: a cookie-consent host, a domain
    reseller, an error address, the site's A-Z or map (told by ``title``, the page's there,
    where its address is ambiguous) or a site search. Never a move: nobody should cite
    these."""
    answer = fetch.answer
    assert answer is not None
    # Where the chain ended: a consent host or an error address passed on the way (a
    # cookie set, and back to the page) is no landing.
    landed = answer.url
    # Google's consent.google.com and consent.youtube.com, Yahoo's guce.yahoo.com: the
    # page may be there behind the question, which only a person can answer.
    if is_consent_url(landed) and not is_consent_url(origin):
        return Status.BLOCKED, (f"redirects to a cookie-consent page ({landed}): a person "
                                "must answer it before the page shows; open it in a browser")
    # Wiley's, Taylor & Francis's, SAGE's /action/cookieAbsent: the page is there, for a
    # browser that keeps the cookie the site set.
    if is_cookie_check_url(landed) and not is_cookie_check_url(origin):
        return Status.BLOCKED, (f"redirects to the site's cookie check ({landed}): it shows "
                                "the page only to a browser that keeps its cookies; open it "
                                "in a browser")
    # HugeDomains, Dan.com, Sedo, Afternic, GoDaddy's aftermarket: a lapsed domain's
    # visitors are sent to its sale listing.
    seller = reseller_of(landed)
    if seller is not None and reseller_of(origin) is None:
        return Status.SOFT_404, (f"redirects to {seller}, a domain reseller ({landed}): the "
                                 "domain has lapsed and is for sale, so the evidence is gone")
    # ASP.NET's /Error.aspx?aspxerrorpath=, /404.html, /not-found?url=, /pagenotfound.
    if is_error_url(landed) and not is_error_url(origin):
        return Status.SOFT_404, f"redirects to an error page ({landed}): the cited page is gone"
    # A council's A-Z of services, a site map: where a redesign sends what it lost.
    if is_site_index(landed, title=title) and not is_site_index(origin):
        return Status.SOFT_404, (f"redirects to the site's index of its pages ({landed}): the "
                                 "cited page is gone")
    # Sites (WordPress's /?s=, SharePoint's /search/results.aspx?k=) that search for what
    # they no longer have.
    if is_search_url(landed) and not is_search_url(origin) and not _same_search(origin, landed):
        return Status.SOFT_404, (f"redirects to a site search ({landed}): the site no longer "
                                 "has the cited page")
    return None


def _same_search(origin: str, landed: str) -> bool:
    """Whether a site search a redirect led to searches for what the cited address asked
    for in its own query (``/Search.do?q=carers`` sent to ``/search?q=carers``): the cited
    address was that search, at its old address. A site that sends its lost pages to a
    search puts the old page's name there (``/search?q=evaluation-report``), not its
    query."""
    try:
        asked = {v.strip().lower() for _, v in parse_qsl(urlsplit(origin).query) if v.strip()}
        found = {v.strip().lower() for _, v in parse_qsl(urlsplit(landed).query) if v.strip()}
    except ValueError:
        return False
    return bool(asked & found)


def _what_it_shows(answer: Answer, page: Page, origin: str,
                   redirected: bool) -> tuple[Status, str] | None:
    """What a page that answered 2xx really is, when it is not the evidence: a wall a
    person must pass (``blocked``), or a page that stands where the evidence was
    (``soft-404``). None for a page that may well be the evidence."""
    wall = login_sign(answer, page)
    if wall is not None and not _sign_in(origin):
        # A sign-in page says nothing about the evidence behind it, even when the site
        # shows it for every address.
        return Status.BLOCKED, (f"a sign-in page (\u201c{_short(wall)}\u201d): the evidence "
                                "may be behind it; open it in a browser, signed in if the "
                                "evidence needs it")
    consent = consent_sign(answer, page)
    if consent is not None:
        return Status.BLOCKED, (f"a cookie-consent page (\u201c{_short(consent)}\u201d) "
                                "instead of the page: a person must answer it; check it in "
                                "a browser")
    parked = parking_sign(answer, page)
    if parked is not None:
        return Status.SOFT_404, (f"a parked domain's page ({parked}): the domain has lapsed, "
                                 "so the evidence is gone")
    suspended = suspended_sign(answer, page)
    if suspended is not None:
        return Status.SOFT_404, (f"a hosting company's page saying \u201c{_short(suspended)}"
                                 "\u201d: the site that held the evidence is gone")
    down = maintenance_sign(answer, page)
    if down is not None:
        return Status.ERROR, (f"the site shows a maintenance page (\u201c{_short(down)}"
                              "\u201d) instead of the page: try again later")
    placeholder = placeholder_sign(answer, page)
    if placeholder is not None:
        return Status.SOFT_404, (f"a web server's default or placeholder page (\u201c"
                                 f"{_short(placeholder)}\u201d), not the evidence: the site "
                                 "that held it is gone")
    sign = error_sign(answer, page)
    if sign is not None and not sign.strong and app_shell(answer, page):
        # A web application's few words are its shell's, shown at every address until its
        # scripts run (x.com's "Something went wrong, but don't fret"): not the page's.
        sign = None
    # Error wording counts where error pages put it, and only with corroboration unless
    # it is the whole of a title part or main heading: a page with little prose of its
    # own, a title that is only the site's name, or a notice heading on a page reached by
    # a redirect. "Not found" in a long article's title is not an error page, nor is "the
    # boys could not be found" in a moved article's first paragraph.
    if sign is not None and (sign.strong or page.says_little
                             or (redirected and sign.notice)
                             # (a plain-text file has no title to be generic; a page's
                             # opening sentence is its own, whatever its title)
                             or (is_html(answer) and not sign.lead
                                 and is_generic_title(page.title, answer.url))):
        said = f"a page that says \u201c{_short(sign.text)}\u201d"
        if _REFUSAL.search(sign.text):  # "403 Forbidden" served 200: a refusal, not a loss
            return Status.BLOCKED, (f"{said} ({describe_status(answer.status, answer.reason)}): "
                                    "the server refuses automated checks; open it in a browser")
        return Status.SOFT_404, f"{said} ({describe_status(answer.status, answer.reason)})"
    # A redirect to another site's notice that the body or site has closed (GOV.UK's page
    # for a closed body, where its old addresses are sent): it names the publisher, not
    # the evidence. On the cited site itself the page may well be the cited one, moved
    # (a project's page that now says the project has closed, a story about a closure);
    # a site that shows one notice for every address is the probe's to find.
    closed = closure_sign(page) if redirected else None
    if closed is not None and site_of(host_of(answer.url)) != site_of(host_of(origin)):
        return Status.SOFT_404, (f"a page saying \u201c{_short(closed)}\u201d, not the cited "
                                 "page: the body or website that published the evidence has "
                                 "closed or moved on, and the page is gone")
    # (A search cited on purpose, sent to the site's new search for the same words, has
    # moved.)
    searched = (search_sign(page) if redirected and not is_search_url(origin)
                and not _same_search(origin, answer.url) else None)
    if searched is not None:  # sent to a search for the old page, by an address of its own
        return Status.SOFT_404, (f"a site search (\u201c{_short(searched)}\u201d): the site "
                                 "no longer has the cited page")
    kind = document_kind(origin)
    if kind is not None and not redirected and is_html(answer) and not is_viewer(origin) \
            and not (kind == "PDF" and shows_a_pdf(answer)):
        # A CMS that answers every address it lost with its home or error page, 200.
        titled = f" (\u201c{_short(page.title)}\u201d)" if page.title else ""
        return Status.SOFT_404, (f"an HTML page{titled} where a {kind} document was cited: "
                                 "the document is not there")
    # A data or text file cited as such (``…/carers-2012.csv`` sent as plain text) may
    # hold a line or two: that is its content.
    trivial = (is_trivial(answer, page) if _names_a_page(origin)
               and not _DATA_FILE.search(urlsplit(origin).path) else None)
    if trivial is not None:
        shown = f" (\u201c{_short(trivial)}\u201d)" if trivial else ""
        return Status.SOFT_404, (f"{describe_status(answer.status, answer.reason)} with "
                                 f"almost nothing{shown}: none of the evidence is there")
    return None


_REFUSAL = re.compile(r"\b(?:401|403|forbidden|unauthori[sz]ed|access\s+denied)\b",
                      re.IGNORECASE)


#: YouTube's words to an automated visitor ("Sign in to confirm you're not a bot").
_BOT_CHECK = re.compile(r"\bnot\s+a\s+(?:ro)?bot\b", re.IGNORECASE)


def _sign_in(url: str) -> bool:
    """A sign-in address (``/login``, ``login.*``, WordPress's ``wp-login.php``, ADFS)."""
    return is_login_page(url) or is_login_url(url)


_DATA_FILE = re.compile(r"\.(?:txt|csv|tsv|json|xml|dat|asc)$", re.IGNORECASE)


def _names_a_page(url: str) -> bool:
    """Whether an address names a page or document (``/reports/2012/summary``,
    ``/annual-report.html``), as cited evidence does, rather than a bare endpoint (``/ok``,
    ``/x``) that may answer a word and nothing more by design."""
    path = urlsplit(url).path
    segments = [s for s in path.split("/") if s]
    if len(segments) >= 2:
        return True
    name = segments[-1] if segments else ""
    return "." in name or "-" in name or "_" in name or len(name) >= 8


def _empty(answer: Answer) -> bool:
    """A 2xx answer with no body at all (said by its ``Content-Length``, or seen for a kind
    whose body is read, HTML and text): what a PHP or application server whose page has
    gone answers when it fails without saying so (a blank "white screen"), a download
    script whose file is gone, or a host with no site behind the name."""
    if answer.headers.get("content-length", "").strip() == "0":
        return True  # said so by the server, whatever the kind (a PDF's body is not read)
    return (answer.content_type in (*HTML_TYPES, "text/plain") and not answer.truncated
            and not answer.body.strip())


def capture_defect(fetch: Fetch) -> str | None:
    """Why an archive's capture is not the cited page, judged as the live page would be on
    the addresses it was captured from (a capture of a redirect to the home page, of an
    error page served 200, of a parked domain); None when it may be the evidence."""
    answer = fetch.answer
    if answer is None:
        return None

    def captured(url: str) -> str:
        return original_of_capture(url) or url

    as_captured = Fetch(
        captured(fetch.url),
        tuple(Hop(captured(h.url), h.status, captured(h.location)) for h in fetch.hops),
        dataclasses.replace(answer, url=captured(answer.url)), attempts=fetch.attempts)
    verdict = classify(as_captured)
    if verdict.status in (Status.OK, Status.MOVED):
        return None
    return f"the capture is not the evidence ({verdict.detail})"


# -- the domain changed hands --------------------------------------------------------------

class Comparison(StrEnum):
    """Whether live pages are compared with their capture nearest the case date
    (``--compare-archive``). It costs archive lookups, which are rate limited: ``auto``
    compares only pages that say nothing of their source's title (in runs of a case file
    or two: ``checker.AUTO_COMPARE_URLS``), ``always`` every live HTML page, ``never``
    none."""

    auto = "auto"
    always = "always"
    never = "never"


COMPARE_MODES = tuple(mode.value for mode in Comparison)
#: Below both, a live page and its capture have nothing to do with each other.
UNRELATED_WORDS = 0.15
UNRELATED_TITLES = 0.34
#: Titles alike count only with at least this many telling words in common (a lapsed
#: domain's new owner often keeps the old name, one word or the whole of it, in its
#: titles) and main texts that share a subject: below this, they share only the words
#: any two pages have (pages on one subject, even a terse "this project has closed"
#: notice, measured 0.16 and more; a casino and a family-support page built on one
#: template, 0.06).
SHARED_TITLE_WORDS = 2
UNRELATED_MAIN_TEXT = 0.1
#: Pages with fewer content words than this are not compared: too little to tell.
COMPARED_WORDS = 30


def worth_comparing(verdict: Verdict, answer: Answer | None, *, quote: str | None,
                    title: str, mode: str) -> bool:
    """Whether a live page is to be compared with its capture nearest the case date."""
    if mode == "never" or verdict.status not in (Status.OK, Status.MOVED):
        return False
    if verdict.capture is not None or quote:  # a capture, or a page that holds its quote
        return False
    if answer is None or not 200 <= answer.status < 300 or not is_html(answer):
        return False
    if mode == "always":
        return True
    page = read_page(answer)
    return page is not None and mentions(page, title) is False


def changed_hands(verdict: Verdict, live: Answer | None, capture: Capture,
                  captured: Answer | None) -> Verdict:
    """A live page that has nothing to do with the capture of the cited page nearest the
    case date: the domain changed hands (a lapsed domain now carries a casino or a shop),
    and the live page is not the evidence. The verdict unchanged otherwise."""
    if live is None or captured is None or verdict.status not in (Status.OK, Status.MOVED):
        return verdict
    now, then = read_page(live, whole=True), read_page(captured, whole=True)
    if now is None or then is None or not is_html(live) or not is_html(captured):
        return verdict
    if min(sum(words_of(now).values()), sum(words_of(then).values())) < COMPARED_WORDS:
        return verdict
    if now.title and " ".join(now.title.lower().split()) == " ".join(then.title.lower().split()):
        return verdict  # the same title ("ReCAP | Home"): the same site, its news changed
    # The site's name, in both titles ("… | Salford City Council"), says nothing of whether
    # they are one page: a redesign that sends an old page to an unrelated section's
    # landing page keeps it.
    own_now, own_then = (dataclasses.replace(page, title=title) for page, title in zip(
        (now, then), _without_shared_parts(now.title, then.title), strict=True))
    if resemblance(own_now, own_then) >= UNRELATED_WORDS:
        return verdict
    # The title alone does not keep a page whose text has changed subject: the new owner
    # of a lapsed domain titles its casino "Springboard Project Blackpool | Casino reviews".
    if (title_overlap(own_now.title, own_then.title) >= UNRELATED_TITLES
            and telling_words_shared(own_now.title, own_then.title) >= SHARED_TITLE_WORDS
            and resemblance(now, then, titles=False) >= UNRELATED_MAIN_TEXT):
        return verdict
    shows = f" (\u201c{_short(now.title)}\u201d)" if now.title else ""
    was = f" (\u201c{_short(then.title)}\u201d)" if then.title else ""
    if verdict.status is Status.MOVED and verdict.final_url:
        return Verdict(
            Status.DRIFTED,
            f"redirects to {verdict.final_url}, which shows something else{shows}; the "
            f"capture of {day(capture.captured)} shows the cited page{was}: the new address "
            "is not the evidence", final_url=verdict.final_url,
            page_title=verdict.page_title, capture=capture)
    return Verdict(
        Status.DRIFTED,
        f"the page now shows something else{shows}; the capture of {day(capture.captured)} "
        f"shows the cited page{was}: the domain may have changed hands",
        final_url=verdict.final_url, page_title=verdict.page_title, capture=capture)


def _without_shared_parts(a: str, b: str) -> tuple[str, str]:
    """Two titles without the parts they share (the site's name), unless that is all of
    one of them: then they are left whole."""
    shared = ({p.lower() for p in title_segments(a)} & {p.lower() for p in title_segments(b)})
    if not shared:
        return a, b
    kept = tuple(" | ".join(p for p in title_segments(t) if p.lower() not in shared)
                 for t in (a, b))
    return (kept[0], kept[1]) if all(kept) else (a, b)


# -- the parts of a verdict ---------------------------------------------------------------

def _doi(record: DoiRecord) -> Verdict:
    answer = record.fetch.answer
    doi = record.doi
    if answer is None:
        return Verdict(Status.ERROR,
                       f"could not ask the DOI system: {classify(record.fetch).detail}")
    if record.code == 1 and record.target:
        return _doi_landing(record, record.target)
    if record.code in (1, 200):
        # 200 is the handle API's "values not found": the DOI exists, with no web address.
        return Verdict(Status.ERROR, f"DOI {doi} is registered but names no web page, so "
                       "it leads a reader nowhere; ask the publisher (the DOI's registrant) "
                       "to point it at the work's page, or cite that page")
    if record.code == 100:
        return Verdict(Status.DEAD, f"DOI {doi} is not registered: no such DOI exists; "
                       "check it for typing errors")
    if (record.code is None and 200 <= answer.status < 300) or answer.status == 404:
        # Not the handle API's answer (a proxy's or a sign-in page, a --doi-url that names
        # some other site): it says nothing of the DOI, so it is never dead.
        return Verdict(Status.ERROR, "could not ask the DOI system: its answer "
                       f"({describe_status(answer.status, answer.reason)}) was not the handle "
                       "API's; check --doi-url and the network, then run again")
    # A 429 or 5xx (responseCode 2) after the retries: the DOI system's trouble, which
    # says nothing of the DOI.
    fetch = record.fetch
    tries = f" after {fetch.attempts} tries" if fetch.attempts > 1 else ""
    wait = (f", asking us to wait {wait_words(fetch.retry_after)}"
            if fetch.retry_after is not None else "")
    return Verdict(Status.ERROR, "could not ask the DOI system: it answered "
                   f"{describe_status(answer.status, answer.reason)}{tries}{wait}; this says "
                   f"nothing of DOI {doi}: run refcheck again later")


def _doi_landing(record: DoiRecord, target: str) -> Verdict:
    """A registered DOI, judged by the page it points to, when that was fetched: ``ok``
    unless the page is plainly gone (``_doi_gone``). A publisher's wall, a timeout or any
    reading less certain says nothing against the DOI system's word."""
    doi = record.doi
    registered = f"registered DOI {doi}; it points to {target}"
    landing = record.landing
    if landing is None:  # not fetched: the DOI system's word alone
        return Verdict(Status.OK, registered, final_url=target)
    verdict = classify(landing)
    if verdict.status in (Status.OK, Status.MOVED):  # a DOI's target often redirects
        return Verdict(Status.OK, registered, final_url=target, page_title=verdict.page_title)
    if _doi_gone(landing, verdict):
        return Verdict(
            verdict.status,
            f"DOI {doi} is registered, but the page it points to ({target}) is gone: "
            f"{verdict.detail}; ask the publisher (the DOI's registrant) to point the DOI at "
            "the work's current page, or cite an archived copy",
            final_url=verdict.final_url or target, page_title=verdict.page_title)
    answer = landing.answer
    if verdict.status is Status.BLOCKED and answer is not None and _sign_in(answer.url) \
            and not _sign_in(target):
        # An institution's sign-in (Shibboleth, OpenAthens): the publisher asks who the
        # reader is, not whether it is a robot.
        return Verdict(Status.OK, f"{registered}; the publisher's page sends a visitor to "
                       f"sign in ({answer.url}), so the page itself was not seen",
                       final_url=target)
    if verdict.status is Status.BLOCKED:
        return Verdict(Status.OK, f"{registered}; the publisher refuses automated checks, "
                       "so the page itself was not seen", final_url=target)
    return Verdict(Status.OK, f"{registered}; the page gave no clear answer "
                   f"({_short(verdict.detail, 120)}), so the DOI system's word stands",
                   final_url=target)


def _doi_gone(landing: Fetch, verdict: Verdict) -> bool:
    """Whether a DOI's target is plainly gone: 404 or 410, a host name that no longer
    exists, a parked or for-sale domain, a hosting company's "suspended" page or a web
    server's default page, or a redirect to the home page or an error address. Other
    readings of a page (error wording, a page with little on it) are not certain enough to
    set against a registered DOI: a publisher's platform may well show such a page to a
    robot."""
    if verdict.status is Status.DEAD:
        return True
    answer = landing.answer
    if verdict.status is not Status.SOFT_404 or answer is None:
        return False
    start, landed = landing.url, without_session(answer.url)
    if redirected(landing) and (
            (is_home_page(landed) and not is_home_page(start))
            or (reseller_of(landed) is not None and reseller_of(start) is None)
            or (is_error_url(landed) and not is_error_url(start))):
        return True
    page = read_page(answer)
    return page is not None and any(
        sign(answer, page) is not None
        for sign in (parking_sign, suspended_sign, placeholder_sign))


def _archive(findings: Findings, verdict: Verdict) -> Verdict | None:
    """A cited capture served as a memento is ``ok``, unless the capture is of an error
    page, a parked domain or a redirect to a home page; a live URL whose redirects end in
    an archive capture is ``archived``, not ``moved``, unless the capture is such a page
    (then ``dead`` or ``soft-404``, as a cited one, and the archives are asked for a good
    copy). None when archives play no part."""
    answer = findings.fetch.answer
    citation = findings.cited
    landed = findings.landed
    if answer is not None and answer.status >= 400 and "memento-datetime" in answer.headers:
        # A replayed error: the archive has the capture, and it is of an error page.
        error = f"the capture is itself a {describe_status(answer.status)} page, not the evidence"
        if citation is not None and (citation.timestamp is not None or citation.latest):
            return Verdict(Status.DEAD, f"{citation.service.name} has a capture at this "
                           f"address{_latest(citation, answer)}, but {error}",
                           final_url=verdict.final_url)
        if landed is not None:
            return Verdict(Status.DEAD, f"{_continuity(landed, answer)}, but {error}",
                           final_url=verdict.final_url)
    if answer is None or not 200 <= answer.status < 300:
        return None
    stamp = answer.headers.get("memento-datetime")
    if citation is not None:
        if stamp is None:
            if citation.timestamp is None:
                return verdict  # a listing page is not a memento, and need not be
            return Verdict(Status.SOFT_404,
                           f"{citation.service.name} answered without a capture of "
                           f"{citation.original}", final_url=verdict.final_url)
        captured = parse_http_date(stamp) or parse_timestamp(citation.timestamp or "")
        if captured is None:
            return verdict
        defect = capture_defect(findings.fetch)
        if defect is not None:  # a capture of an error page, a parked domain, a home page
            return Verdict(Status.SOFT_404, f"{citation.service.name} has a capture at this "
                           f"address{_latest(citation, answer)}, but {defect}",
                           final_url=verdict.final_url, page_title=verdict.page_title)
        capture = Capture(citation.service.key, answer.url, captured, citation.original,
                          citation.service.short)
        detail = (f"a capture of {citation.original} in {citation.service.name}, taken "
                  f"{day(captured)}")
        if citation.legacy:
            detail += f"; this is a pre-2021 address: cite {citation.current}"
        return Verdict(Status.OK, detail, final_url=verdict.final_url,
                       page_title=verdict.page_title, capture=capture)
    if landed is not None and stamp is not None:
        captured = parse_http_date(stamp)
        if captured is not None:
            defect = capture_defect(findings.fetch)
            if defect is not None:  # not a copy to cite: the archives are asked for one
                return Verdict(Status.SOFT_404, f"{_continuity(landed, answer)}, but {defect}",
                               final_url=verdict.final_url, page_title=verdict.page_title)
            capture = Capture(landed.service.key, answer.url, captured, landed.original,
                              landed.service.short)
            return Verdict(Status.ARCHIVED, f"{_continuity(landed, answer)}: cite {answer.url}",
                           final_url=answer.url, page_title=verdict.page_title, capture=capture)
    return None


def _continuity(landed: Citation, answer: Answer) -> str:
    """What a live address that now leads into an archive (web continuity) does."""
    captured = parse_http_date(answer.headers.get("memento-datetime", ""))
    of = f" of {day(captured)}" if captured is not None else ""
    return f"the live page is gone; its address now leads to {landed.service.name}'s capture{of}"


def _latest(citation: Citation, answer: Answer) -> str:
    """For a link to an archive's latest capture (``+``), which one that is."""
    captured = parse_http_date(answer.headers.get("memento-datetime", ""))
    if not citation.latest or captured is None:
        return ""
    return f" (its latest, taken {day(captured)})"


def _size(size: int) -> str:
    """A number of bytes as a person reads it: 32 MiB, 64 KiB."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
