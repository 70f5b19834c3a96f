"""The baseline: the findings accepted when permgate was adopted, applied after the waivers.

``permgate baseline`` writes the findings of the day to ``policies/baseline.yaml``, keyed as
``check --base`` keys them (``permgate.change.compare.finding_key``: rule + employee +
permission, or rule + path) with a count.  The engine then, after every rule and the
waiver register:

- counts each entry down over the findings of its key (no rendering, one dictionary
  look-up a finding): a matched finding is marked ``baselined`` (reported apart, never
  failing the run), the findings beyond an entry's count stay active;
- never covers a finding of a rule that is not waivable, nor one a waiver already covers;
- reports an entry with findings left to cover as ``baseline-unused`` (the grant was fixed:
  remove it, ``permgate baseline --prune``), so the baseline only ever shrinks;
- covers nothing once the baseline has expired, or when it runs longer than ``settings:
  baseline: max_days`` (default 180) after ``created``: ``baseline-invalid``.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from permgate.findings import Baselined, Finding, Violation
from permgate.model import Baseline

DEFAULT_MAX_DAYS = 180


@dataclass
class BaselineOutcome:
    findings: list[Finding]
    invalid: list[Violation] = field(default_factory=list)
    unused: list[Violation] = field(default_factory=list)


def problem(baseline: Baseline, today: dt.date, max_days: int) -> str | None:
    """Why the baseline covers nothing, or None while it is in force."""
    created, expires = dt.date.fromisoformat(baseline.created), dt.date.fromisoformat(baseline.expires)
    if expires < created:
        return f"expires {baseline.expires} is before created {baseline.created}"
    if (expires - created).days > max_days:
        latest = (created + dt.timedelta(days=max_days)).isoformat()
        return (f"expires {baseline.expires} is more than {max_days} days after created {baseline.created} "
                f"(at most {latest}; settings: baseline: max_days)")
    if expires < today:
        return f"it expired on {baseline.expires}"
    return None


def _what(key: tuple[str, ...]) -> str:
    if len(key) == 3:
        return f"`{key[0]}` for {key[1]} / {key[2]}"
    return f"`{key[0]}` at {key[1]}"


class OverCounted(Exception):
    """An entry covered more findings than its count, counted in two places (``mark`` in two chunks of a
    split check): the caller judges the run the plain way."""


def max_days_of(settings: Mapping[str, Any]) -> int:
    """``settings: baseline: max_days`` of the policies (default ``DEFAULT_MAX_DAYS``)."""
    return int(settings.get("baseline", {}).get("max_days", DEFAULT_MAX_DAYS))


def entry_id(line: int, column: int) -> int:
    """One int for an entry: its place in the file (two entries of a flow list may share a line)."""
    return line << 32 | column


def mark(baseline: Baseline, findings: list[Finding], waivable: Mapping[str, bool],
         used_elsewhere: Mapping[int, int] | None = None, by_path: dict[str, array[int]] | None = None
         ) -> Counter[int]:
    """Mark in place (in list order) the findings the entries cover; how many each entry (by its
    ``entry_id``) covered here.  ``used_elsewhere``: what each entry already covered in other findings;
    ``by_path`` hears, per path of a marked finding, the ``entry_id`` that covered it."""
    entries = baseline.entries
    used: Counter[int] = Counter()
    marks: dict[tuple[str, ...], Baselined] = {}
    path = baseline.path
    before = used_elsewhere or {}
    for i, f in enumerate(findings):
        if f.waived is not None or not waivable.get(f.rule, False):
            continue
        # finding_key(f, ()) written out, without the role (a baseline accepts a permission however it is held):
        key: tuple[str, ...] = (f.rule, f.employee or "", f.permission) if f.permission is not None \
            else (f.rule, f.path)
        entry = entries.get(key)
        if entry is None:
            continue
        at = entry[1] << 32 | entry[2]
        if used[at] + before.get(at, 0) >= entry[0]:
            continue
        used[at] += 1
        if by_path is not None:
            ids = by_path.get(f.path)
            if ids is None:
                ids = by_path[f.path] = array("Q")
            ids.append(at)
        baselined = marks.get(key)
        if baselined is None:
            baselined = marks[key] = Baselined(path, entry[1])
        findings[i] = Finding(f.rule, f.severity, f.message, f.path, f.line, f.column, f.employee, f.permission,
                              f.related, f.waived, baselined, f.role)
    return used


def apply(baseline: Baseline, findings: list[Finding], waivable: Mapping[str, bool], today: dt.date,
          max_days: int = DEFAULT_MAX_DAYS, used_elsewhere: Mapping[int, int] | None = None) -> BaselineOutcome:
    """``findings`` with the baseline applied, and the findings about the baseline itself.

    ``used_elsewhere`` (the split check, ``engine/chunked.py``): what each entry (``entry_id``) covered
    in findings marked elsewhere (``mark``), counted before these; more than an entry's count in all
    raises ``OverCounted``."""
    out = BaselineOutcome(findings=findings)
    why = problem(baseline, today, max_days)
    if why is not None:
        loc = baseline.expires_loc
        out.invalid.append(Violation(loc.path, loc.line, loc.column,
                                     f"the baseline covers nothing: {why}; fix its findings, or write a new "
                                     f"baseline (`permgate baseline`) and have it reviewed as a change to the gate"))
        return out
    before = used_elsewhere or {}
    used = mark(baseline, findings, waivable, before)
    path = baseline.path
    for key, (count, line, column) in baseline.entries.items():
        at = line << 32 | column
        remaining = count - used.get(at, 0) - before.get(at, 0)
        if remaining == 0:
            continue
        if remaining < 0:
            raise OverCounted(f"baseline entry at line {line}")
        if not waivable.get(key[0], False):
            why = (f"rule `{key[0]}` does not exist (see `permgate rules`)" if key[0] not in waivable
                   else f"rule `{key[0]}` is not waivable, so no baseline covers its findings")
        elif remaining == count:
            why = "matches no finding (fixed?)"
        else:
            why = f"accepts {count} findings but only {count - remaining} remain; lower its count"
        out.unused.append(Violation(path, line, column,
                                    f"baseline entry {_what(key)} {why}; the baseline only shrinks: "
                                    f"`permgate baseline --prune` removes what is fixed",
                                    key[1] if len(key) == 3 else None, key[2] if len(key) == 3 else None))
    return out
