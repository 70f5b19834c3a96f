"""``check --output FORMAT=PATH``: more reports of the same run, each written to a file.

The paths are checked before anything is computed (``check_writable``), so an unwritable one
is ``Error:`` with exit 2 and no output at all; the reports are written after the run
(``write``), each atomically (``permgate.edit.atomic.write_atomic``: a temporary file beside it,
then a rename), so a reader never sees half a report.
"""

from __future__ import annotations

import contextlib
import os
import secrets

from permgate.errors import UsageError


def check_writable(outputs: tuple[tuple[str, str], ...]) -> None:
    """Refuse (``UsageError``) a path named twice, a folder, or one whose folder cannot be written."""
    seen: dict[str, str] = {}
    for fmt, path in outputs:
        where = os.path.abspath(path)
        if where in seen:
            raise UsageError(f"--output {fmt}={path}: the same file as --output {seen[where]}")
        seen[where] = f"{fmt}={path}"
        if os.path.isdir(where):
            raise UsageError(f"--output {fmt}={path}: is a folder")
        folder = os.path.dirname(where)
        probe = os.path.join(folder, f".{os.path.basename(where)}.{secrets.token_hex(6)}.probe")
        try:
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as err:
            raise UsageError(f"--output {fmt}={path}: cannot write there ({err.strerror})") from None
        with contextlib.suppress(OSError):
            os.unlink(probe)
        if os.path.exists(where) and not os.access(where, os.W_OK):
            raise UsageError(f"--output {fmt}={path}: the file is not writable")


def write(reports: list[tuple[str, str, str]]) -> None:
    """Write each ``(format, path, text)`` atomically."""
    from permgate.edit.atomic import write_atomic  # only runs with --output write files (start-up speed)

    for fmt, path, text in reports:
        try:
            write_atomic(os.path.abspath(path), text.encode("utf-8"))
        except OSError as err:
            raise UsageError(f"--output {fmt}={path}: {err.strerror}") from None
