"""A run's life, and the only writer of its state in the database.

    queued ──▶ running ──▶ succeeded | failed | cancelled
      └─────────────────▶ failed | cancelled        (lost, cancelled or broken before starting)

The run folder (``experiments.folders``) is written first and the database
second, so a busy database or a stopped app loses nothing:

* ``launch`` — one unit of work: the caller's own writes (``prepare``, e.g. freezing
  the project's predictions), a queued run row, its ``config.json``, and the hand-over
  to an executor (``experiments.executors``) whose job handle is stored with the run.
  If the executor refuses, the transaction rolls back and the folder is removed: no
  run exists without a worker, and nothing the caller prepared is kept.
  ``launch_many`` does the same for a sweep's runs, handed over at once.
  ``create`` is the first half alone, inside a caller's transaction.
* ``heartbeat`` — a live worker's heartbeat and progress (it moves a queued run to
  running). Workers call it at a bounded rate and give up at once if the database is
  busy: the folder's ``heartbeat`` file says the same.
* ``record`` — a finished folder into the database exactly once: ``result.json``
  gives the final state, and a succeeded run's ``metrics.jsonl`` is parsed by
  DuckDB into Arrow *before* the write transaction, which then only inserts it.
* ``cancel`` — stop the worker through its executor, write a cancelled result (unless
  the worker's own result came first), record it.
* ``refresh`` — record finished folders the database missed and fail lost runs: a
  run whose executor says its worker is gone, or whose newest heartbeat (folder or
  database) is older than ``lost_after_s()``; a live run's folder heartbeat reaches
  the database here when its worker does not report there (a cluster job). It runs
  at start-up (``cruxes.workspace.start_up``), in the worker pool (each worker sweeps
  when it ends) and on an explicit refresh (``cruxlab run refresh``, the Runs page's
  button); never inside a read.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from db import runs as runs_table
from db.errors import CruxlabError, InvalidInput, NotFound, StoreBusy
from db.store import Cursor, Store
from db.util import now
from experiments.executors import Executor, Liveness, get_executor
from experiments.folders import RunFolder, read_json, write_json_atomic, write_json_once

STATES = ("queued", "running", "succeeded", "failed", "cancelled")
ACTIVE = runs_table.ACTIVE
FINISHED = runs_table.FINISHED
HEARTBEAT_S = 5.0  # a worker touches its heartbeat file this often
DEFAULT_LOST_AFTER_S = 120.0  # no heartbeat for this long: the worker is lost


def lost_after_s() -> float:
    """Seconds without a heartbeat after which a run is lost: ``$CRUXLAB_LOST_AFTER_S`` or 120."""
    return float(os.environ.get("CRUXLAB_LOST_AFTER_S") or DEFAULT_LOST_AFTER_S)


def home_of(store: Store) -> Path:
    """The data directory a store lives in (run folders sit beside the database)."""
    return store.path.parent


def create(
    cur: Cursor,
    home: Path,
    project_id: int | None,
    template: str,
    config: dict[str, Any],
    *,
    seed: int = 0,
    device: str = "auto",
    executor: str = "local",
) -> dict[str, Any]:
    """Insert a queued run inside the caller's transaction and write its config.json."""
    config_json = json.dumps(config)
    row = runs_table.insert_run(cur, project_id, template, config_json, seed, device, executor)
    folder = RunFolder.of(home, row["id"])
    folder.root.mkdir(parents=True, exist_ok=True)
    spec = {"run_id": row["id"], "project_id": project_id, "template": template}
    write_json_atomic(folder.config, {**spec, "config": config, "seed": seed, "device": device})
    return row


def launch(
    store: Store,
    project_id: int | None,
    template: str,
    config: dict[str, Any],
    *,
    seed: int = 0,
    device: str = "auto",
    executor: Executor | None = None,
    prepare: Callable[[Cursor], object] | None = None,
) -> int:
    """Create a run and hand it to its executor in one unit of work; return its id.

    ``prepare(cur)`` runs first in the same transaction. If anything fails — the
    caller's preparation, the executor's submission — nothing is kept: no run row,
    no folder, none of ``prepare``'s writes, and no worker left running.
    """
    [run_id] = launch_many(
        store,
        project_id,
        template,
        [(config, seed)],
        device=device,
        executor=executor,
        prepare=prepare,
    )
    return run_id


