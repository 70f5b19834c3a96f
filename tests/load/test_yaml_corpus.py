"""The public YAML test suite as hostile input (issue 6 item 1), against a golden file.

Each of the 402 inputs of ``../shared/corpus/yaml-test-suite`` is

- loaded as a grants file by every loader entry point in ``LOADERS``: the result (the
  ``invalid-file`` problems at line:column with their message, or the grants of a file that
  happens to be valid) must equal ``yaml_corpus_golden.json`` exactly, and must never be a
  silent pass;
- dropped, all together, into ``assignments/`` of a real repository and checked by the real
  CLI: every file is named, the other files' findings are still reported, exit 1;
- used as the catalog, the people directory, a policy and ``permgate.yaml``: the CLI says
  ``Error: path:line:col: ...`` (the exact line is in the golden file) and exits 2, or, for
  the few inputs that are a valid file of that kind, runs normally.

Never a traceback: CLI runs use ``catch_exceptions=False`` and a few go through
``python -m permgate`` in a subprocess.

A new loader (a fast path, a cache) joins ``LOADERS`` and must give the same answers.
After a deliberate change of messages, regenerate the golden file with

    python -m tests.load.test_yaml_corpus

and review the diff.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from permgate.config import Config
from permgate.load.grants import load_grants_file
from permgate.load.source import FsSource
from permgate.model import GrantsFile, LoadProblem
from permgate.rules.examples import BASE
from tests.conftest import SHARED, run_cli, write_repo

CORPUS = SHARED / "corpus" / "yaml-test-suite"
GOLDEN = Path(__file__).with_name("yaml_corpus_golden.json")
KIND_FILES = {"catalog": "catalog.yaml", "people": "people.yaml", "policy": "policies/unbundling.yaml",
              "config": "permgate.yaml"}

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(),
                                  reason="../shared/corpus/yaml-test-suite is not beside the project")

LoadResult = tuple[GrantsFile | None, list[LoadProblem]]


def case_name(in_yaml: Path) -> str:
    """``SM9W/01/in.yaml`` -> ``SM9W-01``."""
    return in_yaml.parent.relative_to(CORPUS).as_posix().replace("/", "-")


@cache
def cases() -> dict[str, bytes]:
    if not CORPUS.is_dir():
        return {}
    return {case_name(p): p.read_bytes() for p in sorted(CORPUS.rglob("in.yaml"))}


@cache
def invalid_cases() -> frozenset[str]:
    return frozenset({case_name(p.with_name("in.yaml")) for p in CORPUS.rglob("error")})


# --- loader entry points -----------------------------------------------------------------
# Each takes a folder holding ``assignments/yaml-test-suite/<case>.yaml`` for every case and
# returns a function loading one of them.


def _fs_loader(root: Path) -> Callable[[str], LoadResult]:
    source = FsSource(str(root))
    return lambda rel: load_grants_file(source, rel, Config().max_file_bytes)


def _git_loader(root: Path) -> Callable[[str], LoadResult]:
    from permgate.git.repo import GitSource, Repo

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q", str(root)], check=True)
    subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(root), "commit", "-q", "-m", "corpus"], check=True)
    source = GitSource(Repo(str(root)), "HEAD")
    source.prefetch([rel(name) for name in cases()])
    return lambda rel: load_grants_file(source, rel, Config().max_file_bytes)


def _strict_loader(root: Path) -> Callable[[str], LoadResult]:
    source = FsSource(str(root))
    return lambda rel: load_grants_file(source, rel, Config().max_file_bytes, fast=False)


def _bulk_loader(**tuning: Any) -> Callable[[Path], Callable[[str], LoadResult]]:
    """The loader ``check`` uses: all files at once (workers, cache: see docs/performance.md)."""
    from permgate.load.bulk import Tuning, load_many

    def make(root: Path) -> Callable[[str], LoadResult]:
        rels = [rel(name) for name in cases()]
        extra = dict(tuning)
        if extra.pop("cache", False):
            from permgate.runtime.cache import Cache

            cache = Cache(str(root / ".cache"))
            load_many(FsSource(str(root)), rels, Config().max_file_bytes, Tuning(cache=cache))  # fill it
            extra["cache"] = cache
        results = dict(zip(rels, load_many(FsSource(str(root)), rels, Config().max_file_bytes, Tuning(**extra)),
                           strict=True))
        return results.__getitem__

    return make


LOADERS: dict[str, Callable[[Path], Callable[[str], LoadResult]]] = {
    "fs": _fs_loader,  # one file at a time, canonical fast path first
    "fs-strict": _strict_loader,  # one file at a time, full strict path only
    "git": _git_loader,  # from a commit, as --base reads it
    "bulk": _bulk_loader(jobs=1),
    "bulk-workers": _bulk_loader(jobs=2),
    "bulk-strict": _bulk_loader(jobs=1, fast=False),
    "bulk-cached": _bulk_loader(jobs=1, fast=False, cache=True),
}


def grants_result(result: LoadResult) -> dict[str, Any]:
    """What the golden file records of one grants file."""
    gf, problems = result
    return {
        "problems": [[p.line, p.column, p.message] for p in problems],
        "grants": None if gf is None else [[g.permission, g.line] for g in gf.grants],
    }


def write_corpus(root: Path) -> None:
    target = root / "assignments" / "yaml-test-suite"
    target.mkdir(parents=True, exist_ok=True)
    for name, data in cases().items():
        (target / f"{name}.yaml").write_bytes(data)


def rel(name: str) -> str:
    return f"assignments/yaml-test-suite/{name}.yaml"


@cache
def golden() -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = json.loads(GOLDEN.read_text("utf-8"))
    return loaded


def run_as_kind(root: Path, kind: str, data: bytes) -> tuple[int, str]:
    """Check ``root`` (a copy of BASE) with ``data`` as the file of ``kind``; (exit, stderr)."""
    (root / KIND_FILES[kind]).write_bytes(data)
    result = run_cli("check", "--root", str(root), "--today", "2026-06-01")
    return result.exit_code, result.stderr


# --- tests -------------------------------------------------------------------------------


@needs_corpus
def test_golden_file_covers_the_whole_corpus() -> None:
    assert len(cases()) == 402
    assert len(invalid_cases()) == 94
    assert sorted(golden()) == sorted(cases())


@pytest.fixture(scope="module", params=sorted(LOADERS))
def loader(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], LoadResult]:
    root = tmp_path_factory.mktemp(f"corpus-{request.param}")
    write_corpus(root)
    return LOADERS[request.param](root)


@needs_corpus
def test_corpus_as_grants_files_matches_golden(loader: Callable[[str], LoadResult]) -> None:
    """One test per loader over all 402 cases; a failure lists every case that differs."""
    differ = {}
    silent = []
    for name in cases():
        got = grants_result(loader(rel(name)))
        if got != golden()[name]["grants"]:
            differ[name] = {"got": got, "golden": golden()[name]["grants"]}
        # never a silent pass: a finding, or a valid grants file (then the rules judge it);
        # and YAML the suite calls invalid always gives a finding
        if not got["problems"] and (got["grants"] is None or name in invalid_cases()):
            silent.append(name)
    assert differ == {}
    assert silent == []


@needs_corpus
def test_whole_corpus_in_assignments_is_reported_by_the_cli(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", {
        **BASE,
        # a cross-boundary grant beside the corpus: still reported
        "assignments/retail-sales/E000002.yaml": "employee: E000002\ngrants:\n  - permission: P002\n"
                                                 "    granted_by: E000001\n    granted_on: 2022-07-01\n",
    })
    write_corpus(root)
    result = run_cli("check", "--root", str(root), "--format", "json", "--today", "2026-06-01")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert ("distribution-to-retail-sales", "assignments/retail-sales/E000002.yaml", 3) in {
        (f["rule"], f["path"], f["line"]) for f in findings}
    named = {f["path"] for f in findings}
    for name, expected in golden().items():
        if expected["grants"]["problems"]:
            assert rel(name) in named
        invalid = sorted([f["line"], f["column"], f["message"]] for f in findings
                         if f["path"] == rel(name) and f["rule"] == "invalid-file")
        assert invalid == sorted(expected["grants"]["problems"]), name

    # the same run through `python -m permgate` gives the same output, and no traceback
    proc = subprocess.run([sys.executable, "-m", "permgate", "check", "--root", str(root), "--format", "json",
                           "--today", "2026-06-01"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr == ""
    assert proc.stdout == result.stdout


@pytest.fixture(scope="module")
def base_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repo(tmp_path_factory.mktemp("kinds"), BASE)


@needs_corpus
@pytest.mark.parametrize("kind", sorted(KIND_FILES))
def test_corpus_as_catalog_people_policy_or_config_matches_golden(kind: str, base_root: Path,
                                                                 tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(base_root, root)
    for name, data in cases().items():
        code, stderr = run_as_kind(root, kind, data)
        expected = golden()[name][kind]
        if expected is None:  # a valid file of that kind (an empty permgate.yaml): a normal run
            assert code in (0, 1) and stderr == "", name
            continue
        assert code == 2, name
        assert stderr == expected + "\n", name
        assert re.match(rf"Error: {re.escape(KIND_FILES[kind])}:[0-9]+:[0-9]+: [^\n]+\Z", expected), name


@needs_corpus
@pytest.mark.parametrize("kind", sorted(KIND_FILES))
def test_a_few_corpus_cases_as_dependencies_through_python_dash_m(kind: str, base_root: Path,
                                                                 tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(base_root, root)
    for name in ("2JQS", "SM9W-01", "X4QW", "CVW2"):  # valid but odd, invalid, a comment, a tab
        if name not in cases():
            continue
        (root / KIND_FILES[kind]).write_bytes(cases()[name])
        proc = subprocess.run([sys.executable, "-m", "permgate", "check", "--root", str(root)],
                              capture_output=True, text=True, timeout=60)
        expected = golden()[name][kind]
        if expected is None:
            assert proc.returncode in (0, 1) and proc.stderr == ""
        else:
            assert (proc.returncode, proc.stderr) == (2, expected + "\n")
        assert "Traceback" not in proc.stderr


# --- regenerating the golden file -------------------------------------------------------


def regenerate(work: Path) -> dict[str, dict[str, Any]]:
    """The golden data, computed with the working-tree loader and the real CLI."""
    write_corpus(work / "grants")
    load = _fs_loader(work / "grants")
    base_root = write_repo(work / "base", BASE)
    out: dict[str, dict[str, Any]] = {name: {"grants": grants_result(load(rel(name)))} for name in cases()}
    for kind in KIND_FILES:
        root = work / kind
        shutil.copytree(base_root, root)
        for name, data in cases().items():
            code, stderr = run_as_kind(root, kind, data)
            if code == 2:
                out[name][kind] = stderr.rstrip("\n")
            else:
                out[name][kind] = None
    return out


def main() -> int:
    import tempfile

    if not CORPUS.is_dir():
        print(f"{CORPUS} not found", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        data = regenerate(Path(tmp))
    # one case per line: reviewable diffs
    lines = [f"{json.dumps(name)}: {json.dumps(data[name], sort_keys=True, ensure_ascii=False)}"
             for name in sorted(data)]
    GOLDEN.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({len(data)} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

