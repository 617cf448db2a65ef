"""Runs and their metrics (long format: run, name, step, value)."""

from collections.abc import Iterable
from typing import Any

from db.store import Cursor
from db.util import now

INSERT_RUN = """
INSERT INTO runs (project_id, template, config, seed, device, created_at)
VALUES (?, ?, ?, ?, ?, ?) RETURNING *
"""
SELECT_RUNS = """
SELECT * FROM runs
WHERE (? IS NULL OR project_id = ?) AND (? IS NULL OR status = ?)
ORDER BY id
"""
SELECT_RUN = "SELECT * FROM runs WHERE id = ?"
MARK_STARTED = """
UPDATE runs SET status = 'running', started_at = ?, device = ?
WHERE id = ? AND status = 'queued'
"""
MARK_FINISHED = """
UPDATE runs SET status = ?, error = ?, device = coalesce(?, device),
       started_at = coalesce(started_at, ?), finished_at = ?, ingested_at = ?
WHERE id = ? AND ingested_at IS NULL
RETURNING *
"""
INSERT_METRIC = "INSERT INTO run_metrics VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
SELECT_METRICS = "SELECT name, step, value FROM run_metrics WHERE run_id = ? ORDER BY name, step"
SELECT_FINAL_METRICS = """
SELECT name, arg_max(value, step) AS value FROM run_metrics WHERE run_id = ? GROUP BY name
"""
SELECT_ALL_FINAL_METRICS = """
SELECT m.run_id, m.name, arg_max(m.value, m.step) AS value
FROM run_metrics m JOIN runs r ON r.id = m.run_id
WHERE ? IS NULL OR r.project_id = ?
GROUP BY m.run_id, m.name
"""


def insert_run(
    cur: Cursor, project_id: int | None, template: str, config_json: str, seed: int, device: str
) -> dict[str, Any]:
    """Insert a queued run and return the row."""
    return cur.one(INSERT_RUN, [project_id, template, config_json, seed, device, now()])


def list_runs(
    cur: Cursor, project_id: int | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Runs, oldest first, optionally filtered by project or status."""
    return cur.all(SELECT_RUNS, [project_id, project_id, status, status])


def get_run(cur: Cursor, run_id: int) -> dict[str, Any] | None:
    """One run by id."""
    return cur.one(SELECT_RUN, [run_id])


def mark_started(cur: Cursor, run_id: int, started_at: Any, device: str) -> None:
    """Move a queued run to running."""
    cur.execute(MARK_STARTED, [started_at, device, run_id])


def record_result(
    cur: Cursor,
    run_id: int,
    *,
    status: str,
    error: str | None,
    device: str | None,
    started_at: Any,
    finished_at: Any,
    metrics: Iterable[tuple[str, int, float]],
) -> bool:
    """Record a finished run once; returns False if it had already been recorded."""
    row = cur.one(MARK_FINISHED, [status, error, device, started_at, finished_at, now(), run_id])
    if row is None:
        return False
    for name, step, value in metrics:
        cur.execute(INSERT_METRIC, [run_id, name, step, value])
    return True


def run_metrics(cur: Cursor, run_id: int) -> list[dict[str, Any]]:
    """Every metric row of a run."""
    return cur.all(SELECT_METRICS, [run_id])


def final_metrics(cur: Cursor, run_id: int) -> dict[str, float]:
    """Each metric's value at its last step."""
    return {r["name"]: r["value"] for r in cur.all(SELECT_FINAL_METRICS, [run_id])}


def final_metrics_by_run(cur: Cursor, project_id: int | None = None) -> dict[int, dict]:
    """Run id → each metric's value at its last step, for every run (or one project's)."""
    result: dict[int, dict] = {}
    for r in cur.all(SELECT_ALL_FINAL_METRICS, [project_id, project_id]):
        result.setdefault(r["run_id"], {})[r["name"]] = r["value"]
    return result


SELECT_RUN_ROWS = """
SELECT r.id, r.project_id, p.title AS project_title, r.template, r.status, r.created_at,
       r.finished_at, coalesce(t.tags, []) AS tags, coalesce(n.n_notes, 0) AS n_notes,
       n.latest_note, o.id AS outcome_id
FROM runs r
LEFT JOIN projects p ON p.id = r.project_id
LEFT JOIN outcomes o ON o.run_id = r.id
LEFT JOIN tag_lists t ON t.kind = 'run' AND t.entity_id = r.id
LEFT JOIN note_summaries n ON n.kind = 'run' AND n.entity_id = r.id
WHERE (? IS NULL OR p.assignee_id = ?) AND (? IS NULL OR r.project_id = ?)
  AND (NOT ? OR (r.status = 'succeeded' AND o.id IS NULL))
ORDER BY r.id DESC
"""


def run_rows(
    cur: Cursor,
    *,
    assignee_id: int | None = None,
    project_id: int | None = None,
    awaiting_outcome: bool = False,
) -> list[dict[str, Any]]:
    """Runs, newest first, with project title, tags, notes and outcome id (database state)."""
    params = [assignee_id, assignee_id, project_id, project_id, awaiting_outcome]
    return cur.all(SELECT_RUN_ROWS, params)
