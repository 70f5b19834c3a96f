"""``permgate report --html`` over chunks (``commands/report._split_report``): the findings counted in the
chunks, only the listed rows rendered there, and the access matrix made of each chunk's counts and first
grants, give the page of the plain path (the whole workspace loaded and judged at once) byte for byte,
whatever the chunk size, the number of workers and the caps; the runs it cannot judge take the plain path."""

from __future__ import annotations

import dataclasses
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from permgate.analysis.matrix import access_matrix, chunk_cells, merge_cells
from permgate.commands import report as report_command
from permgate.commands.report import ReportSettings, run_report
from permgate.engine import chunked
from permgate.load import bulk
from permgate.load.workspace import load_workspace
from permgate.reporters import html
from tests.anomaly_org import TODAY, Planted, build
from tests.engine.test_streamed import Outputs, baselined
from tests.git_helpers import commit_all, git

__all__ = ["baselined"]  # the fixture, shared with test_streamed


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Planted]:
    """The planted anomalies (split employees, invalid and refused files, roles, companions) without
    the waiver register (a report with one: tested below)."""
    root = tmp_path_factory.mktemp("report") / "org"
    planted = build(root)
    (root / "policies" / "waivers.yaml").unlink()
    return root, planted


def page(root: Path, out: Path, split: bool | None) -> tuple[str, bytes]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report_command, "SPLIT", split)
        o = run_report(ReportSettings(html=str(out), root=str(root), today=TODAY, history=False))
    return o.stdout, out.read_bytes()


def _caps(mp: pytest.MonkeyPatch, findings: int, cell: int) -> None:
    """Caps small enough that the organisation of 48 employees overflows them."""
    for module in (html, report_command):
        mp.setattr(module, "MAX_FINDINGS", findings)
        mp.setattr(module, "CELL_LIMIT", cell)


@pytest.mark.parametrize(("chunk", "workers", "findings", "cell"),
                         [(None, False, 5000, 1000), (1, False, 7, 3), (3, False, 40, 5), (17, True, 7, 3),
                          (5, True, 200, 50), (11, False, 1, 1)])
