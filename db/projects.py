"""Projects, the cruxes they inform, and their pre-registered predictions."""

from typing import Any

from db.store import Cursor
from db.util import now

INSERT_PROJECT = """
INSERT INTO projects (title, summary, mentor_id, created_at, updated_at)
VALUES (?, ?, ?, ?, ?) RETURNING *
"""
SELECT_PROJECTS = """
SELECT p.*, m.name AS mentor_name, a.name AS assignee_name
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
INSERT_LINK = "INSERT INTO project_cruxes VALUES (?, ?) ON CONFLICT DO NOTHING"
SELECT_LINKED_CRUXES = """
SELECT c.* FROM project_cruxes pc JOIN cruxes c ON c.id = pc.crux_id
WHERE pc.project_id = ? ORDER BY c.id
"""
SELECT_PROJECTS_FOR_CRUX = """
SELECT p.* FROM project_cruxes pc JOIN projects p ON p.id = pc.project_id
WHERE pc.crux_id = ? ORDER BY p.id
"""


def insert_project(cur: Cursor, title: str, summary: str, mentor_id: int | None) -> dict:
    """Insert a proposed project and return the row."""
    stamp = now()
    return cur.one(INSERT_PROJECT, [title, summary, mentor_id, stamp, stamp])


def list_projects(cur: Cursor) -> list[dict[str, Any]]:
    """Every project with its mentor's and assignee's names."""
    return cur.all(SELECT_PROJECTS, [None, None])


def get_project(cur: Cursor, project_id: int) -> dict[str, Any] | None:
    """One project with its mentor's and assignee's names."""
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


def link_crux(cur: Cursor, project_id: int, crux_id: int) -> None:
    """Record that a project informs a crux (idempotent)."""
    cur.execute(INSERT_LINK, [project_id, crux_id])


def linked_cruxes(cur: Cursor, project_id: int) -> list[dict[str, Any]]:
    """The cruxes a project informs."""
    return cur.all(SELECT_LINKED_CRUXES, [project_id])


def projects_for_crux(cur: Cursor, crux_id: int) -> list[dict[str, Any]]:
    """The projects that inform a crux."""
    return cur.all(SELECT_PROJECTS_FOR_CRUX, [crux_id])


INSERT_PREDICTION = """
INSERT INTO predictions (project_id, crux_id, person_id, metric, op, threshold, p_positive,
                         if_positive, if_negative, note, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
"""
SELECT_PREDICTIONS = """
SELECT pr.*, p.name AS person_name,
       row_number() OVER (PARTITION BY pr.crux_id, pr.person_id ORDER BY pr.id DESC) = 1
           AS is_current
FROM predictions pr JOIN people p ON p.id = pr.person_id
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
        now(),
    ]
    return cur.one(INSERT_PREDICTION, params)


def list_predictions(cur: Cursor, project_id: int) -> list[dict[str, Any]]:
    """Every prediction row of a project; ``is_current`` marks the latest per crux and person."""
    return cur.all(SELECT_PREDICTIONS, [project_id])
