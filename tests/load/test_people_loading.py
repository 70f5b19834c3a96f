"""The people directory: the fast path and the strict loader agree (or the fast path
declines), management chains are checked in linear time, and the first problem found is
the one the original quadratic check reported, at the same place."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from permgate.config import Config
from permgate.errors import ConfigError
from permgate.load import canonical
from permgate.load.source import FsSource
from permgate.load.workspace import load_people
from permgate.model import Loc, Person


@contextmanager
def strict_only() -> Iterator[None]:
    original = canonical.people
    canonical.people = lambda text, rel: None  # type: ignore[assignment]
    try:
        yield
    finally:
        canonical.people = original  # type: ignore[assignment]


def directory(managers: list[str | None], ids: list[str] | None = None) -> str:
    """people.yaml in the canonical layout; person i has id ``ids[i]`` and manager ``managers[i]``."""
    ids = ids or [f"E{i:05d}" for i in range(len(managers))]
    out = ["---\n# employees\npeople:\n"]
    for pid, boss in zip(ids, managers, strict=True):
        out.append(f"- id: {pid}\n  name: Name {pid}\n  division: corporate\n  manager: {boss or 'null'}\n")
    return "".join(out)


def load(root: Path, text: str, strict: bool) -> dict[str, Person] | tuple[str, int, int, str]:
    (root / "people.yaml").write_text(text, encoding="utf-8")
    try:
        if strict:
            with strict_only():
                return load_people(FsSource(str(root)), Config())
        return load_people(FsSource(str(root)), Config())
    except ConfigError as err:
        return (err.path, err.line, err.column, err.detail)


def reference(managers: list[str | None], ids: list[str]) -> tuple[str, int, int, str] | None:
    """The check as it was (quadratic: each person's whole chain), for the first problem;
    a chain that reaches a later entry's unknown manager, which made it crash, reports that
    entry's unknown manager."""
    people = dict(zip(ids, managers, strict=True))
    for i, (pid, manager) in enumerate(zip(ids, managers, strict=True)):
        if manager is None:
            continue
        line = 4 + 4 * i + 3
        if manager not in people:
            return ("people.yaml", line, 12, f"manager `{manager}` of {pid} is not in people.yaml")
        seen = {pid}
        current: str | None = manager
        while current is not None:
            if current in seen:
                return ("people.yaml", line, 12, f"management chain of {pid} loops back through `{current}`")
            seen.add(current)
            boss = people[current]
            if boss is not None and boss not in people:
                j = ids.index(current)
                return ("people.yaml", 4 + 4 * j + 3, 12, f"manager `{boss}` of {current} is not in people.yaml")
            current = boss
    return None


@st.composite
def directories(draw: st.DrawFn) -> tuple[list[str | None], list[str]]:
    n = draw(st.integers(1, 12))
    ids = [f"E{i:05d}" for i in draw(st.permutations(range(n)))]
    choices = st.one_of(st.none(), st.sampled_from(ids), st.sampled_from(ids), st.just("E99999"))
    return [draw(choices) for _ in range(n)], ids


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=directories())
@example(case=([None, "E00000", "E00001"], ["E00000", "E00001", "E00002"]))
@example(case=(["E00001", "E99999"], ["E00000", "E00001"]))  # crashed with KeyError before
@example(case=(["E00001", "E00002", "E00001"], ["E00000", "E00001", "E00002"]))
def test_strict_and_fast_paths_report_the_first_problem_as_before(
        tmp_path: Path, case: tuple[list[str | None], list[str]]) -> None:
    managers, ids = case
    text = directory(managers, ids)
    expected = reference(managers, ids)
    strict = load(tmp_path, text, strict=True)
    fast = canonical.people(text, "people.yaml")
    if expected is None:
        assert isinstance(strict, dict)
        assert fast == strict
        rows = enumerate(zip(ids, managers, strict=True))
        assert [(p.id, p.manager, p.loc) for p in strict.values()] == [
            (pid, boss, Loc("people.yaml", 4 + 4 * i, 3)) for i, (pid, boss) in rows]
    else:
        assert strict == expected
        assert fast is None  # declined: the full loader's message is the one shown
        assert load(tmp_path, text, strict=False) == expected


LONG = 20_000


