"""``cruxlab``: every action of the app, scriptable.

One module per command group, mirroring the domain in ``cruxes/``; each command
calls one domain function and prints the result with ``render`` (text, or JSON
with ``--json``). Errors a person can cause print one line on stderr and exit
with status 2.
"""

import sys

import typer

# Importing a command module registers its commands, in this order in `--help`.
# isort: off
from app.cli import (  # noqa: F401
    setup,
    people,
    dialogues,
    review,
    beliefs,
    projects,
    predictions,
    runs,
    outcomes,
    annotations,
    dashboard,
    scoring,
    board,
    exchange,
    team,
)

# isort: on
from app.cli.common import app, hoist_identity
from cruxes import api
from cruxes.errors import CruxlabError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one line on stderr and exit 2 for errors a person can fix."""
    command = typer.main.get_command(app)
    args = hoist_identity(sys.argv[1:] if argv is None else list(argv))
    try:
        with api.acting(None):  # whom this call of main acts for is its own --as
            code = command.main(args=args, prog_name="cruxlab", standalone_mode=False)
    except CruxlabError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, ...
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: show its help
            typer.echo(message)
            sys.exit(0)
        typer.echo(f"error: {message}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
