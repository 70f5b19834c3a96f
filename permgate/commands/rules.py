"""``permgate rules`` and ``permgate explain``: what the rules are, from the code and the policies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from permgate.commands import EXIT_CLEAN, Outcome
from permgate.config import Config, load_config
from permgate.errors import UsageError
from permgate.findings import RuleInfo
from permgate.load.source import FsSource
from permgate.load.workspace import load_policy_files
from permgate.model import PolicyRule
from permgate.rules import BUILTIN_RULES, POLICY_KINDS
from permgate.rules.docs import explain, known_ids

VERSION = 1


@dataclass(frozen=True)
class RulesSettings:
    root: str = "."
    format: str = "text"


def _policies(root: str) -> tuple[Config, tuple[PolicyRule, ...]]:
    """The repository's config and policy rules; none when ``root`` has no policies folder."""
    source = FsSource(root)
    config = load_config(source)
    if not source.is_dir(config.policies):
        return config, ()
    return config, load_policy_files(source, config)[0]


def catalogue(config: Config, policies: tuple[PolicyRule, ...]) -> list[RuleInfo]:
    out = [RuleInfo(r.id, r.kind, config.severity.get(r.id, r.default_severity), r.summary, r.waivable)
           for r in BUILTIN_RULES]
    out += [RuleInfo(p.id, p.kind, config.severity.get(p.id, p.severity), p.summary, p.waivable,
                     p.loc.path, p.loc.line) for p in policies]
    return out


def _json(rules: list[RuleInfo]) -> str:
    doc: dict[str, Any] = {
        "version": VERSION,
        "rules": [{"id": r.id, "kind": r.kind, "severity": r.severity, "summary": r.summary,
                   "waivable": r.waivable, "path": r.path, "line": r.line} for r in rules],
        "kinds": [{"name": k.name, "summary": k.summary, "params": dict(k.params)} for k in POLICY_KINDS.values()],
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _text(rules: list[RuleInfo]) -> str:
    rows = [("ID", "KIND", "SEVERITY", "WAIVABLE", "SUMMARY")]
    for r in rules:
        where = f" ({r.path}:{r.line})" if r.path else ""
        rows.append((r.id, r.kind, r.severity, "yes" if r.waivable else "no", r.summary + where))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
             for row in rows]
    lines += ["", "policy kinds (declare rules of these in policies/*.yaml): "
              + ", ".join(POLICY_KINDS), "permgate explain ID shows what a rule flags, why, and how to fix it."]
    return "\n".join(lines) + "\n"


def run_rules(settings: RulesSettings) -> Outcome:
    config, policies = _policies(settings.root)
    rules = catalogue(config, policies)
    return Outcome(_json(rules) if settings.format == "json" else _text(rules), EXIT_CLEAN)


def run_explain(rule_id: str, root: str = ".") -> Outcome:
    builtin = explain(rule_id)
    if builtin is not None:
        return Outcome(builtin, EXIT_CLEAN)
    _, policies = _policies(root)
    page = explain(rule_id, policies)
    if page is None:
        raise UsageError(f"no rule or policy kind `{rule_id}`; known: {', '.join(known_ids(policies))}")
    return Outcome(page, EXIT_CLEAN)
