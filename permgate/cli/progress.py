"""A progress line on stderr for long runs: only on a terminal, only after two seconds."""

from __future__ import annotations

import sys
import time
from typing import TextIO

import click

#: Runs shorter than this show nothing.
DELAY_SECONDS = 2.0
WIDTH = 30


class ProgressLine:
    """``progress(done, total)`` for the loader; ``close()`` wipes the line."""

    def __init__(self, stream: TextIO | None = None, delay: float = DELAY_SECONDS) -> None:
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.delay = delay
        self.shown = False
        self.enabled = self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.start < self.delay:
            return
        filled = WIDTH * done // total if total else WIDTH
        bar = "#" * filled + "-" * (WIDTH - filled)
        click.echo(f"\rpermgate: checking grants [{bar}] {done}/{total} files", file=self.stream, nl=False)
        self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo("\r\033[K", file=self.stream, nl=False)
            self.shown = False
