"""The random-sibling probe for soft 404s (Bar-Yossef, Broder, Kumar and Tomkins, "Sic
transit gloria telae", WWW 2004): a site that answers a made-up address next to the cited
page with the same page is answering everything with it, so the cited page proves nothing.

Probes are sent only for suspicious answers (``verdict.worth_probing``: reached by a
redirect, or short), at most one per site folder, at most ``MAX_PROBES`` a run, through the
Fetcher and so within its per-host limit. A page that is plainly fine is never probed.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import secrets
from collections.abc import Callable
from urllib.parse import unquote, urlsplit, urlunsplit

from refcheck.archive.citations import original_of_capture
from refcheck.http import Fetcher
from refcheck.model import Answer, Fetch
from refcheck.text import html_text, normalise
from refcheck.urls import host_of, site_of
from refcheck.verdict import origin

#: Visible text shorter than this makes a 200 page suspicious; real evidence pages (reports,
#: news items, policy pages) are longer.
SHORT_TEXT = 1200
MAX_PROBES = 100
SIMILAR = 0.9
_DIGITS = re.compile(r"\d+")


def visible_text(answer: Answer) -> str:
    return normalise(html_text(answer.body))


def short_text(answer: Answer) -> bool:
    """Whether a page's visible text is short enough to be suspicious. Cheap: only the start
    of the page is read, and only until it is clearly long."""
    text = html_text(answer.body[:65_536])
    return len(" ".join(text.split())) < SHORT_TEXT


def sibling_of(url: str, token: str) -> str:
    """A made-up address in the same folder, with the same extension: ``/a/b/x.htm`` →
    ``/a/b/refcheck-probe-{token}.htm``."""
    parts = urlsplit(url)
    folder, _, name = parts.path.rpartition("/")
    extension = ""
    if "." in name:
        extension = "." + name.rsplit(".", 1)[1][:8]
    return urlunsplit((parts.scheme, parts.netloc,
                       f"{folder}/refcheck-probe-{token}{extension}", "", ""))


def without_address(text: str, url: str) -> str:
    """A page's text without the address it was asked for: error pages echo it ("The
    requested URL /a/refcheck-probe-1f2e3d.htm was not found"), and neither the cited
    page's name nor the probe's random one may decide whether the two pages are alike."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return text
    name = path.rpartition("/")[2]
    stem = name.rpartition(".")[0] or name
    forms = {url, path, unquote(path), name, unquote(name), stem, unquote(stem),
             unquote(stem).replace("-", " ").replace("_", " ")}
    for form in sorted((normalise(f) for f in forms if len(f) > 1), key=len, reverse=True):
        text = text.replace(form, " ")
    return text


def near_identical(cited: Answer, probe: Answer, *, cited_url: str | None = None,
                   probe_url: str | None = None) -> bool:
    """Whether two answers are the same page but for the addresses asked, which are
    taken out of both before they are compared (so the comparison does not depend on the
    random name the probe asked for)."""
    if cited.url == probe.url:
        return True  # both ended on the same page
    a = without_address(visible_text(cited), cited_url or cited.url)
    b = without_address(visible_text(probe), probe_url or probe.url)
    if probe_url and cited_url:  # each page may also echo where it ended up
        a, b = without_address(a, cited.url), without_address(b, probe.url)
    a = " ".join(_DIGITS.sub("", a).split())[:6000]
    b = " ".join(_DIGITS.sub("", b).split())[:6000]
    if not a and not b:
        return True
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR


#: A folder named by a number: an item's ID (``/news/123/``, ``/news/2240057985/``, the
#: Daily Mail's ``/news/article-2235334/``), but not a year (``/news/2012/``,
#: ``/report-2012/``: archives by year are folders of their own).
_ITEM_ID = re.compile(r"(?:[a-z]+[-_])?(?!(?:19|20)\d\d$)\d{2,}", re.IGNORECASE)


def in_an_items_folder(url: str) -> bool:
    """Whether ``url`` ends in a slug after an item's ID (``/news/123/council-wins-award``,
    ``/news/article-2235334/Agnes-Collier-awarded-compensation.html``).
    Many sites read the item from the ID alone and show it, or redirect to its right slug,
    for any words after it: a made-up address beside it gets the same page, and that
    proves nothing, so such a page is not probed."""
    path = urlsplit(url).path
    folder, _, name = path.rpartition("/")
    return bool(name) and bool(_ITEM_ID.fullmatch(folder.rpartition("/")[2]))


class SiblingProbe:
    def __init__(self, fetcher: Fetcher, *, limit: int = MAX_PROBES,
                 token: Callable[[], str] = lambda: secrets.token_hex(6)) -> None:
        self.fetcher = fetcher
        self.limit = limit
        self.token = token
        self.sent = 0
        self._probes: dict[tuple[str, str, str], asyncio.Task[Fetch | None]] = {}

    async def _probe(self, url: str) -> Fetch | None:
        if self.sent >= self.limit:
            return None
        self.sent += 1
        # Urgent: every link in the folder waits for this answer.
        return await self.fetcher.fetch(sibling_of(url, self.token()), retries=0,
                                        urgent=True)

    async def sends_elsewhere(self, fetch: Fetch) -> str | None:
        """Where the made-up address was sent, when the cited link was sent off its site
        and the made-up one to a third site that answered: a lapsed domain sold for its
        traffic sends each visitor to whichever advertiser pays (a renamed organisation
        sends both to its new site). None otherwise."""
        answer = fetch.answer
        probe = await self._sibling(fetch)
        if answer is None or probe is None or probe.answer is None or not probe.hops \
                or not 200 <= probe.answer.status < 300:
            return None
        if original_of_capture(probe.answer.url) is not None:
            # Sent into a web archive: a closed body's site handed over to GOV.UK maps the
            # pages it kept to their new addresses and sends the rest to The National
            # Archives' capture of them (web continuity). No advertiser buys that traffic.
            return None
        cited, landed, sent = (site_of(host_of(u)) for u in (origin(fetch), answer.url,
                                                              probe.answer.url))
        return probe.answer.url if len({cited, landed, sent}) == 3 else None

    async def _sibling(self, fetch: Fetch) -> Fetch | None:
        """The made-up address's fetch beside the cited one (one per site folder)."""
        cited = origin(fetch)
        try:
            parts = urlsplit(cited)
        except ValueError:
            return None
        folder = parts.path.rpartition("/")[0]
        extension = parts.path.rpartition(".")[2] if "." in parts.path.rpartition("/")[2] else ""
        key = (parts.netloc.lower(), folder, extension)
        if key not in self._probes:
            self._probes[key] = asyncio.ensure_future(self._probe(cited))
        return await self._probes[key]

    async def catches_all(self, fetch: Fetch) -> str | None:
        """The made-up address, when it got the same page as the cited one; else None.
        The made-up address is beside the cited one, on the cited host: never on a host a
        redirect led to, which is not the site that lost the page."""
        answer = fetch.answer
        if answer is None:
            return None
        cited = origin(fetch)
        if in_an_items_folder(cited):
            return None
        probe = await self._sibling(fetch)
        if probe is None or probe.answer is None or not 200 <= probe.answer.status < 300:
            return None
        same = near_identical(answer, probe.answer, cited_url=cited, probe_url=probe.url)
        return probe.url if same else None
