"""``permgate grantable``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import finish, handle_errors, parse_date, root_option
from permgate.commands.grantable import GrantableSettings, run_grantable


@click.command()
@click.argument("employee")
@click.option("--by", "granted_by", metavar="GRANTER", help="Who would grant (default: the employee's manager).")
@click.option("--reason", help="Reason used in the simulation (default: a placeholder naming a ticket).")
@click.option("--expires", callback=parse_date, metavar="YYYY-MM-DD", help="Expiry used in the simulation.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD", help="Date of the simulated grants.")
@root_option
@handle_errors
def grantable(employee: str, granted_by: str | None, reason: str | None, expires: dt.date | None, fmt: str,
              today: dt.date | None, root: str) -> None:
    """List the permissions EMPLOYEE may be given, and the rule that excludes each other one."""
    finish(run_grantable(GrantableSettings(employee=employee, root=root, granted_by=granted_by, reason=reason,
                                           expires=expires, today=today, format=fmt)))
