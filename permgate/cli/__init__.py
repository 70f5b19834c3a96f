"""The command line: the only module that knows click.

Each command parses its options into a settings object, calls ``permgate.commands``,
echoes the outcome and ends with ``ctx.exit(code)``: 0 clean, 1 findings at or above
``--fail-on``, 2 usage or configuration error.  ``main`` returns the code; only
``permgate.__main__`` (and the console-script wrapper) exits the process.
"""

from __future__ import annotations

import click

from permgate import __version__
from permgate.cli.audit import audit
from permgate.cli.check import check
from permgate.cli.fmt import fmt
from permgate.cli.grant import grant
from permgate.cli.grantable import grantable
from permgate.cli.policy_test import policy_test
from permgate.cli.report import report
from permgate.cli.revoke import revoke
from permgate.cli.rules import explain, rules
from permgate.cli.schema import schema
from permgate.cli.who_can import who_can


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="permgate")
def cli() -> None:
    """permgate: lint permission grants kept as YAML in git, before they merge."""


cli.add_command(check)
cli.add_command(schema)
cli.add_command(audit)
cli.add_command(who_can)
cli.add_command(revoke)
cli.add_command(report)
cli.add_command(rules)
cli.add_command(explain)
cli.add_command(grant)
cli.add_command(grantable)
cli.add_command(fmt)
cli.add_command(policy_test)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    try:
        rv = cli.main(args=argv, prog_name="permgate", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        return 130
    except click.ClickException as err:
        err.show()
        return 2
    return rv if isinstance(rv, int) else 0
