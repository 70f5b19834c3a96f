"""``permgate audit``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import finish, handle_errors, parse_date, root_option
from permgate.commands.audit import AuditSettings, run_audit
from permgate.reporters.exposures import AUDIT_FORMATS


@click.command()
@root_option
@click.option("--rev", default="HEAD", show_default=True,
              help="Walk the first-parent history of this revision and judge it by this revision's rules.")
@click.option("--since", callback=parse_date, metavar="YYYY-MM-DD",
              help="Leave out exposures that ended before this day.")
@click.option("--until", callback=parse_date, metavar="YYYY-MM-DD",
              help="Ignore commits after this day; count open exposures up to it (default: today).")
@click.option("--format", "fmt", type=click.Choice(sorted(AUDIT_FORMATS)), default="text", show_default=True,
              help="Output format.")
@click.option("--rule", "rules", multiple=True, metavar="ID",
              help="Audit this rule (repeatable; built-in rules too). Default: every rule the policies declare.")
@handle_errors
def audit(root: str, rev: str, since: dt.date | None, until: dt.date | None, fmt: str, rules: tuple[str, ...]) -> None:
    """When each grant that violates the current policies entered and left the history, and for how long."""
    finish(run_audit(AuditSettings(root=root, rev=rev, since=since, until=until, format=fmt, rules=rules or None)))
