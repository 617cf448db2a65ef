"""Many writers at once: with an owner nothing is refused as busy, and nothing is ever lost.

The figures each test prints are the ones the README's Reliability section quotes
(run with ``-s`` to see them). Latency is printed, not asserted: the strict target
lives in ``tests/bench/bench_owner.py``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from cruxes import owner, runs
from cruxes.errors import StoreBusy
from cruxes.workspace import open_store
from db.store import Store
from tests import writers

SECONDS = 3.0


@pytest.fixture
def owned(home):
    """The home's owner running in this process, as the app's server runs it."""
    running = owner.start(home)
    writers.seed(running.store)
    runs.list_templates()  # loaded once, as a running app has long since done
    yield running
    owner.stop(home)


def test_twenty_writers_with_the_owner_lose_nothing_and_wait_for_nothing(owned, home):
    tally = writers.drive(owned.store, threads=16, processes=4, seconds=SECONDS, env={})
    present, wrong = writers.found(owned.store, tally)
    print("\n" + writers.figures("owner", 20, SECONDS, tally, present))
    assert wrong == []
    assert tally.busy == [] and tally.other == []
    assert len(tally.credences) > 20 and tally.runs and tally.edits
    assert owned.requests > 0  # the processes' writes went through the owner's socket


def test_embedded_writers_lose_nothing_and_refuse_cleanly(store, home):
    writers.seed(store)
    # No owner: three processes take turns opening the file, each write its own open.
    tally = writers.Tally()
    procs = writers.start_processes(3, 0, SECONDS, {"CRUXLAB_DB_TIMEOUT": "5"})
    writers.collect(procs, tally)  # a traceback in any of them fails here
    present, wrong = writers.found(store, tally)
    print("\n" + writers.figures("embedded", 3, SECONDS, tally, present))
    assert wrong == [] and tally.other == []
    assert tally.credences
    for message in tally.busy:
        assert message.startswith("The database ") and message.endswith("when it finishes.")


HOLDER = """
import sys, time
from db.store import Store
store = Store(sys.argv[1])
with store.transaction() as cur:
    cur.execute("INSERT INTO people (name, role, created_at) VALUES ('Long', 'mentor', now())")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_busy_error_names_the_process_that_held_the_file_longest(store, tmp_path):
    script = tmp_path / "long_import.py"
    script.write_text(textwrap.dedent(HOLDER))
    holder = subprocess.Popen(
        [sys.executable, str(script), str(store.path), "20"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=writers.ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        waiting = Store(store.path, timeout=1.0)
        with pytest.raises(StoreBusy) as refused, waiting.cursor():
            pass
    finally:
        holder.kill()
        holder.wait()
    message = str(refused.value)
    assert f"process {holder.pid} (long_import.py " in message
    assert "holding it since" in message and "of the 1 s cruxlab waited" in message
    assert message.count(". ") == 0  # one sentence
    with open_store(store.path.parent).cursor() as cur:  # the killed holder's write is gone
        assert cur.scalar("SELECT count(*) FROM people WHERE name = 'Long'") == 0
