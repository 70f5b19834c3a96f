"""Property tests (issue 6 item 3), with hypothesis.

- adding any cross-boundary grant to a clean organisation yields exactly that new finding;
- findings do not depend on the order files are written in, nor on the folder layout;
- JSON output round-trips;
- arbitrary text and bytes in any input file never crash the loader: a grants file gives
  findings (or is valid), a catalog, people, policy or config file gives a ``PermgateError``
  (or is valid); no other exception, ever.

Example counts come from the hypothesis profile in tests/conftest.py: ``ci`` (the default,
derandomized, no example database) keeps the suite fast and reproducible;
``HYPOTHESIS_PROFILE=deep`` explores a thousand examples per property.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from permgate.commands.check import CheckSettings, run_check
from permgate.config import Config
from permgate.errors import LocatedError
from permgate.findings import SEVERITIES, Finding, Related
from permgate.load.grants import load_grants_file
from permgate.load.source import FsSource
from permgate.reporters import json_format
from permgate.reporters.base import Report
from permgate.rules.examples import BASE
from tests.conftest import run_cli, write_repo

TODAY = "2031-01-01"  # after every generated date


@contextmanager
def repo(files: Mapping[str, str | bytes]) -> Iterator[Path]:
    """A grants repository in a fresh temporary folder (hypothesis runs many per test)."""
    with tempfile.TemporaryDirectory(prefix="permgate-prop-") as tmp:
        yield write_repo(Path(tmp), files)


def findings(root: Path) -> list[dict[str, Any]]:
    result = run_cli("check", "--root", str(root), "--format", "json", "--today", TODAY)
    assert result.exit_code in (0, 1), result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return found


def key(f: dict[str, Any]) -> tuple[str, str, int, int, str]:
    return (f["rule"], f["path"], f["line"], f["column"], f["message"])


# --- strategies --------------------------------------------------------------------------

# text YAML may hold in a double-quoted scalar without escapes: no controls, surrogates or
# non-characters, no line/paragraph separators (which YAML folds)
safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Zl", "Zp"), blacklist_characters="\ufeff"),
    max_size=40)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)).map(dt.date.isoformat)
segment = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,8}", fullmatch=True)


PEOPLE = {"E000001": "retail-sales", "E000002": "retail-sales", "E000003": "distribution", "E000004": "corporate"}


def grant_yaml(permission: str, granted_by: str, granted_on: str, reason: str) -> str:
    return (f"  - permission: {permission}\n    granted_by: {granted_by}\n    granted_on: {granted_on}\n"
            f"    reason: {json.dumps(reason, ensure_ascii=False)}\n")


# --- adding a cross-boundary grant -------------------------------------------------------


@st.composite
def cross_boundary_grant(draw: st.DrawFn) -> tuple[dict[str, str], str, int]:
    """BASE plus one grant of distribution-owned P002 to a retail-sales employee.

    Returns the files, the grants file's path and the line of the grant's ``- permission:``.
    """
    files = dict(BASE)
    grantee = draw(st.sampled_from(["E000001", "E000002"]))
    granter = draw(st.sampled_from(sorted(PEOPLE)))
    grant = grant_yaml("P002", granter, draw(dates), draw(safe_text) + " ticket ACC-1")
    path = f"assignments/retail-sales/{grantee}.yaml"
    if path in files:  # E000002 already has a file: add the grant before or after its grant
        header, existing = files[path].split("grants:\n")
        if draw(st.booleans()):
            files[path] = header + "grants:\n" + existing + grant
            line = files[path].count("\n", 0, len(header) + len("grants:\n") + len(existing)) + 1
        else:
            files[path] = header + "grants:\n" + grant + existing
            line = header.count("\n") + 2
    else:
        comments = "".join(f"# {c}\n" for c in draw(st.lists(safe_text, max_size=3)))
        files[path] = f"---\n{comments}employee: {grantee}\ngrants:\n{grant}"
        line = files[path].count("\n") - 3
    return files, path, line


@given(cross_boundary_grant())
def test_a_cross_boundary_grant_added_to_a_clean_org_is_exactly_one_new_finding(
        case: tuple[dict[str, str], str, int]) -> None:
    """Exactly one new boundary finding, at the grant; other rules may speak about the same
    grant (a granter outside distribution has no authority over P002, for one), but nothing
    anywhere else changes."""
    files, path, line = case
    with repo(BASE) as clean:
        before = {key(f) for f in findings(clean)}
    with repo(files) as root:
        after = findings(root)
    new = [f for f in after if key(f) not in before]
    assert [(f["rule"], f["path"], f["line"], f["column"], f["permission"]) for f in new
            if f["rule"] == "distribution-to-retail-sales"] == [
        ("distribution-to-retail-sales", path, line, 5, "P002")]
    assert {(f["path"], f["line"]) for f in new} == {(path, line)}
    # and no finding of the clean organisation went away
    assert before <= {key(f) for f in after}


# --- file order and folder layout --------------------------------------------------------

@st.composite
def organisation(draw: st.DrawFn) -> dict[str, str]:
    """Grants files (one per employee) with a mix of clean and flagged grants."""
    out: dict[str, str] = {}
    for employee in draw(st.lists(st.sampled_from(sorted(PEOPLE)), unique=True, min_size=1)):
        entries = draw(st.lists(st.tuples(st.sampled_from(["P001", "P002", "P003", "P004", "P999"]),
                                          st.sampled_from([*PEOPLE, "E999999"]), dates, safe_text),
                                min_size=0, max_size=4))
        body = "".join(grant_yaml(*e) for e in entries) if entries else ""
        out[employee] = f"employee: {employee}\ngrants:{'' if entries else ' []'}\n{body}"
    return out


@given(organisation(), st.randoms(use_true_random=False), st.data())
def test_findings_do_not_depend_on_file_order_or_folder_layout(
        org: dict[str, str], rnd: Any, data: st.DataObject) -> None:
    files = {k: v for k, v in BASE.items() if not k.startswith("assignments/")}
    canonical = {f"assignments/{PEOPLE[e]}/{e}.yaml": text for e, text in org.items()}
    # another layout: any sub-folders below the division's folder (misplaced-file wants the
    # division first and the employee's name last); and written in another order
    moved = {}
    for e in org:
        folders = data.draw(st.lists(segment, max_size=3), label=f"folders of {e}")
        moved[f"assignments/{'/'.join([PEOPLE[e], *folders, e])}.yaml"] = f"assignments/{PEOPLE[e]}/{e}.yaml"
    order = list(moved)
    rnd.shuffle(order)

    with repo({**files, **canonical}) as root:
        expected = findings(root)
    with repo({**files, **{new: canonical[moved[new]] for new in order}}) as root:
        got = findings(root)

    def back(f: dict[str, Any]) -> dict[str, Any]:
        f = dict(f, companions=[back(c) for c in f["companions"]])
        for new, old in moved.items():
            f["message"] = f["message"].replace(f"{new}:", f"{old}:")
            f["related"] = [{**r, "path": moved.get(r["path"], r["path"])} for r in f["related"]]
        f["path"] = moved.get(f["path"], f["path"])
        return f

    assert sorted(map(json.dumps, map(back, got))) == sorted(map(json.dumps, expected))


# --- JSON round trip ---------------------------------------------------------------------

any_text = st.text(max_size=30)
related = st.builds(Related, any_text, st.integers(1, 10**6), st.integers(1, 10**4), any_text)
finding = st.builds(
    Finding,
    rule=st.from_regex(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", fullmatch=True),
    severity=st.sampled_from(SEVERITIES),
    message=any_text,
    path=any_text,
    line=st.integers(1, 10**6),
    column=st.integers(1, 10**4),
    employee=st.none() | any_text,
    permission=st.none() | any_text,
    related=st.lists(related, max_size=3).map(tuple),
)
# a finding listed with companions (permgate/engine/grouping.py): the JSON nests them
finding = finding | st.builds(lambda head, others: dataclasses.replace(head, companions=tuple(others)),
                              finding, st.lists(finding, min_size=1, max_size=2))


def from_dict(d: dict[str, Any]) -> Finding:
    return Finding(**{**d, "related": tuple(Related(**r) for r in d["related"]),
                      "companions": tuple(from_dict(c) for c in d["companions"])})


@given(st.lists(finding, max_size=6))
def test_json_output_round_trips(found: list[Finding]) -> None:
    found.sort(key=Finding.sort_key)
    report = Report(findings=tuple(found), files=3, grants=7)
    text = json_format.render(report)
    doc = json.loads(text)
    assert doc["version"] == 1
    assert [from_dict(f) for f in doc["findings"]] == found
    assert doc["summary"] == report.summary()
    again = Report(findings=tuple(from_dict(f) for f in doc["findings"]), files=3, grants=7)
    assert json_format.render(again) == text


@settings(max_examples=10)
@given(cross_boundary_grant())
def test_json_of_a_real_run_round_trips(case: tuple[dict[str, str], str, int]) -> None:
    with repo(case[0]) as root:
        result = run_cli("check", "--root", str(root), "--format", "json", "--today", TODAY)
    doc = json.loads(result.stdout)
    rebuilt = Report(findings=tuple(from_dict(f) for f in doc["findings"]), files=doc["summary"]["files"],
                     grants=doc["summary"]["grants"])
    assert json_format.render(rebuilt) == result.stdout


# --- arbitrary input never crashes the loader --------------------------------------------

TOKENS = [
    "employee", "grants", "permission", "granted_by", "granted_on", "reason", "expires", "permissions", "id",
    "name", "owner_division", "description", "retired", "people", "division", "manager", "rules", "kind",
    "severity", "summary", "waivable", "owner_divisions", "grantee_divisions", "forbidden-owner", "error",
    "distribution", "retail-sales", "paths", "catalog", "assignments", "policies", "max_file_bytes",
    ": ", ":", "\n", "  ", "    ", "- ", "-", "[", "]", "{", "}", ", ", "&a ", "*a", "!!str ", "!x ",
    "!!python/name:os.system ",
    "? ", "|\n", ">-\n", "'", '"', "# c", "---\n", "...\n", "\t", "E000001", "E000002", "P002", "2022-07-01",
    "2022-02-30", "0123", "no", "on", "1e3", "0b_", "._", "<<: ", "~", "null", "true", "%YAML 1.1\n",
    "%TAG ! x:\n", "\ufeff", "\x00", "\\", "%", "1024", "-1", "\u202e", "é", "\U0001f600",
]
yamlish = st.lists(st.sampled_from(TOKENS) | st.text(max_size=4), max_size=60).map("".join)


@st.composite
def mutated(draw: st.DrawFn, original: str) -> str:
    """A valid file with a few random edits: reaches deep paths (wrong types, odd keys)."""
    text = original
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 6))
        text = text[:at] + draw(st.sampled_from(TOKENS) | st.text(max_size=3)) + text[at + cut:]
    return text


GRANTS_FILE = BASE["assignments/retail-sales/E000002.yaml"]


def assert_grants_load_is_total(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "g.yaml").write_bytes(content)
        gf, problems = load_grants_file(FsSource(tmp), "g.yaml", Config().max_file_bytes)
    assert gf is not None or problems, "a file that gives no grants must give a finding"
    for p in problems:
        assert p.path == "g.yaml" and p.line >= 1 and p.column >= 1
        assert "\n" not in p.message and len(p.message) < 1000


@given(yamlish | mutated(GRANTS_FILE))
def test_arbitrary_text_as_a_grants_file_never_crashes(text: str) -> None:
    assert_grants_load_is_total(text.encode("utf-8", "surrogatepass"))


@given(st.binary(max_size=200) | st.binary(max_size=100).map(lambda b: b"\xef\xbb\xbf" + b)
       | mutated(GRANTS_FILE).map(lambda t: t.encode("utf-8", "surrogatepass")[::-1]))
def test_arbitrary_bytes_as_a_grants_file_never_crash(content: bytes) -> None:
    assert_grants_load_is_total(content)


DEPENDED_ON = ["catalog.yaml", "people.yaml", "policies/unbundling.yaml", "permgate.yaml", "policies/waivers.yaml"]
WAIVERS = """\
---
waivers:
  - rule: self-grant
    employee: E000002
    permission: P001
    reason: "billing desk cover while the manager is away"
    ticket: ACC-00150
    approved_by: E000001
    approved_on: 2026-05-01
    expires: 2026-07-31
