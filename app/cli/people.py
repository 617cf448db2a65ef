"""``cruxlab person``: mentors and scholars, and the email each signs in with."""

from __future__ import annotations

import typer

from app.cli.common import JsonOpt, sub
from app.cli.render import emit
from cruxes import people
from cruxes.api import call

person_app = sub("person", "Mentors and scholars.")


@person_app.command("add")
def person_add(
    name: str,
    role: str = typer.Option(..., "--role", help="mentor or scholar"),
    email: str = typer.Option(
        None, "--email", help="The email they sign in with (team mode maps sign-ins by it)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Add a mentor or scholar."""
    p = call(people.add_person, name, role, email=email)
    signs_in = f", signs in as {p.email}" if p.email else ""
    emit(as_json, p, f"Added {p.role} {p.name} (id {p.id}{signs_in}).")


@person_app.command("email")
def person_email(
    person: str,
    email: str = typer.Argument(None, help="The new email; leave it out to clear it."),
    as_json: bool = JsonOpt,
) -> None:
    """Set (or clear) the email PERSON signs in with."""
    p = call(people.set_email, person, email)
    emit(as_json, p, f"{p.name} signs in as {p.email}." if p.email else f"{p.name} has no email.")


@person_app.command("list")
def person_list(as_json: bool = JsonOpt) -> None:
    """List people."""
    emit(as_json, call(people.list_people))
