"""A content-addressed cache, so that a re-run pays only for what changed.

Two kinds of entries live under ``<cache dir>/<code fingerprint>/``:

- ``files/``: the result of the *full* loader for one grants file (files in canonical
  layout are read by the fast path, which is as quick as reading a cache entry), keyed
  by the file's path and content;
- ``index/``: facts derived from a git tree and keyed by its id, such as which grants
  files declare which employee in a revision's ``assignments/`` (``permgate.change.incremental``);
- ``runs/``: the whole output of ``permgate check`` for one tree, keyed by the command's
  settings and the path, size, modification and change time and inode of every file
  under the root (``.git`` aside), so an unchanged tree is answered without reading it.

The code fingerprint hashes permgate's own source and schemas and the versions of the
parser and validator: any change to the code that could change a finding starts a new
cache.  Entries are JSON (never pickle: a cache directory may be shared or restored in
CI and must not be able to run code) with a checksum line; an entry that does not check
out or has an unexpected shape is ignored and rewritten.  Writes go to a temporary file
renamed into place, so two runs sharing a cache never see half an entry.  A tree is
stored only when none of its files changed in the last two seconds: a file rewritten
within the file system's timestamp granularity could otherwise keep its old signature.

Cache failures (read-only directory, full disk) never fail a run; ``--no-cache`` turns
the cache off and ``--cache-dir`` moves it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import operator
import os
import stat
import sys
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from permgate.model import Grant, GrantsFile, LoadProblem, Loc

if TYPE_CHECKING:  # the loaders are not needed to answer a run from the cache
    from permgate.load.grants import Loaded

#: A tree whose files changed less than this many seconds ago is not stored.
RACY_SECONDS = 2.0
#: Whole-run entries kept (the newest); a run's output can be tens of megabytes.
MAX_RUNS = 8


def default_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "permgate")


def _digest(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=20)
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


def _dist_version(module: str, dist: str | None = None) -> str:
    """The installed version of ``module``'s distribution (``dist``, by default named like the
    module), from its dist-info folder name, and the module's compiled extensions; found
    without importing the module (a cached run never needs it)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return "?"
    folder = Path(spec.origin).parent
    prefix = f"{dist or module}-".lower()  # dist-info folders are named either way round
    names = sorted(p.name for p in folder.parent.glob("*.dist-info") if p.name.lower().startswith(prefix))
    extensions = sorted(p.name for p in folder.glob("*.so")) + sorted(p.name for p in folder.glob("*.pyd"))
    return f"{names[-1] if names else '?'} {' '.join(extensions)}"


#: the permgate package (this module is permgate/runtime/cache.py)
PACKAGE = Path(__file__).resolve().parent.parent


def code_files() -> list[Path]:
    """Every source and schema file of the permgate package, sorted: what ``code_fingerprint`` hashes."""
    return [path for path in sorted(PACKAGE.rglob("*"))
            if path.suffix in (".py", ".json") and "__pycache__" not in path.parts]


@cache
def code_fingerprint() -> str:
    """A hash of everything in permgate that could change a finding: its code and schemas, the
    Python version, and the PyYAML (with or without libyaml) and jsonschema installed."""
    h = hashlib.blake2b(digest_size=20)
    for path in code_files():
        h.update(str(path.relative_to(PACKAGE)).encode())
        h.update(path.read_bytes())
    h.update(f"{sys.version}|{_dist_version('yaml', 'PyYAML')}|{_dist_version('jsonschema')}".encode())
    return h.hexdigest()[:16]


class Cache:
    """The cache in ``directory`` (created on first write)."""

    def __init__(self, directory: str) -> None:
        self.base = os.path.join(directory, f"v1-{code_fingerprint()}")

    # -- storage ------------------------------------------------------------------------

    def _read(self, path: str) -> Any:
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError:
            return None
        head, sep, body = raw.partition(b"\n")
        if not sep or head.decode("ascii", "replace") != _digest(body):
            return None  # torn, truncated or tampered: not trusted
        try:
            return json.loads(body)
        except ValueError:
            return None

    def _write(self, path: str, value: Any) -> None:
        body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        folder = os.path.dirname(path)
        tmp = None
        try:
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(_digest(body).encode("ascii") + b"\n" + body)
            os.replace(tmp, path)
            tmp = None
        except OSError:
            pass  # a cache that cannot be written is only slower
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    # -- files: full-path results of single grants files ----------------------------------

    def _file_path(self, key: str) -> str:
        return os.path.join(self.base, "files", key[:2], key[2:] + ".json")

    def get(self, data: bytes, rel: str) -> Loaded | None:
        key = _digest(rel.encode("utf-8", "surrogateescape"), data)
        value = self._read(self._file_path(key))
        try:
            if not isinstance(value, dict) or value.get("key") != key or value.get("path") != rel:
                return None
            return _loaded_from_json(rel, value)
        except (TypeError, ValueError, KeyError, IndexError):
            return None

    def put(self, data: bytes, rel: str, loaded: Loaded) -> None:
        key = _digest(rel.encode("utf-8", "surrogateescape"), data)
        value = _loaded_to_json(loaded)
        value.update(key=key, path=rel)
        with contextlib.suppress(ValueError):  # text JSON cannot carry (lone surrogates): not cached
            self._write(self._file_path(key), value)

    # -- indexes: derived facts about a git tree, keyed by its id (``permgate.change.incremental``) -----

    def _index_path(self, kind: str, key: str) -> str:
        return os.path.join(self.base, "index", kind, key[:2], key[2:] + ".json")

    def get_index(self, kind: str, key: str) -> Any:
        """The value stored under ``kind``/``key`` (checked, then the caller checks its shape), or None."""
        value = self._read(self._index_path(kind, key))
        if isinstance(value, dict) and value.get("key") == key and value.get("kind") == kind:
            return value.get("value")
        return None

    def put_index(self, kind: str, key: str, value: Any) -> None:
        with contextlib.suppress(ValueError):
            self._write(self._index_path(kind, key), {"key": key, "kind": kind, "value": value})

    # -- runs: the whole output for an unchanged tree ---------------------------------------

    def _run_path(self, key: str) -> str:
        return os.path.join(self.base, "runs", key + ".json")

    def get_run(self, key: str) -> tuple[str, str, int] | None:
        value = self._read(self._run_path(key))
        if (isinstance(value, dict) and value.get("key") == key and isinstance(value.get("stdout"), str)
                and isinstance(value.get("stderr"), str) and type(value.get("exit_code")) is int):
            return value["stdout"], value["stderr"], value["exit_code"]
        return None

    def put_run(self, key: str, stdout: str, stderr: str, exit_code: int) -> None:
        with contextlib.suppress(ValueError):
            self._write(self._run_path(key), {"key": key, "stdout": stdout, "stderr": stderr, "exit_code": exit_code})
        self._prune_runs()

    def _prune_runs(self) -> None:
        folder = os.path.join(self.base, "runs")
        try:
            entries = [e for e in os.scandir(folder) if e.name.endswith(".json")]
            entries.sort(key=lambda e: e.stat().st_mtime_ns, reverse=True)
            for old in entries[MAX_RUNS:]:
                with contextlib.suppress(OSError):
                    os.unlink(old.path)
        except OSError:
            pass


