"""``Store``: the one owner of DuckDB connections.

DuckDB lets one process open a database file, and while it is open no other
process can open it at all. cruxlab has several processes (the app, the CLI, a
worker per run), so no process keeps the file open between units of work:

* ``store.transaction()`` and ``store.cursor()`` open the file, hand out a
  cursor, and close the file when the last unit of work in this process ends.
  Threads of one process share the open database and each gets its own cursor.
* If another process holds the file, opening is retried with backoff until
  ``timeout`` seconds have passed, then ``StoreBusy`` names the holder.
* Results are fetched completely inside the unit of work (DuckDB 2 results
  stream and hold their connection until read).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pyarrow as pa

from db.errors import StoreBusy
from db.paths import PRIVATE_DIR

DEFAULT_TIMEOUT_S = 10.0
_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.+?) \(PID (?P<pid>\d+)\)")


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

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run a query and return the first column of its first row, or None."""
        self.raw.execute(sql, params or [])
        row = self.raw.fetchone()
        self.raw.fetchall()
        return row[0] if row else None


class Store:
    """The cruxlab database at ``path``; open per unit of work, never held."""

    def __init__(self, path: str | os.PathLike, *, timeout: float | None = None):
        self.path = Path(path)
        if timeout is None:
            timeout = float(os.environ.get("CRUXLAB_DB_TIMEOUT", DEFAULT_TIMEOUT_S))
        self.timeout = timeout
        self._lock = threading.Lock()
        self._db: duckdb.DuckDBPyConnection | None = None
        self._users = 0

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def _open(self) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                holder = _HOLDER.search(str(exc))
                if holder is None:
                    raise
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"The database {self.path} is busy: process {holder['pid']} "
                        f"({Path(holder['exe']).name}) held it for more than "
                        f"{self.timeout:g} s; try again when it finishes."
                    ) from None
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 0.5)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Keep the file open across the units of work inside this block (one open, not one
        per call: a page that makes ten small reads pays for opening the file once)."""
        with self.cursor():
            yield

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
                if self._users == 0 and self._db is not None:
                    self._db.close()
                    self._db = None

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A cursor inside BEGIN … COMMIT; any exception rolls everything back."""
        with self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def is_open(self) -> bool:
        """Whether this process currently holds the database file."""
        return self._db is not None
