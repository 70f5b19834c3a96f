"""git, read through its plumbing commands: revisions, changed paths, trees and blobs.

Everything permgate learns from history goes through here, so that ``--base``,
``audit`` and caching share one careful implementation.  Failures are ``GitError``
with what git said; nothing here guesses.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from permgate.errors import GitError, LoadError
from permgate.load import files
from permgate.model import Change

#: git's id of the empty tree, a base for a repository's first commit
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@dataclass(frozen=True)
class BlobChange:
    """One path (relative to ``root``) changed by a commit; a blob id is None where the path is absent."""

    path: str
    old: str | None
    new: str | None
    mode: str  # the new mode ("000000" when deleted)


@dataclass(frozen=True)
class Commit:
    """A commit of a first-parent walk, with what it changed relative to its first parent."""

    id: str
    author: str  # "Name <email>"
    author_date: str  # strict ISO 8601, with the author's offset
    commit_date: str  # strict ISO 8601, with the committer's offset: when it landed on the branch
    changes: tuple[BlobChange, ...]


_NULL_SHA = "0" * 40


class Repo:
    """The git repository that contains ``root``; paths are relative to ``root``."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        try:
            top = self._git_at(self.root, "rev-parse", "--show-toplevel").strip()
        except GitError:
            raise GitError(f"{root} is not inside a git repository") from None
        self.toplevel = os.path.realpath(top)
        prefix = os.path.relpath(os.path.realpath(self.root), self.toplevel).replace(os.sep, "/")
        #: the grants repository's root as a path inside the git repository ("" at the top)
        self.prefix = "" if prefix == "." else prefix + "/"

    @staticmethod
    def _git_at(cwd: str, *args: str, input_bytes: bytes | None = None) -> str:
        out = Repo._run(cwd, *args, input_bytes=input_bytes)
        return out.decode("utf-8", "surrogateescape")

    @staticmethod
    def _run(cwd: str, *args: str, input_bytes: bytes | None = None) -> bytes:
        env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
        try:
            proc = subprocess.run(["git", *args], cwd=cwd, input=input_bytes, capture_output=True, env=env)
        except FileNotFoundError:
            raise GitError("git is not installed") from None
        if proc.returncode != 0:
            said = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {said[-1] if said else 'exit ' + str(proc.returncode)}")
        return proc.stdout

    def git(self, *args: str, input_bytes: bytes | None = None) -> str:
        return self._git_at(self.toplevel, *args, input_bytes=input_bytes)

    def git_bytes(self, *args: str, input_bytes: bytes | None = None) -> bytes:
        return self._run(self.toplevel, *args, input_bytes=input_bytes)

    def resolve(self, ref: str) -> str:
        """The commit id of ``ref``; a clear ``GitError`` when it does not exist here."""
        if ref.startswith("-"):
            raise GitError(f"`{ref}` is not a git revision")
        try:
            return self.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").strip()
        except GitError:
            shallow = self.git("rev-parse", "--is-shallow-repository").strip() == "true"
            hint = " (this is a shallow clone: fetch the base, e.g. `git fetch --deepen=100` or fetch-depth: 0)" \
                if shallow else ""
            raise GitError(f"unknown git revision `{ref}`{hint}") from None

    def uncommitted(self) -> bool:
        """Whether a tracked file under ``root`` differs from ``HEAD`` (staged or not)."""
        listed = self._run(self.root, "--no-optional-locks", "status", "--porcelain", "-z",
                           "--untracked-files=no", "--", ".")
        return bool(listed.strip(b"\0"))

    def _inside(self, path: str) -> str | None:
        """``path`` (relative to the git top level) made relative to ``root``, or None."""
        if not self.prefix:
            return path
        return path[len(self.prefix):] if path.startswith(self.prefix) else None

    def changes(self, base: str, head: str | None = None) -> list[Change]:
        """Paths under ``root`` that differ between ``base`` and ``head`` (None: the working tree,
        untracked files included)."""
        args = ["diff", "--name-status", "-z", "-M", base]
        if head is not None:
            args.append(head)
        args += ["--", self.prefix or "."]
        raw = self.git(*args).split("\0")
        out: list[Change] = []
        i = 0
        while i < len(raw) - 1:
            status = raw[i]
            code = status[:1]
            if code in ("R", "C"):
                old, new = self._inside(raw[i + 1]), self._inside(raw[i + 2])
                i += 3
                out.append(Change("R" if code == "R" else "A", old if code == "R" else None, new))
                continue
            path = self._inside(raw[i + 1])
            i += 2
            if code == "A":
                out.append(Change("A", None, path))
            elif code == "D":
                out.append(Change("D", path, None))
            else:
                out.append(Change(code or "M", path, path))
        if head is None:
            untracked = self.git("ls-files", "-z", "--others", "--exclude-standard", "--", self.prefix or ".")
            for path in untracked.split("\0"):
                rel = self._inside(path) if path else None
                if rel:
                    out.append(Change("A", None, rel))
        return out

    def history(self, rev: str = "HEAD", under: str = "") -> list[Commit]:
        """The first-parent history of ``rev`` that touched ``under`` (a folder relative to ``root``),
        oldest first, each commit with its blob-level changes there. One ``git log`` call.

        Following first parents gives the branch's own timeline: a change made on a side branch
        counts from the merge that brought it in, which is when the branch really had it.
        """
        head = self.resolve(rev)
        spec = self.prefix + under.strip("/") if under.strip("/") else (self.prefix or ".")
        raw = self.git("log", "--first-parent", "--reverse", "--raw", "-z", "--no-renames", "--no-abbrev",
                       "--diff-merges=first-parent", "--format=%x01%H%x1f%an <%ae>%x1f%aI%x1f%cI",
                       head, "--", ":(literal)" + spec)
        commits: list[Commit] = []
        for chunk in raw.split("\x01")[1:]:
            header, _, rest = chunk.partition("\0")
            sha, author, author_date, commit_date = header.split("\x1f")
            fields = rest.lstrip("\n").split("\0")
            changes: list[BlobChange] = []
            for i in range(0, len(fields) - 1, 2):
                meta, path = fields[i], fields[i + 1]
                if not meta.startswith(":"):
                    break
                _old_mode, new_mode, old, new, _status = meta[1:].split(" ")
                rel = self._inside(path)
                if rel is None:
                    continue
                changes.append(BlobChange(rel, None if old == _NULL_SHA else old,
                                          None if new == _NULL_SHA else new, new_mode))
            commits.append(Commit(sha, author, author_date, commit_date, tuple(changes)))
        return commits

    def tree(self, rev: str) -> dict[str, tuple[str, str]]:
        """Every blob under ``root`` at ``rev``: path -> (mode, blob id)."""
        listing = self.git("ls-tree", "-r", "-z", "--full-tree", rev, "--", self.prefix or ".")
        return self._blobs_listed(listing)

    def entries(self, rev: str, rels: list[str]) -> dict[str, tuple[str, str]]:
        """Like ``tree`` for the given paths only (each a file, or a folder listed recursively)."""
        if not rels:
            return {}
        if len(rels) >= MANY_PATHS and all(_plain_path(r) for r in rels):
            return self._entries_of_many(rev, rels)
        listing = self.git("--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", rev, "--",
                           *(self.prefix + r for r in rels))
        return self._blobs_listed(listing)

    def _entries_of_many(self, rev: str, rels: list[str]) -> dict[str, tuple[str, str]]:
        """``entries`` for many paths: git matches every path of the tree against every pathspec (20,000
        holders' files at 100,000 employees: 18 s), so the few folders that hold them are listed and the
        listing is picked here, as the pathspecs pick (a path itself, or one below it); the same
        answer (``tests/git/test_repo_entries.py``)."""
        folders = {r.rpartition("/")[0] for r in rels}
        # a folder below another is listed with it (``ls-tree`` would list it twice)
        tops = sorted(f for f in folders if not any(a in folders for a in _ancestors(f)))
        if "" in tops or len(tops) > MANY_PATHS:
            tops = [""]
        specs = [self.prefix + f for f in tops if f] or [self.prefix or "."]
        listed = self._blobs_listed(self.git("--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", rev, "--",
                                             *specs))
        wanted = set(rels)
        out: dict[str, tuple[str, str]] = {}
        for path, entry in listed.items():
            if path in wanted or any(a in wanted for a in _ancestors(path)):
                out[path] = entry
        return out

    def _blobs_listed(self, listing: str) -> dict[str, tuple[str, str]]:
        """path -> (mode, blob id) of the files and submodules in a ``git ls-tree -r -z`` listing."""
        entries = _LS_TREE.findall(listing)
        if sum(len(e[0]) for e in entries) != len(listing):  # pragma: no cover - git wrote something else
            raise GitError("git ls-tree wrote a listing permgate cannot read")
        prefix = self.prefix
        cut = len(prefix)
        return {path[cut:]: (mode, sha) for _, mode, kind, sha, path in entries
                if kind != "tree" and path.startswith(prefix)}

    def tree_id(self, rev: str, rel: str) -> str | None:
        """The git id of the folder ``rel`` (not the root) at ``rev``, or None when it is not a folder there."""
        path = self.prefix + rel.strip("/")
        listing = self.git("--literal-pathspecs", "ls-tree", "-z", "--full-tree", rev, "--", path)
        for entry in listing.split("\0"):
            meta, _, name = entry.partition("\t")
            parts = meta.split()
            if name == path and len(parts) == 3 and parts[1] == "tree":
                return parts[2]
        return None

    def ignored(self, rels: list[str]) -> list[str]:
        """Files git ignores below the given paths of the working tree (relative to ``root``)."""
        return self.ignored_later(rels).result()

    def ignored_later(self, rels: list[str]) -> Pending:
        """``ignored``, started now and read with ``.result()`` (git walks while Python works)."""
        args = ["--literal-pathspecs", "ls-files", "-z", "--others", "--ignored", "--exclude-standard",
                "--", *(self.prefix + r for r in rels)]
        return Pending(self, args)

    def diff_trees(self, old: str, new: str) -> list[tuple[str, str, str, str]]:
        """(path, old mode, new mode, new blob id) of every file that differs between two tree ids;
        paths relative to the trees, a mode "000000" where the file is absent."""
        raw = self.git("diff-tree", "-r", "-z", "--no-renames", "--no-abbrev", old, new).split("\0")
        out: list[tuple[str, str, str, str]] = []
        for i in range(0, len(raw) - 1, 2):
            meta, path = raw[i], raw[i + 1]
            if not meta.startswith(":"):
                break
            old_mode, new_mode, _old_sha, new_sha, _status = meta[1:].split(" ")
            out.append((path, old_mode, new_mode, new_sha))
        return out

    def grep_files(self, rev: str, needles: list[str], rel: str) -> list[str]:
        """Files below ``rel`` at ``rev`` whose content contains one of ``needles`` literally."""
        if not needles:
            return []
        args = ["git", "--literal-pathspecs", "grep", "-l", "-z", "-F", "--no-color", "--no-textconv", "-a"]
        for n in needles:
            args += ["-e", n]
        args += [rev, "--", self.prefix + rel.strip("/")]
        env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
        proc = subprocess.run(args, cwd=self.toplevel, capture_output=True, env=env)
        if proc.returncode not in (0, 1):  # 1: nothing found
            said = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git grep failed: {said[-1] if said else 'exit ' + str(proc.returncode)}")
        out: list[str] = []
        for entry in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
            path = entry[len(rev) + 1:] if entry.startswith(rev + ":") else None
            rel_path = self._inside(path) if path else None
            if rel_path:
                out.append(rel_path)
        return out

    def blob_sizes(self, shas: list[str]) -> dict[str, int]:
        """The size in bytes of each blob id, without reading it (``git cat-file --batch-check``)."""
        if not shas:
            return {}
        unique = list(dict.fromkeys(shas))
        listing = self.git("cat-file", "--batch-check", input_bytes="".join(s + "\n" for s in unique).encode())
        out: dict[str, int] = {}
        for line in listing.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] != "missing":
                out[parts[0]] = int(parts[2])
        return out

    def blobs(self, shas: list[str]) -> dict[str, bytes]:
        """The content of each blob id, read in one ``git cat-file --batch``."""
        if not shas:
            return {}
        unique = list(dict.fromkeys(shas))
        data = self.git_bytes("cat-file", "--batch", input_bytes="".join(s + "\n" for s in unique).encode())
        out: dict[str, bytes] = {}
        pos = 0
        for sha in unique:
            header_end = data.index(b"\n", pos)
            header = data[pos:header_end].split()
            if len(header) < 3 or header[1] == b"missing":
                raise GitError(f"git object {sha} is missing (shallow or partial clone?)")
            size = int(header[2])
            start = header_end + 1
            out[sha] = data[start:start + size]
            pos = start + size + 1
        return out


