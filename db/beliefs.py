"""Beliefs: the `cruxes` table, the `questions` they sit under, the append-only `credences` log."""

from typing import Any

from db.store import Cursor
from db.util import now

INSERT_CRUX = """
INSERT INTO cruxes (statement, dialogue_id, candidate_id, speaker, quote, quote_start,
                    quote_end, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
"""
SELECT_CRUXES = "SELECT * FROM cruxes ORDER BY id"
SELECT_CRUX = "SELECT * FROM cruxes WHERE id = ?"
UPDATE_STATEMENT = """
UPDATE cruxes SET statement = ?, version = version + 1, updated_at = ?
WHERE id = ? AND version = ? RETURNING *
"""


def insert_crux(
    cur: Cursor,
    statement: str,
    *,
    dialogue_id: int | None = None,
    candidate_id: int | None = None,
    speaker: str | None = None,
    quote: str | None = None,
    quote_start: int | None = None,
    quote_end: int | None = None,
) -> dict[str, Any]:
    """Insert a crux with its provenance and return the row."""
    stamp = now()
    params = [statement, dialogue_id, candidate_id, speaker, quote, quote_start, quote_end]
    return cur.one(INSERT_CRUX, [*params, stamp, stamp])


RELABEL_CRUX_SPEAKER = "UPDATE cruxes SET speaker = ? WHERE dialogue_id = ? AND speaker = ?"


def relabel_crux_speaker(cur: Cursor, dialogue_id: int, old: str, new: str) -> None:
    """Rename the speaker in the provenance of cruxes taken from a dialogue."""
    cur.execute(RELABEL_CRUX_SPEAKER, [new, dialogue_id, old])


def list_cruxes(cur: Cursor) -> list[dict[str, Any]]:
    """Every crux, oldest first."""
    return cur.all(SELECT_CRUXES)


def get_crux(cur: Cursor, crux_id: int) -> dict[str, Any] | None:
    """One crux by id."""
    return cur.one(SELECT_CRUX, [crux_id])


def update_statement(
    cur: Cursor, crux_id: int, statement: str, expected_version: int
) -> dict[str, Any] | None:
    """Change a crux's statement if it is still at ``expected_version``; else None."""
    return cur.one(UPDATE_STATEMENT, [statement, now(), crux_id, expected_version])


INSERT_CREDENCE = """
INSERT INTO credences (crux_id, person_id, value, reason, source, dialogue_id, outcome_id,
                       entered_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
"""
SELECT_HISTORY = """
SELECT c.*, p.name AS person_name, e.name AS entered_by_name, o.run_id AS run_id
FROM credences c
JOIN people p ON p.id = c.person_id
LEFT JOIN people e ON e.id = c.entered_by
LEFT JOIN outcomes o ON o.id = c.outcome_id
WHERE ? IS NULL OR c.crux_id = ?
ORDER BY c.id
"""
SELECT_CURRENT = """
SELECT c.*, p.name AS person_name
FROM credences c JOIN people p ON p.id = c.person_id
WHERE c.crux_id = ?
QUALIFY row_number() OVER (PARTITION BY c.person_id ORDER BY c.id DESC) = 1
ORDER BY p.name
"""
SELECT_CURRENT_ONE = """
SELECT value FROM credences
WHERE crux_id = ? AND person_id = ? AND (? IS NULL OR created_at <= ?)
ORDER BY id DESC LIMIT 1
"""


def insert_credence(
    cur: Cursor,
    crux_id: int,
    person_id: int,
    value: float,
    *,
    reason: str | None = None,
    source: str = "manual",
    dialogue_id: int | None = None,
    outcome_id: int | None = None,
    entered_by: int | None = None,
) -> dict[str, Any]:
    """Append one credence row (about ``person_id``, typed in by ``entered_by``) and return it."""
    params = [crux_id, person_id, value, reason, source, dialogue_id, outcome_id, entered_by, now()]
    return cur.one(INSERT_CREDENCE, params)


def credence_history(cur: Cursor, crux_id: int | None) -> list[dict[str, Any]]:
    """Every credence row for a crux (None: every crux) in the order entered, with names."""
    return cur.all(SELECT_HISTORY, [crux_id, crux_id])


