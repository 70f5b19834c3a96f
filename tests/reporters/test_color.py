"""Text output is coloured only on a terminal, and never with NO_COLOR (a real pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli

F2 = "assignments/retail-sales/E000002.yaml"
BAD = ("---\nemployee: E000002\ngrants:\n  - permission: P001\n    granted_by: E000002\n"
       "    granted_on: 2026-01-05\n    reason: \"ticket ACC-00105\"\n")
ESC = b"\x1b["


def run_in_terminal(root: Path, *extra: str, env: dict[str, str] | None = None) -> bytes:
    """Run the real CLI with stdout on a pseudo-terminal; return what it wrote there."""
    leader, follower = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environ.update(env or {})
    proc = subprocess.Popen([sys.executable, "-m", "permgate", "check", "--root", str(root), *extra],
                            stdout=follower, stderr=subprocess.DEVNULL, env=environ)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 1
    return out


@pytest.fixture
def bad_repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo({F2: BAD})


def test_coloured_on_a_terminal(bad_repo: Path) -> None:
    out = run_in_terminal(bad_repo)
    assert ESC + b"31merror[self-grant]" in out


def test_no_color_is_honoured_on_a_terminal(bad_repo: Path) -> None:
    out = run_in_terminal(bad_repo, env={"NO_COLOR": "1"})
    assert b"error[self-grant]" in out and ESC not in out


def test_empty_no_color_does_not_disable_colour(bad_repo: Path) -> None:
    # no-color.org: only a non-empty NO_COLOR counts
    assert ESC in run_in_terminal(bad_repo, env={"NO_COLOR": ""})


def test_never_on_a_terminal(bad_repo: Path) -> None:
    assert ESC not in run_in_terminal(bad_repo, "--color", "never")


def test_not_a_terminal_means_no_colour(bad_repo: Path) -> None:
    result = run_cli("check", "--root", str(bad_repo))
    assert result.exit_code == 1 and "\x1b[" not in result.stdout
    proc = subprocess.run([sys.executable, "-m", "permgate", "check", "--root", str(bad_repo)],
                          capture_output=True, env={k: v for k, v in os.environ.items() if k != "NO_COLOR"})
    assert b"error[self-grant]" in proc.stdout and ESC not in proc.stdout


def test_always_forces_colour_and_other_formats_never_colour(bad_repo: Path) -> None:
    assert "\x1b[31m" in run_cli("check", "--root", str(bad_repo), "--color", "always").stdout
    for fmt in ("json", "sarif", "github", "markdown"):
        assert "\x1b[" not in run_cli("check", "--root", str(bad_repo), "--color", "always",
                                      "--format", fmt).stdout, fmt
