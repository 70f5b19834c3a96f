"""The scoped read of ``grant`` and ``grantable`` (``load_workspace(..., employees)``): every file is
read over the cores to find the few that may hold the ids, in a child while the frame loads.  It
must give exactly the employees' files and problems of a whole load (``whatif.restrict``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from permgate.change.whatif import restrict
from permgate.config import load_config
from permgate.errors import ConfigError
from permgate.load import bulk, workspace
from permgate.load.source import FsSource
from permgate.load.workspace import load_workspace
from tests.anomaly_org import build
from tests.commands.test_who_can_fast import _plant


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scoped") / "org"
    planted = build(root, employees=120)
    _plant(root, planted.dup_permission)
    # an escape that spells an employee id: only a backslash gives it away
    corporate = root / "assignments" / "corporate"
    (corporate / "spelled.yaml").write_text('employee: "\\x45000011"\ngrants: []\n', encoding="utf-8")
    # what the one-read scan of the working tree must not get wrong: a symlink (the loader follows it
    # inside the root), a FIFO, a file over the size cap that names the employee early
    (corporate / "alias.yaml").symlink_to("half.yaml")
    os.mkfifo(corporate / "pipe.yaml")
    (corporate / "huge.yaml").write_text("employee: E000011\n# " + "x" * 2_000_000 + "\ngrants: []\n",
                                         encoding="utf-8")
    return root


@pytest.mark.parametrize("workers", [False, True])
def test_the_scoped_read_is_the_whole_read_restricted(org: Path, workers: bool,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    if workers:
        monkeypatch.setattr(bulk, "PARALLEL_MIN_FILES", 0)
        monkeypatch.setattr(workspace, "LARGE_PEOPLE_BYTES", 0)  # the child that reads while the frame loads
    source = FsSource(str(org))
    config = load_config(source)
    whole = load_workspace(source, config)
    employees = sorted({gf.employee for gf in whole.files} | {p.employee for p in whole.problems if p.employee})
    assert "E000011" in employees and "E000004" in employees  # spelled.yaml, half.yaml
    assert "assignments/corporate/alias.yaml" in {gf.path for gf in whole.files}
    assert {"assignments/corporate/pipe.yaml", "assignments/corporate/huge.yaml"} <= {p.path for p in whole.problems}
    for employee in [*employees[::7], "E000011", "E000004", "E999999"]:
        scoped = restrict(load_workspace(source, config, {employee}), {employee})
        assert scoped == restrict(whole, {employee}), employee


def test_the_frames_error_comes_first_with_the_child(org: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workspace, "LARGE_PEOPLE_BYTES", 0)
    (tmp_path / "catalog.yaml").write_bytes((org / "catalog.yaml").read_bytes())
    (tmp_path / "people.yaml").write_text("people: [oops\n", encoding="utf-8")
    (tmp_path / "policies").mkdir()
    with pytest.raises(ConfigError) as err:  # no assignments folder either: the people error first
        load_workspace(FsSource(str(tmp_path)), None, {"E000001"})
    assert err.value.path == "people.yaml"
