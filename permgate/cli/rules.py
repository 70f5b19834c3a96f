"""``permgate rules`` and ``permgate explain``."""

from __future__ import annotations

import click

from permgate.cli.common import finish, handle_errors, optional_root_option, root_option
from permgate.commands.rules import RulesSettings, run_explain, run_rules


@click.command()
@root_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format (json: docs/output-formats.md).")
@handle_errors
def rules(root: str, fmt: str) -> None:
    """List every rule: built-in, and declared by the repository's policies."""
    finish(run_rules(RulesSettings(root=root, format=fmt)))


@click.command()
@click.argument("rule_id", metavar="RULE")
@optional_root_option
@handle_errors
def explain(rule_id: str, root: str) -> None:
    """Explain a rule: what it flags, why it matters, a failing example and the fix."""
    finish(run_explain(rule_id, root))
