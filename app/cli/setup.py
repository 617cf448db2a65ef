"""Set-up: create the home, seed the demo, and the worker entry point."""

from __future__ import annotations

import typer

from app.cli.common import JsonOpt, app, get_store
from app.cli.render import emit
from cruxes import demo, workspace


@app.command()
def init(as_json: bool = JsonOpt) -> None:
    """Create (or migrate) the database in CRUXLAB_HOME and reconcile its runs."""
    store = workspace.start_up()
    emit(
        as_json,
        {"home": str(workspace.home_of(store)), "database": str(store.path)},
        f"cruxlab home: {workspace.home_of(store)}",
    )


@app.command("demo")
def demo_cmd(as_json: bool = JsonOpt) -> None:
    """Seed the demo dialogue, cruxes, project, run and outcome (once)."""
    result = demo.seed_demo(get_store())
    text = (
        "Demo seeded: dialogue {0.dialogue_id}, project {0.project_id}, run {0.run_id}, "
        "outcome {0.outcome_id}."
        if result.seeded
        else "Demo already present (dialogue {0.dialogue_id}); nothing changed."
    ).format(result)
    emit(as_json, result.__dict__, text)


@app.command()
def worker(run_id: int) -> None:
    """Execute a prepared run (started for you by `cruxlab run start`)."""
    from experiments.worker import main as worker_main

    raise typer.Exit(worker_main([str(run_id)]))
