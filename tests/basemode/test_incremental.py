"""Issue 5: ``check --base`` re-evaluates only the employees a change touches (``permgate.change.incremental``).

Every test changes a real git repository of a generated organisation and runs both paths on
it: the incremental one and the full one (both trees loaded and evaluated whole).  The new
findings must be the same, message, related locations and waivers included; each test also
names the findings it expects as (rule, path, line).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from permgate.change.basemode import check_against_base
from permgate.change.judge import BaseOutcome
from permgate.runtime.cache import Cache
from tests.conftest import gen_org, run_cli
from tests.git_helpers import commit_all, git, init_repo

TODAY = dt.date(2026, 6, 1)
WAIVERS = "policies/waivers.yaml"
DTRS = "distribution-to-retail-sales"



class Org:
    """Facts about the generated organisation, read with plain ``yaml.safe_load``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        people = yaml.safe_load((root / "people.yaml").read_text())["people"]
        catalog = yaml.safe_load((root / "catalog.yaml").read_text())["permissions"]
        self.division = {p["id"]: p["division"] for p in people}
        self.manager = {p["id"]: p["manager"] for p in people}
        self.owner = {p["id"]: p["owner_division"] for p in catalog}
        self.retired = {p["id"] for p in catalog if p.get("retired")}

    def path(self, emp: str) -> str:
        return f"assignments/{self.division[emp]}/{emp}.yaml"

    def of(self, division: str, n: int = 0) -> str:
        """The n-th employee of ``division`` who has a manager (so grants by the manager are in order)."""
        return [e for e, d in sorted(self.division.items()) if d == division and self.manager[e]][n]

    def sales_perms(self) -> list[str]:
        return sorted(p for p, o in self.owner.items() if o != "distribution" and p not in self.retired)


def grant(permission: str, granted_by: str, reason: str = "needed for the desk, ticket ACC-00301") -> str:
    return (f"  - permission: {permission}\n    granted_by: {granted_by}\n    granted_on: 2026-01-06\n"
            f"    reason: \"{reason}\"\n")


def grants_file(employee: str, *entries: str) -> str:
    return f"---\nemployee: {employee}\ngrants:\n" + "".join(entries)


