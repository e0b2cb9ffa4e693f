"""Where users run refcheck: the GitHub Action (action.yml), the pre-commit hooks
(.pre-commit-hooks.yaml) and ``--check-only``, each run here as the runner would run it.

The action's steps are executed by bash as written, with the runner's files and variables
made in a temporary folder; only the Python that makes refcheck's environment is a stand-in
(it links the environment to this one and records what pip was asked to install), so no
test reaches a package index."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import write_case
from tests.server import EvidenceServer

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
README = (ROOT / "README.md").read_text()
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
BASH = shutil.which("bash")


def test_the_action_is_a_composite_action_with_documented_inputs() -> None:
    assert ACTION["name"] and ACTION["description"]
    assert ACTION["runs"]["using"] == "composite"
    inputs = ACTION["inputs"]
    used = {m.group(1).split(".", 1)[1] for step in ACTION["runs"]["steps"]
            for value in step.get("env", {}).values()
            for m in EXPRESSION.finditer(str(value)) if m.group(1).startswith("inputs.")}
    assert used == set(inputs)  # every input is used, and none is used undeclared
    for name, spec in inputs.items():
        assert len(spec["description"]) > 20, name
        assert "default" in spec and spec.get("required") is False, name
        assert f"| `{name}` |" in README, f"input {name} is not in README's table"
    for name, spec in ACTION["outputs"].items():
        assert spec["description"] and f"| `{name}` |" in README
    for step in ACTION["runs"]["steps"]:
        assert step["shell"] == "bash"
        # Script injection: inputs reach a script only through its environment.
        assert "${{" not in step["run"], step["name"]


def test_readme_workflows_give_the_action_only_inputs_it_has() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", README, re.DOTALL)
    uses = []
    for block in blocks:
        workflow = yaml.safe_load(block)
        if not isinstance(workflow, dict) or "jobs" not in workflow:
            continue
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).split("@")[0].endswith("/refcheck"):
                    uses.append(step)
                    assert set(step.get("with", {})) <= set(ACTION["inputs"])
    assert len(uses) >= 2  # the workflow example and the scheduled one


def fake_python(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in for the runner's ``python3``: ``-m venv DIR`` makes DIR/bin with this
    environment's refcheck, ``-m pip ...`` records its arguments."""
    log = tmp_path / "pip.log"
    shim = tmp_path / "python3"
    refcheck = Path(sys.executable).with_name("refcheck")
    shim.write_text(f"""#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && ln -s "$0" "$3/bin/python" && ln -s "{refcheck}" "$3/bin/refcheck"
  exit $?
fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then shift 2; echo "$@" >> "{log}"; exit 0; fi
echo "unexpected: $*" >&2; exit 99
""")
    shim.chmod(0o755)
    return shim, log


def run_action(tmp_path: Path, server: EvidenceServer, given: dict[str, str]
               ) -> tuple[list[subprocess.CompletedProcess[str]], dict[str, str], Path]:
    """Every step of the action, in order, as the runner runs a composite action's steps:
    ``bash -e {script}``, with the step's ``env:`` (its expressions filled in from the
    inputs and the earlier steps' outputs), and the runner's files in ``tmp_path``."""
    assert BASH is not None
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    inputs.update(given)
    summary = tmp_path / "summary.md"
    summary.touch()
    outputs: dict[str, dict[str, str]] = {}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("REFCHECK_", "GITHUB_"))}
    base.update({"GITHUB_ACTIONS": "true", "GITHUB_ACTION_PATH": str(ROOT),
                 "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(tmp_path / "temp"),
                 "REFCHECK_PROBE_URL": "", "REFCHECK_DOI_URL": server.url("/doi"),
                 "REFCHECK_UKGWA_URL": server.url("/ukgwa"),
                 "REFCHECK_WAYBACK_URL": server.url("/wayback"), "NO_COLOR": "1"})
    (tmp_path / "temp").mkdir()

    def fill(text: str) -> str:
        def value(match: re.Match[str]) -> str:
            parts = match.group(1).split(".")
            if parts[0] == "inputs":
                return inputs[parts[1]]
            assert parts[0] == "steps" and parts[2] == "outputs", match.group(0)
            return outputs[parts[1]][parts[3]]
        return EXPRESSION.sub(value, text)

    done = []
    for step in ACTION["runs"]["steps"]:
        output = tmp_path / f"output-{step['id']}"
        output.touch()
        env = {**base, "GITHUB_OUTPUT": str(output),
               **{k: fill(str(v)) for k, v in step.get("env", {}).items()}}
        script = tmp_path / f"{step['id']}.sh"
        script.write_text(step["run"])
        result = subprocess.run([BASH, "--noprofile", "--norc", "-e", "-o", "pipefail",
                                 str(script)], env=env, cwd=tmp_path, capture_output=True,
                                text=True, timeout=120, check=False)
        outputs[step["id"]] = dict(line.split("=", 1) for line in
                                   output.read_text().splitlines() if "=" in line)
        done.append(result)
        if result.returncode != 0:
            break
    action_outputs = {name: fill(str(spec["value"]))
                      for name, spec in ACTION["outputs"].items()
                      if all(m.group(1).split(".")[1] in outputs
                             for m in EXPRESSION.finditer(str(spec["value"])))}
    return done, action_outputs, summary


