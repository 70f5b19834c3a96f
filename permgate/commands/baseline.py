"""``permgate baseline``: write the findings of today to the baseline, or prune it.

The baseline (docs/baseline.md) accepts the findings an organisation already has when it
adopts permgate, so that ``check`` fails only on new ones.  It lists each key
(``permgate.change.compare.finding_key``: rule + employee + permission, or rule + path) with
a count, sorted, one entry a line (the layout ``permgate.load.baseline`` reads fastest, and
one line of diff per entry in review).  Only findings a waiver could cover are written:
findings of rules that are not waivable stay active whatever the baseline says.

``--prune`` never adds: it keeps the entries that still match, with their counts lowered to
what is left, and keeps ``created`` and ``expires``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from permgate.change.compare import finding_key
from permgate.commands import Outcome
from permgate.commands.check import CheckSettings, collect
from permgate.edit.atomic import write_atomic
from permgate.engine.baseline import max_days_of, problem
from permgate.engine.evaluation import waivable_rules
from permgate.errors import UsageError
from permgate.findings import Finding
from permgate.load.bulk import Tuning
from permgate.load.yamldoc import resolve_tag
from permgate.model import Baseline

if TYPE_CHECKING:
    from permgate.config import Config
    from permgate.engine.chunked import Streaming
    from permgate.model import Workspace

_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")

HEADER = """\
# The findings accepted when permgate was adopted: `permgate check` reports them apart
# (baselined) and fails only on new ones.  Written by `permgate baseline`; it may only shrink
# (`permgate baseline --prune`): in a pull request an added entry is an error
# (baseline-change).  See docs/baseline.md.
"""


@dataclass(frozen=True)
class BaselineSettings:
    root: str = "."
    #: where to write (default: the configured baseline, ``policies/baseline.yaml``)
    output: str | None = None
    today: dt.date | None = None
    expires: dt.date | None = None
    prune: bool = False
    jobs: int | None = None


def _value(text: str) -> str:
    """``text`` as YAML: plain when YAML reads it back as the same string, else double-quoted."""
    if _PLAIN.fullmatch(text) and resolve_tag(text) is None:
        return text
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def render(created: str, expires: str, counts: Counter[tuple[str, ...]]) -> str:
    """The baseline file for ``counts`` (key -> how many findings it accepts)."""
    lines = [HEADER.rstrip("\n"), f"created: {created}", f"expires: {expires}", "findings:"]
    if not counts:
        lines[-1] = "findings: []"
    for key in sorted(counts):
        count = counts[key]
        if len(key) == 3:
            entry = f"rule: {key[0]}, employee: {_value(key[1])}, permission: {_value(key[2])}"
        else:
            entry = f"rule: {key[0]}, path: {_value(key[1])}"
        lines.append(f"- {{{entry}{f', count: {count}' if count > 1 else ''}}}")
    return "\n".join(lines) + "\n"


def acceptable(findings: tuple[Finding, ...], waivable: dict[str, bool]) -> Counter[tuple[str, ...]]:
    """How many findings of each key a baseline may accept: active findings of waivable rules."""
    # the baseline accepts a permission's finding however it is held (directly or through a role: the
    # engine's baseline step matches rule + employee + permission), so the role is not part of its key
    return Counter(finding_key(f, ())[:3] for f in findings if f.active and waivable.get(f.rule, False))


def _key_line(f: Finding, waivable: Mapping[str, bool]) -> str:
    """The baseline key of ``f`` as one line (tab-separated; JSON when a value holds a tab, a line
    break or starts the line with ``J``), or "" when no baseline may accept it (``acceptable``)."""
    if not (f.active and waivable.get(f.rule, False)):
        return ""
    key = finding_key(f, ())[:3]
    if any("\t" in part or "\n" in part or "\r" in part for part in key):
        return "J" + json.dumps(key) + "\n"
    return "\t".join(key) + "\n"


def _key_stream(frame: Workspace, config: Config) -> Streaming:
    """``check``'s streamed run, rendering each finding as its baseline key (``_key_line``): the keys
    come back in path order from the chunks, and no process holds every finding."""
    from permgate.engine.chunked import Streaming

    waivable = waivable_rules(frame)
    return Streaming(lambda findings: [_key_line(f, waivable) for f in findings])


def _counted(pieces: Iterable[bytes | memoryview]) -> Counter[tuple[str, ...]]:
    """The keys ``_key_stream`` rendered, counted; one string per rule and permission."""
    counts: Counter[tuple[str, ...]] = Counter()
    same: dict[str, str] = {}
    one = same.setdefault
    rest = b""
    for piece in pieces:
        data = rest + bytes(piece)
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        for line in data[:cut].decode("utf-8", "surrogateescape").split("\n")[:-1]:
            if line.startswith("J"):
                counts[tuple(json.loads(line[1:]))] += 1
                continue
            parts = line.split("\t")
            parts[0] = one(parts[0], parts[0])
            if len(parts) == 3:
                parts[2] = one(parts[2], parts[2])
            counts[tuple(parts)] += 1
    assert not rest
    return counts


def _prune(old: Baseline, counts: Counter[tuple[str, ...]]) -> Counter[tuple[str, ...]]:
    out: Counter[tuple[str, ...]] = Counter()
    for key, (count, _line, _column) in old.entries.items():
        left = min(count, counts.get(key, 0))
        if left:
            out[key] = left
    return out


def run_baseline(s: BaselineSettings) -> Outcome:
    """Write (or prune) the baseline; ``UsageError`` when the dates cannot be honoured."""
    today = s.today or dt.date.today()
    found = collect(CheckSettings(root=s.root, jobs=s.jobs), today, Tuning(jobs=s.jobs), baseline=False,
                    streaming=_key_stream)
    config, frame = found.config, found.frame
    rel = config.baseline_path
    target = s.output if s.output is not None else os.path.join(s.root, rel)
    if found.streamed is not None:
        counts = _counted(found.streamed.pieces)
    else:
        counts = acceptable(found.findings, waivable_rules(frame))
    max_days = max_days_of(frame.settings)
    old = found.baseline  # as it was: collect() loaded it (and refused it if unusable), then set it aside
    if s.prune:
        if old is None:
            raise UsageError(f"--prune: there is no baseline at {rel} to prune")
        created, expires = old.created, old.expires
        counts = _prune(old, counts)
        verb = "pruned"
    else:
        created = today.isoformat()
        latest = today + dt.timedelta(days=max_days)
        chosen = s.expires or latest
        if chosen > latest or chosen < today:
            raise UsageError(f"--expires {chosen.isoformat()} must lie between today ({today.isoformat()}) and "
                             f"{latest.isoformat()} (settings: baseline: max_days is {max_days})")
        expires = chosen.isoformat()
        verb = "wrote"
    text = render(created, expires, counts)
    write_atomic(target, text.encode("utf-8"))
    kept = sum(counts.values())
    before = f" (was {sum(e[0] for e in old.entries.values())})" if s.prune and old is not None else ""
    note = ""
    if s.prune and old is not None:
        why = problem(old, today, max_days)
        note = f"; note: the baseline covers nothing: {why}" if why else ""
    shown = rel if s.output is None else s.output
    return Outcome(f"{verb} {shown}: {kept} findings accepted{before} in {len(counts)} entries, "
                   f"until {expires}{note}\n")
