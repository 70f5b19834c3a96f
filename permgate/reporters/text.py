"""``--format text``: ``path:line:col: severity[rule] message``, then a summary line.

A finding with companions (other rules' findings on the same grant, ``permgate.engine.grouping``)
ends with `` (also: RULE, ...)``."""

from __future__ import annotations

from permgate.reporters.base import Report

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "note": "\033[36m"}
_BOLD = "\033[1m"
_RESET = "\033[0m"


def one_line(text: str) -> str:
    """A file name or message as one line: line breaks and control characters escaped, so a
    hostile file name (``x.yaml\\n0 errors``) cannot forge an output line (docs/security.md)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def summary_line(report: Report) -> str:
    c = report.counts()
    waived = f", {report.waived} waived" if report.waived else ""
    baselined = report.baselined
    if baselined:  # listed in JSON and SARIF only: the text is for what needs doing
        waived += f", {baselined} baselined (not shown)"
    line = (f"{_plural(c['error'], 'error')}, {_plural(c['warning'], 'warning')}, {_plural(c['note'], 'note')}"
            f"{waived} in {_plural(report.files, 'grants file')} ({_plural(report.grants, 'grant')})")
    incremental = report.extra_summary.get("incremental")
    if isinstance(incremental, dict):  # --base judged only the employees the change touches
        line += f" re-evaluated for {_plural(incremental['employees'], 'employee')} the change touches"
    differs = report.extra_summary.get("worktree_differs_from_head")
    if isinstance(differs, int):  # no --base: the working tree is what was read, not the commit
        line += f"; the working tree differs from HEAD in {_plural(differs, 'file')} (not what is committed)"
    if report.base_ref is not None:
        line += f"; new against {report.base_ref} ({(report.base_commit or '')[:12]}), "
        if isinstance(incremental, dict):  # pre-existing findings of the other employees were never computed
            line += (f"pre-existing findings of the {_plural(incremental['employees'], 'employee')} re-evaluated: "
                     f"{len(report.preexisting)} (not shown), of the others not evaluated")
        else:
            line += f"{_plural(len(report.preexisting), 'pre-existing finding')} not shown"
    return line


#: the ASCII control characters (``one_line`` escapes them; a line break ends each line)
_CONTROL = bytes(range(0x20)) + b"\x7f"


def _fast(report: Report) -> str | None:
    """``render``'s output for the common report (no colour, no waived finding), built in one
    pass without looking at each part: None when some character is not printable ASCII
    (``one_line`` would escape it; ``render`` then does it part by part)."""
    if report.color or any(f.waived is not None for f in report.findings):
        return None
    lines = [f"{f.path}:{f.line}:{f.column}: {f.severity}[{f.rule}] {f.message}{f.also() if f.companions else ''}"
             for f in report.findings if f.baselined is None]
    lines.append(summary_line(report))
    text = "\n".join(lines) + "\n"
    # exactly one line break per line, and no other control character: every part is printable
    if not text.isascii() or text.count("\n") != len(lines) \
            or len(text.encode("ascii").translate(None, _CONTROL)) != len(text) - len(lines):
        return None
    return text


def render(report: Report) -> str:
    fast = _fast(report)
    if fast is not None:
        return fast
    lines = []
    for f in report.findings:
        if f.baselined is not None:
            continue
        where = f"{one_line(f.path)}:{f.line}:{f.column}:"
        sev = f"{f.severity}[{f.rule}]"
        if report.color:
            where = f"{_BOLD}{where}{_RESET}"
            sev = f"{_COLORS[f.severity]}{sev}{_RESET}"
        if f.waived is not None:
            w = f.waived
            lines.append(f"{where} waived {sev} {one_line(f.message)} (waived by {w.approved_by} until {w.expires}, "
                         f"ticket {w.ticket}, {w.path}:{w.line})")
            continue
        lines.append(f"{where} {sev} {one_line(f.message + f.also())}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