def lines_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.fixture(scope="module")
def base_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed organisation with a separation-of-duties rule, bulk-grant settings, a waiver
    register and a misplaced second file of one seller (in the corporate folder)."""
    root = tmp_path_factory.mktemp("incr") / "grants"
    gen_org(root, employees=120, seed=515)
    (root / "expected.json").unlink()
    org = Org(root)
    seller, other = org.of("retail-sales", 0), org.of("retail-sales", 1)
    perms = org.sales_perms()
    (root / "policies" / "duties.yaml").write_text(
        "---\nrules:\n  - id: pay-and-approve\n    kind: separation-of-duties\n    severity: error\n"
        "    summary: Who pays must not approve\n    duties:\n"
        f"      - name: pay\n        any_of: [{perms[0]}]\n      - name: approve\n        any_of: [{perms[1]}]\n"
        "settings:\n  bulk-grant:\n    share: 0.6\n    min_grants: 5\n    max_added: 8\n")
    (root / WAIVERS).write_text(
        "---\nwaivers:\n"
        f"  - rule: bulk-grant\n    employee: {other}\n    reason: \"cover\"\n    ticket: ACC-00150\n"
        f"    approved_by: {org.of('corporate', 0)}\n    approved_on: 2026-05-01\n    expires: 2026-07-31\n"
        f"  - rule: self-grant\n    employee: {other}\n    permission: {perms[2]}\n    reason: \"cover\"\n"
        f"    ticket: ACC-00151\n    approved_by: {org.of('corporate', 0)}\n    approved_on: 2026-05-01\n"
        "    expires: 2026-07-31\n")
    (root / "assignments" / "corporate" / "extra.yaml").write_text(
        grants_file(seller, grant(perms[3], org.manager[seller])))
    init_repo(root)
    return root


@pytest.fixture
def repo(base_repo: Path, tmp_path: Path) -> tuple[Path, Org]:
    root = tmp_path / "grants"
    shutil.copytree(base_repo, root, symlinks=True)
    return root, Org(root)


def both(root: Path, ref: str = "HEAD") -> tuple[BaseOutcome, BaseOutcome]:
    """The incremental outcome (checked equal cold, warm and without a cache) and the full one.

    What the working tree holds is committed first (``ref`` resolved before): ``--base`` judges commits."""
    ref = git(root, "rev-parse", ref).strip()
    commit_all(root, "the change")
    full = check_against_base(str(root), ref, TODAY, incremental=False)
    assert full.scope is None
    cache = Cache(str(root.parent / "cache"))
    cold = check_against_base(str(root), ref, TODAY, cache)
    warm = check_against_base(str(root), ref, TODAY, cache)
    memory = check_against_base(str(root), ref, TODAY, None)
    for out in (cold, warm, memory):
        assert out.new == full.new
        assert (out.declined is None) == (out.scope is not None)
    if cold.scope is not None:
        assert (cold.scope.index, warm.scope and warm.scope.index, memory.scope and memory.scope.index) == (
            "built", "cached", "memory")
        # pre-existing findings are counted within the re-evaluated files only
        assert {f.path for f in cold.preexisting} <= {*cold.scope.head_files, WAIVERS}
    return cold, full


def triples(out: BaseOutcome) -> set[tuple[str, str, int]]:
    return {(f.rule, f.path, f.line) for f in out.new}


def append(root: Path, rel: str, text: str) -> int:
    """Append ``text`` to ``rel``; the line number of its first line."""
    path = root / rel
    old = path.read_text()
    path.write_text(old + text)
    return len(old.splitlines()) + 1


def test_grant_added_is_judged_on_the_changed_employee_only(repo: tuple[Path, Org]) -> None:
    root, org = repo
    seller = org.of("retail-sales", 2)
    dist = sorted(p for p, o in org.owner.items() if o == "distribution")[0]
    line = append(root, org.path(seller), grant(dist, org.manager[seller]))
    scoped, _ = both(root)
    waived = org.of("retail-sales", 1)  # the register's waiver without a permission names them
    assert scoped.scope is not None and set(scoped.scope.head_files) == {org.path(seller), org.path(waived)}
    assert {(DTRS, org.path(seller), line), ("granter-authority", org.path(seller), line)} <= triples(scoped)


def test_grant_removed_and_edited(repo: tuple[Path, Org]) -> None:
    root, org = repo
    a, b = org.of("corporate", 1), org.of("distribution", 1)
    text = (root / org.path(a)).read_text()
    cut = text.rindex("  - permission:")
    (root / org.path(a)).write_text(text[:cut])
    text_b = (root / org.path(b)).read_text()
    first_by = re.search(r"granted_by: (\S+)", text_b)
    assert first_by is not None
    (root / org.path(b)).write_text(text_b.replace(first_by.group(0), f"granted_by: {b}", 1))
    scoped, _ = both(root)
    assert scoped.scope is not None and set(scoped.scope.employees) >= {a, b}
    assert ("self-grant", org.path(b), lines_of(text_b, "- permission:")) in triples(scoped)


def test_file_added_deleted_and_renamed(repo: tuple[Path, Org]) -> None:
    root, org = repo
    gone, moved = org.of("corporate", 2), org.of("distribution", 2)
    (root / org.path(gone)).unlink()
    git(root, "mv", org.path(moved), f"assignments/retail-sales/{moved}.yaml")
    newcomer = "E999999"  # not in people.yaml
    (root / "assignments" / "retail-sales" / f"{newcomer}.yaml").write_text(
        grants_file(newcomer, grant(org.sales_perms()[0], org.of("retail-sales", 0))))
    scoped, _ = both(root)
    assert scoped.scope is not None
    found = triples(scoped)
    assert ("misplaced-file", f"assignments/retail-sales/{moved}.yaml", 3) in found
    assert ("unknown-employee", f"assignments/retail-sales/{newcomer}.yaml", 2) in found


def test_file_moved_to_another_employee(repo: tuple[Path, Org]) -> None:
    """A file re-declared for another employee: both employees' files are judged at both revisions."""
    root, org = repo
    a, b = org.of("retail-sales", 3), org.of("retail-sales", 4)
    path = root / org.path(a)
    path.write_text(path.read_text().replace(f"employee: {a}", f"employee: {b}"))
    scoped, _ = both(root)
    assert scoped.scope is not None and {a, b} <= set(scoped.scope.employees)
    assert set(scoped.scope.head_files) >= {org.path(a), org.path(b)}
    assert ("bulk-grant", org.path(a), 3) in triples(scoped)  # "this change adds N grants" to b


