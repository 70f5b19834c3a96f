"""``permgate impact``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import finish, handle_errors, parse_date, root_option
from permgate.commands.impact import ImpactSettings, run_impact


@click.command()
@root_option
@click.option("--base", required=True, metavar="REF", help="The git revision the change is compared with.")
@click.option("--head", default="HEAD", show_default=True, metavar="REV", help="The revision judged.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Output format.")
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD",
              help="Grants expired on this date give no access (default: today), as check --base counts them.")
@handle_errors
def impact(root: str, base: str, head: str, fmt: str, today: dt.date | None) -> None:
    """Who gains and who loses which effective permission between --base and --head, and through what.

    Each change names the employee, the permission and how it is held (direct, or role:ID); the summary
    counts them by permission and by division (docs/roles.md). Only grants in force on --today count:
    an expired grant gives no access, so renewing one is a gain."""
    finish(run_impact(ImpactSettings(base=base, root=root, head=head, format=fmt, today=today)))
