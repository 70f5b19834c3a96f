"""``permgate impact --base REF``: who gains and who loses which effective permission (analysis/impact.py)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from permgate.analysis import impact
from permgate.commands import EXIT_CLEAN, Outcome
from permgate.config import load_config
from permgate.git.repo import GitSource, Repo
from permgate.load.workspace import load_workspace


@dataclass(frozen=True)
class ImpactSettings:
    base: str
    root: str = "."
    head: str = "HEAD"
    format: str = "text"
    today: dt.date | None = None  # grants expired on this date give no access (default: today)


def render(found: list[impact.AccessChange], base: str, fmt: str) -> str:
    summary = impact.summary(found)
    if fmt == "json":
        doc = {"version": impact.VERSION, "base": base, "changes": [c.to_dict() for c in found], "summary": summary}
        return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    head = (f"{summary['employees_gaining']} people gain access ({summary['gained']} grants), "
            f"{summary['employees_losing']} lose access ({summary['lost']}) since {base}")
    if fmt == "markdown":
        lines = ["### Access impact", "", head + ".", ""]
        if found:
            lines += ["| permission | gained | lost |", "|---|---:|---:|"]
            lines += [f"| {p} | {c['gained']} | {c['lost']} |" for p, c in summary["by_permission"].items()]
            lines += ["", "| division | gained | lost |", "|---|---:|---:|"]
            lines += [f"| {d} | {c['gained']} | {c['lost']} |" for d, c in summary["by_division"].items()]
        return "\n".join(lines) + "\n"
    lines = [f"{c.change} {c.permission} {c.employee} ({c.division or 'unknown division'}) via {', '.join(c.via)}"
             for c in found]
    lines.append(head)
    return "\n".join(lines) + "\n"


def run_impact(settings: ImpactSettings) -> Outcome:
    repo = Repo(settings.root)
    head_source = GitSource(repo, settings.head, label=settings.root)
    base_source = GitSource(repo, settings.base, label=settings.base)
    head = load_workspace(head_source, load_config(head_source))
    base = load_workspace(base_source, load_config(base_source))
    today = (settings.today or dt.date.today()).isoformat()
    return Outcome(render(impact.changes(head, base, today), settings.base, settings.format), EXIT_CLEAN)
