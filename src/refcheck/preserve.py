"""`refcheck preserve`: an archived copy of the evidence that is live today, made now.

For each live link (``ok`` or ``moved``) the Wayback Machine's CDX index is asked for a good
capture since ``--since``; a link without one is sent to the Internet Archive's Save Page
Now (SPN2) API with the user's own keys, and the job is polled until it succeeds, fails, or
takes too long. Every link gets one ``Saved`` value: captured, already captured, refused
(with the service's reason), failed, or skipped (not live). One link's failure never stops
the others. UK government pages also get a pointer to The National Archives, whose web
archive (UKGWA) takes no captures on request.

What Save Page Now is, as documented ("Save Page Now 2 Public API Docs Draft", Vangelis
Banos, Internet Archive; the copy of 2022-04-05 kept at
https://gist.github.com/regstuff/82e690db2f1d91ba59f6681c1abad6cf, and its changelog):
- ``POST {base}/save`` with the form field ``url`` and ``Authorization: LOW access:secret``
  (S3 keys from https://archive.org/account/s3.php), ``Accept: application/json``; the
  answer is ``{"url", "job_id"}`` (with a ``message`` when a recent capture is reused), or,
  with HTTP 200 and no ``job_id``, ``{"status": "error", "status_ext", "message"}``.
- ``GET {base}/save/status/{job_id}``: ``{"status": "pending"}``, then ``"success"`` with
  ``timestamp`` and ``original_url`` (the URL after redirects), or ``"error"`` with
  ``status_ext`` (``error:blocked-url``, ``error:too-many-daily-captures``, ...).
- ``capture_all=1`` would also capture 4xx/5xx answers; refcheck captures only live pages,
  so it is not sent. ``skip_first_archive=1`` ("skip checking if a capture is a first")
  makes captures faster and is sent. ``if_not_archived_within`` (a time, or seconds):
  "capture web page only if the latest existing capture at the Archive is older than" it,
  else the recent capture is answered; sent as the seconds since ``--since``.
Not confirmed from the documents found: the status-poll answer's exact HTTP codes for an
expired job, and whether a 429 from ``/save`` always carries ``Retry-After`` (60 s is
waited without one, as for the other Internet Archive services).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import http
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from refcheck.archive import SERVICES
from refcheck.archive.client import RateLimiter
from refcheck.archive.memento import parse_timestamp
from refcheck.archive.wayback import EXCLUDED, Wayback
from refcheck.classify import retry_after_seconds, wait_words
from refcheck.http import DEFAULT_USER_AGENT, Fetcher
from refcheck.model import Archive, LinkResult, LookupOutcome, Status, day
from refcheck.urls import credentials_in, host_of, mask, without_secrets, without_session

DEFAULT_SPN_URL = "https://web.archive.org"
SPN_ENV = "REFCHECK_SPN_URL"
ACCESS_ENV = "REFCHECK_IA_ACCESS_KEY"
SECRET_ENV = "REFCHECK_IA_SECRET_KEY"
KEYS_PAGE = "https://archive.org/account/s3.php"
#: The National Archives' page for proposing a website for the UK Government Web Archive.
#: The address was given with the task; no stored copy of the page could be found to confirm
#: it (the confirmed page on what UKGWA collects, and whom to ask, is
#: https://www.nationalarchives.gov.uk/webarchive/archive-a-website/how-to-archive-a-website/).
TNA_SUGGEST = "https://www.nationalarchives.gov.uk/webarchive/suggest-a-website/"
#: Hosts of UK central government and national NHS pages: what UKGWA collects.
UK_GOVERNMENT_HOSTS = ("gov.uk", "nhs.uk", "mod.uk")

# Politeness. The SPN2 changelog of 2023-01-22 says authenticated users may make 12
# captures a minute (anonymous 4), quoted in overcast07/wayback-machine-spn-scripts#20; a
# later revision (2026-07-22) is reported as 7 a minute (the README of a package that
# checked it). refcheck starts at most 6 a minute, under both. The per-user limit on
# concurrent captures (refused as ``error:user-session-limit``) is documented without a
# number in the copies found; refcheck keeps at most 2 captures running at once.
CAPTURES_PER_MINUTE = 6
CAPTURES_AT_ONCE = 2
#: Polling: the first look after 5 s, then 1.5 times longer each time, at most 30 s apart;
#: the docs give a capture at most 2 minutes of work, and a busy service delays starts
#: ("the capture will start in ~1 minute"), so refcheck waits 5 minutes before giving up.
POLL_FIRST = 5.0
POLL_MAX = 30.0
POLL_FOR = 300.0
#: A 429 without Retry-After: wait 60 s (the Internet Archive's advice for its other APIs);
#: a service that asks for more than 10 minutes is not asked again in this run.
WAIT_AFTER_429 = 60.0
MAX_WAIT_AFTER_429 = 600.0
SUBMIT_TRIES = 3
#: A capture Save Page Now reports taken this long before it was asked for is one it had
#: already (its clock and this machine's may differ by a little).
RECENT_MARGIN = dt.timedelta(minutes=10)
#: Save Page Now's answer when the captures of yours already running are as many as it
#: allows (retried after a wait, as wayback-machine-spn-scripts' spn.sh does), and the
#: message it gives when the account's captures for the day are spent (spn.sh stops then).
BUSY = "error:user-session-limit"
DAILY_LIMIT = re.compile(r"more than [\d,.]+ captures (?:per|a) day", re.IGNORECASE)


@dataclass(frozen=True)
class Keys:
    """The user's Internet Archive S3 keys: sent only in SPN's ``Authorization`` header,
    never printed, logged, cached or reported (``repr`` hides them)."""

    access: str = field(repr=False)
    secret: str = field(repr=False)

    def authorization(self) -> str:
        return f"LOW {self.access}:{self.secret}"


def keys_from(env: Mapping[str, str]) -> Keys | None:
    access = env.get(ACCESS_ENV, "").strip()
    secret = env.get(SECRET_ENV, "").strip()
    return Keys(access, secret) if access and secret else None


def keys_problem(keys: Keys) -> str | None:
    """Why the keys cannot be sent in a request header, naming the variable, never the
    value (an error about the header would print it); None when they can."""
    for name, value in ((ACCESS_ENV, keys.access), (SECRET_ENV, keys.secret)):
        if any(c in "\r\n" for c in value):
            what = "a line break"
        elif any(c.isspace() for c in value):
            what = "a space"
        elif not value.isascii() or not value.isprintable():
            what = "characters other than plain letters, digits and punctuation"
        else:
            continue
        return (f"{name} holds {what}, so it is not the key the Internet Archive gave you; "
                f"copy it again from {KEYS_PAGE} exactly, without quotes. Nothing was "
                "checked or sent.")
    return None


NO_KEYS = (f"refcheck preserve needs your own Internet Archive keys to ask Save Page Now for "
           f"captures. Get them (free, with an archive.org account) at {KEYS_PAGE}, then set "
           f"{ACCESS_ENV} and {SECRET_ENV} to the access key and the secret key. Nothing was "
           "checked or sent.")


class SaveOutcome(StrEnum):
    """What became of one link; the values are the JSON's ``outcome``."""

    CAPTURED = "captured"
    RECENT = "already-captured"
    REFUSED = "refused"
    FAILED = "failed"
    SKIPPED = "skipped"
    #: Only when refcheck was stopped (Ctrl-C, SIGTERM): the capture was asked for and had
    #: not ended; or the link was not yet sent.
    ASKED = "asked"
    NOT_SENT = "not-sent"