@pytest.mark.skipif(BASH is None, reason="the action's steps are bash scripts")
def test_the_action_installs_refcheck_and_annotates_the_failing_links(
        tmp_path: Path, server: EvidenceServer) -> None:
    case = write_case(tmp_path, [
        {"id": "a", "title": "A report", "url": server.url("/page")},
        {"id": "b", "title": "A lost page", "url": server.url("/gone404")}])
    python, pip_log = fake_python(tmp_path)
    memory = tmp_path / "refcheck-memory"
    steps, outputs, summary = run_action(tmp_path, server, {
        "args": f"{case} --no-archive", "python": str(python), "cache-dir": str(memory)})
    install, check = steps
    assert install.returncode == 0, install.stderr
    assert pip_log.read_text().split()[-1] == str(ROOT)  # the action's own copy
    assert check.returncode == 1 and outputs == {"exit-code": "1"}
    annotations = [line for line in check.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1
    assert annotations[0].startswith(f"::error file={case},line=")
    assert "title=b%3A dead::" in annotations[0]
    written = summary.read_text()
    assert written.startswith("# refcheck report") and "gone404" in written
    assert (memory / "memory.sqlite3").exists()  # cache-dir reached refcheck


@pytest.mark.skipif(BASH is None, reason="the action's steps are bash scripts")
def test_the_action_installs_the_version_asked_for_and_can_leave_the_summary_alone(
        tmp_path: Path, server: EvidenceServer) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A report", "url": server.url("/page")}])
    python, pip_log = fake_python(tmp_path)
    steps, outputs, summary = run_action(tmp_path, server, {
        "args": str(case), "python": str(python), "version": "refcheck==0.1.0",
        "summary": "false"})
    assert [s.returncode for s in steps] == [0, 0], steps[-1].stderr
    assert pip_log.read_text().split()[-1] == "refcheck==0.1.0"
    assert outputs == {"exit-code": "0"}
    assert summary.read_text() == ""


# -- pre-commit -----------------------------------------------------------------------------

def hook(hook_id: str) -> dict[str, Any]:
    return next(h for h in HOOKS if h["id"] == hook_id)


def test_the_hooks_are_declared_as_pre_commit_reads_them() -> None:
    assert {h["id"] for h in HOOKS} == {"refcheck-case-files", "refcheck-links"}
    for spec in HOOKS:
        assert {"id", "name", "entry", "language", "description"} <= set(spec)
        assert spec["language"] == "python"  # pre-commit installs this repository with pip
        assert spec["entry"].split()[0] == "refcheck"
        assert f"`{spec['id']}`" in README
    assert hook("refcheck-case-files").get("stages") is None  # every commit
    assert set(hook("refcheck-links")["stages"]) == {"pre-push", "manual"}  # opt-in


def run_hook(hook_id: str, repository: Path, env: dict[str, str]
             ) -> subprocess.CompletedProcess[str]:
    """A hook as pre-commit runs it: its entry, then the files its `files` pattern and
    `types` select (paths relative to the repository)."""
    spec = hook(hook_id)
    pattern = re.compile(spec["files"])
    files = sorted(str(p.relative_to(repository)) for p in repository.rglob("*")
                   if p.is_file() and p.suffix in (".yaml", ".yml")
                   and pattern.search(str(p.relative_to(repository))))
    command = [*spec["entry"].split(), *spec.get("args", []), *files]
    return subprocess.run(command, cwd=repository, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def repository(tmp_path: Path, server: EvidenceServer) -> Path:
    """A project with case files, and YAML that is not one (pre-commit's own settings)."""
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    (tmp_path / "cases").mkdir()
    write_case(tmp_path / "cases", [
        {"id": "a", "title": "A report", "url": server.url("/page")},
        {"id": "b", "title": "A lost page", "url": server.url("/gone404")}], name="one.yaml")
    return tmp_path


def hook_env(server: EvidenceServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFCHECK_")}
    env.update({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "REFCHECK_PROBE_URL": "", "REFCHECK_UKGWA_URL": server.url("/ukgwa"),
                "REFCHECK_WAYBACK_URL": server.url("/wayback"), "NO_COLOR": "1",
                "REFCHECK_CACHE_DIR": os.environ["REFCHECK_CACHE_DIR"]})
    return env


def test_the_case_file_hook_validates_offline(repository: Path,
                                             server: EvidenceServer) -> None:
    passed = run_hook("refcheck-case-files", repository, hook_env(server))
    assert passed.returncode == 0, passed.stderr
    assert "1 case file checked, 2 URLs, no errors" in passed.stderr
    assert server.seen == []  # nothing fetched
    (repository / "cases" / "two.yml").write_text(
        "case:\n  title: Broken\nsources:\n  - id: a\n    title: A\n    url: www.example.org\n")
    failed = run_hook("refcheck-case-files", repository, hook_env(server))
    assert failed.returncode == 2
    assert "cases/two.yml:6:" in failed.stderr and "https://" in failed.stderr
    assert server.seen == []


def test_the_links_hook_checks_the_links(repository: Path, server: EvidenceServer) -> None:
    result = run_hook("refcheck-links", repository, hook_env(server))
    assert result.returncode == 1
    assert "gone404" in result.stdout and "/page" in server.seen


def test_check_only_reports_warnings_and_strict_makes_them_errors(
        run_cli: Any, tmp_path: Path, server: EvidenceServer) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A", "url": server.url("/page"),
                                  "ulr": "typo"}])
    run = run_cli("--check-only", str(case))
    assert run.exit_code == 0
    assert "did you mean `url`" in run.stderr and "1 warning" in run.stderr
    strict = run_cli("--check-only", "--strict", str(case))
    assert strict.exit_code == 2
    assert server.seen == []


