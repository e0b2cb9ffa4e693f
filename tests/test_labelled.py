"""The labelled set: every behaviour the local server serves, with the status a careful
person would give it, checked through the CLI in one run. The confusion table of expected
against reported status must be diagonal; any regression fails with the table shown."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from refcheck import cli
from refcheck.http import Fetcher, HttpSettings
from refcheck.model import Status
from refcheck.transport import LeanTransport, default_ssl_context
from tests.behaviours import BEHAVIOURS, MORE, ROT
from tests.conftest import Waits, write_case
from tests.rot import SimulatedNames
from tests.server import REGISTERED_DOI, EvidenceServer, free_port


def labelled(server: EvidenceServer, refused: int) -> list[tuple[str, str, str,
                                                                  dict[str, str]]]:
    def url(template: str) -> str:
        if template.startswith("/"):
            return server.url(template)
        return template.format(refused=refused, port=server.server_address[1],
                               base=server.base)

    cases: list[tuple[str, str, str, dict[str, str]]] = [
        (path, url(path), status, {}) for path, status, _ in BEHAVIOURS]
    cases += [(label, url(path), status, extra) for label, path, status, extra in MORE]
    cases += [(label, url(path), status, extra) for label, path, status, extra in ROT]
    return cases


def simulated_web(waits: Waits) -> cli.Parts:
    """The command's parts, with the test server standing in for every site of the
    simulated web (``rot.SITES``) and no other host name resolving."""
    def make(settings: HttpSettings) -> Fetcher:
        transport = LeanTransport(ssl_context=default_ssl_context,
                                  getaddrinfo=SimulatedNames())
        return Fetcher(settings, transport=transport, sleep=waits, clock=waits.clock,
                       watch_loop=False)

    return cli.Parts(make_fetcher=make)


def confusion_table(pairs: list[tuple[str, str]]) -> str:
    statuses = [s.value for s in Status]
    counts = Counter(pairs)
    width = max(len(s) for s in statuses) + 1
    lines = ["expected \\ reported".ljust(20) + "".join(s.rjust(width) for s in statuses)]
    for expected in statuses:
        row = [counts[(expected, reported)] for reported in statuses]
        if any(row):
            lines.append(expected.ljust(20) + "".join(
                (str(n) if n else ".").rjust(width) for n in row))
    return "\n".join(lines)


def test_labelled_behaviours_confusion_table_is_diagonal(
        tmp_path: Path, server: EvidenceServer, run_cli: Any, waits: Waits) -> None:
    items = labelled(server, free_port())
    sources: list[dict[str, Any]] = [
        {"id": f"L{i}", "title": label, "url": url, **extra}
        for i, (label, url, _, extra) in enumerate(items)]
    # A DOI given as a field, with no URL, is checked through the DOI system.
    sources.append({"id": "doi-field", "title": "Article", "doi": f"doi:{REGISTERED_DOI}"})
    expected = {f"L{i}": status for i, (_, _, status, _) in enumerate(items)}
    expected["doi-field"] = "ok"

    # Every live page is compared with its capture (a domain that changed hands): the
    # labelled run is too long for --compare-archive auto. A deadline the trickling page
    # meets, and an honest answer on a loaded machine does not.
    run = run_cli(str(write_case(tmp_path, sources)), "--format", "json", "--deadline", "4",
                  "--compare-archive", "always", parts=simulated_web(waits))
    links = json.loads(run.stdout)["links"]
    reported = {link["source"]: link["status"] for link in links}
    pairs = [(expected[source], reported[source]) for source in expected]
    table = confusion_table(pairs)
    print(f"\n{len(pairs)} labelled behaviours\n{table}")
    wrong = [(source, expected[source], reported[source], next(
        link["detail"] for link in links if link["source"] == source))
        for source in expected if expected[source] != reported[source]]
    assert len(pairs) >= 40 and len(ROT) >= 40
    assert wrong == [], f"\n{table}\n{wrong}"
    by_source = {link["source"]: link for link in links}
    drifted = next(s for s, (label, *_) in zip(expected, items, strict=False)
                   if label.startswith("HTML without the quote"))
    assert by_source[drifted]["evidence"] == "archived"  # the quote is in the 2013 capture
    assert "the quote is in the capture of 1 October 2013" in by_source[drifted]["detail"]
    doi = by_source["doi-field"]
    assert doi["url"] == f"https://doi.org/{REGISTERED_DOI}"
    assert doi["final_url"] == server.url("/forbidden-publisher")
