"""Concurrent writers with the owner running: the issue's target is p99 write latency ≤ 1 s.

Twenty writers — sixteen threads as browser sessions, four CLI-like processes
through the owner's socket — write credences, edit cruxes and projects with the
version they read, and start runs for ``CRUXLAB_BENCH_WRITERS_S`` seconds
(default 20). Then the same with no owner: three processes each opening the
file per write. Prints the figures; fails nothing (``make bench`` is not CI).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def main() -> None:
    from cruxes import owner, runs
    from cruxes.workspace import open_store
    from tests import writers

    seconds = float(os.environ.get("CRUXLAB_BENCH_WRITERS_S", "20"))
    home = Path(tempfile.mkdtemp(prefix="cruxlab-bench-owner-")) / "home"
    os.environ["CRUXLAB_HOME"] = str(home)
    running = owner.start(home)
    try:
        writers.seed(running.store)
        runs.list_templates()
        tally = writers.drive(running.store, threads=16, processes=4, seconds=seconds, env={})
        present, wrong = writers.found(running.store, tally)
        print(writers.figures("owner", 20, seconds, tally, present))
        met = writers.percentile(tally.latencies, 0.99) <= 1.0
        print(f"  p99 target 1000 ms: {'met' if met else 'NOT met'}; lost {len(wrong)}")
    finally:
        owner.stop(home)

    home = Path(tempfile.mkdtemp(prefix="cruxlab-bench-embedded-")) / "home"
    os.environ["CRUXLAB_HOME"] = str(home)
    store = open_store(home)
    writers.seed(store)
    tally = writers.Tally()
    writers.collect(writers.start_processes(3, 0, seconds, {}), tally)
    present, wrong = writers.found(store, tally)
    print(writers.figures("embedded", 3, seconds, tally, present) + f"; lost {len(wrong)}")


if __name__ == "__main__":
    main()
