"""``permgate revoke``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import finish, handle_errors, parse_date, root_option
from permgate.commands.revoke import RevokeSettings, run_revoke


@click.command()
@click.argument("permission", required=False)
@root_option
@click.option("--expired", is_flag=True, help="Only grants whose expires date is before --today.")
@click.option("--rule", "rule", default=None, metavar="RULE",
              help="Only grants RULE flags (as check reports them; waived findings excepted).")
@click.option("--division", default=None, help="Only from people in this division (people.yaml).")
@click.option("--employee", default=None, help="Only from this employee.")
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD",
              help="The date --expired and the rules judge by (default: today).")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; change nothing.")
@handle_errors
def revoke(permission: str | None, root: str, expired: bool, rule: str | None, division: str | None,
           employee: str | None, today: dt.date | None, dry_run: bool) -> None:
    """Remove every grant of PERMISSION, every --expired grant, or every grant --rule RULE flags (each
    filter narrows the others; optionally only in a division or of one employee) from the grants files,
    changing no other byte; print what was removed. Try --dry-run first."""
    finish(run_revoke(RevokeSettings(permission=permission, root=root, division=division, employee=employee,
                                     dry_run=dry_run, expired=expired, rule=rule,
                                     today=today)))
