"""`permgate fmt` knows roles.yaml: the canonical layout, comments kept, nothing guessed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from permgate.edit.roles_fmt import format_roles_text
from permgate.errors import EditError
from tests.conftest import run_cli
from tests.roles_org import FILES, ROLES

MESSY = """\
# roles of the example organisation
roles:   # every bundle
# the base role
- name: Sales base
  id: sales-base
  owner_division: retail-sales   # retail keeps it
  permissions: [P003, P001]
# the standard role
- id: sales-standard
  includes:
  # base first: findings cite the first include that reaches a permission
  - sales-base
  - grid-read   # then the grid
  name: 'Sales standard'
  owner_division: retail-sales
  # a description below
  description: what every retail-sales employee needs
  permissions:
  - P004
  # P002 is the grid one
  - P002  # grid
- id: "2026-01-05"
  name: A date-like id
  owner_division: retail-sales
  permissions: []
# end of the roles
"""

CANONICAL = """\
---
# roles of the example organisation
roles:  # every bundle
  # the base role
  - id: sales-base
    name: "Sales base"
    owner_division: retail-sales  # retail keeps it
    permissions:
      - P001
      - P003
  # the standard role
  - id: sales-standard
    name: "Sales standard"
    owner_division: retail-sales
    # a description below
    description: "what every retail-sales employee needs"
    permissions:
      # P002 is the grid one
      - P002  # grid
      - P004
    includes:
      # base first: findings cite the first include that reaches a permission
      - sales-base
      - grid-read  # then the grid
  - id: 2026-01-05
    name: "A date-like id"
    owner_division: retail-sales
    permissions: []
# end of the roles
"""


def test_messy_roles_take_the_canonical_layout_with_every_comment_kept() -> None:
    assert format_roles_text(MESSY, "roles.yaml") == CANONICAL


def test_the_canonical_layout_is_a_fixed_point() -> None:
    assert format_roles_text(CANONICAL, "roles.yaml") == CANONICAL


def test_formatting_keeps_every_role_and_the_order_of_includes() -> None:
    before = yaml.safe_load(MESSY)["roles"]
    after = yaml.safe_load(CANONICAL.replace("id: 2026-01-05", 'id: "2026-01-05"'))["roles"]
    assert [r["id"] for r in after] == [r["id"] for r in before]  # roles keep the author's order
    for b, a in zip(before, after, strict=True):
        assert a["includes"] == b["includes"] if "includes" in b else "includes" not in a
        assert a["permissions"] == sorted(b["permissions"])
        assert {k: v for k, v in a.items() if k != "permissions"} == {k: v for k, v in b.items()
                                                                        if k != "permissions"}


@pytest.mark.parametrize(("text", "line", "why"), [
    ("roles:\n  - id: r\n    name: >\n      folded\n    owner_division: d\n    permissions: []\n", 3,
     "block scalars"),
    ("roles:\n  - id: r\n    name: n\n    owner_division: d\n    permissions: [P001,\n      P002]\n", 6,
     "the list of `permissions` is not on one line with its key"),
    ("roles:\n  - id: r\n    name: n\n    owner_division: d\n    permissions: [P001, P002\n      ]\n", 5,
     "spans several lines"),
    ("roles:\n  - id: r\n    name: n\n    owner_division: d\n    permissions:\n      - P001\n    colour: red\n", 7,
     "not a valid roles file"),
    ("roles:\n  - id: r\n    name: n\n    owner_division: d\n    permissions:\n    - &a P001\n", 6, "anchors"),
    ("roles:\n  -\n    id: r\n    name: n\n    owner_division: d\n    permissions: []\n", 3,
     "must start with `- key: value`"),
    ("roles:\n  - id: r\n    name:\n      n\n    owner_division: d\n    permissions: []\n", 4,
     "not on one line with its key"),
    ("roles:\n  - id: r\n    name: n\n    owner_division: d\n    permissions: []\n...\n", 6, "`...`"),
])
def test_what_cannot_be_laid_out_safely_is_refused_at_its_line(text: str, line: int, why: str) -> None:
    with pytest.raises(EditError) as err:
        format_roles_text(text, "roles.yaml")
    assert err.value.line == line and why in err.value.detail, (err.value.line, err.value.detail)


def test_fmt_formats_roles_yaml_with_the_grants_files(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**FILES, "roles.yaml": MESSY})
    check = run_cli("fmt", "--check", "--root", str(root))
    assert check.exit_code == 1 and "would reformat roles.yaml" in check.stdout
    assert (root / "roles.yaml").read_text() == MESSY  # --check writes nothing
    result = run_cli("fmt", "--root", str(root))
    assert result.exit_code == 0 and "reformatted roles.yaml" in result.stdout, result.output
    assert (root / "roles.yaml").read_text() == CANONICAL
    assert run_cli("fmt", "--check", "--root", str(root)).exit_code == 0


def test_findings_through_roles_are_the_same_after_fmt_but_for_the_roles_yaml_lines(
        make_repo: Callable[..., Path]) -> None:
    root = make_repo(FILES)
    before = run_cli("check", "--root", str(root), "--format", "json").stdout
    assert run_cli("fmt", "--root", str(root)).exit_code == 0
    assert (root / "roles.yaml").read_text() != ROLES  # it was not canonical
    after = run_cli("check", "--root", str(root), "--format", "json").stdout

    def without_role_lines(out: str) -> list[tuple[str, str, int, str | None]]:
        import json
        return [(f["rule"], f["path"], f["line"], f["role"]) for f in json.loads(out)["findings"]
                if f["path"] != "roles.yaml"]

    assert without_role_lines(after) == without_role_lines(before)
    assert any(f[3] == "sales-standard" for f in without_role_lines(after))  # the role's holder is judged


def test_a_relocated_roles_file_is_formatted_where_permgate_yaml_puts_it(make_repo: Callable[..., Path]) -> None:
    files = {k: v for k, v in FILES.items() if k != "roles.yaml"}
    root = make_repo({**files, "access/roles.yaml": MESSY, "permgate.yaml": "paths:\n  roles: access/roles.yaml\n"})
    assert run_cli("fmt", "--root", str(root)).exit_code == 0
    assert (root / "access" / "roles.yaml").read_text() == CANONICAL


def test_a_roles_file_named_on_the_command_line_is_formatted_as_roles(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**FILES, "roles.yaml": MESSY})
    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = run_cli("fmt", "roles.yaml")
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0 and "reformatted roles.yaml" in result.stdout, result.output
    assert (root / "roles.yaml").read_text() == CANONICAL


def test_a_roles_file_that_cannot_be_laid_out_is_reported_and_left_alone(make_repo: Callable[..., Path]) -> None:
    text = "roles:\n  - id: r\n    name: >\n      folded\n    owner_division: d\n    permissions: []\n"
    root = make_repo({**FILES, "roles.yaml": text})
    result = run_cli("fmt", "--root", str(root))
    assert result.exit_code == 2
    assert "roles.yaml:3:11: cannot format: block scalars" in result.stdout, result.stdout
    assert (root / "roles.yaml").read_text() == text


def test_a_symlinked_roles_file_is_not_written_through(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(MESSY)
    files = {k: v for k, v in FILES.items() if k != "roles.yaml"}
    root = make_repo(files)
    (root / "roles.yaml").symlink_to(outside)
    result = run_cli("fmt", "--root", str(root))
    assert result.exit_code == 2 and "roles.yaml:1:1: cannot format: is a symlink" in result.stdout, result.stdout
    assert outside.read_text() == MESSY
