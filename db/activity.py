"""The ``activity`` table: every write, who made it, and what it wrote."""

from typing import Any

from db.store import Cursor
from db.util import now

INSERT_ACTIVITY = """
INSERT INTO activity (person_id, action, kind, entity_id, created_at) VALUES (?, ?, ?, ?, ?)
"""
SELECT_ACTIVITY = """
SELECT a.*, p.name AS person_name FROM activity a LEFT JOIN people p ON p.id = a.person_id
WHERE ? IS NULL OR a.person_id = ?
ORDER BY a.id DESC LIMIT ?
"""


def record(
    cur: Cursor, person_id: int | None, action: str, kind: str, entity_id: int | None
) -> None:
    """Append one write to the log."""
    cur.execute(INSERT_ACTIVITY, [person_id, action, kind, entity_id, now()])


def recent(cur: Cursor, person_id: int | None, limit: int) -> list[dict[str, Any]]:
    """The latest writes (of one person, or everyone's), newest first, with names."""
    return cur.all(SELECT_ACTIVITY, [person_id, person_id, limit])
