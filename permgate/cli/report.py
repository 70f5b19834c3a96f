"""``permgate report``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import finish, handle_errors, parse_date, root_option
from permgate.commands.report import ReportSettings, run_report


@click.command()
@root_option
@click.option("--html", "html_out", required=True, type=click.Path(dir_okay=False), metavar="OUT",
              help="Write the report to this HTML file (one self-contained page).")
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD",
              help="The date rules and open exposures are measured against (default: today).")
@click.option("--link-base", default=None, metavar="URL",
              help="Prefix of file links, e.g. https://github.com/ORG/REPO/blob/main/ "
                   "(default: relative links from the page to the files).")
@click.option("--history/--no-history", default=True, show_default=True,
              help="Walk the git history for the exposure timeline.")
@handle_errors
def report(root: str, html_out: str, today: dt.date | None, link_base: str | None, history: bool) -> None:
    """Write an HTML access report: the access matrix, the findings and the exposure timeline."""
    finish(run_report(ReportSettings(html=html_out, root=root, today=today, link_base=link_base, history=history)))
