"""db.Store against real DuckDB files: short-lived connections, retries, transactions."""

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from db import migrate
from db.errors import StoreBusy
from db.migrations import MIGRATIONS, applied
from db.store import _LOCK_CONFLICT, Store
from db.util import process_alive


def hold_database(path, seconds: float) -> subprocess.Popen:
    """Another process that opens the database and keeps it for ``seconds``."""
    code = textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(path)!r})
        print("holding", flush=True)
        time.sleep({seconds})
        con.close()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_migrate_is_idempotent_and_recorded(tmp_path):
    store = Store(tmp_path / "db.duckdb")
    assert migrate(store) == sorted(MIGRATIONS)
    assert migrate(store) == []
    assert applied(store) == sorted(MIGRATIONS)


def test_no_process_holds_the_file_between_units_of_work(tmp_path):
    store = Store(tmp_path / "db.duckdb")
    migrate(store)
    assert not store.is_open()
    # Another process can open the file as soon as our unit of work ends.
    proc = hold_database(store.path, 0.1)
    assert proc.wait(timeout=30) == 0


def test_nested_units_share_one_open_database(tmp_path):
    store = Store(tmp_path / "db.duckdb")
    with store.cursor() as outer:
        outer.execute("CREATE TABLE t (x INTEGER)")
        with store.cursor() as inner:
            inner.execute("INSERT INTO t VALUES (1)")
        assert store.is_open()
        assert outer.scalar("SELECT count(*) FROM t") == 1
    assert not store.is_open()


def test_transaction_rolls_back_on_error(tmp_path):
    store = Store(tmp_path / "db.duckdb")
    with store.cursor() as cur:
        cur.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(RuntimeError), store.transaction() as cur:
        cur.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")
    with store.cursor() as cur:
        assert cur.scalar("SELECT count(*) FROM t") == 0


def test_busy_database_fails_with_the_holder_after_the_timeout(tmp_path):
    store = Store(tmp_path / "db.duckdb", timeout=0.5)
    migrate(store)
    proc = hold_database(store.path, 5)
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusy, match=rf"process {proc.pid} .*0\.5 s"), store.cursor():
            pass
        assert 0.5 <= time.monotonic() - started < 3
    finally:
        proc.kill()
        proc.wait()


def test_busy_database_is_retried_until_the_holder_lets_go(tmp_path):
    store = Store(tmp_path / "db.duckdb", timeout=10)
    migrate(store)
    proc = hold_database(store.path, 1.0)
    try:
        with store.cursor() as cur:
            assert cur.scalar("SELECT count(*) FROM people") == 0
    finally:
        proc.wait()


def test_migrate_opens_the_file_once(tmp_path):
    store = Store(tmp_path / "db.duckdb")
    assert migrate(store) == sorted(MIGRATIONS)
    assert store.opens == 1 and not store.is_open()


def test_a_lock_reported_in_pid_0_is_retried_and_named_from_the_holder_file(tmp_path):
    store = Store(tmp_path / "db.duckdb")
    since = time.time() - 30
    store.holder_file.write_text(
        json.dumps({"pid": 4242, "command": "cruxlab import big", "since": since})
    )
    message = (
        'IO Error: Could not set lock on file "db.duckdb": Conflicting lock is held in PID 0. '
        "See also https://duckdb.org/docs/stable/connect/concurrency"
    )
    assert _LOCK_CONFLICT.search(message)  # so it is retried, not raised as it is
    stamp = datetime.fromtimestamp(since).strftime("%H:%M:%S")
    assert store._holder(message) == (4242, f"cruxlab import big, holding it since {stamp}")


def test_held_store_keeps_the_file_open_until_released(tmp_path):
    store = Store(tmp_path / "db.duckdb").hold()
    migrate(store)
    with store.cursor() as cur:
        cur.execute("CREATE TABLE t (x INTEGER)")
    assert store.is_open() and store.opens == 1
    assert json.loads(store.holder_file.read_text())["pid"] == os.getpid()
    store.release()
    assert not store.is_open() and not store.holder_file.exists()


def test_process_alive_tells_running_zombie_and_reaped_processes_apart():
    child = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert process_alive(child.pid) and process_alive(os.getpid())
    child.stdin.close()
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        time.sleep(0.01)
    assert not process_alive(child.pid)  # ended, not yet reaped: a zombie
    child.wait()
    assert not process_alive(child.pid)
    assert not process_alive(0) and not process_alive("12")


def test_process_alive_answers_for_a_process_reaped_while_it_is_asked():
    """The process may end and be reaped between the signal and the read of /proc: the
    answer is then "gone", never an exception (CI once saw ProcessLookupError here)."""
    answers = []
    for _ in range(200):
        child = subprocess.Popen(["true"])
        reaper = threading.Thread(target=child.wait)
        reaper.start()
        while reaper.is_alive():
            answers.append(process_alive(child.pid))
        reaper.join()
        answers.append(process_alive(child.pid))
    assert answers[-1] is False and set(answers) <= {True, False}