"""


@st.composite
def broken_dependency(draw: st.DrawFn) -> tuple[str, bytes]:
    rel = draw(st.sampled_from(DEPENDED_ON))
    config = "paths:\n  catalog: catalog.yaml\nmax_file_bytes: 4096\nseverity:\n  self-grant: warning\n"
    original = BASE.get(rel, WAIVERS if rel.endswith("waivers.yaml") else config)
    text = draw(yamlish | mutated(original) | st.binary(max_size=120).map(lambda b: b.decode("latin-1")))
    return rel, text.encode("utf-8", "surrogatepass")


@given(broken_dependency())
def test_arbitrary_catalog_people_policy_or_config_is_an_error_never_a_crash(case: tuple[str, bytes]) -> None:
    rel, content = case
    with repo({**BASE, rel: content}) as root:
        try:
            outcome = run_check(CheckSettings(root=str(root), format="json", today=dt.date(2031, 1, 1)))
        except LocatedError as err:  # Error: path:line:col: ... (exit 2)
            assert re.fullmatch(r"[^\n]+:[0-9]+:[0-9]+: [^\n]+", str(err)), str(err)
            assert err.line >= 1 and err.column >= 1
        else:
            json.loads(outcome.stdout)
            assert outcome.exit_code in (0, 1)
