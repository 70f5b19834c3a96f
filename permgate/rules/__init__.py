"""The rule registry: every built-in rule and every policy kind, listed explicitly.

Adding a rule: write ``permgate/rules/<name>.py`` defining ``RULE`` (or ``KIND``), list
it below (a policy kind in ``kinds.py``), add its tests under ``tests/rules/`` and regenerate ``docs/rules/``.  A
meta-test checks that every module here is listed and every id is unique.
"""

from __future__ import annotations

from collections.abc import Mapping

from permgate.rules import (
    baseline_change,
    baseline_invalid,
    baseline_unused,
    bulk_grant,
    duplicate_grant,
    expired_but_active,
    expired_grant,
    expiry_required,
    grant_depends_on_directory_change,
    grant_depends_on_gate_change,
    granter_authority,
    invalid_export,
    invalid_file,
    invalid_review,
    invalid_role,
    mass_change,
    misplaced_file,
    missing_justification,
    not_recertified,
    policy_change,
    policy_changed_with_grants,
    privilege_management,
    retired_permission,
    review_bulk_keep,
    review_change,
    review_overdue,
    role_change,
    role_conflicting_duties,
    role_crosses_boundary,
    role_grants_everything,
    self_grant,
    self_review,
    stale_after_transfer,
    undeclared_access,
    unknown_employee,
    unknown_granter,
    unknown_permission,
    unknown_role,
    unprovisioned_grant,
    unused_grant,
    waiver_invalid,
    waiver_unused,
)
from permgate.rules.base import Context, PolicyKind, Rule
from permgate.rules.kinds import POLICY_KINDS

BUILTIN_RULES: tuple[Rule, ...] = (
    invalid_file.RULE,
    unknown_employee.RULE,
    unknown_permission.RULE,
    unknown_role.RULE,
    unknown_granter.RULE,
    self_grant.RULE,
    duplicate_grant.RULE,
    retired_permission.RULE,
    granter_authority.RULE,
    bulk_grant.RULE,
    expiry_required.RULE,
    expired_grant.RULE,
    missing_justification.RULE,
    stale_after_transfer.RULE,
    privilege_management.RULE,
    misplaced_file.RULE,
    waiver_invalid.RULE,
    waiver_unused.RULE,
    baseline_invalid.RULE,
    baseline_unused.RULE,
    policy_change.RULE,
    policy_changed_with_grants.RULE,
    grant_depends_on_directory_change.RULE,
    grant_depends_on_gate_change.RULE,
    baseline_change.RULE,
    # roles, judged where they are defined (roles.yaml, docs/roles.md)
    invalid_role.RULE,
    role_crosses_boundary.RULE,
    role_conflicting_duties.RULE,
    role_grants_everything.RULE,
    role_change.RULE,
    mass_change.RULE,
    # permgate reconcile: the system of record compared with git (silent without ``--actual``)
    invalid_export.RULE,
    undeclared_access.RULE,
    expired_but_active.RULE,
    unprovisioned_grant.RULE,
    unused_grant.RULE,
    # access reviews (permgate review, docs/reviews.md)
    invalid_review.RULE,
    review_overdue.RULE,
    self_review.RULE,
    review_bulk_keep.RULE,
    review_change.RULE,
    not_recertified.RULE,
)


BUILTIN_BY_ID: Mapping[str, Rule] = {r.id: r for r in BUILTIN_RULES}

__all__ = ["BUILTIN_BY_ID", "BUILTIN_RULES", "POLICY_KINDS", "Context", "PolicyKind", "Rule"]
