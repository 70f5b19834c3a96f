"""``permgate audit`` output: text, JSON and markdown renderings of the exposure windows.

The JSON shape is a stable contract (docs/output-formats.md): fields are only added.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from permgate.analysis.audit import AuditResult, Exposure


def _who(result: AuditResult, employee: str) -> str:
    person = result.judge.people.get(employee)
    return person.label if person else employee


def _what(result: AuditResult, permission: str | None) -> str:
    if permission is None:
        return "-"
    perm = result.judge.catalog.get(permission)
    return perm.label if perm else permission


def _window(e: Exposure) -> str:
    return f"{e.introduced.date}..{e.removed.date if e.removed else 'still present'}"


def render_json(result: AuditResult) -> str:
    doc = {"exposures": [e.to_dict() for e in result.exposures]}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _summary(result: AuditResult) -> str:
    still = sum(1 for e in result.exposures if e.removed is None)
    n = len(result.exposures)
    return (f"{n} exposure{'' if n == 1 else 's'} ({still} still present) in {result.commits} "
            f"commit{'' if result.commits == 1 else 's'} up to {result.head[:12]}")


def render_text(result: AuditResult) -> str:
    lines = []
    for e in result.exposures:
        removed = (f"removed {e.removed.commit[:12]} by {e.removed.author}" if e.removed
                   else "still present")
        lines.append(f"{e.path}:{e.line}: {e.rule}: {_who(result, e.employee)} held {_what(result, e.permission)} "
                     f"{_window(e)} ({e.days} days); entered {e.introduced.commit[:12]} by {e.introduced.author}, "
                     f"{removed}; the file claimed granted by {e.granted_by or '-'} on {e.granted_on or '-'}")
    lines.append(_summary(result))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(result: AuditResult) -> str:
    out = ["# Exposure audit", "", _summary(result) + ".", ""]
    if not result.exposures:
        return "\n".join(out)
    out += [
        "| rule | employee | permission | entered | removed | days | granted by (claimed) | granted on (claimed) "
        "| where |",
        "|---|---|---|---|---|---:|---|---|---|",
    ]
    for e in result.exposures:
        entered = f"{e.introduced.date} `{e.introduced.commit[:12]}` {e.introduced.author}"
        removed = f"{e.removed.date} `{e.removed.commit[:12]}` {e.removed.author}" if e.removed else "still present"
        cells = [e.rule, _who(result, e.employee), _what(result, e.permission), entered, removed, str(e.days),
                 e.granted_by or "-", e.granted_on or "-", f"`{e.path}:{e.line}`"]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(out) + "\n"


AUDIT_FORMATS: Mapping[str, Callable[[AuditResult], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
