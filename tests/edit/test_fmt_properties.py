"""fmt on generated grants files of random layout: meaning kept, idempotent, fast proof agrees."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from permgate.edit.fmt import format_text
from permgate.edit.render import _PRINTABLE, double_quoted
from permgate.load.yamldoc import parse

IDS = st.from_regex(r"\A[A-Z][0-9]{3}\Z")
DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)).map(dt.date.isoformat)
REASONS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
GRANT = st.fixed_dictionaries(
    {"permission": IDS, "granted_by": IDS, "granted_on": DATES},
    optional={"reason": REASONS, "expires": DATES},
)
KEYS = ("permission", "granted_by", "granted_on", "reason", "expires")


def _value(key: str, value: str, quote: int) -> str:
    single_ok = all(_PRINTABLE.match(ch) for ch in value) and value.strip(" \t") == value
    if quote == 2 or (key == "reason" and not (quote == 1 and single_ok)):
        return double_quoted(value)
    if quote == 1:
        return "'" + value.replace("'", "''") + "'"
    return value


@st.composite
def messy_files(draw: Any) -> tuple[str, dict[str, Any]]:
    employee = draw(IDS)
    grants = draw(st.lists(GRANT, max_size=6))
    indent = draw(st.sampled_from([0, 2, 4]))
    offset = draw(st.sampled_from([2, 4]))
    lines = []
    if draw(st.booleans()):
        lines.append("---")
    if draw(st.booleans()):
        lines.append("# header comment  ")
    lines.append(f"employee: {employee}" + ("  # who" if draw(st.booleans()) else ""))
    if not grants:
        lines.append("grants: []")
    else:
        lines.append("grants:")
    for g in grants:
        if draw(st.booleans()):
            lines.append(" " * indent + "# about " + g["permission"])
        keys = draw(st.permutations([k for k in KEYS if k in g]))
        for n, key in enumerate(keys):
            lead = " " * indent + "-" + " " * (offset - 1) if n == 0 else " " * (indent + offset)
            lines.append(f"{lead}{key}: {_value(key, g[key], draw(st.integers(0, 2)))}")
            if draw(st.integers(0, 9)) == 0:
                lines.append("")
    if draw(st.booleans()):
        lines.append("# trailing")
    return "\n".join(lines) + "\n", {"employee": employee, "grants": grants}


@settings(max_examples=150, deadline=None)
@given(messy_files())
def test_fmt_keeps_meaning_and_is_idempotent(case: tuple[str, dict[str, Any]]) -> None:
    text, data = case
    assert parse(text, "a.yaml").data == data  # the generator writes what it means
    out = format_text(text, "a.yaml")
    assert parse(out, "a.yaml").data == {"employee": data["employee"],
                                         "grants": sorted(data["grants"], key=lambda g: g["permission"])}
    assert format_text(out, "a.yaml") == out
    assert format_text(out, "a.yaml", fast=False) == out
    assert format_text(text, "a.yaml", fast=False) == out


@settings(max_examples=60, deadline=None)
@given(messy_files(), st.lists(GRANT, min_size=1, max_size=3))
def test_insert_adds_exactly_the_new_grants_and_keeps_every_line(case: tuple[str, dict[str, Any]],
                                                                 new: list[dict[str, str]]) -> None:
    from permgate.edit.insert import insert_grants
    text, data = case
    out, lines = insert_grants(text, "a.yaml", new)
    after = parse(out, "a.yaml").data
    assert after["employee"] == data["employee"]
    def key(g: dict[str, str]) -> str:
        return json.dumps(g, sort_keys=True)

    assert sorted(map(key, after["grants"])) == sorted(map(key, data["grants"] + new))
    # the old lines are all still there, in order: only lines were added (and `grants: []` opened)
    old_lines, new_lines = text.replace("grants: []", "grants:").splitlines(), iter(out.splitlines())
    assert all(any(line == candidate for candidate in new_lines) for line in old_lines)
    starts = [n for n, line in enumerate(out.splitlines(), 1) if re.match(r"\s*-\s+permission: ", line)]
    assert set(lines) <= set(starts)
