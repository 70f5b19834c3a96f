"""``permgate revoke``."""

from __future__ import annotations

import click

from permgate.cli.common import finish, handle_errors, root_option
from permgate.commands.revoke import RevokeSettings, run_revoke


@click.command()
@click.argument("permission")
@root_option
@click.option("--division", default=None, help="Only from people in this division (people.yaml).")
@click.option("--employee", default=None, help="Only from this employee.")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; change nothing.")
@handle_errors
def revoke(permission: str, root: str, division: str | None, employee: str | None, dry_run: bool) -> None:
    """Remove every grant of PERMISSION (optionally only in a division or of one employee) from the
    grants files, changing no other byte; print what was removed."""
    finish(run_revoke(RevokeSettings(permission=permission, root=root, division=division, employee=employee,
                                     dry_run=dry_run)))
