"""``Store``: the one owner of DuckDB connections.

DuckDB lets one process open a database file, and while it is open no other
process can open it at all. A store works in one of two ways:

* **Embedded** (the default, no owner running): ``store.transaction()`` and
  ``store.cursor()`` open the file, hand out a cursor, and close the file when
  the last unit of work in this process ends. If another process holds the
  file, opening is retried with backoff until ``timeout`` seconds have passed,
  then ``StoreBusy`` names the process that held it longest while we waited
  (each opener leaves a holder file — pid, command, since — beside the
  database, so the message can say who and for how long).
* **Held** (``store.hold()``, used by the owner: the app's server or
  ``cruxlab serve``): the file stays open until ``release()``; every unit of
  work gets its own cursor on the one instance.

Either way, threads of one process share the open database and each gets its
own cursor; write transactions of one process take turns (a lock), so two
threads never race on the same row and a stale edit is a clean ``StaleWrite``;
``snapshot()`` reads many tables consistently without blocking writers.
Results are fetched completely inside the unit of work (DuckDB 2 results stream
and hold their connection until read).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pyarrow as pa

from db.errors import StoreBusy
from db.paths import PRIVATE_DIR

DEFAULT_TIMEOUT_S = 10.0
# DuckDB's lock conflict: "Could not set lock on file …: Conflicting lock is held in
# /usr/bin/python3 (PID 123)"; the holder is sometimes reported as PID 0, or not at all.
_LOCK_CONFLICT = re.compile(r"could not set lock|conflicting lock", re.IGNORECASE)
_HOLDER = re.compile(r"held in (?P<exe>.*?)\s*\(PID (?P<pid>\d+)\)")
HOLDER_SUFFIX = ".holder"
# One write lock per database file in this process: every Store of the file shares it
# (DuckDB shares one instance per file within a process, so their writers must take turns).
_WRITE_LOCKS: dict[Path, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: Path) -> threading.RLock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(path.resolve(), threading.RLock())


def command_line() -> str:
    """This process's command, short: what a busy message shows others."""
    words = [Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:4]]
    text = " ".join(words)
    return text if len(text) <= 80 else text[:79] + "…"


def _row_dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = cursor.fetchall()
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in rows]


