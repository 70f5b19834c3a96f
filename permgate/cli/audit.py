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
@click.option("--people-at-rev", is_flag=True,
              help="Judge every commit by the people directory of --rev (where people sit now) instead of the "
                   "one of the time.")
@handle_errors
def audit(root: str, rev: str, since: dt.date | None, until: dt.date | None, fmt: str, rules: tuple[str, ...],
          people_at_rev: bool) -> None:
    """When each grant that violates the current policies entered and left the history, and for how long.

    Each commit is judged by the catalog and policies of --rev and by the people directory of that commit."""
    finish(run_audit(AuditSettings(root=root, rev=rev, since=since, until=until, format=fmt, rules=rules or None,
                                   people_at_rev=people_at_rev)))
