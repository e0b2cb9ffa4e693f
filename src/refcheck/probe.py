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
from urllib.parse import urlsplit, urlunsplit

from refcheck.http import Fetcher
from refcheck.model import Answer, Fetch
from refcheck.text import html_text, normalise

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


def near_identical(cited: Answer, probe: Answer) -> bool:
    if cited.url == probe.url:
        return True  # both ended on the same page
    a = _DIGITS.sub("", visible_text(cited))[:6000]
    b = _DIGITS.sub("", visible_text(probe))[:6000]
    if not a and not b:
        return True
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR


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

    async def catches_all(self, fetch: Fetch) -> str | None:
        """The made-up address, when it got the same page as the cited one; else None."""
        answer = fetch.answer
        if answer is None:
            return None
        parts = urlsplit(answer.url)
        folder = parts.path.rpartition("/")[0]
        extension = parts.path.rpartition(".")[2] if "." in parts.path.rpartition("/")[2] else ""
        key = (parts.netloc.lower(), folder, extension)
        if key not in self._probes:
            self._probes[key] = asyncio.ensure_future(self._probe(answer.url))
        probe = await self._probes[key]
        if probe is None or probe.answer is None or not 200 <= probe.answer.status < 300:
            return None
        return probe.url if near_identical(answer, probe.answer) else None
