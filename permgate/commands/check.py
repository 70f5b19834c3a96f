"""``permgate check``: load, evaluate, render."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from permgate import cache as caching
from permgate.commands import EXIT_CLEAN, EXIT_FINDINGS, Outcome
from permgate.config import load_config
from permgate.engine import evaluate, rule_catalogue
from permgate.findings import Finding, at_or_above
from permgate.load.bulk import Progress, Tuning, no_gc
from permgate.load.workspace import load_workspace
from permgate.reporters import REPORTERS, Report


@dataclass(frozen=True)
class CheckSettings:
    root: str = "."
    format: str = "text"
    fail_on: str = "error"
    today: dt.date | None = None
    color: bool = False
    #: how to get there (never what is found): the cache and worker processes
    use_cache: bool = True
    cache_dir: str | None = None
    jobs: int | None = None


def exit_code(findings: tuple[Finding, ...] | list[Finding], fail_on: str) -> int:
    """Waived findings never fail the run."""
    return EXIT_FINDINGS if any(f.waived is None and at_or_above(f.severity, fail_on) for f in findings) \
        else EXIT_CLEAN


def run_check(settings: CheckSettings, progress: Progress | None = None) -> Outcome:
    """Check the tree at ``settings.root``; ``progress(done, total)`` hears about loading."""
    started = caching.now()
    today = settings.today or dt.date.today()
    cache = caching.Cache(settings.cache_dir or caching.default_dir()) if settings.use_cache else None
    run_key = None
    if cache is not None and _cacheable(settings):
        # everything the output depends on: the settings (today resolved) and the tree
        run_key = caching.tree_key(settings.root, repr(dataclasses.replace(settings, today=today)), started)
        if run_key is not None:
            hit = cache.get_run(run_key)
            if hit is not None:
                return Outcome(hit[0], hit[2], hit[1])
    outcome = _check(settings, today, Tuning(jobs=settings.jobs, cache=cache, progress=progress))
    if cache is not None and run_key is not None:
        cache.put_run(run_key, outcome.stdout, outcome.stderr, outcome.exit_code)
    return outcome


def _cacheable(settings: CheckSettings) -> bool:
    """Whole runs are cached only when the output depends on the tree alone (not on git)."""
    return getattr(settings, "base", None) is None


def _check(settings: CheckSettings, today: dt.date, tuning: Tuning) -> Outcome:
    config = load_config(settings.root)
    with no_gc():
        ws = load_workspace(settings.root, config, tuning)
        findings = tuple(evaluate(ws, config, today))
    report = Report(
        findings=findings,
        rules=tuple(rule_catalogue(ws, config)),
        files=len(ws.files) + len({p.path for p in ws.problems} - {f.path for f in ws.files}),
        grants=sum(len(f.grants) for f in ws.files),
        color=settings.color,
    )
    return Outcome(REPORTERS[settings.format](report), exit_code(findings, settings.fail_on))
