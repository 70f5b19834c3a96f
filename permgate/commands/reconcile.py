"""``permgate reconcile``: the system of record's export compared with the grants repository.

Loads the repository (working tree, or ``--rev REV`` through ``GitSource``), reads the export
(``permgate.load.access``), asks the git history which of the grants the system holds and git does
not were revoked in git (``permgate.git.revocations``), and runs the reconcile rules and the policy
rules through ``permgate.engine.reconcile``.  The output is ``check``'s (docs/output-formats.md).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace

from permgate.commands import Outcome
from permgate.commands.check import exit_code, require_policy_rules
from permgate.config import Config, load_config
from permgate.engine import evaluation
from permgate.engine.chunked import per_chunk
from permgate.engine.reconcile import ChunkSide, in_chunk, reconcile, reconcile_split, splits, undeclared_pairs
from permgate.errors import GitError
from permgate.git.repo import GitSource, Repo
from permgate.git.revocations import revocations
from permgate.load.access import read_access
from permgate.load.bulk import Tuning
from permgate.load.source import FsSource, Source
from permgate.load.workspace import fs_source, grants_paths, load_frame, load_workspace
from permgate.model import ActualAccess, Workspace
from permgate.reporters import REPORTERS, Report


@dataclass(frozen=True)
class ReconcileSettings:
    actual: str
    root: str = "."
    format: str = "text"
    fail_on: str = "error"
    today: dt.date | None = None
    color: bool = False
    #: a git revision to compare instead of the working tree
    rev: str | None = None


def display_path(path: str, root: str) -> str:
    """The export's path in findings: relative to the root when it lies inside it, else as given."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return path if rel == ".." or rel.startswith(".." + os.sep) else rel.replace(os.sep, "/")


def undeclared(ws: Workspace, actual: ActualAccess) -> set[tuple[str, str]]:
    """The (employee, permission) pairs the system holds and no grants file grants."""
    out: set[tuple[str, str]] = set()
    for employee, held in actual.held.items():
        granted = {g.permission for g in ws.grants_of(employee)}
        out.update((employee, p) for p in held if p not in granted)
    return out


#: False: the plain way (the whole workspace in this process) instead of the chunks; tests compare the two
CHUNKED = True
#: Tests set this to force tiny chunks (``engine.chunked.per_chunk``); None: sized by the run.
CHUNK_FILES: int | None = None


def _in_chunks(source: FsSource, config: Config, settings: ReconcileSettings, today: dt.date
               ) -> tuple[Workspace, ActualAccess, list[ChunkSide], set[tuple[str, str]]] | None:
    """The plain way's workspace load and comparison with the grants files in the chunks of the split check
    (``engine.chunked.per_chunk``, no rule of ``check`` run): the export is read here first, so that the
    workers have it; each compares its chunk's grants with it (``engine.reconcile.in_chunk``) and sends back
    only its findings and undeclared pairs, never its grants.  Returns the frame (the workspace without its
    grants files), the export, the chunks' results and the undeclared pairs; None when the chunks decline
    (an employee split across chunks...), and the plain way runs."""
    frame = load_frame(source, config)
    paths, _ = grants_paths(source, config)  # refused files hold no grant (load_grants: problems only)
    require_policy_rules(frame.policies, config.policies)
    actual = read_access(settings.actual, display_path(settings.actual, settings.root), config)
    if not splits(frame):
        return None
    evaluation.check_config(frame, config)
    sides = per_chunk(source, frame, config, today, paths,
                      lambda ws, _findings: in_chunk(actual, config, today, ws), Tuning(), CHUNK_FILES, judge=False)
    if sides is None:
        return None
    return frame, actual, sides, undeclared_pairs(actual, sides)


def run_reconcile(settings: ReconcileSettings) -> Outcome:
    today = settings.today or dt.date.today()
    repo: Repo | None
    try:
        repo = Repo(settings.root)
    except GitError:
        repo = None  # not in git: no history to name revocations from
    source: Source
    if settings.rev is not None:
        if repo is None:
            raise GitError(f"--rev {settings.rev}: {settings.root} is not inside a git repository")
        source = GitSource(repo, settings.rev)
    else:
        source = fs_source(settings.root)
    config = load_config(source)
    split = _in_chunks(source, config, settings, today) if CHUNKED and isinstance(source, FsSource) else None
    if split is not None:
        ws, actual, sides, missing = split
        files, grants = sum(side.files for side in sides), sum(side.grants for side in sides)
    else:
        ws = load_workspace(source, config)
        require_policy_rules(ws.policies, config.policies)
        actual = read_access(settings.actual, display_path(settings.actual, settings.root), config)
        missing = undeclared(ws, actual)
        files, grants = len(ws.files), sum(len(f.grants) for f in ws.files)
    if missing and repo is not None:
        try:
            found = revocations(repo, settings.rev or "HEAD", config.assignments, missing)
        except GitError:
            found = {}  # a repository without commits yet: nothing was ever revoked in it
        actual = replace(actual, revocations=found)
    if split is not None:
        findings = tuple(reconcile_split(ws, actual, config, today, sides, missing))
    else:
        findings = tuple(reconcile(ws, actual, config, today))
    report = Report(
        findings=findings,
        rules=tuple(evaluation.rule_catalogue(ws, config)),
        files=files,
        grants=grants,
        color=settings.color,
        extra_summary={"actual": {"path": actual.path, "rows": actual.rows}},
        path_prefix=repo.prefix if repo is not None and settings.format in ("sarif", "github") else "",
    )
    return Outcome(REPORTERS[settings.format](report), exit_code(findings, settings.fail_on))
