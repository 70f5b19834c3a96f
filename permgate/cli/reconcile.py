"""``permgate reconcile``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import color_option, finish, handle_errors, parse_date, root_option, use_color
from permgate.findings import SEVERITIES
from permgate.reporters import REPORTERS


@click.command()
@root_option
@click.option("--actual", required=True, type=click.Path(dir_okay=False), metavar="EXPORT",
              help="The system of record's export: CSV with a header row, or JSON Lines (.jsonl) "
                   "(docs/reconcile.md).")
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True,
              help="Exit 1 when a finding of this severity or worse is reported.")
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD",
              help="The date expiry and last use compare against (default: today).")
@click.option("--rev", metavar="REV", help="Compare the grants repository at this git revision, not the working tree.")
@color_option
@handle_errors
def reconcile(root: str, actual: str, fmt: str, fail_on: str, today: dt.date | None, rev: str | None,
              color: str) -> None:
    """Compare the system of record's export with the grants repository, and apply the policies to it."""
    from permgate.commands.reconcile import ReconcileSettings, run_reconcile  # imported when run (start-up)

    settings = ReconcileSettings(actual=actual, root=root, format=fmt, fail_on=fail_on, today=today,
                                 color=fmt == "text" and use_color(color), rev=rev)
    finish(run_reconcile(settings))
