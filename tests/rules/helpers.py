"""Small builders for rule tests: people directories and grants files as YAML text."""

from __future__ import annotations

from collections.abc import Sequence


def people(*rows: tuple[str, str, str | None] | tuple[str, str, str | None, dict[str, str]]) -> str:
    """``people(("E1", "retail-sales", None), ("E2", "retail-sales", "E1", {"function": "sales"}))``."""
    out = ["---", "people:"]
    for row in rows:
        pid, division, manager = row[0], row[1], row[2]
        extra: dict[str, str] = row[3] if len(row) > 3 else {}  # type: ignore[misc]
        out += [f"- id: {pid}", f"  name: Person {pid}", f"  division: {division}",
                f"  manager: {manager or 'null'}"]
        out += [f"  {k}: {v}" for k, v in extra.items()]
    return "\n".join(out) + "\n"


def grants(employee: str, *items: Sequence[str]) -> str:
    """Each item: (permission, granted_by, granted_on[, reason[, expires]]); each entry is 4 or 5 lines,
    the first at line 4."""
    out = ["---", f"employee: {employee}", "grants:"]
    for item in items:
        perm, by, on = item[0], item[1], item[2]
        reason = item[3] if len(item) > 3 else "routine access, ticket ACC-00001"
        out += [f"  - permission: {perm}", f"    granted_by: {by}", f"    granted_on: {on}",
                f"    reason: \"{reason}\""]
        if len(item) > 4:
            out.append(f"    expires: {item[4]}")
    return "\n".join(out) + "\n"


def settings(text: str) -> dict[str, str]:
    return {"policies/settings.yaml": "---\nsettings:\n" + text}
