"""The canonical-layout fast path must agree with the full strict loader or decline.

For every input here: either ``canonical`` declines (None), or what it builds is exactly
what the full path builds (values, lines, columns) and the full path finds no problem.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from permgate.config import Config
from permgate.errors import ConfigError, LoadError
from permgate.load import canonical
from permgate.load.grants import load_grants_text
from permgate.load.source import FsSource
from permgate.load.workspace import load_people
from permgate.load.yamldoc import decode
from tests.conftest import GEN_ORG, REFERENCE, SHARED

CORPUS = SHARED / "corpus" / "yaml-test-suite"

CANONICAL = """\
---
# grants held by Jun Haddad (retail-sales)
employee: E000001
grants:
  - permission: P008
    granted_by: E000003
    granted_on: 2025-01-23
    reason: "on-call rota, ticket ACC-68579"
  - permission: P009
    granted_by: E000003
    granted_on: 2023-10-19
    reason: "role change approved in ticket ACC-10544"
    expires: 2024-04-16
  - permission: P011
    granted_by: E000003
    granted_on: 2025-06-02
    reason: "on-call rota, ticket ACC-93419"
"""

PEOPLE = """\
---
# employees
people:
- id: E000001
  name: Jun Haddad
  division: retail-sales
  manager: null
- id: E000002
  name: Nia Larsen
  division: distribution
  manager: E000001
"""


def agree(text: str, rel: str = "assignments/x/E000001.yaml") -> bool:
    """Assert the fast path declines or agrees; True when it accepted."""
    fast = canonical.grants_file(text, rel)
    if fast is None:
        return False
    full, problems = load_grants_text(text, rel)
    assert problems == [], (text, problems)
    assert fast == full, text
    return True


def agree_people(text: str, tmp_path: Path) -> bool:
    fast = canonical.people(text, "people.yaml")
    if fast is None:
        return False
    (tmp_path / "people.yaml").write_text(text, encoding="utf-8")
    full = _full_people(tmp_path)
    assert fast == full, text
    return True


def _full_people(tmp_path: Path) -> dict[str, object]:
    """The full path's people directory, with the fast path out of the way."""
    original = canonical.people
    try:
        canonical.people = lambda text, rel: None  # type: ignore[assignment]
        return dict(load_people(FsSource(str(tmp_path)), Config()))
    finally:
        canonical.people = original  # type: ignore[assignment]


def test_canonical_file_is_accepted_with_the_full_paths_lines() -> None:
    assert agree(CANONICAL)
    gf = canonical.grants_file(CANONICAL, "a.yaml")
    assert gf is not None
    assert [(g.permission, g.line, g.column, g.expires) for g in gf.grants] == [
        ("P008", 5, 5, None), ("P009", 9, 5, "2024-04-16"), ("P011", 14, 5, None)]
    assert (gf.employee_loc.line, gf.employee_loc.column) == (3, 1)


def test_people_fast_path_agrees(tmp_path: Path) -> None:
    assert agree_people(PEOPLE, tmp_path)


@pytest.mark.parametrize("text", [
    PEOPLE.replace("Nia Larsen", "yes"),                 # a boolean to YAML 1.1
    PEOPLE.replace("manager: E000001", "manager: E000009"),  # unknown manager: the full path's message
    PEOPLE.replace("manager: null", "manager: E000002"),     # a management cycle
    PEOPLE.replace("E000002\n", "E000001\n", 1),          # duplicate id
    PEOPLE.replace("Nia Larsen", "Nia: Larsen"),
    PEOPLE.replace("Nia Larsen", "Nia Larsen "),
    PEOPLE.replace("Nia Larsen", "0123"),
])
def test_people_fast_path_declines(text: str) -> None:
    assert canonical.people(text, "people.yaml") is None


