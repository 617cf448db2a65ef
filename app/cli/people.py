"""``cruxlab person``: mentors and scholars."""

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
    as_json: bool = JsonOpt,
) -> None:
    """Add a mentor or scholar."""
    p = call(people.add_person, name, role)
    emit(as_json, p, f"Added {p.role} {p.name} (id {p.id}).")


@person_app.command("list")
def person_list(as_json: bool = JsonOpt) -> None:
    """List people."""
    emit(as_json, call(people.list_people))
