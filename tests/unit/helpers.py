"""Test helpers that go through the real code paths without running a model."""

import json
import os

from cruxes.models import DemoProgress
from cruxes.projects import freeze_for_run
from db import exchange as exchange_table
from db.util import now
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


def dump(store) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order (the migration log included): compare
    one before and after a refusal to see that nothing changed."""
    with store.cursor() as cur:
        return {
            t: [tuple(r.values()) for r in cur.all(f'SELECT * FROM "{t}" ORDER BY ALL')]
            for t in exchange_table.tables(cur)
        }


def write_demo_progress(home, **changes) -> None:
    """A ``demo.json`` as a seeding process writes it (here: the test's own, live process)."""
    progress = DemoProgress(
        state="seeding",
        step=6,
        steps=9,
        label="the induction_heads run on organism:induction-2l",
        fraction=0.31,
        message="training organism:induction-2l, step 300/1000: held-out loss 0.812",
        pid=os.getpid(),
        updated_at=now(),
    ).model_copy(update=changes)
    home.mkdir(parents=True, exist_ok=True)
    (home / "demo.json").write_text(progress.model_dump_json())
