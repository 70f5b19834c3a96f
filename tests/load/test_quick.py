"""The byte-level recogniser (``load/quick.py``) must agree with the canonical path or decline.

For every input here: either ``quick`` declines (None), or the canonical path accepts the same
text with no problem, declares the same employee and has exactly the grants ``quick`` finds for
a permission (values, lines, columns).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from permgate.load import canonical, quick
from permgate.load.grants import load_grants_text
from tests.conftest import gen_org
from tests.load.test_canonical import _MUTATIONS, CANONICAL

REL = "assignments/x/E000001.yaml"


def agree(data: bytes, rel: str = REL) -> bool:
    """Assert ``quick`` declines or agrees with the canonical path (and the full one); True when it accepted."""
    employee = quick.declared(data)
    permissions = {line.split(b": ", 1)[1].decode("utf-8", "replace")
                   for line in data.split(b"\n") if line.startswith(b"  - permission: ")}
    answers = {p: quick.grants_of(data, rel, quick.entry_line(p)) for p in {*permissions, "P404"}}
    if employee is None:
        assert all(a is None for a in answers.values()), data
        return False
    text = data.decode("utf-8")
    gf = canonical.grants_file(text, rel)
    assert gf is not None, data
    full, problems = load_grants_text(text, rel)
    assert (problems, full) == ([], gf), data
    assert employee == gf.employee, data
    for p, got in answers.items():
        assert got == tuple(g for g in gf.grants if g.permission == p), (data, p)
    return True


def test_the_canonical_example_is_recognised_with_its_lines() -> None:
    assert agree(CANONICAL.encode())
    assert quick.declared(CANONICAL.encode()) == "E000001"
    got = quick.grants_of(CANONICAL.encode(), REL, quick.entry_line("P009"))
    assert got is not None
    assert [(g.permission, g.line, g.column, g.granted_by, g.granted_on, g.expires) for g in got] == [
        ("P009", 9, 5, "E000003", "2023-10-19", "2024-04-16")]
    assert quick.grants_of(CANONICAL.encode(), REL, quick.entry_line("P00")) == ()


@pytest.mark.parametrize("old,new", [
    # what the canonical path accepts but this recogniser leaves to it
    ("on-call rota", "Bereitschaft für Zähler"), ("2025-01-23", "2100-01-01"),
    ("2025-01-23", "1899-12-31"), ("P008", "1P008"), ("P008", "yes-no"), ("P008", "on"), ("P008", "-P"),
    # what neither accepts
    ("2025-01-23", "2023-02-29"), ("2025-01-23", "2100-02-29"), ("2025-01-23", "2022-04-31"),
    ("2025-01-23", "2022-02-30"), ("2025-01-23", "2022-13-01"), ("2025-01-23", "2022-00-10"),
    ("2025-01-23", "2022-01-00"), ("P008", "no"), ("P008", "0123"), ("P008", "null"), ("P008", "~"),
    ("ACC-68579\"", "ACC-68579\\\""), ("\"on-call", "'on-call"), ("on-call", "on\tcall"), ("\n", "\r\n"),
    ("  - permission: P008\n", "  - permission: P008\n  - permission: P008\n"),
    ("employee: E000001", "employee: &a E000001"), ("---\n", "\ufeff---\n"), ("---\n", "--- \n"),
])
def test_near_recognised_files_decline(old: str, new: str) -> None:
    text = CANONICAL.replace(old, new, 1) if old != "\n" else CANONICAL.replace(old, new)
    assert text != CANONICAL
    assert not agree(text.encode())


@pytest.mark.parametrize("date", ["2024-02-29", "2000-02-29", "2096-02-29", "2023-04-30", "2023-12-31",
                                  "1900-02-28", "2099-01-31"])
def test_calendar_dates_it_vouches_for_are_dates(date: str) -> None:
    assert agree(CANONICAL.replace("2025-01-23", date).encode())


def test_every_date_it_vouches_for_is_a_calendar_date() -> None:
    date = re.compile(quick._DATE)
    for y, m, d in itertools.product(range(1890, 2110), range(0, 14), range(0, 33)):
        text = f"{y:04}-{m:02}-{d:02}"
        if date.fullmatch(text.encode()):
            dt.date(y, m, d)  # raises if it is none


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=len(CANONICAL)), st.integers(min_value=0, max_value=3),
                          _MUTATIONS), min_size=1, max_size=3))
@example([(len("---\n# grants held by Jun Haddad (retail-sales)\nemployee: E000001\ngrants:\n  - permission: "), 4,
           "no")])
def test_mutated_files_decline_or_agree(edits: list[tuple[int, int, str]]) -> None:
    text = CANONICAL
    for pos, cut, insert in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + cut:]
    agree(text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("seed", [7, 20261125])
def test_generated_files_are_recognised_and_agree(tmp_path: Path, seed: int) -> None:
    root = tmp_path / "org"
    gen_org(root, 300, seed)
    recognised = 0
    for path in sorted((root / "assignments").rglob("*.yaml")):
        recognised += agree(path.read_bytes(), path.relative_to(root).as_posix())
    assert recognised >= 290  # the rest hold a date it leaves to the canonical path
