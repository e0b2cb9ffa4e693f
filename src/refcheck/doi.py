"""DOIs checked with the DOI system's handle API, so that a publisher's bot wall cannot
make a registered DOI look dead. ``{base}/api/handles/{doi}`` answers ``responseCode`` 1
for a registered DOI (with the URL it points to) and 100, with HTTP 404, for none."""

from __future__ import annotations

import json
from urllib.parse import quote

from refcheck.classify import classify, describe_status
from refcheck.http import Fetcher
from refcheck.model import Fetch, Status, Verdict

DEFAULT_DOI_URL = "https://doi.org"


async def check_doi(fetcher: Fetcher, base: str, doi: str) -> tuple[Fetch, Verdict]:
    fetch = await fetcher.fetch(f"{base.rstrip('/')}/api/handles/{quote(doi, safe='/')}",
                                want_body=True)
    answer = fetch.answer
    if answer is None:
        return fetch, Verdict(Status.ERROR,
                              f"could not ask the DOI system: {classify(fetch).detail}")
    try:
        record = json.loads(answer.body.decode("utf-8", errors="replace") or "{}")
    except ValueError:
        record = {}
    code = record.get("responseCode") if isinstance(record, dict) else None
    if code == 1:
        target = next((v.get("data", {}).get("value") for v in record.get("values", [])
                       if isinstance(v, dict) and v.get("type") == "URL"), None)
        if target:
            return fetch, Verdict(Status.OK, f"registered DOI {doi}; it points to {target}",
                                  final_url=str(target))
        return fetch, Verdict(Status.ERROR, f"DOI {doi} is registered but names no web page")
    if code == 100 or answer.status == 404:
        return fetch, Verdict(Status.DEAD, f"DOI {doi} is not registered: no such DOI exists; "
                              "check it for typing errors")
    return fetch, Verdict(Status.ERROR, "could not ask the DOI system: it answered "
                          f"{describe_status(answer.status, answer.reason)}")
