"""``--format markdown``: a summary for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

A verdict heading with the counts, a table of the (new) findings with file:line, the
explanations of the rules that fired, and in ``--base`` mode the pre-existing count.  Under the
counts, a table of the findings per rule (``Report.by_rule``, as ``summary.by_rule`` in JSON).
Every value from the repository is HTML-escaped (and ``|`` in table cells), so a grants
file cannot inject markup into the comment; a backtick span becomes ``<code>`` so that its
escaped characters show as themselves (inside backticks ``&quot;`` would show literally).

A finding with companions (other rules' findings on the same grant, ``permgate.engine.grouping``)
is one row, its message ending with ``(also: RULE, ...)``; the table per rule counts them with
their rule.

GitHub drops a job summary over 1 MiB whole, so the table stops before ``MAX_BYTES``: the rest
is counted per rule under it, with a note of how many rows were left out.
"""

from __future__ import annotations

import html
import re
from collections import Counter

from permgate.reporters.base import Report
from permgate.reporters.rulehelp import rule_doc

#: a job summary GitHub keeps is at most 1 MiB; the table stops short of this, leaving room for the rest
MAX_BYTES = 900 * 1024
_SPAN = re.compile(r"`([^`\n]+)`")


def _escaped(text: str) -> str:
    return html.escape(text).replace("|", "&#124;").replace("\r", "").replace("\n", "<br>")


def _cell(text: str) -> str:
    out, at = [], 0
    for m in _SPAN.finditer(text):
        out.append(_escaped(text[at:m.start()]))
        out.append(f"<code>{_escaped(m.group(1))}</code>")
        at = m.end()
    out.append(_escaped(text[at:]))
    return "".join(out)


def _code(text: str) -> str:
    return f"<code>{_escaped(text)}</code>"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def render(report: Report) -> str:
    c = report.counts()
    verdict = "failed" if c["error"] else ("passed with warnings" if c["warning"] or c["note"] else "passed")
    new = " new" if report.base_ref is not None else ""
    out = [f"## permgate: {verdict}", ""]
    out.append(f"**{_plural(c['error'], 'error')}, {_plural(c['warning'], 'warning')}, "
               f"{_plural(c['note'], 'note')}**{new} in {_plural(report.files, 'grants file')} "
               f"({_plural(report.grants, 'grant')}).")
    if report.base_ref is not None:
        out.append("")
        compared = f"Compared with {_code(report.base_ref)} ({_code((report.base_commit or '')[:12])}): "
        existed = len(report.preexisting)
        incremental = report.extra_summary.get("incremental")
        if isinstance(incremental, dict):  # only the employees the change touches were evaluated
            out.append(f"{compared}of the {_plural(incremental['employees'], 'employee')} the change touches "
                       f"(re-evaluated), {_plural(existed, 'finding')} already existed there and "
                       f"{'is' if existed == 1 else 'are'} not listed; the findings of the other employees were not "
                       "evaluated (they can only be pre-existing).")
        else:
            out.append(f"{compared}{_plural(existed, 'finding')} already existed there and "
                       f"{'is' if existed == 1 else 'are'} not listed.")
        access = report.extra_summary.get("impact")
        if isinstance(access, dict) and (access["gained"] or access["lost"]):
            out += ["", f"Access impact: {_plural(access['employees_gaining'], 'person', 'people')} gain "
                        f"{_plural(access['gained'], 'permission grant')}, "
                        f"{_plural(access['employees_losing'], 'person', 'people')} lose "
                        f"{_plural(access['lost'], 'permission grant')} (`permgate impact --base "
                        f"{report.base_ref}` lists them)."]
    if report.baselined:
        out += ["", f"{_plural(report.baselined, 'finding')} accepted by the baseline "
                    f"{'is' if report.baselined == 1 else 'are'} not listed."]
    by_rule = report.by_rule()
    if by_rule:
        out += ["", "| Rule | Errors | Warnings | Notes | Waived | Baselined |", "|---|---:|---:|---:|---:|---:|"]
        for rid, n in by_rule.items():
            out.append(f"| {_code(rid)} | {n['errors']} | {n['warnings']} | {n['notes']} | {n['waived']} "
                       f"| {n['baselined']} |")
        if report.companions:
            out += ["", f"{_plural(report.companions, 'finding')} of these {'is' if report.companions == 1 else 'are'}"
                        " listed with the boundary finding on the same grant, as its companions (<code>also</code>)."]
    listed = [f for f in report.findings if f.baselined is None]
    if listed:
        out += ["", "| Severity | Rule | Location | Message |", "|---|---|---|---|"]
        size = sum(len(line.encode("utf-8")) + 1 for line in out)
        shown = 0
        for f in listed:
            where = f"{report.path_prefix}{f.path}:{f.line}"
            severity = f.severity if f.waived is None else f"waived {f.severity}"
            message = f.message + f.also() if f.waived is None else (
                f"{f.message} (waived by {f.waived.approved_by} until {f.waived.expires}, ticket {f.waived.ticket})")
            row = f"| {severity} | {_code(f.rule)} | {_code(where)} | {_cell(message)} |"
            size += len(row.encode("utf-8")) + 1
            if size > MAX_BYTES:
                break
            out.append(row)
            shown += 1
        left = [every for f in listed[shown:] for every in f.with_companions()]
        if left:
            out += ["", f"**{_plural(len(left), 'more finding')} not listed**: a job summary over 1 MiB is "
                    "dropped whole. Every finding is in the text, JSON and SARIF reports. Not listed, by rule:", "",
                    "| Rule | Errors | Warnings | Notes | Waived |", "|---|---:|---:|---:|---:|"]
            left_by_rule: dict[str, Counter[str]] = {}
            for f in left:
                left_by_rule.setdefault(f.rule, Counter())["waived" if f.waived is not None else f.severity] += 1
            for rid in sorted(left_by_rule):
                n = left_by_rule[rid]
                out.append(f"| {_code(rid)} | {n['error']} | {n['warning']} | {n['note']} | {n['waived']} |")
        fired = []
        seen: set[str] = set()
        for f in listed:
            for rid in (f.rule, *(c.rule for c in f.companions)):
                if rid not in seen:
                    seen.add(rid)
                    fired.append(rid)
        infos = {i.id: i for i in report.rules}
        out += ["", "### Rules"]
        for rid in fired:
            info = infos.get(rid)
            summary = info.summary if info is not None else rid
            out += ["", f"<details><summary>{_code(rid)}: {_cell(summary)}</summary>", ""]
            doc = rule_doc(info) if info is not None else None
            if doc is not None:
                out += [f"**What it flags.** {_cell(doc.flags)}", "",
                        f"**Why it matters.** {_cell(doc.why)}", "",
                        f"**Fix.** {_cell(doc.fix)}", ""]
            out.append("</details>")
    return "\n".join(out) + "\n"
