"""``permgate check --base REF``: the findings a change introduces, under a gate it cannot weaken.

    working tree (FsSource) ---- load ----> head workspace --+
                                                              +-- rules of BOTH sides,
    tree at REF (GitSource) ---- load ----> base workspace --+   stricter severity of both
                                                              |
    git diff REF (Repo.changes) ----------> ChangeSet -------+--> Context.base / Context.change

Both workspaces are evaluated with the union of their policy rules and the stricter of
their severities (and the working tree once more with the base's rule ``settings:`` when
they differ), so deleting or loosening a rule in the change does not switch it off for the
change.  A head finding is *new* unless the base has a finding with the same
key: rule + employee + permission, or rule + path for file-level findings (rule + path +
message when that file itself changed).  Keys are counted, so a second copy of a finding
is new.  Rules that judge the change itself (``policy-change``...) read the base
workspace and the ``ChangeSet`` from the ``Context``; they stay silent without ``--base``.

A change that touches only grants files (and files the gate never reads) is judged
incrementally: ``permgate.incremental`` re-evaluates only the employees it touches, at both
revisions, through ``judge`` below; the findings of every other employee are the same on
both sides, so they cannot be new.  Anything else takes the full path here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from permgate import cache as caching
from permgate.changeset import ChangeSet
from permgate.config import Config, load_config
from permgate.engine import RuleInfo, evaluate, rule_catalogue
from permgate.errors import ConfigError, UsageError
from permgate.findings import SEVERITY_RANK, Finding, Related
from permgate.gitrepo import Change, GitSource, Repo
from permgate.load.source import FsSource, Source
from permgate.load.workspace import load_workspace
from permgate.model import PolicyRule, Workspace
from permgate.rules import BUILTIN_BY_ID

T = TypeVar("T")

#: rules that describe the change itself rather than judge grants
_DESCRIBE_CHANGE = frozenset({"policy-change", "policy-changed-with-grants"})


class _WithEmptyDirs:
    """A ``Source`` that shows the given folders as empty when they do not exist.

    A change may delete the last policy file (git keeps no empty folders), and a base may
    predate ``policies/``; both are judged, not refused.
    """

    def __init__(self, inner: Source, folders: Iterable[str]) -> None:
        self.inner = inner
        self.label = inner.label
        self.missing = {f for f in folders if not inner.exists(f)}

    def __getattr__(self, name: str) -> Any:  # methods the Source protocol may gain later
        return getattr(self.inner, name)

    def read_bytes(self, rel: str, max_bytes: int) -> bytes:
        return self.inner.read_bytes(rel, max_bytes)

    def exists(self, rel: str) -> bool:
        return rel in self.missing or self.inner.exists(rel)

    def is_dir(self, rel: str) -> bool:
        return rel in self.missing or self.inner.is_dir(rel)

    def list_files(self, rel_dir: str) -> list[str]:
        return [] if rel_dir in self.missing else self.inner.list_files(rel_dir)

    def walk_yaml(self, rel_dir: str) -> tuple[list[str], list[tuple[str, str]]]:
        return ([], []) if rel_dir in self.missing else self.inner.walk_yaml(rel_dir)

    def content_id(self, rel: str) -> str | None:
        return self.inner.content_id(rel)


@dataclass(frozen=True)
class BaseOutcome:
    """What ``--base`` mode found: ``new`` is reported, ``preexisting`` only counted."""

    new: tuple[Finding, ...]
    preexisting: tuple[Finding, ...]
    head: Workspace
    base: Workspace
    change: ChangeSet
    rules: tuple[RuleInfo, ...]
    #: the grants repository's root inside the git repository ("" at the top, else "sub/")
    prefix: str
    #: set when only the employees the change touches were re-evaluated (``permgate.incremental``)
    scope: Scope | None = None
    #: why the whole of both trees was evaluated instead (None when ``scope`` is set)
    declined: str | None = None


@dataclass(frozen=True)
class Scope:
    """What an incremental ``--base`` run re-evaluated: ``head``/``base`` hold only these files."""

    #: the employees whose findings were computed (every file of each, at both revisions)
    employees: tuple[str, ...]
    head_files: tuple[str, ...]
    base_files: tuple[str, ...]
    #: how the base's employee index was had: ``cached``, ``built`` (and stored) or ``memory`` (no cache)
    index: str


def _at_base(ref: str, load: Callable[[], T]) -> T:
    try:
        return load()
    except ConfigError as err:
        raise ConfigError(err.path, err.line, err.column, f"{err.detail} (in the base, --base {ref})") from None


def _empty(source: Source, config: Config) -> Workspace:
    return Workspace(root=source.label, catalog_path=config.catalog, people_path=config.people,
                     catalog={}, people={}, files=(), policies=())


def load_base(source: Source, config: Config, ref: str) -> tuple[Workspace, bool]:
    """The workspace at the base, and whether the base has a grants repository at all.

    A base without catalog and people (the change creates the grants repository) is
    empty: every finding is new.  A base without ``policies/`` or ``assignments/`` has
    no rules or no grants.  Anything else unusable at the base is an ``Error``.
    """
    if not source.exists(config.catalog) and not source.exists(config.people):
        return _empty(source, config), True
    wrapped = _WithEmptyDirs(source, (config.policies, config.assignments))
    return _at_base(ref, lambda: load_workspace(wrapped, config)), False


def union_policies(head: tuple[PolicyRule, ...], base: tuple[PolicyRule, ...]) -> tuple[PolicyRule, ...]:
    """The rules of both sides: head's, then every base rule whose declaration differs."""
    def same(a: PolicyRule, b: PolicyRule) -> bool:
        return (a.id, a.kind, a.severity, a.waivable, dict(a.params)) == (b.id, b.kind, b.severity, b.waivable,
                                                                         dict(b.params))
    out = list(head)
    for b in base:
        if not any(same(b, h) for h in head):
            out.append(b)
    return tuple(out)


