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
JOIN outcomes o ON o.id = e.outcome_id
JOIN people p ON p.id = e.person_id
JOIN cruxes c ON c.id = e.crux_id
JOIN predictions pr ON pr.id = e.prediction_id
WHERE (? IS NULL OR e.outcome_id = ?) AND (? IS NULL OR o.project_id = ?)
ORDER BY e.outcome_id, e.crux_id, p.name
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


def list_evaluations(
    cur: Cursor, outcome_id: int | None = None, project_id: int | None = None
) -> list[dict[str, Any]]:
    """Evaluated predictions (of one outcome, one project's, or all) and whether applied."""
    return cur.all(SELECT_EVALUATIONS, [outcome_id, outcome_id, project_id, project_id])


SELECT_TIMELINE = """
SELECT o.id AS outcome_id, o.project_id, p.title AS project_title, o.run_id, r.template,
       o.note, o.created_at,
       count(e.prediction_id) AS n_evaluations,
       count(e.prediction_id) FILTER (WHERE e.positive) AS n_positive,
       (SELECT count(*) FROM credences c WHERE c.outcome_id = o.id) AS n_applied
FROM outcomes o
JOIN projects p ON p.id = o.project_id
JOIN runs r ON r.id = o.run_id
LEFT JOIN outcome_evaluations e ON e.outcome_id = o.id
WHERE (? IS NULL OR o.created_at >= ?) AND (? IS NULL OR o.created_at < ?)
GROUP BY ALL
ORDER BY o.created_at, o.id
"""
# An evaluation matches a tag on its crux, its project or its run.
SELECT_RESOLVED = """
SELECT e.outcome_id, o.run_id, e.prediction_id, o.project_id, p.title AS project_title,
       e.crux_id, who.name AS person_name, pr.p_positive, e.positive,
       o.created_at AS resolved_at
FROM outcome_evaluations e
JOIN outcomes o ON o.id = e.outcome_id
JOIN predictions pr ON pr.id = e.prediction_id
JOIN people who ON who.id = e.person_id
JOIN projects p ON p.id = o.project_id
WHERE ? IS NULL OR EXISTS (
    SELECT 1 FROM current_tags t
    WHERE t.tag = ? AND ((t.kind = 'crux' AND t.entity_id = e.crux_id)
                      OR (t.kind = 'project' AND t.entity_id = o.project_id)
                      OR (t.kind = 'run' AND t.entity_id = o.run_id)))
ORDER BY o.created_at, e.outcome_id, who.name, e.crux_id
"""


def timeline(cur: Cursor, start: Any = None, end: Any = None) -> list[dict[str, Any]]:
    """Outcomes recorded in [start, end), oldest first, with their counts."""
    return cur.all(SELECT_TIMELINE, [start, start, end, end])


def resolved_predictions(cur: Cursor, tag: str | None = None) -> list[dict[str, Any]]:
    """Every evaluated prediction with the probability given and whether it came out positive."""
    return cur.all(SELECT_RESOLVED, [tag, tag])
