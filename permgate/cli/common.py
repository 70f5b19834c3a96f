"""Shared pieces of the click layer: error handling, colour and date options."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from permgate.commands import EXIT_ERROR, Outcome
from permgate.errors import PermgateError

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn a ``PermgateError`` into ``Error: ...`` on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PermgateError as err:
            click.echo(f"Error: {err}", err=True)
            click.get_current_context().exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def finish(outcome: Outcome) -> None:
    """Echo an outcome and leave the command with its exit code."""
    if outcome.stdout:
        # colour was decided by the reporter (use_color); click must not strip it again
        click.echo(outcome.stdout, nl=False, color=True)
    if outcome.stderr:
        click.echo(outcome.stderr, err=True, nl=False)
    click.get_current_context().exit(outcome.exit_code)


def use_color(choice: str) -> bool:
    """Colour only on a terminal, never with NO_COLOR set, unless forced."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"`{value}` is not a date YYYY-MM-DD") from None


color_option = click.option(
    "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
    help="Colour text output (auto: only on a terminal and without NO_COLOR).")
root_option = click.option(
    "--root", type=click.Path(file_okay=False), default=".", show_default=True,
    help="The grants repository to read.")
