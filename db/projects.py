"""Projects, the cruxes they inform, and their pre-registered predictions."""

from typing import Any

from db.store import Cursor
from db.util import now

INSERT_PROJECT = """
INSERT INTO projects (title, summary, mentor_id, effort_days, due_date, blind_predictions,
                      created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
"""
SELECT_PROJECTS = """
SELECT p.*, m.name AS mentor_name, a.name AS assignee_name,
       coalesce((SELECT list(pc.crux_id ORDER BY pc.crux_id) FROM project_cruxes pc
                 WHERE pc.project_id = p.id), []) AS crux_ids
FROM projects p
LEFT JOIN people m ON m.id = p.mentor_id
LEFT JOIN people a ON a.id = p.assignee_id
WHERE ? IS NULL OR p.id = ?
ORDER BY p.id
"""
UPDATE_PROJECT = """
UPDATE projects
SET status = ?, assignee_id = ?, predictions_frozen_at = ?, version = version + 1,
    updated_at = ?
WHERE id = ? AND version = ?
RETURNING *
"""
UPDATE_PLAN = """
UPDATE projects
SET effort_days = ?, due_date = ?, blind_predictions = ?, version = version + 1, updated_at = ?
WHERE id = ? AND version = ?
RETURNING *
"""
INSERT_LINK = "INSERT INTO project_cruxes VALUES (?, ?) ON CONFLICT DO NOTHING"
SELECT_PROJECTS_FOR_CRUX = """
SELECT p.* FROM project_cruxes pc JOIN projects p ON p.id = pc.project_id
WHERE pc.crux_id = ? ORDER BY p.id
"""


def insert_project(
    cur: Cursor,
    title: str,
    summary: str,
    mentor_id: int | None,
    *,
    effort_days: float | None = None,
    due_date: Any = None,
    blind_predictions: bool = False,
) -> dict:
    """Insert a proposed project and return the row."""
    stamp = now()
    params = [title, summary, mentor_id, effort_days, due_date, blind_predictions, stamp, stamp]
    return cur.one(INSERT_PROJECT, params)


def list_projects(cur: Cursor) -> list[dict[str, Any]]:
    """Every project with its mentor's and assignee's names and its linked crux ids."""
    return cur.all(SELECT_PROJECTS, [None, None])


def get_project(cur: Cursor, project_id: int) -> dict[str, Any] | None:
    """One project with its mentor's and assignee's names and its linked crux ids."""
    rows = cur.all(SELECT_PROJECTS, [project_id, project_id])
    return rows[0] if rows else None


def update_project(
    cur: Cursor,
    project_id: int,
    expected_version: int,
    *,
    status: str,
    assignee_id: int | None,
    predictions_frozen_at: Any,
) -> dict[str, Any] | None:
    """Write a project's mutable state if it is still at ``expected_version``; else None."""
    params = [status, assignee_id, predictions_frozen_at, now(), project_id, expected_version]
    return cur.one(UPDATE_PROJECT, params)


def update_plan(
    cur: Cursor,
    project_id: int,
    expected_version: int,
    *,
    effort_days: float | None,
    due_date: Any,
    blind_predictions: bool,
) -> dict[str, Any] | None:
    """Write a project's plan if it is still at ``expected_version``; else None."""
    params = [effort_days, due_date, blind_predictions, now(), project_id, expected_version]
    return cur.one(UPDATE_PLAN, params)


def link_crux(cur: Cursor, project_id: int, crux_id: int) -> None:
    """Record that a project informs a crux (idempotent)."""
    cur.execute(INSERT_LINK, [project_id, crux_id])


def projects_for_crux(cur: Cursor, crux_id: int) -> list[dict[str, Any]]:
    """The projects that inform a crux."""
    return cur.all(SELECT_PROJECTS_FOR_CRUX, [crux_id])


INSERT_PREDICTION = """
INSERT INTO predictions (project_id, crux_id, person_id, metric, op, threshold, p_positive,
                         if_positive, if_negative, note, entered_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
"""
SELECT_PREDICTIONS = """
SELECT pr.*, p.name AS person_name, e.name AS entered_by_name,
       row_number() OVER (PARTITION BY pr.crux_id, pr.person_id ORDER BY pr.id DESC) = 1
           AS is_current
FROM predictions pr JOIN people p ON p.id = pr.person_id
LEFT JOIN people e ON e.id = pr.entered_by
WHERE pr.project_id = ?
ORDER BY pr.id
"""


