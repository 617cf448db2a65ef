"""The mentor's views on a generated data set (tests/bench/generate.py): each view's domain
function, timed as the app calls it (open the database, query, build the models)."""

import os
import tempfile
from pathlib import Path

from tests.bench.bench_foundation import row, timed
from tests.bench.generate import generate


def main() -> None:
    from cruxes import beliefs, board, dashboard, exchange, outcomes, projects, scoring
    from cruxes.models import PROJECT_STATUSES
    from cruxes.workspace import open_store

    home = Path(tempfile.mkdtemp(prefix="cruxlab-bench-views-"))
    os.environ["CRUXLAB_HOME"] = str(home / "home")
    store = open_store(home / "home")
    counts = {}
    print("| what (domain function) | median | n |\n|---|---|---|")
    row("generate the data set (bulk insert)", timed(lambda: counts.update(generate(store)), 1))
    busiest = max(
        beliefs.list_cruxes(store), key=lambda c: len(beliefs.get_crux(store, c.id).history)
    )
    views = {
        "dashboard: agenda (all time, 10 moves)": lambda: dashboard.agenda(store),
        "crux page: one crux with history and spread": lambda: beliefs.get_crux(store, busiest.id),
        "disagreement (as a person)": lambda: dashboard.disagreement(store, viewer="Person 3"),
        "next projects: rank unstarted": lambda: dashboard.next_projects(store, viewer="Person 3"),
        "next projects: rank every project": lambda: dashboard.next_projects(
            store, viewer="Person 3", statuses=PROJECT_STATUSES
        ),
        "calibration (everyone, per person)": lambda: scoring.calibration(store),
        "calibration filtered by a tag": lambda: scoring.calibration(store, tag="attention"),
        "board (all projects)": lambda: board.board(store),
        "board filtered by scholar and tag": lambda: board.board(
            store, scholar="Person 3", tag="probing"
        ),
        "scholar page": lambda: board.person_page(store, "Person 3"),
        "coverage": lambda: board.coverage(store),
        "projects list": lambda: projects.list_projects(store),
        "outcomes with their evaluations (all)": lambda: outcomes.list_outcomes(store),
        "markdown report": lambda: exchange.report(store),
    }
    for name, view in views.items():
        row(name, timed(view, 5))
    out = home / "export"
    row("export (Parquet, report)", timed(lambda: exchange.export_home(store, out), 1))
    row(
        "import into an empty home",
        timed(lambda: exchange.import_home(open_store(home / "restored"), out), 1),
    )
    print("\ndata set: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
