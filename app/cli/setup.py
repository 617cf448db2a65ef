"""Set-up: create the home, seed the demo, own the database, and the worker entry point."""

from __future__ import annotations

import signal
import threading

import typer

from app.cli.common import JsonOpt, app
from app.cli.render import emit, progress_display
from cruxes import demo, owner, workspace
from cruxes.api import call


@app.command()
def init(as_json: bool = JsonOpt) -> None:
    """Create (or migrate) the database in CRUXLAB_HOME and reconcile its runs."""
    where = call(workspace.initialise)
    emit(as_json, where, f"cruxlab home: {where['home']}")


@app.command()
def serve() -> None:
    """Own the database of CRUXLAB_HOME: hold it open and answer other cruxlab commands."""
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    running = owner.start(command="cruxlab serve")
    where = running.store.path
    typer.echo(f"cruxlab serve (process {running.pid}) owns {where}; Ctrl-C stops.")
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        owner.stop_all()
    typer.echo("cruxlab serve stopped.")


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
    if background:
        pid = demo.start_in_background()
        log = demo.log_file()
        emit(
            as_json,
            {"pid": pid, "log": str(log)},
            f"Seeding the demo in the background (process {pid}): the app shows its progress, "
            f"{log} its output.",
        )
        return
    with progress_display() as watch:  # each step's operations go to the owner if one runs
        result = demo.seed(call, watch=watch)
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
