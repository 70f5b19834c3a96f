"""Hand-made hostile files (issue 6 item 2): each refused at its line, none crashes the run.

Every file of ``examples/hostile/build_hostile.py`` ``HANDMADE`` is dropped into the
clean example organisation; the run must report exactly the expected ``invalid-file``
findings for it (rule, path, line, and a fragment of the message) on top of whatever the
clean organisation reports, and exit 1.  The special entries (symlinks, FIFO,
unreadable file) and the files the run depends on (catalog, people, policy, config) have
their own tests below.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from permgate.config import Config
from permgate.load.grants import load_grants_file
from permgate.load.source import FsSource
from permgate.load.workspace import DIRECTORY_MAX_BYTES, load_workspace
from permgate.rules.examples import BASE
from tests.conftest import check_json, run_cli, write_repo
from tests.hostile_builder import builder as hostile

HANDMADE: dict[str, bytes] = hostile.HANDMADE
DIR = "assignments/retail-sales"

# name -> every (rule, line, fragment of the message) the file must produce; the column is
# not pinned where it depends on the parser build (libyaml or pure Python).
EXPECTED: dict[str, list[tuple[str, int, str]]] = {
    "duplicate-grants-key.yaml": [("invalid-file", 6, "duplicate key `grants` (first at line 2)")],
    "duplicate-permission-key.yaml": [("invalid-file", 4, "duplicate key `permission` (first at line 3)")],
    "alias-bomb.yaml": [("invalid-file", 1, "YAML anchors (&a0) are not allowed")],
    "merge-key.yaml": [("invalid-file", 3, "`<<` is a YAML 1.1 merge/value indicator")],
    "python-object-tag.yaml": [("invalid-file", 1, "YAML tags (tag:yaml.org,2002:python/object/apply:builtins.open)")],
    "python-name-tag.yaml": [("invalid-file", 1, "YAML tags (tag:yaml.org,2002:python/name:os.system)")],
    "local-tag.yaml": [("invalid-file", 1, "YAML tags (!secret) are not allowed")],
    "str-tag.yaml": [("invalid-file", 1, "YAML tags (tag:yaml.org,2002:str) are not allowed")],
    "tag-directive.yaml": [("invalid-file", 3, "YAML tags (tag:example.com,2000:person)")],
    "latin-1.yaml": [("invalid-file", 6, "file is not valid UTF-8 (byte 0xe9)")],
    # decided: a UTF-8 byte-order mark is dropped, the file is read, and its grant is checked
    "utf-8-bom.yaml": [("distribution-to-retail-sales", 3, "P002 supply-points.read is owned by distribution")],
    "bom-inside.yaml": [("invalid-file", 2, "YAML syntax error")],
    "utf-16.yaml": [("invalid-file", 1, "file is UTF-16; grants data must be UTF-8")],
    "utf-16-no-bom.yaml": [("invalid-file", 1, "file contains NUL bytes (UTF-16 or UTF-32 without a byte-order")],
    "utf-32.yaml": [("invalid-file", 1, "file is UTF-32; grants data must be UTF-8")],
    "nul-byte.yaml": [("invalid-file", 1, "file contains NUL bytes")],
    "control-char.yaml": [("invalid-file", 3, "YAML does not allow the character U+0007")],
    "tab-indent.yaml": [("invalid-file", 3, "YAML syntax error")],
    "two-documents.yaml": [("invalid-file", 3, "more than one YAML document in the file")],
    "flow-nesting.yaml": [("invalid-file", 1, "nesting")],
    "block-nesting.yaml": [("invalid-file", 1, "nesting deeper than 64 levels")],
    "mapping-nesting.yaml": [("invalid-file", 65, "nesting deeper than 64 levels")],
    "empty.yaml": [("invalid-file", 1, "file is empty; a grants file needs `employee:` and `grants:`")],
    "comment-only.yaml": [("invalid-file", 1, "file is empty")],
    "blank.yaml": [("invalid-file", 1, "file is empty")],
    "document-end-only.yaml": [("invalid-file", 1, "YAML syntax error")],
    "wrong-types.yaml": [
        ("invalid-file", 1, "employee: expected a string, got a list"),
        ("invalid-file", 3, "grants[0]: expected a mapping, got `5`, which YAML reads as a number"),
        ("invalid-file", 4, "grants[1].permission: expected a string, got a list"),
        ("invalid-file", 5, "grants[1].granted_by: expected a string, got a mapping"),
        ("invalid-file", 6, 'grants[1].granted_on: expected a string, got `20220701`, which YAML reads as a number; '
                            'quote it: "20220701"'),
        ("invalid-file", 7, 'grants[1].reason: expected a string, got `5`, which YAML reads as a number; quote it'),
        ("invalid-file", 8, 'grants[1].expires: expected a string, got `true`, which YAML reads as a boolean'),
        ("invalid-file", 9, "grants[1]: unknown key `approved`"),
        ("invalid-file", 10, "grants[2]: expected a mapping, got `P001`"),
    ],
    "grants-not-a-list.yaml": [("invalid-file", 2, "grants: expected a list, got a mapping")],
    "top-level-list.yaml": [("invalid-file", 1, "(top level): expected a mapping, got a list")],
    "yaml11-ids.yaml": [
        ("invalid-file", 1, 'employee: expected a string, got `no`, which YAML reads as a boolean; quote it: "no"'),
        ("invalid-file", 3, 'grants[0].permission: expected a string, got `0123`, which YAML reads as a number; '
                            'quote it: "0123"'),
        ("invalid-file", 4, 'grants[0].granted_by: expected a string, got `on`, which YAML reads as a boolean; '
                            'quote it: "on"'),
        ("invalid-file", 6, 'grants[1].permission: expected a string, got `1e3`, which YAML reads as a number; '
                            'quote it: "1e3"'),
    ],
    "bad-number.yaml": [("invalid-file", 1, "`0b_` looks like a YAML number but is not a valid one; quote it")],
    "non-text-key.yaml": [("invalid-file", 3, "key `1` is not read as text by YAML; quote it")],
    "escape-in-key.yaml": [("invalid-file", 3, "unknown key `x\\n1:1: error[fake] \\u202e`")],
    "long-value.yaml": [("invalid-file", 6, "is 600007 characters long; at most 4096 allowed")],
    "too-large.yaml": [("invalid-file", 1, "bytes, over the limit of 1048576 (max_file_bytes in permgate.yaml)")],
    "stray-notes.txt": [("invalid-file", 1, "not a grants file: only .yaml and .yml files belong here")],
    "markup-in-values.yaml": [("invalid-file", 10, "grants[1]: unknown key `<img src=x onerror=alert(2)>`")],
}


def _adapt(data: bytes) -> bytes:
    """The hand-made files name the incident's P083; the clean example's distribution item is P002."""
    return data.replace(b"P083", b"P002").replace(b"E000006", b"E000001")


def _findings(root: Path) -> tuple[int, list[dict[str, Any]]]:
    code, doc = check_json(root, "--today", "2026-06-01")
    return code, doc["findings"]


def _key(f: dict[str, Any]) -> tuple[str, str, int, int, str]:
    return (f["rule"], f["path"], f["line"], f["column"], f["message"])


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str, int, int, str]]:
    """What the clean example organisation reports on its own (nothing today; rules may be added)."""
    root = write_repo(tmp_path_factory.mktemp("baseline"), BASE)
    return {_key(f) for f in _findings(root)[1]}


#: what these tests are about; other rules (a file not named after its employee, a granter
#: without authority, a reason without a ticket) may also speak about the files, and do
RELEVANT = {"invalid-file", "distribution-to-retail-sales"}


def new_findings(root: Path, baseline: set[tuple[str, str, int, int, str]]) -> tuple[int, list[dict[str, Any]]]:
    code, found = _findings(root)
    return code, [f for f in found if _key(f) not in baseline and f["rule"] in RELEVANT]


def test_every_handmade_file_has_expectations() -> None:
    assert sorted(EXPECTED) == sorted(HANDMADE)


@pytest.mark.parametrize("name", sorted(HANDMADE))
def test_handmade_file_is_reported_at_its_line(name: str, make_repo: Callable[..., Path],
                                               baseline: set[tuple[str, str, int, int, str]]) -> None:
    rel = f"{DIR}/{name}"
    root = make_repo({rel: _adapt(HANDMADE[name])})
    code, new = new_findings(root, baseline)
    got = sorted((f["rule"], f["path"], f["line"]) for f in new)
    want = sorted((rule, rel, line) for rule, line, _ in EXPECTED[name])
    assert got == want
    by_line = {(f["rule"], f["line"]): f["message"] for f in new}
    for rule, line, fragment in EXPECTED[name]:
        assert fragment in by_line[(rule, line)]
        # a message is one line, whatever the file holds
        assert "\n" not in by_line[(rule, line)] and len(by_line[(rule, line)]) < 400
    assert code == 1


def test_duplicate_grants_key_cannot_hide_a_grant_from_the_gate(make_repo: Callable[..., Path]) -> None:
    """PyYAML alone keeps the last `grants:` and sees no grant at all: permgate fails the file."""
    data = _adapt(HANDMADE["duplicate-grants-key.yaml"])
    assert yaml.safe_load(data) == {"employee": "E000001", "grants": []}  # the naive reading: a silent pass
    root = make_repo({f"{DIR}/E000001.yaml": data})
    code, found = _findings(root)
    assert code == 1
    assert ("invalid-file", f"{DIR}/E000001.yaml", 6) in {(f["rule"], f["path"], f["line"]) for f in found}


def test_tags_are_never_constructed(make_repo: Callable[..., Path], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The payload really creates a file under PyYAML's unsafe loader; permgate constructs nothing."""
    data = HANDMADE["python-object-tag.yaml"]
    proof = tmp_path / "proof"
    proof.mkdir()
    monkeypatch.chdir(proof)
    yaml.unsafe_load(data)["employee"].close()
    assert (proof / "pwned.txt").exists()  # the payload is real

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    root = make_repo({f"{DIR}/{name}": HANDMADE[name] for name in
                      ("python-object-tag.yaml", "python-name-tag.yaml", "local-tag.yaml", "tag-directive.yaml")})
    code, found = _findings(root)
    assert code == 1
    assert not (work / "pwned.txt").exists()
    assert not list(work.iterdir()) and not (root / "pwned.txt").exists()
    assert {f["path"] for f in found if f["rule"] == "invalid-file"} == {
        f"{DIR}/python-object-tag.yaml", f"{DIR}/python-name-tag.yaml", f"{DIR}/local-tag.yaml",
        f"{DIR}/tag-directive.yaml"}


