"""baseline-unused: an entry of the baseline with findings left to cover (the grant was fixed).

Reported by the engine's baseline step (``permgate.engine.baseline``), after every other rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from permgate.findings import Violation
from permgate.model import Workspace
from permgate.rules.base import Context, Example, Rule, RuleDoc
from permgate.rules.waiver_invalid import SELF_GRANT

#: a baseline as ``permgate baseline`` writes it, accepting E000002's self-grant of P001
BASELINE = """\
# written by `permgate baseline`
created: 2026-05-01
expires: {expires}
findings:
- {{rule: self-grant, employee: E000002, permission: P001}}
"""


def check(ws: Workspace, ctx: Context) -> Iterator[Violation]:
    """Nothing: the baseline is matched against the other rules' findings, in ``permgate.engine.baseline``."""
    return iter(())


RULE = Rule(
    scope="waivers",
    id="baseline-unused",
    summary="A baseline entry covers fewer findings than it accepts (fixed: prune it, the baseline only shrinks)",
    default_severity="note",
    waivable=False,
    check=check,
    doc=RuleDoc(
        flags="An entry of the baseline (`policies/baseline.yaml`, written by `permgate baseline`) that accepts "
              "more findings of its key (rule + employee + permission, or rule + path) than there are: the "
              "grant was fixed, or the entry names a rule that is not waivable (a baseline never covers those).",
        why="An entry outliving its finding is a standing permission to break the rule: the next grant with "
            "the same key would pass unreviewed. Reporting it keeps the baseline shrinking until it is empty.",
        fix="Run `permgate baseline --prune`: it removes the entries that match nothing and lowers counts, "
            "and never adds an entry.",
        bad=Example(files={"policies/baseline.yaml": BASELINE.format(expires="2026-10-01")},
                    expect=(("policies/baseline.yaml", 5),)),
        good=Example(files={"assignments/retail-sales/E000002.yaml": SELF_GRANT,
                            "policies/baseline.yaml": BASELINE.format(expires="2026-10-01")}),
    ),
)
