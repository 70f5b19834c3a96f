"""File access that never leaves the repository root.

Every path permgate reads is relative to the root.  Absolute paths, ``..`` that climbs
out, and symlinks whose target lies outside the root are refused; files larger than the
configured cap are refused before they are read.
"""

from __future__ import annotations

import os
import posixpath
import stat

from permgate.errors import LoadError, UsageError

YAML_SUFFIXES = (".yaml", ".yml")
#: the optional configuration at a grants repository's root (``permgate.config``)
CONFIG_FILE = "permgate.yaml"
NOT_GRANTS_FILE = "not a grants file: only .yaml and .yml files belong here"
#: the file that tells git how to convert files on checkout (``permgate.load.attributes``)
GITATTRIBUTES = ".gitattributes"
#: what the walk of the assignments folder says of entries it does not read: nothing there is
#: skipped in silence (docs/security.md, "Checkout and walk")
HIDDEN_FILE = "hidden file in the assignments folder: not read; only grants files (.yaml, .yml) belong here"
HIDDEN_FOLDER = "hidden folder in the assignments folder: not walked; move the grants files out of it"
SUBMODULE = "git submodule (gitlink) in the assignments folder: its grants are not in this repository"
FOLDER_NAMED_YAML = ("folder named like a grants file (an uninitialised git submodule?): "
                     "not a grants file")


def normalise(rel: str) -> str:
    """``rel`` as a clean ``/``-separated path inside the root; ValueError if it escapes."""
    if not rel or rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
        raise ValueError(f"`{rel}` must be a path relative to the repository root")
    clean = posixpath.normpath(rel.replace("\\", "/"))
    if clean == ".." or clean.startswith("../"):
        raise ValueError(f"`{rel}` leaves the repository root")
    return clean


def inside_root(root: str, rel: str) -> bool:
    """True when ``rel`` under ``root``, symlinks resolved, stays inside ``root``."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(root, rel))
    return real == real_root or real.startswith(real_root + os.sep)


def read_bytes(root: str, rel: str, max_bytes: int) -> bytes:
    """The content of ``rel``; ``LoadError`` (at line 1) when it cannot be used."""
    full = os.path.join(root, rel)
    if not inside_root(root, rel):
        raise LoadError(rel, 1, 1, "symlink points outside the repository root; refused")
    try:
        # open first, then ask the open file: a FIFO swapped in after a stat cannot block the
        # run (O_NONBLOCK), and the size checked is the size of what is read
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise LoadError(rel, 1, 1, "not a regular file")
        if st.st_size > max_bytes:
            os.close(fd)
            raise LoadError(rel, 1, 1, f"file is {st.st_size} bytes, over the limit of {max_bytes} "
                            "(max_file_bytes in permgate.yaml)")
        with open(fd, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise LoadError(rel, 1, 1, "file not found") from None
    except OSError as err:
        raise LoadError(rel, 1, 1, f"cannot read file: {err.strerror or err}") from None
    if len(data) > max_bytes:
        raise LoadError(rel, 1, 1, f"file grew over the limit of {max_bytes} bytes while read")
    return data


def read_walked(root: str, rel: str, max_bytes: int) -> bytes:
    """``read_bytes`` for a path that ``walk_yaml`` found: the same answers, faster.

    The walk follows no symlinked folder, so only the file itself could be a symlink: it
    is opened without following one, and a symlink (ELOOP) gets ``read_bytes``'s full
    check.  This saves resolving every path, which dominates the reading of a large tree.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    if not nofollow:  # pragma: no cover - not POSIX
        return read_bytes(root, rel, max_bytes)
    try:
        fd = os.open(os.path.join(root, rel), flags | nofollow)
    except OSError:  # a symlink (ELOOP), gone, unreadable: the careful path says which
        return read_bytes(root, rel, max_bytes)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return read_bytes(root, rel, max_bytes)
        # one read of size + 1: a regular file answers short only at its end
        want = st.st_size + 1
        data = os.read(fd, want)
        if len(data) == want:  # it grew since the fstat: read on to the limit
            parts = [data]
            total = len(data)
            while total <= max_bytes:
                more = os.read(fd, max_bytes + 1 - total)
                if not more:
                    break
                parts.append(more)
                total += len(more)
            data = b"".join(parts)
    except OSError:
        return read_bytes(root, rel, max_bytes)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise LoadError(rel, 1, 1, f"file grew over the limit of {max_bytes} bytes while read")
    return data


