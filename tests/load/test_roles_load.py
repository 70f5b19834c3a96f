"""roles.yaml is loaded strictly, relocatable, and role entries of grants files survive every load path."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from permgate.commands import check as check_command
from permgate.commands.check import CheckSettings, run_check
from permgate.load.bulk import Tuning, load_many
from permgate.load.source import FsSource
from permgate.rules.examples import BASE
from permgate.runtime.cache import Cache
from tests.conftest import check_json, run_cli
from tests.roles_org import FILES, ROLES, grants_file

TODAY = ("--today", "2026-06-01")


def test_schema_roles_is_printed() -> None:
    result = run_cli("schema", "roles")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["$id"] == "urn:permgate:schema:roles"


@pytest.mark.parametrize(("roles", "line", "what"), [
    (ROLES.replace("    name: Sales base\n", ""), 2, "missing required key `name`"),
    (ROLES.replace("permissions: [P001]", "permissions: P001"), 5, "expected a list"),
    (ROLES.replace("id: grid-read", "id: sales-base"), 12, "duplicate role id `sales-base`"),
    (ROLES + "  - id: x\n    name: [\n", 18, "YAML syntax error"),
])
def test_an_unusable_roles_file_is_an_error_at_its_line(make_repo: Callable[..., Path], roles: str, line: int,
                                                        what: str) -> None:
    result = run_cli("check", "--root", str(make_repo({**FILES, "roles.yaml": roles})), *TODAY)
    assert result.exit_code == 2
    assert f"Error: roles.yaml:{line}:" in result.stderr and what in result.stderr


def test_roles_file_relocated_by_permgate_yaml(make_repo: Callable[..., Path]) -> None:
    files = {**FILES, "roles.yaml": "", "access/roles.yaml": ROLES,
             "permgate.yaml": "paths:\n  roles: access/roles.yaml\n"}
    _, doc = check_json(make_repo(files), *TODAY)
    [f] = [f for f in doc["findings"] if f["rule"] == "distribution-to-retail-sales"]
    assert f["role"] == "sales-standard" and ("access/roles.yaml", 15) in {(r["path"], r["line"]) for r in f["related"]}


def test_a_relocated_roles_file_that_is_missing_is_an_error(make_repo: Callable[..., Path]) -> None:
    files = {**FILES, "roles.yaml": "", "permgate.yaml": "paths:\n  roles: access/roles.yaml\n"}
    result = run_cli("check", "--root", str(make_repo(files)), *TODAY)
    assert result.exit_code == 2 and "paths.roles: `access/roles.yaml` not found" in result.stderr


def test_a_grant_naming_both_a_permission_and_a_role_is_invalid(make_repo: Callable[..., Path]) -> None:
    text = grants_file("E000002", "role:sales-base").replace("  - role: sales-base\n",
                                                              "  - role: sales-base\n    permission: P002\n")
    _, doc = check_json(make_repo({**FILES, "assignments/retail-sales/E000002.yaml": text}), *TODAY)
    [f] = [f for f in doc["findings"] if f["path"] == "assignments/retail-sales/E000002.yaml"]
    assert (f["rule"], f["line"]) == ("invalid-file", 4)
    assert "exactly one of `permission:`" in f["message"]


def test_role_entries_survive_the_cache(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    root = make_repo(FILES)
    rel = "assignments/retail-sales/E000002.yaml"
    tuning = Tuning(jobs=1, cache=Cache(str(tmp_path / "cache")))
    [(cold, _)] = list(load_many(FsSource(str(root)), [rel], 1 << 20, tuning))
    [(warm, _)] = list(load_many(FsSource(str(root)), [rel], 1 << 20, tuning))
    assert cold is not None and cold.role_grants and warm == cold


def test_the_chunked_check_expands_roles_in_every_chunk(make_repo: Callable[..., Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    files = dict(FILES)
    files["people.yaml"] = BASE["people.yaml"] + "".join(
        f"- id: E00000{n}\n  name: Seller {n}\n  division: retail-sales\n  manager: E000001\n" for n in range(5, 9))
    for n in range(5, 9):
        files[f"assignments/retail-sales/E00000{n}.yaml"] = grants_file(f"E00000{n}", "role:sales-standard")
    root = make_repo(files)
    whole = run_check(CheckSettings(root=str(root), format="json", today=dt.date(2026, 6, 1), use_cache=False, jobs=1))
    monkeypatch.setattr(check_command, "CHUNK_FILES", 1)
    split = run_check(CheckSettings(root=str(root), format="json", today=dt.date(2026, 6, 1), use_cache=False, jobs=2))
    assert split.stdout == whole.stdout
    assert {(f["path"], f["role"]) for f in json.loads(split.stdout)["findings"]
            if f["rule"] == "distribution-to-retail-sales"} >= {
        (f"assignments/retail-sales/E00000{n}.yaml", "sales-standard") for n in range(5, 9)}


def test_the_canonical_fast_path_reads_role_entries_as_the_full_loader_does() -> None:
    """load/canonical.py accepts role entries (``_with_roles``); whatever it accepts equals the full path,
    and mutated files it cannot vouch for are declined."""
    from permgate.load import canonical
    from permgate.load.grants import load_grants_text

    good = [grants_file("E000002", "P001", "role:sales-standard"), grants_file("E000002", "role:b", "P001", "role:a"),
            grants_file("E000002", "role:sales-standard").replace('    reason: "onboarding, ticket ACC-00102"\n',
                                                                  '    reason: "x"\n    expires: 2026-03-01\n')]
    for text in good:
        fast = canonical.grants_file(text, "a.yaml")
        assert fast is not None and fast.role_grants and (fast, []) == load_grants_text(text, "a.yaml")
    base = grants_file("E000002", "P001", "role:sales-standard")
    for bad in (base.replace("role: sales-standard", "role: no"),
                base.replace("role: sales-standard", "role: 0123"),
                base.replace("  - role:", "  -  role:"), base.replace("2026-01-05", "2026-02-30"),
                base + "  - role: x\n",
                base.replace("role: sales-standard", "role: sales-standard\n    permission: P1")):
        fast = canonical.grants_file(bad, "a.yaml")
        full = load_grants_text(bad, "a.yaml")
        assert fast is None or (fast, []) == full, bad