def test_closure_reaches_a_misplaced_file_at_the_base(repo: tuple[Path, Org]) -> None:
    """The seller's second file (assignments/corporate/extra.yaml) is unchanged and named after
    nobody: only the index finds it, and a duplicate across the two files needs it."""
    root, org = repo
    seller = org.of("retail-sales", 0)
    perm = org.sales_perms()[3]  # the one extra.yaml holds
    line = append(root, org.path(seller), grant(perm, org.manager[seller]))
    scoped, _ = both(root)
    assert scoped.scope is not None
    assert set(scoped.scope.head_files) == {org.path(seller), "assignments/corporate/extra.yaml",
                                            org.path(org.of("retail-sales", 1))}
    assert ("duplicate-grant", org.path(seller), line) in triples(scoped)


def test_new_file_for_an_employee_with_a_misplaced_file(repo: tuple[Path, Org]) -> None:
    root, org = repo
    seller = org.of("retail-sales", 0)
    perms = org.sales_perms()
    rel = f"assignments/retail-sales/{seller}-desk.yaml"
    (root / rel).write_text(grants_file(seller, grant(perms[3], org.manager[seller])))
    scoped, _ = both(root)
    assert scoped.scope is not None
    assert set(scoped.scope.head_files) == {org.path(seller), rel, "assignments/corporate/extra.yaml",
                                            org.path(org.of("retail-sales", 1))}
    assert ("duplicate-grant", rel, 4) in triples(scoped)


def test_bulk_grant_and_separation_of_duties_across_two_files(repo: tuple[Path, Org]) -> None:
    root, org = repo
    seller = org.of("retail-sales", 5)
    perms = org.sales_perms()
    manager = org.manager[seller]
    append(root, org.path(seller), grant(perms[0], manager))
    rel = f"assignments/retail-sales/{seller}-b.yaml"
    (root / rel).write_text(grants_file(seller, *(grant(p, manager) for p in perms[1:])))
    scoped, _ = both(root)
    assert scoped.scope is not None
    rules = {r for r, _, _ in triples(scoped)}
    assert {"bulk-grant", "pay-and-approve"} <= rules


def test_invalid_files_on_either_side(repo: tuple[Path, Org]) -> None:
    root, org = repo
    broken, fixed = org.of("corporate", 3), org.of("distribution", 3)
    original = (root / org.path(fixed)).read_text()
    (root / org.path(fixed)).write_text("employee: [\n")
    commit_all(root, "break a file")
    (root / org.path(fixed)).write_text(original)
    (root / org.path(broken)).write_text("---\nemployee: [unclosed\n")
    (root / "assignments" / "corporate" / "empty.yaml").write_text("")
    scoped, _ = both(root)
    assert scoped.scope is not None
    found = triples(scoped)
    assert ("invalid-file", org.path(broken), 3) in found
    assert ("invalid-file", "assignments/corporate/empty.yaml", 1) in found


def test_waivers_without_permission_bring_their_employees(repo: tuple[Path, Org]) -> None:
    root, org = repo
    waived = org.of("retail-sales", 1)  # the register's bulk-grant waiver (unused at both revisions)
    seller = org.of("retail-sales", 6)
    append(root, org.path(seller), grant(org.sales_perms()[5], seller))  # a self-grant
    scoped, _ = both(root)
    assert scoped.scope is not None and waived in scoped.scope.employees
    assert any(f.rule == "waiver-unused" for f in scoped.preexisting)


def _edit_entry(root: Path, rel: str, pid: str, edit: Any) -> None:
    path = root / rel
    text = path.read_text()
    start = text.index(f"- id: {pid}\n")
    end = text.find("- id:", start + 1)
    end = len(text) if end < 0 else end
    path.write_text(text[:start] + edit(text[start:end]) + text[end:])


def _leaf(org: Org, division: str) -> str:
    """An employee of ``division`` who manages nobody."""
    bosses = set(org.manager.values())
    return next(e for e, d in sorted(org.division.items()) if d == division and e not in bosses and org.manager[e])


@pytest.mark.parametrize("what", ["moved", "manager", "team", "renamed", "function", "removed", "added",
                                  "granter-moved"])