def test_hostile_files_do_not_hide_each_others_or_the_good_files_findings(
        make_repo: Callable[..., Path], baseline: set[tuple[str, str, int, int, str]]) -> None:
    files = {f"{DIR}/{name}": _adapt(data) for name, data in HANDMADE.items()}
    # a plain cross-boundary grant among them is still found
    files[f"{DIR}/E000002.yaml"] = (b"employee: E000002\ngrants:\n  - permission: P002\n    granted_by: E000004\n"
                                    b"    granted_on: 2022-07-01\n")
    root = make_repo(files)
    code, new = new_findings(root, baseline)
    got = {(f["rule"], f["path"], f["line"]) for f in new}
    want = {(rule, f"{DIR}/{name}", line) for name, exp in EXPECTED.items() for rule, line, _ in exp}
    want.add(("distribution-to-retail-sales", f"{DIR}/E000002.yaml", 3))
    assert got == want
    assert code == 1


# --- the special entries ---------------------------------------------------------------


def test_symlink_outside_the_root_is_refused(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("employee: E000002\ngrants: []\n")
    root = make_repo()
    (root / DIR / "E000009.yaml").symlink_to(outside)
    (root / DIR / "etc.yaml").symlink_to("/etc/passwd")
    code, found = _findings(root)
    refused = {(f["path"], f["line"], f["message"]) for f in found if f["rule"] == "invalid-file"}
    assert refused == {
        (f"{DIR}/E000009.yaml", 1, "symlink points outside the repository root; refused"),
        (f"{DIR}/etc.yaml", 1, "symlink points outside the repository root; refused"),
    }
    assert code == 1


def test_symlink_inside_the_root_is_read(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"elsewhere/E000002.yaml": "employee: E000002\ngrants:\n  - permission: P002\n"
                                                "    granted_by: E000001\n    granted_on: 2022-07-01\n"})
    (root / DIR / "E000002.yaml").unlink()
    (root / DIR / "E000002.yaml").symlink_to("../../elsewhere/E000002.yaml")
    code, found = _findings(root)
    assert ("distribution-to-retail-sales", f"{DIR}/E000002.yaml", 3) in {
        (f["rule"], f["path"], f["line"]) for f in found}
    assert code == 1


