"""The one place a link's status is decided.

The I/O steps (the fetch, the DOI lookup, the sibling probe, reading the page's text,
recognising archive citations) gather what they learn into ``Findings``; ``judge`` turns
those into a ``Verdict``, and ``evidence_of`` says where the evidence can be seen. Pure
functions: no I/O, tested without a network. ``classify`` is the part that reads an HTTP
exchange (redirects, error pages, bot walls); ``classify.py`` reads pages and holds the
retry policy, and decides no status. Every ``Verdict`` is made in this module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from refcheck.archive.citations import Citation
from refcheck.archive.memento import parse_http_date, parse_timestamp
from refcheck.classify import (
    HTML_TYPES,
    RETRY_STATUSES,
    describe_status,
    error_wording,
    is_bot_challenge,
    page_title,
    wait_words,
)
from refcheck.model import (
    Capture,
    Evidence,
    FailureKind,
    Fetch,
    Lookup,
    LookupOutcome,
    Status,
    Verdict,
    day,
)
from refcheck.urls import (
    is_home_page,
    is_login_page,
    is_section_root,
    is_short_link,
    is_trivial_move,
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
    code: int | None  # its responseCode: 1 registered, 100 not found
    target: str | None  # the web address the DOI points to


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
    if findings.catch_all:
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


def worth_probing(findings: Findings, verdict: Verdict, short_text: bool) -> bool:
    """Whether a live verdict is suspicious enough to ask a made-up address beside it:
    the page was reached by a redirect, or its text is short."""
    answer = findings.fetch.answer
    if answer is None or verdict.status not in (Status.OK, Status.MOVED):
        return False
    if verdict.capture is not None or answer.content_type not in HTML_TYPES:
        return False
    return redirected(findings.fetch) or short_text


def with_quote(verdict: Verdict, quote: str | None, found: bool | None) -> Verdict:
    """A live page must still hold the quote its source cites, or it has drifted.
    ``found`` is None when the page's text could not be read."""
    if not quote or verdict.status not in (Status.OK, Status.MOVED):
        return verdict
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
    if status is Status.NO_URL:
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


def quote_in_capture_detail(detail: str, capture: Capture, found: bool | None) -> str:
    if found:
        return f"{detail}; the quote is in the capture of {day(capture.captured)}"
    if found is False:
        return f"{detail}; the capture of {day(capture.captured)} lacks it too"
    return detail


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

    if is_bot_challenge(answer, title):
        return Verdict(
            Status.BLOCKED,
            f"{via}a bot check ({describe_status(code, answer.reason)}); check it in a browser",
            final_url=final_url,
            page_title=title,
        )
    if code in (404, 410):
        return Verdict(Status.DEAD, via + describe_status(code, answer.reason),
                       final_url=final_url, page_title=title)
    if code in (401, 403, 407, 451):
        return Verdict(
            Status.BLOCKED,
            f"{via}{describe_status(code, answer.reason)}: the server refuses automated "
            "checks; check it in a browser",
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
            "check it in a browser or later",
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

    if fetch.hops and is_login_page(answer.url) and not is_login_page(fetch.url):
        return Verdict(
            Status.BLOCKED,
            f"redirects to a login page ({answer.url}); check it in a browser, signed in if "
            "the evidence needs it",
            final_url=final_url,
            page_title=title,
        )
    if redirected and is_home_page(answer.url) and not is_home_page(origin):
        return Verdict(
            Status.SOFT_404,
            f"redirects to the site's home page ({answer.url}): the cited page is gone",
            final_url=final_url,
            page_title=title,
        )
    if redirected and is_section_root(origin, answer.url):
        return Verdict(
            Status.SOFT_404,
            f"redirects to a section page ({answer.url}): the cited page is gone",
            final_url=final_url,
            page_title=title,
        )
    wording = error_wording(answer, title)
    if wording:
        return Verdict(
            Status.SOFT_404,
            f"{via}a page that says \u201c{wording}\u201d ({describe_status(code, answer.reason)})",
            final_url=final_url,
            page_title=title,
        )
    if short:
        return Verdict(Status.OK, f"short link to {answer.url}; citing that address is safer",
                       final_url=final_url, page_title=title)
    if redirected:
        return Verdict(Status.MOVED, f"moved to {answer.url}; cite the new address",
                       final_url=final_url, page_title=title)
    detail = describe_status(code, answer.reason)
    if fetch.hops:
        detail += f" (via {answer.url})"
    return Verdict(Status.OK, detail, final_url=final_url, page_title=title)


# -- the parts of a verdict ---------------------------------------------------------------

def _doi(record: DoiRecord) -> Verdict:
    answer = record.fetch.answer
    doi = record.doi
    if answer is None:
        return Verdict(Status.ERROR,
                       f"could not ask the DOI system: {classify(record.fetch).detail}")
    if record.code == 1:
        if record.target:
            return Verdict(Status.OK, f"registered DOI {doi}; it points to {record.target}",
                           final_url=record.target)
        return Verdict(Status.ERROR, f"DOI {doi} is registered but names no web page")
    if record.code == 100 or answer.status == 404:
        return Verdict(Status.DEAD, f"DOI {doi} is not registered: no such DOI exists; "
                       "check it for typing errors")
    return Verdict(Status.ERROR, "could not ask the DOI system: it answered "
                   f"{describe_status(answer.status, answer.reason)}")


def _archive(findings: Findings, verdict: Verdict) -> Verdict | None:
    """A cited capture served as a memento is ``ok``; a live URL whose redirects end in an
    archive capture is ``archived``, not ``moved``. None when archives play no part."""
    answer = findings.fetch.answer
    if answer is None or not 200 <= answer.status < 300:
        return None
    stamp = answer.headers.get("memento-datetime")
    citation = findings.cited
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
        capture = Capture(citation.service.key, answer.url, captured, citation.original,
                          citation.service.short)
        detail = (f"a capture of {citation.original} in {citation.service.name}, taken "
                  f"{day(captured)}")
        if citation.legacy:
            detail += f"; this is a pre-2021 address: cite {citation.current}"
        return Verdict(Status.OK, detail, final_url=verdict.final_url,
                       page_title=verdict.page_title, capture=capture)
    landed = findings.landed
    if landed is not None and stamp is not None:
        captured = parse_http_date(stamp)
        if captured is not None:
            capture = Capture(landed.service.key, answer.url, captured, landed.original,
                              landed.service.short)
            return Verdict(
                Status.ARCHIVED,
                f"the live page is gone; its address now leads to {landed.service.name}'s "
                f"capture of {day(captured)}: cite {answer.url}",
                final_url=answer.url, page_title=verdict.page_title, capture=capture)
    return None


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
