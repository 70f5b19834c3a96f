"""--format markdown: the pull-request summary."""

from __future__ import annotations

from pathlib import Path

from permgate.findings import Finding, RuleInfo
from permgate.reporters import REPORTERS, Report
from permgate.rules import BUILTIN_BY_ID
from tests.conftest import run_cli
from tests.git_helpers import commit_change, init_repo, write_files


def test_golden_rendering_escapes_repository_text() -> None:
    rule = BUILTIN_BY_ID["self-grant"]
    findings = (Finding("self-grant", "error", "a | b <script>x</script>\nnext", "assignments/a|b.yaml", 4, 5),)
    info = RuleInfo("self-grant", "builtin", "error", rule.summary, True)
    out = REPORTERS["markdown"](Report(findings=findings, rules=(info,), files=1, grants=2))
    assert out.splitlines()[:8] == [
        "## permgate: failed",
        "",
        "**1 error, 0 warnings, 0 notes** in 1 grants file (2 grants).",
        "",
        "| Severity | Rule | Location | Message |",
        "|---|---|---|---|",
        "| error | <code>self-grant</code> | <code>assignments/a&#124;b.yaml:4</code> | "
        "a &#124; b &lt;script&gt;x&lt;/script&gt;<br>next |",
        "",
    ]
    assert "### Rules" in out
    assert f"<details><summary><code>self-grant</code>: {rule.summary}</summary>" in out
    assert rule.doc.why.split("'")[0] in out


def test_clean_run() -> None:
    assert REPORTERS["markdown"](Report(findings=(), files=3, grants=9)) == (
        "## permgate: passed\n\n**0 errors, 0 warnings, 0 notes** in 3 grants files (9 grants).\n")


def test_base_mode_says_what_was_compared_and_counts_preexisting(tmp_path: Path) -> None:
    from permgate.rules.examples import build
    grant = ("  - permission: P003\n    granted_by: E000001\n    granted_on: 2026-01-06\n"
             "    reason: \"ticket ACC-00300\"\n")
    root = tmp_path / "grants"
    files = build({})
    files["assignments/retail-sales/E000002.yaml"] += grant + grant.replace("P003", "P002")
    init_repo(root, files)
    write_files(root, {"assignments/retail-sales/E000002.yaml": files["assignments/retail-sales/E000002.yaml"]
                       + grant})
    commit_change(root)
    result = run_cli("check", "--root", str(root), "--base", "main", "--format", "markdown")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "## permgate: failed"
    assert lines[2] == "**1 error, 0 warnings, 0 notes** new in 1 grants file (4 grants)."
    assert lines[4].startswith("Compared with <code>main</code> (<code>")
    assert lines[4].endswith("</code>): 2 findings already existed there and are not listed.")
    assert "| error | <code>duplicate-grant</code> | <code>assignments/retail-sales/E000002.yaml:16</code> |" in \
        result.stdout
