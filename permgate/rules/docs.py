"""Rule documentation as Markdown, rendered from the rule modules themselves.

``docs/rules/<id>.md`` is written from these functions (``python -m permgate.docsgen``),
and ``permgate explain ID`` prints the very same text, so the two cannot disagree.  The
examples shown are the ones the test suite runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from permgate.model import PolicyRule
from permgate.rules import BUILTIN_RULES, POLICY_KINDS, PolicyKind, Rule
from permgate.rules.base import Example, RuleDoc
from permgate.rules.examples import BASE, build

#: the date the examples are checked on, in the test suite and in the pages
EXAMPLES_TODAY = "2026-06-01"


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _files(files: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    for path, text in sorted(files.items()):
        if text == "":
            out += [f"`{path}` is deleted.", ""]
        else:
            fence = "csv" if path.endswith(".csv") else "yaml"
            out += [f"`{path}`:", "", f"```{fence}", text.rstrip("\n"), "```", ""]
    return out


def _policy_files_of_kind(example: Example, kind: str) -> dict[str, str]:
    """Policy files of the example organisation that declare the kind, when the example does not."""
    merged = build(example.files)
    return {p: t for p, t in merged.items()
            if p.startswith("policies/") and p not in example.files and f"kind: {kind}" in t}


def _examples(doc: RuleDoc, rule_id: str, kind: str | None = None) -> list[str]:
    out = ["## Example that fails", ""]
    change = doc.bad.base is not None  # a rule that judges a change: the example is a commit and a change
    if change:
        out += ["A change to the [example organisation](index.md#the-example-organisation), committed as the "
                f"base, checked with `permgate check --base main --today {EXAMPLES_TODAY}`:", ""]
        if doc.bad.base:
            out += ["At the base:", "", *_files(doc.bad.base), "In the change:", ""]
    elif doc.bad.actual is not None:  # compares with the system of record: the example includes its export
        out += ["Laid over the [example organisation](index.md#the-example-organisation), with the system of "
                f"record's export `{doc.bad.actual}`, checked with `permgate reconcile --actual {doc.bad.actual} "
                f"--today {EXAMPLES_TODAY}`:", ""]
    else:
        out += ["Laid over the [example organisation](index.md#the-example-organisation), checked with "
                f"`--today {EXAMPLES_TODAY}`:", ""]
    if kind:
        inherited = _policy_files_of_kind(doc.bad, kind)
        if inherited:
            out += ["The example organisation's own policy declares the rule:", ""]
            out += _files(inherited)
    out += _files(doc.bad.files)
    what = f"a rule of kind `{kind}`" if kind else f"`{rule_id}`"
    command = "permgate reconcile" if doc.bad.actual is not None \
        else f"permgate check{' --base main' if change else ''}"
    out += [f"`{command}` reports {what} at:", ""]
    out += [f"- `{path}:{line}`" for path, line in doc.bad.expect]
    out += ["", "## The fix", "", doc.fix, ""]
    if doc.good.files:
        out += ["For example:", ""]
        out += _files(doc.good.files)
        out += [f"passes: no finding of {what}" + (" (the base is the example organisation)." if change else "."), ""]
    else:
        out += [f"The example organisation as it is passes: no finding of {what}.", ""]
    return out


def _table(rows: Mapping[str, str], head: tuple[str, str]) -> list[str]:
    out = [f"| {head[0]} | {head[1]} |", "|---|---|"]
    out += [f"| `{k}` | {v} |" for k, v in rows.items()]
    return [*out, ""]


def rule_page(rule: Rule) -> str:
    """The page of a built-in rule (``docs/rules/<id>.md``, ``permgate explain <id>``)."""
    out = [f"# `{rule.id}`", "", rule.summary + ".", "",
           "| kind | default severity | waivable |", "|---|---|---|",
           f"| built-in | {rule.default_severity} | {_yes(rule.waivable)} |", "",
           "## What it flags", "", rule.doc.flags, "", "## Why it matters", "", rule.doc.why, ""]
    if rule.settings:
        section = "waivers" if rule.id.startswith("waiver-") else rule.id
        out += ["## Settings", "", f"In any policy file, under `settings: {section}:` "
                "(see [the index](index.md#built-in-rules-and-policy-kinds)):", ""]
        out += _table(rule.settings, ("key", "meaning"))
    out += _examples(rule.doc, rule.id)
    return "\n".join(out).rstrip("\n") + "\n"


def kind_page(kind: PolicyKind) -> str:
    """The page of a policy kind: rules of this kind are declared in policies with their own ids."""
    out = [f"# `{kind.name}` (policy kind)", "", kind.summary + ".", "",
           "A policy kind: rules of this kind are declared in `policies/*.yaml`, each with its own `id`, "
           "`severity`, `summary` and optional `waivable` (default true) and `description`, plus the "
           "parameters below.", "",
           "## What it flags", "", kind.doc.flags, "", "## Why it matters", "", kind.doc.why, "",
           "## Parameters", ""]
    out += _table(kind.params, ("parameter", "meaning"))
    out += _examples(kind.doc, kind.name, kind.name)
    return "\n".join(out).rstrip("\n") + "\n"


def policy_rule_page(policy: PolicyRule) -> str:
    """``permgate explain`` for a rule a policy declares: the policy's own words, then its kind's page."""
    params = json.dumps(dict(policy.params), indent=2, sort_keys=True, ensure_ascii=False)
    out = [f"# `{policy.id}` (declared in {policy.loc})", "", policy.summary, "",
           "| kind | severity | waivable |", "|---|---|---|",
           f"| `{policy.kind}` | {policy.severity} | {_yes(policy.waivable)} |", ""]
    if policy.description:
        out += [policy.description.strip(), ""]
    out += ["Parameters:", "", "```json", params, "```", "", "---", ""]
    return "\n".join(out) + kind_page(POLICY_KINDS[policy.kind])


INTRO = """\
# Rules

