"""``permgate review open|close|status``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import finish, handle_errors, parse_date, root_option
from permgate.commands.review import CloseSettings, OpenSettings, StatusSettings, run_close, run_open, run_status


@click.group()
def review() -> None:
    """Access reviews (recertification) as data in git: open a campaign, answer it in a commit, close it."""


@review.command("open")
@click.option("--campaign", required=True, metavar="ID", help="The campaign id (the folder under reviews/).")
@click.option("--due", required=True, callback=parse_date, metavar="YYYY-MM-DD",
              help="The last day to decide; pending items after it are review-overdue.")
@click.option("--scope", default="all", show_default=True,
              help="all, sensitive, division:NAME, permission:ID or rule:ID (the grants RULE flags today).")
@root_option
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD", help="The opening date (default: today).")
@handle_errors
def open_(campaign: str, due: dt.date, scope: str, root: str, today: dt.date | None) -> None:
    """Write one file per reviewer, reviews/<ID>/<reviewer>.yaml, listing each grant in scope with
    decision: pending."""
    finish(run_open(OpenSettings(campaign=campaign, due=due, scope=scope, root=root, today=today)))


@review.command("close")
@click.option("--campaign", required=True, metavar="ID", help="The campaign to close.")
@root_option
@click.option("--dry-run", is_flag=True, help="Print what would be removed and recorded; change nothing.")
@click.option("--force", is_flag=True, help="Close although decisions are pending (they are listed).")
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD", help="The closing date (default: today).")
@handle_errors
def close(campaign: str, root: str, dry_run: bool, force: bool, today: dt.date | None) -> None:
    """Remove every grant decided `revoke` from the grants files (no other byte changes) and record
    the campaign as closed (reviews/<ID>/campaign.yaml)."""
    finish(run_close(CloseSettings(campaign=campaign, root=root, dry_run=dry_run, force=force, today=today)))


@review.command("status")
@click.option("--campaign", default=None, metavar="ID", help="Only this campaign.")
@root_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True)
@handle_errors
def status(campaign: str | None, root: str, fmt: str) -> None:
    """Progress per reviewer and division: items kept, revoked and pending (exit 1 while any is pending)."""
    finish(run_status(StatusSettings(campaign=campaign, root=root, format=fmt)))
