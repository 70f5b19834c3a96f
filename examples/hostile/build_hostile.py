#!/usr/bin/env python3
"""Build examples/hostile: the 2023 incident replay with hostile files in its assignments/.

    python3 examples/hostile/build_hostile.py OUT [--corpus ../shared/corpus/yaml-test-suite]
    permgate check --root OUT            # names every hostile file, still reports the
                                         # incident's five findings, exits 1, no traceback

OUT gets a copy of examples/incident-2023 plus, under ``assignments/``:

- ``yaml-test-suite/<case>.yaml``: every input of the public YAML test suite (when the
  corpus folder exists), one file per case (``SM9W-01`` for a sub-case);
- ``hostile/...``: the hand-made files of ``HANDMADE`` and the special entries of
  ``build_special`` (symlinks, a FIFO, an unreadable file, a file over the size cap).

The tree is built, not shipped, because git cannot hold a FIFO, a file mode 000 or a
symlink that points outside the repository (and a file name with a line break is unkind
to every checkout).  Standard library only; deterministic.
docs/security.md explains what permgate refuses and why.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
INCIDENT = HERE.parent / "incident-2023"
DEFAULT_CORPUS = HERE.parent.parent.parent / "shared" / "corpus" / "yaml-test-suite"

#: where the hand-made files go, relative to the repository root
HOSTILE_DIR = "assignments/hostile"
CORPUS_DIR = "assignments/yaml-test-suite"

#: the default ``max_file_bytes``
DEFAULT_CAP = 1024 * 1024

_GRANT = b"""\
  - permission: P001
    granted_by: E000002
    granted_on: 2022-07-01
    reason: "ticket ACC-1"
"""


def _billion_laughs() -> bytes:
    lines = [b'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9).encode()
        lines.append(b"a%d: &a%d [%s]" % (i, i, refs))
    return b"\n".join(lines) + b"\n"


#: name -> bytes, each a regular file under ``HOSTILE_DIR``.  The tests in
#: tests/load/test_hostile_files.py assert the finding (line and message) of each.
HANDMADE: dict[str, bytes] = {
    # a second `grants:` hides the first list from PyYAML (last key wins, PyYAML #165)
    "duplicate-grants-key.yaml": b"employee: E000001\ngrants:\n  - permission: P083\n"
                                 b"    granted_by: E000006\n    granted_on: 2022-07-01\ngrants: []\n",
    "duplicate-permission-key.yaml": b"employee: E000001\ngrants:\n  - permission: P001\n"
                                     b"    permission: P083\n    granted_by: E000006\n    granted_on: 2022-07-01\n",
    "alias-bomb.yaml": _billion_laughs(),
    "merge-key.yaml": b"employee: E000001\ngrants:\n  - <<: {permission: P083}\n"
                      b"    granted_by: E000006\n    granted_on: 2022-07-01\n",
    # would create pwned.txt in the working directory if PyYAML's unsafe loader saw it
    "python-object-tag.yaml": b'employee: !!python/object/apply:builtins.open ["pwned.txt", "w"]\ngrants: []\n',
    "python-name-tag.yaml": b"!!python/name:os.system\n",
    "local-tag.yaml": b"employee: !secret E000001\ngrants: []\n",
    "str-tag.yaml": b"employee: !!str E000001\ngrants: []\n",
    "tag-directive.yaml": b"%TAG !e! tag:example.com,2000:\n---\nemployee: !e!person E000001\ngrants: []\n",
    "latin-1.yaml": b"employee: E000001\ngrants:\n" + _GRANT.replace(b"ACC-1", "café".encode("latin-1")),
    # a UTF-8 byte-order mark is accepted (and dropped): the grant below is checked as usual
    "utf-8-bom.yaml": b"\xef\xbb\xbfemployee: E000001\ngrants:\n" + _GRANT.replace(b"P001", b"P083"),
    "bom-inside.yaml": b"employee: E000001\n\xef\xbb\xbfgrants: []\n",
    "utf-16.yaml": "employee: E000001\ngrants: []\n".encode("utf-16"),
    "utf-16-no-bom.yaml": "employee: E000001\ngrants: []\n".encode("utf-16-le"),
    "utf-32.yaml": "employee: E000001\ngrants: []\n".encode("utf-32"),
    "nul-byte.yaml": b"employee: E000001\x00\ngrants: []\n",
    "control-char.yaml": b"employee: E000001\ngrants: []\nx: \x07\n",
    "tab-indent.yaml": b"employee: E000001\ngrants:\n\t- permission: P001\n",
    "two-documents.yaml": b"employee: E000001\ngrants: []\n---\nemployee: E000001\ngrants:\n" + _GRANT,
    "flow-nesting.yaml": b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "block-nesting.yaml": b"- " * 50_000 + b"x\n",
    "mapping-nesting.yaml": b"".join(b"  " * i + b"k:\n" for i in range(200)),
    "empty.yaml": b"",
    "comment-only.yaml": b"# nothing granted here\n",
    "blank.yaml": b"   \n\n",
    "document-end-only.yaml": b"...\n",
    "wrong-types.yaml": b"""\
employee: [E000001]
grants:
  - 5
  - permission: [P001]
    granted_by: {id: E000002}
    granted_on: 20220701
    reason: 5
    expires: true
    approved: yes
  - "P001"
""",
    "grants-not-a-list.yaml": b"employee: E000001\ngrants: {permission: P001}\n",
    "top-level-list.yaml": b"- employee: E000001\n  grants: []\n",
    "yaml11-ids.yaml": b"""\
