"""``check --base`` whose cost follows the change: only the employees it touches are re-evaluated.

Every rule declares what its findings depend on (``permgate.rules.base.SCOPES``).  An
``employee`` rule's findings in an employee's files depend only on all of that employee's
grants files, the catalog, the people directory, the policies and their settings.  So an
employee none of whose files changed, and whose catalog and people entries are unchanged,
has the same findings at the base and at the head: they can only be pre-existing,
and need not be computed::

    git diff REF HEAD (Repo.changes) -> changed grants files, parsed at both revisions -> employees A
        + people whose entry differs, everyone below a changed manager link, holders of grants
          by changed people or of changed permissions (git grep), holders of every role whose
          effective permissions changed or that gives a changed permission (git grep of the role
          id: ``model.changed_roles``), employees of their waivers
    index of the base's assignments/ (employee -> files declaring them), cached by tree id
        -> every file of every employee of A, at both revisions (the employee closure)
    catalog, people, policies, waivers: parsed once when unchanged (people from the cache)
        -> permgate.change.judge.judge on the two employee-closed sub-workspaces

The closure needs the index: a file may declare an employee under another file's name (a
misplaced or second file), and rules such as ``bulk-grant`` and ``separation-of-duties``
read an employee's grants across files.  The index lists, for the base's tree, which files
declare (or, unusable, name in their problems) each employee; unchanged files are the same
blobs at the head, so the base's index plus the changed files gives every file of A on
both sides.  It is stored in the cache under the tree's git id, derived from the last one
stored when the base moved on (``--no-cache``: built in memory each run, a full parse).

Findings whose key (``compare.finding_key``) could be shared between employees are the
waiver register's findings about waivers without a permission (key: rule + register path);
the employees of such waivers are added to A, so every finding with that key is computed.
Waivers of other employees are left out of both sides (their findings are pre-existing).

The run declines (returns why, and ``basemode`` evaluates both trees in full) whenever it
cannot be sure: a gate file changed (``permgate.yaml``, policies, the waiver register); a
catalog change that adds, removes, retires or re-owns a permission (``bulk-grant``'s pool
of a whole division); a changed path under ``assignments/`` the walk could read differently
(a hidden name, a name that is not UTF-8); a changed ``.gitattributes`` anywhere (the full
path reports checkout conversions); a symlink or submodule in the base's ``assignments/``,
among its gate files or among the head's changed files; a missing folder; access reviews at the head or in the change
(``reviews/``: ``not-recertified`` reads every campaign); or any error
while loading the catalog, people, policies or waivers (the full path reports it with its
usual wording).

Both revisions are read from git objects (``GitSource``), never from the working tree, as
the full path reads them: a checkout filter cannot make the two paths, or the gate and the
merge, disagree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Mapping

from permgate.change.base_index import FILE_MODES, BaseIndex, caching_tuning, declared, employee_index, is_cached
from permgate.change.changeset import ChangeSet, under
from permgate.change.judge import BaseOutcome, Scope, judge
from permgate.change.people_cache import shared_people
from permgate.config import CONFIG_NAME, Config
from permgate.errors import ConfigError
from permgate.git.repo import GitSource, Repo
from permgate.load import files
from permgate.load.bulk import Tuning, load_many
from permgate.load.grants import Loaded
from permgate.load.workspace import load_catalog, load_people, load_policy_files, load_roles, load_waivers
from permgate.model import Change, GrantsFile, LoadProblem, Permission, Person, Workspace, changed_roles
from permgate.rules.policy_change import same_permission
from permgate.runtime import cache as caching
from permgate.runtime import parallel

#: what the walk of the assignments folder says of a file that is not YAML (both sides word it so)
NOT_GRANTS = "not a grants file: only .yaml and .yml files belong here"


def _kind(path: str, assignments: str) -> str:
    """How the full walk of ``assignments`` treats ``path``, from its name: ``grants`` (loaded),
    ``refused`` (an ``invalid-file`` finding: not YAML), or ``odd`` (hidden names, names that
    are not UTF-8: the full path words their findings)."""
    rest = path[len(assignments.rstrip("/")) + 1:]
    parts = rest.split("/")
    if not rest or not all(parts) or files.shown_name(path) != path:
        return "odd"
    if any(part.startswith(".") for part in parts):
        return "odd"
    return "grants" if path.lower().endswith(files.YAML_SUFFIXES) else "refused"


def _decline_change(changes: Iterable[Change], probe: ChangeSet, config: Config) -> str | None:
    """Why the change cannot be judged incrementally, or None."""
    assignments = config.assignments
    folder = assignments.strip("/")
    for c in changes:
        for p in (c.old, c.new):
            if p is None:
                continue
            if p.casefold().startswith(folder.casefold() + "/") and not under(p, assignments):
                return f"{p} is under a folder named like {assignments} but for case"
            if p == CONFIG_NAME or probe.is_gate_file(p):
                return f"{p} is part of the gate"
            if p.rsplit("/", 1)[-1] == files.GITATTRIBUTES:
                return f"{p} says how git checks files out"
            if under(p, config.reviews):
                return f"{p} is an access review (judged with the whole workspace)"
            if under(p, assignments) and _kind(p, assignments) == "odd":
                return f"{p} is not a plain grants file name"
    return None


def _decline_layout(config: Config) -> str | None:
    assignments = config.assignments
    if assignments.strip("/") in ("", "."):
        return "assignments is the root"
    others = [config.catalog, config.people, config.policies, config.waivers_path, CONFIG_NAME, config.roles]
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
    # everything else (catalog, people, policies, waivers, roles) is the template's
    return dataclasses.replace(template, root=label, files=tuple(grants_files), problems=tuple(problems))


def check_scoped(repo: Repo, commit: str, ref: str, root: str, config: Config, changes: tuple[Change, ...],
                 today: dt.date, cache: caching.Cache | None, head_commit: str) -> BaseOutcome | str:
    """The outcome of ``check --base`` computed on the employees the change touches, or why not.

    ``head_commit`` is the commit judged (``--head``), read from git objects like the base."""
    probe = ChangeSet(base_ref=ref, base_commit=commit, changes=changes, base_config=config, head_config=config,
                      base_policies=(), head_policies=())
    why = _decline_layout(config) or _decline_change(changes, probe, config)
    if why:
        return why
    if repo.tree_id(head_commit, config.assignments) is None:
        return f"{config.assignments} not found"
    if repo.tree_id(head_commit, config.reviews) is not None:
        # not-recertified reads every closed campaign: the full path loads them with the frame
        return f"{config.reviews} holds access reviews"
    # building the index reads every base file: in a child (over the cores) while this process reads
    # the rest; its declines and errors still come first (``_Index.first``)
    build = functools.partial(employee_index, repo, commit, config, cache, caching_tuning(cache), root,
                              set(probe.paths()))
    index = _Index(parallel.Ahead(build, fork=not is_cached(repo, commit, config, cache)), config, ref)
    try:
        return _check_scoped(repo, commit, ref, root, config, changes, today, cache, head_commit, probe, index)
    except BaseException as err:
        if isinstance(err, Exception):
            index.first("")  # the plain order: an error building the index shows before this one
        index.discard()
        raise


class _Index:
    """The base index, built in a child: ``first(why)`` gives the index's own reason to decline (or
    raises its error) before ``why``, so the run declines and fails as when the index came first."""

    def __init__(self, ahead: parallel.Ahead[BaseIndex | None], config: Config, ref: str) -> None:
        self.ahead, self.config, self.ref = ahead, config, ref
        self.value: BaseIndex | None = None
        self.done = False

    def get(self) -> BaseIndex | None:
        if not self.done:
            self.value, self.done = self.ahead.result(), True
        return self.value

    def first(self, why: str) -> str:
        value = self.get()
        if value is None:
            return f"{self.config.assignments} is not a folder at {self.ref}"
        if value.odd:
            return f"{value.odd[0]} is a symlink or submodule at {self.ref}"
        return why

    def discard(self) -> None:
        if not self.done:
            self.ahead.discard()
            self.done = True


def _check_scoped(repo: Repo, commit: str, ref: str, root: str, config: Config, changes: tuple[Change, ...],
                  today: dt.date, cache: caching.Cache | None, head_commit: str, probe: ChangeSet,
                  index: _Index) -> BaseOutcome | str:
    assignments = config.assignments
    kinds = {p: _kind(p, assignments) for p in probe.paths() if under(p, assignments)}
    base_changed = sorted({c.old for c in changes if c.old is not None and kinds.get(c.old) == "grants"})
    head_changed = sorted({c.new for c in changes if c.new is not None and kinds.get(c.new) == "grants"})
    # not YAML: a finding at the path on each side that has it, whatever it holds
    base_refused = {c.old for c in changes if c.old is not None and kinds.get(c.old) == "refused"}
    head_refused = {c.new for c in changes if c.new is not None and kinds.get(c.new) == "refused"}
    gate = [config.catalog, config.people, config.policies, CONFIG_NAME, config.roles]
    if config.waivers_path is not None:
        gate.append(config.waivers_path)
    base_entries = repo.entries(commit, [*gate, *sorted(base_refused), *base_changed])
    head_entries = repo.entries(head_commit, [*gate, *sorted(head_refused), *head_changed])
    # symlinks and submodules are refused by their mode, with the full path's wording
    odd = sorted(p for p, (mode, _sha) in [*base_entries.items(), *head_entries.items()] if mode not in FILE_MODES)
    if odd:
        return index.first(f"{odd[0]} is a symlink or submodule")
    if any(p not in base_entries for p in [config.catalog, config.people, *base_changed]):
        return index.first(f"a file is missing at {ref}")
    if any(p not in head_entries for p in [config.catalog, config.people, *head_changed]) \
            or not any(under(p, config.policies) for p in head_entries):
        return index.first("a file is missing at the head")
    paths = probe.paths()
    base_source = GitSource(repo, commit, ref, base_entries)
    head = GitSource(repo, head_commit, root, head_entries)
    try:
        # unchanged at both revisions (a change to them declines above): parsed once, shared
        waivers = load_waivers(head, config)
        policies, settings, settings_locs = load_policy_files(head, config)
        head_catalog = load_catalog(head, config)
        base_catalog = load_catalog(base_source, config) if config.catalog in paths else head_catalog
        head_roles = load_roles(head, config)
        base_roles = load_roles(base_source, config) if config.roles in paths else head_roles
        if config.people in paths:
            head_people: Mapping[str, Person] = load_people(head, config)
            base_people: Mapping[str, Person] = load_people(base_source, config)
        else:
            head_people = base_people = shared_people(head, config, base_entries[config.people][1], cache)
    except ConfigError as err:
        return index.first(f"the full path reports {err.path}:{err.line}")
    if not policies:
        return index.first("no policy rules")
    frame = Workspace(
        root=head.label, catalog_path=config.catalog, people_path=config.people, catalog=head_catalog,
        people=head_people, files=(), policies=policies, assignments_path=config.assignments,
        settings=settings, settings_locs=settings_locs, waivers=waivers, waivers_path=config.waivers_path,
        roles=head_roles, roles_path=config.roles,
    )
    why = _decline_catalog(head_catalog, base_catalog)
    if why:
        return index.first(why)
    # permissions and people whose entry differs: their holders, grantees and granters are re-judged
    perms = sorted(pid for pid in head_catalog if not _same_entry(head_catalog[pid], base_catalog[pid]))
    people = _changed_people(head_people, base_people) if head_people is not base_people else set()
    employees: set[str] = set(people)
    employees |= _below(people, head_people, base_people)
    employees |= {w.employee for w in waivers if w.approved_by in people and w.employee is not None}
    # findings about waivers without a permission share one key (rule + register path)
    employees |= {w.employee for w in waivers if w.permission is None and w.employee is not None}

    changed = set(kinds)
    max_bytes = config.max_file_bytes
    base_loaded = dict(zip(base_changed, _load_at(repo, commit, ref, base_entries, base_changed, max_bytes),
                           strict=True))
    head.prefetch(head_changed)
    head_loaded = dict(zip(head_changed, load_many(head, head_changed, max_bytes, Tuning(jobs=1)), strict=True))
    # holders of a role whose effect changed are re-judged (found by the role's id, as holders of a permission)
    roles = sorted(changed_roles(head_roles, base_roles, perms)) if head_roles or base_roles else []
    needles = [*perms, *people, *roles]
    if needles:
        if any("\n" in n or not n for n in needles):
            return index.first("an id git grep cannot look for")
        # a file can hold an id only by spelling it, or through a double-quoted escape (a backslash);
        # unchanged files are the same blobs at the head, changed ones are loaded anyway
        holders = sorted(p for p in set(repo.grep_files(commit, [*needles, "\\"], assignments))
                         if p not in base_loaded and _kind(p, assignments) == "grants")
        if holders and not _add_at(repo, commit, ref, holders, max_bytes, base_loaded):
            return index.first("git grep and ls-tree disagree")
    for loaded in (*base_loaded.values(), *head_loaded.values()):
        employees |= declared(loaded)
    base_loaded.update((p, (None, [LoadProblem(p, 1, 1, NOT_GRANTS)])) for p in base_refused)
    head_loaded.update((p, (None, [LoadProblem(p, 1, 1, NOT_GRANTS)])) for p in head_refused)

    why = index.first("")
    base_index = index.get()
    if why or base_index is None:
        return why
    closure: set[str] = set()
    for e in employees:
        files_of_e = base_index.files_of(e)
        if files_of_e is None:
            return index.first("the base index does not check out")
        closure.update(files_of_e)
    base_more = sorted(closure - set(base_loaded))
    head_more = sorted(closure - changed)
    if base_more and not _add_at(repo, commit, ref, base_more, max_bytes, base_loaded):
        return index.first("the base index does not match the base")
    # unchanged between the two commits: the same blob id at both, so the same load
    head_loaded.update((p, base_loaded[p]) for p in head_more if p in base_loaded)
    head_rest = [p for p in head_more if p not in base_loaded]
    if head_rest and not _add_at(repo, head_commit, head.label, head_rest, max_bytes, head_loaded):
        return index.first("the base index does not match the head")

    # a waiver naming no employee (``mass-change``) is about the change as a whole: always kept
    frame = dataclasses.replace(frame, waivers=tuple(w for w in waivers
                                                     if w.employee is None or w.employee in employees))
    base_files = sorted(base_loaded)
    head_files = sorted(head_loaded)
    base_frame = dataclasses.replace(frame, catalog=base_catalog, people=base_people, roles=base_roles)
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
    are retired or who owns them changes ``bulk-grant``'s pool for a whole division; any change
    but a description is part of the gate (``policy-change``, ``grant-depends-on-gate-change``)."""
    if head is base:
        return None
    if set(head) != set(base):
        return "the catalog adds or removes permissions"
    for pid, perm in head.items():
        if not same_permission(perm, base[pid]):
            return f"the catalog changes {pid}'s name, owner or marks (part of the gate)"
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
