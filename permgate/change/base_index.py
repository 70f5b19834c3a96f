"""The base's employee index: which files of the base's assignments folder declare each employee.

``check --base`` judged incrementally (``incremental``) needs every file of every employee a
change touches, at both revisions; this index answers that without parsing the base.  It is
stored in the cache under the folder's git tree id, derived from the last one stored when the
base moved on, or built by loading every file (over the cores, ``runtime.parallel``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable

from permgate.config import Config
from permgate.errors import GitError, LoadError
from permgate.git.repo import GitSource, Repo
from permgate.load import files, quick
from permgate.load.bulk import PARALLEL_MIN_FILES, Tuning, available_cores, load_data, no_gc, read_one
from permgate.load.grants import Loaded
from permgate.load.source import Source
from permgate.runtime import cache as caching
from permgate.runtime import parallel

#: the cache entry kind of the base index (bump when its meaning changes)
INDEX_KIND = "declared-employees-v3"


#: the cache entry kind that names the tree of the index stored last, per folder
LATEST_KIND = "declared-employees-latest-v1"


#: the string encoder of ``json.dumps`` (C where available)
_ENCODE_ASCII = json.encoder.encode_basestring_ascii

#: git modes of a plain file
FILE_MODES = ("100644", "100755")


def declared(loaded: Loaded) -> set[str]:
    """The employees a loaded grants file declares: its ``employee:``, or the one its problems name."""
    gf, problems = loaded
    out = {p.employee for p in problems if p.employee is not None}
    if gf is not None:
        out.add(gf.employee)
    return out


class BaseIndex:
    """What the incremental run needs to know about the base's whole assignments folder.

    Stored as text, one JSON array ``[employee, path, ...]`` a line, so that a run looks up
    the few employees it needs with a string search instead of parsing 100,000 entries.
    """

    def __init__(self, lines: str, odd: list[str], how: str) -> None:
        #: "\n" + one line per employee + "\n"
        self.lines = lines
        #: entries that are not plain files (symlinks, submodules): the working tree may read a
        #: symlink's target where the base refuses it, so they are not the same on both sides
        self.odd = odd
        #: ``cached``, ``built`` (and stored) or ``memory`` (built, no cache)
        self.how = how

    @staticmethod
    def encode(employees: dict[str, list[str]]) -> str:
        """One line ``json.dumps([employee, *paths])`` per employee, sorted: written with the C string
        encoder ``json.dumps`` uses (``ensure_ascii``, ``", "`` between items), without its per-call cost."""
        quote = _ENCODE_ASCII
        return "\n" + "".join(f"[{quote(e)}, {', '.join(map(quote, paths))}]\n" if paths else f"[{quote(e)}]\n"
                              for e, paths in sorted(employees.items()))

    def files_of_many(self, employees: Iterable[str]) -> dict[str, list[str]] | None:
        """``files_of`` for each of ``employees``; None when the index does not check out for one.

        A string search costs a pass over the whole index (about 3 MB at 100,000 employees): for
        many employees (a role held by 20,000 people) the rows are found once by one regular
        expression that reads each row's first JSON string exactly, then looked up by it.  The
        same rows as ``files_of`` (the first ``[employee, ...`` row, else the first ``[employee]``
        one), checked the same way; an employee the expression does not find is asked of
        ``files_of`` (``tests/basemode/test_base_index_many.py``).
        """
        wanted = sorted(set(employees))
        if len(wanted) < MANY_LOOKUPS:
            out: dict[str, list[str]] = {}
            for e in wanted:
                row = self.files_of(e)
                if row is None:
                    return None
                out[e] = row
            return out
        with_paths: dict[str, int] = {}
        alone: dict[str, int] = {}
        for m in _ROW_HEAD.finditer(self.lines):
            (with_paths if m.group(2) == "," else alone).setdefault(m.group(1), m.start())
        out = {}
        lines = self.lines
        for e in wanted:
            quoted = _ENCODE_ASCII(e)
            at = with_paths.get(quoted, alone.get(quoted, -1))
            # not found by its first string: asked as ``files_of`` asks (an index that does not check out)
            row = _row(lines[at:lines.find("\n", at)], e) if at >= 0 else self.files_of(e)
            if row is None:
                return None
            out[e] = row
        return out

    def files_of(self, employee: str) -> list[str] | None:
        """The files declaring ``employee`` at the base; None when the index does not check out."""
        needle = "\n" + json.dumps([employee])[:-1]
        at = self.lines.find(needle + ",")
        if at < 0:
            at = self.lines.find(needle + "]")
            if at < 0:
                return []
        end = self.lines.find("\n", at + 1)
        return _row(self.lines[at + 1:end], employee)


#: below this many employees ``files_of_many`` searches the index string once per employee
MANY_LOOKUPS = 32

#: the start of a row: ``[``, its first JSON string (as written: escapes kept), then ``,`` or ``]``
_ROW_HEAD = re.compile(r'^\[("(?:[^"\\\n]|\\.)*")(,|\])', re.M)


def _row(text: str, employee: str) -> list[str] | None:
    """The paths of one row of the index that names ``employee``; None when it does not check out."""
    try:
        row = json.loads(text)
    except ValueError:
        return None
    if not isinstance(row, list) or row[:1] != [employee] or any(type(p) is not str for p in row):
        return None
    return row[1:]


def _from_json(value: object) -> BaseIndex | None:
    if not isinstance(value, dict):
        return None
    lines, odd = value.get("lines"), value.get("odd")
    if type(lines) is not str or not lines.startswith("\n") or not lines.endswith("\n") \
            or not isinstance(odd, list) or any(type(p) is not str for p in odd):
        return None
    return BaseIndex(lines, odd, "cached")


class _BaseView(GitSource):
    """The base's tree, whose files git reports unchanged read from the working tree instead.

    Reading them from the file system is several times cheaper than from git's object store,
    but the working tree is not the commit (a checkout filter or ``working-tree-encoding``
    rewrites files, and the working tree may be edited): the bytes read are used only when
    their git blob id is the base's, which proves them the base's bytes.  A changed file, or
    one the file system cannot give or gives differently, is read from git.
    """

    def __init__(self, repo: Repo, commit: str, tree: dict[str, tuple[str, str]], root: str,
                 changed: set[str]) -> None:
        super().__init__(repo, commit, tree=tree)
        self.root = root
        self.changed = changed

    def prefetch(self, rels: list[str]) -> None:
        super().prefetch([r for r in rels if r in self.changed])

    def read_bytes(self, rel: str, max_bytes: int) -> bytes:
        mode, sha = self._tree.get(rel, ("", ""))
        if rel not in self.changed and mode in FILE_MODES:
            try:
                data = files.read_walked(self.root, rel, max_bytes)
            except LoadError:
                data = None  # what the base says about it, below
            if data is not None and blob_id(data, len(sha)) == sha:
                return data
        return super().read_bytes(rel, max_bytes)


def blob_id(data: bytes, hex_length: int = 40) -> str:
    """The git blob id of ``data`` (SHA-1, or SHA-256 in a repository whose ids have 64 digits)."""
    digest = hashlib.sha256() if hex_length == 64 else hashlib.sha1()  # git's id, not a security use
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def is_cached(repo: Repo, commit: str, config: Config, cache: caching.Cache | None) -> bool:
    """Whether ``employee_index`` would answer from the cache (or find no folder): nothing to build."""
    tree = repo.tree_id(commit, config.assignments)
    if tree is None:
        return True
    if cache is None:
        return False
    where = caching.entry_key(repo.prefix, config.assignments, str(config.max_file_bytes))
    return _from_json(cache.get_index(INDEX_KIND, caching.entry_key(tree, where))) is not None


def employee_index(repo: Repo, commit: str, config: Config, cache: caching.Cache | None,
                   tuning: Tuning | None = None, root: str | None = None,
                   changed: set[str] | None = None) -> BaseIndex | None:
    """The index of ``commit``'s assignments folder (from the cache, keyed by the folder's git
    id, or built by loading every file there); None when the folder does not exist there.

    With ``root`` and ``changed`` (the paths git reports changed in the working tree at
    ``root``), unchanged files are read from the working tree (``_BaseView``)."""
    tree = repo.tree_id(commit, config.assignments)
    if tree is None:
        return None
    where = caching.entry_key(repo.prefix, config.assignments, str(config.max_file_bytes))
    key = caching.entry_key(tree, where)
    if cache is not None:
        hit = _from_json(cache.get_index(INDEX_KIND, key))
        if hit is not None:
            return hit
        derived = _derive(repo, commit, config, cache, where, tree, root, changed)
        if derived is not None:
            cache.put_index(INDEX_KIND, key, {"lines": derived.lines, "odd": derived.odd})
            cache.put_index(LATEST_KIND, where, {"tree": tree})
            return derived
    tree_entries = repo.entries(commit, [config.assignments])
    source = (GitSource(repo, commit, tree=tree_entries) if root is None or changed is None
              else _BaseView(repo, commit, tree_entries, root, changed))
    paths, _refused = source.walk_yaml(config.assignments)
    index: dict[str, list[str]] = {}
    for rel, employees in zip(paths, _declared_many(source, paths, config.max_file_bytes, tuning), strict=True):
        for employee in employees:
            index.setdefault(employee, []).append(rel)
    odd = sorted(rel for rel, (mode, _sha) in source.entries() if mode not in FILE_MODES)
    lines = BaseIndex.encode(index)
    if cache is None:
        return BaseIndex(lines, odd, "memory")
    cache.put_index(INDEX_KIND, key, {"lines": lines, "odd": odd})
    cache.put_index(LATEST_KIND, where, {"tree": tree})
    return BaseIndex(lines, odd, "built")


#: a derived index re-loads the files that differ; past this many, a full build is as cheap
DERIVE_MAX_FILES = 20_000


def _derive(repo: Repo, commit: str, config: Config, cache: caching.Cache, where: str, tree: str,
            root: str | None, changed: set[str] | None) -> BaseIndex | None:
    """The index of ``tree`` from the last one stored for this folder (a CI base moves forward a
    few commits at a time): the files that differ between the two trees re-loaded, the rest kept."""
    latest = cache.get_index(LATEST_KIND, where)
    old_tree = latest.get("tree") if isinstance(latest, dict) else None
    if type(old_tree) is not str or old_tree == tree:
        return None
    old = _from_json(cache.get_index(INDEX_KIND, caching.entry_key(old_tree, where)))
    if old is None:
        return None
    try:
        diff = repo.diff_trees(old_tree, tree)
    except GitError:
        return None  # the old tree is gone (a rewritten history): build afresh
    if len(diff) > DERIVE_MAX_FILES:
        return None
    folder = config.assignments.strip("/") + "/"
    employees: dict[str, list[str]] = {}
    for line in old.lines.split("\n"):
        if line:
            row = json.loads(line)
            if not isinstance(row, list) or len(row) < 2 or any(type(x) is not str for x in row):
                return None
            employees[row[0]] = row[1:]
    gone = {folder + path for path, *_ in diff}
    for employee in [e for e, paths in employees.items() if gone.intersection(paths)]:
        kept = [p for p in employees[employee] if p not in gone]
        if kept:
            employees[employee] = kept
        else:
            del employees[employee]
    now = {folder + path: (mode, sha) for path, _old_mode, mode, sha in diff if mode != "000000"}
    source = (GitSource(repo, commit, tree=now) if root is None or changed is None
              else _BaseView(repo, commit, now, root, changed))
    paths, _refused = source.walk_yaml(config.assignments)
    for rel, declared_here in zip(paths, _declared_many(source, paths, config.max_file_bytes, Tuning(jobs=1)),
                                  strict=True):
        for employee in declared_here:
            employees[employee] = sorted([*employees.get(employee, ()), rel])
    odd = sorted({p for p in old.odd if p not in gone}
                 | {p for p, (mode, _sha) in now.items() if mode not in FILE_MODES})
    return BaseIndex(BaseIndex.encode(employees), odd, "derived")


def declared_one(source: Source, rel: str, max_bytes: int, tuning: Tuning) -> tuple[str, ...]:
    """``declared`` of the file ``rel`` loaded as ``load_many`` loads it, sorted: from its bytes
    when ``load.quick`` recognises them (the one employee of a file without problems), else loaded."""
    try:
        data = read_one(source, rel, max_bytes)
    except LoadError:
        return ()  # the file's problem names no employee (as ``load_one`` reports it)
    if tuning.fast:
        employee = quick.declared(data)
        if employee is not None:
            return (employee,)
    return tuple(sorted(declared(load_data(data, rel, tuning))))


def _declared_span(source: Source, rels: list[str], max_bytes: int, tuning: Tuning, start: int,
                   end: int) -> list[tuple[str, ...]]:
    """``declared`` of each file of ``rels[start:end]``: one job of ``_declared_many``."""
    return [declared_one(source, rel, max_bytes, tuning) for rel in rels[start:end]]


def _declared_many(source: Source, rels: list[str], max_bytes: int,
                   tuning: Tuning | None) -> list[tuple[str, ...]]:
    """``declared`` of every file of ``rels``, loaded as ``load_many`` loads them, over the cores
    (``runtime.parallel``): only the employee ids cross the pipe, not the grants."""
    tuning = tuning or Tuning()
    worker_tuning = Tuning(fast=tuning.fast, jobs=1, cache=tuning.cache)
    jobs = tuning.jobs
    if jobs is None:
        jobs = available_cores() if len(rels) >= PARALLEL_MIN_FILES else 1
    size = max(50, min(2000, len(rels) // (jobs * 4) or 1))
    work = [functools.partial(_declared_span, source, rels, max_bytes, worker_tuning, i, min(i + size, len(rels)))
            for i in range(0, len(rels), size)]
    with no_gc():
        return [e for _, chunk in parallel.imap(work, jobs, ordered=True) for e in chunk]


def caching_tuning(cache: caching.Cache | None) -> Tuning:
    """How to build the index: over the cores, with the parse cache of single files."""
    return Tuning(cache=cache)
