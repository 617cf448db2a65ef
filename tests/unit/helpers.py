"""Test helpers that go through the real code paths without running a model."""

import json

from cruxes.projects import freeze_for_run
from experiments import lifecycle
from experiments.folders import RunFolder, write_json_atomic


def created_run(store, project_id: int, config: dict | None = None, **kwargs) -> int:
    """A queued run created as ``start_run`` does, without handing it to a worker."""
    with store.transaction() as cur:
        freeze_for_run(cur, project_id)
        row = lifecycle.create(
            cur, lifecycle.home_of(store), project_id, "induction_heads", config or {}, **kwargs
        )
    return row["id"]


def write_result(store, run_id: int, metrics: dict[str, float], status="succeeded") -> RunFolder:
    """Write a run folder's metrics.jsonl and result.json as a worker would."""
    folder = RunFolder.of(lifecycle.home_of(store), run_id)
    with folder.metrics.open("w") as fh:
        for name, value in metrics.items():
            fh.write(json.dumps({"name": name, "step": 0, "value": value}) + "\n")
    write_json_atomic(
        folder.result,
        {
            "status": status,
            "error": None if status == "succeeded" else "boom",
            "device": "cpu",
            "started_at": "2026-01-01T00:00:00",
            "finished_at": "2026-01-01T00:00:01",
        },
    )
    return folder


def finished_run(
    store, project_id: int, metrics: dict[str, float], status="succeeded", **kwargs
) -> int:
    """Create a run for a project and record a result as a worker would write it."""
    run_id = created_run(store, project_id, **kwargs)
    write_result(store, run_id, metrics, status)
    assert lifecycle.record(store, run_id)
    return run_id
