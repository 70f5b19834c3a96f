"""The text format: its one-pass rendering of the common report equals the part-by-part one."""

from __future__ import annotations

import pytest

from permgate.findings import Finding, Waived
from permgate.reporters import text
from permgate.reporters.base import Report

PLAIN = Finding("self-grant", "error", "E1 Ann granted P1 to themself", "assignments/a/E1.yaml", 5, 5, "E1", "P1")


def part_by_part(report: Report) -> str:
    """What ``render`` gives without its one-pass shortcut."""
    saved = text._fast
    try:
        text._fast = lambda report: None  # type: ignore[assignment]
        return text.render(report)
    finally:
        text._fast = saved  # type: ignore[assignment]


@pytest.mark.parametrize("odd", [
    {},  # all printable ASCII: the shortcut answers
    {"message": "two\nlines"}, {"message": "a\ttab"}, {"message": "del\x7f"}, {"message": "bell\x07"},
    {"path": "assignments/a/x\n0 errors.yaml"}, {"path": "assignments/a/\x1b[31mE1.yaml"},
    {"message": "Zoë O'Neill 東京"}, {"message": "line\u2028separator"}, {"message": "nbsp\u00a0"},
])
def test_one_pass_equals_part_by_part(odd: dict[str, str]) -> None:
    findings = (PLAIN, PLAIN._replace(**odd) if odd else PLAIN)
    report = Report(findings=findings, files=1, grants=2)
    assert text.render(report) == part_by_part(report)
    if odd.get("message", "").count("\n") or "\n" in odd.get("path", ""):
        assert text.render(report).count("\n") == 3  # a message cannot forge a line


def test_the_shortcut_answers_only_for_plain_reports() -> None:
    plain = Report(findings=(PLAIN,), files=1, grants=1)
    assert text._fast(plain) == part_by_part(plain)
    assert text._fast(Report(findings=(PLAIN,), color=True)) is None
    waived = PLAIN._replace(waived=Waived("E9", "2030-01-01", "ACC-1", "ok", "w.yaml", 3, 5))
    assert text._fast(Report(findings=(waived,))) is None
    assert text._fast(Report(findings=(PLAIN._replace(message="a\nb"),))) is None
    assert text.render(Report(findings=())) == part_by_part(Report(findings=()))
