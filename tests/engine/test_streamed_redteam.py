"""Red team of the streamed check (docs/security.md, "Red team 2"): attempts to make a chunk mark a
finding waived or baselined that the plain path leaves active.  Each organisation is judged the plain
way (the whole workspace at once) and streamed with one and two files a chunk (one and two workers),
and the reports must be the same bytes, with no fallback to ``check_split``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from permgate.commands import check as check_command
from permgate.commands.check import CheckSettings, run_check
from permgate.engine import chunked
from permgate.engine import evaluation as engine
from permgate.rules.examples import BASE, build
from tests.git_helpers import write_files

TODAY = dt.date(2026, 2, 1)
F2 = "assignments/retail-sales/E000002.yaml"


def grant(permission: str, by: str = "E000001", on: str = "2025-01-05", expires: str | None = None) -> str:
    return (f"  - permission: {permission}\n    granted_by: {by}\n    granted_on: {on}\n"
            f"    reason: \"desk cover, ticket ACC-00120\"\n" + (f"    expires: {expires}\n" if expires else ""))


def grants_file(employee: str, body: str) -> str:
    return f"---\nemployee: {employee}\ngrants:\n{body}"


def waiver(rule: str, employee: str | None, permission: str | None, by: str) -> str:
    return (f"  - rule: {rule}\n" + (f"    employee: {employee}\n" if employee else "")
            + (f"    permission: {permission}\n" if permission else "")
            + f"    reason: \"x\"\n    ticket: T-1\n    approved_by: {by}\n    approved_on: 2026-01-20\n"
            "    expires: 2026-03-01\n")


PEOPLE = BASE["people.yaml"] + "".join(
    f"- id: E00001{i}\n  name: Seller {i}\n  division: retail-sales\n  manager: E000001\n" for i in range(5))
#: five more files, so that one employee's files can fall in different chunks
ORG = {"people.yaml": PEOPLE} | {f"assignments/retail-sales/E00001{i}.yaml": grants_file(f"E00001{i}", grant("P001"))
                                 for i in range(5)}
EXPIRED_P003 = grant("P003", by="E000004", expires="2025-06-30")
#: E000003 granted E000002 a P003 (not expired) and approves the waiver of the expired one: invalid
BY_APPROVER = grants_file("E000002", grant("P001") + grant("P003", by="E000003", on="2025-02-01"))
REGISTER = "---\nwaivers:\n" + waiver("expired-grant", "E000002", "P003", "E000003")

ATTEMPTS: dict[str, dict[str, str]] = {
    # the approver's grant in the employee's file in another folder (the employee split across chunks)
    "approver-granted-it-in-another-folder": {
        "assignments/corporate/E000002.yaml": grants_file("E000002", EXPIRED_P003), F2: BY_APPROVER,
        "policies/waivers.yaml": REGISTER},
    # a file named for one employee that declares another (E000013.yaml holds E000002's grants)
    "a-file-declaring-another-employee": {
        "assignments/retail-sales/E000013.yaml": grants_file("E000002", EXPIRED_P003), F2: BY_APPROVER,
        "policies/waivers.yaml": REGISTER},
    # waivers without an employee for rules whose findings name one, and mass-change without --base
    "employee-less-waivers": {
        F2: grants_file("E000002", grant("P001") + EXPIRED_P003),
        "policies/waivers.yaml": "---\nwaivers:\n" + waiver("expired-grant", None, "P003", "E000003")
        + waiver("mass-change", None, "P003", "E000003")},
    # a flow-style baseline, two entries on one line (the fast loader declines it), one key in two files
    "flow-baseline-two-entries-a-line": {
        F2: grants_file("E000002", grant("P001") + EXPIRED_P003 + EXPIRED_P003.replace("06-30", "07-30")),
        "assignments/corporate/E000012.yaml": grants_file("E000012", EXPIRED_P003),
        "policies/baseline.yaml": "created: 2026-01-10\nexpires: 2026-06-30\nfindings: [{rule: expired-grant, "
        "employee: E000002, permission: P003}, {rule: expired-grant, employee: E000012, permission: P003}]\n"},
    # entries by path for a split employee's files, and a count far above the findings
    "baseline-by-path-and-huge-count": {
        "assignments/corporate/E000012.yaml": grants_file("E000012", EXPIRED_P003),
        "policies/baseline.yaml": "created: 2026-01-10\nexpires: 2026-06-30\nfindings:\n"
        "- {rule: misplaced-file, path: assignments/corporate/E000012.yaml}\n"
        "- {rule: misplaced-file, path: assignments/retail-sales/E000012.yaml}\n"
        "- {rule: expired-grant, employee: E000012, permission: P003, count: 999999999}\n"},
}


def _report(root: Path, jobs: int) -> list[tuple[str, int, str]]:
    out = []
    for fmt in ("json", "text"):
        o = run_check(CheckSettings(root=str(root), format=fmt, today=TODAY, use_cache=False, jobs=jobs))
        out.append((o.text(), o.exit_code, o.stderr))
    return out


@pytest.mark.parametrize("name", sorted(ATTEMPTS))
def test_the_streamed_check_marks_nothing_the_plain_check_leaves_active(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "org"
    write_files(root, build(ORG | ATTEMPTS[name]))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "splittable", lambda ws: False)
        plain = _report(root, 1)
    assert plain[0][1] == 1, plain  # every attempt leaves an active error
    findings = json.loads(plain[0][0])["findings"]
    assert any(f["rule"] == "expired-grant" and not f["waived"] and not f["baselined"] for f in findings) \
        or name == "baseline-by-path-and-huge-count"

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the plain path was taken")

    monkeypatch.setattr(chunked, "check_split", refuse)
    for chunk, jobs in ((1, 1), (2, 2)):
        monkeypatch.setattr(check_command, "CHUNK_FILES", chunk)
        assert _report(root, jobs) == plain, (chunk, jobs)
