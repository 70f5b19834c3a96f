"""``--format json``: ``{"version": 1, "findings": [...], "summary": {...}}``.

A stable contract (docs/output-formats.md): fields are only ever added, never renamed.
"""

from __future__ import annotations

import json

from permgate.reporters.report import Report

VERSION = 1


def render(report: Report) -> str:
    doc = {
        "version": VERSION,
        "findings": [f.to_dict() for f in report.findings],
        "summary": report.summary(),
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
