"""What a change touches, as the rules of ``--base`` mode read it.

``permgate check --base REF`` compares the working tree with the tree at ``REF``.  The
``ChangeSet`` is the plain record of that comparison that the engine hands to every
rule through ``Context.change`` (next to ``Context.base``, the workspace at ``REF``):
the paths git reports as changed, both configurations and both sets of policy rules.
No I/O here; ``permgate.change.basemode`` builds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from permgate.config import CONFIG_NAME, Config
from permgate.model import Change, PolicyRule


def under(path: str, folder: str) -> bool:
    """True when ``path`` lies inside ``folder`` (both relative to the root)."""
    if folder in ("", "."):
        return True
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@dataclass(frozen=True)
class ChangeSet:
    """The difference between the base revision and the working tree."""

    #: the revision as the user named it (``origin/main``) and the commit it resolved to
    base_ref: str
    base_commit: str
    #: every path under the root that differs, relative to the root
    changes: tuple[Change, ...]
    base_config: Config
    head_config: Config
    #: the rules each side declares on its own (the run applies both)
    base_policies: tuple[PolicyRule, ...]
    head_policies: tuple[PolicyRule, ...]
    #: True when the base has no grants repository at all (no catalog and no people file)
    base_empty: bool = False

    def paths(self) -> frozenset[str]:
        """Every changed path, old and new names of renames included."""
        out: set[str] = set()
        for c in self.changes:
            out.update(p for p in (c.old, c.new) if p)
        return frozenset(out)

    def grants_changes(self) -> list[Change]:
        """Changes to grants files, under the assignments folder of either side."""
        folders = (self.base_config.assignments, self.head_config.assignments)
        return [c for c in self.changes
                if any(p and under(p, f) for p in (c.old, c.new) for f in folders)]

    def is_gate_file(self, path: str) -> bool:
        """``permgate.yaml``, a file in either side's policies folder, a waiver register or a baseline."""
        if path == CONFIG_NAME:
            return True
        for config in (self.base_config, self.head_config):
            # a relocated waiver register (issue 4) is part of the gate wherever it lives
            if path in (getattr(config, "waivers_path", None), getattr(config, "baseline_path", None)):
                return True
            folder = config.policies
            if folder in ("", "."):
                if "/" not in path and path not in (config.catalog, config.people):
                    return True
            elif under(path, folder):
                return True
        return False

    def gate_file_changes(self) -> list[Change]:
        """Changes to the files that define the gate: policy files and ``permgate.yaml``."""
        return [c for c in self.changes if any(p and self.is_gate_file(p) for p in (c.old, c.new))]

    def touches(self, path: str) -> bool:
        return path in self.paths()

    def short_commit(self) -> str:
        return self.base_commit[:12]
