"""Every rule's documented examples, run for real, and the registry's own consistency.

The bad example must give findings of exactly that rule at exactly the documented
(path, line) pairs; the good example none of that rule.  The docs pages show these
same examples (``python -m permgate.docsgen``), so docs and behaviour cannot drift.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from pathlib import Path

import pytest

import permgate.rules
from permgate.load.workspace import load_workspace
from permgate.rules import BUILTIN_RULES, POLICY_KINDS
from permgate.rules.base import Example
from permgate.rules.docs import EXAMPLES_TODAY
from permgate.rules.examples import build
from tests.conftest import check_json, run_cli
from tests.git_helpers import commit_change, init_repo, write_files

TODAY = EXAMPLES_TODAY
NOT_RULES = {"base", "examples", "kinds", "docs", "roles_common", "reviews_common"}
ALL = [(r.id, r.doc) for r in BUILTIN_RULES] + [(k.name, k.doc) for k in POLICY_KINDS.values()]


def _rule_ids(root: Path, name: str) -> set[str]:
    """The rule ids a documented example stands for: the id itself, or the policy rules of a kind."""
    if name not in POLICY_KINDS:
        return {name}
    return {p.id for p in load_workspace(str(root)).policies if p.kind == name}


def _change_repo(make_repo: Callable[..., Path], example: Example) -> Path:
    """A rule that judges a change: ``BASE`` + ``example.base`` committed, ``BASE`` + ``files`` on top."""
    root = make_repo(dict(example.base or {}))
    init_repo(root)
    working = build(example.files)
    for path in set(build(example.base or {})) - set(working):
        (root / path).unlink()
    write_files(root, working)
    return root


def _found(make_repo: Callable[..., Path], name: str, example: Example) -> set[tuple[str, int]]:
    if example.actual is not None:  # compares with the system of record: permgate reconcile
        root = make_repo(dict(example.files))
        result = run_cli("reconcile", "--root", str(root), "--actual", str(root / example.actual),
                         "--format", "json", "--today", TODAY)
        doc = json.loads(result.stdout)
    elif example.base is not None:
        root = _change_repo(make_repo, example)
        commit_change(root)
        _, doc = check_json(root, "--today", TODAY, "--base", "main")
    else:
        root = make_repo(dict(example.files))
        _, doc = check_json(root, "--today", TODAY)
    ids = _rule_ids(root, name)
    assert ids, f"the example of {name} declares no rule of that kind"
    return {(f["path"], f["line"]) for f in doc["findings"] if f["rule"] in ids}


@pytest.mark.parametrize(("name", "doc"), ALL, ids=[n for n, _ in ALL])
def test_bad_example_fails_at_documented_lines(make_repo: Callable[..., Path], name: str, doc: object) -> None:
    example = doc.bad  # type: ignore[attr-defined]
    assert example.expect, f"{name}: the failing example must say where it fails"
    assert _found(make_repo, name, example) == set(example.expect)


@pytest.mark.parametrize(("name", "doc"), ALL, ids=[n for n, _ in ALL])
def test_good_example_passes(make_repo: Callable[..., Path], name: str, doc: object) -> None:
    assert _found(make_repo, name, doc.good) == set()  # type: ignore[attr-defined]


def test_every_rule_module_is_registered() -> None:
    registered = {r.check.__module__ for r in BUILTIN_RULES} | {k.check.__module__ for k in POLICY_KINDS.values()}
    modules = {f"permgate.rules.{m.name}" for m in pkgutil.iter_modules(permgate.rules.__path__)
               if m.name not in NOT_RULES}
    assert modules == registered
    for name in modules:
        mod = importlib.import_module(name)
        assert hasattr(mod, "RULE") or hasattr(mod, "KIND"), name


def test_ids_are_unique_and_kebab_case() -> None:
    names = [n for n, _ in ALL]
    assert len(names) == len(set(names))
    for n in names:
        assert n == n.lower() and " " not in n and "_" not in n


def test_every_rule_has_docs() -> None:
    for name, doc in ALL:
        assert doc.flags.strip() and doc.why.strip() and doc.fix.strip(), name
    for r in BUILTIN_RULES:
        assert r.summary and r.default_severity in ("error", "warning", "note"), r.id