def launch_many(
    store: Store,
    project_id: int | None,
    template: str,
    runs: Sequence[tuple[dict[str, Any], int]],
    *,
    device: str = "auto",
    executor: Executor | None = None,
    prepare: Callable[[Cursor], object] | None = None,
) -> list[int]:
    """``launch`` for several runs (a sweep: one ``(config, seed)`` each) in one unit of
    work, handed to the executor at once (SLURM: one job array); return their ids."""
    home = home_of(store)
    executor = executor or get_executor(home=home)
    run_ids: list[int] = []
    jobs: list[str] = []
    try:
        with store.transaction() as cur:
            if prepare is not None:
                prepare(cur)
            for config, seed in runs:
                row = create(
                    cur, home, project_id, template, config, seed=seed, device=device,
                    executor=executor.name,
                )  # fmt: skip
                run_ids.append(row["id"])
            what = "run" if len(run_ids) == 1 else f"{len(run_ids)} runs"
            try:
                if hasattr(executor, "submit_many"):
                    jobs = executor.submit_many(home, run_ids)
                else:
                    for run_id in run_ids:
                        jobs.append(executor.submit(home, run_id))
            except CruxlabError:
                raise
            except Exception as exc:
                raise InvalidInput(
                    f"The {executor.name} executor could not start the {what} "
                    f"({type(exc).__name__}: {exc}); nothing was created."
                ) from exc
            for run_id, job in zip(run_ids, jobs, strict=True):
                runs_table.set_job(cur, run_id, job)
    except BaseException:
        for run_id, job in zip(run_ids, jobs, strict=False):
            # A cancelled result first: an executor that packs runs stops a job none needs.
            write_json_once(RunFolder.of(home, run_id).result, end_result("cancelled", None))
            executor.cancel(home, run_id, job)
        for run_id in run_ids:
            shutil.rmtree(RunFolder.of(home, run_id).root, ignore_errors=True)
        raise
    return run_ids


def heartbeat(
    store: Store,
    run_id: int,
    *,
    progress: float | None = None,
    message: str | None = None,
    started: datetime | None = None,
    device: str | None = None,
    at: datetime | None = None,
) -> bool:
    """Record that a run's worker lives (now, or ``at``), with its progress; ``started``
    marks it running.

    Returns False (and writes nothing) if the database stayed busy for the store's
    timeout: the worker's folder keeps the same information. A write transaction, so it
    takes turns with this process's other writes: in the owner a worker's heartbeat and
    a refresh's catch-up update the same row from two threads, and DuckDB refuses the
    second of two overlapping updates of a row.
    """
    try:
        with store.transaction() as cur:
            runs_table.heartbeat(
                cur,
                run_id,
                at=at or now(),
                progress=progress,
                message=message,
                started=started,
                device=device,
            )
    except StoreBusy:
        return False
    return True


def _stamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def record(store: Store, run_id: int) -> bool:
    """Record a finished run folder in the database once; False if there was nothing to do."""
    folder = RunFolder.of(home_of(store), run_id)
    result = read_json(folder.result)
    if result is None:
        return False
    with store.cursor() as cur:
        row = runs_table.get_run(cur, run_id)
    if row is None or row["ingested_at"] is not None:
        return False
    metrics = finals = None
    if result["status"] == "succeeded":
        # Parsed outside the write transaction, which then only inserts Arrow tables.
        # A run that did not succeed records no metrics, even those logged before it ended.
        metrics, finals = runs_table.read_metrics_file(folder.metrics)
    with store.transaction() as cur:
        return runs_table.finish(
            cur,
            run_id,
            status=result["status"],
            error=result.get("error"),
            device=result.get("device"),
            started_at=_stamp(result.get("started_at")),
            finished_at=_stamp(result.get("finished_at")),
            metrics=metrics,
            finals=finals,
        )


def end_result(status: str, error: str | None, **extra: Any) -> dict[str, Any]:
    """The content of a result.json."""
    return {
        "status": status,
        "error": error,
        "device": extra.get("device"),
        "started_at": extra.get("started_at"),
        "finished_at": now().isoformat(),
    }


def _executor(name: str | None) -> Executor | None:
    try:
        return get_executor(name or "local")
    except InvalidInput:
        return None  # a run started elsewhere by an executor this install lacks


