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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from permgate.config import Config
from permgate.errors import ConfigError, LoadError
from permgate.git.repo import Commit, Repo
from permgate.load.source import MemorySource
from permgate.load.workspace import load_people
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


def load_versions(repo: Repo, config: Config, blobs: Iterable[str]) -> dict[str, Version]:
    """Each distinct blob of the people directory parsed once (by the same loader as ``check``)."""
    wanted = sorted(set(blobs))
    contents = repo.blobs(wanted)
    out: dict[str, Version] = {}
    for blob in wanted:
        try:
            out[blob] = load_people(MemorySource({config.people: contents[blob]}), config)
        except ConfigError as err:
            out[blob] = err
        except LoadError as err:  # (load_people turns these into ConfigError; kept for safety)
            out[blob] = ConfigError(err.path, err.line, err.column, err.detail)
    return out


@dataclass
class PeopleWalk:
    """The directory a commit is judged by (see the module docstring), updated version by version."""

    now: dict[str, Person]

    def apply(self, version: Mapping[str, Person]) -> tuple[set[str], set[str]]:
        """Move to ``version``: (ids whose standing changed, ids whose manager link changed).

        People absent from ``version`` keep their last entry (rule 2); ``now`` is updated in place.
        """
        now = self.now
        changed: set[str] = set()
        relinked: set[str] = set()
        for pid, person in version.items():
            old = now.get(pid)
            if old is None or standing(old) != standing(person):
                changed.add(pid)
                if old is None or old.manager != person.manager:
                    relinked.add(pid)
        now.update(version)
        return changed, relinked

    def below(self, roots: set[str], reports: Mapping[str, list[str]]) -> set[str]:
        """Everyone under ``roots`` in the management tree ``reports`` (manager -> direct reports)."""
        out: set[str] = set()
        stack = list(roots)
        while stack:
            for pid in reports.get(stack.pop(), ()):
                if pid not in out:
                    out.add(pid)
                    stack.append(pid)
        return out

    def reports(self) -> dict[str, list[str]]:
        """manager -> direct reports, in the directory as it is now."""
        out: dict[str, list[str]] = {}
        for pid, person in self.now.items():
            if person.manager:
                out.setdefault(person.manager, []).append(pid)
        return out
