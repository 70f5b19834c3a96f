"""permgate.edit.fmt: the canonical layout, idempotence, meaning preservation, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from permgate.edit.fmt import format_text
from permgate.errors import EditError
from permgate.load.yamldoc import parse
from tests.conftest import PROJECT, gen_org

CANONICAL = """\
---
# grants held by Ben Baker (retail-sales)
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
  - permission: P003
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "ticket ACC-00102"
    expires: 2026-07-04
"""

MESSY = """\
# grants held by Ben Baker (retail-sales)
employee: "E000002"   # the grantee

grants:
# desk access
- granted_by: E000001
  permission: P009
  granted_on: '2026-01-05'
  reason: plain reason with 'single' and "double" quotes

-   permission: P001  # first
    # why this one
    reason: 'tab\there: \\ backslash'
    granted_by: E000001
    expires: 2026-02-01
    granted_on: 2026-01-05
# end of file
"""

MESSY_FORMATTED = """\
---
# grants held by Ben Baker (retail-sales)
employee: E000002  # the grantee
grants:
  - permission: P001  # first
    granted_by: E000001
    granted_on: 2026-01-05
    # why this one
    reason: "tab\\there: \\\\ backslash"
    expires: 2026-02-01
  # desk access
  - permission: P009
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "plain reason with 'single' and \\"double\\" quotes"
# end of file
"""


def meaning(text: str) -> dict[str, Any]:
    """What a grants file says: the employee and the grants in sorted order (strict loader)."""
    data = parse(text, "x.yaml").data
    return {"employee": data["employee"], "grants": sorted(data["grants"], key=lambda g: g["permission"])}


def test_canonical_file_is_unchanged() -> None:
    assert format_text(CANONICAL, "a.yaml") == CANONICAL


def test_messy_file_is_formatted_exactly() -> None:
    out = format_text(MESSY, "a.yaml")
    assert out == MESSY_FORMATTED
    assert meaning(out) == meaning(MESSY)
    assert format_text(out, "a.yaml") == out


def test_sort_is_stable_for_equal_ids_and_comments_move_with_their_grant() -> None:
    text = """\
---
employee: E000002
grants:
  # second P002 (kept after the first)
  - permission: P002
    granted_by: E000001
    granted_on: 2026-01-06
    reason: "b"
  # about P001
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "a"
  - permission: P002
    granted_by: E000003
    granted_on: 2026-01-07
    reason: "c"