def test_symlinked_folder_is_reported_not_followed(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"elsewhere/E000002.yaml": "employee: E000002\ngrants:\n  - permission: P002\n"
                                                "    granted_by: E000001\n    granted_on: 2022-07-01\n"})
    (root / DIR / "more").symlink_to("../../elsewhere")
    code, found = _findings(root)
    assert {(f["rule"], f["path"], f["line"], f["message"]) for f in found if f["path"].startswith(f"{DIR}/more")} == {
        ("invalid-file", f"{DIR}/more", 1, "symlinked folder is not followed; move the files here")}
    assert code == 1


def test_symlinked_assignments_folder_outside_the_root_stops_the_run(make_repo: Callable[..., Path],
                                                                     tmp_path: Path) -> None:
    root = make_repo()
    shutil.move(str(root / "assignments"), str(tmp_path / "real-assignments"))
    (root / "assignments").symlink_to(tmp_path / "real-assignments")
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: assignments:1:1: ")


def test_symlink_loop_and_dangling_symlink(make_repo: Callable[..., Path]) -> None:
    root = make_repo()
    (root / DIR / "loop.yaml").symlink_to("loop.yaml")
    (root / DIR / "gone.yaml").symlink_to("missing.yaml")
    code, found = _findings(root)
    got = {f["path"]: f["message"] for f in found if f["rule"] == "invalid-file"}
    assert got[f"{DIR}/gone.yaml"] == "file not found"
    assert got[f"{DIR}/loop.yaml"].startswith("cannot read file: ")
    assert code == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_blocking(make_repo: Callable[..., Path]) -> None:
    root = make_repo()
    os.mkfifo(root / DIR / "pipe.yaml")
    # a subprocess with a timeout, so that a regression fails instead of hanging the suite
    proc = subprocess.run([sys.executable, "-m", "permgate", "check", "--root", str(root), "--format", "json"],
                          capture_output=True, text=True, timeout=60)
    found = json.loads(proc.stdout)["findings"]
    assert ("invalid-file", f"{DIR}/pipe.yaml", 1, "not a regular file") in {
        (f["rule"], f["path"], f["line"], f["message"]) for f in found}
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_directory_named_like_a_grants_file_is_a_folder(make_repo: Callable[..., Path]) -> None:
    """A folder `x.yaml` is walked like any folder: what is inside is checked, nothing is skipped."""
    root = make_repo({f"{DIR}/x.yaml/E000002.yaml": "employee: E000002\ngrants:\n  - permission: P002\n"
                                                    "    granted_by: E000001\n    granted_on: 2022-07-01\n"})
    code, found = _findings(root)
    assert ("distribution-to-retail-sales", f"{DIR}/x.yaml/E000002.yaml", 3) in {
        (f["rule"], f["path"], f["line"]) for f in found}
    assert code == 1


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder other users can enter (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="permgate-unreadable-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def _check_as(uid: int, root: Path) -> tuple[int, str]:
    """Run the real CLI in a forked child that has dropped its privileges to ``uid``.

    Forked rather than spawned: the interpreter binary may live where ``nobody`` cannot
    read it, but the already-loaded interpreter can still run the check as ``nobody``.
    """
    # Warm up in the parent first: modules imported lazily (the schemas' resource reader,
    # jsonschema) may live where ``nobody`` cannot read them; the child inherits them loaded.
    run_cli("check", "--root", str(root), "--format", "json", "--no-cache")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 3
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            result = run_cli("check", "--root", str(root), "--format", "json", "--no-cache")
            os.write(write_end, result.stdout.encode())
            code = result.exit_code
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode()


def _check_unprivileged(root: Path) -> tuple[int, str]:
    """``check --format json`` as a user who cannot read what chmod 000 closed: ``nobody``
    in a child process when the suite runs as root (as in CI), else this process."""
    if os.geteuid() == 0:
        if not hasattr(os, "fork"):
            pytest.skip("cannot drop privileges without fork")
        return _check_as(65534, root)
    result = run_cli("check", "--root", str(root), "--format", "json")
    return result.exit_code, result.stdout


def test_unreadable_file_is_a_finding(shared_tmp: Path) -> None:
    """chmod 000 stops everyone but root. The suite runs as root in CI, so there the check
    runs in a child process that dropped to ``nobody`` (the realistic case: a CI job that
    cannot read a file); as a normal user it runs in-process."""
    root = write_repo(shared_tmp / "repo", BASE)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    secret = root / DIR / "E000009.yaml"
    secret.write_text("employee: E000009\ngrants: []\n")
    secret.chmod(0)
    code, stdout = _check_unprivileged(root)
    found = json.loads(stdout)["findings"]
    assert ("invalid-file", f"{DIR}/E000009.yaml", 1, "cannot read file: Permission denied") in {
        (f["rule"], f["path"], f["line"], f["message"]) for f in found}
    assert code == 1


def test_unreadable_folder_is_a_finding(shared_tmp: Path) -> None:
    """A folder that cannot be listed must not hide the grants files in it (os.walk would skip it)."""
    root = write_repo(shared_tmp / "repo", BASE)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    hidden = root / DIR / "locked"
    hidden.mkdir()
    (hidden / "E000009.yaml").write_text("employee: E000009\ngrants: []\n")
    hidden.chmod(0)
    try:
        code, stdout = _check_unprivileged(root)
    finally:
        hidden.chmod(0o755)
    found = json.loads(stdout)["findings"]
    assert ("invalid-file", f"{DIR}/locked", 1, "cannot read folder: Permission denied") in {
        (f["rule"], f["path"], f["line"], f["message"]) for f in found}
    assert code == 1


def test_file_name_cannot_forge_an_output_line(make_repo: Callable[..., Path]) -> None:
    root = make_repo({f"{DIR}/x\n0 errors, 0 warnings\u202e.yaml": "employee: E000002\ngrants: []\n"})
    result = run_cli("check", "--root", str(root), "--today", "2026-06-01")
    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    assert all(line.startswith(f"{DIR}/x\\n0 errors, 0 warnings\\u202e.yaml:1:1: error[") for line in lines[:-1])
    assert len(lines) >= 2 and not lines[-1].startswith(DIR)


# --- size cap --------------------------------------------------------------------------


def test_size_cap_is_configurable(make_repo: Callable[..., Path]) -> None:
    big = BASE[f"{DIR}/E000002.yaml"] + "# padding\n" * 300  # about 3 KB
    root = make_repo({f"{DIR}/E000002.yaml": big})
    assert _findings(root)[0] == 0  # under the default cap of 1 MiB

    (root / "permgate.yaml").write_text("max_file_bytes: 2048\n")
    code, found = _findings(root)
    assert [(f["rule"], f["path"], f["line"], f["message"]) for f in found] == [
        ("invalid-file", f"{DIR}/E000002.yaml", 1,
         f"file is {len(big)} bytes, over the limit of 2048 (max_file_bytes in permgate.yaml)")]
    assert code == 1

    # a policy file is capped like a grants file
    policy = root / "policies" / "unbundling.yaml"
    original_policy = policy.read_text()
    policy.write_text(original_policy + "# padding\n" * 300)
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: policies/unbundling.yaml:1:1: file is ")
    assert "over the limit of 2048" in result.stderr
    policy.write_text(original_policy)

    # the people directory and the catalog, one file each for the whole organisation, have
    # their own bound, DIRECTORY_MAX_BYTES (permgate/load/workspace.py, docs/performance.md)
    people = root / "people.yaml"
    people.write_text(people.read_text() + "# padding\n" * 300)
    code, found = _findings(root)
    assert [(f["rule"], f["path"]) for f in found] == [("invalid-file", f"{DIR}/E000002.yaml")]
    with open(people, "r+b") as fh:  # sparse: refused from its size alone
        fh.truncate(DIRECTORY_MAX_BYTES + 1)
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: people.yaml:1:1: file is {DIRECTORY_MAX_BYTES + 1} bytes, over the limit of "
                             f"{DIRECTORY_MAX_BYTES} (max_file_bytes in permgate.yaml)\n")


