"""``permgate baseline``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import finish, handle_errors, parse_date, root_option
from permgate.commands.baseline import BaselineSettings, run_baseline


@click.command()
@root_option
@click.option("--output", type=click.Path(dir_okay=False), default=None, metavar="PATH",
              help="Where to write it (default: paths.baseline of permgate.yaml, else policies/baseline.yaml).")
@click.option("--expires", callback=parse_date, metavar="YYYY-MM-DD",
              help="Until when the baseline covers its findings (default and latest: today + settings: "
                   "baseline: max_days, 180 days).")
@click.option("--prune", is_flag=True,
              help="Only remove what is fixed: drop entries that match nothing and lower counts; never add.")
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD",
              help="The date expiry rules compare against (default: today).")
@click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes for reading and checking grants files.")
@handle_errors
def baseline(root: str, output: str | None, expires: dt.date | None, prune: bool, today: dt.date | None,
             jobs: int | None) -> None:
    """Accept the findings of today: write them to the baseline, so that check fails only on new ones."""
    finish(run_baseline(BaselineSettings(root=root, output=output, today=today, expires=expires, prune=prune,
                                         jobs=jobs)))
