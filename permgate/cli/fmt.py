"""``permgate fmt``."""

from __future__ import annotations

import click

from permgate.cli.common import finish, handle_errors, optional_root_option
from permgate.commands.fmt import FmtSettings, run_fmt


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Write nothing; list files that would change and exit 1.")
@optional_root_option
@handle_errors
def fmt(paths: tuple[str, ...], check: bool, root: str) -> None:
    """Rewrite grants files into the canonical layout (default: every file under assignments/)."""
    finish(run_fmt(FmtSettings(root=root, paths=paths, check=check)))
