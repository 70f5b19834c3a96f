"""baseline-change: a change adds to the baseline (``--base`` mode only).

The baseline is part of the gate (``ChangeSet.is_gate_file``): a pull request that adds an
entry, or raises an entry's count, would accept its own findings.  Removing entries and
lowering counts is what the baseline is for and is not reported here (``policy-change``
still says the gate file changed).
"""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc
from permgate.rules.baseline_unused import BASELINE
from permgate.rules.waiver_invalid import SELF_GRANT


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    if ctx.change is None or ctx.base is None or ws.baseline is None:
        return
    before = ctx.base.baseline.entries if ctx.base.baseline is not None else {}
    for key, (count, line, column) in ws.baseline.entries.items():
        had = before[key][0] if key in before else 0
        if count <= had:
            continue
        what = f"`{key[0]}` for {key[1]} / {key[2]}" if len(key) == 3 else f"`{key[0]}` at {key[1]}"
        grows = "adds the baseline entry" if had == 0 else \
            f"raises the count ({had} -> {count}) of the baseline entry"
        yield Violation(ws.baseline.path, line, column,
                        f"the change {grows} {what} (not at {ctx.change.base_ref}): a change cannot baseline "
                        f"its own findings; fix them, or ask for a waiver (docs/waivers.md)",
                        key[1] if len(key) == 3 else None, key[2] if len(key) == 3 else None)


RULE = Rule(
    scope="change",
    id="baseline-change",
    summary="A change adds an entry to the baseline (or raises its count): it would accept its own findings",
    default_severity="error",
    waivable=False,  # a waiver would live in policies/, inside the very change it excuses
    check=check,
    doc=RuleDoc(
        flags="In `--base` mode, an entry of the baseline (`policies/baseline.yaml`) that the base revision does "
              "not have, or whose `count` is higher than at the base.",
        why="The baseline accepts the findings that existed when permgate was adopted. A pull request that "
            "regenerates or edits it to cover what the pull request itself introduces switches the gate off for "
            "exactly the grants under review.",
        fix="Fix the findings instead. An exception for one grant is a waiver, approved by someone else "
            "(docs/waivers.md). The baseline may only shrink: `permgate baseline --prune`.",
        bad=Example(files={"assignments/retail-sales/E000002.yaml": SELF_GRANT,
                           "policies/baseline.yaml": BASELINE.format(expires="2026-10-01")},
                    base={}, expect=(("policies/baseline.yaml", 5),)),
        good=Example(files={}, base={"assignments/retail-sales/E000002.yaml": SELF_GRANT,
                                     "policies/baseline.yaml": BASELINE.format(expires="2026-10-01")}),
    ),
)
