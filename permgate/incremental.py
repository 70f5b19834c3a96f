"""``check --base`` whose cost follows the change: only the employees it touches are re-evaluated.

Every rule declares what its findings depend on (``permgate.rules.base.SCOPES``).  An
``employee`` rule's findings in an employee's files depend only on all of that employee's
grants files, the catalog, the people directory, the policies and their settings.  So when
a change touches only grants files (and files the gate never reads), every employee whose
files are all unchanged has the same findings at the base and in the working tree: they
can only be pre-existing, and need not be computed::

    git diff (Repo.changes) -> changed grants files, parsed at both revisions -> employees A
    index of the base's assignments/ (employee -> files declaring them), cached by tree id
        -> every file of every employee of A, at both revisions (the employee closure)
    catalog, people, policies, waivers: unchanged, so parsed once and shared by both sides
        -> permgate.basemode.judge on the two employee-closed sub-workspaces

The closure needs the index: a file may declare an employee under another file's name (a
misplaced or second file), and rules such as ``bulk-grant`` and ``separation-of-duties``
read an employee's grants across files.  The index lists, for the base's tree, which files
declare (or, unusable, name in their problems) each employee; unchanged files are the same
in the working tree, so the base's index plus the changed files gives every file of A on
both sides.  It is stored in the cache under the tree's git id (``--no-cache``: built in
memory each run, which costs a full parse of the base).

Findings whose key (``basemode.finding_key``) could be shared between employees are the
waiver register's findings about waivers without a permission (key: rule + register path);
the employees of such waivers are added to A, so every finding with that key is computed.
Waivers of other employees are left out of both sides (their findings are pre-existing).

The run declines (returns why, and ``basemode`` evaluates both trees in full) whenever it
cannot be sure: a gate file, the catalog or the people directory changed; a changed path
under ``assignments/`` that the full walk would refuse or skip (not ``.yaml``/``.yml``,
hidden, a symlink, not UTF-8); files git ignores under ``assignments/`` or ``policies/``
(the full walk reads them, git diff does not list them); a missing folder; or any error
while loading the shared files (the full path reports it with its usual wording).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass

from permgate import cache as caching
from permgate.basemode import BaseOutcome, Scope, judge
from permgate.changeset import ChangeSet, under
from permgate.config import CONFIG_NAME, Config
from permgate.errors import ConfigError
from permgate.gitrepo import Change, GitSource, Repo
from permgate.load import files
from permgate.load.bulk import Tuning, load_many
from permgate.load.grants import Loaded
from permgate.load.source import FsSource
from permgate.load.workspace import load_catalog, load_people, load_policy_files, load_waivers
from permgate.model import GrantsFile, LoadProblem, Workspace

#: the cache entry kind of the base index (bump when its meaning changes)
INDEX_KIND = "declared-employees-v2"

#: git modes of a plain file
_FILE_MODES = ("100644", "100755")


def declared(loaded: Loaded) -> set[str]:
    """The employees a loaded grants file declares: its ``employee:``, or the one its problems name."""
    gf, problems = loaded
    out = {p.employee for p in problems if p.employee is not None}
    if gf is not None:
        out.add(gf.employee)
    return out


@dataclass(frozen=True)
class BaseIndex:
    """What the incremental run needs to know about the base's whole assignments folder."""

    #: employee -> the grants files that declare them (``declared``)
    employees: dict[str, list[str]]
    #: entries that are not plain files (symlinks, submodules): the working tree may read a
    #: symlink's target where the base refuses it, so they are not the same on both sides
    odd: list[str]
    #: ``cached``, ``built`` (and stored) or ``memory`` (built, no cache)
    how: str = "memory"


def _from_json(value: object) -> BaseIndex | None:
    if not isinstance(value, dict):
        return None
    employees, odd = value.get("employees"), value.get("odd")
    if not isinstance(employees, dict) or not isinstance(odd, list) or any(type(p) is not str for p in odd):
        return None
    for k, v in employees.items():
        if type(k) is not str or type(v) is not list or any(type(p) is not str for p in v):
            return None
    return BaseIndex(employees, odd, "cached")


def employee_index(repo: Repo, commit: str, config: Config, cache: caching.Cache | None,
                   tuning: Tuning | None = None) -> BaseIndex | None:
    """The index of ``commit``'s assignments folder (from the cache, keyed by the folder's git
    id, or built by loading every file there); None when the folder does not exist there."""
    tree = repo.tree_id(commit, config.assignments)
    if tree is None:
        return None
    key = hashlib.blake2b(
        f"{tree}\0{repo.prefix}\0{config.assignments}\0{config.max_file_bytes}".encode("utf-8", "surrogateescape"),
        digest_size=20).hexdigest()
    if cache is not None:
        hit = _from_json(cache.get_index(INDEX_KIND, key))
        if hit is not None:
            return hit
    source = GitSource(repo, commit, tree=repo.entries(commit, [config.assignments]))
    paths, _refused = source.walk_yaml(config.assignments)
    index: dict[str, list[str]] = {}
    for rel, loaded in zip(paths, load_many(source, paths, config.max_file_bytes, tuning), strict=True):
        for employee in declared(loaded):
            index.setdefault(employee, []).append(rel)
    odd = sorted(rel for rel, (mode, _sha) in source.entries() if mode not in _FILE_MODES)
    if cache is None:
        return BaseIndex(index, odd, "memory")
    cache.put_index(INDEX_KIND, key, {"employees": index, "odd": odd})
    return BaseIndex(index, odd, "built")


