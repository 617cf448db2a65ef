"""Runs, their metrics (long format: run, name, step, value) and each metric's final value.

The run state columns (status, heartbeat, progress, job handle, recorded time) are
written only through ``experiments.lifecycle``; every page and command reads them
here. List views are filtered, sorted and paginated in SQL and come back as Arrow
tables: no Python object per run. Sort keys and metric operators come from
allow-lists; metric names, tags and every value are bound parameters.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pyarrow as pa

from db.store import Cursor
from db.util import now

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")

INSERT_RUN = """
INSERT INTO runs (project_id, template, config, seed, device, executor, created_at, progress)
VALUES (?, ?, ?, ?, ?, ?, ?, 0.0) RETURNING *
"""
SET_JOB = "UPDATE runs SET job_id = ? WHERE id = ?"
SELECT_RUN = "SELECT * FROM runs WHERE id = ?"
SELECT_RUN_IDS = """
SELECT id FROM runs WHERE NOT ? OR (status IN ('succeeded', 'failed', 'cancelled')
                                    AND ingested_at IS NOT NULL)
ORDER BY id
"""
SELECT_ACTIVE = """
SELECT id, status, executor, job_id, created_at, started_at, heartbeat_at, progress, message
FROM runs WHERE status IN ('queued', 'running') AND ingested_at IS NULL
  AND (? IS NULL OR id IN (SELECT unnest(?::BIGINT[])))
ORDER BY id
"""
HEARTBEAT = """
UPDATE runs SET heartbeat_at = $at, progress = coalesce($progress, progress),
       message = coalesce($message, message),
       status = CASE WHEN $started IS NULL THEN status ELSE 'running' END,
       started_at = coalesce(started_at, $started), device = coalesce($device, device)
WHERE id = $id AND status IN ('queued', 'running') AND ingested_at IS NULL
"""
FINISH = """
UPDATE runs SET status = $status, error = $error, device = coalesce($device, device),
       started_at = coalesce(started_at, $started), finished_at = $finished,
       ingested_at = $now, progress = CASE WHEN $status = 'succeeded' THEN 1.0 ELSE progress END
