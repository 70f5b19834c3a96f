"""``permgate report --html OUT``: the access matrix, the findings and the exposure timeline."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from urllib.parse import quote

from permgate.analysis.audit import AuditResult, audit
from permgate.analysis.matrix import access_matrix
from permgate.commands import EXIT_CLEAN, Outcome
from permgate.config import load_config
from permgate.edit.atomic import write_atomic
from permgate.engine.evaluation import evaluate, rule_catalogue
from permgate.engine.grouping import boundary_first, group
from permgate.errors import GitError
from permgate.git.repo import Repo
from permgate.load.workspace import load_workspace
from permgate.reporters.html import HtmlReport, render_html


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


def run_report(settings: ReportSettings) -> Outcome:
    config = load_config(settings.root)
    ws = load_workspace(settings.root, config)
    today = settings.today or dt.date.today()
    rules = rule_catalogue(ws, config)
    # one finding per grant that crosses the boundary, and those first: what the page is about
    findings = tuple(boundary_first(group(evaluate(ws, config, today), rules), rules))
    if settings.history:
        result, note = _history(settings.root, today)
    else:
        result, note = None, "No exposure timeline: --no-history."
    base = settings.link_base if settings.link_base is not None else relative_link_base(settings.root, settings.html)
    title = os.path.basename(os.path.abspath(settings.root))
    page = render_html(HtmlReport(ws, access_matrix(ws), findings, today, base, result, note, title))
    write_atomic(os.path.abspath(settings.html), page.encode("utf-8"))
    n = len(result.exposures) if result else 0
    text = (f"wrote {settings.html}: {sum(len(f.grants) for f in ws.files)} grants, {len(findings)} findings, "
            f"{n} exposures\n")
    return Outcome(text, EXIT_CLEAN)
