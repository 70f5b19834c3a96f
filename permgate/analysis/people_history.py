"""Where people sat at each moment of the history: the people directory as a walk reaches it.

``audit`` and ``who-can --at`` judge a past commit by the catalog and policies of the
revision walked (today's rules) but by the people directory *of that commit*: a person's
division, manager, function and ``division_since`` are facts of the time.

The directory a commit is judged by (``PeopleWalk.now``) is, for each person id:

1. their entry in the people directory of that commit, if it has one;
2. else their entry in the newest earlier version of the directory that had one (someone
   deleted from the directory whose grants file stayed is judged where they last sat);
3. else their entry at the revision walked, or, if they are gone there too, in the newest
   version of the directory that still had them (the rule ``audit`` always had: a grants file
   that predates the person's directory entry is judged by the first thing we know).

A version of the directory that cannot be read (a broken commit in history) does not end
or start anything: the walk keeps the previous version and says so in a note.  Only the
fields a rule can read change a person's standing: ``division``, ``manager``,
``division_since`` and ``function`` (a new name or line number re-evaluates nobody).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import compress
from operator import ne

from permgate.config import Config
from permgate.errors import ConfigError, LoadError
from permgate.git.repo import Commit, Repo
from permgate.load import canonical
from permgate.load.source import MemorySource
from permgate.load.workspace import directory_cap, load_people
from permgate.load.yamldoc import decode
from permgate.model import Person

#: one parsed version of the people directory, or why it could not be read
Version = Mapping[str, Person] | ConfigError


def standing(person: Person) -> tuple[str, str | None, str | None, str | None]:
    """What rules read of a person: a change here is a change of the facts of the time."""
    return person.division, person.manager, person.division_since, person.function


def people_blob(commit: Commit, rel: str) -> tuple[bool, str | None]:
    """(whether ``commit`` changed the people file at ``rel``, its new blob or None if deleted)."""
    for ch in commit.changes:
        if ch.path == rel:
            return True, ch.new
    return False, None


def read_versions(repo: Repo, config: Config, blobs: Iterable[str | None]) -> Iterator[Version | None]:
    """The versions of the people directory that these blobs hold, in order (None for a deleted file),
    each parsed when it is reached, so that only one is held at a time."""
    order = list(blobs)
    contents = repo.blobs(sorted({b for b in order if b}))
    reader = VersionReader(config)
    for blob in order:
        yield reader.read(contents[blob]) if blob else None


def parse_version(data: bytes, config: Config) -> Version:
    """One version of the people directory, as ``check`` reads it, or why it cannot be read."""
    try:
        return load_people(MemorySource({config.people: data}), config)
    except ConfigError as err:  # (load_people reports every problem of the file as one)
        return err


class VersionReader:
    """The versions of the people directory along a walk, oldest first: ``parse_version`` of each,
    with a fast path for the usual HR commit.

    **Fast path** (beside ``parse_version``, which it shortcuts): when the previous version was
    read and both are in the canonical layout with the same people in the same order (a
    transfer or a manager change edits values, not entries), only the entries whose text
    changed are parsed, by ``canonical.people`` on a small document of those entries and the
    managers above them; everyone else is the previous version's record (same text, same
    line).  The management checks the full read makes hold for the result: an unchanged entry's
    manager was in the previous version and is in this one; a changed entry's manager is in
    the small document, which ``canonical.people`` checks; and a cycle would pass a changed
    link, so it is in the small document too, which ``canonical.people`` declines.  Anything
    else (a new or removed person, another layout, a declined small document, an error) is read
    in full, so messages are the full read's.  ``tests/analysis/test_people_history.py``
    compares the two on generated histories.
    """

    #: above this many changed entries the full read is as quick
    MAX_CHANGED = 200

    def __init__(self, config: Config) -> None:
        self.config = config
        self._prev: tuple[str, list[str], list[str], dict[str, int], Mapping[str, Person]] | None = None

    def read(self, data: bytes) -> Version:
        fast = self._fast(data)
        if fast is not None:
            return fast
        version = parse_version(data, self.config)
        self._prev = None
        if not isinstance(version, ConfigError):
            self._remember(data, version)
        return version

    def _remember(self, data: bytes, people: Mapping[str, Person]) -> None:
        split = _split(data)
        if split is None:
            return
        head, blocks = split
        ids = [b[:b.find("\n")] for b in blocks]
        if len(ids) != len(people) or not all(map(people.__contains__, ids)):
            return
        self._prev = (head, blocks, ids, dict(zip(ids, range(len(ids)), strict=True)), people)

    def _fast(self, data: bytes) -> Mapping[str, Person] | None:
        prev = self._prev
        if prev is None or len(data) > directory_cap(self.config):
            return None
        split = _split(data)
        if split is None:
            return None
        head, blocks = split
        old_head, old_blocks, ids, position, old = prev
        if head != old_head or len(blocks) != len(old_blocks):
            return None
        changed = list(compress(range(len(blocks)), map(ne, blocks, old_blocks)))
        if len(changed) > self.MAX_CHANGED:
            return None
        if any(not blocks[i].startswith(ids[i] + "\n") for i in changed):
            return None  # an entry replaced by another person's
        # the changed entries and every manager above them, in file order
        edited = frozenset(changed)
        wanted: set[int] = set()
        todo = list(changed)
        while todo:
            i = todo.pop()
            if i in wanted:
                continue
            wanted.add(i)
            found = _MANAGER.search(blocks[i]) if i in edited else None
            boss = found.group(1) if found else old[ids[i]].manager
            if boss is not None and boss != "null":
                at = position.get(boss)
                if at is None:
                    return None  # an unknown manager: the full read's message
                todo.append(at)
        small = head + "".join("\n- id: " + blocks[i].rstrip("\n") for i in sorted(wanted)) + "\n"
        parsed = canonical.people(small, self.config.people)
        if parsed is None:
            return None
        people = dict(old)
        for i in changed:
            pid = ids[i]
            people[pid] = parsed[pid]._replace(loc=old[pid].loc)  # same entry, same line
        self._prev = (head, blocks, ids, position, people)
        return people


_MANAGER = re.compile(r"\n  manager: (\S+)")


def _split(data: bytes) -> tuple[str, list[str]] | None:
    """(the text before the first entry, each entry's text after ``- id: ``), for a directory in the
    canonical layout (four lines an entry, the last ending the file); None otherwise."""
    try:
        text = decode(data, "")
    except LoadError:
        return None
    head, sep, rest = text.partition("\n- id: ")
    if not sep or not text.endswith("\n") or text.endswith("\n\n"):
        return None
    blocks = rest.split("\n- id: ")
    if text.count("\n") != head.count("\n") + 1 + 4 * len(blocks):
        return None
    return head, blocks


class PeopleWalk:
    """The directory a commit is judged by (see the module docstring), updated version by version.

    ``now`` is updated in place; the management tree (manager -> direct reports) is kept beside it
    and updated only for the people whose manager link changed."""

    def __init__(self, start: dict[str, Person]) -> None:
        self.now = start
        self._reports: dict[str, set[str]] | None = None  # built on first use

    def apply(self, version: Mapping[str, Person]) -> tuple[set[str], set[str]]:
        """Move to ``version``: (ids whose standing changed, everyone below a changed manager link).

        People absent from ``version`` keep their last entry (rule 2).
        """
        now = self.now
        changed: set[str] = set()
        relinked: set[str] = set()
        for pid, person in version.items():
            old = now.get(pid)
            if old is person:
                continue  # the same record (``VersionReader`` keeps the unchanged ones)
            if old is None or standing(old) != standing(person):
                changed.add(pid)
                if old is None or old.manager != person.manager:
                    relinked.add(pid)
        below: set[str] = set()
        if relinked:
            reports = self._tree()
            below |= self._below(relinked, reports)  # in the tree before the change
            for pid in relinked:
                old = now.get(pid)
                if old is not None and old.manager:
                    reports.get(old.manager, set()).discard(pid)
                if version[pid].manager:
                    reports.setdefault(version[pid].manager or "", set()).add(pid)
        now.update(version)
        if relinked:
            below |= self._below(relinked, self._tree())  # and after it
        return changed, below

    def _tree(self) -> dict[str, set[str]]:
        if self._reports is None:
            self._reports = {}
            for pid, person in self.now.items():
                if person.manager:
                    self._reports.setdefault(person.manager, set()).add(pid)
        return self._reports

    @staticmethod
    def _below(roots: set[str], reports: Mapping[str, set[str]]) -> set[str]:
        """Everyone under ``roots`` in the management tree ``reports``."""
        out: set[str] = set()
        stack = list(roots)
        while stack:
            for pid in reports.get(stack.pop(), ()):
                if pid not in out:
                    out.add(pid)
                    stack.append(pid)
        return out
