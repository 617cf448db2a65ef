"""``cruxlab export``, ``import`` and ``backup``: a home as files, and back.

Paths are made absolute here: the owner that may do the work runs on this machine
but not in this folder.
"""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.common import JsonOpt, app
from app.cli.render import emit
from cruxes import exchange
from cruxes.api import call
from cruxes.models import ExchangeResult


def _moved(verb: str, r: ExchangeResult, where: str) -> str:
    """One line for an export, import or backup: what moved, and where."""
    rows = sum(r.tables.values())
    return f"{verb} {len(r.tables)} tables ({rows} rows) and {r.run_folders} run folders {where}"


@app.command("export")
def export_cmd(
    directory: Path,
    without_runs: bool = typer.Option(
        False, "--without-run-folders", help="Tables and report only, no run folders."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Write every table as Parquet, the run folders and report.md into a new directory."""
    where = str(directory.expanduser().absolute())
    r = call(exchange.export_home, where, run_folders=not without_runs)
    emit(as_json, r, _moved("Exported", r, f"to {r.directory}; report: {r.report}"))


@app.command("import")
def import_cmd(directory: Path, as_json: bool = JsonOpt) -> None:
    """Restore an export or a backup into an empty CRUXLAB_HOME (every row checked first)."""
    r = call(exchange.import_home, str(directory.expanduser().absolute()))
    emit(as_json, r, _moved("Imported", r, f"from {r.directory}."))


@app.command("backup")
def backup_cmd(directory: Path, as_json: bool = JsonOpt) -> None:
    """Copy the database (one consistent moment) and the run folders into a new directory."""
    r = call(exchange.backup_home, str(directory.expanduser().absolute()))
    restore = f"to {r.directory}; restore with `cruxlab import {r.directory}`."
    emit(as_json, r, _moved("Backed up", r, restore))
