"""Export the demo, import it into an empty home, and every query gives the same result."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cruxes import (
    beliefs,
    board,
    dashboard,
    exchange,
    outcomes,
    people,
    predictions,
    projects,
    runs,
    scoring,
)
from cruxes.errors import Conflict, InvalidInput
from cruxes.models import RunQuery
from cruxes.workspace import open_store
from db import exchange as exchange_table
from tests.conftest import CRUXLAB


def tables(store) -> dict[str, list[tuple]]:
    """Every row of every table but the home's own migration log, in a stable order."""
    with store.cursor() as cur:
        return {
            t: [tuple(r.values()) for r in cur.all(f'SELECT * FROM "{t}" ORDER BY ALL')]
            for t in exchange_table.tables(cur)
            if t != "schema_migrations"
        }


def views(store) -> dict[str, object]:
    """What every view and list shows (run folders are compared by name, not path)."""
    project_ids = [p.id for p in projects.list_projects(store)]
    run_ids = runs.run_page(store, RunQuery(limit=None)).table.column("id").to_pylist()
    return {
        "people": people.list_people(store),
        "cruxes": [beliefs.get_crux(store, c.id) for c in beliefs.list_cruxes(store)],
        "projects": projects.list_projects(store),
        "predictions": [
            predictions.list_predictions(store, i, current_only=False, everyone=True)
            for i in project_ids
        ],
        "outcomes": outcomes.list_outcomes(store),
        "runs": [
            (r.model_dump(exclude={"folder", "artifacts"}), [Path(a).name for a in r.artifacts])
            for r in (runs.get_run(store, i) for i in run_ids)
        ],
        "run_page": runs.run_page(store).rows(),
        "metrics": [runs.metric_history(store, i) for i in run_ids],
        "agenda": dashboard.agenda(store),
        "disagreement": dashboard.disagreement(store, viewer="Mara"),
        "ranking": dashboard.next_projects(store, viewer="Theo"),
        "calibration": scoring.calibration(store),
        "board": board.board(store),
        "scholar": board.person_page(store, "Theo"),
        "coverage": board.coverage(store),
        "report": exchange.report(store).split("\n", 3)[3],  # after the export time
    }


def test_round_trip_of_the_demo(demo_store, tmp_path):
    out = tmp_path / "export"
    result = exchange.export_home(demo_store, out)
    assert result.tables["credences"] == 6 and result.tables["runs"] == 1
    assert result.run_folders == 1
    assert sorted(p.name for p in out.glob("*.parquet")) == sorted(
        f"{t}.parquet" for t in result.tables
    )
    report = (out / "report.md").read_text()
    assert "### Crux 1: Attention-pattern scores recover" in report
    assert "| Mara | 0.45 | outcome | outcome 1 of run 1 |" in report
    assert "> I'm skeptical that attention-pattern scores recover known circuits" in report

    restored = open_store(tmp_path / "restored")
    imported = exchange.import_home(restored, out)
    assert imported.tables == {t: n for t, n in result.tables.items() if t != "schema_migrations"}
    assert tables(restored) == tables(demo_store)
    assert views(restored) == views(demo_store)

    # Sequences continue after the restored ids.
    assert people.add_person(restored, "Ada", "scholar").id == 3
    assert beliefs.add_crux(restored, "A new crux.").id == 3
    assert beliefs.add_credence(restored, 3, "Ada", 0.5).id == 7
    assert projects.add_project(restored, "A new project").id == 3


def test_import_refuses_a_home_that_holds_data(demo_store, tmp_path):
    exchange.export_home(demo_store, tmp_path / "export")
    before = tables(demo_store)
    with pytest.raises(Conflict, match="already holds data .* import into a new, empty"):
        exchange.import_home(demo_store, tmp_path / "export")
    assert tables(demo_store) == before


def test_import_refuses_what_is_not_an_export(store, tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("hello")
    for where in (tmp_path / "junk", tmp_path / "missing"):
        with pytest.raises(InvalidInput, match="is not a cruxlab export"):
            exchange.import_home(store, where)
    assert {t: rows for t, rows in tables(store).items() if rows} == {}


def test_export_refuses_a_directory_with_files(demo_store, tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(Conflict, match="not an empty directory"):
        exchange.export_home(demo_store, target)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def cli(*args: str, expect: int = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run([CRUXLAB, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == expect, (args, proc.stdout, proc.stderr)
    return proc


def test_export_and_import_from_the_cli(demo_home, tmp_path, monkeypatch):
    exported = json.loads(cli("export", str(tmp_path / "out"), "--json").stdout)
    assert exported["tables"]["cruxes"] == 2
    monkeypatch.setenv("CRUXLAB_HOME", str(tmp_path / "fresh"))
    imported = json.loads(cli("import", str(tmp_path / "out"), "--json").stdout)
    assert imported["tables"]["cruxes"] == 2 and imported["run_folders"] == 1
    again = cli("import", str(tmp_path / "out"), expect=2)
    assert again.stderr.startswith("error: The home ") and again.stderr.count("\n") == 1
    shown = json.loads(cli("crux", "show", "1", "--json").stdout)
    assert shown["current"] == {"Mara": 0.45, "Theo": 0.75}
