"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

    ::group::assignments/retail-sales/E100020.yaml
    ::error file=assignments/retail-sales/E100020.yaml,line=12,col=5,title=distribution-to-retail-sales::P083 ...
    ::endgroup::

Grouped per file, in the findings' order.  Escaping follows the runner's own rules
(actions/toolkit ``command.ts``): in the message ``%``, CR and LF; in properties also
``:`` and ``,``.  Paths are relative to the git repository's top level.
"""

from __future__ import annotations

from itertools import groupby

from permgate.reporters.base import Report
from permgate.reporters.text import summary_line

_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    lines: list[str] = []
    # baselined findings are accepted debt: counted in the summary line, not annotated
    listed = [f for f in report.findings if f.baselined is None]
    for path, group in groupby(listed, key=lambda f: f.path):
        file = report.path_prefix + path
        lines.append(f"::group::{escape_data(file)}")
        for f in group:
            command, title, message = _COMMAND[f.severity], f.rule, f.message
            if f.waived is not None:  # shown, but never as an error or warning
                w = f.waived
                command, title = "notice", f"{f.rule} (waived)"
                message = (f"waived {f.severity} until {w.expires} by {w.approved_by}, ticket {w.ticket}: "
                           f"{f.message}")
            props = f"file={escape_property(file)},line={f.line},col={f.column},title={escape_property(title)}"
            lines.append(f"::{command} {props}::{escape_data(message)}")
        lines.append("::endgroup::")
    lines.append(summary_line(report))  # starts with a digit: never read as a command
    return "\n".join(lines) + "\n"