@pytest.mark.parametrize("reports_first", [False, True])
def test_a_long_management_chain_is_checked_in_linear_time(tmp_path: Path, reports_first: bool) -> None:
    # E00000 <- E00001 <- ... : each person's chain reaches the top (quadratic before: 2e8 steps)
    ids = [f"E{i:05d}" for i in range(LONG)]
    managers: list[str | None] = [None, *ids[:-1]]
    if reports_first:
        ids, managers = ids[::-1], managers[::-1]
    text = directory(managers, ids)
    started = time.process_time()
    strict = load(tmp_path, text, strict=True)
    fast = canonical.people(text, "people.yaml")
    spent = time.process_time() - started
    assert isinstance(strict, dict) and fast == strict
    assert strict[ids[-1]].manager == managers[-1] and len(strict) == LONG
    assert spent < 10, spent  # about 1 s on the project's machine; the quadratic check took minutes


def test_a_cycle_at_the_end_of_a_long_chain(tmp_path: Path) -> None:
    # E00000 -> E00001 -> ... -> E19999 -> E10000: the first person's chain loops
    ids = [f"E{i:05d}" for i in range(LONG)]
    managers: list[str | None] = [*ids[1:], "E10000"]
    text = directory(managers, ids)
    started = time.process_time()
    expected = ("people.yaml", 7, 12, "management chain of E00000 loops back through `E10000`")
    assert load(tmp_path, text, strict=True) == expected
    assert canonical.people(text, "people.yaml") is None
    assert load(tmp_path, text, strict=False) == expected
    assert time.process_time() - started < 10


PEOPLE = directory([None, "E00000", "E00001", "E00000"], ["E00000", "E00001", "E00002", "E00003"]).replace(
    "Name E00002", "Yusuf Yilmaz").replace("Name E00003", "Nia Xu")

_MUTATIONS = st.sampled_from([
    "\t", " ", "  ", "\r\n", "\r", "'", "\"", "\\", ":", ": ", " #", "#", "&a ", "*a", "!", "- ", "? ",
    "no", "No", "0123", "1e3", "1_0", "null", "Null", "~", "y", "n", "2022-02-30", "2022-02-03", "\u2028", "\x85",
    "\ufeff", "é", "\x00", "\n", "\n\n", "---\n", "...\n", "  function: x\n", "- id: E00009\n", "E00000", "E00003",
    "{", "}", "[", "]", ",", "%", "@", "`", "|", ">", "true", "on", "Off", ".inf", "0x1F", "1:20", "<<", "=",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=len(PEOPLE)), st.integers(min_value=0, max_value=3),
                          _MUTATIONS), min_size=1, max_size=3))
@example([(PEOPLE.index("Yusuf"), 5, "yes")])
@example([(PEOPLE.index("E00001\n  name"), 6, "Off")])
@example([(PEOPLE.index("Nia"), 3, "No")])
def test_mutated_people_files_decline_or_agree(tmp_path: Path, edits: list[tuple[int, int, str]]) -> None:
    text = PEOPLE
    for pos, cut, insert in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + cut:]
    fast = canonical.people(text, "people.yaml")
    if fast is not None:
        assert load(tmp_path, text, strict=True) == fast, text


def test_unmutated_people_file_takes_the_fast_path(tmp_path: Path) -> None:
    fast = canonical.people(PEOPLE, "people.yaml")
    assert fast is not None
    assert fast == load(tmp_path, PEOPLE, strict=True)
    assert [(p.id, p.name, p.manager, p.loc.line) for p in fast.values()] == [
        ("E00000", "Name E00000", None, 4), ("E00001", "Name E00001", "E00000", 8),
        ("E00002", "Yusuf Yilmaz", "E00001", 12), ("E00003", "Nia Xu", "E00000", 16)]


def test_people_built_by_the_fast_path_are_ordinary_persons() -> None:
    fast = canonical.people(PEOPLE, "people.yaml")
    assert fast is not None
    person = fast["E00003"]
    built = Person("E00003", "Nia Xu", "corporate", "E00000", Loc("people.yaml", 16, 3))
    assert person == built and hash(person) == hash(built) and repr(person) == repr(built)
    assert type(person) is Person and person.division_since is None and person.function is None


@pytest.mark.parametrize("first", sorted(canonical._TEXT_FIRST))
def test_text_first_characters_are_never_read_as_anything_but_text(first: str) -> None:
    from permgate.load.yamldoc import resolve_tag

    for rest in ("", "0", "1", "es", "ull", "rue", "o", "n", "ff", "0:1", ".5", "e3", "-01-01", "000123", " x"):
        assert resolve_tag(first + rest) is None, first + rest


def test_the_fast_path_leaves_the_cycle_collector_as_it_found_it() -> None:
    import gc

    assert gc.isenabled()
    assert canonical.people(PEOPLE, "people.yaml") is not None
    assert canonical.people("people: []\n", "people.yaml") is None
    assert gc.isenabled()
    gc.disable()
    try:
        canonical.people(PEOPLE, "people.yaml")
        assert not gc.isenabled()
    finally:
        gc.enable()
