"""db.Store against real DuckDB files: short-lived connections, retries, transactions."""

import subprocess
import sys
import textwrap
import time

import pytest

from db import migrate
from db.errors import StoreBusy
from db.migrations import MIGRATIONS, applied
from db.store import Store


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