"""
    out = format_text(text, "a.yaml")
    assert out.splitlines()[3:] == [
        "  # about P001",
        "  - permission: P001",
        "    granted_by: E000001",
        "    granted_on: 2026-01-05",
        '    reason: "a"',
        "  # second P002 (kept after the first)",
        "  - permission: P002",
        "    granted_by: E000001",
        "    granted_on: 2026-01-06",
        '    reason: "b"',
        "  - permission: P002",
        "    granted_by: E000003",
        "    granted_on: 2026-01-07",
        '    reason: "c"',
    ]


@pytest.mark.parametrize("reason", [
    'say "hi"', "back\\slash", "new\nline", "tab\tstop", "bell\x07", "del\x7f", "nel\x85", "ls\u2028ps\u2029",
    "日本語の理由", "emoji \U0001f600", " leading and trailing ", "# not a comment", "'single'", "",
    "colon: space", "- dash", "{not flow}", "&anchor *alias !tag",
])
def test_reasons_round_trip(reason: str) -> None:
    from permgate.edit.render import double_quoted
    text = f"---\nemployee: E1\ngrants:\n  - permission: P1\n    granted_by: E2\n    granted_on: 2026-01-05\n" \
           f"    reason: {double_quoted(reason)}\n"
    assert parse(text, "a.yaml").data["grants"][0]["reason"] == reason
    assert format_text(text, "a.yaml") == text


def test_ids_that_yaml_would_misread_are_quoted() -> None:
    text = '---\nemployee: "0123"\ngrants:\n  - permission: "1e3"\n    granted_by: "E:1"\n' \
           "    granted_on: 2026-01-05\n"
    out = format_text(text, "a.yaml")
    assert meaning(out) == meaning(text)
    assert 'employee: "0123"' in out and 'permission: "1e3"' in out


def test_crlf_bom_and_no_blank_lines() -> None:
    text = "---\r\n\r\nemployee: E1\r\n\r\ngrants:\r\n\r\n  - permission: P1\r\n    granted_by: E2\r\n" \
           "    granted_on: 2026-01-05\r\n\r\n\r\n"
    out = format_text(text, "a.yaml")
    assert out == "---\nemployee: E1\ngrants:\n  - permission: P1\n    granted_by: E2\n    granted_on: 2026-01-05\n"


def test_empty_grants_and_missing_start_marker() -> None:
    assert format_text("employee: E1\ngrants: []  # none yet\n", "a.yaml") == \
        "---\nemployee: E1\ngrants: []  # none yet\n"


@pytest.mark.parametrize(("text", "line", "words"), [
    ("---\nemployee: E1\ngrants:\n  - {permission: P1, granted_by: E2, granted_on: 2026-01-05}\n", 4, "flow style"),
    ("---\nemployee: E1\ngrants: [{permission: P1, granted_by: E2, granted_on: 2026-01-05}]\n", 3, "flow style"),
    ("---\nemployee: E1\ngrants:\n  - permission: P1\n    granted_by: E2\n    granted_on: 2026-01-05\n"
     "    reason: |\n      two\n      lines\n", 7, "block scalars"),
    ("---\nemployee: E1\ngrants:\n  - permission: P1\n    granted_by: E2\n    granted_on: 2026-01-05\n"
     '    reason: "folded\n      over two lines"\n', 7, "one line"),
    ("---\nemployee: E1\ngrants:\n  -\n    permission: P1\n    granted_by: E2\n    granted_on: 2026-01-05\n",
     5, "must start with `- key: value`"),
    ("---\nemployee:\n  E1\ngrants: []\n", 3, "one line"),
    ("%YAML 1.1\n---\nemployee: E1\ngrants: []\n", 1, "directives"),
    ("---\nemployee: E1\ngrants: []\n...\n", 4, "document end"),
    ("--- # c\nemployee: E1\ngrants: []\n", 1, "after the `---`"),
    ("---\nemployee: E1\ngrants:\n  - permission: P1\n    granted_by: E2\n    granted_on: 2026-02-30\n", 6,
     "not a valid grants file"),
    ("---\nemployee: E1\nemployee: E2\ngrants: []\n", 3, "duplicate key"),
    ("---\nemployee: E1\ngrants: []\n", 0, ""),  # control: formattable
    ("---\nemployee: E1\r\ngrants: []\n", 1, "line endings"),
    ("---\r\nemployee: E1\ngrants: []\r\n", 2, "line endings"),
    ("---\nemployee: E1\ngrants: []\n# x\u2028y\n", 4, "line break"),
    ("", 1, "empty"),
])
def test_unsafe_files_are_refused_at_their_line(text: str, line: int, words: str) -> None:
    if not line:
        format_text(text, "a.yaml")
        return
    with pytest.raises(EditError) as info:
        format_text(text, "a.yaml")
    assert (info.value.path, info.value.line) == ("a.yaml", line)
    assert words in info.value.detail


def test_shipped_examples_are_canonical() -> None:
    paths = sorted(PROJECT.glob("assignments/**/*.yaml")) + \
        sorted(PROJECT.glob("examples/incident-2023/assignments/**/*.yaml"))
    assert len(paths) > 30
    for p in paths:
        text = p.read_text("utf-8")
        assert format_text(text, str(p)) == text, p


def test_every_file_of_a_generated_org_is_canonical_and_round_trips(tmp_path: Path) -> None:
    gen_org(tmp_path, 200, seed=8181)
    paths = sorted(tmp_path.glob("assignments/*/*.yaml"))
    assert len(paths) == 200
    for p in paths:
        text = p.read_text("utf-8")
        assert format_text(text, str(p)) == text, p
        assert format_text(text, str(p), fast=False) == text, p
        # shuffled: reversed entries, extra blank lines, another indentation: back to the original
        data = parse(text, str(p)).data
        messy = ["employee: " + data["employee"], "", "grants:"]
        for g in reversed(data["grants"]):
            messy += [f"- reason: '{g['reason']}'", f"  permission: {g['permission']}",
                      f"  granted_on: {g['granted_on']}", f"  granted_by: {g['granted_by']}"]
            if "expires" in g:
                messy.append(f"  expires: {g['expires']}")
            messy.append("")
        header = text.splitlines()[1]
        # text is canonical and formatting it changed nothing, so out == text also proves that
        # formatting the messy file is idempotent and keeps its meaning
        messy_text = header + "\n" + "\n".join(messy) + "\n"
        assert meaning(messy_text) == meaning(text)
        assert format_text(messy_text, str(p)) == text, p


FAST_CASES = [
    CANONICAL,
    CANONICAL.replace("---\n", ""),  # no start marker
    CANONICAL.replace("Baker (retail-sales)", "Baker (retail-sales)  "),  # trailing spaces in a comment
    CANONICAL.replace("P001", "P009"),  # out of order
    CANONICAL.replace("P003", "P001"),  # equal ids
    CANONICAL.replace("ticket ACC-00102", "tab\\there"),
    CANONICAL.replace("employee: E000002", "employee: 2026-01-05"),  # date-like id: text for permgate
    CANONICAL.replace("employee: E000002", "employee: E000002  # me"),
    CANONICAL.replace("grants:\n", "grants:\n  # first\n"),
    CANONICAL.replace("\n", "\r\n"),
    CANONICAL + "\n",
    CANONICAL + "# end\n",
    CANONICAL.replace("    reason", "    # why\n    reason", 1),
    "---\nemployee: E1\ngrants: []\n",
]


@pytest.mark.parametrize("text", FAST_CASES)
def test_the_fast_proof_agrees_with_the_full_formatter(text: str) -> None:
    assert format_text(text, "a.yaml") == format_text(text, "a.yaml", fast=False)
