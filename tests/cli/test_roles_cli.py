"""who-can and the HTML report show access given through a role."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_cli
from tests.roles_org import FILES

F2 = "assignments/retail-sales/E000002.yaml"


def test_who_can_shows_the_role_path_to_the_line_that_lists_the_permission(make_repo: Callable[..., Path]) -> None:
    root = make_repo(FILES)
    text = run_cli("who-can", "P002", "--root", str(root)).stdout
    assert f"{F2}:8: E000002 Ben Baker (retail-sales)" in text
    assert "through role sales-standard -> grid-read (roles.yaml:15)" in text
    [holder] = json.loads(run_cli("who-can", "P002", "--root", str(root), "--format", "json").stdout)["holders"]
    assert (holder["line"], holder["role"]) == (8, "sales-standard")


def test_the_html_matrix_counts_effective_access_and_marks_roles(make_repo: Callable[..., Path],
                                                                 tmp_path: Path) -> None:
    root = make_repo(FILES)
    out = tmp_path / "report.html"
    run_cli("report", "--root", str(root), "--html", str(out), "--today", "2026-06-01")
    html = out.read_text("utf-8")
    assert '"P002", "E000001", "2026-01-05", null, "sales-standard"]' in html.replace(",\n", ", ") or \
        '"P002","E000001","2026-01-05",null,"sales-standard"]' in html
    assert "via role" in html