employee: no
grants:
  - permission: 0123
    granted_by: on
    granted_on: 2022-07-01
  - permission: 1e3
    granted_by: E000002
    granted_on: 2022-07-01
""",
    "bad-number.yaml": b"employee: 0b_\ngrants: []\n",
    "non-text-key.yaml": b"employee: E000001\ngrants: []\n1: x\n",
    "escape-in-key.yaml": b'employee: E000001\ngrants: []\n"x\\n1:1: error[fake] \\u202e": 1\n',
    "long-value.yaml": b"employee: E000001\ngrants:\n" + _GRANT.replace(b"ACC-1", b"x" * 600_000),
    "too-large.yaml": b"employee: E000001\ngrants:\n" + _GRANT + b"#" * DEFAULT_CAP + b"\n",
    "stray-notes.txt": b"not a grants file\n",
    # markup in values and keys: every HTML/Markdown output must escape it
    "markup-in-values.yaml": b"""\
employee: E000001
grants:
  - permission: P001
    granted_by: E000002
    granted_on: 2022-07-01
    reason: "<script>alert(1)</script> ticket ACC-1"
  - permission: P003
    granted_by: E000002
    granted_on: 2022-07-01
    "<img src=x onerror=alert(2)>": 1
""",
}

#: entries ``build_special`` makes: name -> what it is
SPECIAL: dict[str, str] = {
    "symlink-outside.yaml": "a symlink to /etc/passwd, outside the root",
    "symlink-loop.yaml": "a symlink to itself",
    "dangling-symlink.yaml": "a symlink to a file that does not exist",
    "linked-folder": "a symlink to a folder inside the root that holds a cross-boundary grant",
    "fifo.yaml": "a named pipe: reading it would block for ever",
    "unreadable.yaml": "a file with mode 000 (still readable by root; its content is invalid too)",
    "forged\n0 errors.yaml": "a file name with a line break, trying to forge an output line",
    "not-utf8-\\xff.yaml": "a file name that is not UTF-8 (shown with \\xNN escapes)",
}

#: SPECIAL entries whose name on disk differs from the name permgate shows
ON_DISK = {"not-utf8-\\xff.yaml": b"not-utf8-\xff.yaml"}


def build_special(hostile: Path) -> None:
    """The entries git cannot hold, in ``hostile`` (an ``assignments/`` sub-folder)."""
    (hostile / "symlink-outside.yaml").symlink_to("/etc/passwd")
    (hostile / "symlink-loop.yaml").symlink_to("symlink-loop.yaml")
    (hostile / "dangling-symlink.yaml").symlink_to("no-such-file.yaml")
    root = hostile.parent.parent
    elsewhere = root / "not-assignments"
    elsewhere.mkdir(exist_ok=True)
    (elsewhere / "E000001.yaml").write_bytes(b"employee: E000001\ngrants:\n" + _GRANT.replace(b"P001", b"P083"))
    (hostile / "linked-folder").symlink_to(os.path.relpath(elsewhere, hostile))
    if hasattr(os, "mkfifo"):
        os.mkfifo(hostile / "fifo.yaml")
    unreadable = hostile / "unreadable.yaml"
    unreadable.write_bytes(b"employee: E000001\nemployee: E000002\ngrants: []\n")
    unreadable.chmod(0)
    (hostile / "forged\n0 errors.yaml").write_bytes(b"employee: E000001\ngrants: []\n")
    if sys.platform.startswith("linux"):  # names are bytes on Linux only
        with open(os.fsencode(hostile) + b"/" + ON_DISK["not-utf8-\\xff.yaml"], "wb") as fh:
            fh.write(b"employee: E000001\ngrants: []\n")


def case_name(case_dir: Path, corpus: Path) -> str:
    return case_dir.relative_to(corpus).as_posix().replace("/", "-")


def corpus_cases(corpus: Path) -> list[Path]:
    """Every ``in.yaml`` of the corpus, sorted."""
    return sorted(corpus.rglob("in.yaml"))


def build(out: Path, corpus: Path | None = DEFAULT_CORPUS, special: bool = True) -> list[str]:
    """Write the tree to ``out`` (which must not exist); return the hostile paths it added."""
    shutil.copytree(INCIDENT, out, ignore=shutil.ignore_patterns("make_incident.py", "README.md", "__pycache__"))
    added: list[str] = []
    hostile = out / HOSTILE_DIR
    hostile.mkdir(parents=True)
    for name, data in HANDMADE.items():
        (hostile / name).write_bytes(data)
        added.append(f"{HOSTILE_DIR}/{name}")
    if special:
        build_special(hostile)
        added += [f"{HOSTILE_DIR}/{name}" for name in SPECIAL
                  if os.path.lexists(os.fsencode(hostile) + b"/" + ON_DISK.get(name, os.fsencode(name)))]
    if corpus is not None and corpus.is_dir():
        target = out / CORPUS_DIR
        target.mkdir(parents=True)
        for case in corpus_cases(corpus):
            name = case_name(case.parent, corpus) + ".yaml"
            shutil.copyfile(case, target / name)
            added.append(f"{CORPUS_DIR}/{name}")
    return sorted(added)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to create (must not exist)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="the yaml-test-suite corpus folder (default: ../shared/corpus/yaml-test-suite)")
    args = parser.parse_args(argv)
    if args.out.exists():
        parser.error(f"{args.out} exists; choose a new folder")
    added = build(args.out, args.corpus)
    print(f"wrote {args.out} with {len(added)} hostile entries in assignments/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

