"""``permgate fmt``: rewrite grants files (``permgate.edit.fmt``) and ``roles.yaml``
(``permgate.edit.roles_fmt``) into their canonical layouts.

Without paths: every grants file under the configured assignments folder of ``root``, and the
roles file (``paths: roles``) when there is one. A path given that is the roles file is
formatted as one.
A file that cannot be formatted safely is reported at its line and left alone
(exit 2); with ``check`` nothing is written and files that would change are listed
(exit 1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from permgate.commands import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Outcome
from permgate.config import load_config
from permgate.edit.atomic import write_inside
from permgate.edit.fmt import format_text
from permgate.edit.roles_fmt import format_roles_text
from permgate.errors import EditError, LoadError
from permgate.load import files
from permgate.load.yamldoc import decode
from permgate.reporters.text import one_line


@dataclass(frozen=True)
class FmtSettings:
    root: str = "."
    paths: tuple[str, ...] = ()
    check: bool = False


def _targets(s: FmtSettings, max_bytes: int, assignments: str) -> tuple[list[tuple[str, str]],
                                                                        list[tuple[str, str]]]:
    """(path on disk, path shown) of every file to format, sorted; and (path shown, why) of
    every entry the walk refused (a symlink out of the root, a folder that cannot be listed):
    those are reported, never skipped in silence."""
    if not s.paths:
        rels, refused = files.walk_yaml(s.root, assignments)
        return [(os.path.join(s.root, rel), rel) for rel in rels], refused
    out: list[tuple[str, str]] = []
    refused = []
    for p in s.paths:
        if os.path.isdir(p) and not os.path.islink(p):
            rels, walk_refused = files.walk_yaml(p, ".")
            out += [(os.path.join(p, rel), os.path.normpath(os.path.join(p, rel)).replace(os.sep, "/"))
                    for rel in rels]
            refused += [(os.path.normpath(os.path.join(p, rel)).replace(os.sep, "/"), why)
                        for rel, why in walk_refused]
        else:
            out.append((p, p.replace(os.sep, "/")))
    return sorted(set(out), key=lambda t: t[1]), sorted(set(refused))


def _read(full: str, shown: str, max_bytes: int) -> bytes:
    if os.path.islink(full):
        raise EditError(shown, 1, 1, "is a symlink; format the file it points to")
    folder, name = os.path.split(full)
    try:
        return files.read_bytes(folder or ".", name, max_bytes)
    except LoadError as err:
        raise EditError(shown, err.line, err.column, err.detail) from None


def _under_root(root: str, full: str, shown: str) -> str:
    """``full`` as a path relative to ``root``; an ``EditError`` if it lies outside (fmt writes
    only inside the repository root, as ``grant`` and ``revoke`` do)."""
    rel = os.path.relpath(os.path.abspath(full), os.path.abspath(root))
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        raise EditError(shown, 1, 1, "is outside the repository root (--root); permgate writes only inside it")
    return rel


def _is_roles_file(root: str, roles: str, full: str) -> bool:
    return os.path.normcase(os.path.abspath(full)) == os.path.normcase(os.path.abspath(os.path.join(root, roles)))


def run_fmt(s: FmtSettings) -> Outcome:
    config = load_config(s.root)
    changed: list[str] = []
    refused: list[str] = []
    same = 0
    out: list[str] = []
    targets, walk_refused = _targets(s, config.max_file_bytes, config.assignments)
    roles_full = os.path.join(s.root, config.roles)
    if not s.paths and os.path.lexists(roles_full):
        targets.append((roles_full, config.roles))
    for shown, why in walk_refused:
        if why == files.NOT_GRANTS_FILE:
            continue  # not YAML: nothing for fmt to do (``check`` reports it)
        refused.append(shown)
        out.append(f"{one_line(shown)}:1:1: cannot format: {one_line(why)}")
    for full, shown in targets:
        try:
            data = _read(full, shown, config.max_file_bytes)
            layout = format_roles_text if _is_roles_file(s.root, config.roles, full) else format_text
            formatted = layout(decode(data, shown), shown).encode("utf-8")
        except (EditError, LoadError) as err:
            refused.append(shown)
            out.append(f"{one_line(err.path)}:{err.line}:{err.column}: cannot format: {one_line(err.detail)}")
            continue
        if formatted == data:
            same += 1
            continue
        if s.check:
            out.append(f"would reformat {one_line(shown)}")
        else:
            try:
                write_inside(s.root, _under_root(s.root, full, shown), formatted)
            except EditError as err:
                refused.append(shown)
                out.append(f"{one_line(err.path)}:{err.line}:{err.column}: cannot format: {one_line(err.detail)}")
                continue
            out.append(f"reformatted {one_line(shown)}")
        changed.append(shown)
    verb = "would be reformatted" if s.check else "reformatted"
    out.append(f"{len(changed)} file{'s' if len(changed) != 1 else ''} {verb}, {same} already canonical"
               + (f", {len(refused)} cannot be formatted" if refused else ""))
    code = EXIT_ERROR if refused else EXIT_FINDINGS if (s.check and changed) else EXIT_CLEAN
    return Outcome("\n".join(out) + "\n", code)