def test_people_changes_are_judged_incrementally(repo: tuple[Path, Org], what: str) -> None:
    root, org = repo
    seller = _leaf(org, "retail-sales")
    boss = org.manager[seller]
    head = next(e for e, d in sorted(org.division.items()) if d == "corporate" and org.manager[e] is None)
    if what == "moved":  # a transfer: their grants of retail-sales permissions stay, their file is misplaced
        _edit_entry(root, "people.yaml", seller,
                    lambda e: e.replace("division: retail-sales", "division: distribution"))
    elif what == "manager":  # the seller gets another manager: the old one's grants lose their authority
        _edit_entry(root, "people.yaml", seller, lambda e: re.sub(r"manager: \S+", f"manager: {head}", e))
    elif what == "team":  # the seller's manager moves under another manager: whole chains below change
        _edit_entry(root, "people.yaml", boss, lambda e: re.sub(r"manager: \S+", f"manager: {head}", e))
    elif what == "renamed":  # messages and related locations name the grantee and the granter
        _edit_entry(root, "people.yaml", boss, lambda e: re.sub(r"name: .*", "name: Renamed Person", e))
    elif what == "function":
        _edit_entry(root, "people.yaml", seller, lambda e: e + "  function: access-administration\n")
    elif what == "removed":  # their file now belongs to nobody
        _edit_entry(root, "people.yaml", seller, lambda e: "")
    elif what == "added":
        append(root, "people.yaml", "- id: E900001\n  name: New Person\n  division: corporate\n  manager: null\n")
    else:  # a manager who granted to their team moves away: granter-authority on the protected owner
        _edit_entry(root, "people.yaml", boss, lambda e: e.replace("division: retail-sales", "division: corporate"))
    scoped, _ = both(root)
    assert scoped.scope is not None, scoped.declined
    found = triples(scoped)
    if what == "manager":
        assert ("granter-authority", org.path(seller)) in {(r, p) for r, p, _ in found}
    if what == "moved":
        assert ("misplaced-file", org.path(seller), 3) in found
        assert ("grant-depends-on-directory-change" not in {r for r, _, _ in found})
    if what == "removed":
        assert ("unknown-employee", org.path(seller), 3) in found
    if what in ("moved", "removed", "manager"):
        assert found  # the change breaks something, and the incremental run sees it


@pytest.mark.parametrize("what", ["name", "sensitive", "grants-access", "owner", "retired", "added"])
def test_catalog_changes(repo: tuple[Path, Org], what: str) -> None:
    root, org = repo
    perm = org.sales_perms()[0]
    edits = {
        "name": lambda e: re.sub(r"name: .*", "name: renamed.permission", e),
        "sensitive": lambda e: e + "  sensitive: true\n",
        "grants-access": lambda e: e + "  grants_access: true\n",
        "owner": lambda e: re.sub(r"owner_division: \S+", "owner_division: distribution", e),
        "retired": lambda e: e + "  retired: true\n",
    }
    if what == "added":
        append(root, "catalog.yaml",
               "- id: P999\n  name: new.permission\n  owner_division: corporate\n  description: New\n")
    else:
        _edit_entry(root, "catalog.yaml", perm, edits[what])
    scoped, _ = both(root)
    # a catalog entry is part of the gate (grant-depends-on-gate-change re-judges added grants under the
    # base's catalog; bulk-grant's pool of a whole division may change): every change but a description
    # takes the full path, which ``both`` has checked equal
    assert scoped.scope is None and scoped.declined is not None and "catalog" in scoped.declined
    if what in ("sensitive", "grants-access"):
        rule = "expiry-required" if what == "sensitive" else "privilege-management"
        assert rule in {r for r, _, _ in triples(scoped)}


def test_a_catalog_description_change_is_judged_incrementally(repo: tuple[Path, Org]) -> None:
    root, org = repo
    _edit_entry(root, "catalog.yaml", org.sales_perms()[0], lambda e: re.sub(r"description: .*", "description: Now", e))
    scoped, _ = both(root)
    assert scoped.scope is not None, scoped.declined


@pytest.mark.parametrize("what", ["policy", "waiver"])
def test_gate_changes_take_the_full_path(repo: tuple[Path, Org], what: str) -> None:
    root, _org = repo
    if what == "policy":
        append(root, "policies/duties.yaml", "# reviewed\n")
    else:
        (root / WAIVERS).write_text((root / WAIVERS).read_text().replace("2026-07-31", "2026-07-30", 1))
    scoped, full = both(root)
    assert scoped.scope is None and scoped.declined is not None and "gate" in scoped.declined
    assert scoped.new == full.new


