"""``reporters/json_format._pieces`` fills the finding template column by column (C code over the fields);
``_pieces_one_by_one`` is the plain path it shortcuts.  Both give the same strings for every run: runs of
the usual shape, runs with waived, baselined and grouped findings in between, and runs with a part the
template cannot write (the whole run then goes one by one)."""

from __future__ import annotations

import json
import random

import pytest

from permgate.findings import Baselined, Finding, Related, Waived
from permgate.reporters import json_format
from permgate.reporters.json_format import _pieces, _pieces_one_by_one

SHARED = (Related("catalog.yaml", 3, 5, "P001 \"Till\" is owned by distribution"), Related("people.yaml", 9, 3, "é\n"))


def finding(rng: random.Random, i: int, odd: float) -> Finding:
    f = Finding(rng.choice(["self-grant", "distribution-to-retail-sales", "r\"q"]),
                rng.choice(["error", "warning", "note"]), rng.choice(["plain", "quote \" and \\ and \n", "ünï\u2028"]),
                f"assignments/{rng.randrange(5)}/E{i:06d}.yaml", rng.randrange(1, 90), rng.randrange(1, 9),
                rng.choice([None, "E000001", "E\"2"]), rng.choice([None, "P001", "P\t2"]),
                rng.choice([(), SHARED, (Related("x.yaml", i, 1, f"m{i}"),)]), role=rng.choice([None, None, "team"]))
    if rng.random() < odd:
        kind = rng.randrange(3)
        if kind == 0:
            f = f._replace(waived=Waived("E000003", "2027-01-01", "ACC-1", "why", "policies/waivers.yaml", 4, 5))
        elif kind == 1:
            f = f._replace(baselined=Baselined(".permgate-baseline.json", 7))
        else:
            f = f._replace(companions=(f._replace(rule="self-grant"),))
    return f


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("odd", [0.0, 0.05, 0.5, 1.0])
def test_columns_equal_one_by_one(seed: int, odd: float) -> None:
    rng = random.Random(seed)
    findings = [finding(rng, i, odd) for i in range(rng.randrange(0, 60))]
    got = _pieces(findings)
    assert got == _pieces_one_by_one(findings)
    # and each piece is the finding's JSON object, as json.dumps writes it
    for f, piece in zip(findings, got, strict=True):
        assert json.loads(piece[1:]) == json.loads(json.dumps(f.to_dict()))


@pytest.mark.parametrize("bad", [
    {"line": True}, {"column": 2.0}, {"message": None}, {"employee": 7}, {"permission": ["P001"]},
    {"path": None}, {"rule": None}, {"severity": "é"}, {"related": (Related("p", True, 1, "m"),)}, {"related": (Related("p", 1, 1, 3),)},
])
def test_a_part_the_template_cannot_write_gives_the_plain_strings(bad: dict[str, object]) -> None:
    rng = random.Random(3)
    findings = [finding(rng, i, 0.1) for i in range(20)]
    findings[7] = findings[7]._replace(**bad)
    assert _pieces(findings) == _pieces_one_by_one(findings)


def test_the_columns_path_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(1)
    findings = [finding(rng, i, 0.0) for i in range(30)]

    def refuse(*args: object) -> list[str]:
        raise AssertionError("one by one")

    expected = _pieces_one_by_one(findings)
    monkeypatch.setattr(json_format, "_pieces_one_by_one", refuse)
    assert _pieces(findings) == expected