@dataclass(frozen=True)
class Saved:
    outcome: SaveOutcome
    detail: str
    capture_url: str | None = None
    captured: dt.datetime | None = None
    code: str | None = None  # Save Page Now's status_ext, or the HTTP status it answered
    job_id: str | None = None


#: Save Page Now's error codes (``status_ext``), as its documentation lists them: refused
#: (the service or the site says no; asking again now will not help) or failed (a fault
#: on the way; try later), and what each means.
SPN_ERRORS: dict[str, tuple[SaveOutcome, str]] = {
    "error:bad-gateway": (SaveOutcome.FAILED, "the site answered 502 Bad Gateway"),
    "error:bad-request": (SaveOutcome.REFUSED, "the site refused the request as bad (400)"),
    "error:bandwidth-limit-exceeded": (SaveOutcome.REFUSED, "the site's bandwidth limit is "
                                       "exceeded"),
    "error:blocked": (SaveOutcome.REFUSED, "the site blocks the Internet Archive's crawler"),
    "error:blocked-client-ip": (SaveOutcome.REFUSED, "Save Page Now blocks requests from "
                                "this network address"),
    "error:blocked-url": (SaveOutcome.REFUSED, "the Internet Archive does not capture this "
                          "address (it is on its block list)"),
    "error:browsing-timeout": (SaveOutcome.FAILED, "Save Page Now's browser timed out"),
    "error:capture-location-error": (SaveOutcome.FAILED, "Save Page Now lost track of the "
                                     "capture (a fault on its side)"),
    "error:cannot-fetch": (SaveOutcome.FAILED, "Save Page Now is overloaded and could not "
                           "fetch the page"),
    "error:celery": (SaveOutcome.FAILED, "Save Page Now could not start the capture"),
    "error:filesize-limit": (SaveOutcome.REFUSED, "the file is larger than Save Page Now "
                             "captures (2 GB)"),
    "error:ftp-access-denied": (SaveOutcome.REFUSED, "the FTP server denied access"),
    "error:gateway-timeout": (SaveOutcome.FAILED, "the site did not answer in time (504)"),
    "error:http-version-not-supported": (SaveOutcome.REFUSED, "the site does not support "
                                         "the HTTP version used (505)"),
    "error:internal-server-error": (SaveOutcome.FAILED, "Save Page Now failed (an internal "
                                    "error)"),
    "error:invalid-host-resolution": (SaveOutcome.REFUSED, "Save Page Now could not find "
                                      "the host name"),
    "error:invalid-server-response": (SaveOutcome.FAILED, "the site's answer could not be "
                                      "read (bad headers or encoding)"),
    "error:invalid-url-syntax": (SaveOutcome.REFUSED, "Save Page Now says the address is "
                                 "not a valid URL"),
    "error:job-failed": (SaveOutcome.FAILED, "the capture failed (a fault on Save Page "
                         "Now's side)"),
    "error:max-daily-bandwidth": (SaveOutcome.REFUSED, "today's capture volume for your "
                                  "account is used up; run again tomorrow"),
    "error:max-daily-bandwidth-from-ip": (SaveOutcome.REFUSED, "today's capture volume "
                                          "from this network address is used up"),
    "error:max-daily-bandwidth-host": (SaveOutcome.REFUSED, "today's capture volume for "
                                       "this site is used up; run again tomorrow"),
    "error:method-not-allowed": (SaveOutcome.REFUSED, "the site refused the request "
                                 "method (405)"),
    "error:network-authentication-required": (SaveOutcome.REFUSED, "the site needs network "
                                              "sign-in (511)"),
    "error:no-access": (SaveOutcome.REFUSED, "the site refused Save Page Now (403)"),
    "error:no-browsers-available": (SaveOutcome.FAILED, "Save Page Now has no browser free "
                                    "(a fault on its side)"),
    "error:not-found": (SaveOutcome.REFUSED, "the site answered 404 Not Found to Save Page "
                        "Now"),
    "error:not-implemented": (SaveOutcome.FAILED, "the site answered 501 Not Implemented"),
    "error:protocol-error": (SaveOutcome.FAILED, "the connection broke during the capture"),
    "error:proxy-error": (SaveOutcome.FAILED, "Save Page Now's proxy failed"),
    "error:read-timeout": (SaveOutcome.FAILED, "the site stopped sending during the capture"),
    "error:service-unavailable": (SaveOutcome.FAILED, "the site answered 503 Service "
                                  "Unavailable"),
    "error:soft-time-limit-exceeded": (SaveOutcome.FAILED, "the capture took longer than "
                                       "Save Page Now allows"),
    "error:too-many-daily-captures": (SaveOutcome.REFUSED, "this address has been captured "
                                      "as often today as Save Page Now allows (new captures "
                                      "can take a while to appear in the index); run again "
                                      "tomorrow"),
    "error:too-many-redirects": (SaveOutcome.REFUSED, "the address redirects more times than "
                                 "Save Page Now follows (3)"),
    "error:too-many-requests": (SaveOutcome.REFUSED, "the site is rate-limiting Save Page "
                                "Now (429); run again later"),
    "error:unauthorized": (SaveOutcome.REFUSED, "the site needs a login (401)"),
    "error:user-session-limit": (SaveOutcome.REFUSED, "your account has as many captures "
                                 "running as Save Page Now allows; run again later"),
}


