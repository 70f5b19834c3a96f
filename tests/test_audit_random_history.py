"""audit against an independent ground truth on random histories (benchmarks/audit_history.py, small)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT


@pytest.mark.parametrize(("seed", "transfers"), [(11, "0.05"), (29, "0.05"), (5, "0.3"), (11, "0")])
def test_every_exposure_window_matches_the_ground_truth(tmp_path: Path, seed: int, transfers: str) -> None:
    """With HR transfers in the history (the ground truth judges where people sat then), and without."""
    proc = subprocess.run([sys.executable, str(PROJECT / "benchmarks" / "audit_history.py"), "--employees", "300",
                           "--commits", "120", "--seed", str(seed), "--transfers", transfers,
                           "--out", str(tmp_path / "bench")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "matches the ground truth: True" in proc.stdout
