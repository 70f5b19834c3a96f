"""``permgate check``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import color_option, finish, handle_errors, parse_date, root_option, use_color
from permgate.cli.progress import ProgressLine
from permgate.commands.check import FAIL_ON_NONE, CheckSettings, run_check
from permgate.findings import SEVERITIES
from permgate.reporters import REPORTERS


def _rule_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--select a,b --select c`` -> ``("a", "b", "c")``, sorted and without repeats."""
    return tuple(sorted({part.strip() for value in values for part in value.split(",") if part.strip()}))


def _parse_outputs(ctx: click.Context, param: click.Parameter,
                   values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out = []
    for value in values:
        fmt, sep, path = value.partition("=")
        if not sep or not path:
            raise click.BadParameter(f"`{value}` is not FORMAT=PATH (e.g. sarif=permgate.sarif)")
        if fmt not in REPORTERS:
            raise click.BadParameter(f"`{fmt}` is not a format; choose from {', '.join(sorted(REPORTERS))}")
        out.append((fmt, path))
    return tuple(out)


@click.command()
@root_option
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-on", type=click.Choice((*SEVERITIES, FAIL_ON_NONE)), default="error", show_default=True,
              help="Exit 1 when a finding of this severity or worse is reported (none: never; errors still exit 2).")
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD",
              help="The date expiry rules compare against (default: today).")
@color_option
@click.option("--base", metavar="REF",
              help="A git revision (branch, tag, commit): report only the findings the commit --head adds to it, "
                   "under the rules of both.")
@click.option("--head", metavar="REV", default="HEAD", show_default=True,
              help="With --base: the commit judged, read from git objects (what merges), never the working tree.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache (docs/performance.md).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Where the cache lives (default: $XDG_CACHE_HOME/permgate or ~/.cache/permgate).")
@click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes for reading and checking grants files "
                   "(default: one per core on large trees; 1: this process only).")
@click.option("--statistics", is_flag=True,
              help="After the report, the findings counted per rule and severity (on stderr unless --format text).")
@click.option("--select", "select", multiple=True, metavar="RULE,...",
              help="Report (and fail on) only these rules; repeatable or comma-separated.")
@click.option("--ignore", "ignore", multiple=True, metavar="RULE,...",
              help="Do not report (nor fail on) these rules; repeatable or comma-separated.")
@click.option("--output", "outputs", multiple=True, metavar="FORMAT=PATH", callback=_parse_outputs,
              help="Also write the report in FORMAT to PATH, from the same run (repeatable; "
                   "e.g. sarif=permgate.sarif markdown=summary.md). Standard output still gets --format.")
@handle_errors
def check(root: str, fmt: str, fail_on: str, today: dt.date | None, color: str, base: str | None, head: str,
          no_cache: bool, cache_dir: str | None, jobs: int | None, statistics: bool,
          select: tuple[str, ...], ignore: tuple[str, ...], outputs: tuple[tuple[str, str], ...]) -> None:
    """Check every grant in the repository against the catalog, people and policies."""
    settings = CheckSettings(root=root, format=fmt, fail_on=fail_on, today=today,
                             color=fmt == "text" and use_color(color), base=base, head=head,
                             use_cache=not no_cache, cache_dir=cache_dir, jobs=jobs,
                             statistics=statistics, select=_rule_ids(select) if select else None,
                             ignore=_rule_ids(ignore), outputs=outputs)
    progress = ProgressLine()
    try:
        outcome = run_check(settings, progress)
    finally:
        progress.close()
    finish(outcome)
