"""policy-changed-with-grants: one change edits the gate and grants together (``--base`` mode)."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc
from permgate.rules.policy_change import edited_grants, gate_changes


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    if ctx.change is None:
        return
    grants = edited_grants(ws, ctx)
    if not grants:
        return
    names = sorted({c.new or c.old or "" for c in grants})
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    for v in gate_changes(ws, ctx):
        yield v._replace(message=f"{v.message}; the same change edits {len(names)} grants file(s) ({shown}): "
                                 "change the gate in a pull request of its own, then the grants")


_GRANT = """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "billing desk onboarding, ticket ACC-00101"
  - permission: P003
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "HR cover, ticket ACC-00109"
"""

_POLICY = """\
---
rules:
  - id: distribution-to-retail-sales
    kind: forbidden-owner
    severity: error
    waivable: false
    summary: Distribution-owned permissions must not be granted to retail-sales employees
    owner_divisions: [distribution]
    grantee_divisions: [corporate]
"""

RULE = Rule(
    scope="change",
    id="policy-changed-with-grants",
    summary="One change edits the gate (policies, permgate.yaml, catalog entries) and grants together",
    default_severity="error",
    waivable=False,
    check=check,
    doc=RuleDoc(
        flags="In `--base` mode, a change that edits a policy file, `permgate.yaml` or a catalog entry and "
              "also adds, edits or deletes grants files (a file moved as it is, as when a division folder is "
              "renamed, edits no grant). Reported at each gate change, saying what changed and which grants "
              "files ride along.",
        why="Loosening a rule in the same pull request as the grant it would have blocked is how a gate is "
            "talked past: the reviewer of the grants is not the owner of the policy. Rules of the base still "
            "apply, but the combination itself must not merge.",
        fix="Split the change: first the policy or catalog change, reviewed by its owners, then the grants "
            "in a separate pull request checked against the new base.",
        bad=Example(files={"policies/unbundling.yaml": _POLICY, "assignments/retail-sales/E000002.yaml": _GRANT},
                    base={}, expect=(("policies/unbundling.yaml", 3),)),
        good=Example(files={"assignments/retail-sales/E000002.yaml": _GRANT}, base={}),
    ),
)
