"""The run model: create a run, record its result, and reconcile folders with the database.

A run is written to its folder first and to the database second (see
``experiments.folders``). ``ingest`` copies a finished folder into the database
once; ``reconcile`` runs at start-up and before listings to ingest results the
database missed and to fail runs whose worker process is gone.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from db import runs as runs_table
from db.store import Cursor, Store
from db.util import now
from experiments.folders import RunFolder, read_json, write_json_atomic
from experiments.registry import Template

ACTIVE = ("queued", "running")


def home_of(store: Store) -> Path:
    """The data directory a store lives in (run folders sit beside the database)."""
    return store.path.parent


def create_run(
    cur: Cursor,
    home: Path,
    project_id: int | None,
    template: Template,
    config: Any,
    *,
    seed: int = 0,
    device: str = "auto",
) -> dict[str, Any]:
    """Insert a queued run inside the caller's transaction and write its config.json."""
    config_json = config.model_dump_json()
    row = runs_table.insert_run(cur, project_id, template.name, config_json, seed, device)
    folder = RunFolder.of(home, row["id"])
    folder.root.mkdir(parents=True, exist_ok=True)
    write_json_atomic(
        folder.config,
        {
            "run_id": row["id"],
            "project_id": project_id,
            "template": template.name,
            "config": json.loads(config_json),
            "seed": seed,
            "device": device,
        },
    )
    return row


def mark_started(store: Store, run_id: int, started_at: datetime, device: str) -> None:
    """Record that a queued run's worker has started on ``device``."""
    with store.transaction() as cur:
        runs_table.mark_started(cur, run_id, started_at, device)


def _stamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def ingest(store: Store, run_id: int) -> bool:
    """Record a finished run folder in the database once; False if nothing to do."""
    folder = RunFolder.of(home_of(store), run_id)
    result = read_json(folder.result)
    if result is None:
        return False
    metrics = []
    if result["status"] == "succeeded":
        # A failed run records no metrics, even those it logged before failing.
        metrics = [(m["name"], m["step"], m["value"]) for m in folder.read_metrics()]
    with store.transaction() as cur:
        return runs_table.record_result(
            cur,
            run_id,
            status=result["status"],
            error=result.get("error"),
            device=result.get("device"),
            started_at=_stamp(result.get("started_at")),
            finished_at=_stamp(result.get("finished_at")),
            metrics=metrics,
        )


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id is running (zombies count as gone)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (FileNotFoundError, IndexError):
        return True


def fail_lost(folder: RunFolder, reason: str) -> None:
    """Write a failed result for a run whose worker is gone."""
    stamp = now().isoformat()
    write_json_atomic(
        folder.result,
        {
            "status": "failed",
            "error": reason,
            "device": None,
            "started_at": None,
            "finished_at": stamp,
        },
    )


def reconcile(store: Store) -> list[int]:
    """Ingest unrecorded results and fail runs whose worker died; return the run ids touched."""
    with store.cursor() as cur:
        pending = [r for r in runs_table.list_runs(cur) if r["ingested_at"] is None]
    touched = []
    for run in pending:
        folder = RunFolder.of(home_of(store), run["id"])
        if not folder.result.exists():
            pid = folder.worker_pid()
            if pid is None or pid_alive(pid):
                continue  # still starting, or still working
            fail_lost(folder, f"The worker process {pid} ended without writing a result.")
        if ingest(store, run["id"]):
            touched.append(run["id"])
    return touched


def live_state(store: Store, run: dict[str, Any]) -> dict[str, Any]:
    """A run row overlaid with what its folder says now: status, progress, log tail."""
    folder = RunFolder.of(home_of(store), run["id"])
    state = dict(run)
    if run["ingested_at"] is None:
        result = read_json(folder.result)
        if result is not None:
            state["status"] = result["status"]
            state["error"] = result.get("error")
        elif read_json(folder.progress_file) is not None:
            state["status"] = "running"
    state["progress"] = read_json(folder.progress_file) or {"fraction": 0.0, "message": ""}
    state["folder"] = str(folder.root)
    return state
