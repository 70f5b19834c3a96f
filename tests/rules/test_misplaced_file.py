from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, pairs
from tests.rules.helpers import grants

RULE = "misplaced-file"
G = grants("E000002", ("P001", "E000001", "2026-01-05"))


def test_wrong_folder_wrong_name_and_both(make_repo: Callable[..., Path]) -> None:
    files = {"assignments/retail-sales/E000002.yaml": "",
             "assignments/corporate/E000002.yaml": G,                     # wrong folder
             }
    _, doc = check_json(make_repo(files))
    assert pairs(doc, RULE) == {(RULE, "assignments/corporate/E000002.yaml", 2)}
    files = {"assignments/retail-sales/E000002.yaml": "", "assignments/retail-sales/ben.yaml": G}
    _, doc = check_json(make_repo(files))
    assert pairs(doc, RULE) == {(RULE, "assignments/retail-sales/ben.yaml", 2)}
    files = {"assignments/retail-sales/E000002.yaml": "", "assignments/misc/x.yml": G}
    _, doc = check_json(make_repo(files))
    found = [f for f in doc["findings"] if f["rule"] == RULE]
    assert [(f["path"], f["line"]) for f in found] == [("assignments/misc/x.yml", 2)]
    assert "move it to assignments/retail-sales/E000002.yaml" in found[0]["message"]


def test_deeper_folders_and_files_at_the_top(make_repo: Callable[..., Path]) -> None:
    files = {"assignments/retail-sales/E000002.yaml": "", "assignments/retail-sales/team-a/E000002.yaml": G}
    _, doc = check_json(make_repo(files))
    assert pairs(doc, RULE) == set()
    files = {"assignments/retail-sales/E000002.yaml": "", "assignments/E000002.yaml": G}
    _, doc = check_json(make_repo(files))
    assert pairs(doc, RULE) == set()
