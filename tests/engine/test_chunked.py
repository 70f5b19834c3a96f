"""The chunked check (permgate/engine/chunked.py) gives the output of the whole-workspace evaluation, byte
for byte, in every format, whatever the chunk size and the number of worker processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from permgate.commands import check as check_command
from permgate.commands.check import CheckSettings, run_check
from permgate.engine import chunked as split
from permgate.engine import evaluation as engine
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
        out[fmt] = (o.text(), o.exit_code, o.stderr)
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
def test_chunked_output_is_the_whole_run_s(org: tuple[Path, Planted], reference: dict[str, tuple[str, int, str]],
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


def test_listing_in_a_child_changes_nothing(org: tuple[Path, Planted], reference: dict[str, tuple[str, int, str]],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """With the grants folder listed by a forked child (forced here: the org is small), every format is the same."""
    monkeypatch.setattr(check_command, "WALK_AHEAD_BYTES", 0)
    forks: list[int] = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    assert outputs(org[0], 1) == reference  # jobs=1: the listing stays here
    assert not forks
    got = outputs(org[0], None)
    assert forks
    assert got == reference


@pytest.mark.parametrize("broken", ["people", "assignments", "both"])
def test_listing_in_a_child_reports_the_same_error(tmp_path: Path, broken: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad directory or a missing grants folder is the same ``Error:`` with the listing in a child, and a
    bad directory is reported first, as without it."""
    import shutil

    from permgate.errors import ConfigError

    root = tmp_path / "org"
    build(root)
    if broken in ("people", "both"):
        (root / "people.yaml").write_text("people:\n  - id: [\n")
    if broken in ("assignments", "both"):
        shutil.rmtree(root / "assignments")
    said = []
    for ahead in (10**12, 0):
        monkeypatch.setattr(check_command, "WALK_AHEAD_BYTES", ahead)
        with pytest.raises(ConfigError) as err:
            run_check(CheckSettings(root=str(root), today=TODAY, use_cache=False))
        said.append(str(err.value))
    assert said[0] == said[1]
    assert ("people.yaml" if broken != "assignments" else "assignments folder not found") in said[0]


@pytest.mark.parametrize(("total", "size", "jobs"), [(0, 10, 2), (5, 1500, 2), (10, 3, 1), (10, 3, 2),
                                                     (3001, 1500, 2), (100_000, 1500, 2)])
def test_cut_covers_every_path_once_in_order_and_ends_finer(total: int, size: int, jobs: int) -> None:
    paths = [f"p{i:06d}" for i in range(total)]
    chunks = split.cut(paths, size, jobs)
    assert [p for c in chunks for p in c] == paths
    assert all(0 < len(c) <= size for c in chunks)
    if jobs > 1 and total >= size * jobs:  # the last jobs * size paths in quarter chunks
        small = max(1, size // 4)
        assert [len(c) for c in chunks[-(size * jobs // small):]] == [small] * (size * jobs // small)


def test_packed_findings_come_back_equal() -> None:
    from permgate.findings import Finding, Related

    r1 = Related("catalog.yaml", 4, 3, "P1 is owned by distribution")
    r2 = Related("people.yaml", 9, 3, "E1 is in sales")
    found = [Finding("granter-authority", "error", "m1", "a.yaml", 4, 5, "E1", "P1", (r1, r2)),
             Finding("bulk-grant", "warning", "m2", "a.yaml", 2, 1, "E1", None, (r2,)),
             Finding("invalid-file", "error", "m3", "b.yaml", 1, 1)]
    shared: dict[object, object] = {}
    packed = [split._pack(f, shared, {}) for f in found]
    back = split._unpack(packed, {})
    assert back == found
    assert [repr(f) for f in back] == [repr(f) for f in found] and [hash(f) for f in back] == [hash(f) for f in found]
    assert all(type(r) is Related for f in back for r in f.related) and back[0].waived is None
    assert split._unpack([], {}) == []
