"""``check --statistics``: the findings counted per rule and severity, ruff-style.

One line per rule and severity, ``count  rule  [severity]``, most first (then by rule):
waived and baselined findings on lines of their own (``[waived]``, ``[baselined]``), so the
active counts are those that can fail the run.  The same counts are in the JSON summary's
``by_rule`` and the Markdown summary's table (``Report.by_rule``).  Companions (findings listed
with another finding on the same grant, ``permgate.engine.grouping``) are counted with their rule,
and a last line says how many of the counted findings they are.
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
    out = "".join(f"{n:>{width}}  {one_line(rule):<{name}}  [{what}]\n" for n, rule, what in rows)
    companions = report.companions
    if companions:  # counted above with their rules, listed with another finding (engine/grouping.py)
        out += (f"({companions} of these {'is a companion' if companions == 1 else 'are companions'}: listed as "
                "`(also: RULE)` with the boundary finding on the same grant)\n")
    return out
