"""``who-can`` on the working tree reads only the grants of the permission asked for
(``commands/who_can._working_tree``): it must say exactly what the plain path says (the whole
workspace loaded, ``run_who_can(fast=False)``): holders, warnings, exit code and errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from permgate.commands import Outcome, who_can
from permgate.commands.who_can import WhoCanSettings, run_who_can
from permgate.config import load_config
from permgate.errors import PermgateError
from permgate.load import bulk
from permgate.load.source import FsSource
from permgate.load.workspace import load_catalog, load_workspace
from tests.anomaly_org import build
from tests.conftest import gen_org

HOSTILE = {
    # not canonical, still valid: the full path reads it
    "assignments/corporate/flow.yaml": "employee: E000002\ngrants: [{permission: {p}, granted_by: E000001, "
                                       "granted_on: 2024-01-02, reason: \"flow style\"}]\n",
    # an escape that spells the permission
    "assignments/corporate/escaped.yaml": "employee: E000003\ngrants:\n  - permission: \"\\x{hex}{rest}\"\n"
                                          "    granted_by: E000001\n    granted_on: 2024-01-02\n    reason: \"x\"\n",
    # one grant valid, one broken: the valid one is still a holder, the file a warning
    "assignments/corporate/half.yaml": "employee: E000004\ngrants:\n  - permission: {p}\n    granted_by: E000001\n"
                                       "    granted_on: 2024-01-02\n    reason: \"x\"\n  - permission: {p}\n"
                                       "    granted_by: E000001\n    granted_on: 2024-02-30\n    reason: \"x\"\n",
    "assignments/corporate/broken.yaml": "employee: E000005\ngrants: [oops\n",
    "assignments/corporate/latin1.yaml": b"employee: E000006\n# \xe9\n",
    "assignments/corporate/notes.txt": "not yaml\n",
    "assignments/corporate/.hidden.yaml": "employee: E000007\ngrants: []\n",
    # a leap day, a comment inside, a reason with unicode: canonical, but not for load.quick
    "assignments/corporate/leap.yaml": "---\nemployee: E000008\ngrants:\n  - permission: {p}\n"
                                       "    granted_by: E000001\n    granted_on: 2100-01-01\n"
                                       "    reason: \"Zähler — 電力\"\n",
}


def _plant(root: Path, permission: str) -> None:
    for rel, content in HOSTILE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.replace("{p}", permission).replace("{hex}", f"{ord(permission[0]):02x}")
                            .replace("{rest}", permission[1:]), encoding="utf-8")


def _both(settings: WhoCanSettings) -> tuple[object, object]:
    def run(fast: bool) -> object:
        try:
            return run_who_can(settings, fast=fast)
        except PermgateError as err:
            return (type(err).__name__, str(err))

    return run(True), run(False)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("whocan") / "org"
    planted = build(root, employees=160)
    _plant(root, planted.dup_permission)
    corporate = root / "assignments" / "corporate"
    (corporate / "alias.yaml").symlink_to("half.yaml")  # followed inside the root, as the loader does
    os.mkfifo(corporate / "pipe.yaml")
    leap = HOSTILE["assignments/corporate/leap.yaml"]
    assert isinstance(leap, str)
    (corporate / "huge.yaml").write_text(leap.replace("{p}", planted.dup_permission) + "# " + "x" * 2_000_000 + "\n",
                                         encoding="utf-8")
    return root, planted.dup_permission


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_fast_who_can_equals_the_plain_path_on_an_org_with_anomalies(org: tuple[Path, str], fmt: str) -> None:
    root, permission = org
    fast, plain = _both(WhoCanSettings(permission=permission, root=str(root), format=fmt))
    assert fast == plain
    assert isinstance(fast, Outcome) and fast.exit_code == 1
    for where in ("half.yaml:3", "escaped.yaml:3", "flow.yaml:2", "leap.yaml:4", "alias.yaml:3"):
        path, line = where.split(":")
        shown = (f"assignments/corporate/{where}" if fmt == "text" else
                 f'"line": {line},\n      "name"')
        assert shown in fast.stdout and path in fast.stdout
    for where in ("half.yaml:9", "broken.yaml:3", "latin1.yaml:2", ".hidden.yaml:1", "notes.txt:1", "alias.yaml:9",
                  "pipe.yaml:1", "huge.yaml:1"):
        assert f"warning: assignments/corporate/{where}: could not be read" in fast.stderr


def test_fast_who_can_equals_the_plain_path_for_permissions_by_id_and_by_name(
        org: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = org
    monkeypatch.setattr(bulk, "PARALLEL_MIN_FILES", 50)  # the workers, with several chunks
    source = FsSource(str(root))
    catalog = load_catalog(source, load_config(source))
    through_roles = sorted({g.permission for g in load_workspace(source).iter_grants() if g.role is not None})
    assert through_roles  # the anomaly organisation grants some permissions through role entries
    for pid, perm in sorted(catalog.items())[::9] + [(p, catalog[p]) for p in through_roles if p in catalog]:
        for arg in (pid, perm.name):
            for fmt in ("json", "text"):
                fast, plain = _both(WhoCanSettings(permission=arg, root=str(root), format=fmt))
                assert fast == plain, arg
    for pid in through_roles:
        fast, _ = _both(WhoCanSettings(permission=pid, root=str(root), format="text"))
        assert isinstance(fast, Outcome) and ", through role " in fast.stdout
    fast, plain = _both(WhoCanSettings(permission="P-nobody", root=str(root)))
    assert fast == plain


def test_fast_who_can_on_a_reference_org_with_many_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gen_org(tmp_path / "org", 400, 7)
    monkeypatch.setattr(bulk, "PARALLEL_MIN_FILES", 0)
    for permission in ("P083", "P001", "P050"):
        fast, plain = _both(WhoCanSettings(permission=permission, root=str(tmp_path / "org")))
        assert fast == plain
        assert isinstance(fast, Outcome) and fast.stdout.count("\n") > 2


def _copy(root: Path, into: Path) -> Path:
    shutil.copytree(root, into, symlinks=True, ignore=shutil.ignore_patterns("pipe.yaml"))
    return into


@pytest.mark.parametrize("damage", ["people", "catalog", "assignments", "ambiguous", "people+ambiguous",
                                    "assignments+ambiguous", "policy", "root"])
def test_errors_come_in_the_plain_paths_order(org: tuple[Path, str], tmp_path: Path, damage: str) -> None:
    root = _copy(org[0], tmp_path / "org")
    arg = org[1]
    if "people" in damage:
        (root / "people.yaml").write_text("people: [oops\n", encoding="utf-8")
    if "catalog" in damage:
        (root / "catalog.yaml").write_text("permissions: 3\n", encoding="utf-8")
    if "assignments" in damage:
        shutil.rmtree(root / "assignments")
    if "policy" in damage:
        (root / "policies" / "zz.yaml").write_text("rules: [1]\n", encoding="utf-8")
    if "ambiguous" in damage:
        text = (root / "catalog.yaml").read_text("utf-8")
        names = [line.split(": ", 1)[1] for line in text.splitlines() if line.strip().startswith("name: ")]
        text = text.replace(f"name: {names[1]}", f"name: {names[0]}", 1)
        (root / "catalog.yaml").write_text(text, encoding="utf-8")
        arg = names[0]
    settings = WhoCanSettings(permission=arg, root=str(root) if damage != "root" else str(root / "nowhere"))
    fast, plain = _both(settings)
    assert fast == plain
    assert isinstance(fast, tuple), fast  # every case here is an error


def test_the_plain_path_is_what_runs_with_rev_or_at(monkeypatch: pytest.MonkeyPatch, org: tuple[Path, str]) -> None:
    def boom(settings: WhoCanSettings) -> None:
        raise AssertionError("the fast path reads the working tree only")

    monkeypatch.setattr(who_can, "_working_tree", boom)
    with pytest.raises(PermgateError):  # not a git repository: the plain path's error
        run_who_can(WhoCanSettings(permission=org[1], root=str(org[0]), rev="HEAD"))
    assert os.path.isdir(org[0])
