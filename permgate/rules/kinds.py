"""The policy kinds: rules whose ids, severities and parameters come from ``policies/*.yaml``.

Kept apart from the registry in ``__init__`` because a built-in rule
(``grant-depends-on-directory-change``) re-runs the policy kinds, and the registry lists that rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from permgate.rules import forbidden_owner, separation_of_duties
from permgate.rules.base import PolicyKind

POLICY_KINDS: Mapping[str, PolicyKind] = {k.name: k for k in (
    forbidden_owner.KIND,
    separation_of_duties.KIND,
)}