def test_size_cap_below_its_minimum_is_a_config_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"permgate.yaml": "---\nmax_file_bytes: 10\n"})
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: permgate.yaml:2:17: ")


def test_oversized_file_is_refused_before_it_is_read(make_repo: Callable[..., Path]) -> None:
    """A sparse 64 GiB file: refused from its size alone, in milliseconds and without memory."""
    root = make_repo()
    huge = root / DIR / "E000009.yaml"
    with open(huge, "wb") as fh:
        fh.truncate(64 * 1024**3)
    tracemalloc.start()
    started = time.perf_counter()
    gf, problems = load_grants_file(FsSource(str(root)), f"{DIR}/E000009.yaml", Config().max_file_bytes)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert gf is None
    assert [(p.line, p.message) for p in problems] == [
        (1, f"file is {64 * 1024**3} bytes, over the limit of 1048576 (max_file_bytes in permgate.yaml)")]
    assert elapsed < 1 and peak < 1024 * 1024


# --- bounded time and memory -----------------------------------------------------------


@pytest.mark.parametrize("name", ["alias-bomb.yaml", "flow-nesting.yaml", "block-nesting.yaml", "long-value.yaml",
                                  "mapping-nesting.yaml"])
def test_hostile_input_is_reported_in_bounded_time_and_memory(name: str, tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_bytes(HANDMADE[name])
    tracemalloc.start()
    started = time.perf_counter()
    gf, problems = load_grants_file(FsSource(str(tmp_path)), "f.yaml", Config().max_file_bytes)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert problems and (gf is None or not gf.grants)
    # generous bounds: the point is "seconds, megabytes", not a benchmark
    assert elapsed < 5
    assert peak < 64 * 1024 * 1024


def test_alias_bomb_is_refused_at_its_first_anchor() -> None:
    """Structural: parsing stops at the first anchor event; nothing after it is even scanned."""
    from permgate.errors import LoadError
    from permgate.load.yamldoc import parse

    text = "a: &x [1]\n" + "b: [*x, *x]\n" + "c: ]]] not yaml at all [[[\n"
    with pytest.raises(LoadError) as info:
        parse(text, "f.yaml")
    assert (info.value.line, info.value.column) == (1, 4)
    assert "anchors" in info.value.detail


# --- the files the run depends on ------------------------------------------------------

DEPENDED_ON = {"catalog": "catalog.yaml", "people": "people.yaml", "policy": "policies/unbundling.yaml",
               "config": "permgate.yaml"}


@pytest.mark.parametrize("kind", sorted(DEPENDED_ON))
@pytest.mark.parametrize("name", [n for n in sorted(HANDMADE) if n.endswith(".yaml")])
def test_hostile_file_as_catalog_people_policy_or_config_is_an_error(
        kind: str, name: str, make_repo: Callable[..., Path]) -> None:
    rel = DEPENDED_ON[kind]
    root = make_repo({rel: HANDMADE[name]})
    result = run_cli("check", "--root", str(root))
    if kind == "config" and name in ("empty.yaml", "comment-only.yaml", "blank.yaml"):
        assert result.exit_code == 0  # an empty permgate.yaml means "all defaults"
        return
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith(f"Error: {rel}:")
    assert re.match(rf"Error: {re.escape(rel)}:[0-9]+:[0-9]+: [^\n]+\n\Z", result.stderr)
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_catalog_symlinked_outside_the_root_is_an_error(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo()
    shutil.move(str(root / "catalog.yaml"), str(tmp_path / "catalog.yaml"))
    (root / "catalog.yaml").symlink_to(tmp_path / "catalog.yaml")
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr == "Error: catalog.yaml:1:1: symlink points outside the repository root; refused\n"


@pytest.mark.parametrize("path", ["../catalog.yaml", "/etc/passwd", "x/../../catalog.yaml"])
def test_config_paths_never_leave_the_root(path: str, make_repo: Callable[..., Path]) -> None:
    root = make_repo({"permgate.yaml": f"paths:\n  catalog: {path}\n"})
    result = run_cli("check", "--root", str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: permgate.yaml:2:12: paths.catalog: ")


def test_fifo_as_catalog_is_an_error(make_repo: Callable[..., Path]) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    root = make_repo()
    (root / "catalog.yaml").unlink()
    os.mkfifo(root / "catalog.yaml")
    assert stat.S_ISFIFO(os.stat(root / "catalog.yaml").st_mode)
    proc = subprocess.run([sys.executable, "-m", "permgate", "check", "--root", str(root)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == "Error: catalog.yaml:1:1: not a regular file\n"


def test_loading_the_workspace_never_raises_anything_but_permgate_errors(make_repo: Callable[..., Path]) -> None:
    root = make_repo({f"{DIR}/{name}": data for name, data in HANDMADE.items()})
    ws = load_workspace(str(root))
    assert {p.path for p in ws.problems} >= {f"{DIR}/{n}" for n in HANDMADE if n != "utf-8-bom.yaml"}


def test_huge_blob_in_a_git_revision_is_refused_without_being_read(tmp_path: Path) -> None:
    """--base and audit read revisions through git: a huge committed file is refused from its
    size (``git cat-file --batch-check``); its content is never asked of git."""
    from permgate.errors import LoadError
    from permgate.git.repo import GitSource, Repo
    from tests.git_helpers import init_repo

    big = f"{DIR}/E000009.yaml"
    init_repo(tmp_path, {**BASE, big: "employee: E000009\ngrants: []\n" + "#" * (3 * 1024 * 1024) + "\n"})
    repo = Repo(str(tmp_path))
    asked: list[str] = []
    real_blobs = repo.blobs

    def spy(shas: list[str]) -> dict[str, bytes]:
        asked.extend(shas)
        return real_blobs(shas)

    repo.blobs = spy  # type: ignore[method-assign]
    source = GitSource(repo, "HEAD")
    walked, _ = source.walk_yaml("assignments")
    source.prefetch(walked)
    with pytest.raises(LoadError) as info:
        source.read_bytes(big, Config().max_file_bytes)
    assert info.value.detail == f"file is {3 * 1024 * 1024 + 30} bytes, over the limit of 1048576 " \
                                "(max_file_bytes in permgate.yaml)"
    big_sha = repo.git("rev-parse", f"HEAD:{big}").strip()
    assert big_sha not in asked
    assert source.read_bytes(f"{DIR}/E000002.yaml", Config().max_file_bytes) == BASE[f"{DIR}/E000002.yaml"].encode()


def test_every_loader_entry_point_agrees_on_the_handmade_files(tmp_path: Path) -> None:
    """The fast path, the strict path, the bulk loader (with workers) and git give the same
    answers on every hand-made file (the corpus has the same test: tests/load/test_yaml_corpus.py)."""
    from permgate.git.repo import GitSource, Repo
    from permgate.load.bulk import Tuning, load_many
    from tests.git_helpers import init_repo

    rels = [f"{DIR}/{name}" for name in sorted(HANDMADE)]
    init_repo(tmp_path, {rel: _adapt(HANDMADE[rel.rsplit("/", 1)[1]]) for rel in rels})
    fs = FsSource(str(tmp_path))
    cap = Config().max_file_bytes
    strict = [load_grants_file(fs, rel, cap, fast=False) for rel in rels]
    assert [load_grants_file(fs, rel, cap) for rel in rels] == strict
    assert load_many(fs, rels, cap, Tuning(jobs=1)) == strict
    assert load_many(fs, rels, cap, Tuning(jobs=2)) == strict
    git_source = GitSource(Repo(str(tmp_path)), "HEAD")
    assert [load_grants_file(git_source, rel, cap) for rel in rels] == strict


NOT_UTF8 = "name is not valid UTF-8; rename it (bytes that are not UTF-8 are shown as \\xNN)"


def _add_non_utf8_names(root: Path) -> None:
    base = os.fsencode(root / DIR)
    with open(base + b"/\xff\xfe.yaml", "wb") as fh:
        fh.write(b"employee: E000002\ngrants: []\n")
    os.mkdir(base + b"/desk-\xe9")
    with open(base + b"/desk-\xe9/E000002.yaml", "wb") as fh:
        fh.write(b"employee: E000002\ngrants:\n  - permission: P002\n    granted_by: E000001\n"
                 b"    granted_on: 2022-07-01\n")


def _assert_non_utf8_names_reported(found: list[dict[str, Any]]) -> None:
    got = {(f["rule"], f["path"], f["line"], f["message"]) for f in found}
    assert ("invalid-file", f"{DIR}/\\xff\\xfe.yaml", 1, f"file {NOT_UTF8}") in got
    assert ("invalid-file", f"{DIR}/desk-\\xe9", 1, f"folder {NOT_UTF8}") in got


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "markdown"])
def test_file_and_folder_names_that_are_not_utf8(fmt: str, make_repo: Callable[..., Path]) -> None:
    """Linux names are bytes: a name that is not UTF-8 is refused (never read, never walked
    into) and shown with \\xNN escapes, so every format can still be written."""
    root = make_repo()
    _add_non_utf8_names(root)
    result = run_cli("check", "--root", str(root), "--format", fmt, "--today", "2026-06-01")
    assert result.exit_code == 1
    result.stdout.encode("utf-8")  # no lone surrogates in the output
    if fmt == "json":
        _assert_non_utf8_names_reported(json.loads(result.stdout)["findings"])
    assert "xff" in result.stdout


def test_names_that_are_not_utf8_in_a_git_revision(tmp_path: Path) -> None:
    """The same through git: the base has them, the change adds a grant; nothing crashes."""
    from tests.git_helpers import commit_all, init_repo

    root = tmp_path / "repo"
    init_repo(root, BASE)
    _add_non_utf8_names(root)
    base = commit_all(root, "names git keeps as bytes")
    (root / DIR / "E000001.yaml").write_text("employee: E000001\ngrants: []\n")
    commit_all(root, "a grants file")
    result = run_cli("check", "--root", str(root), "--base", base, "--format", "json", "--today", "2026-06-01")
    assert result.exit_code in (0, 1), result.stderr
    json.loads(result.stdout)
    from permgate.git.repo import GitSource, Repo

    walked, refused = GitSource(Repo(str(root)), base).walk_yaml("assignments")
    assert (f"{DIR}/\\xff\\xfe.yaml", f"file {NOT_UTF8}") in refused
    assert all(files_path.encode("utf-8") for files_path in walked)
