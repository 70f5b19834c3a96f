"""invalid-review: an access review file (``reviews/``) that cannot be read, parsed or validated."""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    for p in ws.review_problems:
        yield Violation(p.path, p.line, p.column, p.message, p.employee)


RULE = Rule(
    id="invalid-review",
    summary="An access review file does not parse, does not match its schema or sits in the wrong place",
    default_severity="error",
    waivable=False,
    always_reported=True,
    scope="reviews",
    check=check,
    doc=RuleDoc(
        flags="A file under the reviews folder (`reviews/`, `paths.reviews` in `permgate.yaml`) that permgate "
              "cannot use: broken YAML, a value of the wrong type, an unknown key, a decision other than "
              "`pending`, `keep` or `revoke`, a file outside a campaign's folder, or a `campaign` or "
              "`reviewer` that does not match the file's place (`reviews/<campaign>/<reviewer>.yaml`).",
        why="A review decision permgate cannot read is neither a kept grant nor a revoked one: counting it "
            "as either would make the recertification record say something nobody decided.",
        fix="Correct the file at the line shown; `permgate schema review` prints the schema your editor can "
            "validate against. Decisions are `pending`, `keep` or `revoke`.",
        bad=Example(
            files={"reviews/2026-Q2/E000001.yaml": """\
---
campaign: 2026-Q2
due: 2026-06-30
opened_on: 2026-04-01
scope: all
reviewer: E000001
items:
  - employee: E000002
    permission: P001
    decision: maybe
    reason: ""
"""},
            expect=(("reviews/2026-Q2/E000001.yaml", 10),),
        ),
        good=Example(files={}),
    ),
)
