"""``edit.atomic.write_all``: many files written as ``write_inside`` writes one, with one flush to disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from permgate.edit import atomic
from permgate.edit.atomic import write_all
from permgate.errors import EditError


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_file_written_once_flushed_and_modes_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "old.yaml").write_bytes(b"old\n")
    os.chmod(tmp_path / "a" / "old.yaml", 0o640)
    flushed: list[int] = []
    real = atomic._syncfs
    monkeypatch.setattr(atomic, "_syncfs", lambda fd: (flushed.append(fd), real(fd)))
    rels = ["a/old.yaml", "a/new.yaml", "b/c/deep.yaml"]
    asked: list[str] = []
    write_all(str(tmp_path), rels, lambda rel: asked.append(rel) or rel.encode())
    assert _files(tmp_path) == {rel: rel.encode() for rel in rels}  # no temporary file left
    assert asked == rels and len(flushed) == 1
    assert (tmp_path / "a" / "old.yaml").stat().st_mode & 0o777 == 0o640


def test_a_symlinked_folder_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "assignments").mkdir()
    os.symlink(outside, root / "assignments" / "retail-sales")
    with pytest.raises(EditError) as err:
        write_all(str(root), ["assignments/corporate/E1.yaml", "assignments/retail-sales/E2.yaml"], str.encode)
    assert "assignments/retail-sales" in str(err.value) and "symlink" in str(err.value)
    assert not (root / "assignments" / "corporate").exists() and list(outside.iterdir()) == []


def test_a_symlinked_file_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.yaml").write_bytes(b"one\n")
    os.symlink(tmp_path / "elsewhere", tmp_path / "a" / "two.yaml")
    with pytest.raises(EditError):
        write_all(str(tmp_path), ["a/one.yaml", "a/two.yaml"], str.encode)
    assert (tmp_path / "a" / "one.yaml").read_bytes() == b"one\n"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["one.yaml", "two.yaml"]


def test_a_failure_while_writing_leaves_no_file_and_no_temporary(tmp_path: Path) -> None:
    def content(rel: str) -> bytes:
        if rel == "a/3.yaml":
            raise OSError(28, "No space left on device")
        return b"x\n"

    with pytest.raises(OSError):
        write_all(str(tmp_path), [f"a/{n}.yaml" for n in range(5)], content)
    assert list((tmp_path / "a").iterdir()) == []
