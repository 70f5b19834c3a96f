"""What each command does, without click: settings in, text and an exit code out."""

from __future__ import annotations

from dataclasses import dataclass

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


@dataclass(frozen=True)
class Outcome:
    """What the CLI echoes (``stdout``, ``stderr``) and the code it returns."""

    stdout: str
    exit_code: int = EXIT_CLEAN
    stderr: str = ""