Every rule permgate knows, generated from the rule modules by `python -m permgate.docsgen`
(a test fails when these pages are stale). `permgate explain ID` prints the same text;
`permgate rules` lists the rules in force in a repository, with their effective severity.

## Built-in rules and policy kinds

Two kinds of rule, chosen by one question: does the rule only make sense with facts that
differ from one organisation to the next?

- **Built-in rules** are always on and have fixed ids (part of permgate's contract). They
  judge things every grants repository has: a granter's place in the management chain, the
  catalog's `sensitive` and `grants_access` marks, `division_since`, reasons, file locations.
  Their parameters have defaults and may be set once per repository, in a `settings:` section
  of any policy file (`permgate schema policy` lists every key); their severity may be changed
  in `permgate.yaml` (`severity: {rule-id: warning}`), and a waivable one turned off there
  (`rules: {rule-id: off}`; a rule that is not waivable cannot be: `Error:` at that line).
- **Policy kinds** need facts only the organisation can give: which divisions are unbundled
  (`forbidden-owner`), which duties conflict (`separation-of-duties`). A policy declares a rule
  of the kind with its own id, severity, `waivable` flag and parameters, and may declare as many
  as it needs.

`bulk-grant`'s thresholds, `expiry-required`'s maximum, `missing-justification`'s pattern,
`granter-authority`'s delegates, `privilege-management`'s functions and the waivers' maximum
are therefore settings, not kinds: each has exactly one sensible instance per repository.

```yaml
# policies/governance.yaml
settings:
  granter-authority:
    delegates:
      - granter: E000003              # may grant to these people without managing them
        employees: [E000001, E000002]
      - granter: E000019              # ... or to anyone in these divisions
        divisions: [retail-sales]
  bulk-grant: {share: 0.8, min_grants: 10, max_added: 25}
  expiry-required: {max_days: 180}
  missing-justification: {pattern: "\\\\bACC-[0-9]{5}\\\\b"}
  privilege-management: {functions: [access-administration]}
  waivers: {max_days: 180}
```

Findings can be waived for a while by an approver who is neither grantee nor granter, in a
separate register: see [waivers](../waivers.md). There are no inline suppression comments.
"""


def index_page() -> str:
    out = [INTRO, "## Built-in rules", "", "| id | default severity | waivable | summary |", "|---|---|---|---|"]
    out += [f"| [`{r.id}`]({r.id}.md) | {r.default_severity} | {_yes(r.waivable)} | {r.summary} |"
            for r in BUILTIN_RULES]
    out += ["", "## Policy kinds", "", "| kind | summary |", "|---|---|"]
    out += [f"| [`{k.name}`]({k.name}.md) | {k.summary} |" for k in POLICY_KINDS.values()]
    out += ["", "## The example organisation", "",
            "Every example on these pages names only the files it changes; the rest is this small "
            "organisation (`permgate/rules/examples.py`), which passes every rule:", ""]
    out += _files(BASE)
    return "\n".join(out).rstrip("\n") + "\n"


def pages() -> dict[str, str]:
    """File name -> content of every page under ``docs/rules/``."""
    out = {"index.md": index_page()}
    for r in BUILTIN_RULES:
        out[f"{r.id}.md"] = rule_page(r)
    for k in POLICY_KINDS.values():
        out[f"{k.name}.md"] = kind_page(k)
    return out


def explain(rule_id: str, policies: tuple[PolicyRule, ...] = ()) -> str | None:
    """The page for a built-in rule, a policy kind, or a rule declared by ``policies``; None if unknown."""
    for r in BUILTIN_RULES:
        if r.id == rule_id:
            return rule_page(r)
    if rule_id in POLICY_KINDS:
        return kind_page(POLICY_KINDS[rule_id])
    for p in policies:
        if p.id == rule_id:
            return policy_rule_page(p)
    return None


def known_ids(policies: tuple[PolicyRule, ...] = ()) -> list[str]:
    return [r.id for r in BUILTIN_RULES] + list(POLICY_KINDS) + [p.id for p in policies]


__all__ = ["EXAMPLES_TODAY", "explain", "index_page", "kind_page", "pages", "policy_rule_page",
                      "rule_page"]
