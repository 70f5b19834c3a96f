"""Replace a file in one step: write a temporary file beside it, then ``os.replace``.

Readers (and a crash) see either the old content or the new one, never half a file.
The temporary file lives in the same folder, so the rename never crosses a file system;
an existing file keeps its permission bits.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` (creating its folder if needed) atomically."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
