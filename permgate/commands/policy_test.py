"""``permgate test``: run the test cases written as data next to the policies.

A test file (``policies/tests/*.yaml``, schema ``permgate schema policy-tests``) holds
cases.  Each case starts from the repository under test (its ``permgate.yaml``, catalog,
people directory and policy files, but none of its grants files and not its waiver
register), lays the case's ``files`` over it in a scratch folder, runs every rule, and
compares, per rule named under ``expect``, the ``path:line`` of the active findings with
the expected ones.  Per case and rule the result is ``pass``, ``fail``, or, for a policy
rule the case does not name, ``not-applicable`` (as ``cfn-guard test`` reports SKIP).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any

from permgate.commands import EXIT_CLEAN, EXIT_FINDINGS, Outcome
from permgate.config import CONFIG_NAME, Config, load_config
from permgate.engine.evaluation import evaluate
from permgate.errors import ConfigError, LoadError, UsageError
from permgate.load import files
from permgate.load.schemas import validate
from permgate.load.source import FsSource
from permgate.load.workspace import load_policy_files, load_workspace, policy_file_names
from permgate.load.yamldoc import Document, decode, parse
from permgate.model import PolicyRule
from permgate.rules import BUILTIN_BY_ID

VERSION = 1
PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not-applicable"


@dataclass(frozen=True)
class TestSettings:
    root: str = "."
    path: str | None = None
    require_tests: bool = False
    format: str = "text"
    today: dt.date | None = None


@dataclass
class RuleResult:
    rule: str
    status: str
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


@dataclass
class CaseResult:
    name: str
    path: str
    line: int
    results: list[RuleResult]

    @property
    def passed(self) -> bool:
        return all(r.status != FAIL for r in self.results)


def _display(root: str, path: str) -> str:
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def find_test_files(root: str, config: Config, path: str | None) -> list[str]:
    """Test files to run (filesystem paths), sorted; the default folder may be absent."""
    target = path if path is not None else os.path.join(root, config.policies, "tests")
    if os.path.isfile(target):
        return [target]
    if not os.path.isdir(target):
        if path is not None:
            raise UsageError(f"{path}: no such test file or folder")
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(target):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out += [os.path.join(dirpath, n) for n in filenames
                if n.lower().endswith(files.YAML_SUFFIXES) and not n.startswith(".")]
    return sorted(out)


def _load_tests(path: str, shown: str, max_bytes: int) -> Document:
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ConfigError(shown, 1, 1, f"file is over the limit of {max_bytes} bytes (max_file_bytes in "
                              "permgate.yaml)")
        doc = parse(decode(data, shown), shown)
    except LoadError as err:
        raise ConfigError(err.path, err.line, err.column, err.detail) from None
    except OSError as err:
        raise ConfigError(shown, 1, 1, f"cannot read file: {err.strerror or err}") from None
    if doc.empty:
        raise ConfigError(shown, 1, 1, "file is empty; expected policy tests (`tests:`)")
    problems = validate(doc, "policy-tests")
    if problems:
        p = problems[0]
        raise ConfigError(shown, p.line, p.column, p.message)
    return doc


def _repository_files(root: str, config: Config) -> dict[str, bytes]:
    """What every case starts from: configuration, catalog, people and policy files."""
    source = FsSource(root)
    wanted = [config.catalog, config.people, *policy_file_names(source, config)]
    if source.exists(CONFIG_NAME):
        wanted.append(CONFIG_NAME)
    out = {}
    for rel in wanted:
        try:
            out[rel] = source.read_bytes(rel, config.max_file_bytes)
        except LoadError as err:
            raise ConfigError(err.path, err.line, err.column, err.detail) from None
    return out


def _run_case(base: dict[str, bytes], config: Config, case: dict[str, Any], doc: Document, index: int,
              shown: str, today: dt.date, repo_rules: list[PolicyRule]) -> CaseResult:
    line, _ = doc.position(("tests", index))
    name = case["name"]

    def fail(where: tuple[Any, ...], message: str) -> ConfigError:
        ln, col = doc.key_positions.get(where, doc.position(where))
        return ConfigError(shown, ln, col, f"case `{name}`: {message}")

    scratch = tempfile.mkdtemp(prefix="permgate-test-")
    try:
        layout = dict(base)
        for rel, text in case["files"].items():
            try:
                clean = files.normalise(rel)
                if clean == "." or rel.endswith(("/", "\\")):
                    raise ValueError(f"`{rel}` names a folder, not a file")
            except ValueError as err:
                raise fail(("tests", index, "files", rel), str(err)) from None
            if text == "":
                layout.pop(clean, None)
            else:
                layout[clean] = text.encode("utf-8")
        folders = {config.assignments} | {rel.rsplit("/", 1)[0] for rel in layout if "/" in rel}
        for rel, data in layout.items():
            clash = next((f for f in folders if f == rel or f.startswith(rel + "/")), None)
            if clash is not None:
                where = ("tests", index, "files", rel) if rel in case["files"] else ("tests", index, "files")
                raise fail(where, f"`{rel}` is both a file and a folder (of `{clash}`)")
            full = os.path.join(scratch, *rel.split("/"))
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as fh:
                fh.write(data)
        os.makedirs(os.path.join(scratch, *config.assignments.split("/")), exist_ok=True)
        try:
            ws = load_workspace(scratch)
            found = evaluate(ws, load_config(scratch), today)
        except ConfigError as err:
            raise fail(("tests", index, "name"), str(err)) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    known = set(BUILTIN_BY_ID) | {p.id for p in ws.policies}
    results = []
    for rule, locations in case["expect"].items():
        if rule not in known:
            raise fail(("tests", index, "expect", rule), f"unknown rule `{rule}` (see `permgate rules`)")
        want = set(locations)
        got = {f"{f.path}:{f.line}" for f in found if f.rule == rule and f.waived is None}
        missing = sorted(want - got, key=_loc_key)
        unexpected = sorted(got - want, key=_loc_key)
        results.append(RuleResult(rule, FAIL if missing or unexpected else PASS, missing, unexpected))
    results += [RuleResult(p.id, NOT_APPLICABLE) for p in repo_rules if p.id not in case["expect"]]
    return CaseResult(name, shown, line, results)


def _loc_key(loc: str) -> tuple[str, int]:
    path, _, line = loc.rpartition(":")
    return path, int(line)


def _text(cases: list[CaseResult], untested: list[PolicyRule], require: bool, files_run: list[str]) -> str:
    if not files_run:
        return "no policy tests found\n" + "".join(
            f"policy rule `{p.id}` ({p.loc}) has no test case\n" for p in untested)
    out = []
    for c in cases:
        out.append(f"{c.path}:{c.line}: {'PASS' if c.passed else 'FAIL'} {c.name}")
        for r in c.results:
            out.append(f"  {r.status.upper():<15} {r.rule}")
            out += [f"      missing     {loc}" for loc in r.missing]
            out += [f"      unexpected  {loc}" for loc in r.unexpected]
    out += [f"policy rule `{p.id}` ({p.loc}) has no test case" for p in untested]
    failed = sum(1 for c in cases if not c.passed)
    summary = (f"{len(cases)} case{'s' if len(cases) != 1 else ''}: {len(cases) - failed} passed, {failed} failed; "
               f"{len(untested)} policy rule{'s' if len(untested) != 1 else ''} without tests")
    if require and untested:
        summary += " (--require-tests)"
    return "\n".join([*out, summary]) + "\n"


def _json(cases: list[CaseResult], untested: list[PolicyRule]) -> str:
    doc = {
        "version": VERSION,
        "cases": [{"name": c.name, "path": c.path, "line": c.line, "passed": c.passed,
                   "results": [{"rule": r.rule, "status": r.status, "missing": r.missing,
                                "unexpected": r.unexpected} for r in c.results]} for c in cases],
        "untested": [{"rule": p.id, "path": p.loc.path, "line": p.loc.line} for p in untested],
        "summary": {"cases": len(cases), "passed": sum(1 for c in cases if c.passed),
                    "failed": sum(1 for c in cases if not c.passed), "untested": len(untested)},
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def run_tests(settings: TestSettings) -> Outcome:
    root = settings.root
    if not os.path.isdir(root):
        raise UsageError(f"--root {root}: not a directory")
    config = load_config(root)
    repo_rules = list(load_policy_files(FsSource(root), config)[0])
    base = _repository_files(root, config)
    test_files = find_test_files(root, config, settings.path)
    cases: list[CaseResult] = []
    for path in test_files:
        shown = _display(root, path)
        doc = _load_tests(path, shown, config.max_file_bytes)
        for i, case in enumerate(doc.data["tests"]):
            today = dt.date.fromisoformat(case["today"]) if "today" in case else settings.today or dt.date.today()
            cases.append(_run_case(base, config, case, doc, i, shown, today, repo_rules))
    tested = {r.rule for c in cases for r in c.results if r.status != NOT_APPLICABLE}
    untested = [p for p in repo_rules if p.id not in tested]
    failed = any(not c.passed for c in cases) or (settings.require_tests and bool(untested))
    text = _json(cases, untested) if settings.format == "json" else _text(cases, untested, settings.require_tests,
                                                                          test_files)
    return Outcome(text, EXIT_FINDINGS if failed else EXIT_CLEAN)
