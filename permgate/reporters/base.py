"""What every reporter renders: the findings plus the context of the run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from permgate.findings import COMPANION, SEVERITIES, Finding, RuleInfo, state_of

_PLURAL = {"error": "errors", "warning": "warnings", "note": "notes"}


def tally(findings: Iterable[Finding]) -> Counter[tuple[str, str]]:
    """``{(rule, state): count}`` of ``findings`` and their companions (``Report.tally``)."""
    out = Counter(map(state_of, findings))
    for f in findings:
        for c in f.companions:
            out[c.rule, COMPANION + c.severity] += 1
    return out


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    rules: tuple[RuleInfo, ...] = ()
    files: int = 0
    grants: int = 0
    color: bool = False
    extra_summary: dict[str, Any] = field(default_factory=dict)
    #: ``--base`` mode: the findings that already existed at the base (counted, not reported)
    preexisting: tuple[Finding, ...] = ()
    #: ``--base`` mode: the revision as named and the commit it resolved to
    base_ref: str | None = None
    base_commit: str | None = None
    #: the grants repository's folder inside the git repository ("" or "sub/"), for SARIF and
    #: GitHub annotations, whose paths are relative to the repository's top level
    path_prefix: str = ""
    #: a streamed report (``permgate.engine.stream``): the findings are written as they come and not
    #: held here (``findings`` is empty); their counts per (rule, state) are (``tally``)
    counted: Mapping[tuple[str, str], int] | None = None

    def tally(self) -> Mapping[tuple[str, str], int]:
        """``{(rule, state): count}``: the state is the severity of an active finding, else
        ``waived`` or ``baselined``, and ``COMPANION`` + severity for a finding listed as another's
        companion; what every count of the report is made of."""
        if self.counted is not None:
            return self.counted
        return tally(self.findings)

    def counts(self) -> dict[str, int]:
        """Active findings listed by severity (companions not: they are listed within another);
        waived and baselined findings are counted apart."""
        c: Counter[str] = Counter()
        for (_, state), n in self.tally().items():
            c[state] += n
        return {s: c.get(s, 0) for s in SEVERITIES}

    @property
    def companions(self) -> int:
        """Findings listed as companions of another finding on the same grant (``engine/grouping.py``)."""
        return sum(n for (_, state), n in self.tally().items() if state.startswith(COMPANION))

    @property
    def waived(self) -> int:
        return sum(n for (_, state), n in self.tally().items() if state == "waived")

    @property
    def baselined(self) -> int:
        return sum(n for (_, state), n in self.tally().items() if state == "baselined")

    def by_rule(self) -> dict[str, dict[str, int]]:
        """``{rule: {"errors", "warnings", "notes", "waived", "baselined", "companions"}}`` for every rule
        with a finding in the report: its findings wherever listed (companions too) by severity, waived
        and baselined counted apart; ``companions``: how many of its active ones are listed as another
        finding's companions."""
        out: dict[str, dict[str, int]] = {}
        for (rule, state), n in self.tally().items():
            if not n:
                continue
            counts = out.get(rule)
            if counts is None:
                counts = out[rule] = {"errors": 0, "warnings": 0, "notes": 0, "waived": 0, "baselined": 0,
                                      "companions": 0}
            if state.startswith(COMPANION):
                counts["companions"] += n
                state = state[len(COMPANION):]
            counts[_PLURAL.get(state, state)] += n
        return {rule: out[rule] for rule in sorted(out)}

    def statistics(self) -> list[tuple[int, str, str]]:
        """``(count, rule, what)`` per rule and severity (``waived``, ``baselined`` apart), most first;
        companions are counted with their rule, as in ``by_rule``."""
        c: Counter[tuple[str, str]] = Counter()
        for (rule, state), n in self.tally().items():
            c[rule, state.removeprefix(COMPANION)] += n
        return sorted(((n, rule, what) for (rule, what), n in c.items() if n),
                      key=lambda t: (-t[0], t[1], t[2]))

    def summary(self) -> dict[str, Any]:
        """The ``summary`` object of the JSON format (docs/output-formats.md)."""
        counts = self.counts()
        out: dict[str, Any] = {
            "errors": counts["error"],
            "warnings": counts["warning"],
            "notes": counts["note"],
            "files": self.files,
            "grants": self.grants,
            "waived": self.waived,
            "baselined": self.baselined,
            "companions": self.companions,
            "by_rule": self.by_rule(),
        }
        if self.base_ref is not None:
            c = Counter(f.severity for f in self.preexisting if f.waived is None)
            out["base"] = {"ref": self.base_ref, "commit": self.base_commit}
            out["preexisting"] = {"errors": c.get("error", 0), "warnings": c.get("warning", 0),
                                  "notes": c.get("note", 0)}
        out.update(self.extra_summary)
        return out
