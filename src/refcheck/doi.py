"""DOIs checked with the DOI system's handle API, so that a publisher's bot wall cannot
make a registered DOI look dead. ``{base}/api/handles/{doi}`` answers ``responseCode`` 1
for a registered DOI (with the URL it points to), 200 for one registered with no values
(so no URL) and 100, with HTTP 404, for none. The
page a registered DOI points to is fetched too (``landing``), as any cited link is, so that
a target that is plainly gone (a 404, a lapsed domain) is not reported live. What the
answers mean is ``verdict.judge``'s."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import quote

from refcheck.http import Fetcher
from refcheck.urls import url_problem
from refcheck.verdict import DoiRecord

DEFAULT_DOI_URL = "https://doi.org"


async def lookup_doi(fetcher: Fetcher, base: str, doi: str) -> DoiRecord:
    fetch = await fetcher.fetch(f"{base.rstrip('/')}/api/handles/{quote(doi, safe='/')}",
                                want_body=True)
    answer = fetch.answer
    if answer is None:
        return DoiRecord(doi, fetch, None, None)
    try:
        record = json.loads(answer.body.decode("utf-8", errors="replace") or "{}")
    except ValueError:
        record = {}
    if not isinstance(record, dict):
        return DoiRecord(doi, fetch, None, None)
    code = record.get("responseCode")
    values = record.get("values")
    target = next((v.get("data", {}).get("value") for v in values or []
                   if isinstance(v, dict) and v.get("type") == "URL"
                   and isinstance(v.get("data"), dict)), None) if isinstance(values, list) \
        else None
    return DoiRecord(doi, fetch, code if isinstance(code, int) else None,
                     str(target) if target else None)


def landing_url(record: DoiRecord) -> str | None:
    """The page to fetch for a registered DOI: its target, when that is a usable web
    address; None for a DOI that is not registered, names no page or could not be asked
    about (nothing is fetched, and the DOI system's answer alone is judged)."""
    target = record.target
    if record.code != 1 or not target or record.fetch.answer is None:
        return None
    return target if url_problem(target) is None else None


async def landing(fetcher: Fetcher, record: DoiRecord, target: str) -> DoiRecord:
    """The record with its target fetched as a cited link is, under the same per-host
    limits. ``urgent``: like a redirect hop, it finishes a link already started."""
    fetch = await fetcher.fetch(target, urgent=True)
    return dataclasses.replace(record, landing=fetch)