def test_cli_summary_says_what_was_reevaluated(repo: tuple[Path, Org]) -> None:
    root, org = repo
    seller = org.of("retail-sales", 2)
    append(root, org.path(seller), grant(org.sales_perms()[0], seller))
    cache = str(root.parent / "cli-cache")
    commit_all(root, "a grant")
    result = run_cli("check", "--root", str(root), "--base", "HEAD~1", "--today", TODAY.isoformat(),
                     "--cache-dir", cache, "--format", "json")
    summary = json.loads(result.stdout)["summary"]
    assert summary["incremental"] == {"employees": 2}  # the seller, and the register's waiver without permission
    assert summary["files"] == 2
    text = run_cli("check", "--root", str(root), "--base", "HEAD~1", "--today", TODAY.isoformat(),
                   "--cache-dir", cache).stdout.splitlines()[-1]
    assert "in 2 grants files (" in text
    assert ") re-evaluated for 2 employees the change touches; new against HEAD~1 (" in text


def _random_change(root: Path, org: Org, rng: random.Random) -> None:
    people = sorted(org.division)
    perms = sorted(org.owner)
    for _ in range(rng.randint(1, 4)):
        emp = rng.choice(people)
        rel = org.path(emp)
        path = root / rel
        if not path.exists():
            continue
        op = rng.randrange(8)
        if op == 0:
            append(root, rel, grant(rng.choice(perms), rng.choice([emp, org.manager[emp] or emp, rng.choice(people)])))
        elif op == 1:
            text = path.read_text()
            if "  - permission:" in text:
                path.write_text(text[:text.rindex("  - permission:")])
        elif op == 2:
            path.unlink()
        elif op == 3:
            to = f"assignments/{rng.choice(['corporate', 'distribution', 'retail-sales'])}/{emp}-moved.yaml"
            git(root, "mv", rel, to)
        elif op == 4:
            other = rng.choice(people)
            path.write_text(path.read_text().replace(f"employee: {emp}", f"employee: {other}"))
        elif op == 5:
            path.write_text(path.read_text().replace("granted_on:", "granted_on: [", 1))
        elif op == 6:
            copy = root / "assignments" / org.division[emp] / f"{emp}-copy.yaml"
            copy.write_text(path.read_text())
        else:
            path.write_text(path.read_text().replace("reason:", "# reason:", 2))


@pytest.mark.parametrize("seed", range(6))
def test_random_grants_changes_agree_with_the_full_path(repo: tuple[Path, Org], seed: int) -> None:
    root, org = repo
    _random_change(root, org, random.Random(seed))
    if seed % 2:
        commit_all(root, "a first step")  # the base is HEAD~1: the change is committed and then some
        _random_change(root, org, random.Random(seed + 100))
        scoped, _ = both(root, "HEAD~1")
    else:
        scoped, _ = both(root)
    assert scoped.scope is not None, scoped.declined


def test_symlink_at_the_base_declines(repo: tuple[Path, Org]) -> None:
    """A symlink is refused by its git mode, in words the full path owns: the full path runs."""
    root, org = repo
    a, b = org.of("corporate", 1), org.of("corporate", 2)
    (root / "assignments" / "corporate" / "alias.yaml").symlink_to(f"{b}.yaml")
    commit_all(root, "an alias")
    append(root, org.path(a), grant(org.sales_perms()[0], a))
    scoped, _ = both(root)
    assert (scoped.declined or "").startswith("assignments/corporate/alias.yaml is a symlink or submodule at ")


def test_the_base_index_declines_before_a_later_reason(repo: tuple[Path, Org]) -> None:
    """The index is built in a child while the run reads on: its reason to decline (a symlink at the
    base) still comes before one found later (a catalog that adds a permission), as when it came first."""
    root, org = repo
    a, b = org.of("corporate", 1), org.of("corporate", 2)
    (root / "assignments" / "corporate" / "alias.yaml").symlink_to(f"{b}.yaml")
    commit_all(root, "an alias")
    catalog = (root / "catalog.yaml").read_text()
    (root / "catalog.yaml").write_text(catalog + "- id: P999\n  name: new.read\n  owner_division: corporate\n"
                                       "  description: A permission the change adds\n")
    append(root, org.path(a), grant("P999", a))
    scoped, _ = both(root)
    assert (scoped.declined or "").startswith("assignments/corporate/alias.yaml is a symlink or submodule at ")
    (root / "assignments" / "corporate" / "alias.yaml").unlink()
    commit_all(root, "no alias")  # the same catalog change alone: its own reason
    (root / "catalog.yaml").write_text((root / "catalog.yaml").read_text().replace("P999", "P998"))
    scoped, _ = both(root, "HEAD")
    assert scoped.declined == "the catalog adds or removes permissions"


