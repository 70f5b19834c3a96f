"""``check --base`` whose cost follows the change: only the employees it touches are re-evaluated.

Every rule declares what its findings depend on (``permgate.rules.base.SCOPES``).  An
``employee`` rule's findings in an employee's files depend only on all of that employee's
grants files, the catalog, the people directory, the policies and their settings.  So an
employee none of whose files changed, and whose catalog and people entries are unchanged,
has the same findings at the base and in the working tree: they can only be pre-existing,
and need not be computed::

    git diff (Repo.changes) -> changed grants files, parsed at both revisions -> employees A
        + people whose entry differs, everyone below a changed manager link, holders of grants
          by changed people or of changed permissions (git grep), employees of their waivers
    index of the base's assignments/ (employee -> files declaring them), cached by tree id
        -> every file of every employee of A, at both revisions (the employee closure)
    catalog, people, policies, waivers: parsed once when unchanged (people from the cache)
        -> permgate.basemode.judge on the two employee-closed sub-workspaces

The closure needs the index: a file may declare an employee under another file's name (a
misplaced or second file), and rules such as ``bulk-grant`` and ``separation-of-duties``
read an employee's grants across files.  The index lists, for the base's tree, which files
declare (or, unusable, name in their problems) each employee; unchanged files are the same
in the working tree, so the base's index plus the changed files gives every file of A on
both sides.  It is stored in the cache under the tree's git id, derived from the last one
stored when the base moved on (``--no-cache``: built in memory each run, a full parse).

Findings whose key (``basemode.finding_key``) could be shared between employees are the
waiver register's findings about waivers without a permission (key: rule + register path);
the employees of such waivers are added to A, so every finding with that key is computed.
Waivers of other employees are left out of both sides (their findings are pre-existing).

The run declines (returns why, and ``basemode`` evaluates both trees in full) whenever it
cannot be sure: a gate file changed (``permgate.yaml``, policies, the waiver register); a
catalog change that adds, removes, retires or re-owns a permission (``bulk-grant``'s pool
of a whole division); a changed path under ``assignments/`` the walk could read differently
(a symlink, a name that is not UTF-8, ``.gitignore``/``.gitattributes``); files git ignores
under ``assignments/`` or ``policies/`` (the full walk reads them, git diff does not list
them); a symlink or submodule in the base's ``assignments/`` or among its gate files; a
missing folder; or any error while loading the catalog, people, policies or waivers (the
full path reports it with its usual wording).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import stat
from collections.abc import Iterable, Iterator, Mapping

from permgate import cache as caching
from permgate import parallel
from permgate.basemode import BaseOutcome, Scope, judge
from permgate.changeset import ChangeSet, under
from permgate.config import CONFIG_NAME, Config
from permgate.errors import ConfigError, GitError, LoadError
from permgate.gitrepo import Change, GitSource, Pending, Repo
from permgate.load import files
from permgate.load.bulk import PARALLEL_MIN_FILES, Tuning, available_cores, load_many, load_one, no_gc
from permgate.load.grants import Loaded
from permgate.load.source import FsSource, Source
from permgate.load.workspace import load_catalog, load_people, load_policy_files, load_waivers
from permgate.model import GrantsFile, LoadProblem, Loc, Permission, Person, Workspace

#: the cache entry kind of the base index (bump when its meaning changes)
INDEX_KIND = "declared-employees-v3"
#: the cache entry kind that names the tree of the index stored last, per folder
LATEST_KIND = "declared-employees-latest-v1"
#: the cache entry kind of a parsed people directory, by git blob id
PEOPLE_KIND = "people-v2"

#: git modes of a plain file
_FILE_MODES = ("100644", "100755")


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
        return "\n" + "".join(json.dumps([e, *paths]) + "\n" for e, paths in sorted(employees.items()))

    def files_of(self, employee: str) -> list[str] | None:
        """The files declaring ``employee`` at the base; None when the index does not check out."""
        needle = "\n" + json.dumps([employee])[:-1]
        at = self.lines.find(needle + ",")
        if at < 0:
            at = self.lines.find(needle + "]")
            if at < 0:
                return []
        end = self.lines.find("\n", at + 1)
        try:
            row = json.loads(self.lines[at + 1:end])
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


def _key(*parts: str) -> str:
    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()


class _BaseView(GitSource):
    """The base's tree, whose files git reports unchanged read from the working tree instead.

    Those bytes are the base's (that is what "unchanged" means), and reading them from the
    file system is several times cheaper than from git's object store; a changed file, or one
    the file system cannot give, is read from git.
    """

    def __init__(self, repo: Repo, commit: str, tree: dict[str, tuple[str, str]], root: str,
                 changed: set[str]) -> None:
        super().__init__(repo, commit, tree=tree)
        self.root = root
        self.changed = changed

    def prefetch(self, rels: list[str]) -> None:
        super().prefetch([r for r in rels if r in self.changed])

    def read_bytes(self, rel: str, max_bytes: int) -> bytes:
        if rel not in self.changed and self._tree.get(rel, ("",))[0] in _FILE_MODES:
            try:
                return files.read_walked(self.root, rel, max_bytes)
            except LoadError:
                pass  # what the base says about it, below
        return super().read_bytes(rel, max_bytes)


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
    where = _key(repo.prefix, config.assignments, str(config.max_file_bytes))
    key = _key(tree, where)
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
    odd = sorted(rel for rel, (mode, _sha) in source.entries() if mode not in _FILE_MODES)
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
    old = _from_json(cache.get_index(INDEX_KIND, _key(old_tree, where)))
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
                 | {p for p, (mode, _sha) in now.items() if mode not in _FILE_MODES})
    return BaseIndex(BaseIndex.encode(employees), odd, "derived")


# Set in the parent just before the workers fork; they inherit it (as in ``permgate.load.bulk``).
_job: tuple[Source, list[str], int, Tuning] | None = None


def _declared_span(span: tuple[int, int]) -> list[tuple[str, ...]]:
    assert _job is not None
    source, rels, max_bytes, tuning = _job
    return [tuple(sorted(declared(load_one(source, rel, max_bytes, tuning)))) for rel in rels[span[0]:span[1]]]


def _declared_many(source: Source, rels: list[str], max_bytes: int,
                   tuning: Tuning | None) -> list[tuple[str, ...]]:
    """``declared`` of every file of ``rels``, loaded as ``load_many`` loads them, over the cores:
    only the employee ids cross the pipe, not the grants."""
    global _job
    tuning = tuning or Tuning()
    worker_tuning = Tuning(fast=tuning.fast, jobs=1, cache=tuning.cache)
    jobs = tuning.jobs
    if jobs is None:
        jobs = available_cores() if len(rels) >= PARALLEL_MIN_FILES else 1
    size = max(50, min(2000, len(rels) // (jobs * 4) or 1))
    spans = [(i, min(i + size, len(rels))) for i in range(0, len(rels), size)]
    _job = (source, rels, max_bytes, worker_tuning)
    try:
        with no_gc():
            if jobs <= 1 or not parallel.can_fork():
                return [e for span in spans for e in _declared_span(span)]
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                return [e for chunk in pool.imap(_declared_span, spans) for e in chunk]
    finally:
        _job = None


#: the people directory's fields, in ``Person`` order (the location is its line and column)
_PEOPLE_COLUMNS = ("id", "name", "division", "manager", "line", "column", "division_since", "function")
#: fields that may be None (stored as ""; the schema gives none of them an empty value)
_NULLABLE = frozenset({"manager", "division_since", "function"})
#: fields stored as decimal numbers
_NUMBERS = frozenset({"line", "column"})
#: what separates the values of a column in the cache: one string per column decodes many
#: times faster than a JSON list of 100,000 strings.  A directory with a value that holds
#: it (or an empty value) is not stored, and is parsed on every run.
_SEP = "\n"


class LazyPeople(Mapping[str, Person]):
    """The people directory from its cached columns: each ``Person`` is built when first asked for.

    Equal, entry by entry and in order, to what ``load_people`` returned when the entry was
    stored (only a directory ``load_people`` accepted is stored); 100,000 people cost a
    fraction of a parse, and a run that asks for a few hundred builds only those.
    """

    def __init__(self, rel: str, columns: dict[str, list[str]]) -> None:
        self._rel = rel
        self._columns = [columns[c] for c in _PEOPLE_COLUMNS]
        self._row = dict(zip(columns["id"], range(len(columns["id"])), strict=True))
        self._built: dict[str, Person] = {}

    def __getitem__(self, key: str) -> Person:
        person = self._built.get(key)
        if person is None:
            i = self._row[key]
            pid, name, division, manager, line, column, since, function = (c[i] for c in self._columns)
            person = self._built[key] = Person(pid, name, division, manager or None,
                                               Loc(self._rel, int(line), int(column)), since or None,
                                               function or None)
        return person

    def __contains__(self, key: object) -> bool:
        return key in self._row

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)


def _people_encoded(people: Mapping[str, Person], rel: str) -> dict[str, str] | None:
    """The cache entry of ``people`` (``load_people``'s result for ``rel``): one string per
    column; None when a value cannot be stored so (see ``_SEP``)."""
    values = list(people.values())
    if not values or any(p.loc.path != rel for p in values):
        return None
    columns = {"id": [p.id for p in values], "name": [p.name for p in values],
               "division": [p.division for p in values], "manager": [p.manager or "" for p in values],
               "line": [str(p.loc.line) for p in values], "column": [str(p.loc.column) for p in values],
               "division_since": [p.division_since or "" for p in values],
               "function": [p.function or "" for p in values]}
    if any(p.manager == "" or p.division_since == "" or p.function == "" for p in values):
        return None  # "" stands for None
    encoded = {name: _SEP.join(column) for name, column in columns.items()}
    if any(text.count(_SEP) != len(values) - 1 for text in encoded.values()):
        return None  # a value holds the separator
    return encoded if _people_columns(encoded) is not None else None


def _people_columns(value: object) -> dict[str, list[str]] | None:
    """The columns of a cache entry written by ``_people_encoded``; None when it does not check out."""
    if not isinstance(value, dict) or set(value) != set(_PEOPLE_COLUMNS) \
            or not all(type(v) is str for v in value.values()):
        return None
    columns: dict[str, list[str]] = {name: text.split(_SEP) for name, text in value.items()}
    ids = columns["id"]
    count = len(ids)
    for name, column in columns.items():
        if len(column) != count:
            return None
        if name in _NUMBERS:
            digits = value[name].replace(_SEP, "")
            if not (digits.isascii() and digits.isdigit()) or "" in column:
                return None
        elif name not in _NULLABLE and "" in column:
            return None
    if len(set(ids)) != count:
        return None
    return columns


def shared_people(source: FsSource, config: Config, blob: str,
                  cache: caching.Cache | None) -> Mapping[str, Person]:
    """The people directory (unchanged at both revisions, git blob ``blob``): from the cache, or parsed."""
    key = _key(blob, config.people)
    if cache is not None:
        columns = _people_columns(cache.get_index(PEOPLE_KIND, key))
        if columns is not None:
            return LazyPeople(config.people, columns)
    people = load_people(source, config)
    if cache is not None:
        encoded = _people_encoded(people, config.people)
        if encoded is not None:
            cache.put_index(PEOPLE_KIND, key, encoded)
    return people


#: what the walk of the assignments folder says of a file that is not YAML (both sides word it so)
NOT_GRANTS = "not a grants file: only .yaml and .yml files belong here"
#: hidden files the walk skips but that change how git sees the others
_GIT_FILES = (".gitignore", ".gitattributes")


def _kind(path: str, assignments: str) -> str:
    """How the full walk of ``assignments`` treats ``path``, from its name: ``grants`` (loaded),
    ``hidden`` (skipped), ``refused`` (an ``invalid-file`` finding: not YAML), or ``odd``."""
    rest = path[len(assignments.rstrip("/")) + 1:]
    parts = rest.split("/")
    if not rest or not all(parts) or files.shown_name(path) != path:
        return "odd"
    if any(part.startswith(".") for part in parts):
        return "odd" if parts[-1] in _GIT_FILES else "hidden"
    return "grants" if path.lower().endswith(files.YAML_SUFFIXES) else "refused"


def _plain_file(root: str, rel: str) -> bool:
    """``rel`` is a regular file in the working tree, reached through no symlink."""
    here = root
    parts = rel.split("/")
    try:
        for i, part in enumerate(parts):
            here = os.path.join(here, part)
            mode = os.lstat(here).st_mode
            if i < len(parts) - 1 and not stat.S_ISDIR(mode):
                return False
        return stat.S_ISREG(mode)
    except OSError:
        return False


def _decline_change(changes: Iterable[Change], probe: ChangeSet, config: Config, root: str) -> str | None:
    """Why the change cannot be judged incrementally, or None."""
    assignments = config.assignments
    for c in changes:
        for p in (c.old, c.new):
            if p is None:
                continue
            if p == CONFIG_NAME or probe.is_gate_file(p):
                return f"{p} is part of the gate"
            if under(p, assignments) and _kind(p, assignments) == "odd":
                return f"{p} is not a plain grants file name"
        if c.new is not None and under(c.new, assignments) and _kind(c.new, assignments) == "grants" \
                and not _plain_file(root, c.new):
            return f"{c.new} is not a plain file in the working tree"
    return None


def _decline_layout(config: Config) -> str | None:
    assignments = config.assignments
    if assignments.strip("/") in ("", "."):
        return "assignments is the root"
    others = [config.catalog, config.people, config.policies, config.waivers_path, CONFIG_NAME]
    if any(o is not None and (under(o, assignments) or under(assignments, o)) for o in others):
        return "assignments overlaps another configured path"
    return None


def _workspace(label: str, template: Workspace, loaded: list[Loaded]) -> Workspace:
    grants_files: list[GrantsFile] = []
    problems: list[LoadProblem] = []
    for gf, file_problems in loaded:
        problems.extend(file_problems)
        if gf is not None:
            grants_files.append(gf)
    return Workspace(
        root=label, catalog_path=template.catalog_path, people_path=template.people_path,
        catalog=template.catalog, people=template.people, files=tuple(grants_files), policies=template.policies,
        problems=tuple(problems), assignments_path=template.assignments_path, settings=template.settings,
        settings_locs=template.settings_locs, waivers=template.waivers, waivers_path=template.waivers_path,
    )


def check_scoped(repo: Repo, commit: str, ref: str, root: str, config: Config, changes: tuple[Change, ...],
                 today: dt.date, cache: caching.Cache | None) -> BaseOutcome | str:
    """The outcome of ``check --base`` computed on the employees the change touches, or why not."""
    # files git ignores are listed while the index and the directory are read
    ignored = repo.ignored_later([config.assignments, config.policies])
    try:
        return _check_scoped(repo, commit, ref, root, config, changes, today, cache, ignored)
    finally:
        ignored.close()


def _check_scoped(repo: Repo, commit: str, ref: str, root: str, config: Config, changes: tuple[Change, ...],
                  today: dt.date, cache: caching.Cache | None, ignored: Pending) -> BaseOutcome | str:
    probe = ChangeSet(base_ref=ref, base_commit=commit, changes=changes, base_config=config, head_config=config,
                      base_policies=(), head_policies=())
    why = _decline_layout(config) or _decline_change(changes, probe, config, root)
    if why:
        return why
    head = FsSource(root)
    for rel in (config.catalog, config.people, config.policies):
        if not head.exists(rel):
            return f"{rel} not found"
    if not head.is_dir(config.assignments):
        return f"{config.assignments} not found"
    base_index = employee_index(repo, commit, config, cache, caching_tuning(cache), root, set(probe.paths()))
    if base_index is None:
        return f"{config.assignments} is not a folder at {ref}"
    if base_index.odd:
        return f"{base_index.odd[0]} is a symlink or submodule at {ref}"
    assignments = config.assignments
    kinds = {p: _kind(p, assignments) for p in probe.paths() if under(p, assignments)}
    base_changed = sorted({c.old for c in changes if c.old is not None and kinds.get(c.old) == "grants"})
    head_changed = sorted({c.new for c in changes if c.new is not None and kinds.get(c.new) == "grants"})
    # not YAML: a finding at the path on each side that has it, whatever it holds
    base_refused = {c.old for c in changes if c.old is not None and kinds.get(c.old) == "refused"}
    head_refused = {c.new for c in changes if c.new is not None and kinds.get(c.new) == "refused"}
    gate = [config.catalog, config.people, config.policies, CONFIG_NAME, *sorted(base_refused)]
    if config.waivers_path is not None:
        gate.append(config.waivers_path)
    base_entries = repo.entries(commit, [*gate, *base_changed])
    # the base reads what git holds, the working tree follows a symlink: only plain files are the same
    odd = sorted(p for p, (mode, _sha) in base_entries.items() if mode not in _FILE_MODES)
    if odd:
        return f"{odd[0]} is a symlink or submodule at {ref}"
    if any(p not in base_entries for p in [config.catalog, config.people, *base_changed]):
        return f"a file is missing at {ref}"
    paths = probe.paths()
    base_source = GitSource(repo, commit, ref, base_entries)
    try:
        # unchanged at both revisions (a change to them declines above): parsed once, shared
        waivers = load_waivers(head, config)
        policies, settings, settings_locs = load_policy_files(head, config)
        head_catalog = load_catalog(head, config)
        base_catalog = load_catalog(base_source, config) if config.catalog in paths else head_catalog
        if config.people in paths:
            head_people: Mapping[str, Person] = load_people(head, config)
            base_people: Mapping[str, Person] = load_people(base_source, config)
        else:
            head_people = base_people = shared_people(head, config, base_entries[config.people][1], cache)
    except ConfigError as err:
        return f"the full path reports {err.path}:{err.line}"
    if not policies:
        return "no policy rules"
    listed = ignored.result()
    if listed:
        return f"git ignores {listed[0]}, which a full walk reads"
    frame = Workspace(
        root=head.label, catalog_path=config.catalog, people_path=config.people, catalog=head_catalog,
        people=head_people, files=(), policies=policies, assignments_path=config.assignments,
        settings=settings, settings_locs=settings_locs, waivers=waivers, waivers_path=config.waivers_path,
    )
    why = _decline_catalog(head_catalog, base_catalog)
    if why:
        return why
    # permissions and people whose entry differs: their holders, grantees and granters are re-judged
    perms = sorted(pid for pid in head_catalog if not _same_entry(head_catalog[pid], base_catalog[pid]))
    people = _changed_people(head_people, base_people) if head_people is not base_people else set()
    employees: set[str] = set(people)
    employees |= _below(people, head_people, base_people)
    employees |= {w.employee for w in waivers if w.approved_by in people}
    # findings about waivers without a permission share one key (rule + register path)
    employees |= {w.employee for w in waivers if w.permission is None}

    changed = set(kinds)
    max_bytes = config.max_file_bytes
    base_loaded = dict(zip(base_changed, _load_at(repo, commit, ref, base_entries, base_changed, max_bytes),
                           strict=True))
    head_loaded = dict(zip(head_changed, load_many(head, head_changed, max_bytes, Tuning(jobs=1)), strict=True))
    needles = [*perms, *people]
    if needles:
        if any("\n" in n or not n for n in needles):
            return "an id git grep cannot look for"
        # a file can hold an id only by spelling it, or through a double-quoted escape (a backslash);
        # unchanged files are the same in the working tree, changed ones are loaded anyway
        holders = sorted(p for p in set(repo.grep_files(commit, [*needles, "\\"], assignments))
                         if p not in base_loaded and _kind(p, assignments) == "grants")
        if holders and not _add_at(repo, commit, ref, holders, max_bytes, base_loaded):
            return "git grep and ls-tree disagree"
    for loaded in (*base_loaded.values(), *head_loaded.values()):
        employees |= declared(loaded)
    base_loaded.update((p, (None, [LoadProblem(p, 1, 1, NOT_GRANTS)])) for p in base_refused)
    head_loaded.update((p, (None, [LoadProblem(p, 1, 1, NOT_GRANTS)])) for p in head_refused)

    closure: set[str] = set()
    for e in employees:
        files_of_e = base_index.files_of(e)
        if files_of_e is None:
            return "the base index does not check out"
        closure.update(files_of_e)
    base_more = sorted(closure - set(base_loaded))
    head_more = sorted(closure - changed)
    if base_more and not _add_at(repo, commit, ref, base_more, max_bytes, base_loaded):
        return "the base index does not match the base"
    head_loaded.update(zip(head_more, load_many(head, head_more, max_bytes, Tuning(jobs=1)), strict=True))

    frame = dataclasses.replace(frame, waivers=tuple(w for w in waivers if w.employee in employees))
    base_files = sorted(base_loaded)
    head_files = sorted(head_loaded)
    base_frame = dataclasses.replace(frame, catalog=base_catalog, people=base_people)
    base_ws = _workspace(ref, base_frame, [base_loaded[p] for p in base_files])
    head_ws = _workspace(head.label, frame, [head_loaded[p] for p in head_files])
    scope = Scope(tuple(sorted(employees)), tuple(head_files), tuple(base_files), base_index.how)
    return judge(repo, commit, ref, changes, head_ws, base_ws, config, config, False, today, scope=scope)


def _same_entry(a: Permission | Person, b: Permission | Person) -> bool:
    """Equal but for where the entry sits (a line added above it moves it, nothing else)."""
    moved = b._replace(loc=a.loc) if isinstance(b, Person) else dataclasses.replace(b, loc=a.loc)
    return type(a) is type(b) and a == moved


def _decline_catalog(head: Mapping[str, Permission], base: Mapping[str, Permission]) -> str | None:
    """A catalog change the incremental run cannot bound: one that changes which permissions exist,
    are retired or who owns them changes ``bulk-grant``'s pool for a whole division, and the
    gate itself (``policy-change``)."""
    if head is base:
        return None
    if set(head) != set(base):
        return "the catalog adds or removes permissions"
    for pid, perm in head.items():
        if (perm.retired, perm.owner_division) != (base[pid].retired, base[pid].owner_division):
            return f"the catalog changes {pid}'s owner or retirement"
    return None


def _changed_people(head: Mapping[str, Person], base: Mapping[str, Person]) -> set[str]:
    out = set(head).symmetric_difference(base)
    out.update(pid for pid, p in head.items() if pid in base and not _same_entry(p, base[pid]))
    return out


def _below(people: set[str], head: Mapping[str, Person], base: Mapping[str, Person]) -> set[str]:
    """Everyone whose management chain, at either revision, runs through a person whose manager
    changed (or who came or went): ``granter-authority`` reads whole chains."""
    if not people:
        return set()
    out: set[str] = set()
    for directory in (head, base):
        reports: dict[str, list[str]] = {}
        for pid, p in directory.items():
            if p.manager is not None:
                reports.setdefault(p.manager, []).append(pid)
        todo = [pid for pid in people
                if pid not in head or pid not in base or head[pid].manager != base[pid].manager]
        while todo:
            for r in reports.get(todo.pop(), ()):
                if r not in out:
                    out.add(r)
                    todo.append(r)
    return out


def _add_at(repo: Repo, commit: str, label: str, rels: list[str], max_bytes: int,
            into: dict[str, Loaded]) -> bool:
    """Load ``rels`` as they are at ``commit`` into ``into``; False (nothing loaded) when git
    does not list one of them there."""
    entries = repo.entries(commit, rels)
    if any(p not in entries for p in rels):
        return False
    into.update(zip(rels, _load_at(repo, commit, label, entries, rels, max_bytes), strict=True))
    return True


def _load_at(repo: Repo, commit: str, label: str, entries: dict[str, tuple[str, str]], rels: list[str],
             max_bytes: int) -> list[Loaded]:
    """Load ``rels`` as they are at ``commit`` (their blobs read in one git call)."""
    source = GitSource(repo, commit, label, entries)
    source.prefetch(rels)
    return load_many(source, rels, max_bytes, Tuning(jobs=1))


def caching_tuning(cache: caching.Cache | None) -> Tuning:
    """How to build the index: over the cores, with the parse cache of single files."""
    return Tuning(cache=cache)