def insert_prediction(cur: Cursor, project_id: int, p: dict[str, Any]) -> dict[str, Any]:
    """Append one prediction row and return it."""
    params = [
        project_id,
        p["crux_id"],
        p["person_id"],
        p["metric"],
        p["op"],
        p["threshold"],
        p["p_positive"],
        p["if_positive"],
        p["if_negative"],
        p.get("note"),
        p.get("entered_by"),
        now(),
    ]
    return cur.one(INSERT_PREDICTION, params)


def list_predictions(cur: Cursor, project_id: int) -> list[dict[str, Any]]:
    """Every prediction row of a project; ``is_current`` marks the latest per crux and person."""
    return cur.all(SELECT_PREDICTIONS, [project_id])


SELECT_OPEN_PREDICTIONS = """
SELECT pr.*, p.name AS person_name, true AS is_current
FROM predictions pr
JOIN people p ON p.id = pr.person_id
JOIN projects pj ON pj.id = pr.project_id
WHERE list_contains(?, pj.status)
QUALIFY row_number() OVER (PARTITION BY pr.project_id, pr.crux_id, pr.person_id
                           ORDER BY pr.id DESC) = 1
ORDER BY pr.project_id, pr.crux_id, p.name
"""
SELECT_AWAITING = """
SELECT pj.id AS project_id, pj.title AS project_title, pj.status AS project_status,
       c.id AS crux_id, c.statement
FROM projects pj
JOIN project_cruxes pc ON pc.project_id = pj.id
JOIN cruxes c ON c.id = pc.crux_id
WHERE pj.predictions_frozen_at IS NULL AND pj.status <> 'done'
  AND NOT EXISTS (SELECT 1 FROM predictions pr
                  WHERE pr.project_id = pj.id AND pr.crux_id = c.id AND pr.person_id = ?)
ORDER BY pj.id, c.id
"""
SELECT_CARDS = """
WITH links AS (
    SELECT pc.project_id, list({'id': c.id, 'statement': c.statement} ORDER BY c.id) AS cruxes
    FROM project_cruxes pc JOIN cruxes c ON c.id = pc.crux_id
    GROUP BY pc.project_id
), latest_runs AS (
    SELECT project_id, count(*) AS n_runs, max(id) AS latest_run_id,
           arg_max(status, id) AS latest_run_status, arg_max(template, id) AS latest_run_template
    FROM runs GROUP BY project_id
)
SELECT p.id AS project_id, p.title, p.status, m.name AS mentor_name,
       a.name AS assignee_name, p.effort_days, p.due_date,
       coalesce(l.cruxes, []) AS cruxes, coalesce(t.tags, []) AS tags,
       coalesce(r.n_runs, 0) AS n_runs, r.latest_run_id, r.latest_run_status,
       r.latest_run_template, coalesce(n.n_notes, 0) AS n_notes, n.latest_note
FROM projects p
LEFT JOIN people m ON m.id = p.mentor_id
LEFT JOIN people a ON a.id = p.assignee_id
LEFT JOIN links l ON l.project_id = p.id
LEFT JOIN latest_runs r ON r.project_id = p.id
LEFT JOIN tag_lists t ON t.kind = 'project' AND t.entity_id = p.id
LEFT JOIN note_summaries n ON n.kind = 'project' AND n.entity_id = p.id
WHERE (? IS NULL OR m.id = ?) AND (? IS NULL OR a.id = ?)
  AND (? IS NULL OR list_contains(t.tags, ?))
ORDER BY p.id
"""


def open_predictions(cur: Cursor, statuses: list[str]) -> list[dict[str, Any]]:
    """The current prediction per project, crux and person, for projects in these statuses."""
    return cur.all(SELECT_OPEN_PREDICTIONS, [statuses])


def awaiting_predictions(cur: Cursor, person_id: int) -> list[dict[str, Any]]:
    """(project, crux) pairs of not-yet-frozen projects this person has not predicted."""
    return cur.all(SELECT_AWAITING, [person_id])


def cards(
    cur: Cursor,
    *,
    mentor_id: int | None = None,
    assignee_id: int | None = None,
    tag: str | None = None,
) -> list[dict[str, Any]]:
    """Every project (optionally filtered) with its cruxes, tags, latest run and notes."""
    params = [mentor_id, mentor_id, assignee_id, assignee_id, tag, tag]
    return cur.all(SELECT_CARDS, params)
