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


def test_readme_and_help_give_the_fail_on_default_the_code_uses() -> None:
    from typer.testing import CliRunner

    from refcheck import cli
    from refcheck.model import DEFAULT_FAIL_ON

    default = ",".join(sorted(s.value for s in DEFAULT_FAIL_ON))
    assert f"| `--fail-on LIST` | `{default}` |" in README
    shown = CliRunner().invoke(cli.app, ["--help"], terminal_width=200).stdout
    assert f"[default: {default}]" in " ".join(shown.split())


def test_every_format_is_documented() -> None:
    from refcheck.report import Format

    for form in Format:
        assert f"| `{form.value}` |" in README


def test_readme_and_help_list_every_exit_code() -> None:
    from typer.testing import CliRunner

    from refcheck import cli
    from refcheck.model import ExitCode

    shown = CliRunner().invoke(cli.app, ["--help"], terminal_width=200).stdout
    listed = [line.split()[0] for line in shown.split("Exit codes:", 1)[1].splitlines()
              if line.strip()]
    for code in ExitCode:
        assert f"\n| {code.value} |" in README
        assert str(code.value) in listed, code