def _random_people_change(root: Path, org: Org, rng: random.Random) -> None:
    heads = sorted(e for e, m in org.manager.items() if m is None)
    divisions = ["corporate", "distribution", "retail-sales"]
    for _ in range(rng.randint(1, 3)):
        emp = rng.choice(sorted(e for e in org.division if e not in heads))
        op = rng.randrange(4)
        if op == 0:
            to = rng.choice(divisions)
            _edit_entry(root, "people.yaml", emp, lambda e, to=to: re.sub(r"division: \S+", f"division: {to}", e))
        elif op == 1:
            boss = rng.choice(heads)
            _edit_entry(root, "people.yaml", emp, lambda e, boss=boss: re.sub(r"manager: \S+", f"manager: {boss}", e))
        elif op == 2:
            _edit_entry(root, "people.yaml", emp, lambda e: re.sub(r"name: .*", "name: Someone Else", e))
        else:
            _edit_entry(root, "people.yaml", emp, lambda e: e + "  division_since: 2026-03-01\n")


@pytest.mark.parametrize("seed", range(4))
def test_random_people_and_grants_changes_agree_with_the_full_path(repo: tuple[Path, Org], seed: int) -> None:
    root, org = repo
    rng = random.Random(1000 + seed)
    _random_people_change(root, org, rng)
    if seed % 2:
        _random_change(root, org, rng)
    scoped, _ = both(root)
    assert scoped.scope is not None, scoped.declined


def test_files_that_are_not_yaml_and_hidden_files(repo: tuple[Path, Org]) -> None:
    """A README is refused by the walk (a finding on each side that has it)."""
    root, org = repo
    (root / "assignments" / "NOTES.md").write_text("old notes\n")
    (root / "assignments" / "gone.txt").write_text("bye\n")
    commit_all(root, "notes")
    (root / "assignments" / "NOTES.md").write_text("new notes\n")
    (root / "assignments" / "gone.txt").unlink()
    (root / "assignments" / "retail-sales" / "README.md").write_text("# sellers\n")
    seller = org.of("retail-sales", 2)
    append(root, org.path(seller), grant(org.sales_perms()[0], seller))
    scoped, _ = both(root)
    assert scoped.scope is not None, scoped.declined
    found = triples(scoped)
    assert ("invalid-file", "assignments/retail-sales/README.md", 1) in found
    assert not any(p in ("assignments/NOTES.md", "assignments/gone.txt") for _, p, _ in found)


def test_hidden_entries_decline_and_are_findings(repo: tuple[Path, Org]) -> None:
    """Hidden files and folders are findings (never skipped); the full path words them."""
    root, _org = repo
    (root / "assignments" / ".editor-swap").write_text("junk\n")
    (root / "assignments" / "corporate" / ".hidden").mkdir()
    (root / "assignments" / "corporate" / ".hidden" / "x.yaml").write_text("employee: [\n")
    scoped, _ = both(root)
    assert scoped.declined == "assignments/.editor-swap is not a plain grants file name"
    found = triples(scoped)
    assert {("invalid-file", "assignments/.editor-swap", 1), ("invalid-file", "assignments/corporate/.hidden", 1)} \
        <= found


@pytest.mark.parametrize(("name", "why"), [(".gitattributes", "says how git checks files out"),
                                           (".gitignore", "is not a plain grants file name")])
def test_git_files_under_assignments_decline(repo: tuple[Path, Org], name: str, why: str) -> None:
    root, _org = repo
    (root / "assignments" / name).write_text("# nothing\n")
    scoped, _ = both(root)
    assert scoped.declined == f"assignments/{name} {why}"
    assert ("invalid-file", f"assignments/{name}", 1) in triples(scoped)


def test_files_git_ignores_are_not_what_merges(repo: tuple[Path, Org]) -> None:
    """A file git ignores is never committed: neither path judges it (both read the commit)."""
    root, org = repo
    (root / ".gitignore").write_text("*.local.yaml\n")
    seller = org.of("retail-sales", 2)
    (root / "assignments" / "retail-sales" / "x.local.yaml").write_text(
        grants_file(seller, grant(org.sales_perms()[0], seller)))
    scoped, _ = both(root)
    assert scoped.scope is not None, scoped.declined
    assert not any(p == "assignments/retail-sales/x.local.yaml" for _, p, _ in triples(scoped))