def spn_error(answer: Mapping[str, Any], job_id: str | None = None) -> Saved:
    """A Save Page Now error answer, in words, with its code and the service's message."""
    code = str(answer.get("status_ext") or "error")
    message = str(answer.get("message") or "").strip()
    outcome, words = SPN_ERRORS.get(code, (SaveOutcome.FAILED, "Save Page Now could not "
                                           "capture it"))
    said = f"{code}: {message}" if message else code
    return Saved(outcome, f"{words} ({said})", code=code, job_id=job_id)


@dataclass(frozen=True)
class SpnLimits:
    per_minute: int = CAPTURES_PER_MINUTE
    at_once: int = CAPTURES_AT_ONCE
    poll_first: float = POLL_FIRST
    poll_max: float = POLL_MAX
    poll_for: float = POLL_FOR
    wait_after_429: float = WAIT_AFTER_429
    max_wait_after_429: float = MAX_WAIT_AFTER_429


class SavePageNow:
    """The Save Page Now API, politely: captures started under a per-minute budget, a few
    at a time, a 429 pausing every later request; waits through the ``Fetcher``'s injected
    sleep and clock. Redirects are not followed. Use as an async context manager."""

    def __init__(self, base: str, keys: Keys, fetcher: Fetcher, *, capture_base: str,
                 transport: httpx.AsyncBaseTransport | None = None,
                 user_agent: str = DEFAULT_USER_AGENT, timeout: float = 30.0,
                 limits: SpnLimits | None = None, since: dt.datetime | None = None) -> None:
        self.base = base.rstrip("/")
        #: A capture since then is recent: Save Page Now is told to make none where it has
        #: one (``if_not_archived_within``), which the Wayback Machine's index may not list
        #: yet (a run stopped and started again at once), and answers with that one.
        self.since = since
        self.capture_base = capture_base.rstrip("/")
        self._auth = {"Authorization": keys.authorization()}
        #: What Save Page Now says is shown to the user: never with the keys in it, should
        #: the service ever echo the request's Authorization back in a message.
        self._keys = (keys.secret, keys.access)
        self.fetcher = fetcher
        self.limits = limits or SpnLimits()
        self._budget = RateLimiter(self.limits.per_minute, 60.0, fetcher)
        self._running = asyncio.Semaphore(self.limits.at_once)
        self._transport = transport
        self._user_agent = user_agent
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        #: Why nothing more is sent (the keys were refused, or the service asked for a
        #: long pause): every later link is reported with it, unasked.
        self.stopped: Saved | None = None
        #: Each address asked for, with its capture job once Save Page Now has named it.
        self.asked: dict[str, str | None] = {}

    async def __aenter__(self) -> SavePageNow:
        self._client = httpx.AsyncClient(
            transport=self._transport, timeout=httpx.Timeout(self._timeout),
            follow_redirects=False,
            headers={"User-Agent": self._user_agent, "Accept": "application/json"})
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def capture_url(self, timestamp: str, original: str) -> str:
        return SERVICES[Archive.WAYBACK].capture.format(base=self.capture_base, ts=timestamp,
                                                        url=original)

    async def save(self, url: str) -> Saved:
        """Ask for a capture of ``url`` and wait for the job to end."""
        async with self._running:
            if self.stopped is not None:
                return self._unkeyed(self.stopped)
            asked_at = self.fetcher.clock()
            job = await self._submit(url)
            if isinstance(job, Saved):
                return self._unkeyed(job)
            self.asked[url] = job
            return self._unkeyed(await self._poll(job, url, asked_at))

    def _unkeyed(self, saved: Saved) -> Saved:
        """``saved`` with the user's keys taken out of anything the service said."""
        detail = saved.detail
        for key, name in zip(self._keys, ("[your secret key]", "[your access key]"),
                             strict=True):
            if len(key) >= 8:  # real keys have 16 characters; a letter is no key to find
                detail = detail.replace(key, name)
        return saved if detail == saved.detail else dataclasses.replace(saved, detail=detail)

    async def _submit(self, url: str) -> str | Saved:
        for tried in range(1, SUBMIT_TRIES + 1):
            await self._budget.wait()
            if self.stopped is not None:
                return self.stopped
            self.asked.setdefault(url, None)
            form = {"url": url, "skip_first_archive": "1"}
            if self.since is not None:
                within = (self.fetcher.clock() - self.since).total_seconds()
                form["if_not_archived_within"] = str(max(1, int(within)))
            try:
                response = await self._send("POST", f"{self.base}/save", data=form)
            except httpx.HTTPError as exc:
                return Saved(SaveOutcome.FAILED, f"could not reach Save Page Now: {_why(exc)}")
            if response.status_code == 429:
                paused = self._pause(response)
                if paused is not None:
                    return paused
                continue
            answer = self._read(response)
            if isinstance(answer, dict) and answer.get("status") == "error":
                answer = spn_error(answer)
            if isinstance(answer, Saved):
                if answer.code == BUSY and tried < SUBMIT_TRIES:
                    # Captures of yours still running (another tool's, or those a run that
                    # was stopped left): they end in a minute or two, so wait and ask again.
                    self._budget.pause(self.limits.wait_after_429)
                    continue
                return answer
            job = answer.get("job_id")
            if isinstance(job, str) and job:
                return job
            return Saved(SaveOutcome.FAILED, "Save Page Now answered without a job: "
                         f"{_said(answer)}")
        return Saved(SaveOutcome.REFUSED, f"Save Page Now was still rate-limiting after "
                     f"{SUBMIT_TRIES} tries (429 Too Many Requests); run refcheck preserve "
                     "again later", code="429")

    async def _poll(self, job: str, url: str, asked_at: dt.datetime | None = None) -> Saved:
        clock = self.fetcher.clock
        deadline = clock() + dt.timedelta(seconds=self.limits.poll_for)
        wait = self.limits.poll_first
        broken = 0
        while True:
            await self.fetcher.sleep(wait)
            if clock() > deadline:
                return Saved(SaveOutcome.FAILED, f"Save Page Now had not finished after "
                             f"{wait_words(self.limits.poll_for)} (job {job}); the capture "
                             "may still appear in the Wayback Machine: run refcheck preserve "
                             "again later to see", job_id=job)
            wait = min(wait * 1.5, self.limits.poll_max)
            try:
                response = await self._send("GET", f"{self.base}/save/status/{quote(job)}")
            except httpx.HTTPError as exc:
                broken += 1
                if broken >= 3:
                    return Saved(SaveOutcome.FAILED, "could not ask Save Page Now how the "
                                 f"capture went: {_why(exc)} (job {job}); the capture may "
                                 "still appear in the Wayback Machine: run refcheck preserve "
                                 "again later to see", job_id=job)
                continue
            if response.status_code >= 500:
                # A front server's passing fault (502, 503, 504): the capture goes on.
                broken += 1
                if broken >= 3:
                    return Saved(SaveOutcome.FAILED, "could not ask Save Page Now how the "
                                 f"capture went: it answered {_status(response.status_code)} "
                                 f"{broken} times (job {job}); the capture may still appear "
                                 "in the Wayback Machine: run refcheck preserve again later "
                                 "to see", code=str(response.status_code), job_id=job)
                continue
            broken = 0
            if response.status_code == 429:
                asked = retry_after_seconds(_headers(response), clock())
                pause = self.limits.wait_after_429 if asked is None else asked
                if not pause <= (deadline - clock()).total_seconds():
                    # Waiting as asked would outlast the time a capture is waited for.
                    return Saved(SaveOutcome.FAILED, "Save Page Now asked to wait "
                                 f"{wait_words(pause)} before it is asked again how the "
                                 f"capture went (429 Too Many Requests) (job {job}); the "
                                 "capture may still appear in the Wayback Machine: run "
                                 "refcheck preserve again later to see", code="429",
                                 job_id=job)
                wait = max(wait, pause)
                continue
            answer = self._read(response)
            if isinstance(answer, Saved):
                return _with_job(answer, job)
            status = answer.get("status")
            if status == "pending":
                continue
            if status == "success":
                stamp = str(answer.get("timestamp") or "")
                original = str(answer.get("original_url") or url)
                when = parse_timestamp(stamp)
                if when is None:
                    return Saved(SaveOutcome.FAILED, "Save Page Now reported success without "
                                 f"a usable timestamp ({stamp!r}) (job {job})", job_id=job)
                capture = self.capture_url(stamp, original)
                if asked_at is not None and when < asked_at - RECENT_MARGIN:
                    # Save Page Now answered with a capture it had already made.
                    return Saved(SaveOutcome.RECENT, f"already captured {_moment(when)} (Save "
                                 "Page Now's own record, which the Wayback Machine may not "
                                 "list yet); no new capture was made", capture_url=capture,
                                 captured=when, job_id=job)
                return Saved(SaveOutcome.CAPTURED, f"captured {_moment(when)}",
                             capture_url=capture, captured=when, job_id=job)
            if status == "error":
                return spn_error(answer, job)
            return Saved(SaveOutcome.FAILED, f"Save Page Now answered an unknown status "
                         f"({_said(answer)}) (job {job})", job_id=job)

    async def _send(self, method: str, url: str,
                    data: dict[str, str] | None = None) -> httpx.Response:
        assert self._client is not None, "use SavePageNow as an async context manager"
        return await self._client.request(method, url, data=data, headers=self._auth)

    def _pause(self, response: httpx.Response) -> Saved | None:
        """A 429: hold every later request until ``Retry-After`` has passed (None), or stop
        asking when the service wants longer than refcheck waits (the Saved to report)."""
        asked = retry_after_seconds(_headers(response), self.fetcher.clock())
        wait = self.limits.wait_after_429 if asked is None else asked
        if wait > self.limits.max_wait_after_429:
            self.stopped = Saved(
                SaveOutcome.REFUSED, "Save Page Now is rate-limiting your captures (429 Too "
                f"Many Requests) and asked to wait {wait_words(wait)}; nothing more was sent: "
                "run refcheck preserve again later", code="429")
            return self.stopped
        self._budget.pause(wait)
        return None

    def _read(self, response: httpx.Response) -> dict[str, Any] | Saved:
        """The JSON object an answer holds, or what to report instead."""
        code = response.status_code
        if 300 <= code < 400:
            where = mask(response.headers.get("location", "nowhere"))
            return Saved(SaveOutcome.FAILED, f"Save Page Now answered {_status(code)} to "
                         f"{where}; redirects are not followed", code=str(code))
        try:
            answer = json.loads(response.content)
        except ValueError:
            answer = None
        said = str(answer.get("message") or "") if isinstance(answer, dict) else ""
        if DAILY_LIMIT.search(said):
            # The account's captures for the day are spent: every later link would be
            # refused the same way, so none is sent.
            self.stopped = Saved(
                SaveOutcome.REFUSED, "your account has made as many captures today as Save "
                f"Page Now allows ({said.strip()[:200]}); nothing more was sent: run "
                "refcheck preserve again tomorrow",
                code=str(answer.get("status_ext") or code) if isinstance(answer, dict)
                else str(code))
            return self.stopped
        if isinstance(answer, dict) and answer.get("status") == "error" and \
                answer.get("status_ext"):
            return spn_error(answer)
        if code in (401, 403):
            self.stopped = Saved(
                SaveOutcome.REFUSED, f"the Internet Archive did not accept your keys "
                f"({_status(code)}); check {ACCESS_ENV} and {SECRET_ENV} against {KEYS_PAGE}",
                code=str(code))
            return self.stopped
        if not 200 <= code < 300:
            return Saved(SaveOutcome.FAILED, f"Save Page Now answered {_status(code)}; try "
                         "again later", code=str(code))
        if not isinstance(answer, dict):
            return Saved(SaveOutcome.FAILED, "Save Page Now's answer was not the JSON "
                         "expected", code=str(code))
        return answer


