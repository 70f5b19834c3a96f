"""The grants repository at a past moment, judged the way ``audit`` judges a commit.

``who-can PERMISSION --at DATE`` asks who held a permission on a given day.  The moment is
the newest commit on the first-parent history of the revision walked (HEAD by default)
that had landed by the end of that day (its commit date, in the offset it was recorded
with: the day ``audit`` gives it).  The grants files are those of that commit; the catalog,
policies and ``permgate.yaml`` those of the revision walked; the people directory the one
of that commit, with the same rules for people it lacks as ``audit``
(``permgate.analysis.people_history``).  So a holder's division in ``who-can --at`` is the
division ``audit`` judged them by at that commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from permgate.analysis.audit import Judge, commit_day, fill_from_history
from permgate.analysis.people_history import PeopleWalk, people_blob, read_versions
from permgate.config import load_config
from permgate.errors import ConfigError, UsageError
from permgate.git.repo import GitSource, Repo
from permgate.load.workspace import load_frame, load_grants
from permgate.model import Workspace


def moment_at(repo: Repo, rev: str, day: dt.date) -> str:
    """The newest first-parent commit of ``rev`` whose commit date is on or before ``day``."""
    head = repo.resolve(rev)
    found = None
    for line in repo.git("log", "--first-parent", "--format=%H %cI", head, "--").splitlines():
        sha, _, when = line.partition(" ")
        if commit_day(when) <= day:
            found = sha
            break  # newest first
    if found is None:
        raise UsageError(f"no commit of {rev} on or before {day}")
    return found


def workspace_at(repo: Repo, rev: str, moment: str) -> Workspace:
    """The grants of ``moment`` with the people directory of ``moment``, judged by the rules of ``rev``."""
    source = GitSource(repo, rev)
    config = load_config(source)
    frame = load_frame(source, config)
    grants_files, problems = load_grants(GitSource(repo, moment), config)
    judge = fill_from_history(repo, rev, Judge(config, frame.catalog, frame.people, frame.policies, frame.settings,
                                                     frame.settings_locs),
                              {gf.employee for gf in grants_files}, set())
    walk = PeopleWalk(dict(judge.people))
    commits = repo.history(moment, under=config.people)
    for version in read_versions(repo, config, (people_blob(c, config.people)[1] for c in commits)):
        if version is not None and not isinstance(version, ConfigError):
            walk.apply(version)  # an unreadable version is kept over, as in audit
    return dataclasses.replace(frame, people=walk.now, files=tuple(grants_files), problems=tuple(problems))
