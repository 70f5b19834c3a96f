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
    if outcome.body is not None:
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)
        for piece in outcome.body:
            if out is None:  # a text-only stream (an embedding application's): decoded
                click.echo(bytes(piece).decode("utf-8", "surrogateescape"), nl=False, color=True)
            else:
                out.write(piece)
        if out is not None:
            out.flush()
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
def _discover(optional: bool) -> Callable[[click.Context, click.Parameter, str | None], str]:
    def resolve(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
        if value is not None:
            return value
        from permgate.load.files import find_root  # only when --root is not given (start-up speed)

        try:
            return find_root()
        except PermgateError as err:
            if optional:
                return "."
            click.echo(f"Error: {err}", err=True)
            ctx.exit(EXIT_ERROR)
        raise AssertionError("unreachable")  # ctx.exit raises

    return resolve


_ROOT_HELP = ("The grants repository to read (default: the nearest folder from here up, to the git repository's "
              "top, that holds permgate.yaml, or catalog.yaml and people.yaml).")
root_option = click.option("--root", type=click.Path(file_okay=False), default=None, callback=_discover(False),
                           help=_ROOT_HELP)
#: for commands that can answer without a grants repository (``explain`` of a built-in rule; ``fmt``, which
#: needs only grants files): "." when none is found, as before discovery
optional_root_option = click.option("--root", type=click.Path(file_okay=False), default=None,
                                    callback=_discover(True), help=_ROOT_HELP)
