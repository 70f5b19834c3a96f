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
from collections.abc import Mapping
from dataclasses import dataclass, field

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


def apply(baseline: Baseline, findings: list[Finding], waivable: Mapping[str, bool], today: dt.date,
          max_days: int = DEFAULT_MAX_DAYS) -> BaselineOutcome:
    """``findings`` with the baseline applied, and the findings about the baseline itself."""
    out = BaselineOutcome(findings=findings)
    why = problem(baseline, today, max_days)
    if why is not None:
        loc = baseline.expires_loc
        out.invalid.append(Violation(loc.path, loc.line, loc.column,
                                     f"the baseline covers nothing: {why}; fix its findings, or write a new "
                                     f"baseline (`permgate baseline`) and have it reviewed as a change to the gate"))
        return out
    entries = baseline.entries
    left = {key: entry[0] for key, entry in entries.items()}  # findings each entry may still cover
    marks: dict[tuple[str, ...], Baselined] = {}
    path = baseline.path
    for i, f in enumerate(findings):
        if f.waived is not None or not waivable.get(f.rule, False):
            continue
        # finding_key(f, ()) written out, without the role (a baseline accepts a permission however it is held):
        key: tuple[str, ...] = (f.rule, f.employee or "", f.permission) if f.permission is not None \
            else (f.rule, f.path)
        if not left.get(key):
            continue
        left[key] -= 1
        mark = marks.get(key)
        if mark is None:
            mark = marks[key] = Baselined(path, entries[key][1])
        findings[i] = Finding(f.rule, f.severity, f.message, f.path, f.line, f.column, f.employee, f.permission,
                              f.related, f.waived, mark, f.role)
    for key, (count, line, column) in entries.items():
        remaining = left[key]
        if remaining == 0:
            continue
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