def _people_twice(root: Path, entry: str, cache_name: str) -> tuple[Any, Any, Any]:
    """Add ``entry`` to people.yaml and commit; then load_people's directory, and ``shared_people``'s
    first (cache miss) and second answer with a fresh cache."""
    from permgate.change.people_cache import shared_people
    from permgate.config import load_config
    from permgate.git.repo import Repo
    from permgate.load.source import FsSource
    from permgate.load.workspace import load_people

    people = root / "people.yaml"
    people.write_text(people.read_text() + entry)
    commit_all(root, "people.yaml: " + cache_name)
    source = FsSource(str(root))
    config = load_config(source)
    blob = Repo(str(root)).entries("HEAD", ["people.yaml"])["people.yaml"][1]
    cache = Cache(str(root.parent / cache_name))
    parsed = load_people(source, config)
    first = shared_people(source, config, blob, cache)
    return parsed, first, shared_people(source, config, blob, cache)


def test_cached_people_directory_equals_the_parsed_one(repo: tuple[Path, Org]) -> None:
    """The people directory read back from the cache (built lazily) is load_people's, entry by entry and in order."""
    from permgate.change.people_cache import LazyPeople

    # a person with the optional fields, and a layout the fast path declines
    parsed, first, lazy = _people_twice(
        repo[0], "- id: E900001\n  name: 'Zoë O''Neill'\n  division: corporate\n"
        "  manager: null\n  division_since: 2025-02-01\n  function: access-administration\n", "people-cache")
    assert first == parsed  # a miss: parsed, then stored
    assert isinstance(lazy, LazyPeople)
    assert "E900001" in lazy and "E999999" not in lazy and lazy.get("E999999") is None
    assert list(lazy.items()) == list(parsed.items())
    assert len(lazy) == len(parsed)


def test_people_the_cache_cannot_hold_are_parsed_each_run(repo: tuple[Path, Org]) -> None:
    """A name holding the cache's column separator (a line break) is never stored: parsed again, still equal."""
    from permgate.change.people_cache import LazyPeople

    parsed, _first, again = _people_twice(
        repo[0], '- id: E900002\n  name: "two\\nlines"\n  division: corporate\n  manager: null\n', "people-cache-2")
    assert parsed["E900002"].name == "two\nlines"
    assert not isinstance(again, LazyPeople) and again == parsed


@pytest.mark.parametrize("bad", [
    {"line": "3\nx"}, {"line": "3\n"}, {"column": "\u00b2\n3"}, {"id": "E1\nE1"}, {"name": "A\n"},
    {"manager": "E1"}, {"function": 7},
])
def test_people_cache_entries_that_do_not_check_out_are_refused(bad: dict[str, object]) -> None:
    from permgate.change.people_cache import _people_columns

    good = {"id": "E1\nE2", "name": "A\nB", "division": "d\nd", "manager": "\nE1", "line": "3\n7",
            "column": "3\n3", "division_since": "\n", "function": "\n"}
    assert _people_columns(good) is not None
    assert _people_columns({**good, **bad}) is None


def test_index_is_the_same_over_workers(repo: tuple[Path, Org]) -> None:
    from permgate.change.base_index import employee_index
    from permgate.config import load_config
    from permgate.git.repo import Repo
    from permgate.load.bulk import Tuning
    from permgate.load.source import FsSource

    root, org = repo
    append(root, org.path(org.of("corporate", 1)), "  - permission: [\n")  # a changed file: read from git
    r = Repo(str(root))
    commit = r.resolve("HEAD")
    config = load_config(FsSource(str(root)))
    changed = {c.old or c.new or "" for c in r.changes(commit)}
    one = employee_index(r, commit, config, None, Tuning(jobs=1), str(root), changed)
    two = employee_index(r, commit, config, None, Tuning(jobs=2), str(root), changed)
    from_git = employee_index(r, commit, config, None, Tuning(jobs=1))
    assert one is not None and two is not None and from_git is not None
    assert one.lines == two.lines == from_git.lines
    assert one.files_of(org.of("retail-sales", 0)) == [
        "assignments/corporate/extra.yaml", org.path(org.of("retail-sales", 0))]