class Pending:
    """A git listing running in the background: ``result()`` waits for it, ``close()`` drops it."""

    def __init__(self, repo: Repo, args: list[str]) -> None:
        self.repo = repo
        self.args = args
        env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
        try:
            self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["git", *args], cwd=repo.toplevel, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        except FileNotFoundError:
            raise GitError("git is not installed") from None
        self._result: list[str] | None = None

    def result(self) -> list[str]:
        if self._result is None:
            assert self.proc is not None
            out, err = self.proc.communicate()
            if self.proc.returncode != 0:
                said = err.decode("utf-8", "replace").strip().splitlines()
                last = said[-1] if said else f"exit {self.proc.returncode}"
                raise GitError(f"git {self.args[1]} failed: {last}")
            listing = out.decode("utf-8", "surrogateescape")
            self._result = [rel for path in listing.split("\0")
                            if path and (rel := self.repo._inside(path)) is not None]
        return self._result

    def close(self) -> None:
        if self._result is None and self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


#: one entry of ``git ls-tree -z`` (mode, kind, id, path), the whole entry first: the entries must
#: account for the whole listing
#: from this many paths ``Repo.entries`` lists their folders and picks them out itself
MANY_PATHS = 64


def _plain_path(rel: str) -> bool:
    """A path ``Repo.entries`` may pick out itself: parts that are names, not ``.``, ``..`` or empty."""
    return all(part not in ("", ".", "..") for part in rel.split("/"))


