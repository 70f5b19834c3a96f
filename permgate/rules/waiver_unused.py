"""waiver-unused: an entry of the waiver register that matches no finding.

Reported by the engine's waiver step (``permgate.engine.waivers``), after every other rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc
from permgate.rules.waiver_invalid import SELF_GRANT, WAIVERS


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    """Nothing: waivers are judged against the other rules' findings, in ``permgate.engine.waivers``."""
    return iter(())


RULE = Rule(
    scope="waivers",
    id="waiver-unused",
    summary="A waiver matches no finding (the grant was fixed, or the waiver names the wrong thing)",
    default_severity="warning",
    waivable=False,
    check=check,
    doc=RuleDoc(
        flags="An entry of the waiver register that is valid but matches no finding: no finding of its rule "
              "for its employee and permission (a waiver without `permission` matches only findings that name "
              "no permission, such as `bulk-grant` and `misplaced-file`). A second entry for the same finding "
              "is reported too.",
        why="A waiver outliving its finding is a standing permission to break the rule: the next grant that "
            "matches it would pass unreviewed. A waiver that names the wrong rule or permission leaves the "
            "real finding unwaived and hides the mistake.",
        fix="Remove the entry; if it was meant for a finding that is still reported, correct its `rule`, "
            "`employee` or `permission`.",
        bad=Example(
            files={"policies/waivers.yaml": WAIVERS.format(
                rule="self-grant", permission="P003", reason="manager away; reviewed after his return",
                approver="E000001", expires="2026-07-31")},
            expect=(("policies/waivers.yaml", 3),),
        ),
        good=Example(files={
            "assignments/retail-sales/E000002.yaml": SELF_GRANT,
            "policies/waivers.yaml": WAIVERS.format(
                rule="self-grant", permission="P001", reason="manager away; reviewed after his return",
                approver="E000001", expires="2026-07-31"),
        }),
    ),
)
