"""The house holds by code: no import cycle anywhere (function-body imports included, so none can
hide one), and each floor imports only the floors below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.architecture.imports import cycles, graph

ROOT = Path(__file__).resolve().parents[2]
EDGES = graph(ROOT, "permgate")

#: subpackage -> subpackages (and vocabulary modules) it must never import, anywhere in its body
FORBIDDEN = {
    # rules are pure functions of the workspace: no I/O, no engine, no output
    "rules": {"engine", "commands", "cli", "reporters", "analysis", "edit", "runtime", "git", "load"},
    # what only makes it fast knows no rule and judges nothing
    "runtime": {"rules", "engine", "change", "commands", "cli", "reporters", "analysis"},
    # reporters render a report: they never run the engine or read files
    "reporters": {"engine", "change", "load", "commands", "cli", "git", "runtime"},
    # the loader knows no rule and no git
    "load": {"rules", "engine", "change", "commands", "cli", "reporters", "analysis", "git"},
    "git": {"rules", "engine", "change", "commands", "cli", "reporters", "analysis"},
    "engine": {"commands", "cli", "reporters", "analysis", "edit"},
    "change": {"commands", "cli", "reporters", "analysis", "edit"},
    "commands": {"cli"},
}
VOCABULARY = ("permgate.errors", "permgate.model", "permgate.findings")


def _floor(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (ROOT / "permgate" / parts[1]).is_dir()) else ""


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(EDGES) == []


def test_the_cycle_finder_sees_a_cycle_hidden_in_a_function_body(tmp_path: Path) -> None:
    pkg = tmp_path / "demo"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from demo.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def late():\n    from demo import a  # dodges the cycle at run time\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from demo import d\n")
    (pkg / "d.py").write_text("import demo.c\n")
    assert cycles(graph(tmp_path, "demo")) == [["demo.a", "demo.sub.b"], ["demo.c", "demo.d"]]


@pytest.mark.parametrize("floor", sorted(FORBIDDEN))
def test_each_floor_imports_only_what_is_below_it(floor: str) -> None:
    wrong = sorted(f"{a} -> {b}" for a, targets in EDGES.items() if _floor(a) == floor
                   for b in targets if _floor(b) in FORBIDDEN[floor])
    assert wrong == []


def test_the_vocabulary_imports_nothing_of_the_house() -> None:
    wrong = sorted(f"{a} -> {b}" for a in VOCABULARY for b in EDGES[a] if b != "permgate.errors")
    assert wrong == []


def test_only_the_cli_imports_click() -> None:
    importers = []
    for path in sorted((ROOT / "permgate").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "click" for n in names):
                importers.append(path.relative_to(ROOT).as_posix())
    assert importers and all(p.startswith("permgate/cli/") for p in importers)
