"""Opening a cruxlab home: the database (migrated) and its run folders."""

from __future__ import annotations

import os
from pathlib import Path

from db import paths
from db.migrations import migrate
from db.store import Store
from experiments.runs import reconcile


def open_store(home: str | os.PathLike | None = None, *, timeout: float | None = None) -> Store:
    """The store for ``home`` (default ``$CRUXLAB_HOME``), migrated and reconciled with runs."""
    home_dir = paths.home(home)
    home_dir.mkdir(parents=True, exist_ok=True)
    store = Store(paths.db_file(home_dir), timeout=timeout)
    with store.session():  # one open of the file for both
        migrate(store)
        reconcile(store)
    return store


def describe(store: Store) -> dict[str, str]:
    """Where a store's data lives: its home folder and database file."""
    return {"home": str(home_of(store)), "database": str(store.path)}


def home_of(store: Store) -> Path:
    """The home folder a store lives in."""
    return store.path.parent
