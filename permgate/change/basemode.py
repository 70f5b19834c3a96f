"""``permgate check --base REF``: the findings a change introduces, under a gate it cannot weaken.

    tree at HEAD (GitSource) --- load ----> head workspace --+
                                                              +-- rules of BOTH sides,
    tree at REF (GitSource) ---- load ----> base workspace --+   stricter severity of both
                                                              |
    git diff REF HEAD (Repo.changes) -----> ChangeSet -------+--> Context.base / Context.change

Both sides are read from git objects with the same loader (``GitSource``), never from the
working tree: what merges is the committed blob, and a checkout filter (``.gitattributes``:
``filter=``, ``ident``, ``working-tree-encoding=``) rewrites the working tree's copy.  The
head is ``HEAD`` unless ``--head REV`` names another commit; the change is ``git diff
REF..HEAD``, tree to tree.

Both workspaces are evaluated with the union of their policy rules and the stricter of
their severities (and the working tree once more with the base's rule ``settings:`` when
they differ), so deleting or loosening a rule in the change does not switch it off for the
change.  A head finding is *new* unless the base has a finding with the same
key: rule + employee + permission, or rule + path for file-level findings (rule + path +
message when that file itself changed).  Keys are counted, so a second copy of a finding
is new.  Rules that judge the change itself (``policy-change``...) read the base
workspace and the ``ChangeSet`` from the ``Context``; they stay silent without ``--base``.

A change that touches only grants files (and files the gate never reads) is judged
incrementally: ``permgate.change.incremental`` re-evaluates only the employees it touches, at both
revisions, through ``judge`` below; the findings of every other employee are the same on
both sides, so they cannot be new.  Anything else takes the full path here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from permgate.change.incremental import check_scoped
from permgate.change.judge import BaseOutcome, judge
from permgate.config import CONFIG_NAME, Config, load_config
from permgate.errors import ConfigError, UsageError
from permgate.git.repo import GitSource, Repo
from permgate.load.source import Source
from permgate.load.workspace import load_workspace
from permgate.model import Workspace
from permgate.runtime import cache as caching

T = TypeVar("T")


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


def check_against_base(root: str, ref: str, today: dt.date, cache: caching.Cache | None = None,
                       incremental: bool = True, head: str = "HEAD",
                       refuse_nothing_to_judge: bool = False) -> BaseOutcome:
    """Evaluate the commit ``head`` of the repository at ``root`` against git revision ``ref``.

    Both sides are read from git objects (``GitSource``); the working tree is never read.

    With ``incremental`` (the default) a change that ``permgate.change.incremental`` can judge
    exactly is judged by re-evaluating only the employees it touches (``BaseOutcome.scope``);
    any other change, or ``incremental=False``, loads and evaluates both trees in full.
    ``cache`` keeps the index that makes the first cheap (``None``: built in memory).
    ``refuse_nothing_to_judge`` (the command line): ``UsageError`` when ``ref`` and ``head`` are
    the same commit while tracked files under ``root`` are uncommitted, which would judge nothing.
    """
    if not os.path.isdir(root):
        raise UsageError(f"--root {root}: not a directory")
    repo = Repo(root)
    commit = repo.resolve(ref)
    head_commit = repo.resolve(head)
    if refuse_nothing_to_judge and commit == head_commit and repo.uncommitted():
        # e.g. `args: [--base, HEAD]` in a pre-commit hook: the staged change is not a commit yet
        raise UsageError(f"--base {ref} and --head {head} are the same commit ({commit[:12]}): there is no "
                         f"change to judge, and --base reads commits, not the uncommitted changes under "
                         f"{root}; in a pre-commit hook use the baseline (docs/ci.md)")
    # only permgate.yaml is read here: the head's whole tree is listed when the full path needs it
    head_config = load_config(GitSource(repo, head_commit, label=root, tree=repo.entries(head_commit, [CONFIG_NAME])))
    changes = tuple(repo.changes(commit, head_commit))
    declined: str | None = "not asked for"
    if incremental:
        scoped = check_scoped(repo, commit, ref, root, head_config, changes, today, cache, head_commit)
        if isinstance(scoped, BaseOutcome):
            return scoped
        declined = scoped
    head_source = GitSource(repo, head_commit, label=root)
    base_source = GitSource(repo, commit, label=ref)
    base_config = _at_base(ref, lambda: load_config(base_source))
    base_ws, base_empty = load_base(base_source, base_config, ref)
    head_has_policies = head_source.exists(head_config.policies)
    if not head_has_policies and not base_source.is_dir(base_config.policies):
        raise ConfigError(head_config.policies, 1, 1,
                          f"policies folder not found, here or at {ref}; without policies nothing guards the boundary")
    # a change may delete every grants file (git keeps no empty folders): judged, everything revoked;
    # only when the base has the folder at the same path (a mistyped paths.assignments stays an error)
    head_empty = [head_config.policies]
    if head_config.assignments == base_config.assignments and base_source.is_dir(base_config.assignments):
        head_empty.append(head_config.assignments)
    head_ws = load_workspace(_WithEmptyDirs(head_source, head_empty), head_config)
    return judge(repo, commit, ref, changes, head_ws, base_ws, head_config, base_config, base_empty, today,
                 declined=declined)
