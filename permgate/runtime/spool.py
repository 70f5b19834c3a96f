"""Bytes kept in the order they arrive, read back by range: in memory up to a limit, beyond it
in an unlinked temporary file, so that a large streamed report never lives in this process.

``engine.stream`` parks each chunk's rendered findings here as it arrives and reads them back,
in the report's order, once every chunk has been judged (which employees straddle two chunks is
known only then).  The file is the operating system's page cache at work: the report's bytes
cross this process twice, in blocks, and its memory stays the size of a block.
"""

from __future__ import annotations

import bisect
import os
import tempfile

#: Held in memory up to this many bytes; a larger report goes to a temporary file.
MEMORY_LIMIT = 32 << 20


class Spool:
    def __init__(self, limit: int = MEMORY_LIMIT) -> None:
        self.limit = limit
        self.size = 0
        self._blocks: list[tuple[int, bytes]] = []
        self._starts: list[int] = []
        self._fd: int | None = None

    def add(self, data: bytes) -> int:
        """Keep ``data``; its offset, for ``read``."""
        offset = self.size
        if not data:
            return offset
        self.size += len(data)
        if self._fd is None and self.size > self.limit:
            fd, path = tempfile.mkstemp(prefix="permgate-spool-")
            os.unlink(path)  # gone with the process, whatever happens to it
            self._fd = fd
            for _, block in self._blocks:
                self._write(block)
            self._blocks, self._starts = [], []
        if self._fd is not None:
            self._write(data)
        else:
            self._blocks.append((offset, data))
            self._starts.append(offset)
        return offset

    def _write(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    def read(self, offset: int, length: int) -> bytes | memoryview:
        """The ``length`` bytes at ``offset``."""
        parts: list[bytes | memoryview] = []
        if self._fd is None:
            at = bisect.bisect_right(self._starts, offset) - 1
            while length > 0:
                start, block = self._blocks[at]
                part = memoryview(block)[offset - start:offset - start + length]
                if not part:
                    raise IndexError(offset)
                parts.append(part)
                offset += len(part)
                length -= len(part)
                at += 1
            return parts[0] if len(parts) == 1 else b"".join(parts)
        while length > 0:
            read = os.pread(self._fd, min(length, 1 << 24), offset)
            if not read:
                raise OSError(f"spool file ended at {offset}")
            parts.append(read)
            part = memoryview(read)
            offset += len(part)
            length -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._blocks = []
