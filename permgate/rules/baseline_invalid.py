"""baseline-invalid: the baseline has expired, or runs longer than allowed, and covers nothing.

Reported by the engine's baseline step (``permgate.engine.baseline``), after every other rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc
from permgate.rules.baseline_unused import BASELINE
from permgate.rules.waiver_invalid import SELF_GRANT


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    """Nothing: the baseline is judged in ``permgate.engine.baseline``."""
    return iter(())


RULE = Rule(
    scope="waivers",
    id="baseline-invalid",
    summary="The baseline has expired (or runs longer than settings: baseline: max_days) and covers nothing",
    default_severity="error",
    waivable=False,
    always_reported=True,
    check=check,
    doc=RuleDoc(
        flags="A baseline (`policies/baseline.yaml`) whose `expires` date has passed, lies before `created`, or "
              "lies more than `settings: baseline: max_days` (default 180) after `created`. Such a baseline "
              "covers nothing: every finding it listed is active again.",
        why="A baseline is a dated promise to fix what was found at adoption, not a permanent exemption. When "
            "it lapses, the accepted findings must be fixed or accepted again, visibly.",
        fix="Fix the findings, or write a new baseline (`permgate baseline`) and have the policy owners review "
            "it as a change to the gate.",
        bad=Example(files={"assignments/retail-sales/E000002.yaml": SELF_GRANT,
                           "policies/baseline.yaml": BASELINE.format(expires="2026-05-31")},
                    expect=(("policies/baseline.yaml", 3),)),
        good=Example(files={"assignments/retail-sales/E000002.yaml": SELF_GRANT,
                            "policies/baseline.yaml": BASELINE.format(expires="2026-10-01")}),
    ),
)
