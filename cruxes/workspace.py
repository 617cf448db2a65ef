"""Opening a cruxlab home: the database (migrated) and its run folders."""

from __future__ import annotations

import os
from pathlib import Path

from db import paths
from db.migrations import migrate
from db.store import Store
from experiments.runs import reconcile


def open_store(home: str | os.PathLike | None = None, *, timeout: float | None = None) -> Store:
    """The store for ``home`` (default ``$CRUXLAB_HOME``), migrated and reconciled with runs.

    A new home is private: its folder is 0700 and its database 0600.
    """
    home_dir = paths.home(home)
    new = not paths.db_file(home_dir).exists()
    home_dir.mkdir(mode=paths.PRIVATE_DIR, parents=True, exist_ok=True)
    store = Store(paths.db_file(home_dir), timeout=timeout)
    migrate(store)
    if new:
        paths.db_file(home_dir).chmod(paths.PRIVATE_FILE)
    reconcile(store)
    return store


def home_of(store: Store) -> Path:
    """The home folder a store lives in."""
    return store.path.parent
