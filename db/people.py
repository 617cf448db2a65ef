"""The ``people`` table: mentors and scholars."""

from typing import Any

from db.store import Cursor
from db.util import now

INSERT_PERSON = "INSERT INTO people (name, role, created_at) VALUES (?, ?, ?) RETURNING *"
SELECT_PEOPLE = "SELECT * FROM people ORDER BY id"
SELECT_PERSON_BY_ID = "SELECT * FROM people WHERE id = ?"
SELECT_PERSON_BY_NAME = "SELECT * FROM people WHERE lower(name) = lower(?)"
SELECT_PEOPLE_BY_NAMES = """
SELECT * FROM people WHERE lower(name) IN (SELECT lower(unnest(?::VARCHAR[]))) ORDER BY id
"""
# One statement for many people (a transcript can name thousands of speakers).
INSERT_PEOPLE = """
INSERT INTO people (name, role, created_at) SELECT unnest(?::VARCHAR[]), ?, ? RETURNING *
"""


def insert_person(cur: Cursor, name: str, role: str) -> dict[str, Any]:
    """Insert a person and return the row."""
    return cur.one(INSERT_PERSON, [name, role, now()])


def list_people(cur: Cursor) -> list[dict[str, Any]]:
    """Every person, oldest first."""
    return cur.all(SELECT_PEOPLE)


def get_person(cur: Cursor, person_id: int) -> dict[str, Any] | None:
    """One person by id."""
    return cur.one(SELECT_PERSON_BY_ID, [person_id])


def find_person(cur: Cursor, name: str) -> dict[str, Any] | None:
    """One person by name, case-insensitively."""
    return cur.one(SELECT_PERSON_BY_NAME, [name])


def find_people(cur: Cursor, names: list[str]) -> list[dict[str, Any]]:
    """The people with any of these names, case-insensitively, oldest first."""
    return cur.all(SELECT_PEOPLE_BY_NAMES, [names]) if names else []


def insert_people(cur: Cursor, names: list[str], role: str) -> list[dict[str, Any]]:
    """Insert people with one role and return their rows."""
    return cur.all(INSERT_PEOPLE, [names, role, now()]) if names else []
