"""What every command group shares: the root app and its options.

Commands reach the database through ``cruxes.api.call``: at the home's owner when one
runs, else in this process.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    help="cruxlab: track cruxes, run experiments, and record what moved your credences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of text.")
AsOpt = typer.Option(
    None,
    "--as",
    help="Who is looking: a blind project shows them others' predictions "
    "only where they have entered their own.",
)
# "-0.1" is a (negative) value, not an unknown option "-0": the domain then refuses it.
NUMBERS_MAY_BE_NEGATIVE = {"ignore_unknown_options": True}
VersionOpt = typer.Option(
    ...,
    "--version",
    help="The version you read (from show); the edit is refused if it changed since.",
)
DateOpt = typer.Option(None, formats=["%Y-%m-%d"], help="A day, YYYY-MM-DD (UTC).")


def sub(name: str, help: str, parent: typer.Typer = app) -> typer.Typer:
    """A command group ``cruxlab NAME …`` (or nested under ``parent``)."""
    group = typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)
    parent.add_typer(group, name=name)
    return group
