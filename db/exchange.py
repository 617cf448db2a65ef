"""Moving whole tables in and out: Parquet export, restore into an empty database, bulk loads.

Table names come from the database's own catalogue (an allow-list), never from
the caller's text; file paths are bound parameters.
"""

from pathlib import Path
from typing import Any

from db.errors import InvalidInput
from db.migrations import SELECT_APPLIED
from db.store import Cursor

MIGRATIONS_TABLE = "schema_migrations"
SELECT_TABLES = """
SELECT table_name FROM information_schema.tables
WHERE table_schema = 'main' AND table_type = 'BASE TABLE'
ORDER BY table_name
"""
SELECT_SEQUENCES = "SELECT sequence_name, last_value FROM duckdb_sequences()"
SET_SEQUENCE = "SELECT setval(?, ?)"
SELECT_EXPORTED_MIGRATIONS = "SELECT version FROM read_parquet(?) ORDER BY version"


def tables(cur: Cursor) -> list[str]:
    """Every table in the database, alphabetically."""
    return [r["table_name"] for r in cur.all(SELECT_TABLES)]


def _known(cur: Cursor, table: str) -> str:
    if table not in tables(cur):
        raise InvalidInput(f"There is no table named {table!r} in this database.")
    return f'"{table}"'


def row_counts(cur: Cursor) -> dict[str, int]:
    """Table → number of rows, for every table."""
    return {t: cur.scalar(f"SELECT count(*) FROM {_known(cur, t)}") for t in tables(cur)}


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


def load_table(cur: Cursor, table: str, path: Path) -> int:
    """Append a Parquet file's rows to a table, matching columns by name; the row count."""
    source = [str(path)]
    cur.execute(f"INSERT INTO {_known(cur, table)} BY NAME SELECT * FROM read_parquet(?)", source)
    return cur.scalar("SELECT count(*) FROM read_parquet(?)", source)


def load_rows(cur: Cursor, table: str, rows: Any) -> None:
    """Append rows (a pyarrow Table or pandas DataFrame) to a table, matching columns by name."""
    name = f"_load_{table}"
    cur.raw.register(name, rows)
    try:
        cur.execute(f"INSERT INTO {_known(cur, table)} BY NAME SELECT * FROM {name}")
    finally:
        cur.raw.unregister(name)


def continue_sequences(cur: Cursor) -> None:
    """Move each ``<table>_id`` sequence past the largest id in its table."""
    last = {r["sequence_name"]: r["last_value"] for r in cur.all(SELECT_SEQUENCES)}
    for table in tables(cur):
        sequence = f"{table}_id"
        if sequence not in last:
            continue
        top = cur.scalar(f"SELECT max(id) FROM {_known(cur, table)}")
        if top is not None and top > (last[sequence] or 0):
            cur.execute(SET_SEQUENCE, [sequence, top])


def applied_migrations(cur: Cursor) -> list[int]:
    """The schema migrations this database has applied."""
    return [r["version"] for r in cur.all(SELECT_APPLIED)]


def exported_migrations(cur: Cursor, path: Path) -> list[int]:
    """The schema migrations recorded in an exported ``schema_migrations.parquet``."""
    return [r["version"] for r in cur.all(SELECT_EXPORTED_MIGRATIONS, [str(path)])]
