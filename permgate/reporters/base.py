"""What every reporter renders: the findings plus the context of the run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from permgate.findings import SEVERITIES, Finding, RuleInfo

_PLURAL = {"error": "errors", "warning": "warnings", "note": "notes"}


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

    def counts(self) -> dict[str, int]:
        """Active findings by severity; waived and baselined findings are counted apart."""
        c = Counter(f.severity for f in self.findings if f.active)
        return {s: c.get(s, 0) for s in SEVERITIES}

    @property
    def waived(self) -> int:
        return sum(1 for f in self.findings if f.waived is not None)

    @property
    def baselined(self) -> int:
        return sum(1 for f in self.findings if f.baselined is not None)

    @property
    def companions(self) -> int:
        """Findings listed as companions of another finding on the same grant (``engine/grouping.py``)."""
        return sum(len(f.companions) for f in self.findings)

    def every_finding(self) -> Iterator[Finding]:
        """Each finding of the report, companions included, in order."""
        for f in self.findings:
            if f.companions:
                yield from f.with_companions()
            else:
                yield f

    def by_rule(self) -> dict[str, dict[str, int]]:
        """``{rule: {"errors", "warnings", "notes", "waived", "baselined", "companions"}}`` for every rule
        with a finding in the report: its findings wherever listed (companions too) by severity, waived
        and baselined counted apart; ``companions``: how many of its active ones are listed as another
        finding's companions."""
        out: dict[str, dict[str, int]] = {}
        for f in self.every_finding():
            counts = out.get(f.rule)
            if counts is None:
                counts = out[f.rule] = {"errors": 0, "warnings": 0, "notes": 0, "waived": 0, "baselined": 0,
                                        "companions": 0}
            if f.waived is not None:
                counts["waived"] += 1
            elif f.baselined is not None:
                counts["baselined"] += 1
            else:
                counts[_PLURAL[f.severity]] += 1
            for c in f.companions:
                out.setdefault(c.rule, {"errors": 0, "warnings": 0, "notes": 0, "waived": 0, "baselined": 0,
                                        "companions": 0})["companions"] += 1
        return {rule: out[rule] for rule in sorted(out)}

    def statistics(self) -> list[tuple[int, str, str]]:
        """``(count, rule, what)`` per rule and severity (``waived``, ``baselined`` apart), most first;
        companions are counted with their rule, as in ``by_rule``."""
        c = Counter((f.rule, f.severity if f.active else ("waived" if f.waived is not None else "baselined"))
                    for f in self.every_finding())
        return sorted(((n, rule, what) for (rule, what), n in c.items()), key=lambda t: (-t[0], t[1], t[2]))

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
