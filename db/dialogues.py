"""Dialogues, their turns and speakers, and the candidates extracted from them."""

from collections.abc import Iterable
from typing import Any

from db.store import Cursor
from db.util import now

INSERT_DIALOGUE = """
INSERT INTO dialogues (title, format, text, content_hash, created_at)
VALUES (?, ?, ?, ?, ?) RETURNING *
"""
SELECT_DIALOGUES = """
SELECT d.id, d.title, d.format, d.content_hash, d.created_at, length(d.text) AS n_chars,
       (SELECT count(*) FROM turns t WHERE t.dialogue_id = d.id) AS n_turns,
       (SELECT count(*) FROM candidates c
         WHERE c.dialogue_id = d.id AND c.status = 'pending') AS n_pending
FROM dialogues d ORDER BY d.id
"""
SELECT_DIALOGUE = "SELECT * FROM dialogues WHERE id = ?"
SELECT_DIALOGUE_BY_HASH = "SELECT * FROM dialogues WHERE content_hash = ?"
# One statement for all turns (a row-by-row INSERT takes seconds for a long transcript).
INSERT_TURNS = """
INSERT INTO turns (dialogue_id, idx, speaker, start_offset, end_offset)
SELECT ?, unnest(?), unnest(?), unnest(?), unnest(?)
"""
SELECT_TURNS = "SELECT * FROM turns WHERE dialogue_id = ? ORDER BY idx"
INSERT_SPEAKERS = """
INSERT INTO dialogue_speakers (dialogue_id, speaker, person_id)
SELECT ?, unnest(?::VARCHAR[]), unnest(?::BIGINT[])
"""
UPSERT_SPEAKER = """
INSERT INTO dialogue_speakers (dialogue_id, speaker, person_id) VALUES (?, ?, ?)
ON CONFLICT (dialogue_id, speaker) DO UPDATE SET person_id = excluded.person_id
"""
SELECT_SPEAKERS = """
SELECT s.speaker, s.person_id, p.name AS person_name
FROM dialogue_speakers s LEFT JOIN people p ON p.id = s.person_id
WHERE s.dialogue_id = ? ORDER BY s.speaker
"""


def insert_dialogue(cur: Cursor, title: str, fmt: str, text: str, content_hash: str) -> dict:
    """Insert a dialogue and return the row."""
    return cur.one(INSERT_DIALOGUE, [title, fmt, text, content_hash, now()])


def list_dialogues(cur: Cursor) -> list[dict[str, Any]]:
    """Every dialogue with its size, turn count and pending candidate count."""
    return cur.all(SELECT_DIALOGUES)


def get_dialogue(cur: Cursor, dialogue_id: int) -> dict[str, Any] | None:
    """One dialogue with its full text."""
    return cur.one(SELECT_DIALOGUE, [dialogue_id])


def find_dialogue_by_hash(cur: Cursor, content_hash: str) -> dict[str, Any] | None:
    """The dialogue whose text has this content hash, if any."""
    return cur.one(SELECT_DIALOGUE_BY_HASH, [content_hash])


def insert_turns(cur: Cursor, dialogue_id: int, turns: Iterable[tuple[str, int, int]]) -> None:
    """Insert (speaker, start, end) turns in order."""
    rows = list(turns)
    if rows:
        speakers, starts, ends = (list(column) for column in zip(*rows, strict=True))
        cur.execute(INSERT_TURNS, [dialogue_id, list(range(len(rows))), speakers, starts, ends])


def list_turns(cur: Cursor, dialogue_id: int) -> list[dict[str, Any]]:
    """A dialogue's turns in order."""
    return cur.all(SELECT_TURNS, [dialogue_id])


def insert_speakers(
    cur: Cursor, dialogue_id: int, speakers: Iterable[tuple[str, int | None]]
) -> None:
    """Insert a new dialogue's (speaker label, person id or None) mappings in one statement."""
    rows = list(speakers)
    if rows:
        labels, person_ids = (list(column) for column in zip(*rows, strict=True))
        cur.execute(INSERT_SPEAKERS, [dialogue_id, labels, person_ids])


