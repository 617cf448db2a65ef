"""Outcomes: a finished run checked against a project's frozen predictions."""

from typing import Any

from db.store import Cursor
from db.util import now

INSERT_OUTCOME = """
INSERT INTO outcomes (project_id, run_id, note, created_at) VALUES (?, ?, ?, ?) RETURNING *
"""
INSERT_EVALUATION = """
INSERT INTO outcome_evaluations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
SELECT_OUTCOMES = """
SELECT * FROM outcomes WHERE (? IS NULL OR project_id = ?) ORDER BY id
"""
SELECT_OUTCOME = "SELECT * FROM outcomes WHERE id = ?"
SELECT_OUTCOME_FOR_RUN = "SELECT * FROM outcomes WHERE run_id = ?"
SELECT_EVALUATIONS = """
SELECT e.*, p.name AS person_name, c.statement AS crux_statement,
       pr.op, pr.threshold, pr.p_positive,
       EXISTS (SELECT 1 FROM credences cr WHERE cr.outcome_id = e.outcome_id
               AND cr.crux_id = e.crux_id AND cr.person_id = e.person_id) AS applied
FROM outcome_evaluations e
JOIN people p ON p.id = e.person_id
JOIN cruxes c ON c.id = e.crux_id
JOIN predictions pr ON pr.id = e.prediction_id
WHERE e.outcome_id = ?
ORDER BY e.crux_id, p.name
"""


def insert_outcome(cur: Cursor, project_id: int, run_id: int, note: str | None) -> dict:
    """Insert an outcome and return the row."""
    return cur.one(INSERT_OUTCOME, [project_id, run_id, note, now()])


def insert_evaluation(cur: Cursor, outcome_id: int, e: dict[str, Any]) -> None:
    """Record how one prediction came out under an outcome."""
    cur.execute(
        INSERT_EVALUATION,
        [
            outcome_id,
            e["prediction_id"],
            e["person_id"],
            e["crux_id"],
            e["metric"],
            e["value"],
            e["positive"],
            e["credence_before"],
            e["proposed"],
        ],
    )


def list_outcomes(cur: Cursor, project_id: int | None = None) -> list[dict[str, Any]]:
    """Outcomes, oldest first, optionally for one project."""
    return cur.all(SELECT_OUTCOMES, [project_id, project_id])


def get_outcome(cur: Cursor, outcome_id: int) -> dict[str, Any] | None:
    """One outcome by id."""
    return cur.one(SELECT_OUTCOME, [outcome_id])


def outcome_for_run(cur: Cursor, run_id: int) -> dict[str, Any] | None:
    """The outcome recorded from a run, if any."""
    return cur.one(SELECT_OUTCOME_FOR_RUN, [run_id])


def list_evaluations(cur: Cursor, outcome_id: int) -> list[dict[str, Any]]:
    """An outcome's evaluated predictions with whether each update was applied."""
    return cur.all(SELECT_EVALUATIONS, [outcome_id])
