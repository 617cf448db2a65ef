"""What every command group shares: the root app, its options, and the store."""

from __future__ import annotations

import typer

from cruxes import workspace

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
DateOpt = typer.Option(None, formats=["%Y-%m-%d"], help="A day, YYYY-MM-DD (UTC).")


def sub(name: str, help: str, parent: typer.Typer = app) -> typer.Typer:
    """A command group ``cruxlab NAME …`` (or nested under ``parent``)."""
    group = typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)
    parent.add_typer(group, name=name)
    return group


def get_store():
    """The store of ``$CRUXLAB_HOME``, migrated (run state is refreshed only on request)."""
    return workspace.open_store()
