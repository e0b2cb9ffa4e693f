"""DOIs checked with the DOI system's handle API, so that a publisher's bot wall cannot
make a registered DOI look dead. ``{base}/api/handles/{doi}`` answers ``responseCode`` 1
for a registered DOI (with the URL it points to) and 100, with HTTP 404, for none. What
the answer means is ``verdict.judge``'s."""

from __future__ import annotations

import json
from urllib.parse import quote

from refcheck.http import Fetcher
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