def _walkable(path: str, assignments: str) -> bool:
    """Whether the full walk of ``assignments`` would load ``path`` as a grants file, from its name."""
    rest = path[len(assignments.rstrip("/")) + 1:]
    if not rest or any(part.startswith(".") or not part for part in rest.split("/")):
        return False
    return files.shown_name(path) == path and path.lower().endswith(files.YAML_SUFFIXES)


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
            if p in (config.catalog, config.people):
                return f"{p} changed"
            if under(p, assignments) and not _walkable(p, assignments):
                return f"{p} is not a plain grants file name"
        if c.new is not None and under(c.new, assignments) and not _plain_file(root, c.new):
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
    ignored = repo.ignored([config.assignments, config.policies])
    if ignored:
        return f"git ignores {ignored[0]}, which a full walk reads"
    base_index = employee_index(repo, commit, config, cache, caching_tuning(cache))
    if base_index is None:
        return f"{config.assignments} is not a folder at {ref}"
    if base_index.odd:
        return f"{base_index.odd[0]} is a symlink or submodule at {ref}"
    index = base_index.employees
    try:
        # unchanged at both revisions (a change to them declines above): parsed once, shared
        shared = Workspace(
            root=head.label, catalog_path=config.catalog, people_path=config.people,
            catalog=load_catalog(head, config), people=load_people(head, config), files=(), policies=(),
            assignments_path=config.assignments, waivers=load_waivers(head, config),
            waivers_path=config.waivers_path,
        )
        policies, settings, settings_locs = load_policy_files(head, config)
    except ConfigError as err:
        return f"the full path reports {err.path}:{err.line}"
    if not policies:
        return "no policy rules"
    shared = dataclasses.replace(shared, policies=policies, settings=settings, settings_locs=settings_locs)

    assignments = config.assignments
    base_changed = sorted({c.old for c in changes if c.old is not None and under(c.old, assignments)})
    head_changed = sorted({c.new for c in changes if c.new is not None and under(c.new, assignments)})
    changed = set(base_changed) | set(head_changed)
    max_bytes = config.max_file_bytes

    base_entries = repo.entries(commit, base_changed)
    if any(base_entries.get(p, ("",))[0] not in _FILE_MODES for p in base_changed):
        return "a changed grants file is not a plain file at the base"
    base_loaded = dict(zip(base_changed, load_many(GitSource(repo, commit, ref, base_entries), base_changed,
                                                   max_bytes, Tuning(jobs=1)), strict=True))
    head_loaded = dict(zip(head_changed, load_many(head, head_changed, max_bytes, Tuning(jobs=1)), strict=True))

    employees: set[str] = set()
    for loaded in (*base_loaded.values(), *head_loaded.values()):
        employees |= declared(loaded)
    # findings about waivers without a permission share one key (rule + register path)
    employees |= {w.employee for w in shared.waivers if w.permission is None}

    closure = {p for e in employees for p in index.get(e, ())}
    base_more = sorted(closure - set(base_loaded))
    head_more = sorted(closure - changed)
    if base_more:
        more_entries = repo.entries(commit, base_more)
        if any(more_entries.get(p, ("",))[0] not in _FILE_MODES for p in base_more):
            return "a grants file of the change's employees is not a plain file at the base"
        base_entries.update(more_entries)
        base_loaded.update(zip(base_more, load_many(GitSource(repo, commit, ref, more_entries), base_more,
                                                    max_bytes, Tuning(jobs=1)), strict=True))
    head_loaded.update(zip(head_more, load_many(head, head_more, max_bytes, Tuning(jobs=1)), strict=True))

    waivers = tuple(w for w in shared.waivers if w.employee in employees)
    shared = dataclasses.replace(shared, waivers=waivers)
    base_files = sorted(base_loaded)
    head_files = sorted(head_loaded)
    base_ws = _workspace(ref, shared, [base_loaded[p] for p in base_files])
    head_ws = _workspace(head.label, shared, [head_loaded[p] for p in head_files])
    scope = Scope(tuple(sorted(employees)), tuple(head_files), tuple(base_files), base_index.how)
    return judge(repo, commit, ref, changes, head_ws, base_ws, config, config, False, today, scope=scope)


def caching_tuning(cache: caching.Cache | None) -> Tuning:
    """How to build the index: over the cores, with the parse cache of single files."""
    return Tuning(cache=cache)