def _with_job(saved: Saved, job: str) -> Saved:
    return saved if saved.job_id else Saved(saved.outcome, saved.detail, saved.capture_url,
                                            saved.captured, saved.code, job)


def _headers(response: httpx.Response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


def _status(code: int) -> str:
    try:
        return f"{code} {http.HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _said(answer: Mapping[str, Any]) -> str:
    return str(answer.get("message") or answer.get("status") or "no message")[:200]


def _why(exc: httpx.HTTPError) -> str:
    """A transport failure in words; httpx's messages name no header, so no key."""
    if isinstance(exc, httpx.TimeoutException):
        return "it did not answer in time"
    return str(exc) or type(exc).__name__


def _moment(when: dt.datetime) -> str:
    return f"{day(when)}, {when:%H:%M} UTC"


def is_uk_government(url: str) -> bool:
    """A UK central government or national NHS page: what UKGWA collects itself."""
    host = host_of(url)
    return any(host == suffix or host.endswith("." + suffix) for suffix in UK_GOVERNMENT_HOSTS)


# -- the run ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preserved:
    """One cited link and what became of it."""

    result: LinkResult
    asked: str | None  # the address looked up and captured (without credentials)
    saved: Saved
    government: bool = False


LIVE = (Status.OK, Status.MOVED)


def address_to_keep(result: LinkResult) -> str | None:
    """The address whose capture keeps the evidence: where a live link's page is now (a
    move's new address, a short link's target), without credentials or a visitor's
    session; None when not live. Where the server led to an address with credentials it
    added (a signed download, S3's ``X-Amz-Signature``), that address without them answers
    an error, so the cited address is captured: Save Page Now follows its redirect."""
    if result.cited is None or result.status not in LIVE or result.archive is not None:
        return None
    cited, final = result.cited.url, result.final_url
    if final is None or credentials_in(without_session(final)) - credentials_in(cited):
        return without_secrets(cited)
    return without_secrets(without_session(final))


async def preserve(results: Sequence[LinkResult], *, since: dt.datetime, wayback: Wayback,
                   spn: SavePageNow) -> list[Preserved]:
    """What became of each cited link: live ones already captured since ``since`` are left,
    the others are captured; the rest are skipped. Each address is handled once."""
    tasks: dict[str, asyncio.Task[Saved]] = {}

    async def keep(address: str) -> Saved:
        recent = await wayback.captured_since(address, since)
        if recent.outcome is LookupOutcome.NOT_ARCHIVED and recent.detail == EXCLUDED:
            return Saved(SaveOutcome.REFUSED, f"{EXCLUDED} (its owner asked): a capture made "
                         "now would not be shown either, so nothing was sent; keep a copy "
                         "of your own (a PDF of the page), or ask the site's owner")
        if recent.outcome is LookupOutcome.FOUND and recent.capture is not None:
            return Saved(SaveOutcome.RECENT, f"already captured {day(recent.capture.captured)}",
                         capture_url=recent.capture.url, captured=recent.capture.captured)
        saved = await spn.save(address)
        if recent.outcome is LookupOutcome.FAILED:
            saved = Saved(saved.outcome, f"{saved.detail} (the Wayback Machine could not say "
                          f"whether it had a recent capture: {recent.detail})",
                          saved.capture_url, saved.captured, saved.code, saved.job_id)
        elif recent.detail:  # captures since the date, none of them the page
            saved = Saved(saved.outcome, f"{saved.detail} (its captures since "
                          f"{day(since)} are not the page: {recent.detail})",
                          saved.capture_url, saved.captured, saved.code, saved.job_id)
        return saved

    out: list[tuple[LinkResult, str | None, asyncio.Task[Saved] | Saved]] = []
    for result in results:
        if result.cited is None:
            continue
        address = address_to_keep(result)
        if address is None:
            why = (f"it is an archived copy already ({result.archive.label or 'an archive'}"
                   f", {day(result.archive.captured)})" if result.archive is not None
                   and result.status in LIVE else
                   f"{result.detail}; nothing was sent" if result.status is Status.EXCLUDED
                   else f"{result.status.value}: only a live page can be captured (refcheck fix "
                   "cites an archived copy where one exists)")
            out.append((result, None, Saved(SaveOutcome.SKIPPED, why)))
            continue
        if address not in tasks:
            tasks[address] = asyncio.create_task(_safely(keep, address))
        out.append((result, address, tasks[address]))
    try:
        await asyncio.gather(*tasks.values())
    except asyncio.CancelledError:
        raise Stopped(_so_far(out, spn)) from None
    finally:
        for task in tasks.values():
            task.cancel()
    return _so_far(out, spn)


class Stopped(Exception):
    """Ctrl-C or SIGTERM while the captures were being made: what became of each link by
    then (captured, asked for and not ended, not sent, ...), so that none is lost."""

    def __init__(self, preserved: list[Preserved]) -> None:
        super().__init__("stopped")
        self.preserved = preserved


def _so_far(out: Sequence[tuple[LinkResult, str | None, asyncio.Task[Saved] | Saved]],
            spn: SavePageNow) -> list[Preserved]:
    preserved = []
    for result, address, saved in out:
        if isinstance(saved, Saved):
            value = saved
        elif saved.done() and not saved.cancelled():
            value = saved.result()
        elif address is not None and address in spn.asked:
            job = spn.asked[address]
            value = Saved(SaveOutcome.ASKED, "refcheck was stopped while Save Page Now was "
                          f"making the capture{f' (job {job})' if job else ''}, which it "
                          "may still make; the Wayback Machine can take hours to list it, so "
                          "look for it there before asking again", job_id=job)
        else:
            value = Saved(SaveOutcome.NOT_SENT, "refcheck was stopped before it was sent")
        assert result.cited is not None
        if result.status is Status.MOVED and address is not None and value.outcome in (
                SaveOutcome.CAPTURED, SaveOutcome.RECENT):
            value = dataclasses.replace(value, detail=value.detail + _unconfirmed_move(result))
        preserved.append(Preserved(result, address, value,
                                   government=is_uk_government(address or result.cited.url)))
    return preserved


def _unconfirmed_move(result: LinkResult) -> str:
    """What to add to a moved link's capture when the page it now leads to is not shown to
    be the evidence (by the rule `refcheck fix` cites a move by): the capture is of that
    page, whatever it is."""
    from refcheck.fix import Change, decide_change

    if isinstance(decide_change(result), Change):
        return ""
    title = f", titled \u201c{result.page_title}\u201d," if result.page_title else ""
    return (f"; this is a capture of the page the address now leads to{title} which is not "
            "shown to be the source's evidence: check it is the same evidence")


async def _safely(keep: Any, address: str) -> Saved:
    """A bug for one link must not cost the others their captures."""
    try:
        saved: Saved = await keep(address)
    except Exception as exc:
        return Saved(SaveOutcome.FAILED, f"internal error: {exc!r}")
    return saved


def spn_base(env: Mapping[str, str] | None = None) -> str:
    """Save Page Now's base URL: ``REFCHECK_SPN_URL``, else the Internet Archive's."""
    env = os.environ if env is None else env
    return (env.get(SPN_ENV) or DEFAULT_SPN_URL).rstrip("/")
