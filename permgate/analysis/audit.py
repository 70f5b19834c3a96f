"""Exposure windows from git history: when each violating grant entered and left the branch.

The walk follows the first-parent history of a revision, oldest first, and works
incrementally:

- one ``git log --raw`` gives every commit that touched the assignments folder and the
  blob ids it changed; one ``git cat-file --batch`` reads every blob once;
- each distinct (path, blob) is parsed once, however many commits carry it;
- at each commit only the employees whose grants files changed are re-evaluated, so a
  commit that edits one file costs one employee's evaluation, not the organisation's.

**The judge.**  Every commit is judged by the *current* rules: the catalog and policies
(and ``permgate.yaml``) of the revision walked (HEAD by default), not those of the commit
itself.  The question an audit answers is "which grants that we now know to be violations
existed, and for how long"; judging each commit by its own catalog would let a mistake in
the catalog of the time (item 83 recorded as a sales item, say) hide exactly the exposure the
audit is for.  A permission that no longer exists at the judged revision is judged by the last
version of the catalog that still had it.

**Where people sat** is a fact of the time, not a rule: each commit is judged with the
people directory *as it was at that commit* (``people_history``: division, manager,
function, ``division_since``), so a transfer into or out of a grantee division opens or
closes an exposure at the HR commit that recorded it, and a manager change can open or close
a ``granter-authority`` one.  The walk therefore also follows the commits that changed the
people directory; such a commit re-evaluates the people whose entry changed, everyone below
a changed manager link, and the holders of grants given by a changed person.  Each window's
end says what caused it (``cause``: ``grant`` when the employee's entries for that
permission changed in that commit, else ``people``).  ``people_at_rev=True`` restores the
old judge (everyone where they sit at the revision walked).

Only policy rules (``policies/*.yaml``) are audited; the built-in hygiene rules
(self-grant, unknown ids...) describe files, not exposure.  Rules are evaluated one
employee at a time (with the full catalog and people directory), which is exact for
every rule that judges an employee's grants on their own, as all current kinds do.
Each commit is evaluated with ``today`` = its commit date.  A grants file that does
not parse at some commit keeps its last good content for the walk: a broken commit
does not end an exposure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from permgate.analysis.people_history import PeopleWalk, people_blob, read_versions
from permgate.config import Config, load_config
from permgate.engine.evaluation import evaluate
from permgate.errors import ConfigError, LoadError, UsageError
from permgate.git.repo import Commit, GitSource, Repo
from permgate.load import files
from permgate.load.grants import load_grants_file
from permgate.load.source import MemorySource
from permgate.load.workspace import load_catalog, load_people, load_policy_files, load_roles
from permgate.model import GrantsFile, Loc, Permission, Person, PolicyRule, Role, Workspace, changed_roles
from permgate.rules import BUILTIN_BY_ID, POLICY_KINDS, Context

#: what a commit changed that opened or closed an exposure (docs/output-formats.md).  This walk
#: gives ``grant``, ``people`` and ``role`` (a change to roles.yaml changed what a held role gives);
#: ``catalog`` and ``policy`` are reserved for judges that read those at the time too (the catalog and
#: policies are the revision walked's).
Cause = Literal["grant", "people", "catalog", "policy", "role"]


@dataclass(frozen=True)
class CommitRef:
    """Where an exposure started or ended: the commit, its date (YYYY-MM-DD), author, and cause."""

    commit: str
    date: str
    author: str
    cause: Cause = "grant"

    def to_dict(self) -> dict[str, str]:
        return {"commit": self.commit, "date": self.date, "author": self.author, "cause": self.cause}


@dataclass(frozen=True)
class Exposure:
    """One violating grant's time on the branch; ``removed`` is None while it is still there."""

    rule: str
    employee: str
    permission: str | None
    introduced: CommitRef
    removed: CommitRef | None
    days: int
    granted_by: str | None  # what the file claimed when the grant entered
    granted_on: str | None
    path: str
    line: int

    def to_dict(self) -> dict[str, object]:
        """The stable JSON shape (docs/output-formats.md, ``permgate audit``)."""
        return {
            "rule": self.rule,
            "employee": self.employee,
            "permission": self.permission,
            "introduced": self.introduced.to_dict(),
            "removed": self.removed.to_dict() if self.removed else None,
            "days": self.days,
            "granted_by": self.granted_by,
            "granted_on": self.granted_on,
            "path": self.path,
            "line": self.line,
        }


