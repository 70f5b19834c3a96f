"""End to end on organisations from the shared reference generator (issue 2, Done-when).

The expected findings are recomputed here independently of permgate: PyYAML reads the
catalog and directory, and the grant lines are found by scanning each file's text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import check_json, gen_org, needs_shared, pairs

RULE = "distribution-to-retail-sales"
#: the rules of issue 2; the governance rules of issue 4 judge what gen_org does not model
#: (ticket references, delegates for division heads, expiry dates in the past)
CORE = {RULE, "invalid-file", "unknown-employee", "unknown-permission", "unknown-granter", "self-grant",
        "duplicate-grant", "retired-permission"}


def core(doc: dict[str, Any]) -> set[tuple[str, str, int]]:
    return {p for p in pairs(doc) if p[0] in CORE}
PERMISSION_LINE = re.compile(r"^\s*- permission: (\S+)\s*$")


def planted(root: Path) -> set[tuple[str, str, int]]:
    catalog = yaml.safe_load((root / "catalog.yaml").read_text())["permissions"]
    people = yaml.safe_load((root / "people.yaml").read_text())["people"]
    owner = {p["id"]: p["owner_division"] for p in catalog}
    division = {p["id"]: p["division"] for p in people}
    out = set()
    for path in sorted((root / "assignments").rglob("*.yaml")):
        text = path.read_text()
        employee = yaml.safe_load(text)["employee"]
        if division[employee] != "retail-sales":
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            m = PERMISSION_LINE.match(line)
            if m and owner[m.group(1)] == "distribution":
                out.add((RULE, path.relative_to(root).as_posix(), number))
    return out


@needs_shared
@pytest.mark.parametrize("seed", [7, 20261127])
def test_flags_exactly_the_planted_grants(tmp_path: Path, seed: int) -> None:
    root = tmp_path / "org"
    expected = gen_org(root, employees=400, seed=seed)
    code, doc = check_json(root)
    want = planted(root)
    assert len(want) == expected["planted_violations"] > 0
    assert pairs(doc, RULE) == want
    assert core(doc) - pairs(doc, RULE) == set()  # the generator writes nothing else wrong
    assert code == 1
    for f in doc["findings"]:
        if f["rule"] != RULE:
            continue
        assert f["message"].startswith(f"{f['permission']} ")
        assert " is owned by distribution (catalog.yaml:" in f["message"]
        assert f"{f['employee']} " in f["message"] and " is in retail-sales (people.yaml:" in f["message"]


@needs_shared
def test_no_violations_planted_means_no_findings(tmp_path: Path) -> None:
    root = tmp_path / "org"
    gen_org(root, employees=300, seed=11, violations=0)
    _, doc = check_json(root)
    assert core(doc) == set()