def current_credences(cur: Cursor, crux_id: int) -> list[dict[str, Any]]:
    """Each person's latest credence row for a crux."""
    return cur.all(SELECT_CURRENT, [crux_id])


def current_credence(cur: Cursor, crux_id: int, person_id: int, as_of: Any = None) -> float | None:
    """One person's latest credence for a crux (as of a time, if given), or None."""
    return cur.scalar(SELECT_CURRENT_ONE, [crux_id, person_id, as_of, as_of])


SELECT_ALL_CURRENT = """
SELECT c.crux_id, c.person_id, p.name AS person_name, c.value
FROM credences c JOIN people p ON p.id = c.person_id
QUALIFY row_number() OVER (PARTITION BY c.crux_id, c.person_id ORDER BY c.id DESC) = 1
ORDER BY c.crux_id, p.name
"""
# The window runs over every row, so a move's "before" may predate the period.
SELECT_MOVES = """
SELECT * FROM (
    SELECT c.*, p.name AS person_name, o.run_id AS run_id, x.statement,
           lag(c.value) OVER (PARTITION BY c.crux_id, c.person_id ORDER BY c.id) AS before
    FROM credences c
    JOIN people p ON p.id = c.person_id
    JOIN cruxes x ON x.id = c.crux_id
    LEFT JOIN outcomes o ON o.id = c.outcome_id
)
WHERE before IS NOT NULL AND value <> before
  AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?)
ORDER BY abs(value - before) DESC, id DESC
LIMIT ?
"""
SELECT_UNLINKED_CRUXES = """
SELECT * FROM cruxes c
WHERE NOT EXISTS (SELECT 1 FROM project_cruxes pc WHERE pc.crux_id = c.id)
ORDER BY c.id
"""


def all_current_credences(cur: Cursor) -> list[dict[str, Any]]:
    """Each person's latest credence in every crux."""
    return cur.all(SELECT_ALL_CURRENT)


def largest_moves(cur: Cursor, start: Any, end: Any, limit: int) -> list[dict[str, Any]]:
    """Credence changes recorded in [start, end), largest first, with the value before."""
    return cur.all(SELECT_MOVES, [start, start, end, end, limit])


def cruxes_without_project(cur: Cursor) -> list[dict[str, Any]]:
    """Cruxes no project informs."""
    return cur.all(SELECT_UNLINKED_CRUXES)


INSERT_QUESTION = "INSERT INTO questions (text, created_at) VALUES (?, ?) RETURNING *"
SELECT_QUESTIONS = "SELECT * FROM questions ORDER BY id"
SELECT_QUESTION = "SELECT * FROM questions WHERE id = ?"
SELECT_QUESTION_BY_TEXT = "SELECT * FROM questions WHERE lower(text) = lower(?)"
UPDATE_CRUX_QUESTION = """
UPDATE cruxes SET question_id = ?, version = version + 1, updated_at = ?
WHERE id = ? AND version = ? RETURNING *
"""


def insert_question(cur: Cursor, text: str) -> dict[str, Any]:
    """Insert a top-level question and return the row."""
    return cur.one(INSERT_QUESTION, [text, now()])


def list_questions(cur: Cursor) -> list[dict[str, Any]]:
    """Every added question, oldest first (the default question is not a row)."""
    return cur.all(SELECT_QUESTIONS)


def get_question(cur: Cursor, question_id: int) -> dict[str, Any] | None:
    """One question by id."""
    return cur.one(SELECT_QUESTION, [question_id])


def find_question(cur: Cursor, text: str) -> dict[str, Any] | None:
    """A question by its text, case-insensitively."""
    return cur.one(SELECT_QUESTION_BY_TEXT, [text])


def update_crux_question(
    cur: Cursor, crux_id: int, question_id: int | None, expected_version: int
) -> dict[str, Any] | None:
    """Put a crux under a question if it is still at ``expected_version``; else None."""
    return cur.one(UPDATE_CRUX_QUESTION, [question_id, now(), crux_id, expected_version])
