"""The one definition of "the same finding" on two sides of a change, and which findings are new.

``check --base`` (``judge``) and the what-if of ``grant``/``grantable`` (``whatif``) both ask
which findings of the changed side the other side does not have; both answer here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from permgate.findings import Finding
from permgate.model import Grant, Workspace


def finding_key(f: Finding, changed: Collection[str]) -> tuple[str, ...]:
    """What makes two findings "the same" across base and change (docs/output-formats.md)."""
    if f.permission is not None:
        # through a role, the role is part of what is held: a role renamed or swapped is a new finding
        return (f.rule, f.employee or "", f.permission) if f.role is None \
            else (f.rule, f.employee or "", f.permission, f.role)
    if f.path in changed:
        return (f.rule, f.path, f.message)
    return (f.rule, f.path)


def grant_content(g: Grant) -> tuple[str, ...]:
    """A grant entry as written, without where it is."""
    return (g.employee, g.permission, g.granted_by, g.granted_on, g.reason, g.expires or "")


def added_grants(ws: Workspace, base: Workspace, changed: Collection[str]) -> list[Grant]:
    """Grants in changed files that the base does not hold word for word (a moved file adds none;
    an edited entry, a renewed expiry for one, is added)."""
    if not any(f.path in changed for f in ws.files):
        return []  # nothing to compare (a change to roles.yaml alone: 500,000 base grants left unread)
    held = Counter(grant_content(g) for g in base.iter_grants())
    out: list[Grant] = []
    for f in ws.files:
        if f.path not in changed:
            continue
        for g in f.grants:
            key = grant_content(g)
            if held[key] > 0:
                held[key] -= 1
            else:
                out.append(g)
    return out


def split_new(head: list[Finding], base: list[Finding], changed: Collection[str],
              prefer_new: Collection[tuple[str, int]] = (),
              fresh: Collection[tuple[str, int]] = ()) -> tuple[list[Finding], list[Finding]]:
    """(new, pre-existing): a head finding is pre-existing while the base has one more of its key.

    Where a key has more findings than the base, the extras are new: those in files the change
    did not touch are matched first, then those not at ``prefer_new`` (the lines a proposal adds).
    A finding about a grant at ``fresh`` (a grant entry the change adds or edits: ``added_grants``)
    is new whatever the base holds: renewing an expired grant that was already flagged, or
    re-granting it, is the change's own doing.
    """
    available = Counter(finding_key(f, changed) for f in base)
    new: list[Finding] = []
    old: list[Finding] = []
    for f in sorted(head, key=lambda f: (f.path in changed, (f.path, f.line) in prefer_new, f.sort_key())):
        k = finding_key(f, changed)
        if f.permission is not None and (f.path, f.line) in fresh:
            new.append(f)
        elif available[k] > 0:
            available[k] -= 1
            old.append(f)
        else:
            new.append(f)
    return sorted(new, key=Finding.sort_key), sorted(old, key=Finding.sort_key)
