"""``permgate who-can``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import finish, handle_errors, parse_date, root_option
from permgate.commands.who_can import WhoCanSettings, run_who_can


@click.command("who-can")
@click.argument("permission")
@root_option
@click.option("--rev", default=None, metavar="REV",
              help="Read this git revision instead of the working tree (with --at: walk its history).")
@click.option("--at", callback=parse_date, metavar="YYYY-MM-DD",
              help="The holders on this day: the grants and people directory of the last commit by then "
                   "(first-parent history of --rev, default HEAD), judged by the catalog of --rev, as audit does.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@handle_errors
def who_can(permission: str, root: str, rev: str | None, at: dt.date | None, fmt: str) -> None:
    """Every holder of PERMISSION, with file:line, division, granter, date and expiry."""
    finish(run_who_can(WhoCanSettings(permission=permission, root=root, rev=rev, format=fmt, at=at)))
