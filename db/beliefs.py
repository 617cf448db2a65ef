"""Beliefs: the `cruxes` table and the append-only `credences` log."""

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
                       created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
"""
SELECT_HISTORY = """
SELECT c.*, p.name AS person_name, o.run_id AS run_id
FROM credences c
JOIN people p ON p.id = c.person_id
LEFT JOIN outcomes o ON o.id = c.outcome_id
WHERE c.crux_id = ?
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
SELECT_OUTCOME_CREDENCE = """
SELECT id FROM credences WHERE outcome_id = ? AND crux_id = ? AND person_id = ?
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
) -> dict[str, Any]:
    """Append one credence row and return it."""
    params = [crux_id, person_id, value, reason, source, dialogue_id, outcome_id, now()]
    return cur.one(INSERT_CREDENCE, params)


def credence_history(cur: Cursor, crux_id: int) -> list[dict[str, Any]]:
    """Every credence row for a crux in the order entered, with the person's name."""
    return cur.all(SELECT_HISTORY, [crux_id])


def current_credences(cur: Cursor, crux_id: int) -> list[dict[str, Any]]:
    """Each person's latest credence row for a crux."""
    return cur.all(SELECT_CURRENT, [crux_id])


def current_credence(cur: Cursor, crux_id: int, person_id: int, as_of: Any = None) -> float | None:
    """One person's latest credence for a crux (as of a time, if given), or None."""
    return cur.scalar(SELECT_CURRENT_ONE, [crux_id, person_id, as_of, as_of])


def outcome_credence_exists(cur: Cursor, outcome_id: int, crux_id: int, person_id: int) -> bool:
    """Whether an outcome's update for this person and crux was already applied."""
    return cur.one(SELECT_OUTCOME_CREDENCE, [outcome_id, crux_id, person_id]) is not None