def test_the_split_page_is_the_plain_page(org: tuple[Path, Planted], tmp_path: Path, chunk: int | None,
                                          workers: bool, findings: int, cell: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = org
    _caps(monkeypatch, findings, cell)
    plain = page(root, tmp_path / "plain.html", True)
    monkeypatch.setattr(report_command, "CHUNK_FILES", chunk)
    if workers:  # two workers, as on a large organisation
        monkeypatch.setattr(bulk, "PARALLEL_MIN_FILES", 1)
        monkeypatch.setattr(bulk, "available_cores", lambda: 2)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the plain path was taken")

    monkeypatch.setattr(report_command, "load_workspace", refuse)  # no grant of the whole organisation here
    monkeypatch.setattr(chunked, "_unpack", refuse)  # no chunk's findings unpacked here
    split = page(root, tmp_path / "split.html", False)
    assert split[0].replace("split.html", "X") == plain[0].replace("plain.html", "X")
    assert split[1] == plain[1]
    # the page lists boundary findings first, and the caps bite
    text = plain[1].decode("utf-8")
    if findings < 100:
        assert "more findings: run <code>permgate check</code>" in text
        rows = text.split('<table class="list findings">')[1].split("</tbody>")[0]
        rules = [r.split('<td class="rule">')[1].split("</td>")[0] for r in rows.split("<tr class=")[1:]]
        assert len(rules) == findings
        assert rules[0] == "distribution-to-retail-sales"
        first_other = next((i for i, r in enumerate(rules) if r != "distribution-to-retail-sales"), len(rules))
        assert all(r != "distribution-to-retail-sales" for r in rules[first_other:])


def test_the_split_matrix_is_the_whole_matrix_cut_at_the_limit(org: tuple[Path, Planted]) -> None:
    """``merge_cells`` of random contiguous partitions of the files equals ``access_matrix`` with each
    cell cut at the limit: the same rows, columns, forbidden cells, counts and first grants."""
    root, _ = org
    ws = load_workspace(str(root))
    whole = access_matrix(ws)
    rng = random.Random(5)
    files = list(ws.files)
    for limit in (1, 2, 7, 10_000):
        cuts = sorted(rng.sample(range(1, len(files)), 6))
        parts = [files[a:b] for a, b in zip([0, *cuts], [*cuts, len(files)], strict=True)]
        frame = dataclasses.replace(ws, files=())
        chunks = [chunk_cells(limit)(dataclasses.replace(ws, files=tuple(p))) for p in parts]
        merged = merge_cells(frame, [*chunks[:2], None, *chunks[2:]], limit)
        assert (merged.rows, merged.columns, merged.forbidden) == (whole.rows, whole.columns, whole.forbidden)
        assert merged.counts == whole.counts
        assert {k: v[:limit] for k, v in whole.cells.items()} == merged.cells


@pytest.mark.parametrize("chunk", [None, 3])
def test_a_report_with_waivers_applies_them_in_the_chunks(tmp_path: Path, chunk: int | None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The planted waiver register (in force, expired, unused, invalid, for a split employee): the page over
    chunks, where each chunk marks its employees' findings as ``check`` does, is the plain page."""
    root = tmp_path / "org"
    build(root)  # with its waiver register
    plain = page(root, tmp_path / "p.html", True)
    assert b"waiver-unused" in plain[1] or b"waiver-invalid" in plain[1]
    monkeypatch.setattr(report_command, "CHUNK_FILES", chunk)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the plain path was taken")

    monkeypatch.setattr(report_command, "load_workspace", refuse)
    assert page(root, tmp_path / "p.html", False) == plain


def test_a_declined_split_takes_the_plain_path(org: tuple[Path, Planted], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = org
    plain = page(root, tmp_path / "plain.html", True)

    def declined(*args: object, **kwargs: object) -> None:
        raise chunked.Declined("assignments/x.yaml")

    monkeypatch.setattr(report_command, "check_streamed", declined)
    assert page(root, tmp_path / "plain.html", None) == plain
    with pytest.raises(chunked.Declined):
        page(root, tmp_path / "plain.html", False)


def test_the_split_page_on_a_reference_organisation(tmp_path: Path) -> None:
    """The shared reference generator's organisation (most grants with findings), through the CLI's
    settings: the same page both ways."""
    gen = Path(__file__).resolve().parents[2] / ".." / "shared" / "bench" / "gen_org.py"
    if not gen.exists():
        pytest.skip("../shared/bench/gen_org.py is not beside the project")
    root = tmp_path / "ref"
    subprocess.run([sys.executable, str(gen), "--employees", "400", "--out", str(root)], check=True,
                   capture_output=True)
    shutil.copytree(Path(__file__).resolve().parents[2] / "policies", root / "policies")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report_command, "CHUNK_FILES", 37)
        split = page(root, tmp_path / "a.html", False)
    plain = page(root, tmp_path / "a.html", True)
    assert split == plain


def test_boundary_findings_are_rendered_in_the_first_pass(org: tuple[Path, Planted], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The page keeps every boundary finding (few, spread over the organisation) and the first others: the
    chunks render their boundary findings in the first pass (``Streaming.eager``), so only the chunks holding
    the first other findings are judged again, not every chunk with a boundary finding."""
    root, _ = org
    text = page(root, tmp_path / "p.html", True)[1].decode("utf-8")
    boundary = text.count('<td class="rule">distribution-to-retail-sales</td>')
    assert boundary > 3
    _caps(monkeypatch, boundary + 2, 1000)
    plain = page(root, tmp_path / "p.html", True)
    monkeypatch.setattr(report_command, "CHUNK_FILES", 5)
    again: list[tuple[int, ...]] = []
    real = chunked.run_chunk

    def recording(*args: object) -> object:
        streaming = args[6]
        assert isinstance(streaming, chunked.Streaming)
        if streaming.only is not None:
            again.append(streaming.only)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(chunked, "run_chunk", recording)
    assert page(root, tmp_path / "p.html", False) == plain
    eager = len(again)
    assert eager <= 2  # at most the chunks of the first two other findings, in path order
    again.clear()
    monkeypatch.setattr(chunked, "_early", lambda *args: None)  # nothing rendered early: the plain capped way
    assert page(root, tmp_path / "p.html", False) == plain
    assert len(again) > eager + 2  # every chunk holding a boundary finding, judged again


def test_a_report_with_a_baseline_counts_it_down_in_the_chunks(baselined: tuple[Path, Outputs], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A baseline covering some findings fully, some keys in part, with unused and invalid entries: the page
    over chunks is the plain page (baselined findings listed as such and counted by severity)."""
    root, _ = baselined
    plain = page(root, tmp_path / "p.html", True)
    assert b"baseline-unused" in plain[1]
    monkeypatch.setattr(report_command, "CHUNK_FILES", 3)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the plain path was taken")

    monkeypatch.setattr(report_command, "load_workspace", refuse)
    assert page(root, tmp_path / "p.html", False) == plain


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted organisation in git, with a second commit that adds a boundary crossing and a third
    that removes one: the timeline has windows opened and closed."""
    root = tmp_path_factory.mktemp("history") / "org"
    planted = build(root)
    (root / "policies" / "waivers.yaml").unlink()
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "organisation")
    bad = root / planted.d_bad
    bad.write_text(bad.read_text("utf-8").replace("2025-01-05", "2025-01-07"), encoding="utf-8")
    commit_all(root, "regranted")
    (root / planted.d_bad).unlink()
    commit_all(root, "removed")
    return root


@pytest.mark.parametrize("ahead", [True, False])
def test_the_history_walked_in_a_child_gives_the_same_page(history: Path, tmp_path: Path, ahead: bool,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``Timeline`` (what the page shows of the walk, pickled back from the child) renders as the walk's
    own result does; the plain path, in this process, gives the same page."""
    def with_history(split: bool | None) -> tuple[str, bytes]:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(report_command, "SPLIT", split)
            o = run_report(ReportSettings(html=str(tmp_path / "p.html"), root=str(history), today=TODAY))
        return o.stdout, (tmp_path / "p.html").read_bytes()

    monkeypatch.setattr(report_command, "HISTORY_AHEAD", False)
    plain = with_history(True)
    assert b'class="tl-row exposure' in plain[1] and b"tl-row exposure closed" in plain[1]
    monkeypatch.setattr(report_command, "HISTORY_AHEAD", ahead)
    assert with_history(None) == plain