def set_speaker(cur: Cursor, dialogue_id: int, speaker: str, person_id: int | None) -> None:
    """Map a dialogue's speaker label to a person (or to nobody)."""
    cur.execute(UPSERT_SPEAKER, [dialogue_id, speaker, person_id])


def list_speakers(cur: Cursor, dialogue_id: int) -> list[dict[str, Any]]:
    """A dialogue's speaker labels and the people they map to."""
    return cur.all(SELECT_SPEAKERS, [dialogue_id])


DELETE_SPEAKER = "DELETE FROM dialogue_speakers WHERE dialogue_id = ? AND speaker = ?"
RELABEL_TURNS = "UPDATE turns SET speaker = ? WHERE dialogue_id = ? AND speaker = ?"
RELABEL_CANDIDATES = "UPDATE candidates SET speaker = ? WHERE dialogue_id = ? AND speaker = ?"


def delete_speaker(cur: Cursor, dialogue_id: int, speaker: str) -> None:
    """Remove a speaker label (and its person mapping) from a dialogue."""
    cur.execute(DELETE_SPEAKER, [dialogue_id, speaker])


def relabel_speaker(cur: Cursor, dialogue_id: int, old: str, new: str) -> None:
    """Give a dialogue's turns and candidates labelled ``old`` the label ``new``."""
    cur.execute(RELABEL_TURNS, [new, dialogue_id, old])
    cur.execute(RELABEL_CANDIDATES, [new, dialogue_id, old])


INSERT_CANDIDATES = """
INSERT INTO candidates (dialogue_id, kind, speaker, quote, start_offset, end_offset,
                        summary, stance, credence, score, created_at)
SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),
       unnest(?::INTEGER[]), unnest(?::INTEGER[]), unnest(?::VARCHAR[]),
       unnest(?::VARCHAR[]), unnest(?::DOUBLE[]), unnest(?::DOUBLE[]), ?
"""
CANDIDATE_COLUMNS = (
    "kind", "speaker", "quote", "start_offset", "end_offset", "summary", "stance", "credence",
    "score",
)  # fmt: skip
SELECT_CANDIDATES = """
SELECT * FROM candidates
WHERE (? IS NULL OR dialogue_id = ?) AND (? IS NULL OR status = ?)
ORDER BY dialogue_id, score DESC, id
"""
SELECT_CRUX_SOURCES = """
SELECT * FROM candidates WHERE crux_id = ? AND status IN ('accepted', 'merged') ORDER BY id
"""
SELECT_CANDIDATE = "SELECT * FROM candidates WHERE id = ?"
UPDATE_CANDIDATE_REVIEW = """
UPDATE candidates SET status = ?, crux_id = ?, project_id = ?, reviewed_at = ?
WHERE id = ? AND status = 'pending'
RETURNING *
"""


def insert_candidates(cur: Cursor, dialogue_id: int, candidates: list[dict[str, Any]]) -> None:
    """Insert extracted candidates (keys as in the candidates table) in one statement, in order."""
    if candidates:
        columns = [[c.get(name) for c in candidates] for name in CANDIDATE_COLUMNS]
        cur.execute(INSERT_CANDIDATES, [dialogue_id, *columns, now()])


def list_candidates(
    cur: Cursor, dialogue_id: int | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Candidates, best first within each dialogue, optionally filtered."""
    return cur.all(SELECT_CANDIDATES, [dialogue_id, dialogue_id, status, status])


def crux_sources(cur: Cursor, crux_id: int) -> list[dict[str, Any]]:
    """The candidates accepted as, or merged into, a crux: where it was said."""
    return cur.all(SELECT_CRUX_SOURCES, [crux_id])


def get_candidate(cur: Cursor, candidate_id: int) -> dict[str, Any] | None:
    """One candidate by id."""
    return cur.one(SELECT_CANDIDATE, [candidate_id])


def review_candidate(
    cur: Cursor,
    candidate_id: int,
    status: str,
    crux_id: int | None = None,
    project_id: int | None = None,
) -> dict[str, Any] | None:
    """Mark a pending candidate reviewed; None if it was no longer pending."""
    return cur.one(UPDATE_CANDIDATE_REVIEW, [status, crux_id, project_id, now(), candidate_id])
