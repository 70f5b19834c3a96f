"""One grant, one finding: the findings on a grant that must be removed, reported together.

A grant that a ``forbidden-owner`` rule flags (``PolicyKind.removes_grant``: a distribution
permission held in retail sales) must not exist at all; removing it is the only fix, and that
one removal also answers every other rule that flags the same grant entry: ``granter-authority``
(a sales manager granted a distribution item: the same ownership, seen from the granter),
``stale-after-transfer`` (the transfer that carried it across), ``expiry-required`` (the item is
sensitive), ``self-grant`` and the rest.  Listing each of them again is one cause reported two or
three times per grant.  So the report lists the boundary finding once and names the others as
its *companions* (``Finding.companions``; JSON ``"companions"``, text ``(also: RULE, ...)``).

What grouping may never do is hide a finding, so it runs last, on the findings a report lists,
and changes how they are shown, never which exist:

- only *active* findings group, and only under an active anchor: a waived or baselined finding
  is listed apart as before, and a finding whose anchor is waived (a waivable boundary rule) or
  left out by ``--select``/``--ignore`` stands on its own: a waiver, a baseline entry or a
  selection of one rule never hides another rule's finding;
- a companion is never more severe than its anchor, so the exit code is unchanged
  (``tests/engine/test_grouping.py`` checks both on random findings);
- the keys that compare findings (``--base``: ``change/compare.finding_key``), the waiver
  register, the baseline and ``revoke --rule`` all read the ungrouped findings: ``--base`` groups
  only among the *new* findings, after the split, so a new finding is never folded into a
  pre-existing one;
- every finding of the boundary rules themselves is listed (an anchor is never a companion).

Streamable: findings are sorted by path, line and column first, so the findings of one grant
entry are adjacent; ``group`` holds one location's findings at a time.  A finding out of that
order is simply not grouped (grouping less is always safe).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import compress
from operator import attrgetter

from permgate.findings import SEVERITY_RANK, Finding, RuleInfo
from permgate.rules import POLICY_KINDS


def anchor_rules(rules: Iterable[RuleInfo]) -> frozenset[str]:
    """The rule ids in force whose findings others on the same grant group under."""
    out = set()
    for info in rules:
        kind = POLICY_KINDS.get(info.kind)
        if kind is not None and kind.removes_grant:
            out.add(info.id)
    return frozenset(out)


def _settle(run: list[Finding], anchors: frozenset[str]) -> list[Finding]:
    """The findings of one location (path, line, column), with companions folded into anchors."""
    heads = [i for i, f in enumerate(run) if f.rule in anchors and f.permission is not None and f.active]
    if not heads:
        return run
    taken: dict[int, list[Finding]] = {}
    kept: list[int] = []
    for i, f in enumerate(run):
        if f.rule not in anchors and f.permission is not None and f.active:
            rank = SEVERITY_RANK[f.severity]
            head = next((h for h in heads if run[h].employee == f.employee and run[h].permission == f.permission
                         and SEVERITY_RANK[run[h].severity] >= rank), None)
            if head is not None:
                taken.setdefault(head, []).append(f)
                continue
        kept.append(i)
    return [run[i]._replace(companions=tuple(sorted((*run[i].companions, *taken[i]),
                                                                key=Finding.sort_key)))
            if i in taken else run[i] for i in kept]


def group(findings: Iterable[Finding], rules: Iterable[RuleInfo]) -> Iterator[Finding]:
    """``findings`` (sorted) with the companions of each anchor folded into it (module docstring)."""
    return grouped(findings, anchor_rules(rules))


def grouped(findings: Iterable[Finding], anchors: frozenset[str]) -> Iterator[Finding]:
    """``group`` with the anchor rules worked out (``anchor_rules``): what a streamed chunk runs."""
    if not anchors:
        yield from findings
        return
    run: list[Finding] = []
    where: tuple[str, int, int] | None = None
    for f in findings:
        here = (f.path, f.line, f.column)
        if here != where:
            if len(run) > 1:
                yield from _settle(run, anchors)
            elif run:
                yield run[0]
            run, where = [f], here
        else:
            run.append(f)
    if len(run) > 1:
        yield from _settle(run, anchors)
    elif run:
        yield run[0]


_RULE = attrgetter("rule")
_WHERE = attrgetter("path", "line", "column")


def grouped_list(findings: list[Finding], anchors: frozenset[str]) -> list[Finding]:
    """``list(grouped(findings, anchors))``, the same list, with work only at the locations that hold a
    finding of an anchor rule (picked out by C code): every other location's run of findings is left as
    it is by ``grouped`` (``_settle`` changes a run only under an anchor), and most findings of a large run
    are at such locations (``tests/engine/test_grouping.py::test_grouped_list_is_grouped``)."""
    if not anchors:
        return list(findings)
    out: list[Finding] = []
    done = 0  # findings[:done] are settled
    for i in compress(range(len(findings)), map(anchors.__contains__, map(_RULE, findings))):
        if i < done:
            continue  # in the run of an earlier anchor
        here = _WHERE(findings[i])
        lo, hi = i, i + 1
        while lo > done and _WHERE(findings[lo - 1]) == here:
            lo -= 1
        while hi < len(findings) and _WHERE(findings[hi]) == here:
            hi += 1
        out.extend(findings[done:lo])
        out.extend(_settle(findings[lo:hi], anchors) if hi - lo > 1 else findings[lo:hi])
        done = hi
    out.extend(findings[done:])
    return out


def boundary_first(findings: Iterable[Finding], rules: Iterable[RuleInfo]) -> list[Finding]:
    """``findings`` with those of the boundary rules (the anchors) first, each part in its order:
    what an incident report opens with (``permgate report --html``)."""
    anchors = anchor_rules(rules)
    listed = list(findings)
    return [f for f in listed if f.rule in anchors] + [f for f in listed if f.rule not in anchors]
