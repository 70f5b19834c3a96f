"""``permgate report --html OUT``: the access matrix, the findings and the exposure timeline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from dataclasses import dataclass
from urllib.parse import quote

from permgate.analysis.audit import AuditResult, audit
from permgate.analysis.matrix import access_matrix
from permgate.commands import EXIT_CLEAN, Outcome
from permgate.config import load_config
from permgate.edit.atomic import write_atomic
from permgate.engine.evaluation import evaluate
from permgate.errors import GitError
from permgate.git.repo import Repo
from permgate.load.workspace import load_workspace
from permgate.reporters.html import HtmlReport, render_html
from permgate.runtime import parallel


@dataclass(frozen=True)
class ReportSettings:
    html: str
    root: str = "."
    today: dt.date | None = None
    link_base: str | None = None  # default: relative links from the page to the files
    history: bool = True


def relative_link_base(root: str, out: str) -> str:
    """The folder of the grants repository as seen from the page, as a URL prefix."""
    rel = os.path.relpath(os.path.abspath(root), os.path.dirname(os.path.abspath(out)))
    rel = rel.replace(os.sep, "/")
    return "" if rel == "." else quote(rel) + "/"


def _history(root: str, today: dt.date) -> tuple[AuditResult | None, str]:
    try:
        repo = Repo(root)
        repo.resolve("HEAD")
    except GitError as err:
        return None, f"No exposure timeline: {err}."
    return audit(repo, "HEAD", today=today), ""


def _timeline(root: str, today: dt.date) -> tuple[AuditResult | None, str]:
    """``_history`` with the judge cut down to what the page shows of it (the people and
    permissions the exposures name), so that it crosses a pipe cheaply."""
    result, note = _history(root, today)
    if result is None:
        return result, note
    judge = result.judge
    people = {e.employee for e in result.exposures}
    perms = {e.permission for e in result.exposures}
    shown = dataclasses.replace(judge, people={p: judge.people[p] for p in people if p in judge.people},
                                catalog={p: judge.catalog[p] for p in perms if p is not None and p in judge.catalog})
    return dataclasses.replace(result, judge=shown), note


def run_report(settings: ReportSettings) -> Outcome:
    today = settings.today or dt.date.today()
    # the history walk reads git, not the workspace: in a child, while this process loads and judges
    # (a failure there is run again here, after the workspace's own errors, as in the plain order)
    history = parallel.Ahead(functools.partial(_timeline, settings.root, today)) if settings.history else None
    try:
        config = load_config(settings.root)
        ws = load_workspace(settings.root, config)
        findings = tuple(evaluate(ws, config, today))
        if history is not None:
            result, note = history.result()
        else:
            result, note = None, "No exposure timeline: --no-history."
    except BaseException:
        if history is not None:
            history.discard()
        raise
    base = settings.link_base if settings.link_base is not None else relative_link_base(settings.root, settings.html)
    title = os.path.basename(os.path.abspath(settings.root))
    page = render_html(HtmlReport(ws, access_matrix(ws), findings, today, base, result, note, title))
    write_atomic(os.path.abspath(settings.html), page.encode("utf-8"))
    n = len(result.exposures) if result else 0
    text = (f"wrote {settings.html}: {sum(len(f.grants) for f in ws.files)} grants, {len(findings)} findings, "
            f"{n} exposures\n")
    return Outcome(text, EXIT_CLEAN)
