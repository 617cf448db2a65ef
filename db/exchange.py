"""Moving whole tables in and out: Parquet export, backup copies, restore, bulk loads.

Table names come from the database's own catalogue (an allow-list), never from
the caller's text; file paths are bound parameters.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from db.errors import InvalidInput
from db.migrations import SELECT_APPLIED
from db.store import Cursor

MIGRATIONS_TABLE = "schema_migrations"
SELECT_TABLES = """
SELECT table_name FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main'
ORDER BY table_name
"""
SELECT_SEQUENCES = "SELECT sequence_name, last_value FROM duckdb_sequences()"
SET_SEQUENCE = "SELECT setval(?, ?)"


def tables(cur: Cursor) -> list[str]:
    """Every table in the database, alphabetically."""
    return [r["table_name"] for r in cur.all(SELECT_TABLES)]


def _known(cur: Cursor, table: str) -> str:
    if table not in tables(cur):
        raise InvalidInput(f"There is no table named {table!r} in this database.")
    return f'"{table}"'


def row_counts(cur: Cursor) -> dict[str, int]:
    """Table → number of rows, for every table (names from the catalogue)."""
    names = tables(cur)
    if not names:
        return {}
    query = " UNION ALL ".join(f"SELECT '{t}' AS t, count(*) AS n FROM \"{t}\"" for t in names)
    counts = {r["t"]: r["n"] for r in cur.all(query)}
    return {t: counts[t] for t in names}


def export_table(cur: Cursor, table: str, path: Path, skip_ids: list[int] = ()) -> None:
    """Write one table to a Parquet file, leaving out the rows whose id is in ``skip_ids``."""
    if not skip_ids:
        cur.execute(f"COPY {_known(cur, table)} TO ? (FORMAT parquet)", [str(path)])
        return
    cur.execute(
        f"COPY (SELECT * FROM {_known(cur, table)} WHERE NOT list_contains(?::BIGINT[], id)) "
        "TO ? (FORMAT parquet)",
        [list(skip_ids), str(path)],
    )


SELECT_COLUMNS = """
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = 'main' ORDER BY table_name, ordinal_position
"""
SELECT_ATTACHED_TABLES = """
SELECT table_name FROM information_schema.tables
WHERE table_catalog = ? AND table_schema = 'main' AND table_type = 'BASE TABLE'
"""
BACKUP_ALIAS = "cruxlab_backup"


def columns(cur: Cursor) -> dict[str, list[str]]:
    """Every table's column names, in order."""
    found: dict[str, list[str]] = {}
    for r in cur.all(SELECT_COLUMNS):
        found.setdefault(r["table_name"], []).append(r["column_name"])
    return found


def read_parquet(cur: Cursor, path: Path) -> Any:
    """A Parquet file as a pyarrow Table; a file that is not readable Parquet is refused."""
    try:
        return cur.raw.sql("SELECT * FROM read_parquet(?)", params=[str(path)]).to_arrow_table()
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0]
        raise InvalidInput(
            f"The export is refused: {path.name} is not a readable Parquet file ({reason}); "
            "nothing was imported."
        ) from None


@contextmanager
def attached(cur: Cursor, path: Path) -> Iterator[dict[str, Any]]:
    """A backup database file opened read-only: its tables as pyarrow Tables, by name."""
    try:
        cur.execute(f"ATTACH ? AS {BACKUP_ALIAS} (READ_ONLY)", [str(path)])
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0]
        raise InvalidInput(
            f"The backup is refused: {path} is not a readable cruxlab database ({reason}); "
            "nothing was imported."
        ) from None
    try:
        names = [r["table_name"] for r in cur.all(SELECT_ATTACHED_TABLES, [BACKUP_ALIAS])]
        tables = {}
        for name in names:  # names come from the backup's own catalogue, quoted
            quoted = '"' + name.replace('"', '""') + '"'
            tables[name] = cur.raw.sql(
                f"SELECT * FROM {BACKUP_ALIAS}.main.{quoted}"
            ).to_arrow_table()
        yield tables
    finally:
        cur.execute(f"DETACH {BACKUP_ALIAS}")


def copy_database(cur: Cursor, path: Path) -> None:
    """Write a copy of this database, as it is at one moment, to a new DuckDB file."""
    catalog = cur.scalar("SELECT current_database()")
    cur.execute(f"ATTACH ? AS {BACKUP_ALIAS}", [str(path)])
    try:
        cur.execute(f'COPY FROM DATABASE "{catalog}" TO {BACKUP_ALIAS}')
    finally:
        cur.execute(f"DETACH {BACKUP_ALIAS}")


def first_duplicate(cur: Cursor, rows: Any, columns: Sequence[str]) -> tuple | None:
    """A value of ``columns`` that two rows of ``rows`` (a pyarrow Table) share, its first
    column not null; None if there is none. Column names come from the caller's constants."""
    with cur.registered("_checked_rows", rows) as name:
        keys = ", ".join(f'"{c}"' for c in columns)
        found = cur.raw.sql(
            f'SELECT {keys} FROM {name} WHERE "{columns[0]}" IS NOT NULL '
            "GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
        ).fetchall()
        return found[0] if found else None


def load_rows(cur: Cursor, table: str, rows: Any) -> None:
    """Append rows (a pyarrow Table or pandas DataFrame) to a table, matching columns by name."""
    with cur.registered(f"_load_{table}", rows) as name:
        cur.execute(f"INSERT INTO {_known(cur, table)} BY NAME SELECT * FROM {name}")


def continue_sequences(cur: Cursor) -> None:
    """Move each ``<table>_id`` sequence past the largest id in its table."""
    last = {r["sequence_name"]: r["last_value"] for r in cur.all(SELECT_SEQUENCES)}
    numbered = [t for t in tables(cur) if f"{t}_id" in last]  # names from the catalogue
    if not numbered:
        return
    query = " UNION ALL ".join(f"SELECT '{t}' AS t, max(id) AS top FROM \"{t}\"" for t in numbered)
    for r in cur.all(query):
        sequence = f"{r['t']}_id"
        if r["top"] is not None and r["top"] > (last[sequence] or 0):
            cur.execute(SET_SEQUENCE, [sequence, r["top"]])


def applied_migrations(cur: Cursor) -> list[int]:
    """The schema migrations this database has applied."""
    return [r["version"] for r in cur.all(SELECT_APPLIED)]