def cancel(store: Store, run_id: int) -> str:
    """Stop a queued or running run; return its final status (the worker may have
    finished first, in which case that result stands)."""
    with store.cursor() as cur:
        row = runs_table.get_run(cur, run_id)
    if row is None:
        raise NotFound(f"No run {run_id}; see `cruxlab run list`.")
    if row["status"] not in ACTIVE or row["ingested_at"] is not None:
        raise InvalidInput(
            f"Run {run_id} is {row['status']}; only a queued or running run can be cancelled."
        )
    home = home_of(store)
    executor = _executor(row["executor"])
    if executor is not None:
        executor.cancel(home, run_id, row["job_id"])
    folder = RunFolder.of(home, run_id)
    write_json_once(folder.result, end_result("cancelled", "Cancelled by request."))
    record(store, run_id)
    with store.cursor() as cur:
        return runs_table.get_run(cur, run_id)["status"]


def _touched(folder: RunFolder) -> datetime | None:
    touched = folder.last_heartbeat()
    return None if touched is None else datetime(1970, 1, 1) + timedelta(seconds=touched)


def _age_s(run: dict[str, Any], folder: RunFolder, at: datetime) -> float:
    beats = [run["created_at"], run["heartbeat_at"], _touched(folder)]
    return (at - max(b for b in beats if b is not None)).total_seconds()


def catch_up(store: Store, run: dict[str, Any], folder: RunFolder) -> None:
    """Copy a live run's folder heartbeat (start, device, progress) into the database when
    it is newer than what the worker reported there (a cluster job reports nothing)."""
    touched = _touched(folder)
    if touched is None or (run["heartbeat_at"] is not None and touched <= run["heartbeat_at"]):
        return
    started = read_json(folder.heartbeat) or {}  # written once the run executes
    progress = read_json(folder.progress_file) or {}
    heartbeat(
        store,
        run["id"],
        progress=progress.get("fraction"),
        message=progress.get("message"),
        started=_stamp(started.get("started_at")),
        device=started.get("device"),
        at=touched,
    )


def lost_end(home: Path, run: dict[str, Any], lost_after: float) -> tuple[str, str] | None:
    """How an unfinished run (a row of ``db.runs.active_runs``) ended without a result, as
    ``(status, reason)``, or None if it is not lost.

    A run is lost when its executor says the worker is gone (the executor may know
    why: SLURM's cancellation or time limit), or when no heartbeat came for
    ``lost_after`` seconds (then a worker that still exists is stopped). A run its
    executor still holds in a queue is not expected to heartbeat.
    """
    folder = RunFolder.of(home, run["id"])
    age = _age_s(run, folder, now())
    executor = _executor(run["executor"])
    job = run["job_id"]
    liveness = Liveness.UNKNOWN if executor is None else executor.probe(home, run["id"], job)
    who = f"{run['executor']} job {job}" if job else "its worker"
    if liveness == Liveness.GONE:
        told = executor.end(home, run["id"], job) if hasattr(executor, "end") else None
        return told or ("failed", f"The worker ({who}) ended without writing a result.")
    if liveness == Liveness.WAITING or age <= lost_after:
        return None
    if liveness == Liveness.ALIVE:
        executor.cancel(home, run["id"], job)
        return "failed", f"The worker ({who}) sent no heartbeat for {age:.0f} s and was stopped."
    return "failed", f"No worker reported for {age:.0f} s (none was found for this run)."


def refresh(
    store: Store, ids: Sequence[int] | None = None, *, lost_after: float | None = None
) -> dict[int, str]:
    """Record finished folders the database missed and fail lost runs (all unfinished runs,
    or only ``ids``); return run id → the state recorded now."""
    lost_after = lost_after_s() if lost_after is None else lost_after
    home = home_of(store)
    with store.cursor() as cur:
        active = runs_table.active_runs(cur, ids)
    changed = {}
    for run in active:
        folder = RunFolder.of(home, run["id"])
        if not folder.result.exists():
            ended = lost_end(home, run, lost_after)
            if ended is None:
                catch_up(store, run, folder)
                continue
            folder.root.mkdir(parents=True, exist_ok=True)
            write_json_once(folder.result, end_result(*ended))
        if record(store, run["id"]):
            changed[run["id"]] = read_json(folder.result)["status"]
    return changed