def _ancestors(rel: str) -> Iterator[str]:
    """The folders above ``rel``, nearest first, down to (not including) the root."""
    folder = rel.rpartition("/")[0]
    while folder:
        yield folder
        folder = folder.rpartition("/")[0]


_LS_TREE = re.compile(r"(([0-7]{6}) (blob|commit|tree) ([0-9a-f]{40,64})\t([^\0]*)\0)")

#: blobs larger than this are not read ahead (a grants file is a few kilobytes)
PREFETCH_MAX_BYTES = 1024 * 1024


class GitSource:
    """A grants repository as it was at a git revision (a ``permgate.load.source.Source``)."""

    def __init__(self, repo: Repo, rev: str, label: str | None = None,
                 tree: dict[str, tuple[str, str]] | None = None) -> None:
        """``tree``: the entries to show (``Repo.entries``) when only some paths are needed."""
        self.repo = repo
        self.rev = repo.resolve(rev)
        self.label = label or rev
        self._tree = repo.tree(self.rev) if tree is None else tree
        # every folder above a listed path: the parents, then their own parents (few)
        self._dirs: set[str] = {""}
        for folder in {path.rpartition("/")[0] for path in self._tree}:
            while folder not in self._dirs:
                self._dirs.add(folder)
                folder = folder.rpartition("/")[0]
        self._cache: dict[str, bytes] = {}
        self._sizes: dict[str, int] = {}

    def _norm(self, rel: str) -> str:
        rel = files.normalise(rel) if rel not in ("", ".") else ""
        return "" if rel == "." else rel

    def prefetch(self, rels: list[str]) -> None:
        """Read many files in one git call (a large speed-up over one call per file).

        Sizes are asked first: a blob over ``PREFETCH_MAX_BYTES`` is left for ``read_bytes``,
        which refuses it from its size before reading it, so a huge blob in history costs
        no memory.
        """
        wanted = {self._tree[r][1]: r for r in rels if r in self._tree and r not in self._cache}
        self._sizes.update(self.repo.blob_sizes([sha for sha in wanted if sha not in self._sizes]))
        small = [sha for sha in wanted if self._sizes.get(sha, 0) <= PREFETCH_MAX_BYTES]
        for sha, content in self.repo.blobs(small).items():
            self._cache[wanted[sha]] = content

    def read_bytes(self, rel: str, max_bytes: int) -> bytes:
        rel = self._norm(rel)
        entry = self._tree.get(rel)
        if entry is None:
            raise LoadError(rel, 1, 1, f"file not found at {self.label}")
        mode, sha = entry
        if mode == "120000":
            raise LoadError(rel, 1, 1, "symlink in the repository; refused (commit the file itself)")
        if mode == "160000":
            raise LoadError(rel, 1, 1, "git submodule, not a file")
        if rel not in self._cache:
            if sha not in self._sizes:
                self._sizes.update(self.repo.blob_sizes([sha]))
            size = self._sizes.get(sha, 0)
            if size > max_bytes:  # refused from its size: the blob is never read
                raise LoadError(rel, 1, 1, f"file is {size} bytes, over the limit of {max_bytes} "
                                "(max_file_bytes in permgate.yaml)")
            self._cache[rel] = self.repo.blobs([sha])[sha]
        content = self._cache[rel]
        if len(content) > max_bytes:
            raise LoadError(rel, 1, 1, f"file is {len(content)} bytes, over the limit of {max_bytes} "
                            "(max_file_bytes in permgate.yaml)")
        return content

    def exists(self, rel: str) -> bool:
        rel = self._norm(rel)
        return rel in self._tree or rel in self._dirs

    def is_dir(self, rel: str) -> bool:
        return self._norm(rel) in self._dirs

    def names(self, rel_dir: str) -> list[str]:
        d = self._norm(rel_dir)
        prefix = d + "/" if d else ""
        return sorted({p[len(prefix):].split("/", 1)[0] for p in self._tree if p.startswith(prefix)})

    def list_files(self, rel_dir: str) -> list[str]:
        d = self._norm(rel_dir)
        prefix = d + "/" if d else ""
        return sorted(p[len(prefix):] for p in self._tree if p.startswith(prefix) and "/" not in p[len(prefix):])

    def walk_yaml(self, rel_dir: str) -> tuple[list[str], list[tuple[str, str]]]:
        d = self._norm(rel_dir)
        prefix = d + "/" if d else ""
        found: list[str] = []
        refused: list[tuple[str, str]] = []
        hidden_folders: set[str] = set()
        # nothing is skipped in silence, as in the working tree's walk (``files.walk_yaml``)
        for path, (mode, _sha) in sorted(self._tree.items()):
            if not path.startswith(prefix):
                continue
            parts = path[len(prefix):].split("/")
            dotted = next((i for i, part in enumerate(parts[:-1]) if part.startswith(".")), None)
            if dotted is not None:
                folder = prefix + "/".join(parts[:dotted + 1])
                if folder not in hidden_folders:
                    hidden_folders.add(folder)
                    refused.append((files.shown_name(folder), files.HIDDEN_FOLDER))
            elif files.shown_name(path) != path:
                refused.append((files.shown_name(path), files.NOT_UTF8_NAME))
            elif parts[-1].startswith("."):
                refused.append((path, files.HIDDEN_FILE))
            elif mode == "160000":
                refused.append((path, files.SUBMODULE))
            elif path.lower().endswith(files.YAML_SUFFIXES):
                found.append(path)
            else:
                refused.append((path, "not a grants file: only .yaml and .yml files belong here"))
        self.prefetch(found)
        return found, refused

    def content_id(self, rel: str) -> str | None:
        entry = self._tree.get(self._norm(rel))
        return entry[1] if entry else None

    def entries(self) -> list[tuple[str, tuple[str, str]]]:
        """Every (path, (mode, blob id)) this source shows."""
        return sorted(self._tree.items())


__all__ = ["EMPTY_TREE", "BlobChange", "Change", "Commit", "GitSource", "Repo"]
