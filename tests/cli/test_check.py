"""permgate check: formats, exit codes, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from permgate import __version__
from tests.conftest import PROJECT, run_cli

F = "assignments/retail-sales/E000002.yaml"
BAD = """\
---
employee: E000002
grants:
  - permission: P002
    granted_by: E000002
    granted_on: 2022-07-01
    reason: "ticket ACC-00108"
"""


def test_text_format_lines_and_summary(make_repo: Callable[..., Path]) -> None:
    result = run_cli("check", "--root", str(make_repo({F: BAD})))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    # one grant crossing the boundary: one line, naming the other rules that flag it
    assert lines[0].startswith(f"{F}:4:5: error[distribution-to-retail-sales] P002 supply-points.read is owned")
    assert lines[0].endswith("; granted by E000002 on 2022-07-01 (also: granter-authority, self-grant)")
    assert lines[1] == "1 error, 0 warnings, 0 notes in 1 grants file (1 grant)"
    assert len(lines) == 2
    # each rule on its own, as before
    lines = run_cli("check", "--root", str(make_repo({F: BAD})), "--ignore", "distribution-to-retail-sales"
                    ).stdout.splitlines()
    assert lines[0].startswith(f"{F}:4:5: error[granter-authority] P002 supply-points.read is owned by distribution")
    assert lines[1] == (f"{F}:4:5: error[self-grant] E000002 Ben Baker granted P002 supply-points.read "
                        "to themself on 2022-07-01")
    assert lines[2] == "2 errors, 0 warnings, 0 notes in 1 grants file (1 grant)"


def test_json_format_is_the_documented_contract(make_repo: Callable[..., Path]) -> None:
    result = run_cli("check", "--root", str(make_repo({F: BAD})), "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["version"] == 1
    assert set(doc) == {"version", "findings", "summary"}
    keys = {"rule", "severity", "message", "path", "line", "column", "employee", "permission", "related", "waived",
            "baselined", "companions", "role"}
    [top] = doc["findings"]
    assert set(top) == keys
    # the other rules' findings on the same grant, each of the same shape (issue 18: one cause, one finding)
    assert [(c["rule"], c["line"]) for c in top["companions"]] == [("granter-authority", 4), ("self-grant", 4)]
    assert all(set(c) == keys and c["companions"] == [] for c in top["companions"])
    one = {"errors": 1, "warnings": 0, "notes": 0, "waived": 0, "baselined": 0, "companions": 0}
    assert doc["summary"] == {"errors": 1, "warnings": 0, "notes": 0, "files": 1, "grants": 1, "waived": 0,
                              "baselined": 0, "companions": 2,
                              "by_rule": {"distribution-to-retail-sales": one,
                                          "granter-authority": {**one, "companions": 1},
                                          "self-grant": {**one, "companions": 1}}}


def test_clean_repo_exits_zero(make_repo: Callable[..., Path]) -> None:
    result = run_cli("check", "--root", str(make_repo({})))
    assert result.exit_code == 0
    assert result.stdout == "0 errors, 0 warnings, 0 notes in 1 grants file (1 grant)\n"


def test_fail_on_note_and_warning(make_repo: Callable[..., Path]) -> None:
    config = "severity:\n  self-grant: note\n  distribution-to-retail-sales: warning\n  granter-authority: warning\n"
    root = make_repo({F: BAD, "permgate.yaml": config})
    assert run_cli("check", "--root", str(root)).exit_code == 0
    assert run_cli("check", "--root", str(root), "--fail-on", "warning").exit_code == 1
    assert run_cli("check", "--root", str(root), "--fail-on", "note").exit_code == 1


def test_usage_errors_exit_two(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    assert run_cli("check", "--today", "2026-13-01").exit_code == 2
    assert run_cli("check", "--format", "yaml").exit_code == 2
    result = run_cli("check", "--root", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --root")


def test_output_is_deterministic_whatever_the_file_order(make_repo: Callable[..., Path]) -> None:
    files = {f"assignments/retail-sales/E00000{i}.yaml": BAD.replace("E000002", f"E00000{i}") for i in (2, 1)}
    root = make_repo(files)
    first = run_cli("check", "--root", str(root), "--format", "json").stdout
    assert first == run_cli("check", "--root", str(root), "--format", "json").stdout
    doc = json.loads(first)
    keys = [(f["path"], f["line"], f["rule"]) for f in doc["findings"]]
    assert keys == sorted(keys)


def test_no_colour_unless_a_terminal_or_forced(make_repo: Callable[..., Path]) -> None:
    root = str(make_repo({F: BAD}))
    assert "\033[" not in run_cli("check", "--root", root).stdout
    assert "\033[31m" in run_cli("check", "--root", root, "--color", "always").stdout


def test_version_and_schema_commands() -> None:
    assert run_cli("--version").stdout.strip() == f"permgate, version {__version__}"
    for kind in ("catalog", "people", "grants", "policy", "config"):
        doc = json.loads(run_cli("schema", kind).stdout)
        assert doc["$schema"].endswith("2020-12/schema")
    assert run_cli("schema", "nope").exit_code == 2


def test_python_dash_m_returns_the_exit_code(make_repo: Callable[..., Path]) -> None:
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    root = str(make_repo({F: BAD}))
    proc = subprocess.run([sys.executable, "-m", "permgate", "check", "--root", root],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert "error[distribution-to-retail-sales]" in proc.stdout
    assert "(also: granter-authority, self-grant)" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "permgate", "check", "--root", root, "--fail-on", "bogus"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
