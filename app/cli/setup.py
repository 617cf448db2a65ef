"""Set-up: create the home, seed the demo, and the worker entry point."""

from __future__ import annotations

import typer

from app.cli.common import JsonOpt, app, get_store
from app.cli.render import emit, progress_display
from cruxes import demo, workspace


@app.command()
def init(as_json: bool = JsonOpt) -> None:
    """Create (or migrate) the database in CRUXLAB_HOME."""
    store = get_store()
    emit(
        as_json,
        {"home": str(workspace.home_of(store)), "database": str(store.path)},
        f"cruxlab home: {workspace.home_of(store)}",
    )


@app.command("demo")
def demo_cmd(
    background: bool = typer.Option(
        False,
        "--background",
        help="Seed in a process of its own (output in CRUXLAB_HOME/demo.log) and return at once.",
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Seed the demo (dialogue, cruxes, projects, a real run and its outcome), or finish it."""
    store = get_store()
    if background:
        pid = demo.start_in_background(store)
        log = demo.log_file(workspace.home_of(store))
        emit(
            as_json,
            {"pid": pid, "log": str(log)},
            f"Seeding the demo in the background (process {pid}): the app shows its progress, "
            f"{log} its output.",
        )
        return
    with progress_display() as watch:
        result = demo.seed_demo(store, watch=watch)
    text = (
        "Demo seeded: dialogue {0.dialogue_id}, project {0.project_id}, run {0.run_id}, "
        "outcome {0.outcome_id}."
        if result.seeded
        else "Demo already complete (dialogue {0.dialogue_id}, run {0.run_id}); nothing changed."
    ).format(result)
    emit(as_json, result.__dict__, text)


@app.command()
def worker(run_id: int) -> None:
    """Execute a prepared run (started for you by `cruxlab run start`)."""
    from experiments.worker import main as worker_main

    raise typer.Exit(worker_main([str(run_id)]))
