"""Which of refcheck's modules import which, and what each entry point brings in.

    .venv/bin/python benchmarks/imports.py

Prints refcheck's own import graph (module -> the refcheck modules it imports at load time),
checks that it points one way (no cycles), and says, for the modules that must stay light
(the model, the settings file, the archive table, the report renderers), whether importing
them pulls in httpx. Each check runs in a fresh interpreter, so nothing is imported twice.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
#: Modules that must not bring in the HTTP stack when imported.
LIGHT = ("refcheck.model", "refcheck.config", "refcheck.archive", "refcheck.verdict",
         "refcheck.report.json", "refcheck.cases", "refcheck.urls")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph() -> dict[str, set[str]]:
    """Imports made when a module loads (those under ``if TYPE_CHECKING:`` and inside
    functions are left out: they do not run at import). ``from package import module``
    points at the module, not the package."""
    paths = sorted((SRC / "refcheck").rglob("*.py"))
    modules = {module_name(path) for path in paths}
    edges: dict[str, set[str]] = {}
    for path in paths:
        name = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.startswith("refcheck"):
                    submodules = {f"{node.module}.{a.name}" for a in node.names} & modules
                    found.update(submodules or {node.module})
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("refcheck"))
        edges[name] = found - {name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                found.append([*path[path.index(target):], target] if target in path
                             else [node, target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def brings_in_httpx(module: str) -> bool:
    code = f"import sys, {module}; print('httpx' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(SRC)}, check=True)
    return run.stdout.strip() == "True"


def main() -> None:
    edges = graph()
    for name in sorted(edges):
        targets = ", ".join(sorted(t.removeprefix("refcheck.") for t in edges[name]))
        print(f"{name.removeprefix('refcheck.') or 'refcheck':24} -> {targets or '-'}")
    found = cycles(edges)
    print()
    print("cycles: " + ("; ".join(" -> ".join(c) for c in found) if found else "none"))
    for module in LIGHT:
        print(f"import {module}: httpx {'loaded' if brings_in_httpx(module) else 'not loaded'}")


if __name__ == "__main__":
    main()