def test_readme_workflows_keep_the_memory_of_a_failing_run_too() -> None:
    """actions/cache saves only after a job that passed: a workflow that keeps refcheck's
    memory so must restore and save it apart, the save whatever the check's exit code, or
    the nights a link fails are never remembered and --confirm never counts them."""
    blocks = re.findall(r"```yaml\n(.*?)```", README, re.DOTALL)
    kept = 0
    for block in blocks:
        workflow = yaml.safe_load(block)
        if not isinstance(workflow, dict) or "jobs" not in workflow:
            continue
        for job in workflow["jobs"].values():
            steps = job.get("steps", [])
            uses = [str(step.get("uses", "")).split("@")[0] for step in steps]
            assert "actions/cache" not in uses
            if "actions/cache/restore" not in uses:
                continue
            kept += 1
            check = next(i for i, u in enumerate(uses) if u.endswith("/refcheck"))
            save = uses.index("actions/cache/save")
            assert save > check and steps[save]["if"] == "always()"
            restore = steps[uses.index("actions/cache/restore")]["with"]
            assert steps[save]["with"] == {k: restore[k] for k in ("path", "key")}
            assert steps[check]["with"]["cache-dir"] == restore["path"]
    assert kept == 1  # the nightly watch


def test_the_exit_code_output_names_every_exit_code() -> None:
    from refcheck.model import ExitCode

    described = ACTION["outputs"]["exit-code"]["description"]
    assert all(re.search(rf"\b{code.value}\b", described) for code in ExitCode), described
