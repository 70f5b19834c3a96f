"""invalid-file: a grants file that cannot be parsed or does not match its schema."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    for p in ws.problems:
        yield Violation(p.path, p.line, p.column, p.message, p.employee)


RULE = Rule(
    id="invalid-file",
    summary="A grants file does not parse as strict YAML or does not match the grants schema",
    default_severity="error",
    waivable=False,
    always_reported=True,
    check=check,
    doc=RuleDoc(
        flags="A grants file permgate cannot read: broken YAML, duplicate keys, anchors, aliases or tags, "
              "a value of the wrong type (`no` read as a boolean, `0123` as a number), an unknown key, "
              "a date that is not a real date, or an entry missing a required key. The finding points at "
              "the offending line.",
        why="A gate that skips what it cannot read lets a bad grant through. A duplicate `grants:` key, for "
            "example, makes YAML readers disagree about which grants an employee holds. Entries of the file "
            "that are themselves valid are still checked by every other rule.",
        fix="Correct the file at the line shown: quote values YAML would read as something other than text, "
            "remove the duplicate key, and write dates as YYYY-MM-DD. `permgate schema grants` prints the "
            "schema your editor can validate against.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-02-30
    reason: "billing desk onboarding, ticket ACC-00101"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 6),),
        ),
        good=Example(files={}),
    ),
)