def test_grants_repository_in_a_subfolder(base_repo: Path, tmp_path: Path) -> None:
    """``--root access/`` inside a larger git repository: git paths carry the prefix, findings do not."""
    top = tmp_path / "mono"
    shutil.copytree(base_repo, top / "access", ignore=shutil.ignore_patterns(".git"))
    (top / "src").mkdir()
    (top / "src" / "app.py").write_text("print('hi')\n")
    init_repo(top)
    root = top / "access"
    org = Org(root)
    seller = _leaf(org, "retail-sales")
    append(root, org.path(seller), grant(org.sales_perms()[0], seller))
    _edit_entry(root, "people.yaml", org.manager[seller], lambda e: re.sub(r"name: .*", "name: Renamed Person", e))
    (top / "src" / "app.py").write_text("print('changed')\n")
    scoped, _ = both(root)
    assert scoped.scope is not None, scoped.declined
    assert scoped.prefix == "access/"
    assert ("self-grant", org.path(seller)) in {(r, p) for r, p, _ in triples(scoped)}


def test_index_of_a_later_base_is_derived_from_the_last_one(repo: tuple[Path, Org]) -> None:
    """CI bases move forward a few commits at a time: the next base's index re-loads only what differs."""
    from permgate.change.base_index import employee_index
    from permgate.config import load_config
    from permgate.git.repo import Repo
    from permgate.load.source import FsSource

    root, org = repo
    cache = Cache(str(root.parent / "cache"))
    a, b, c = org.of("corporate", 1), org.of("retail-sales", 3), org.of("distribution", 2)
    append(root, org.path(a), grant(org.sales_perms()[0], a))
    first, _ = both(root)
    assert first.scope is not None and first.scope.index == "built"
    # the base moves on: a file re-declared for another employee, one deleted, one added, a symlink
    text = (root / org.path(b)).read_text()
    (root / org.path(b)).write_text(text.replace(f"employee: {b}", f"employee: {c}"))
    (root / org.path(c)).unlink()
    (root / "assignments" / "corporate" / "new.yaml").write_text(grants_file(a, grant(org.sales_perms()[1], a)))
    commit_all(root, "the base moves on")
    git(root, "tag", "base2")
    added = append(root, org.path(a), grant(org.sales_perms()[2], a))
    commit_all(root, "the next change")  # --base judges commits: the change is HEAD, the base base2
    second = check_against_base(str(root), "base2", TODAY, cache)
    assert second.scope is not None and second.scope.index == "derived"
    assert second.new == check_against_base(str(root), "base2", TODAY, incremental=False).new
    # the change is judged, not HEAD against itself
    assert (org.path(a), added) in {(f.path, f.line) for f in second.new}
    r = Repo(str(root))
    commit = r.resolve("base2")
    fresh = employee_index(r, commit, load_config(FsSource(str(root))), None)
    derived = employee_index(r, commit, load_config(FsSource(str(root))), cache)
    assert fresh is not None and derived is not None and derived.how == "cached"
    assert (derived.lines, derived.odd) == (fresh.lines, fresh.odd)
    assert derived.files_of(c) == [org.path(b)]
    assert derived.files_of(a) == sorted(["assignments/corporate/new.yaml", org.path(a)])
    # a symlink arrives in the base: the derived index knows, and the run declines
    (root / "assignments" / "corporate" / "alias.yaml").symlink_to("new.yaml")
    commit_all(root, "an alias")
    git(root, "tag", "base3")
    append(root, org.path(a), grant(org.sales_perms()[3], a))
    commit_all(root, "the change after it")
    third = check_against_base(str(root), "base3", TODAY, cache)
    assert third.declined == "assignments/corporate/alias.yaml is a symlink or submodule at base3"


def test_files_of_other_employees_are_never_judged(repo: tuple[Path, Org]) -> None:
    """A broken file of another employee, broken at the base too: the full path re-reads it and counts its
    finding as pre-existing; the incremental run never looks at it (nor counts it)."""
    root, org = repo
    other = org.of("distribution", 4)
    (root / org.path(other)).write_text("employee: [\n")
    commit_all(root, "a broken file")
    seller = org.of("retail-sales", 2)
    append(root, org.path(seller), grant(org.sales_perms()[0], seller))
    scoped, full = both(root)
    assert scoped.scope is not None and org.path(other) not in scoped.scope.head_files + scoped.scope.base_files
    assert ("invalid-file", org.path(other)) in {(f.rule, f.path) for f in full.preexisting}
    assert org.path(other) not in {f.path for f in scoped.preexisting}
    assert ("self-grant", org.path(seller)) in {(r, p) for r, p, _ in triples(scoped)}
