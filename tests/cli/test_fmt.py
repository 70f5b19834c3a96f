"""permgate fmt: --check for CI, rewriting, refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PROJECT, run_cli

F = "assignments/retail-sales/E000002.yaml"
MESSY = """\
employee: E000002
grants:
- permission: P003
  granted_by: E000001
  granted_on: 2026-01-05

- permission: P001
  granted_by: E000001
  granted_on: 2026-01-05
"""
FORMATTED = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
  - permission: P003
    granted_by: E000001
    granted_on: 2026-01-05
"""


def test_shipped_examples_pass_fmt_check() -> None:
    for root in (PROJECT, PROJECT / "examples" / "incident-2023"):
        result = run_cli("fmt", "--check", "--root", str(root))
        assert result.exit_code == 0, result.stdout
        assert result.stdout.startswith("0 files would be reformatted, ")


def test_check_lists_then_fmt_rewrites(make_repo: Callable[..., Path]) -> None:
    root = make_repo({F: MESSY})
    result = run_cli("fmt", "--check", "--root", str(root))
    assert (result.exit_code, result.stdout) == (1, f"would reformat {F}\n1 file would be reformatted, 0 already "
                                                    "canonical\n")
    assert (root / F).read_text("utf-8") == MESSY
    result = run_cli("fmt", "--root", str(root))
    assert (result.exit_code, result.stdout) == (0, f"reformatted {F}\n1 file reformatted, 0 already canonical\n")
    assert (root / F).read_text("utf-8") == FORMATTED
    assert run_cli("fmt", "--check", "--root", str(root)).exit_code == 0
    assert not [p for p in (root / "assignments" / "retail-sales").iterdir() if p.name.startswith(".")]


def test_unformattable_files_are_reported_and_left_alone(make_repo: Callable[..., Path]) -> None:
    block = FORMATTED + "    reason: |\n      two\n      lines\n"
    root = make_repo({F: block, "assignments/corporate/E000004.yaml": MESSY.replace("E000002", "E000004")})
    result = run_cli("fmt", "--root", str(root))
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "reformatted assignments/corporate/E000004.yaml",
        f"{F}:10:13: cannot format: block scalars (| or >) cannot be formatted; write the value on one line",
        "1 file reformatted, 0 already canonical, 1 cannot be formatted",
    ]
    assert (root / F).read_text("utf-8") == block


def test_explicit_paths_files_and_folders(make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo({F: MESSY})
    monkeypatch.chdir(root)
    result = run_cli("fmt", "--check", F)
    assert (result.exit_code, result.stdout.splitlines()[0]) == (1, f"would reformat {F}")
    result = run_cli("fmt", "assignments/retail-sales")
    assert result.stdout.splitlines()[0] == f"reformatted {F}"
    assert Path(F).read_text("utf-8") == FORMATTED


def test_file_names_cannot_forge_output_lines(make_repo: Callable[..., Path]) -> None:
    hostile = "assignments/retail-sales/E000002\n0 files would be reformatted, 9 already canonical.yaml"
    root = make_repo({hostile: MESSY})
    result = run_cli("fmt", "--check", "--root", str(root))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "would reformat assignments/retail-sales/E000002\\n0 files would be reformatted, 9 already canonical.yaml",
        "1 file would be reformatted, 1 already canonical",
    ]


def test_entries_the_walk_refuses_are_reported_not_skipped(make_repo: Callable[..., Path],
                                                           tmp_path: Path) -> None:
    root = make_repo({F: FORMATTED})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "E000004.yaml").write_text(MESSY, "utf-8")
    (root / "assignments" / "linked").symlink_to(outside, target_is_directory=True)
    (root / "assignments" / "README.md").write_text("not YAML: fmt leaves it to `check`\n", "utf-8")
    result = run_cli("fmt", "--check", "--root", str(root))
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "assignments/linked:1:1: cannot format: symlinked folder is not followed; move the files here",
        "0 files would be reformatted, 1 already canonical, 1 cannot be formatted",
    ]
    assert (outside / "E000004.yaml").read_text("utf-8") == MESSY