NOT_UTF8_NAME = "file name is not valid UTF-8; rename it (bytes that are not UTF-8 are shown as \\xNN)"


def shown_name(name: str) -> str:
    """``name`` as text: bytes of a name that is not UTF-8 (held by Python as lone
    surrogates, which no output can encode) are shown as ``\\xNN``; other names unchanged."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def walk_yaml(root: str, rel_dir: str) -> tuple[list[str], list[tuple[str, str]]]:
    """YAML files under ``rel_dir`` (sorted), and (path, why) for entries that are not usable.

    Nothing is skipped in silence: hidden files and folders (``.name``, ``.gitattributes``
    included), symlinked folders (not followed), folders named like a grants file (a submodule
    git has not checked out) and files that are not YAML are each reported, so a grant can
    never hide behind one.  Special files (a FIFO, a socket) named ``*.yaml`` are found and
    refused when read (``not a regular file``); others are not YAML.
    """
    found: list[str] = []
    refused: list[tuple[str, str]] = []
    base = os.path.join(root, rel_dir)

    def unreadable(err: OSError) -> None:
        # os.walk would skip a folder it cannot list; its grants must not pass unchecked
        where = os.path.relpath(err.filename or base, root).replace(os.sep, "/")
        refused.append((shown_name(where), f"cannot read folder: {err.strerror or err}"))

    for dirpath, dirnames, filenames in os.walk(base, onerror=unreadable, followlinks=False):
        rel_base = os.path.relpath(dirpath, root).replace(os.sep, "/")
        prefix = "" if rel_base == "." else rel_base + "/"
        for d in list(dirnames):
            if shown_name(d) == d and d.startswith("."):
                dirnames.remove(d)
                refused.append((f"{prefix}{d}", HIDDEN_FOLDER))
            elif os.path.islink(os.path.join(dirpath, d)):
                dirnames.remove(d)
                refused.append((f"{prefix}{d}", "symlinked folder is not followed; move the files here"))
            elif shown_name(d) != d:
                dirnames.remove(d)
                refused.append((shown_name(f"{prefix}{d}"), NOT_UTF8_NAME.replace("file", "folder", 1)))
        dirnames.sort()
        if not dirnames and not filenames and dirpath != base and dirpath.lower().endswith(YAML_SUFFIXES):
            refused.append((rel_base, FOLDER_NAMED_YAML))
        for name in filenames:
            rel = f"{prefix}{name}"
            if shown_name(rel) != rel:
                refused.append((shown_name(rel), NOT_UTF8_NAME))
            elif name.startswith("."):
                refused.append((rel, HIDDEN_FILE))
            elif name.lower().endswith(YAML_SUFFIXES):
                found.append(rel)
            else:
                refused.append((rel, NOT_GRANTS_FILE))
    found.sort()
    refused.sort()
    return found, refused


def _holds_repository(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, CONFIG_FILE)) or (
        os.path.isfile(os.path.join(folder, "catalog.yaml")) and os.path.isfile(os.path.join(folder, "people.yaml")))


def find_root(start: str = ".") -> str:
    """The grants repository ``start`` is in, as ruff and pre-commit find theirs: the nearest folder,
    from ``start`` up, that holds ``permgate.yaml``, or both ``catalog.yaml`` and ``people.yaml``.

    The walk stops at the top of the git repository (the folder holding ``.git``) or at the
    file-system root.  The answer is relative to the current folder (``.`` when it is ``start``),
    so paths read the same as with ``--root``.  Nothing found is a ``UsageError`` naming every
    folder searched.
    """
    here = os.path.abspath(start)
    searched = []
    while True:
        searched.append(here)
        if _holds_repository(here):
            found = os.path.relpath(here)
            return "." if found == os.curdir else found
        parent = os.path.dirname(here)
        if os.path.exists(os.path.join(here, ".git")) or parent == here:
            break
        here = parent
    top = "the git repository's top" if os.path.exists(os.path.join(here, ".git")) else "the file-system root"
    raise UsageError(f"no grants repository here: none of {', '.join(searched)} holds {CONFIG_FILE}, or "
                     f"catalog.yaml and people.yaml (searched up to {top}); run permgate inside one or pass "
                     f"--root DIR")
