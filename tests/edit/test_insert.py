"""permgate.edit.insert: new entries at their canonical position, every other byte kept."""

from __future__ import annotations

import pytest

from permgate.edit.insert import insert_grants
from permgate.errors import EditError

G5 = {"permission": "P005", "granted_by": "E000001", "granted_on": "2026-11-27", "reason": "ticket ACC-1"}
G0 = {"permission": "P000", "granted_by": "E000001", "granted_on": "2026-11-27", "reason": "ticket ACC-2",
      "expires": "2027-01-01"}
G9 = {"permission": "P900", "granted_by": "E000001", "granted_on": "2026-11-27", "reason": 'say "x"'}

BEFORE = """\
---
# grants held by Ben Baker (retail-sales)
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "ticket ACC-00101"
  # kept with P009
  - permission: P009
    granted_by: 'E000001'   # quoted on purpose
    granted_on: 2026-01-05
    reason: plain text
"""

AFTER = """\
---
# grants held by Ben Baker (retail-sales)
employee: E000002
grants:
  - permission: P000
    granted_by: E000001
    granted_on: 2026-11-27
    reason: "ticket ACC-2"
    expires: 2027-01-01
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "ticket ACC-00101"
  - permission: P005
    granted_by: E000001
    granted_on: 2026-11-27
    reason: "ticket ACC-1"
  # kept with P009
  - permission: P009
    granted_by: 'E000001'   # quoted on purpose
    granted_on: 2026-01-05
    reason: plain text
  - permission: P900
    granted_by: E000001
    granted_on: 2026-11-27
    reason: "say \\"x\\""
"""


def test_inserts_at_canonical_positions_and_keeps_every_other_byte() -> None:
    out, lines = insert_grants(BEFORE, "a.yaml", [G9, G5, G0])
    assert out == AFTER
    assert lines == [5, 14, 23]


def test_keeps_crlf_missing_final_newline_and_other_indentation() -> None:
    text = "employee: E2\r\ngrants:\r\n- permission: P001\r\n  granted_by: E1\r\n  granted_on: 2026-01-05"
    out, lines = insert_grants(text, "a.yaml", [G5])
    assert out == (text + "\r\n- permission: P005\r\n  granted_by: E000001\r\n  granted_on: 2026-11-27\r\n"
                   '  reason: "ticket ACC-1"')
    assert lines == [6]


def test_blank_line_separated_files_stay_separated() -> None:
    text = ("---\nemployee: E2\ngrants:\n  - permission: P001\n    granted_by: E1\n    granted_on: 2026-01-05\n\n"
            "  - permission: P009\n    granted_by: E1\n    granted_on: 2026-01-05\n")
    out, _ = insert_grants(text, "a.yaml", [G5, G9])
    p001 = "  - permission: P001\n    granted_by: E1\n    granted_on: 2026-01-05\n"
    p009 = "  - permission: P009\n    granted_by: E1\n    granted_on: 2026-01-05\n"
    p005 = '  - permission: P005\n    granted_by: E000001\n    granted_on: 2026-11-27\n    reason: "ticket ACC-1"\n'
    p900 = '  - permission: P900\n    granted_by: E000001\n    granted_on: 2026-11-27\n    reason: "say \\"x\\""\n'
    assert out == "---\nemployee: E2\ngrants:\n" + p001 + "\n" + p005 + "\n" + p009 + "\n" + p900


def test_empty_flow_list_becomes_a_block_list() -> None:
    out, lines = insert_grants("---\nemployee: E2  # me\ngrants: []  # none yet\n", "a.yaml", [G5])
    assert out == ('---\nemployee: E2  # me\ngrants:  # none yet\n  - permission: P005\n    granted_by: E000001\n'
                   '    granted_on: 2026-11-27\n    reason: "ticket ACC-1"\n')
    assert lines == [4]


def test_refuses_files_it_cannot_edit_safely() -> None:
    with pytest.raises(EditError) as info:
        insert_grants("---\nemployee: E2\ngrants:\n  - {permission: P1, granted_by: E1, granted_on: 2026-01-05}\n",
                      "a.yaml", [G5])
    assert (info.value.line, "flow style" in info.value.detail) == (4, True)