@dataclass(frozen=True)
class Judge:
    """What every commit is judged by (see the module docstring)."""

    config: Config
    catalog: Mapping[str, Permission]
    people: Mapping[str, Person]
    policies: tuple[PolicyRule, ...]
    #: the policy files' ``settings:`` (``granter-authority`` delegates...), as ``check`` applies them
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    settings_locs: Mapping[str, Loc] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditResult:
    exposures: tuple[Exposure, ...]
    judge: Judge
    commits: int  # commits walked
    head: str
    notes: tuple[str, ...] = ()  # what the walk could not read (a people version), and what it did instead


Key = tuple[str, str, str | None]  # (rule, employee, permission)


@dataclass(frozen=True)
class _Hit:
    path: str
    line: int
    granted_by: str | None
    granted_on: str | None


def commit_day(iso: str) -> dt.date:
    """The calendar date of a git ISO timestamp, in the offset it was recorded with."""
    return dt.date.fromisoformat(iso[:10])


def _is_grants_path(rel: str, assignments: str) -> bool:
    prefix = assignments.rstrip("/") + "/" if assignments not in ("", ".") else ""
    if not rel.startswith(prefix) or not rel.lower().endswith(files.YAML_SUFFIXES):
        return False
    return not any(part.startswith(".") for part in rel[len(prefix):].split("/"))


def load_judge(repo: Repo, rev: str) -> Judge:
    """The catalog, people and policies of ``rev``: the rules every commit is judged by."""
    source = GitSource(repo, rev)
    config = load_config(source)
    policies, settings, settings_locs = load_policy_files(source, config)
    judge = Judge(config, load_catalog(source, config), load_people(source, config), policies, settings, settings_locs)
    # validates severity overrides, policy kinds and settings, as `check` does
    evaluate(Workspace(source.label, config.catalog, config.people, judge.catalog, judge.people, (),
                       judge.policies, settings=settings, settings_locs=settings_locs), config, dt.date.today())
    return judge


def fill_from_history(repo: Repo, rev: str, judge: Judge, employees: set[str], permissions: set[str]) -> Judge:
    """Add people and permissions referenced in history but gone at ``rev``, from the newest
    version of the people directory / catalog that still had them."""
    people = dict(judge.people)
    catalog = dict(judge.catalog)
    missing_people = {e for e in employees if e not in people}
    missing_perms = {p for p in permissions if p not in catalog}
    for rel, missing, kind in ((judge.config.people, missing_people, "people"),
                               (judge.config.catalog, missing_perms, "catalog")):
        if not missing:
            continue
        versions = [c for c in reversed(repo.history(rev, under=rel)) if any(ch.new for ch in c.changes)]
        seen_blobs: set[str] = set()
        for commit in versions:
            blob = next((ch.new for ch in commit.changes if ch.path == rel and ch.new), None)
            if blob is None or blob in seen_blobs:
                continue
            seen_blobs.add(blob)
            content = repo.blobs([blob])[blob]
            # cheap pre-filter: parse a version only if one of the missing ids occurs in it
            if not any(m.encode() in content for m in missing):
                continue
            try:
                source = GitSource(repo, commit.id)
                found: Mapping[str, Person | Permission]
                found = load_people(source, judge.config) if kind == "people" else load_catalog(source, judge.config)
            except (ConfigError, LoadError):
                continue  # a version that cannot be read cannot testify
            for ident in sorted(missing & set(found)):
                if kind == "people":
                    people[ident] = found[ident]  # type: ignore[assignment]
                else:
                    catalog[ident] = found[ident]  # type: ignore[assignment]
                missing.discard(ident)
            if not missing:
                break
    return replace(judge, people=people, catalog=catalog)


