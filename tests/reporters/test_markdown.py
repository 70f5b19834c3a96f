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
    assert out.splitlines()[:12] == [
        "## permgate: failed",
        "",
        "**1 error, 0 warnings, 0 notes** in 1 grants file (2 grants).",
        "",
        "| Rule | Errors | Warnings | Notes | Waived | Baselined |",
        "|---|---:|---:|---:|---:|---:|",
        "| <code>self-grant</code> | 1 | 0 | 0 | 0 | 0 |",
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
    # the base's P002 grant: the boundary finding with granter-authority as its companion, one finding
    assert lines[4].endswith("</code>): of the 1 employee the change touches (re-evaluated), 1 finding already "
                             "existed there and is not listed; the findings of the other employees were not "
                             "evaluated (they can only be pre-existing).")
    assert "| error | <code>duplicate-grant</code> | <code>assignments/retail-sales/E000002.yaml:16</code> |" in \
        result.stdout


def test_backtick_spans_become_code_so_escaped_characters_show_as_themselves() -> None:
    from permgate.findings import Finding
    from permgate.reporters import REPORTERS, Report

    f = Finding("self-grant", "error", 'rule `a"<b>` and "c"', "assignments/x.yaml", 4, 5)
    out = REPORTERS["markdown"](Report(findings=(f,), files=1, grants=1))
    row = next(line for line in out.splitlines() if line.startswith("| error"))
    assert row.endswith("| rule <code>a&quot;&lt;b&gt;</code> and &quot;c&quot; |")
    assert "`" not in row


def test_a_large_report_stays_under_github_s_summary_limit_and_counts_what_it_left_out() -> None:
    from permgate.findings import Finding
    from permgate.reporters import REPORTERS, Report
    from permgate.reporters.markdown import MAX_BYTES

    findings = tuple(Finding("missing-justification" if i % 3 else "expired-grant", "warning" if i % 3 else "note",
                             "x" * 200, f"assignments/r/E{i:06}.yaml", 4, 5) for i in range(20_000))
    out = REPORTERS["markdown"](Report(findings=findings, files=20_000, grants=20_000))
    assert len(out.encode("utf-8")) < 1024 * 1024
    rows = [line for line in out.splitlines() if line.startswith("| warning") or line.startswith("| note")]
    assert 0 < len(rows) < 20_000 and len(out.encode()) > MAX_BYTES // 2
    last_shown = len(rows) - 1
    assert f"<code>assignments/r/E{last_shown:06}.yaml:4</code>" in rows[-1]
    left = 20_000 - len(rows)
    assert f"**{left} more findings not listed**" in out
    expired_left = sum(1 for i in range(len(rows), 20_000) if i % 3 == 0)
    assert f"| <code>expired-grant</code> | 0 | 0 | {expired_left} | 0 |" in out
    assert f"| <code>missing-justification</code> | 0 | {left - expired_left} | 0 | 0 |" in out
