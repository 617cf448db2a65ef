"""Runs from the agenda's side: start a template for a project, watch it, read its results.

Starting a run freezes the project's predictions and moves it to running, in
the same transaction that creates the run; the worker process is launched only
after that commits.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from cruxes.models import RunView
from cruxes.projects import freeze_for_run
from db import runs as runs_table
from db.errors import InvalidInput, NotFound
from db.store import Store
from experiments import runs as run_model
from experiments.executors import Executor, get_executor
from experiments.folders import RunFolder
from experiments.registry import Template, get_template, templates

DEVICES = ("auto", "cpu", "cuda")


def list_templates() -> list[Template]:
    """Every registered experiment template."""
    return templates()


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``["key=value", ...]`` → ``{key: value}``; values are typed by the template's config."""
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"Expected KEY=VALUE, got {pair!r}.")
        values[key.strip()] = value.strip()
    return values


def start_run(
    store: Store,
    project_id: int,
    template_name: str,
    values: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    device: str = "auto",
    executor: Executor | None = None,
) -> RunView:
    """Validate the config (types, ranges, and against the model's shape), then create the run,
    freeze the project's predictions and launch the worker; a refused config changes nothing."""
    template = get_template(template_name)
    config = template.validate(values)
    if device not in DEVICES:
        raise InvalidInput(f"Device must be one of {', '.join(DEVICES)}, not {device!r}.")
    home = run_model.home_of(store)
    with store.transaction() as cur:
        freeze_for_run(cur, project_id)
        row = run_model.create_run(
            cur, home, project_id, template, config, seed=seed, device=device
        )
    (executor or get_executor()).submit(home, row["id"])
    return get_run(store, row["id"])


def wait_for(store: Store, run_id: int, timeout: float | None = None, poll: float = 0.5) -> RunView:
    """Block until a run has finished and is recorded (or ``timeout`` passes)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        run_model.reconcile(store)
        view = get_run(store, run_id)
        if view.recorded or (deadline is not None and time.monotonic() >= deadline):
            return view
        time.sleep(poll)


def _view(store: Store, row: dict[str, Any], metrics: dict[str, float]) -> RunView:
    state = run_model.live_state(store, row)
    folder = RunFolder(Path(state["folder"]))
    return RunView(
        **{
            k: v
            for k, v in state.items()
            if k in RunView.model_fields and k not in ("config", "progress")
        },
        config=json.loads(row["config"]),
        progress=state["progress"]["fraction"],
        message=state["progress"]["message"],
        metrics=metrics,
        artifacts=[str(p) for p in folder.list_artifacts()],
        recorded=row["ingested_at"] is not None,
    )


def get_run(store: Store, run_id: int) -> RunView:
    """One run with its live status, final metrics and artifacts."""
    with store.cursor() as cur:
        row = runs_table.get_run(cur, run_id)
        if row is None:
            raise NotFound(f"No run {run_id}; see `cruxlab run list`.")
        metrics = runs_table.final_metrics(cur, run_id)
    return _view(store, row, metrics)


def list_runs(store: Store, project_id: int | None = None) -> list[RunView]:
    """Runs (optionally of one project) with live status and final metrics."""
    run_model.reconcile(store)
    with store.cursor() as cur:
        rows = runs_table.list_runs(cur, project_id)
        metrics = runs_table.final_metrics_by_run(cur, project_id)
    return [_view(store, r, metrics.get(r["id"], {})) for r in rows]


def metric_history(store: Store, run_id: int) -> list[dict[str, Any]]:
    """Every (name, step, value) a run recorded."""
    with store.cursor() as cur:
        return runs_table.run_metrics(cur, run_id)


def run_log(store: Store, run_id: int) -> str:
    """The end of a run's log."""
    return RunFolder.of(run_model.home_of(store), run_id).read_log()