def _stricter(a: str, b: str) -> str:
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b


def strictest_config(head: Config, base: Config, policies: tuple[PolicyRule, ...]) -> Config:
    """``head`` with every severity override raised to the stricter of both sides' effective one."""
    merged: dict[str, str] = {}
    for rid in sorted(set(head.severity) | set(base.severity)):
        defaults = [p.severity for p in policies if p.id == rid]
        if rid in BUILTIN_BY_ID:
            defaults.append(BUILTIN_BY_ID[rid].default_severity)
        default = max(defaults, key=lambda s: SEVERITY_RANK[s], default="note")
        merged[rid] = _stricter(head.severity.get(rid, default), base.severity.get(rid, default))
    lines = dict(base.severity_lines)
    lines.update(head.severity_lines)
    return dataclasses.replace(head, severity=merged, severity_lines=lines)


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per place, rule and message (two versions of a rule may both flag it): the strictest."""
    best: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        k = (f.rule, f.path, f.line, f.column, f.employee, f.permission, f.message)
        if k not in best or SEVERITY_RANK[f.severity] > SEVERITY_RANK[best[k].severity]:
            best[k] = f
    return sorted(best.values(), key=Finding.sort_key)


def finding_key(f: Finding, changed: frozenset[str]) -> tuple[str, ...]:
    """What makes two findings "the same" across base and change (docs/output-formats.md)."""
    if f.permission is not None:
        return (f.rule, f.employee or "", f.permission)
    if f.path in changed:
        return (f.rule, f.path, f.message)
    return (f.rule, f.path)


def split_new(head: list[Finding], base: list[Finding], changed: frozenset[str]) -> tuple[list[Finding],
                                                                                          list[Finding]]:
    """(new, pre-existing): a head finding is pre-existing while the base has one more of its key."""
    available = Counter(finding_key(f, changed) for f in base)
    new: list[Finding] = []
    old: list[Finding] = []
    # findings in files the change did not touch are matched first, so extras land in changed files
    for f in sorted(head, key=lambda f: (f.path in changed, f.sort_key())):
        k = finding_key(f, changed)
        if available[k] > 0:
            available[k] -= 1
            old.append(f)
        else:
            new.append(f)
    return sorted(new, key=Finding.sort_key), sorted(old, key=Finding.sort_key)


def _explain_change(f: Finding, head: Workspace, base: Workspace, changed: frozenset[str]) -> Finding:
    """Add the directory or catalog line a finding in an untouched file owes to the change."""
    if f.path in changed:
        return f
    notes: dict[tuple[str, int], tuple[Related, str]] = {}
    after_p = head.people.get(f.employee or "")
    before_p = base.people.get(f.employee or "")
    if after_p is not None and before_p is not None and (after_p.division, after_p.manager) != (
            before_p.division, before_p.manager):
        text = (f"{after_p.label} moves from {before_p.division} to {after_p.division} in this change"
                if before_p.division != after_p.division else f"{after_p.label}'s manager changes in this change")
        loc = after_p.loc
        notes[(loc.path, loc.line)] = (Related(loc.path, loc.line, loc.column, text), text)
    after_c = head.catalog.get(f.permission or "")
    before_c = base.catalog.get(f.permission or "")
    if after_c is not None and before_c is not None and after_c != dataclasses.replace(before_c, loc=after_c.loc):
        text = (f"{after_c.label} changes in this change (owner_division {before_c.owner_division} -> "
                f"{after_c.owner_division})")
        loc = after_c.loc
        notes[(loc.path, loc.line)] = (Related(loc.path, loc.line, loc.column, text), text)
    if not notes:
        return f
    related = []
    for r in f.related:  # a line the rule already cites gets the change said next to it
        note = notes.pop((r.path, r.line), None)
        related.append(r._replace(message=f"{r.message}; {note[1]}") if note else r)
    related.extend(rel for rel, _ in notes.values())
    return dataclasses.replace(f, related=tuple(related))


def check_against_base(root: str, ref: str, today: dt.date, cache: caching.Cache | None = None,
                       incremental: bool = True) -> BaseOutcome:
    """Evaluate the working tree at ``root`` against git revision ``ref``.

    With ``incremental`` (the default) a change that ``permgate.incremental`` can judge
    exactly is judged by re-evaluating only the employees it touches (``BaseOutcome.scope``);
    any other change, or ``incremental=False``, loads and evaluates both trees in full.
    ``cache`` keeps the index that makes the first cheap (``None``: built in memory).
    """
    if not os.path.isdir(root):
        raise UsageError(f"--root {root}: not a directory")
    repo = Repo(root)
    commit = repo.resolve(ref)
    head_source = FsSource(root)
    head_config = load_config(head_source)
    changes = tuple(repo.changes(commit))
    declined: str | None = "not asked for"
    if incremental:
        from permgate.incremental import check_scoped  # it builds on this module

        scoped = check_scoped(repo, commit, ref, root, head_config, changes, today, cache)
        if isinstance(scoped, BaseOutcome):
            return scoped
        declined = scoped
    base_source = GitSource(repo, commit, label=ref)
    base_config = _at_base(ref, lambda: load_config(base_source))
    base_ws, base_empty = load_base(base_source, base_config, ref)
    head_has_policies = head_source.exists(head_config.policies)
    if not head_has_policies and not base_source.is_dir(base_config.policies):
        raise ConfigError(head_config.policies, 1, 1,
                          f"policies folder not found, here or at {ref}; without policies nothing guards the boundary")
    head_ws = load_workspace(_WithEmptyDirs(head_source, (head_config.policies,)), head_config)
    return judge(repo, commit, ref, changes, head_ws, base_ws, head_config, base_config, base_empty, today,
                 declined=declined)


def judge(repo: Repo, commit: str, ref: str, changes: tuple[Change, ...], head_ws: Workspace, base_ws: Workspace,
          head_config: Config, base_config: Config, base_empty: bool, today: dt.date,
          scope: Scope | None = None, declined: str | None = None) -> BaseOutcome:
    """Both workspaces (whole, or employee-closed parts of them) evaluated and split into new and pre-existing."""
    change = ChangeSet(
        base_ref=ref, base_commit=commit, changes=changes,
        base_config=base_config, head_config=head_config,
        base_policies=base_ws.policies, head_policies=head_ws.policies, base_empty=base_empty,
    )
    policies = union_policies(head_ws.policies, base_ws.policies)
    if not policies:
        raise ConfigError(head_config.policies, 1, 1, f"no policy rules are declared, here or at {ref}; "
                          "without them nothing guards the boundary")
    config = strictest_config(head_config, base_config, policies)
    head_eval = dataclasses.replace(head_ws, policies=policies)
    base_eval = dataclasses.replace(base_ws, policies=policies)
    head_all = evaluate(head_eval, config, today, base=base_ws, change=change)
    if dict(head_ws.settings) != dict(base_ws.settings):
        # the rules' settings as the base has them still apply: a finding under either counts
        with_base_settings = dataclasses.replace(head_eval, settings=base_ws.settings,
                                                 settings_locs=base_ws.settings_locs)
        # if the base's settings no longer fit the data (a delegate left), the change's own apply
        with contextlib.suppress(ConfigError):
            # the gate-change rules describe the real change, once, from the first pass
            head_all += [f for f in evaluate(with_base_settings, config, today, base=base_ws, change=change)
                         if f.rule not in _DESCRIBE_CHANGE]
    head_findings = _dedupe(head_all)
    base_findings = _dedupe(evaluate(base_eval, config, today))
    changed = change.paths()
    new, old = split_new(head_findings, base_findings, changed)
    new = [_explain_change(f, head_ws, base_ws, changed) for f in new]
    seen: set[str] = set()
    rules = []
    for info in rule_catalogue(head_eval, config):
        if info.id not in seen:
            seen.add(info.id)
            rules.append(info)
    return BaseOutcome(tuple(new), tuple(old), head_ws, base_ws, change, tuple(rules), repo.prefix,
                       scope=scope, declined=declined)
