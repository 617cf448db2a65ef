"""People: mentors and scholars, referred to by name or id."""

from __future__ import annotations

from cruxes.models import Person, PersonIn, parse
from db import people as people_table
from db.errors import Conflict, NotFound
from db.store import Cursor, Store


def add_person(store: Store, name: str, role: str) -> Person:
    """Add a mentor or scholar; names are unique (case-insensitive)."""
    person = parse(PersonIn, "person", name=name, role=role)
    with store.transaction() as cur:
        if people_table.find_person(cur, person.name):
            raise Conflict(f"A person named {person.name!r} already exists.")
        return Person(**people_table.insert_person(cur, person.name, person.role))


def list_people(store: Store) -> list[Person]:
    """Everyone, in the order they were added."""
    with store.cursor() as cur:
        return [Person(**row) for row in people_table.list_people(cur)]


def resolve(cur: Cursor, ref: str | int) -> Person:
    """A person by name (case-insensitive) or numeric id."""
    text = str(ref).strip()
    row = people_table.find_person(cur, text)
    if row is None and text.isdigit():
        row = people_table.get_person(cur, int(text))
    if row is None:
        raise NotFound(f"No person {text!r}; add them with `cruxlab person add`.")
    return Person(**row)


def get_person(store: Store, ref: str | int) -> Person:
    """A person by name or id."""
    with store.cursor() as cur:
        return resolve(cur, ref)
