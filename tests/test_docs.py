"""The README is a promise: its commands must be the ones that work."""

from __future__ import annotations

from pathlib import Path

from refcheck.report import STATUS_INFO

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci_command in README.splitlines()


def test_readme_starts_with_the_salford_command() -> None:
    first_block = README.split("```sh", 2)[1]
    assert "refcheck cases/salford.yaml" in first_block


def test_every_status_is_documented() -> None:
    for status, (symbol, _, _, _) in STATUS_INFO.items():
        assert f"| `{status.value}` | {symbol} |" in README
