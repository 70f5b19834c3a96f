"""``permgate grant``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import color_option, finish, handle_errors, parse_date, root_option, use_color
from permgate.commands.grant import GrantSettings, run_grant


@click.command()
@click.argument("employee")
@click.argument("permissions", nargs=-1, metavar="PERMISSION...")
@click.option("--role", "roles", multiple=True, metavar="ROLE",
              help="Grant this role (roles.yaml) instead of, or beside, PERMISSIONs (repeatable).")
@click.option("--by", "granted_by", required=True, metavar="GRANTER", help="Who grants (people-directory id).")
@click.option("--reason", required=True, help="Why, with a ticket reference.")
@click.option("--expires", callback=parse_date, metavar="YYYY-MM-DD", help="When the grant ends.")
@click.option("--on", callback=parse_date, metavar="YYYY-MM-DD", help="Date of the grant (default: today).")
@click.option("--dry-run", is_flag=True, help="Show the verdict; never write.")
@click.option("--full", is_flag=True,
              help="Judge against every grants file, not only the employee's own (slower).")
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD",
              help="The date expiry rules compare against (default: today).")
@root_option
@color_option
@handle_errors
def grant(employee: str, permissions: tuple[str, ...], roles: tuple[str, ...],
          granted_by: str, reason: str, expires: dt.date | None,
          on: dt.date | None, dry_run: bool, full: bool, today: dt.date | None, root: str, color: str) -> None:
    """Propose grants: show what they would break, and write them only if no error results."""
    settings = GrantSettings(employee=employee, permissions=permissions, roles=roles, granted_by=granted_by,
                             reason=reason,
                             root=root, expires=expires, on=on, today=today, dry_run=dry_run, full=full,
                             color=use_color(color))
    finish(run_grant(settings))
