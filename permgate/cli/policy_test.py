"""``permgate test``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import finish, handle_errors, parse_date, root_option
from permgate.commands.policy_test import TestSettings, run_tests


@click.command(name="test")
@click.argument("path", required=False, type=click.Path())
@root_option
@click.option("--require-tests", is_flag=True, help="Fail when a policy rule has no test case.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format (json: docs/policy-tests.md).")
@click.option("--today", callback=parse_date, metavar="YYYY-MM-DD",
              help="The date for cases that set no `today:` (default: today).")
@handle_errors
def policy_test(path: str | None, root: str, require_tests: bool, fmt: str, today: dt.date | None) -> None:
    """Run the policy test cases (PATH, default: policies/tests/ under --root)."""
    finish(run_tests(TestSettings(root=root, path=path, require_tests=require_tests, format=fmt, today=today)))