class Cursor:
    """A thin wrapper over a DuckDB cursor that returns rows as dicts."""

    def __init__(self, raw: duckdb.DuckDBPyConnection):
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement and discard any result."""
        self.raw.execute(sql, params or [])
        if self.raw.description:
            self.raw.fetchall()

    def all(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """Run a query and return every row as a dict."""
        self.raw.execute(sql, params or [])
        return _row_dicts(self.raw)

    def one(self, sql: str, params: Sequence[Any] | None = None) -> dict[str, Any] | None:
        """Run a query and return its first row, or None."""
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query and return its whole result as an Arrow table (no Python object per row)."""
        return self.raw.sql(sql, params=params or None).to_arrow_table()

    @contextmanager
    def registered(self, name: str, rows: Any) -> Iterator[str]:
        """``rows`` (an Arrow table) readable as ``name`` in this cursor's SQL, in the block:
        bulk inserts and joins against many ids with no Python object per row."""
        self.raw.register(name, rows)
        try:
            yield name
        finally:
            self.raw.unregister(name)

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run a query and return the first column of its first row, or None."""
        self.raw.execute(sql, params or [])
        row = self.raw.fetchone()
        self.raw.fetchall()
        return row[0] if row else None


class Store:
    """The cruxlab database at ``path``: opened per unit of work, or held by its owner."""

    def __init__(self, path: str | os.PathLike, *, timeout: float | None = None):
        self.path = Path(path)
        if timeout is None:
            timeout = float(os.environ.get("CRUXLAB_DB_TIMEOUT", DEFAULT_TIMEOUT_S))
        self.timeout = timeout
        self._lock = threading.Lock()
        self._writing = _write_lock(self.path)  # one write transaction at a time per file
        self._db: duckdb.DuckDBPyConnection | None = None
        self._users = 0
        self._held = False
        self.opens = 0  # how many times this store opened the file (tests count them)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @property
    def holder_file(self) -> Path:
        """Beside the database: who holds it now (pid, command, since), written by the opener."""
        return self.path.with_name(self.path.name + HOLDER_SUFFIX)

    def _open(self) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        seen: dict[int, float] = {}  # holder pid → seconds we waited on it
        described: dict[int, str] = {}
        while True:
            try:
                db = duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                if not _LOCK_CONFLICT.search(str(exc)):
                    raise
                pid, description = self._holder(str(exc))
                described.setdefault(pid, description)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._busy(seen, described) from None
                pause = min(delay, left)
                time.sleep(pause)
                seen[pid] = seen.get(pid, 0.0) + pause
                delay = min(delay * 2, 0.25)
                continue
            self.opens += 1
            self._write_holder()
            return db

    def _write_holder(self) -> None:
        entry = {"pid": os.getpid(), "command": command_line(), "since": time.time()}
        tmp = self.holder_file.with_name(f".{self.holder_file.name}.{os.getpid()}.tmp")
        with suppress(OSError):  # the holder file only improves a message; never fail for it
            tmp.write_text(json.dumps(entry))
            tmp.replace(self.holder_file)

    def _read_holder(self) -> dict[str, Any] | None:
        try:
            entry = json.loads(self.holder_file.read_text())
            return entry if isinstance(entry, dict) else None
        except (OSError, ValueError):
            return None

    def _holder(self, message: str) -> tuple[int, str]:
        """Who holds the file: the lock error's pid, described by the holder file if it agrees."""
        found = _HOLDER.search(message)
        pid = int(found["pid"]) if found else 0
        entry = self._read_holder()
        if entry and (pid in (0, entry.get("pid")) or not found):
            pid = int(entry.get("pid") or 0)
            since = datetime.fromtimestamp(float(entry.get("since") or 0)).strftime("%H:%M:%S")
            return pid, f"{entry.get('command') or 'unknown command'}, holding it since {since}"
        exe = Path(found["exe"]).name if found and found["exe"] else "unknown program"
        return pid, exe

    def _busy(self, seen: dict[int, float], described: dict[int, str]) -> StoreBusy:
        if not seen:
            seen = dict.fromkeys(described, 0.0)
        pid = max(seen, key=seen.get)
        who = f"process {pid}" if pid else "another process"
        others = len(seen) - 1
        turns = (
            f"; {others} other process{'es' if others > 1 else ''} also held it" if others else ""
        )
        return StoreBusy(
            f"The database {self.path} is busy: {who} ({described.get(pid, 'unknown')}) held it "
            f"for {seen[pid]:.1f} of the {self.timeout:g} s cruxlab waited{turns}; "
            "try again when it finishes."
        )

    def _close(self) -> None:
        db, self._db = self._db, None
        if db is None:
            return
        entry = self._read_holder()
        if entry and entry.get("pid") == os.getpid():
            with suppress(OSError):
                self.holder_file.unlink()
        db.close()

    def hold(self) -> Store:
        """Open the file now and keep it open until ``release()`` (the owner's mode)."""
        with self._lock:
            if self._db is None:
                self._db = self._open()
            self._held = True
        return self

    def release(self) -> None:
        """Stop holding the file; it closes when the last unit of work ends."""
        with self._lock:
            self._held = False
            if self._users == 0:
                self._close()

    @property
    def held(self) -> bool:
        """Whether this store keeps the file open between units of work."""
        return self._held

    @contextmanager
    def cursor(self) -> Iterator[Cursor]:
        """A cursor for one unit of work in auto-commit mode (reads, single writes)."""
        with self._lock:
            if self._db is None:
                self._db = self._open()
            self._users += 1
            db = self._db
        raw = db.cursor()
        try:
            yield Cursor(raw)
        finally:
            raw.close()
            with self._lock:
                self._users -= 1
                if self._users == 0 and not self._held:
                    self._close()

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A cursor inside BEGIN … COMMIT; any exception rolls everything back.

        Write transactions of this process take turns, so they never conflict.
        """
        with self._writing, self._unit() as cur:
            yield cur

    @contextmanager
    def snapshot(self) -> Iterator[Cursor]:
        """A read-only transaction: every query sees the same moment; writers carry on."""
        with self._unit() as cur:
            yield cur

    @contextmanager
    def _unit(self) -> Iterator[Cursor]:
        with self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    @contextmanager
    def session(self) -> Iterator[Store]:
        """Keep the file open across the units of work inside this block (one open, not one
        per call: a page that makes ten small reads pays for opening the file once)."""
        with self.cursor():
            yield self

    def is_open(self) -> bool:
        """Whether this process currently holds the database file."""
        return self._db is not None
