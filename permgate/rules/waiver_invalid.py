"""waiver-invalid: an entry of the waiver register that cannot be honoured.

Reported by the engine's waiver step (``permgate.engine.waivers``), after every other rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    """Nothing: waivers are judged against the other rules' findings, in ``permgate.engine.waivers``."""
    return iter(())


WAIVERS = """\
---
waivers:
  - rule: {rule}
    employee: E000002
    permission: {permission}
    reason: "{reason}"
    ticket: ACC-00150
    approved_by: {approver}
    approved_on: 2026-05-01
    expires: {expires}
"""
SELF_GRANT = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000002
    granted_on: 2026-04-27
    reason: "billing desk cover while the manager is away, ticket ACC-00149"
"""

RULE = Rule(
    scope="waivers",
    id="waiver-invalid",
    summary="A waiver cannot be honoured (rule not waivable, approver is grantee or granter, expiry too far)",
    default_severity="error",
    waivable=False,
    always_reported=True,
    check=check,
    settings={"max_days": "(in the `waivers` section) longest a waiver may run after its `approved_on` "
                          "(default 180)"},
    doc=RuleDoc(
        flags="An entry of the waiver register (`policies/waivers.yaml`) that waives nothing because: its "
              "rule does not exist or is not waivable (`waivable: false` in the policy, or a built-in such as "
              "`invalid-file`); its `approved_by` is the grantee, one of the granters of what it waives, or "
              "not in the people directory; or its `expires` is before `approved_on` or more than "
              "`settings: waivers: max_days` (default 180) days after it. The finding is at the waiver's line, "
              "and the finding it meant to waive stays active.",
        why="A waiver is an accountable exception: someone other than the people who benefit approves it, "
            "for a limited time. A boundary the law draws (legal unbundling) is not an exception anyone "
            "can approve, and a waiver approved by the person who made the grant is no review at all.",
        fix="Have someone who neither holds nor granted the access approve it, keep `expires` within the "
            "maximum, or remove the entry and fix the grant instead. For a rule marked `waivable: false` the "
            "only fix is the grant.",
        bad=Example(
            files={
                "assignments/retail-sales/E000002.yaml": SELF_GRANT,
                "policies/waivers.yaml": WAIVERS.format(
                    rule="self-grant", permission="P001", reason="manager away, approved by the grantee",
                    approver="E000002", expires="2026-07-31"),
            },
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
