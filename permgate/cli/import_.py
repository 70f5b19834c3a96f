"""``permgate import``."""

from __future__ import annotations

import datetime as dt

import click

from permgate.cli.common import finish, handle_errors, parse_date


@click.command("import")
@click.option("--access", required=True, type=click.Path(dir_okay=False), metavar="EXPORT",
              help="The system of record's export (as for reconcile --actual: CSV or JSON Lines).")
@click.option("--people", type=click.Path(dir_okay=False), metavar="PEOPLE.csv",
              help="The people directory as CSV (id,name,division,manager[,division_since,function]); "
                   "default: the people.yaml already in --out.")
@click.option("--catalog", type=click.Path(dir_okay=False), metavar="CATALOG.csv",
              help="The catalog as CSV (id,name,owner_division,description[,sensitive,retired,grants_access]); "
                   "default: the catalog.yaml already in --out.")
@click.option("--out", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="The grants repository to write.")
@click.option("--as-of", callback=parse_date, metavar="YYYY-MM-DD",
              help="The date the export was taken: written as granted_on where the export has none "
                   "(required then), and named in every reason.")
@click.option("--force", is_flag=True,
              help="Replace grants files and people/catalog files this import writes again.")
@handle_errors
def import_(access: str, people: str | None, catalog: str | None, out: str, as_of: dt.date | None,
            force: bool) -> None:
    """Write a grants repository from the system of record's export, with every gap left visible to check."""
    from permgate.commands.importer import ImportSettings, run_import  # imported when run (start-up)

    finish(run_import(ImportSettings(access=access, out=out, people=people, catalog=catalog, as_of=as_of,
                                     force=force)))
