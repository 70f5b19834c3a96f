"""``permgate revoke PERMISSION``: remove grant entries everywhere at once, nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from permgate.commands import EXIT_CLEAN, EXIT_FINDINGS, Outcome
from permgate.commands.who_can import resolve_permission, unread_warnings
from permgate.config import load_config
from permgate.edit.atomic import check_writable, write_inside
from permgate.edit.revoke import Removal, remove_entries
from permgate.errors import UsageError
from permgate.load import files
from permgate.load.workspace import load_workspace
from permgate.model import Grant


@dataclass(frozen=True)
class RevokeSettings:
    permission: str
    root: str = "."
    division: str | None = None
    employee: str | None = None
    dry_run: bool = False


def run_revoke(settings: RevokeSettings) -> Outcome:
    root = settings.root
    config = load_config(root)
    ws = load_workspace(root, config)
    permission = resolve_permission(ws, settings.permission)
    holders = [g for g in ws.iter_grants() if g.permission == permission]
    if permission not in ws.catalog and not holders:
        raise UsageError(f"permission `{permission}` is not in {ws.catalog_path} and nobody holds it")
    chosen: dict[str, list[Grant]] = {}
    for g in holders:
        person = ws.people.get(g.employee)
        if settings.division is not None and (person is None or person.division != settings.division):
            continue
        if settings.employee is not None and g.employee != settings.employee:
            continue
        chosen.setdefault(g.path, []).append(g)

    # plan every file before writing any: one file that cannot be edited safely stops all
    planned: list[tuple[str, bytes, list[Removal]]] = []
    by_path = {f.path: f for f in ws.files}
    for rel in sorted(chosen):
        check_writable(root, rel)  # no write through a symlink: refused before any file is written
        content = files.read_bytes(root, rel, config.max_file_bytes)
        new, removals = remove_entries(content, rel, chosen[rel], by_path[rel].grants, config.max_file_bytes)
        planned.append((rel, new, removals))
    if not settings.dry_run:
        for rel, new, _ in planned:
            write_inside(root, rel, new)

    verb = "would remove" if settings.dry_run else "removed"
    out: list[str] = []
    count = 0
    for rel, _, removals in planned:
        for r in removals:
            count += 1
            person = ws.people.get(r.grant.employee)
            who = f"{person.label} ({person.division})" if person else r.grant.employee
            lines = f"{r.first_line}" if r.first_line == r.last_line else f"{r.first_line}-{r.last_line}"
            out.append(f"{rel}:{lines}: {verb} {r.grant.permission} from {who}, granted by {r.grant.granted_by} "
                       f"on {r.grant.granted_on}")
            out.extend(f"    -{line}" for line in r.text.rstrip("\n").split("\n"))
    scope = "".join([f" in {settings.division}" if settings.division else "",
                     f" held by {settings.employee}" if settings.employee else ""])
    if count:
        out.append(f"{verb} {count} grant{'' if count == 1 else 's'} of {permission}{scope} "
                   f"from {len(planned)} file{'' if len(planned) == 1 else 's'}")
    else:
        out.append(f"no grant of {permission}{scope} to remove")
    stderr = unread_warnings(ws, "grants")
    code = EXIT_CLEAN if count and not ws.problems else EXIT_FINDINGS
    return Outcome("\n".join(out) + "\n", code, stderr)
