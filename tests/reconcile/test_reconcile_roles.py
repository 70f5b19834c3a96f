"""``permgate reconcile`` with roles: git grants effective access (role entries expanded through
``includes``), so a permission the system of record holds that git gives only through a role is
declared, and one that no role or direct grant gives is not (docs/reconcile.md, docs/roles.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import every_finding
from tests.git_helpers import commit_all, init_repo
from tests.reconcile.test_reconcile import HEADER, reconcile
from tests.roles_org import FILES, ROLES_CLEAN, grants_file

#: E000002 holds P001 directly (line 4) and sales-standard (line 8): P003, P001 (sales-base), P002 (grid-read)
ROWS = {"P001": "E000002,P001,2026-01-05,E000001,2026-05-30,screen\n",
        "P003": "E000002,P003,2026-01-05,E000001,2026-05-30,screen\n",
        "P002": "E000002,P002,2026-01-05,E000001,2026-05-30,screen\n",
        "P004": "E000002,P004,2026-01-05,E000001,2026-05-30,screen\n"}


def found(doc: dict[str, Any]) -> set[tuple[str, str, int, str | None]]:
    return {(f["rule"], f["path"], f["line"], f["permission"]) for f in every_finding(doc)}


def test_a_permission_git_gives_only_through_a_role_is_not_undeclared(make_repo: Callable[..., Path]) -> None:
    export = HEADER + ROWS["P001"] + ROWS["P003"] + ROWS["P004"]
    root = make_repo({**FILES, "roles.yaml": ROLES_CLEAN, "access.csv": export})
    code, doc = reconcile(root, root / "access.csv")
    # P003 (sales-standard's own) and P001 (direct, and through the included sales-base) are declared;
    # P004 is given by nothing in git
    assert found(doc) == {("undeclared-access", "access.csv", 4, "P004")}
    assert code == 1


def test_a_permission_given_through_an_include_is_declared_and_still_judged(make_repo: Callable[..., Path]) -> None:
    # sales-standard includes grid-read (P002, owned by distribution): declared in git, so no
    # undeclared-access, but the boundary rule judges the system's own access all the same
    export = HEADER + ROWS["P001"] + ROWS["P003"] + ROWS["P002"]
    root = make_repo({**FILES, "access.csv": export})
    code, doc = reconcile(root, root / "access.csv")
    assert ("undeclared-access", "access.csv", 4, "P002") not in found(doc)
    assert ("distribution-to-retail-sales", "access.csv", 4, "P002") in found(doc)
    assert code == 1


def test_a_role_entry_that_is_not_in_git_declares_nothing(make_repo: Callable[..., Path]) -> None:
    # the grants file names the role but roles.yaml lost it: git gives none of its permissions
    grants = grants_file("E000002", "P001", "role:sales-gone")
    export = HEADER + ROWS["P001"] + ROWS["P003"]
    root = make_repo({**FILES, "assignments/retail-sales/E000002.yaml": grants, "access.csv": export})
    code, doc = reconcile(root, root / "access.csv")
    assert ("undeclared-access", "access.csv", 3, "P003") in found(doc)
    assert code == 1


def test_a_role_that_stops_giving_a_permission_makes_the_system_s_copy_undeclared(
        make_repo: Callable[..., Path]) -> None:
    # git at HEAD: sales-standard no longer includes grid-read; the system still holds P002
    export = HEADER + ROWS["P001"] + ROWS["P003"] + ROWS["P002"]
    root = make_repo({**FILES})
    init_repo(root)
    (root / "roles.yaml").write_text(ROLES_CLEAN, encoding="utf-8")
    commit_all(root, "sales-standard no longer includes grid-read")
    (root.parent / "system.csv").write_text(export, encoding="utf-8")
    code, doc = reconcile(root, root.parent / "system.csv")
    system = str(root.parent / "system.csv")
    assert ("undeclared-access", system, 4, "P002") in found(doc)
    assert code == 1
    # at the revision before, the role still gave it: declared
    _, before = reconcile(root, root.parent / "system.csv", "--rev", "HEAD~1")
    assert ("undeclared-access", system, 4, "P002") not in found(before)
