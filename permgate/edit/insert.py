"""Add grant entries to an existing grants file, changing no other byte.

Each new entry goes before the first existing entry whose permission id sorts after it
(and before that entry's comments), or after the last entry: in a sorted file that is
its canonical position.  New entries copy the indentation of the file's entries and
its line endings; if every pair of neighbouring entries is separated by a blank line,
so are the new ones.  The result is parsed again and must hold exactly the old grants
plus the new ones, or nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise

from permgate.edit.fmt import verify
from permgate.edit.layout import analyse
from permgate.edit.render import ITEM_INDENT, KEY_OFFSET, entry_order, grant_lines, with_comment
from permgate.load.yamldoc import parse


def insert_grants(text: str, path: str, new: list[Mapping[str, str]]) -> tuple[str, list[int]]:
    """``text`` with the ``new`` grants added, and the 1-based ``- permission:`` line of each
    (in permission-id order).

    ``text`` is decoded with any byte-order mark removed; the returned text uses the
    file's own line endings.  ``EditError`` when the file cannot be edited safely.
    """
    layout = analyse(text, path)
    lines = list(layout.lines)
    items = layout.items
    indent, offset = ITEM_INDENT, KEY_OFFSET
    if items:
        indent, offset = items[0].dash_column, items[0].key_column - items[0].dash_column
    gaps = [range(a.last_line + 1, b.block_start) for a, b in pairwise(items)]
    blank_between = bool(gaps) and all(any(not lines[n].strip() for n in gap) for gap in gaps)

    ordered = sorted(new, key=entry_order)
    # (line index to insert at, before-item index or len(items)) for each new grant
    inserts: dict[int, list[Mapping[str, str]]] = {}
    for g in ordered:
        target = next((i.index for i in items if entry_order(i.data) > entry_order(g)), len(items))
        inserts.setdefault(target, []).append(g)

    expected = [dict(i.data) for i in items]
    for target in sorted(inserts, reverse=True):
        expected[target:target] = [dict(g) for g in inserts[target]]
        block: list[str] = []
        for g in inserts[target]:
            entry = grant_lines(g, indent, offset)
            if not blank_between:
                block += entry
            elif target < len(items):
                block += [*entry, ""]
            else:
                block += ["", *entry]
        if target < len(items):
            at = items[target].block_start
        elif items:
            at = max(i.last_line for i in items) + 1
        else:
            at = layout.top["grants"].line + 1
        lines[at:at] = block

    if layout.grants_flow_empty:
        g_line = layout.top["grants"].line
        lines[g_line] = with_comment("grants:", layout.top["grants"].comment)

    out = layout.newline.join(lines) + (layout.newline if layout.final_newline or not lines else "")
    verify(out, path, {"employee": layout.employee, "grants": expected}, "adding the grants")
    doc = parse(out, path)
    positions: list[int] = []
    for target in sorted(inserts):
        for _ in inserts[target]:
            positions.append(doc.position(("grants", target + len(positions)))[0])
    return out, positions
