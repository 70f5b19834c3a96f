"""The command line: the only module that knows click.

Each command parses its options into a settings object, calls ``permgate.commands``,
echoes the outcome and ends with ``ctx.exit(code)``: 0 clean, 1 findings at or above
``--fail-on``, 2 usage or configuration error.  ``main`` returns the code; only
``permgate.__main__`` (and the console-script wrapper) exits the process.

Commands are imported only when they run (``LazyGroup``): ``permgate check`` must not pay
for ``audit``, the HTML report or the editors.  ``permgate --help`` lists each command
with the short help kept in ``COMMANDS``; a test checks it against the command's own.
"""

from __future__ import annotations

import importlib

import click

from permgate import __version__

#: name -> (module under ``permgate.cli``, attribute, first paragraph of its help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": ("check", "check",
              "Check every grant in the repository against the catalog, people and policies."),
    "baseline": ("baseline", "baseline",
                 "Accept the findings of today: write them to the baseline, so that check fails only on new ones."),
    "schema": ("schema", "schema",
               "Print the JSON Schema of a file kind, for editors and other tools."),
    "audit": ("audit", "audit",
              "When each grant that violates the current policies entered and left the history, and for how long."),
    "impact": ("impact", "impact",
               "Who gains and who loses which effective permission between --base and --head, and through what."),
    "who-can": ("who_can", "who_can",
                "Every holder of PERMISSION, with file:line, division, granter, date and expiry."),
    "revoke": ("revoke", "revoke",
               "Remove every grant of PERMISSION, every --expired grant, or every grant --rule RULE flags (each\n"
               "filter narrows the others; optionally only in a division or of one employee) from the grants files,\n"
               "changing no other byte; print what was removed. Try --dry-run first."),
    "report": ("report", "report",
               "Write an HTML access report: the access matrix, the findings and the exposure timeline."),
    "rules": ("rules", "rules",
              "List every rule: built-in, and declared by the repository's policies."),
    "explain": ("rules", "explain",
                "Explain a rule: what it flags, why it matters, a failing example and the fix."),
    "grant": ("grant", "grant",
              "Propose grants: show what they would break, and write them only if no error results."),
    "grantable": ("grantable", "grantable",
                  "List the permissions EMPLOYEE may be given, and the rule that excludes each other one."),
    "fmt": ("fmt", "fmt",
            "Rewrite grants files into the canonical layout (default: every file under assignments/)."),
    "test": ("policy_test", "policy_test",
             "Run the policy test cases (PATH, default: policies/tests/ under --root)."),
    "review": ("review", "review",
               "Access reviews (recertification) as data in git: open a campaign, answer it in a commit, close it."),
    "reconcile": ("reconcile", "reconcile",
                  "Compare the system of record's export with the grants repository, and apply the policies to it."),
    "import": ("import_", "import_",
               "Write a grants repository from the system of record's export, with every gap left visible to check."),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is asked for
    (click's documented lazy-loading pattern); the listing in ``--help`` needs no import."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute, _ = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"permgate.cli.{module}"), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"permgate.cli.{module}.{attribute} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                          list[str]]:
        if args and self.get_command(ctx, args[0]) is None:
            # not a command: load them all, so that click's "Did you mean" can suggest any
            for name in COMMANDS:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            # a stand-in with the same help shortens it exactly as the command would
            shown = loaded if loaded is not None else click.Command(name, help=COMMANDS[name][2])
            if not shown.hidden:
                rows.append((name, shown.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="permgate")
def cli() -> None:
    """permgate: lint permission grants kept as YAML in git, before they merge."""


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
