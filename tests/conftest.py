from __future__ import annotations

import datetime as dt
import gc
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from refcheck import cli
from refcheck.http import Fetcher, HttpSettings
from tests.server import EvidenceServer


@pytest.fixture(autouse=True)
def _collected_again() -> Iterator[None]:
    """The check leaves the objects of its run out of the collector's scans (gc.freeze),
    as the process ends after it; a test process goes on, so they are put back."""
    yield
    gc.unfreeze()


@pytest.fixture(scope="session")
def evidence_server() -> Iterator[EvidenceServer]:
    server = EvidenceServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def memory_of_past_runs(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own, empty memory of past runs (refcheck's cache), never the
    user's: a success one test saw must not be reused by another. It is kept out of
    ``tmp_path``, which tests list."""
    folder = tmp_path_factory.mktemp("refcheck-cache")
    monkeypatch.setenv("REFCHECK_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def server(evidence_server: EvidenceServer) -> EvidenceServer:
    evidence_server.reset_counts()
    return evidence_server


@dataclass
class Waits:
    """Stands in for asyncio.sleep and the clock: records what the code asked to wait and
    moves a virtual clock on by that much, at once."""

    asked: list[float] = field(default_factory=list)
    now: dt.datetime = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.now += dt.timedelta(seconds=max(seconds, 0))

    def clock(self) -> dt.datetime:
        return self.now


@pytest.fixture
def waits() -> Waits:
    return Waits()


def parts_with(waits: Waits) -> cli.Parts:
    """What the command builds its run from, with the waits recorded, not slept, and the
    event loop's lateness not watched (with it, how many requests go at once would follow
    the machine's load)."""
    def make(settings: HttpSettings) -> Fetcher:
        return Fetcher(settings, sleep=waits, clock=waits.clock, watch_loop=False)

    return cli.Parts(make_fetcher=make)


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(waits: Waits, monkeypatch: pytest.MonkeyPatch, server: EvidenceServer) -> Any:
    """Run `refcheck` in-process with test-friendly defaults: no real waits, no probe, and
    the archives pointed at the fakes on the local server."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("REFCHECK_CONFIG", raising=False)
    monkeypatch.setenv("REFCHECK_PROBE_URL", "")
    monkeypatch.setenv("REFCHECK_UKGWA_URL", server.url("/ukgwa"))
    monkeypatch.setenv("REFCHECK_WAYBACK_URL", server.url("/wayback"))
    monkeypatch.setenv("REFCHECK_DOI_URL", server.url("/doi"))

    def run(*args: str, parts: cli.Parts | None = None) -> Run:
        result = CliRunner().invoke(cli.app, list(args), prog_name="refcheck",
                                    obj=parts or parts_with(waits))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


def write_case(directory: Path, sources: list[dict[str, Any]], *,
               name: str = "case.yaml", date: str | None = "2013-11-29",
               title: str = "Test case") -> Path:
    case: dict[str, Any] = {"title": title, "institution": "Test University"}
    if date:
        case["date"] = date
    path = directory / name
    path.write_text(yaml.safe_dump({"case": case, "sources": sources}, sort_keys=False,
                                   allow_unicode=True))
    return path


def cited_urls() -> list[str]:
    """URLs as cited in REF2014 case studies, damage and all (tests/fixtures/cited_urls.txt):
    the real input the URL shortcuts must answer exactly as the full parsers do."""
    text = (Path(__file__).with_name("fixtures") / "cited_urls.txt").read_text()
    return [u for u in text.splitlines() if u and not u.startswith("#")]
