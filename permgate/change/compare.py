"""The one definition of "the same finding" on two sides of a change, and which findings are new.

``check --base`` (``judge``) and the what-if of ``grant``/``grantable`` (``whatif``) both ask
which findings of the changed side the other side does not have; both answer here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from permgate.findings import Finding


def finding_key(f: Finding, changed: Collection[str]) -> tuple[str, ...]:
    """What makes two findings "the same" across base and change (docs/output-formats.md)."""
    if f.permission is not None:
        return (f.rule, f.employee or "", f.permission)
    if f.path in changed:
        return (f.rule, f.path, f.message)
    return (f.rule, f.path)


def split_new(head: list[Finding], base: list[Finding], changed: Collection[str],
              prefer_new: Collection[tuple[str, int]] = ()) -> tuple[list[Finding], list[Finding]]:
    """(new, pre-existing): a head finding is pre-existing while the base has one more of its key.

    Where a key has more findings than the base, the extras are new: those in files the change
    did not touch are matched first, then those not at ``prefer_new`` (the lines a proposal adds).
    """
    available = Counter(finding_key(f, changed) for f in base)
    new: list[Finding] = []
    old: list[Finding] = []
    for f in sorted(head, key=lambda f: (f.path in changed, (f.path, f.line) in prefer_new, f.sort_key())):
        k = finding_key(f, changed)
        if available[k] > 0:
            available[k] -= 1
            old.append(f)
        else:
            new.append(f)
    return sorted(new, key=Finding.sort_key), sorted(old, key=Finding.sort_key)
