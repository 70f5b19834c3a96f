"""Replace a file in one step: write a temporary file beside it, then ``os.replace``.

Readers (and a crash) see either the old content or the new one, never half a file.
The temporary file lives in the same folder, so the rename never crosses a file system;
an existing file keeps its permission bits.

Grants files are written with ``write_inside``: never outside the repository root and never
through a symlink (a symlinked division folder would send a new grants file elsewhere, and
``check`` does not follow such folders, so the file would be written where no check reads it).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat

from permgate.errors import EditError


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


def _refusal(rel: str, why: str) -> EditError:
    return EditError(rel, 1, 1, why)


def _parts(rel: str) -> list[str]:
    parts = rel.replace(os.sep, "/").split("/")
    if os.path.isabs(rel) or not rel or any(p in ("", ".", "..") for p in parts):
        raise _refusal(rel, "not a plain path inside the repository root; refused")
    return parts


def _open_folders(root: str, rel: str, create: bool) -> int | None:
    """A descriptor of the folder of ``rel`` under ``root``, reached one component at a time
    without following a symlink (``O_NOFOLLOW`` on each ``openat``); None if a folder is
    missing and ``create`` is False.  A symlinked component is an ``EditError``.
    """
    parts = _parts(rel)
    fd = os.open(os.path.realpath(root), os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i, part in enumerate(parts[:-1]):
            shown = "/".join(parts[: i + 1])
            try:
                child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    os.close(fd)
                    return None
                os.mkdir(part, 0o777, dir_fd=fd)
                child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as err:  # ELOOP (a symlink) or ENOTDIR (a file, or a link to one)
                st = os.stat(part, dir_fd=fd, follow_symlinks=False)
                what = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a folder"
                raise _refusal(shown, f"is {what}; permgate writes grants files only inside the repository "
                               "root and never through a symlink") from err
            os.close(fd)
            fd = child
        name = parts[-1]
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return fd
        if not stat.S_ISREG(st.st_mode):
            what = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a regular file"
            raise _refusal(rel, f"is {what}; permgate writes grants files only inside the repository root "
                           "and never through a symlink")
        return fd
    except BaseException:
        os.close(fd)
        raise


def check_writable(root: str, rel: str) -> None:
    """Raise ``EditError`` unless ``write_inside(root, rel, ...)`` could write: every folder
    below ``root`` on the way is a real folder (or missing) and the file is a regular file
    (or missing).  Lets a command refuse before it writes anything."""
    fd = _open_folders(root, rel, create=False)
    if fd is not None:
        os.close(fd)


def write_inside(root: str, rel: str, data: bytes) -> None:
    """Write ``data`` to ``rel`` (a path relative to ``root``) atomically, creating missing
    folders; never outside ``root`` nor through a symlink.

    The folders are opened one by one from the resolved root with ``O_NOFOLLOW`` and the
    temporary file is created and renamed relative to the last one, so a symlinked folder
    (say ``assignments/retail-sales -> /etc``) is refused even if it appears after a check.
    """
    fd = _open_folders(root, rel, create=True)
    assert fd is not None
    name = _parts(rel)[-1]
    tmp = f".{name}.{secrets.token_hex(6)}.tmp"
    try:
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666, dir_fd=fd)
        try:
            with os.fdopen(out, "wb") as fh:
                fh.write(data)
                fh.flush()
                with contextlib.suppress(FileNotFoundError):
                    os.fchmod(fh.fileno(), stat.S_IMODE(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode))
                os.fsync(fh.fileno())
            os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=fd)
            raise
    finally:
        os.close(fd)
