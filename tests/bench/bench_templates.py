"""Part B speeds: training organism:modadd-1l, and linear_probe / sae_quality runs end to end."""

import os
import tempfile
from pathlib import Path

from tests.bench.bench_foundation import row, timed


def main() -> None:
    from cruxes import people, projects, runs
    from cruxes.workspace import open_store
    from experiments.loading import load_model

    home = Path(tempfile.mkdtemp(prefix="cruxlab-bench-"))
    os.environ["CRUXLAB_HOME"] = str(home)
    # A fresh cache, so the first load really trains.
    cache = home / "organisms"
    os.environ["CRUXLAB_ORGANISMS"] = str(cache)
    print("| what | median | n |\n|---|---|---|")
    row(
        "train organism:modadd-1l (first use)",
        timed(lambda: load_model("organism:modadd-1l", cache_dir=cache), 1),
    )
    row(
        "load organism:modadd-1l from cache",
        timed(lambda: load_model("organism:modadd-1l", cache_dir=cache), 5),
    )
    load_model("organism:induction-2l", cache_dir=cache)
    store = open_store(home)
    people.add_person(store, "Ben", "scholar")
    project = projects.assign(store, projects.add_project(store, "Bench").id, "Ben")
    for name in ("linear_probe", "sae_quality"):
        row(
            f"{name} run (defaults), start to recorded",
            timed(lambda n=name: runs.wait_for(store, runs.start_run(store, project.id, n).id), 3),
        )
