"""``cruxlab export`` and ``import``: a home as Parquet, run folders and a report, and back."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.common import JsonOpt, app, get_store
from app.cli.render import emit
from cruxes import exchange


@app.command("export")
def export_cmd(
    directory: Path,
    without_runs: bool = typer.Option(
        False, "--without-run-folders", help="Tables and report only, no run folders."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Write every table as Parquet, the run folders and report.md into a new directory."""
    r = exchange.export_home(get_store(), directory, run_folders=not without_runs)
    rows = sum(r.tables.values())
    text = (
        f"Exported {len(r.tables)} tables ({rows} rows) and {r.run_folders} run folders "
        f"to {r.directory}; report: {r.report}"
    )
    emit(as_json, r, text)


@app.command("import")
def import_cmd(directory: Path, as_json: bool = JsonOpt) -> None:
    """Restore an export into an empty CRUXLAB_HOME."""
    r = exchange.import_home(get_store(), directory)
    rows = sum(r.tables.values())
    text = (
        f"Imported {len(r.tables)} tables ({rows} rows) and {r.run_folders} run folders "
        f"from {r.directory}."
    )
    emit(as_json, r, text)
