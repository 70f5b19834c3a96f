"""missing-justification: a grant without a reason that references a ticket."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from itertools import compress
from operator import not_
from typing import Any

from permgate.findings import Violation
from permgate.model import REASON_OF, Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc, grant_violation, settings_of, what, who

#: a ticket reference such as ACC-01234 or JIRA-7
DEFAULT_PATTERN = r"\b[A-Z][A-Z0-9]+-[0-9]+\b"
#: the same language, about twice as fast to search: starting with a character class lets
#: ``re`` skip to the capitals, and the look-behind (the capital and the character before
#: it) is the leading ``\b``.  Used only when the pattern is the default one.
FAST_DEFAULT_PATTERN = r"[A-Z](?<!\w.)[A-Z0-9]+-[0-9]+\b"


def validate_settings(ws: Workspace, section: Mapping[str, Any]) -> str | None:
    try:
        re.compile(section.get("pattern", DEFAULT_PATTERN))
    except re.error as err:
        return f"missing-justification: pattern is not a valid regular expression: {err}"
    return None


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    text = settings_of(ws, "missing-justification").get("pattern", DEFAULT_PATTERN)
    search = re.compile(FAST_DEFAULT_PATTERN if text == DEFAULT_PATTERN else text).search
    grants = list(ws.iter_grants())
    # each distinct reason searched once (a role entry's reason is every effective grant's, and
    # reasons repeat across people), then the grants whose reason has no match picked out without
    # a Python step per grant: ``not_`` of a match is False, of None True
    reasons = list(set(map(REASON_OF, grants)))
    bad = set(compress(reasons, map(not_, map(search, map(str.strip, reasons)))))
    failing = compress(grants, map(bad.__contains__, map(REASON_OF, grants))) if bad else iter(())
    # the problem with each failing reason seen so far: failing reasons ("needed") repeat,
    # and only they are kept, so the memo grows with the findings, not with the grants
    problems: dict[str, str] = {}
    whats: dict[str, str] = {}
    whom_id: str | None = None
    whom = ""
    for g in failing:
        raw = g.reason
        problem = problems.get(raw)
        if problem is None:
            reason = raw.strip()
            problem = problems[raw] = "has no `reason`" if not reason else \
                f"has a reason that names no ticket (`{text}`): \"{reason}\""
        if g.employee != whom_id:
            whom_id, whom = g.employee, who(ws, g.employee)
        label = whats.get(g.permission)
        if label is None:
            label = whats[g.permission] = what(ws, g.permission)
        yield grant_violation(g, f"the grant of {label} to {whom} "
                                 f"by {g.granted_by} on {g.granted_on} {problem}")


RULE = Rule(
    id="missing-justification",
    summary="A grant has no reason, or its reason references no ticket",
    default_severity="error",
    check=check,
    validate_settings=validate_settings,
    settings={"pattern": f"regular expression a reason must contain (default `{DEFAULT_PATTERN}`)"},
    doc=RuleDoc(
        flags="A grant without `reason:`, or whose reason does not contain a match of `pattern` (by default "
              "a ticket reference such as `ACC-01234`).",
        why="An auditor asks why each person holds each permission. A ticket links the grant to the request "
            "and its approval; a reason like \"needed\" answers nothing, and \"every item I am able to grant\" "
            "is not a reason at all.",
        fix="Write why the access is needed and the ticket that approved it: "
            "`reason: \"billing desk onboarding, ticket ACC-00101\"`.",
        bad=Example(
            files={"assignments/retail-sales/E000002.yaml": """\
---
employee: E000002
grants:
  - permission: P001
    granted_by: E000001
    granted_on: 2026-01-05
    reason: "needed"
"""},
            expect=(("assignments/retail-sales/E000002.yaml", 4),),
        ),
        good=Example(files={}),
    ),
)
