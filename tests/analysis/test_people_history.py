"""The people directory along a walk: ``VersionReader``'s fast path against the full read.

The fast path (only changed entries parsed) must give exactly what ``parse_version`` gives (every
record, every line) or decline to it: on generated directories edited the ways HR edits them, and
mutated the ways a file breaks.
"""

from __future__ import annotations

import random

import pytest

from permgate.analysis.people_history import PeopleWalk, VersionReader, parse_version
from permgate.config import load_config
from permgate.errors import ConfigError
from permgate.load.source import MemorySource

CONFIG = load_config(MemorySource({}))
DIVISIONS = ("retail-sales", "distribution", "corporate")


def directory(rng: random.Random, n: int) -> list[list[str]]:
    """[id, name, division, manager] rows; managers come before their reports, as gen_org writes them."""
    rows = []
    for i in range(1, n + 1):
        manager = f"E{rng.randint(1, i - 1):06d}" if i > 3 else "null"
        rows.append([f"E{i:06d}", f"Person {i}", rng.choice(DIVISIONS), manager])
    return rows


def text(rows: list[list[str]], head: str = "---\n# employees\npeople:\n") -> bytes:
    return (head + "".join(f"- id: {r[0]}\n  name: {r[1]}\n  division: {r[2]}\n  manager: {r[3]}\n"
                           for r in rows)).encode()


def mutate(rng: random.Random, rows: list[list[str]]) -> bytes:
    """One HR edit (most often) or a way to break or re-layout the file."""
    roll = rng.random()
    pick = rng.randrange(len(rows))
    if roll < 0.35:  # a transfer
        rows[pick][2] = rng.choice(DIVISIONS)
    elif roll < 0.55:  # a manager change (may make a cycle: the full read refuses it)
        rows[pick][3] = rng.choice([r[0] for r in rows])
    elif roll < 0.60:
        rows[pick][3] = "E999999"  # unknown manager
    elif roll < 0.65:
        rows[pick][1] = rng.choice(['"Quoted Name"', "yes", "'single'", "2021-01-01", "Ann: B"])
    elif roll < 0.70:
        rows[pick][2] = rng.choice(["null", "123", "[x]", "retail sales"])
    elif roll < 0.75:  # a new person / one removed
        if rng.random() < 0.5:
            rows.append([f"E{len(rows) + 100:06d}", "New Hire", "corporate", rows[0][0]])
        else:
            gone = rows.pop(pick)[0]
            for r in rows:
                if r[3] == gone:
                    r[3] = "null"
    elif roll < 0.80:  # a duplicate id
        rows[pick][0] = rows[(pick + 1) % len(rows)][0]
    elif roll < 0.85:  # another layout: a comment, or an optional field
        out = text(rows).decode()
        return (out.replace("  division:", "  # moved\n  division:", 1) if rng.random() < 0.5
                else out.replace("  manager: null\n", "  manager: null\n  division_since: 2022-01-10\n", 1)).encode()
    elif roll < 0.90:
        return text(rows) + b"\n"
    elif roll < 0.95:
        return text(rows).replace(b"  name:", b"  nmae:", 1)
    return text(rows)


def same(fast: object, full: object) -> bool:
    if isinstance(full, ConfigError):
        return isinstance(fast, ConfigError) and str(fast) == str(full)
    return fast == full


@pytest.mark.parametrize("seed", range(8))
def test_the_fast_path_reads_every_version_as_the_full_read_does(seed: int) -> None:
    rng = random.Random(seed)
    rows = directory(rng, 60)
    reader = VersionReader(CONFIG)
    fast_hits = 0
    for _ in range(80):
        data = mutate(rng, rows) if rng.random() < 0.9 else text(rows)
        before = reader._prev is not None
        got = reader.read(data)
        want = parse_version(data, CONFIG)
        assert same(got, want), data.decode()
        fast_hits += before and reader._prev is not None and not isinstance(got, ConfigError)
        if isinstance(want, ConfigError):  # start again from a good directory, as history would
            rows = directory(rng, 60)
    assert fast_hits > 0  # the fast path was taken, not only declined


def test_the_walk_names_who_changed_and_who_is_below_a_changed_link() -> None:
    rows = [["E000001", "A", "corporate", "null"], ["E000002", "B", "retail-sales", "E000001"],
            ["E000003", "C", "retail-sales", "E000002"], ["E000004", "D", "retail-sales", "E000003"],
            ["E000005", "E", "distribution", "E000001"]]
    reader = VersionReader(CONFIG)
    first = reader.read(text(rows))
    assert not isinstance(first, ConfigError)
    walk = PeopleWalk(dict(first))
    assert walk.apply(first) == (set(), set())
    rows[4][2] = "retail-sales"  # a transfer: E000005 changed, nobody below
    version = reader.read(text(rows))
    assert not isinstance(version, ConfigError)
    assert walk.apply(version) == ({"E000005"}, set())
    rows[2][3] = "E000005"  # E000003 now reports to E000005: E000004 below is re-judged
    version = reader.read(text(rows))
    assert not isinstance(version, ConfigError)
    assert walk.apply(version) == ({"E000003"}, {"E000004"})
    rows[1][1] = "Bea"  # a new name is no change of standing
    version = reader.read(text(rows))
    assert not isinstance(version, ConfigError)
    assert walk.apply(version) == (set(), set())
    assert walk.now["E000002"].name == "Bea"
