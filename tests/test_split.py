"""The split check (permgate/split.py) gives the output of the whole-workspace evaluation, byte
for byte, in every format, whatever the chunk size and the number of worker processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from permgate import engine, split
from permgate.commands import check as check_command
from permgate.commands.check import CheckSettings, run_check
from permgate.reporters import REPORTERS
from tests.anomaly_org import TODAY, Planted, build


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Planted]:
    root = tmp_path_factory.mktemp("split") / "org"
    return root, build(root)


def outputs(root: Path, jobs: int | None) -> dict[str, tuple[str, int, str]]:
    out = {}
    for fmt in sorted(REPORTERS):
        o = run_check(CheckSettings(root=str(root), format=fmt, today=TODAY, use_cache=False, jobs=jobs))
        out[fmt] = (o.stdout, o.exit_code, o.stderr)
    return out


@pytest.fixture(scope="module")
def reference(org: tuple[Path, Planted]) -> dict[str, tuple[str, int, str]]:
    """The whole workspace at once, in this process (the path a rule the split cannot divide takes)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "splittable", lambda ws: False)
        return outputs(org[0], 1)


def test_the_reference_has_the_planted_cases(org: tuple[Path, Planted],
                                             reference: dict[str, tuple[str, int, str]]) -> None:
    _, p = org
    text = reference["text"][0]
    for where, rule in ((f"{p.a_main}:5:5", "duplicate-grant"), (f"{p.a_extra}:2:1", "bulk-grant"),
                        (f"{p.a_extra}:60:5", "no-first-with-last"), (f"{p.d_bad}:6:", "invalid-file"),
                        ("assignments/retail-sales/notes.txt:1:1", "invalid-file"),
                        ("policies/waivers.yaml:40:5", "waiver-invalid"),
                        ("policies/waivers.yaml:25:5", "waiver-unused")):
        assert any(line.startswith(where) and f"[{rule}]" in line for line in text.splitlines()), (where, rule)
    assert "waived" in text
    assert "waiver expired on 2024-03-01" in text


@pytest.mark.parametrize(("chunk", "jobs"), [(1, 1), (2, 1), (5, 1), (17, 1), (None, 1), (None, None),
                                             (3, 2), (11, 2)])
def test_split_output_is_the_whole_run_s(org: tuple[Path, Planted], reference: dict[str, tuple[str, int, str]],
                                         chunk: int | None, jobs: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_command, "CHUNK_FILES", chunk)
    got = outputs(org[0], jobs)
    for fmt in sorted(REPORTERS):
        assert got[fmt] == reference[fmt], fmt


def test_progress_hears_of_every_chunk(org: tuple[Path, Planted], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_command, "CHUNK_FILES", 10)
    calls: list[tuple[int, int]] = []
    run_check(CheckSettings(root=str(org[0]), today=TODAY, use_cache=False, jobs=2),
              lambda done, total: calls.append((done, total)))
    total = calls[-1][1]
    assert calls[-1] == (total, total)
    assert len(calls) == -(-total // 10)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_a_chunk_whose_worker_dies_is_judged_again_here(org: tuple[Path, Planted],
                                                        reference: dict[str, tuple[str, int, str]],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-run (the OOM killer, a signal) costs time, never a chunk or a hang."""
    here = os.getpid()
    real = split.run_chunk

    def dies_in_a_worker(*args: Any) -> split.ChunkResult:
        if os.getpid() != here and args[4][0] <= org[1].a_main < args[4][-1] + "~":
            os._exit(9)  # the worker vanishes, as under kill -9
        return real(*args)

    monkeypatch.setattr(split, "run_chunk", dies_in_a_worker)
    monkeypatch.setattr(check_command, "CHUNK_FILES", 7)
    assert outputs(org[0], 2)["json"] == reference["json"]
