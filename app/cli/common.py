"""What every command group shares: the root app, its options, and who you are.

Commands reach the database through ``cruxes.api.call``: at the home's owner when one
runs, else in this process. Who you are (``--as PERSON`` anywhere on the line, or
``CRUXLAB_USER``) is read here, once, into ``cruxes.api.acting``; ``call`` carries it
with every operation, which takes it as its actor (who makes a change) and viewer
(who is looking). Commands never pass a person for themselves.
"""

from __future__ import annotations

import typer

from cruxes import api, team

app = typer.Typer(
    help="cruxlab: track cruxes, run experiments, and record what moved your credences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of text.")
# "-0.1" is a (negative) value, not an unknown option "-0": the domain then refuses it.
NUMBERS_MAY_BE_NEGATIVE = {"ignore_unknown_options": True}
VersionOpt = typer.Option(
    ...,
    "--version",
    help="The version you read (from show); the edit is refused if it changed since.",
)
DateOpt = typer.Option(None, formats=["%Y-%m-%d"], help="A day, YYYY-MM-DD (UTC).")


@app.callback()
def who_you_are(
    ctx: typer.Context,
    person: str = typer.Option(
        None,
        "--as",
        metavar="PERSON",
        envvar=team.USER_ENV,
        help="Who you are (anywhere on the line): who makes each change, and who is looking "
        "(a blind project shows you others' predictions only where you have entered yours). "
        "Required in team mode, where your role decides what you may change.",
    ),
) -> None:
    ctx.with_resource(api.acting(person or None))


def hoist_identity(argv: list[str]) -> list[str]:
    """``--as PERSON`` may come anywhere on the line: move it to the front, where the root
    option reads it (the last one wins; nothing after ``--`` is touched)."""
    front, rest, i = [], [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest += argv[i:]
            break
        if arg == "--as" and i + 1 < len(argv):
            front += argv[i : i + 2]
            i += 2
            continue
        (front if arg.startswith("--as=") else rest).append(arg)
        i += 1
    return front + rest


def sub(name: str, help: str, parent: typer.Typer = app) -> typer.Typer:
    """A command group ``cruxlab NAME …`` (or nested under ``parent``)."""
    group = typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)
    parent.add_typer(group, name=name)
    return group