def select_rules(judge: Judge, rules: Iterable[str] | None) -> tuple[str, ...]:
    """The rule ids to audit: the policy rules by default, or those named (built-in or policy)."""
    declared = [p.id for p in judge.policies]
    if rules is None:
        return tuple(declared)
    wanted = tuple(dict.fromkeys(rules))
    known = set(declared) | set(BUILTIN_BY_ID)
    unknown = [r for r in wanted if r not in known]
    if unknown:
        raise UsageError(f"unknown rule `{unknown[0]}` (see `permgate rules`)")
    return wanted


def _evaluate(judge: Judge, rules: tuple[str, ...], grants_files: Iterable[GrantsFile],
              today: dt.date, people: Mapping[str, Person],
              roles: Mapping[str, Role] | None = None) -> dict[str, dict[Key, _Hit]]:
    """Findings of ``rules`` per employee for these files (all of each employee's files), with
    ``people`` the directory of the time and ``roles`` the roles of the time (role entries expand
    by them: ``Workspace``)."""
    ws = Workspace("", judge.config.catalog, judge.config.people, judge.catalog, people, tuple(grants_files),
                   judge.policies, roles=roles or {}, roles_path=judge.config.roles,
                   settings=judge.settings, settings_locs=judge.settings_locs)
    gfs = ws.files
    ctx = Context(today=today, policies=judge.policies)
    grant_at = {(g.path, g.line): g for gf in gfs for g in gf.grants}
    out: dict[str, dict[Key, _Hit]] = {gf.employee: {} for gf in gfs}
    policies = {p.id: p for p in judge.policies}
    for rule_id in rules:
        policy = policies.get(rule_id)
        found = (POLICY_KINDS[policy.kind].check(ws, policy, ctx) if policy is not None
                 else BUILTIN_BY_ID[rule_id].check(ws, ctx))
        for v in found:
            if v.employee is None:
                continue
            g = grant_at.get((v.path, v.line))
            hit = _Hit(v.path, v.line, g.granted_by if g else None, g.granted_on if g else None)
            out.setdefault(v.employee, {}).setdefault((rule_id, v.employee, v.permission), hit)
    return out


def _walk(repo: Repo, rev: str, config: Config, with_people: bool) -> list[Commit]:
    """The first-parent commits of ``rev`` that touched the assignments folder or (``with_people``)
    the people directory, oldest first; a commit that touched both carries both changes."""
    grants = repo.history(rev, under=config.assignments)
    if not grants:  # (git keeps no empty folders: one emptied later still has history)
        raise ConfigError(config.assignments, 1, 1, f"assignments folder not found in the history of {rev}")
    others = (repo.history(rev, under=config.people) if with_people else []) + repo.history(rev, under=config.roles)
    if not others:
        return grants
    people = others
    order = {sha: i for i, sha in enumerate(repo.git("rev-list", "--first-parent", "--reverse",
                                                        repo.resolve(rev), "--").split())}
    merged = {c.id: c for c in grants}
    for c in people:
        both = merged.get(c.id)
        if both is None:
            merged[c.id] = c
        else:
            seen = {ch.path for ch in both.changes}
            merged[c.id] = replace(both, changes=both.changes + tuple(ch for ch in c.changes if ch.path not in seen))
    return sorted(merged.values(), key=lambda c: order[c.id])


#: the key ``_entries`` keeps an employee's role entries under (never a permission id: ids have no NUL)
ROLE_ENTRIES = "\0roles"


def _entries(files: Iterable[GrantsFile]) -> dict[str, frozenset[tuple[str, str, str, str | None]]]:
    """An employee's grants by permission, without their place: what a grant *is*."""
    out: dict[str, set[tuple[str, str, str, str | None]]] = {}
    for gf in files:
        for g in gf.grants:
            out.setdefault(g.permission, set()).add((g.granted_by, g.granted_on, g.reason, g.expires))
        for g in gf.role_grants:  # a role entry: what it gives is the roles file's (of the time)
            out.setdefault(ROLE_ENTRIES, set()).add((g.role or "", g.granted_by, g.granted_on, g.expires))
    return {k: frozenset(v) for k, v in out.items()}


