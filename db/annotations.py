"""Annotations people add to cruxes, projects and runs: tags (an append-only log of
additions and removals) and markdown notes (append-only)."""

from typing import Any

from db.store import Cursor
from db.util import now

INSERT_TAG_EVENT = """
INSERT INTO tag_events (kind, entity_id, tag, added, created_at) VALUES (?, ?, ?, ?, ?)
"""
SELECT_TAGS = """
SELECT tag FROM current_tags WHERE kind = ? AND entity_id = ? ORDER BY tag
"""
SELECT_TAG_LISTS = "SELECT entity_id, tags FROM tag_lists WHERE kind = ?"
SELECT_ALL_TAGS = "SELECT DISTINCT tag FROM current_tags ORDER BY tag"


def record_tag(cur: Cursor, kind: str, entity_id: int, tag: str, *, added: bool) -> None:
    """Append a tag's addition to (or removal from) an entity."""
    cur.execute(INSERT_TAG_EVENT, [kind, entity_id, tag, added, now()])


def tags_of(cur: Cursor, kind: str, entity_id: int) -> list[str]:
    """An entity's current tags, alphabetically."""
    return [r["tag"] for r in cur.all(SELECT_TAGS, [kind, entity_id])]


def tag_lists(cur: Cursor, kind: str) -> dict[int, list[str]]:
    """Entity id → current tags, for every entity of a kind that has any."""
    return {r["entity_id"]: r["tags"] for r in cur.all(SELECT_TAG_LISTS, [kind])}


def all_tags(cur: Cursor) -> list[str]:
    """Every tag currently on something, alphabetically."""
    return [r["tag"] for r in cur.all(SELECT_ALL_TAGS)]


INSERT_NOTE = """
INSERT INTO notes (kind, entity_id, person_id, body, entered_by, created_at)
VALUES (?, ?, ?, ?, ?, ?) RETURNING *
"""
SELECT_NOTES = """
SELECT n.*, p.name AS person_name, e.name AS entered_by_name
FROM notes n LEFT JOIN people p ON p.id = n.person_id LEFT JOIN people e ON e.id = n.entered_by
WHERE n.kind = ? AND n.entity_id = ? ORDER BY n.id
"""


def insert_note(
    cur: Cursor,
    kind: str,
    entity_id: int,
    body: str,
    person_id: int | None,
    entered_by: int | None = None,
) -> dict[str, Any]:
    """Append a note (signed by ``person_id``, typed in by ``entered_by``) and return the row."""
    return cur.one(INSERT_NOTE, [kind, entity_id, person_id, body, entered_by, now()])


def list_notes(cur: Cursor, kind: str, entity_id: int) -> list[dict[str, Any]]:
    """A project's or run's notes, oldest first, with the author's name."""
    return cur.all(SELECT_NOTES, [kind, entity_id])
