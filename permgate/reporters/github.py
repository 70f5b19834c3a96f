"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

    ::group::assignments/retail-sales/E100020.yaml
    ::error file=assignments/retail-sales/E100020.yaml,line=12,col=5,title=distribution-to-retail-sales::P083 ...
    ::endgroup::

Grouped per file, in the findings' order.  A finding with companions (other rules' findings on
the same grant, ``permgate.engine.grouping``) is one annotation, titled with its own rule, whose
message ends with a line for each of them (``also error[granter-authority]: ...``).
Escaping follows the runner's own rules (actions/toolkit ``command.ts``): in the message
``%``, CR and LF; in properties also ``:`` and ``,``.  Paths are relative to the git
repository's top level.

GitHub keeps at most 50 annotations of a job (and shows 10 of each kind per step), so at most
``MAX_ANNOTATIONS`` are written: errors first, then warnings, then notes, each in the
findings' order, the last one a notice with the counts of what was not annotated.  Those
findings are still in the log, as plain lines in the text format behind ``- `` (never read as
commands).
"""

from __future__ import annotations

from itertools import groupby

from permgate.findings import SEVERITIES, Finding, most_severe_first
from permgate.reporters.base import Report
from permgate.reporters.text import one_line, summary_line

_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}
#: annotations GitHub keeps for a job; a larger report annotates the most severe and says so
MAX_ANNOTATIONS = 50


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotated(findings: tuple[Finding, ...]) -> tuple[set[int], str | None]:
    """The findings (by position) that become annotations, and the closing notice when not all do."""
    if len(findings) <= MAX_ANNOTATIONS:
        return set(range(len(findings))), None
    order = most_severe_first(findings)
    chosen = set(order[:MAX_ANNOTATIONS - 1])
    left = [findings[i] for i in order[MAX_ANNOTATIONS - 1:]]
    counts = {s: sum(1 for f in left if f.severity == s and f.waived is None) for s in SEVERITIES}
    waived = sum(1 for f in left if f.waived is not None)
    parts = [f"{n} {s}{'' if n == 1 else 's'}" for s, n in counts.items() if n]
    if waived:
        parts.append(f"{waived} waived")
    notice = (f"::notice title=permgate::{len(left)} more findings are not annotated ({', '.join(parts)}): "
              f"GitHub keeps {MAX_ANNOTATIONS} annotations a job. Every finding is listed in this log, in its "
              "file's group, and in the text, JSON and SARIF reports.")
    return chosen, notice


def render(report: Report) -> str:
    lines: list[str] = []
    # baselined findings are accepted debt: counted in the summary line, not annotated
    listed = tuple(f for f in report.findings if f.baselined is None)
    chosen, notice = _annotated(listed)
    position = 0
    for path, group in groupby(listed, key=lambda f: f.path):
        file = report.path_prefix + path
        lines.append(f"::group::{escape_data(file)}")
        for f in group:
            position += 1
            if position - 1 not in chosen:  # past the cap: a log line that cannot start with "::"
                state = f"waived {f.severity}" if f.waived is not None else f.severity
                lines.append(f"- {one_line(file)}:{f.line}:{f.column}: {state}[{f.rule}] "
                             f"{one_line(f.message + f.also())}")
                continue
            command, title, message = _COMMAND[f.severity], f.rule, f.message
            if f.companions:  # the other rules on this grant, each with its own words
                message += "".join(f"\nalso {c.severity}[{c.rule}]: {c.message}" for c in f.companions)
            if f.waived is not None:  # shown, but never as an error or warning
                w = f.waived
                command, title = "notice", f"{f.rule} (waived)"
                message = (f"waived {f.severity} until {w.expires} by {w.approved_by}, ticket {w.ticket}: "
                           f"{f.message}")
            props = f"file={escape_property(file)},line={f.line},col={f.column},title={escape_property(title)}"
            lines.append(f"::{command} {props}::{escape_data(message)}")
        lines.append("::endgroup::")
    if notice is not None:
        lines.append(notice)
    lines.append(summary_line(report))  # starts with a digit: never read as a command
    return "\n".join(lines) + "\n"
