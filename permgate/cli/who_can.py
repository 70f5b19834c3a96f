"""``permgate who-can``."""

from __future__ import annotations

import click

from permgate.cli.common import finish, handle_errors, root_option
from permgate.commands.who_can import WhoCanSettings, run_who_can


@click.command("who-can")
@click.argument("permission")
@root_option
@click.option("--rev", default=None, metavar="REV", help="Read this git revision instead of the working tree.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@handle_errors
def who_can(permission: str, root: str, rev: str | None, fmt: str) -> None:
    """Every holder of PERMISSION, with file:line, division, granter, date and expiry."""
    finish(run_who_can(WhoCanSettings(permission=permission, root=root, rev=rev, format=fmt)))