def _refs(commit: Commit, keys: Iterable[Key], moved: bool, files_before: list[GrantsFile] | None,
          files_after: Iterable[GrantsFile], role_moved: bool = False) -> dict[Key, CommitRef]:
    """Where each of one employee's ``keys`` opened or closed, with its cause: ``grant`` when this commit
    changed that employee's entries for the key's permission (or, for a file-level key, their files),
    else ``people`` when the commit changed the people directory in a way that concerns them (``moved``)."""
    if files_before is not None:
        entries_before, entries_after = _entries(files_before), _entries(files_after)
    out = {}
    for key in keys:
        perm = key[2]
        regranted = files_before is not None and (
            perm is None or entries_before.get(perm) != entries_after.get(perm)
            or entries_before.get(ROLE_ENTRIES) != entries_after.get(ROLE_ENTRIES))
        cause: Cause = "role" if role_moved and not regranted else "people" if moved and not regranted else "grant"
        out[key] = CommitRef(commit.id, commit.commit_date[:10], commit.author, cause)
    return out


def audit(repo: Repo, rev: str = "HEAD", until: dt.date | None = None, since: dt.date | None = None,
          today: dt.date | None = None, rules: Iterable[str] | None = None,
          people_at_rev: bool = False) -> AuditResult:
    """Every exposure to a policy violation on the first-parent history of ``rev``.

    ``until``: ignore commits after that day and count open exposures up to it (default
    ``today``).  ``since``: leave out exposures that had ended before that day.  ``rules``:
    the rule ids to audit (default: every rule the policies declare).  ``people_at_rev``:
    judge every commit by the people directory of ``rev`` instead of the one of the time.
    """
    end = until or today or dt.date.today()
    judge = load_judge(repo, rev)
    selected = select_rules(judge, rules)
    config = judge.config
    commits = _walk(repo, rev, config, not people_at_rev)
    if until is not None:
        last = max((i for i, c in enumerate(commits) if commit_day(c.commit_date) <= until), default=-1)
        commits = commits[:last + 1]

    # every grants blob of the walk, read in one batch and parsed once per (path, blob)
    wanted = [(ch.path, ch.new) for c in commits for ch in c.changes
              if ch.new and ch.mode in ("100644", "100755") and _is_grants_path(ch.path, config.assignments)]
    contents = repo.blobs([blob for _, blob in wanted])
    parsed: dict[tuple[str, str], GrantsFile | None] = {}
    for rel, grants_blob in wanted:
        if (rel, grants_blob) not in parsed:
            gf, _problems = load_grants_file(MemorySource({rel: contents[grants_blob]}), rel, config.max_file_bytes)
            parsed[(rel, grants_blob)] = gf
    del contents

    # every version of the people directory the walk passes, parsed once per blob
    people_commits = {} if people_at_rev else {c.id: blob for c in commits
                                                for changed, blob in [people_blob(c, config.people)] if changed}
    versions = read_versions(repo, config, people_commits.values())

    # every version of roles.yaml the walk passes (a fact of the time, like the people directory)
    role_commits = {c.id: blob for c in commits for changed, blob in [people_blob(c, config.roles)] if changed}
    role_texts = repo.blobs(sorted({b for b in role_commits.values() if b}))
    role_versions: dict[str, dict[str, Role] | ConfigError] = {}
    for role_blob, data in role_texts.items():
        try:
            role_versions[role_blob] = load_roles(MemorySource({config.roles: data}), config)
        except ConfigError as err:
            role_versions[role_blob] = err
    del role_texts

    referenced_people = {gf.employee for gf in parsed.values() if gf}
    referenced_perms = {g.permission for gf in parsed.values() if gf for g in gf.grants}
    referenced_perms |= {p for v in role_versions.values() if isinstance(v, dict) for r in v.values()
                         for p in r.permissions}
    judge = fill_from_history(repo, rev, judge, referenced_people, referenced_perms)

    walk = PeopleWalk(dict(judge.people))
    roles_now: Mapping[str, Role] = {}
    notes: list[str] = []
    current: dict[str, GrantsFile] = {}  # path -> the file as the walk has it now
    by_employee: dict[str, dict[str, GrantsFile]] = {}
    granted_by: dict[str, set[str]] = {}  # granter -> paths of the files with a grant they gave
    held: dict[str, dict[Key, _Hit]] = {}  # employee -> violations now on the branch
    opened: dict[Key, tuple[CommitRef, _Hit]] = {}
    exposures: list[Exposure] = []

    def close(key: Key, ref: CommitRef | None) -> None:
        start, hit = opened.pop(key)
        stop = dt.date.fromisoformat(ref.date) if ref else end
        days = max(0, (stop - dt.date.fromisoformat(start.date)).days)
        exposures.append(Exposure(key[0], key[1], key[2], start, ref, days, hit.granted_by, hit.granted_on,
                                  hit.path, hit.line))

    for commit in commits:
        affected: set[str] = set()
        before: dict[str, list[GrantsFile]] = {}  # the files of employees whose grants this commit changed
        for ch in commit.changes:
            if not _is_grants_path(ch.path, config.assignments):
                continue
            old = current.get(ch.path)
            new = parsed.get((ch.path, ch.new)) if ch.new else None
            if ch.new and new is None and old is not None:
                continue  # unreadable at this commit: keep the last good content
            for gf in (old, new):
                if gf is not None and gf.employee not in before:
                    before[gf.employee] = list(by_employee.get(gf.employee, {}).values())
            if old is not None:
                affected.add(old.employee)
                by_employee.get(old.employee, {}).pop(ch.path, None)
                del current[ch.path]
                for by in {g.granted_by for g in old.grants}:
                    granted_by.get(by, set()).discard(ch.path)
            if new is not None:
                affected.add(new.employee)
                by_employee.setdefault(new.employee, {})[ch.path] = new
                current[ch.path] = new
                for by in {g.granted_by for g in new.grants}:
                    granted_by.setdefault(by, set()).add(ch.path)
        role_moved: set[str] = set()  # holders of a role whose effect this commit changed
        if commit.id in role_commits:
            at_blob = role_commits[commit.id]
            roles_then = role_versions.get(at_blob, {}) if at_blob else {}
            if isinstance(roles_then, ConfigError):
                notes.append(f"{config.roles} at {commit.id[:12]} could not be read: {roles_then}; "
                             f"the walk kept the previous version")
            else:
                touched_roles = changed_roles(roles_then, roles_now)
                roles_now = roles_then
                if touched_roles:
                    role_moved = {e for e, fs in by_employee.items()
                                  if any(g.role in touched_roles for gf in fs.values() for g in gf.role_grants)}
                    affected |= role_moved
        moved: set[str] = set()  # employees re-evaluated because the people directory changed
        if commit.id in people_commits:
            version = next(versions)
            if version is None or isinstance(version, ConfigError):
                why = f": {version}" if isinstance(version, ConfigError) else " (deleted)"
                notes.append(f"{config.people} at {commit.id[:12]} could not be read{why}; "
                             f"the walk kept the previous version")
            else:
                changed, below = walk.apply(version)
                if changed:
                    moved |= changed | below
                    moved |= {current[path].employee for by in changed for path in granted_by.get(by, ())}
                    moved &= by_employee.keys()  # only holders of a grants file can hold a violation
                    affected |= moved
        if not affected:
            continue
        day = commit_day(commit.commit_date)
        touched = (gf for e in sorted(affected) for gf in by_employee.get(e, {}).values())
        found = _evaluate(judge, selected, touched, day, walk.now, roles_now)
        for employee in sorted(affected):
            was = held.get(employee, {})
            after = found.get(employee, {})
            gone, came = was.keys() - after.keys(), after.keys() - was.keys()
            if not gone and not came:
                continue
            refs = _refs(commit, gone | came, employee in moved, before.get(employee),
                         by_employee.get(employee, {}).values(), employee in role_moved)
            for key in sorted(gone, key=str):
                close(key, refs[key])
            for key in sorted(came, key=str):
                opened[key] = (refs[key], after[key])
            if after:
                held[employee] = after
            else:
                held.pop(employee, None)
    for key in sorted(opened, key=str):
        close(key, None)

    if since is not None:
        exposures = [e for e in exposures if e.removed is None or dt.date.fromisoformat(e.removed.date) >= since]
    exposures.sort(key=lambda e: (e.introduced.date, e.employee, e.permission or "", e.rule, e.path, e.line))
    return AuditResult(tuple(exposures), judge, len(commits), repo.resolve(rev), tuple(notes))
