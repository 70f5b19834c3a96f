"""Waivers: approved exceptions that expire, applied by the engine after every rule ran.

A waiver names a rule, an employee and (for findings about a grant) a permission, with
a reason, a ticket, who approved it, when, and until when.  The engine, not the rules,
applies them, so no rule can forget to honour one and no grants file can waive itself:
there are no inline suppression comments, by design (the person proposing a grant
would waive it himself).

- A waiver in force marks the matching findings ``waived`` (shown, counted apart,
  never failing the run).
- An expired waiver leaves the finding active, with a note that the waiver expired.
- A waiver that cannot be honoured is a ``waiver-invalid`` finding at its line, and
  waives nothing: unknown or not-waivable rule, approver who is the grantee or the
  granter or is unknown, expiry before approval or beyond ``settings: waivers:
  max_days`` (default 180) after ``approved_on``, no employee for a rule whose findings
  name one, an employee (or no permission) for one whose findings name none (``mass-change``).
- A waiver in force (or expired) that matches no finding is ``waiver-unused``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from permgate.dates import add_days
from permgate.findings import Finding, Related, Violation, Waived
from permgate.model import Waiver, Workspace

DEFAULT_MAX_DAYS = 180


class UsedElsewhereInvalid(Exception):
    """A waiver marked findings elsewhere (a chunk of the streamed check, which judged its validity on
    part of the grants) that is invalid on the whole: the caller judges the run the plain way."""


@dataclass
class WaiverOutcome:
    findings: list[Finding]
    invalid: list[Violation] = field(default_factory=list)
    unused: list[Violation] = field(default_factory=list)
    #: the waivers (positions in ``ws.waivers``) that matched a finding here, in force or expired
    used: set[int] = field(default_factory=set)


def _what(w: Waiver) -> str:
    if w.employee is None:
        return f"`{w.rule}` for {w.permission or 'no permission'}"
    return f"`{w.rule}` for {w.employee}" + (f" / {w.permission}" if w.permission else "")


def _problems(ws: Workspace, w: Waiver, waivable: Mapping[str, bool], max_days: int,
              employee_free: Collection[str]) -> list[str]:
    problems: list[str] = []
    if w.rule not in waivable:
        problems.append(f"rule `{w.rule}` does not exist (see `permgate rules`)")
    elif not waivable[w.rule]:
        problems.append(f"rule `{w.rule}` is not waivable")
    if w.rule in employee_free:
        # about a change as a whole: the waiver approves one permission's new holders, named by nobody
        if w.employee is not None:
            problems.append(f"`{w.rule}` findings name no employee; omit employee and name the permission")
        elif w.permission is None:
            problems.append(f"a `{w.rule}` waiver names the permission whose new holders it approves")
    elif w.employee is None:
        problems.append(f"employee is required: `{w.rule}` findings are about one employee")
    if w.employee is not None and w.approved_by == w.employee:
        problems.append(f"approved_by {w.approved_by} is the grantee")
    elif w.approved_by not in ws.people:
        problems.append(f"approved_by {w.approved_by} is not in {ws.people_path}")
    granters = sorted({g.granted_by for g in ws.grants_of(w.employee)
                       if w.permission is None or g.permission == w.permission}) if w.employee is not None else []
    if w.approved_by in granters:
        problems.append(f"approved_by {w.approved_by} granted it")
    approved, expires = dt.date.fromisoformat(w.approved_on), dt.date.fromisoformat(w.expires)
    if expires < approved:
        problems.append(f"expires {w.expires} is before approved_on {w.approved_on}")
    elif (expires - approved).days > max_days:
        latest = add_days(approved, max_days).isoformat()
        problems.append(f"expires {w.expires} is more than {max_days} days after approved_on "
                        f"{w.approved_on} (at most {latest})")
    return problems


def apply(ws: Workspace, findings: Iterable[Finding], waivable: Mapping[str, bool], today: dt.date,
          employee_free: Collection[str] = (), used_elsewhere: Collection[int] = (),
          involved: Callable[[], Mapping[str, Collection[str]]] | None = None) -> WaiverOutcome:
    """``findings`` with the register applied, and the waiver findings of the register itself.

    ``waivable`` maps every rule id in force to whether it may be waived; ``employee_free`` names
    the rules whose findings name no employee (``Rule.names_employee``), waived by rule and
    permission alone; ``used_elsewhere``: the waivers (positions in ``ws.waivers``) that matched
    findings marked elsewhere (the streamed check's chunks), which are not unused; ``involved``
    (``--base`` mode, ``rules.mass_change.involved``, called once, when a waiver in force meets a finding
    about no employee): per permission, the people a change gives it to and their granters, none of
    whom may approve such a finding of that permission (it stays active, with a note).
    """
    max_days = int(ws.settings.get("waivers", {}).get("max_days", DEFAULT_MAX_DAYS))
    out = WaiverOutcome(findings=list(findings))
    in_force: dict[tuple[str, str | None, str | None], Waiver] = {}
    lapsed: dict[tuple[str, str | None, str | None], Waiver] = {}
    valid: list[Waiver] = []
    position = {id(w): i for i, w in enumerate(ws.waivers)}
    for w in ws.waivers:
        problems = _problems(ws, w, waivable, max_days, employee_free)
        if problems:
            out.invalid.append(Violation(w.loc.path, w.loc.line, w.loc.column,
                                         f"waiver {_what(w)} is invalid and waives nothing: " + "; ".join(problems),
                                         w.employee, w.permission))
            continue
        valid.append(w)
        key = (w.rule, w.employee, w.permission)
        target = lapsed if w.expires < today.isoformat() else in_force
        target.setdefault(key, w)
    used: set[int] = set()
    who: Mapping[str, Collection[str]] | None = None
    for i, f in enumerate(out.findings):
        if f.employee is None and f.rule not in employee_free:
            continue
        key = (f.rule, f.employee, f.permission)
        current = in_force.get(key)
        if current is not None and f.employee is None and involved is not None and who is None:
            who = involved()  # a pass over both sides' grants: only for a change that needs a waiver
        if current is not None and f.employee is None and who and f.permission is not None \
                and current.approved_by in who.get(f.permission, ()):
            # the change's own granter or a new holder approving its reach: as the grantee or the granter
            # approving a per-grant waiver (``_problems``), it approves nothing
            used.add(id(current))
            note = (f"the waiver at {current.loc} approves nothing here: approved_by {current.approved_by} "
                    f"grants or gains {f.permission} in this change")
            out.findings[i] = f._replace(
                message=f"{f.message} ({note})",
                related=(*f.related, Related(current.loc.path, current.loc.line, current.loc.column, note)))
            continue
        if current is not None:
            used.add(id(current))
            out.findings[i] = f._replace(waived=Waived(current.approved_by, current.expires, current.ticket,
                                                       current.reason, *current.loc))
            continue
        old = lapsed.get(key)
        if old is not None:
            used.add(id(old))
            note = f"waiver expired on {old.expires} ({old.loc})"
            out.findings[i] = f._replace(
                message=f"{f.message} ({note})",
                related=(*f.related, Related(old.loc.path, old.loc.line, old.loc.column, note)))
    out.used = {position[i] for i in used}
    valid_at = {position[id(w)] for w in valid}
    if any(i not in valid_at for i in used_elsewhere):
        raise UsedElsewhereInvalid(f"waiver at line {ws.waivers[min(set(used_elsewhere) - valid_at)].loc.line}")
    for w in valid:
        if id(w) in used or position[id(w)] in used_elsewhere:
            continue
        first = in_force.get((w.rule, w.employee, w.permission)) or lapsed.get((w.rule, w.employee, w.permission))
        why = "matches no finding" if first is w else f"repeats the waiver at line {first.loc.line if first else '?'}"
        if w.expires < today.isoformat():
            why = f"expired on {w.expires} and {why}"
        out.unused.append(Violation(w.loc.path, w.loc.line, w.loc.column,
                                    f"waiver {_what(w)} {why}; remove it from the register",
                                    w.employee, w.permission))
    return out
