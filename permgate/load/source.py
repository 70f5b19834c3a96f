"""Where a grants repository's files come from: the working tree, or a git revision.

The loader only ever asks a ``Source`` for files by their path relative to the grants
repository's root, so the same code reads the working tree (``FsSource``) and the base
of a pull request or any commit in history (``GitSource``, in ``permgate.git.repo``).
Both refuse paths that leave the root.
"""

from __future__ import annotations

import os
from typing import Protocol

from permgate.errors import LoadError
from permgate.load import files


class Source(Protocol):
    """Read-only access to one tree of a grants repository."""

    #: shown to users, e.g. the root folder or ``origin/main``
    label: str

    def read_bytes(self, rel: str, max_bytes: int) -> bytes:
        """Content of ``rel``; ``LoadError`` at line 1 when it cannot be used."""
        ...

    def exists(self, rel: str) -> bool: ...

    def is_dir(self, rel: str) -> bool: ...

    def list_files(self, rel_dir: str) -> list[str]:
        """Names of the files directly in ``rel_dir`` (not folders), sorted."""
        ...

    def walk_yaml(self, rel_dir: str) -> tuple[list[str], list[tuple[str, str]]]:
        """YAML files below ``rel_dir`` (sorted) and (path, why) for entries refused."""
        ...

    def names(self, rel_dir: str) -> list[str]:
        """Names of every entry (files and folders) directly in ``rel_dir``, sorted; [] when absent."""
        ...

    def content_id(self, rel: str) -> str | None:
        """A content hash of ``rel`` when cheaply known (a git blob id), else None."""
        ...


class FsSource:
    """The working tree under ``root``."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.label = root

    def read_bytes(self, rel: str, max_bytes: int) -> bytes:
        return files.read_bytes(self.root, rel, max_bytes)

    def exists(self, rel: str) -> bool:
        return os.path.lexists(os.path.join(self.root, rel))

    def is_dir(self, rel: str) -> bool:
        return os.path.isdir(os.path.join(self.root, rel)) and files.inside_root(self.root, rel)

    def list_files(self, rel_dir: str) -> list[str]:
        base = os.path.join(self.root, rel_dir)
        return sorted(n for n in os.listdir(base) if not os.path.isdir(os.path.join(base, n)))

    def walk_yaml(self, rel_dir: str) -> tuple[list[str], list[tuple[str, str]]]:
        return files.walk_yaml(self.root, rel_dir)

    def names(self, rel_dir: str) -> list[str]:
        try:
            return sorted(os.listdir(os.path.join(self.root, rel_dir) if rel_dir not in ("", ".") else self.root))
        except OSError:
            return []

    def content_id(self, rel: str) -> str | None:
        return None


def join(rel_dir: str, name: str) -> str:
    return name if rel_dir in ("", ".") else f"{rel_dir}/{name}"


class MemorySource:
    """Files held in memory (path -> bytes): lets the loaders parse a git blob or an edit
    before it is written."""

    def __init__(self, contents: dict[str, bytes], label: str = "<memory>") -> None:
        self.label = label
        self._contents = contents

    def read_bytes(self, rel: str, max_bytes: int) -> bytes:
        content = self._contents.get(rel)
        if content is None:
            raise LoadError(rel, 1, 1, "file not found")
        if len(content) > max_bytes:
            raise LoadError(rel, 1, 1, f"file is {len(content)} bytes, over the limit of {max_bytes} "
                            "(max_file_bytes in permgate.yaml)")
        return content

    def exists(self, rel: str) -> bool:
        return rel in self._contents

    def is_dir(self, rel: str) -> bool:
        return False

    def list_files(self, rel_dir: str) -> list[str]:
        return []

    def walk_yaml(self, rel_dir: str) -> tuple[list[str], list[tuple[str, str]]]:
        return [], []

    def names(self, rel_dir: str) -> list[str]:
        return []

    def content_id(self, rel: str) -> str | None:
        return None