def tree_key(root: str, settings: str, started: float) -> str | None:
    """The key of a run over the tree at ``root``, or None when the tree is too fresh to
    trust its timestamps (or cannot be walked)."""
    h = hashlib.blake2b(digest_size=20)
    h.update(code_fingerprint().encode())
    h.update(os.path.abspath(root).encode("utf-8", "surrogateescape"))
    h.update(b"\0" + settings.encode("utf-8", "surrogateescape") + b"\0")
    # per folder: its names sorted, every entry stat'ed (not following a symlink) by one C-level
    # map, one line per entry; all lines hashed at once (the bytes of one update per entry)
    lines: list[str] = []
    newest = 0
    stack = [""]
    top = os.path.join(root, "")
    try:
        while stack:
            rel_dir = stack.pop()
            names = sorted(os.listdir(top + rel_dir if rel_dir else root))
            if not rel_dir and ".git" in names:
                names.remove(".git")
            rels = list(map(f"{rel_dir}/".__add__, names)) if rel_dir else names
            stats = list(map(os.lstat, map(top.__add__, rels)))
            if not stats:
                continue
            newest = max(newest, *map(_MTIME, stats), *map(_CTIME, stats))
            lines += [f"{rel}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0"
                      f"{st.st_ino}\0{st.st_dev}\n" for rel, st in zip(rels, stats, strict=True)]
            stack += [rel for rel, st in zip(rels, stats, strict=True) if stat.S_ISDIR(st.st_mode)]
    except OSError:
        return None
    if newest / 1e9 > started - RACY_SECONDS:
        return None
    h.update("".join(lines).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


_MTIME = operator.attrgetter("st_mtime_ns")
_CTIME = operator.attrgetter("st_ctime_ns")


def now() -> float:
    return time.time()


def _loaded_to_json(loaded: Loaded) -> dict[str, Any]:
    gf, problems = loaded
    return {
        "file": None if gf is None else {
            "employee": gf.employee,
            "loc": [gf.employee_loc.line, gf.employee_loc.column],
            "grants": [[g.permission, g.granted_by, g.granted_on, g.reason, g.expires, g.line, g.column]
                       for g in gf.grants],
            "roles": [[g.role, g.granted_by, g.granted_on, g.reason, g.expires, g.line, g.column]
                      for g in gf.role_grants],
        },
        "problems": [[p.line, p.column, p.message, p.employee] for p in problems],
    }


def _str(v: Any) -> str:
    if type(v) is not str:
        raise TypeError("expected a string")
    return v


def _int(v: Any) -> int:
    if type(v) is not int:
        raise TypeError("expected an integer")
    return v


def _opt(v: Any) -> str | None:
    return None if v is None else _str(v)


def _loaded_from_json(rel: str, value: dict[str, Any]) -> Loaded:
    """Rebuild a result, checking every field's type: an entry is data, never trusted."""
    f = value["file"]
    gf = None
    if f is not None:
        employee = _str(f["employee"])
        grants = tuple(
            Grant(employee, _str(p), _str(b), _str(o), _str(r), _opt(e), rel, _int(ln), _int(col))
            for p, b, o, r, e, ln, col in f["grants"]
        )
        role_grants = tuple(
            Grant(employee, "", _str(b), _str(o), _str(r), _opt(e), rel, _int(ln), _int(col), _str(role))
            for role, b, o, r, e, ln, col in f["roles"]
        )
        gf = GrantsFile(rel, employee, Loc(rel, _int(f["loc"][0]), _int(f["loc"][1])), grants, role_grants)
    problems = [LoadProblem(rel, _int(ln), _int(col), _str(msg), _opt(emp)) for ln, col, msg, emp in value["problems"]]
    return gf, problems


def entry_key(*parts: str) -> str:
    """A cache key made of ``parts`` (ids, paths, numbers), for ``get_index``/``put_index``."""
    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()
