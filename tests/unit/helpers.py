"""Test helpers that go through the real code paths without running a model."""

import json

from cruxes.projects import freeze_for_run
from experiments import runs as run_model
from experiments.folders import RunFolder, write_json_atomic
from experiments.registry import get_template


def prepared_run(store, project_id: int, config: dict | None = None) -> int:
    """A queued run with its folder prepared, as ``run start`` leaves it before the worker."""
    template = get_template("induction_heads")
    with store.transaction() as cur:
        freeze_for_run(cur, project_id)
        row = run_model.create_run(
            cur,
            run_model.home_of(store),
            project_id,
            template,
            template.parse_config(config or {"n_sequences": 4}),
        )
    return row["id"]


def finished_run(store, project_id: int, metrics: dict[str, float], status="succeeded") -> int:
    """Create a run for a project and record a result as a worker would write it."""
    template = get_template("induction_heads")
    with store.transaction() as cur:
        freeze_for_run(cur, project_id)
        row = run_model.create_run(
            cur, run_model.home_of(store), project_id, template, template.parse_config({})
        )
    folder = RunFolder.of(run_model.home_of(store), row["id"])
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
    assert run_model.ingest(store, row["id"])
    return row["id"]
