"""--format github: workflow commands, escaped as the runner unescapes them, grouped per file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from permgate.findings import Finding, Waived
from permgate.reporters import REPORTERS, Report
from permgate.reporters.github import escape_data, escape_property
from tests.conftest import run_cli

F2 = "assignments/retail-sales/E000002.yaml"


def test_escape_data() -> None:
    assert escape_data("100% sure\r\nnext: a,b") == "100%25 sure%0D%0Anext: a,b"
    assert escape_data("%0A") == "%250A"  # an escape sequence in the text stays text


def test_escape_property() -> None:
    assert escape_property("a:b,c%d\re\nf") == "a%3Ab%2Cc%25d%0De%0Af"


def test_render_escapes_messages_and_properties_and_groups_per_file() -> None:
    findings = (
        Finding("self-grant", "error", "50% of it\nsecond line\r", "assignments/x:y,z.yaml", 4, 5),
        Finding("self-grant", "warning", "plain", "assignments/x:y,z.yaml", 8, 5),
        Finding("expired-grant", "note", "a note", "assignments/y.yaml", 3, 7),
    )
    out = REPORTERS["github"](Report(findings=findings, files=2, grants=3, path_prefix="grants/"))
    assert out.splitlines() == [
        "::group::grants/assignments/x:y,z.yaml",
        "::error file=grants/assignments/x%3Ay%2Cz.yaml,line=4,col=5,title=self-grant::50%25 of it%0Asecond line%0D",
        "::warning file=grants/assignments/x%3Ay%2Cz.yaml,line=8,col=5,title=self-grant::plain",
        "::endgroup::",
        "::group::grants/assignments/y.yaml",
        "::notice file=grants/assignments/y.yaml,line=3,col=7,title=expired-grant::a note",
        "::endgroup::",
        "1 error, 1 warning, 1 note in 2 grants files (3 grants)",
    ]


def test_waived_finding_is_a_notice() -> None:
    w = Waived("E000001", "2026-12-31", "ACC-00001", "pilot", "policies/waivers.yaml", 4, 5)
    out = REPORTERS["github"](Report(findings=(Finding("self-grant", "error", "m", "a.yaml", 1, 1, waived=w),)))
    assert out.splitlines()[1] == ("::notice file=a.yaml,line=1,col=1,title=self-grant (waived)::waived error until "
                                   "2026-12-31 by E000001, ticket ACC-00001: m")


def test_cli_annotations_point_at_the_grant_line(make_repo: Callable[..., Path]) -> None:
    bad = ("---\nemployee: E000002\ngrants:\n  - permission: P002\n    granted_by: E000001\n"
           "    granted_on: 2026-01-05\n    reason: \"ticket ACC-00108\"\n")
    root = make_repo({F2: bad})
    result = run_cli("check", "--root", str(root), "--format", "github", "--today", "2026-06-01")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"::group::{F2}"
    assert any(line.startswith(f"::error file={F2},line=4,col=5,title=distribution-to-retail-sales::P002 ")
               for line in lines)


def test_past_the_cap_errors_are_annotated_first_and_the_rest_stay_in_the_log() -> None:
    from permgate.reporters.github import MAX_ANNOTATIONS

    notes = tuple(Finding("expired-grant", "note", f"n{i}", f"assignments/a{i:03}.yaml", 2, 5) for i in range(60))
    errors = tuple(Finding("self-grant", "error", f"e{i}", f"assignments/b{i:03}.yaml", 7, 5) for i in range(3))
    out = REPORTERS["github"](Report(findings=notes + errors, files=63, grants=63)).splitlines()
    commands = [line for line in out if line.startswith(("::error", "::warning", "::notice"))]
    assert len(commands) == MAX_ANNOTATIONS == 50
    # the three errors, then the first 46 notes in the findings' order, then the closing notice
    assert [c.split("::")[2] for c in commands if c.startswith("::error")] == ["e0", "e1", "e2"]
    assert "::notice file=assignments/a045.yaml,line=2,col=5,title=expired-grant::n45" in commands
    assert not any("a046.yaml" in c for c in commands)
    assert "- assignments/a046.yaml:2:5: note[expired-grant] n46" in out
    assert "- assignments/a059.yaml:2:5: note[expired-grant] n59" in out
    assert commands[-1].startswith("::notice title=permgate::14 more findings are not annotated (14 notes)")
    assert out[-1] == "3 errors, 0 warnings, 60 notes in 63 grants files (63 grants)"


def test_at_the_cap_every_finding_is_annotated_and_no_notice_is_added() -> None:
    findings = tuple(Finding("expired-grant", "note", f"n{i}", f"assignments/a{i:03}.yaml", 2, 5) for i in range(50))
    out = REPORTERS["github"](Report(findings=findings, files=50, grants=50)).splitlines()
    assert sum(line.startswith("::notice file=") for line in out) == 50
    assert not any(line.startswith("::notice title=permgate") or line.startswith("- ") for line in out)
