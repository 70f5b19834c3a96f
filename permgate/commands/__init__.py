"""What each command does, without click: settings in, text and an exit code out."""

from __future__ import annotations

from collections.abc import Iterable
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
    #: a large report as pieces of UTF-8 written after ``stdout`` as they come (``check``), never
    #: held whole; an iterator, so it can be written once
    body: Iterable[bytes | memoryview] | None = None

    def text(self) -> str:
        """Everything the outcome writes on standard output, as one string (reads ``body``, which can be
        read only once)."""
        if self.body is None:
            return self.stdout
        return self.stdout + b"".join(self.body).decode("utf-8", "surrogateescape")
