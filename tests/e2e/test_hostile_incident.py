"""Issue 6, done when: the incident replay with every hostile file in its assignments/.

The tree is built in a temporary folder by ``examples/hostile/build_hostile.py`` from the
shipped ``examples/incident-2023`` plus ``../shared/corpus/yaml-test-suite`` plus the
hand-made files.  One run must name every hostile file, still report the incident's five
cross-unbundling grants at their lines, exit 1 and print no traceback.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT, SHARED, run_cli
from tests.hostile_builder import builder

CORPUS = SHARED / "corpus" / "yaml-test-suite"
INCIDENT = PROJECT / "examples" / "incident-2023"
FIVE = {("distribution-to-retail-sales", f"assignments/retail-sales/E0000{n}.yaml", 241)
        for n in ("07", "09", "10", "11", "12")}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/yaml-test-suite is not beside the project")
def test_incident_replay_with_every_hostile_file(tmp_path: Path) -> None:
    clean = tmp_path / "incident"
    shutil.copytree(INCIDENT, clean)
    before = run_cli("check", "--root", str(clean), "--format", "json", "--today", "2023-03-16")
    incident_findings = {(f["rule"], f["path"], f["line"], f["message"]) for f in json.loads(before.stdout)["findings"]}
    assert {(r, p, line) for r, p, line, _ in incident_findings} >= FIVE

    root = tmp_path / "hostile"
    added = builder.build(root, CORPUS)
    assert len([p for p in added if p.startswith("assignments/yaml-test-suite/")]) == 402

    result = run_cli("check", "--root", str(root), "--format", "json", "--today", "2023-03-16")
    assert result.exit_code == 1
    assert result.stderr == ""
    findings = json.loads(result.stdout)["findings"]
    named = {f["path"] for f in findings}
    assert [p for p in added if p not in named] == []  # every hostile file is named
    got = {(f["rule"], f["path"], f["line"], f["message"]) for f in findings}
    assert incident_findings <= got  # nothing of the incident is lost, the five included

    # the same through `python -m permgate` in text form: same exit, no traceback
    proc = subprocess.run([sys.executable, "-m", "permgate", "check", "--root", str(root), "--today", "2023-03-16"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr == "" and "Traceback" not in proc.stdout
    lines = proc.stdout.splitlines()
    for rule, path, line in sorted(FIVE):
        assert any(out.startswith(f"{path}:{line}:5: error[{rule}] P083 ") for out in lines)
    # every finding is one line: hostile text cannot break the path:line:col format
    assert len(lines) == len(findings) + 1