@pytest.mark.parametrize("old,new", [
    ("P008", "no"), ("P008", "0123"), ("P008", "1e3"), ("P008", "1_000"), ("P008", "null"), ("P008", "~"),
    ("P008", "true"), ("P008", "0o17"), ("P008", "0x1F"), ("P008", ".inf"), ("P008", "1:20"), ("P008", "P08:"),
    ("2025-01-23", "2022-02-30"), ("2025-01-23", "2022-13-01"), ("2025-01-23", "0000-01-01"),
    ("2025-01-23", "2025-1-23"), ("2024-04-16", "2023-02-29"),
    ("E000001", "E00 0001"), ("  - permission: P009", "  -  permission: P009"),
    ("ACC-68579\"", "ACC-68579\\\""), ("\"on-call", "'on-call"), ("on-call", "on\u2028call"),
    ("on-call", "on\x85call"), ("on-call", "on\ufeffcall"), ("on-call", "on\x07call"),
    ("on-call", "on\tcall"), ("reason:", "reason :"), ("grants:\n", "grants: \n"),
    ("    granted_on: 2025-01-23\n", "    granted_on: 2025-01-23\n    granted_on: 2025-01-23\n"),
    ("  - permission: P008\n", "  - permission: P008\n  - permission: P008\n"),
    ("employee: E000001", "employee: &a E000001"), ("P011", "*a"), ("P011", "!!str P011"),
    ("\n", "\r\n"), ("---\n", "--- \n"), ("---\n", "%YAML 1.1\n---\n"),
    ("    reason: \"on-call rota, ticket ACC-93419\"\n", "    reason: \"on-call rota, ticket ACC-93419\"\n\n"),
    ("    reason: \"on-call rota, ticket ACC-93419\"\n", "    reason: \"on-call rota, ticket ACC-93419\"\n..."),
    ("    reason: \"on-call rota, ticket ACC-93419\"\n", "    reason: \"on-call rota, ticket ACC-93419\""),
])
def test_near_canonical_files_decline_or_agree(old: str, new: str) -> None:
    text = CANONICAL.replace(old, new, 1) if old != "\n" else CANONICAL.replace(old, new)
    assert text != CANONICAL
    agree(text)


def test_bad_values_make_the_fast_path_decline() -> None:
    for bad in ("no", "0123", "1e3", "null", "True"):
        assert canonical.grants_file(CANONICAL.replace("P008", bad), "a.yaml") is None
    assert canonical.grants_file(CANONICAL.replace("2025-01-23", "2022-02-30"), "a.yaml") is None


def test_a_comment_line_or_unicode_reason_agrees() -> None:
    assert agree(CANONICAL.replace("on-call rota", "Bereitschaft für Zähler — 電力"))
    assert agree(CANONICAL.replace("---\n", "---\n# another comment: with # and : inside\n"))
    assert agree(CANONICAL.replace("---\n", ""))
    assert agree(CANONICAL.replace("on-call rota, ticket ACC-68579", ""))


_MUTATIONS = st.sampled_from([
    "\t", " ", "  ", "\r\n", "\r", "'", "\"", "\\", ":", ": ", " #", "#", "&a ", "*a", "!", "- ", "? ",
    "no", "0123", "1e3", "1_0", "null", "~", "2022-02-30", "\u2028", "\x85", "\ufeff", "é", "\x00",
    "\n", "\n\n", "---\n", "...\n", "    expires: 2024-01-01\n", "    reason: \"x\"\n", "  - permission: P1\n",
    "{", "}", "[", "]", ",", "%", "@", "`", "|", ">",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=len(CANONICAL)), st.integers(min_value=0, max_value=3),
                          _MUTATIONS), min_size=1, max_size=3))
@example([(len("---\n# grants held by Jun Haddad (retail-sales)\nemployee: E000001\ngrants:\n  - permission: "), 4,
           "no")])
def test_mutated_canonical_files_decline_or_agree(edits: list[tuple[int, int, str]]) -> None:
    text = CANONICAL
    for pos, cut, insert in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + cut:]
    agree(text)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/yaml-test-suite is not beside the project")
def test_yaml_test_suite_cases_decline_or_agree(tmp_path: Path) -> None:
    accepted = 0
    for case in sorted(CORPUS.iterdir()):
        data = (case / "in.yaml").read_bytes() if (case / "in.yaml").exists() else None
        if data is None:
            continue
        try:
            text = decode(data, "case.yaml")
        except LoadError:
            continue
        accepted += agree(text)
        try:
            agree_people(text, tmp_path)
        except ConfigError:
            raise AssertionError(f"{case.name}: the people fast path accepted what the full path refuses") from None
    assert accepted == 0  # none of the suite's cases is a canonical grants file


def _gen(script: Path, out: Path, employees: int, seed: int, *extra: str) -> None:
    subprocess.run([sys.executable, str(script), "--employees", str(employees), "--out", str(out), "--seed",
                    str(seed), *extra], check=True, capture_output=True)


@pytest.mark.parametrize("seed,extra", [(7, REFERENCE), (20261125, REFERENCE), (11, ())])
def test_every_generated_file_takes_the_fast_path_and_agrees(tmp_path: Path, seed: int,
                                                            extra: tuple[str, ...]) -> None:
    root = tmp_path / "org"
    _gen(GEN_ORG, root, 150, seed, *extra)
    files = sorted((root / "assignments").rglob("*.yaml"))
    assert len(files) == 150
    for path in files:
        rel = path.relative_to(root).as_posix()
        assert agree(decode(path.read_bytes(), rel), rel), rel
    assert agree_people((root / "people.yaml").read_text("utf-8"), tmp_path)