WHERE id = $id AND ingested_at IS NULL
RETURNING id
"""
INSERT_METRICS = "INSERT INTO run_metrics SELECT ?, name, step, value FROM _metrics"
INSERT_FINALS = "INSERT INTO run_finals SELECT ?, name, step, value FROM _finals"


def insert_run(
    cur: Cursor,
    project_id: int | None,
    template: str,
    config_json: str,
    seed: int,
    device: str,
    executor: str,
) -> dict[str, Any]:
    """Insert a queued run and return the row."""
    return cur.one(INSERT_RUN, [project_id, template, config_json, seed, device, executor, now()])


def set_job(cur: Cursor, run_id: int, job_id: str | None) -> None:
    """Remember the executor's handle for a run's worker (a pid, a cluster job id)."""
    cur.execute(SET_JOB, [job_id, run_id])


def get_run(cur: Cursor, run_id: int) -> dict[str, Any] | None:
    """One run by id."""
    return cur.one(SELECT_RUN, [run_id])


def run_ids(cur: Cursor, *, finished: bool = False) -> list[int]:
    """Every run id (or every recorded finished run's), ascending."""
    return [r["id"] for r in cur.all(SELECT_RUN_IDS, [finished])]


def active_runs(cur: Cursor, ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Queued and running runs not yet recorded (optionally only these ids)."""
    chosen = None if ids is None else list(ids)
    return cur.all(SELECT_ACTIVE, [chosen, chosen])


def heartbeat(
    cur: Cursor,
    run_id: int,
    *,
    at: datetime,
    progress: float | None,
    message: str | None,
    started: datetime | None,
    device: str | None,
) -> None:
    """Record a live run's heartbeat and progress; ``started`` moves it from queued to running."""
    params = {
        "at": at,
        "progress": progress,
        "message": message,
        "started": started,
        "device": device,
        "id": run_id,
    }
    cur.execute(HEARTBEAT, params)


def finish(
    cur: Cursor,
    run_id: int,
    *,
    status: str,
    error: str | None,
    device: str | None,
    started_at: datetime | None,
    finished_at: datetime | None,
    metrics: pa.Table | None = None,
    finals: pa.Table | None = None,
) -> bool:
    """Record a finished run and its metrics once; False if it had already been recorded."""
    params = {
        "status": status,
        "error": error,
        "device": device,
        "started": started_at,
        "finished": finished_at,
        "now": now(),
        "id": run_id,
    }
    if cur.one(FINISH, params) is None:
        return False
    bulk = (("_metrics", metrics, INSERT_METRICS), ("_finals", finals, INSERT_FINALS))
    for name, table, sql in bulk:
        if table is not None and table.num_rows:
            with cur.registered(name, table):
                cur.execute(sql, [run_id])
    return True


# A metrics.jsonl read by DuckDB's own reader, outside any transaction on the store:
# a torn last line (a worker killed mid-write) is skipped.
READ_METRICS = """
SELECT name, step, value FROM read_json(?, format = 'newline_delimited', ignore_errors = true,
    columns = {name: 'VARCHAR', step: 'BIGINT', value: 'DOUBLE'})
WHERE name IS NOT NULL AND step IS NOT NULL
"""
FINALS_OF = "SELECT name, max(step) AS step, arg_max(value, step) AS value FROM m GROUP BY name"


def empty_metrics() -> pa.Table:
    """An Arrow table of no metric rows (name, step, value)."""
    import pyarrow as pa  # imported when used: most commands never touch Arrow

    schema = pa.schema([("name", pa.string()), ("step", pa.int64()), ("value", pa.float64())])
    return schema.empty_table()


_parser: duckdb.DuckDBPyConnection | None = None
_parser_lock = threading.Lock()


def _parse_cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on this process's in-memory DuckDB (made once: making one costs ~0.1 s)."""
    global _parser
    with _parser_lock:
        if _parser is None:
            _parser = duckdb.connect(":memory:")
        return _parser.cursor()


def read_metrics_file(path: Path) -> tuple[pa.Table, pa.Table]:
    """A metrics.jsonl as Arrow (name, step, value) and each metric's final value."""
    if not path.exists() or path.stat().st_size == 0:
        return empty_metrics(), empty_metrics()
    with _parse_cursor() as mem:
        metrics = mem.sql(READ_METRICS, params=[str(path)]).to_arrow_table()
        mem.register("m", metrics)
        finals = mem.sql(FINALS_OF).to_arrow_table()
        mem.unregister("m")
    return metrics, finals


SELECT_METRICS = "SELECT name, step, value FROM run_metrics WHERE run_id = ? ORDER BY name, step"
SELECT_FINALS = "SELECT name, value FROM run_finals WHERE run_id = ? ORDER BY name"
SELECT_FINALS_OF = """
SELECT run_id, name, value FROM run_finals WHERE run_id IN (SELECT unnest(?::BIGINT[]))
ORDER BY run_id, name
"""
SELECT_METRIC_NAMES = "SELECT DISTINCT name FROM run_finals ORDER BY name"
SELECT_CURVE_SHAPE = """
SELECT name, count(*) AS n, min(step) AS first, max(step) AS last
FROM run_metrics WHERE run_id = ? GROUP BY name ORDER BY name
"""
# Long curves are drawn from at most a few thousand points per metric: the mean of
# each bucket of consecutive steps, at the bucket's first step.
SELECT_CURVES = """
SELECT name, min(step) AS step, avg(value) AS value, count(*) AS n
FROM run_metrics WHERE run_id = ? AND list_contains(?, name)
GROUP BY name, step // ? ORDER BY name, step
"""


def run_metrics(cur: Cursor, run_id: int) -> list[dict[str, Any]]:
    """Every metric row of a run."""
    return cur.all(SELECT_METRICS, [run_id])


def final_metrics(cur: Cursor, run_id: int) -> dict[str, float]:
    """Each metric's value at its last step."""
    return {r["name"]: r["value"] for r in cur.all(SELECT_FINALS, [run_id])}


def finals_of(cur: Cursor, ids: Sequence[int]) -> pa.Table:
    """(run_id, name, value) of each metric's final value, for these runs."""
    return cur.arrow(SELECT_FINALS_OF, [list(ids)])


# ``_page`` (id, pos): the runs of a page and their places in it.
SELECT_FINAL_NAMES = """
SELECT DISTINCT name FROM run_finals f SEMI JOIN _page w ON w.id = f.run_id ORDER BY name
"""
FINALS_BY_POSITION = """
SELECT {columns}
FROM _page w LEFT JOIN run_finals f ON f.run_id = w.id
GROUP BY w.pos ORDER BY w.pos
"""


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def final_columns(cur: Cursor, page: pa.Table) -> pa.Table | None:
    """A table with one row per run of ``page`` (a ``page()`` result: ``id`` and ``pos``), in
    its order, and one column per metric those runs reported, holding its final value (null
    where a run did not report it); None if they reported none. Built in the database from
    the page's own Arrow columns: no Python object per value (and no pandas, which pyarrow
    imports to convert any Python value)."""
    with cur.registered("_page", page.select(["id", "pos"])):
        names = [r["name"] for r in cur.all(SELECT_FINAL_NAMES)]
        if not names:
            return None
        columns = ", ".join(
            f"max(f.value) FILTER (WHERE f.name = ?) AS {_identifier(name)}" for name in names
        )
        return cur.arrow(FINALS_BY_POSITION.format(columns=columns), names)


def metric_names(cur: Cursor) -> list[str]:
    """Every metric name any recorded run has."""
    return [r["name"] for r in cur.all(SELECT_METRIC_NAMES)]


def curve_shape(cur: Cursor, run_id: int) -> list[dict[str, Any]]:
    """Per metric of a run: how many steps, the first and the last."""
    return cur.all(SELECT_CURVE_SHAPE, [run_id])


def curves(cur: Cursor, run_id: int, names: Sequence[str], bucket: int) -> pa.Table:
    """(name, step, value, n) per bucket of ``bucket`` consecutive steps of these metrics."""
    return cur.arrow(SELECT_CURVES, [run_id, list(names), max(1, bucket)])


# The runs table. ``{where}``, ``{sort_join}``, ``{order}`` and ``{direction}`` are filled
# only from the allow-lists below; everything else is a bound parameter.
SORTS = {
    "id": "r.id",
    "project": "r.project_id",
    "project_title": "p.title",
    "person": "a.name",
    "template": "r.template",
    "status": "r.status",
    "progress": "r.progress",
    "seed": "r.seed",
    "device": "r.device",
    "created_at": "r.created_at",
    "started_at": "r.started_at",
    "finished_at": "r.finished_at",
    "heartbeat_at": "r.heartbeat_at",
}
OPERATORS = {">": ">", ">=": ">=", "<": "<", "<=": "<=", "=": "=", "==": "=", "!=": "<>"}
FROM_RUNS = """
FROM runs r
LEFT JOIN projects p ON p.id = r.project_id
LEFT JOIN people a ON a.id = p.assignee_id
"""
SELECT_PAGE = """
WITH chosen AS (
    SELECT r.id, {order} AS sort_value, p.title AS project_title, a.name AS person
    {from_runs} {sort_join}
    WHERE {where}
    ORDER BY sort_value {direction} NULLS LAST, r.id {direction}
    LIMIT ? OFFSET ?
)
SELECT r.id, r.project_id, c.project_title, c.person, r.template, r.status, r.progress,
       r.message, r.seed, r.device, r.error, r.created_at, r.started_at, r.finished_at,
       r.heartbeat_at, coalesce(t.tags, []) AS tags, o.id AS outcome_id,
       row_number() OVER (ORDER BY c.sort_value {direction} NULLS LAST, r.id {direction}) AS pos
FROM chosen c
JOIN runs r ON r.id = c.id
LEFT JOIN tag_lists t ON t.kind = 'run' AND t.entity_id = r.id
LEFT JOIN outcomes o ON o.run_id = r.id
ORDER BY c.sort_value {direction} NULLS LAST, r.id {direction}
"""
SELECT_COUNTS = """
SELECT r.status, r.template, count(*) AS n {from_runs} WHERE {where} GROUP BY ALL
"""
SORT_BY_METRIC = "LEFT JOIN run_finals s ON s.run_id = r.id AND s.name = ?"


def _where(
    *,
    project_id: int | None = None,
    template: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    person_id: int | None = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    metrics: Sequence[tuple[str, str, float]] = (),
    params: Sequence[tuple[str, str, float | str]] = (),
    ids: Sequence[int] | None = None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    bound: list[Any] = []

    def add(clause: str, *values: Any) -> None:
        clauses.append(clause)
        bound.extend(values)

    simple = {
        "r.project_id = ?": project_id,
        "r.template = ?": template,
        "r.status = ?": status,
        "r.id IN (SELECT entity_id FROM current_tags WHERE kind = 'run' AND tag = ?)": tag,
        "p.assignee_id = ?": person_id,
        "r.created_at >= ?": created_from,
        "r.created_at < ?": created_before,
    }
    for clause, value in simple.items():
        if value is not None:
            add(clause, value)
    for name, op, value in metrics:
        add(
            f"r.id IN (SELECT run_id FROM run_finals WHERE name = ? AND value {OPERATORS[op]} ?)",
            name,
            value,
        )
    for path, op, value in params:  # path: a JSON path such as '$.n_sequences'
        key = "json_extract_string(r.config, ?)"
        key = key if isinstance(value, str) else f"TRY_CAST({key} AS DOUBLE)"
        add(f"{key} {OPERATORS[op]} ?", path, value)
    if ids is not None:
        add("r.id IN (SELECT unnest(?::BIGINT[]))", list(ids))
    return " AND ".join(clauses) or "true", bound


def page(
    cur: Cursor,
    *,
    sort: str = "id",
    sort_metric: str | None = None,
    descending: bool = True,
    limit: int | None = 50,
    offset: int = 0,
    **filters: Any,
) -> pa.Table:
    """One page of runs (filtered, sorted by a column or a metric's final value) as Arrow, each
    row numbered ``pos`` in the page's order (what ``final_columns`` places metrics by)."""
    where, params = _where(**filters)
    direction = "DESC" if descending else "ASC"
    if sort_metric is not None:
        order, sort_join, head = "s.value", SORT_BY_METRIC, [sort_metric]
    else:
        order, sort_join, head = SORTS[sort], "", []
    sql = SELECT_PAGE.format(
        order=order, from_runs=FROM_RUNS, sort_join=sort_join, where=where, direction=direction
    )
    return cur.arrow(sql, [*head, *params, limit, offset])


def counts(cur: Cursor, **filters: Any) -> list[dict[str, Any]]:
    """(status, template, n) for the runs these filters keep."""
    where, params = _where(**filters)
    return cur.all(SELECT_COUNTS.format(from_runs=FROM_RUNS, where=where), params)


SELECT_COMPARED = """
SELECT id, project_id, template, status, seed, device, config FROM runs
WHERE id IN (SELECT unnest(?::BIGINT[])) ORDER BY id
"""


def compared(cur: Cursor, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The config and identity of each of these runs (the ones that exist), by id."""
    return cur.all(SELECT_COMPARED, [list(ids)])


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
LIMIT ?
"""
SELECT_REPORT_RUNS = """
SELECT r.id, r.project_id, p.title AS project_title, r.template, r.status, r.created_at,
       r.finished_at, o.id AS outcome_id, count(*) OVER (PARTITION BY r.project_id) AS n_of_project
FROM runs r
LEFT JOIN projects p ON p.id = r.project_id
LEFT JOIN outcomes o ON o.run_id = r.id
QUALIFY row_number() OVER (PARTITION BY r.project_id ORDER BY r.id DESC) <= ? OR o.id IS NOT NULL
ORDER BY r.id DESC
"""
COUNT_RUN_ROWS = """
SELECT count(*) FROM runs r
LEFT JOIN projects p ON p.id = r.project_id
WHERE (? IS NULL OR p.assignee_id = ?) AND (? IS NULL OR r.project_id = ?)
  AND (NOT ? OR (r.status = 'succeeded'
                 AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.run_id = r.id)))
"""


def run_rows(
    cur: Cursor,
    *,
    assignee_id: int | None = None,
    project_id: int | None = None,
    awaiting_outcome: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Runs, newest first (at most ``limit``), with project title, tags, notes and outcome id."""
    params = [assignee_id, assignee_id, project_id, project_id, awaiting_outcome, limit]
    return cur.all(SELECT_RUN_ROWS, params)


def report_runs(cur: Cursor, per_project: int) -> list[dict[str, Any]]:
    """Each project's newest ``per_project`` runs and every run with an outcome, newest first,
    with ``n_of_project``: how many runs the project has in all."""
    return cur.all(SELECT_REPORT_RUNS, [per_project])


def count_run_rows(
    cur: Cursor,
    *,
    assignee_id: int | None = None,
    project_id: int | None = None,
    awaiting_outcome: bool = False,
) -> int:
    """How many runs ``run_rows`` would return without a limit."""
    params = [assignee_id, assignee_id, project_id, project_id, awaiting_outcome]
    return cur.scalar(COUNT_RUN_ROWS, params)
