"""``check --statistics``: the findings counted per rule and severity, ruff-style.

One line per rule and severity, ``count  rule  [severity]``, most first (then by rule):
waived and baselined findings on lines of their own (``[waived]``, ``[baselined]``), so the
active counts are those that can fail the run.  The same counts are in the JSON summary's
``by_rule`` and the Markdown summary's table (``Report.by_rule``).
"""

from __future__ import annotations

from permgate.reporters.base import Report
from permgate.reporters.text import one_line


def render(report: Report) -> str:
    rows = report.statistics()
    if not rows:
        return "No findings.\n"
    width = len(str(rows[0][0]))
    name = max(len(one_line(rule)) for _, rule, _ in rows)
    return "".join(f"{n:>{width}}  {one_line(rule):<{name}}  [{what}]\n" for n, rule, what in rows)
