"""Foundation speeds: cached organism load, CLI start-up, a database unit of work, a run."""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CRUXLAB = str(Path(sys.executable).with_name("cruxlab"))


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def row(name: str, seconds: list[float]) -> None:
    print(f"| {name:<44} | {statistics.median(seconds) * 1000:9.1f} ms | {len(seconds):3d} |")


def main() -> None:
    from cruxes import beliefs, people, projects, runs
    from cruxes.workspace import open_store
    from experiments.loading import load_model

    home = Path(tempfile.mkdtemp(prefix="cruxlab-bench-"))
    os.environ["CRUXLAB_HOME"] = str(home)
    os.environ.setdefault("CRUXLAB_ORGANISMS", str(home / "organisms"))
    cache = Path(os.environ["CRUXLAB_ORGANISMS"])
    print("| what | median | n |\n|---|---|---|")
    cpu = time.process_time()
    row(
        "train organism:induction-2l (first use)",
        timed(lambda: load_model("organism:induction-2l", cache_dir=cache), 1),
    )
    # Training runs on one thread, so its CPU time is its wall time on an idle core.
    row("… its CPU time (one thread: its time on an idle core)", [time.process_time() - cpu])
    row(
        "load organism:induction-2l from cache",
        timed(lambda: load_model("organism:induction-2l", cache_dir=cache), 5),
    )
    store = open_store(home)
    people.add_person(store, "Ana", "mentor")
    people.add_person(store, "Ben", "scholar")
    crux = beliefs.add_crux(store, "A benchmark crux.")
    row(
        "append a credence (open, write, close)",
        timed(lambda: beliefs.add_credence(store, crux.id, "Ana", 0.5), 50),
    )
    row("read a crux with its history", timed(lambda: beliefs.get_crux(store, crux.id), 50))
    row(
        "`cruxlab crux list` (process start-up)",
        timed(
            lambda: subprocess.run([CRUXLAB, "crux", "list"], check=True, capture_output=True), 5
        ),
    )
    project = projects.assign(store, projects.add_project(store, "Bench").id, "Ben")
    row(
        "induction_heads run, start to recorded",
        timed(
            lambda: runs.wait_for(store, runs.start_run(store, project.id, "induction_heads").id), 3
        ),
    )
