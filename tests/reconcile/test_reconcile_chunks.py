"""``permgate reconcile`` with the grants files compared in the chunks of the split check
(``commands.reconcile._in_chunks``, ``engine.reconcile.in_chunk``/``reconcile_split``) gives the plain way's
output byte for byte: on a generated organisation in git whose export holds every kind of difference (rows
registered outside git, a grant revoked in git and still held, expired grants still held, grants never
provisioned, unused rows, malformed rows, rows of an employee with no grants file and of an unknown one, a
boundary violation only in the system), in chunks of 7 files over two workers; and it declines (the plain
way runs) when an employee's files fall in two chunks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from permgate.commands import reconcile as command
from permgate.engine import chunked
from permgate.load import bulk
from tests import anomaly_org
from tests.conftest import gen_org, run_cli
from tests.git_helpers import commit_all, git

TODAY = "2026-06-01"
_ENTRY = re.compile(r"^  - permission: (\S+)\n    granted_by: (\S+)\n    granted_on: (\S+)\n"
                    r"(?:    reason: .*\n)?(?:    expires: (\S+)\n)?", re.M)


def _export(root: Path) -> str:
    """Every grant as a row (expired ones too), with the differences planted."""
    rows = ["employee,permission,granted_on,granted_by,last_used,source"]
    for n, path in enumerate(sorted((root / "assignments").rglob("*.yaml"))):
        for i, (permission, by, on, _) in enumerate(_ENTRY.findall(path.read_text("utf-8"))):
            if (n + i) % 11 == 3:
                continue  # never provisioned
            used = "2025-01-01" if (n + i) % 7 == 0 else ("" if i % 2 else "2026-05-01")
            rows.append(f"{path.stem},{permission},{on},{by},{used},screen")
    rows += ["E000001,P083,2026-03-01,,,screen",           # registered outside git (a boundary too, maybe)
             "E000009,P050,2026-03-01,E000001,,screen",
             "E999999,P001,2026-03-01,,,screen",           # an unknown employee
             "E000004,P001,2026-02-30,,,screen",           # a date that is not one
             "E000004,,2026-02-01,,,screen",               # no permission
             "E000005,P002,2026-01-01,,,screen,extra"]     # a field too many
    return "\n".join(rows) + "\n"


def _both_ways(root: Path, monkeypatch: pytest.MonkeyPatch, chunk_files: int,
               *extra: str) -> tuple[list[bool], list[Any]]:
    taken: list[bool] = []
    real = chunked.per_chunk

    def spy(*args: Any, **kwargs: Any) -> Any:
        value = real(*args, **kwargs)
        taken.append(value is not None)
        return value

    monkeypatch.setattr(chunked, "per_chunk", spy)
    monkeypatch.setattr(command, "per_chunk", spy)
    monkeypatch.setattr(command, "CHUNK_FILES", chunk_files)
    outs = []
    for way in (True, False):
        monkeypatch.setattr(command, "CHUNKED", way)
        for fmt in ("json", "text"):
            result = run_cli("reconcile", "--root", str(root), "--actual", str(root / "access.csv"), "--format",
                             fmt, "--today", TODAY, *extra)
            outs.append((result.exit_code, result.stdout))
    assert outs[:2] == outs[2:]
    return taken, outs


def test_reconcile_in_chunks_equals_the_plain_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "org"
    gen_org(root, 300, 5, violations=20)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "grants")
    # a grant revoked in git (still held in the system: the export is written before the revocation)
    (root / "access.csv").write_text(_export(root), encoding="utf-8")
    victim = sorted((root / "assignments").rglob("*.yaml"))[5]
    text = victim.read_text("utf-8")
    first = _ENTRY.search(text)
    assert first is not None
    victim.write_text(text[:first.start()] + text[first.end():], encoding="utf-8")
    # an employee with no grants file any more (every held row undeclared)
    gone = sorted((root / "assignments").rglob("*.yaml"))[9]
    gone.unlink()
    commit_all(root, "revoke one grant, remove one file")
    monkeypatch.setattr(bulk, "PARALLEL_MIN_FILES", 0)
    taken, outs = _both_ways(root, monkeypatch, 7)
    assert taken == [True, True]
    out = outs[0][1]
    for rule in ("undeclared-access", "expired-but-active", "unprovisioned-grant", "unused-grant", "invalid-export",
                 "distribution-to-retail-sales"):
        assert f'"rule": "{rule}"' in out, rule
    assert "a revocation never applied" in out
    _, again = _both_ways(root, monkeypatch, 7, "--fail-on", "warning")
    assert again[0] == outs[0]


def test_reconcile_in_chunks_declines_for_an_employee_split_across_chunks(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "org"
    anomaly_org.build(root, employees=60)
    (root / "access.csv").write_text(_export(root), encoding="utf-8")
    taken, _ = _both_ways(root, monkeypatch, 5)
    assert taken == [False, False]  # a's second file is in another folder: the plain way ran
    taken, _ = _both_ways(root, monkeypatch, 10_000)
    assert taken == [True, True]
