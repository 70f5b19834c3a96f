"""The help text of a rule, taken from its docs, for formats that explain rules (SARIF, Markdown).

Built-in rules carry their own ``RuleDoc``; a policy rule is explained by its summary
plus the documentation of its kind.
"""

from __future__ import annotations

from permgate.findings import RuleInfo
from permgate.rules import BUILTIN_BY_ID, POLICY_KINDS
from permgate.rules.base import RuleDoc


def rule_doc(info: RuleInfo) -> RuleDoc | None:
    if info.id in BUILTIN_BY_ID:
        return BUILTIN_BY_ID[info.id].doc
    kind = POLICY_KINDS.get(info.kind)
    return kind.doc if kind is not None else None


def origin(info: RuleInfo) -> str:
    if info.path is not None:
        return f"policy rule of kind `{info.kind}`, declared at {info.path}:{info.line}"
    return "built-in rule"


def help_text(info: RuleInfo) -> str:
    doc = rule_doc(info)
    parts = [f"{info.summary} ({origin(info)})."]
    if doc is not None:
        parts += [f"What it flags: {doc.flags}", f"Why it matters: {doc.why}", f"Fix: {doc.fix}"]
    return "\n\n".join(parts)


def help_markdown(info: RuleInfo) -> str:
    doc = rule_doc(info)
    parts = [f"**{info.summary}** ({origin(info)})."]
    if doc is not None:
        parts += [f"**What it flags.** {doc.flags}", f"**Why it matters.** {doc.why}", f"**Fix.** {doc.fix}"]
    return "\n\n".join(parts)
