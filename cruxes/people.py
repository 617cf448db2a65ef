"""People: mentors and scholars, referred to by name or id, and found by sign-in email."""

from __future__ import annotations

from cruxes import team
from cruxes.models import Person, PersonIn, parse
from db import people as people_table
from db.errors import Conflict, InvalidInput, NotFound
from db.store import Cursor, Store


def add_person(
    store: Store,
    name: str,
    role: str,
    *,
    email: str | None = None,
    actor: str | int | None = None,
) -> Person:
    """Add a mentor or scholar (names and emails are unique, case-insensitive)."""
    person = parse(PersonIn, "person", name=name, role=role, email=email)
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.MANAGE_PEOPLE)
        if me.team and me.person is None and person.role != "mentor":
            raise InvalidInput(
                "The first person of a team home must be a mentor (who then adds everyone else)."
            )
        if people_table.find_person(cur, person.name):
            raise Conflict(f"A person named {person.name!r} already exists.")
        _check_email_free(cur, person.email)
        row = Person(**people_table.insert_person(cur, person.name, person.role, person.email))
        me.record(cur, team.Action.MANAGE_PEOPLE, "person", row.id)
        return row


def set_email(
    store: Store, person: str | int, email: str | None, *, actor: str | int | None = None
) -> Person:
    """Set (or clear, with None or "") the email a person signs in with."""
    email = parse(PersonIn, "email", name="-", role="scholar", email=email).email
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.MANAGE_PEOPLE)
        who = resolve(cur, person)
        if email != who.email:
            _check_email_free(cur, email)
        row = Person(**people_table.set_email(cur, who.id, email))
        me.record(cur, team.Action.MANAGE_PEOPLE, "person", row.id)
        return row


def _check_email_free(cur: Cursor, email: str | None) -> None:
    holder = people_table.find_by_email(cur, email) if email else None
    if holder is not None:
        raise Conflict(f"{holder['name']} already signs in with {email}.")


def list_people(store: Store) -> list[Person]:
    """Everyone, in the order they were added."""
    with store.cursor() as cur:
        return [Person(**row) for row in people_table.list_people(cur)]


def find_by_email(store: Store, email: str) -> Person | None:
    """The person who signs in with ``email`` (case-insensitive), or None."""
    with store.cursor() as cur:
        row = people_table.find_by_email(cur, email.strip())
    return Person(**row) if row else None


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
