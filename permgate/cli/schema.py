"""``permgate schema KIND``."""

from __future__ import annotations

import click

from permgate.load.schemas import KINDS, schema_text


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
def schema(kind: str) -> None:
    """Print the JSON Schema of a file kind, for editors and other tools."""
    click.echo(schema_text(kind), nl=False)
