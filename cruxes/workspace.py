"""Opening a cruxlab home: the database (migrated) and its run folders.

``open_store`` is all a command or a page needs to read and write; it never
touches run state. ``start_up`` is what a long-lived process does once when it
starts for a home (the app's server, ``cruxlab init``): open the store, then
record runs that finished while nobody was watching and fail lost ones
(``experiments.lifecycle.refresh``).
"""

from __future__ import annotations

import os
from pathlib import Path

from db import paths
from db.migrations import migrate
from db.store import Store
from experiments import lifecycle


def open_store(home: str | os.PathLike | None = None, *, timeout: float | None = None) -> Store:
    """The store for ``home`` (default ``$CRUXLAB_HOME``), migrated."""
    home_dir = paths.home(home)
    home_dir.mkdir(parents=True, exist_ok=True)
    store = Store(paths.db_file(home_dir), timeout=timeout)
    migrate(store)
    return store


def start_up(home: str | os.PathLike | None = None, *, timeout: float | None = None) -> Store:
    """The store for ``home``, migrated, with run state reconciled with the run folders."""
    store = open_store(home, timeout=timeout)
    lifecycle.refresh(store)
    return store


def initialise(store: Store) -> dict[str, str]:
    """What ``cruxlab init`` does on an opened (migrated) store: reconcile run state with the
    run folders, then say where the data lives."""
    lifecycle.refresh(store)
    return describe(store)


def describe(store: Store) -> dict[str, str]:
    """Where a store's data lives: its home folder and database file."""
    return {"home": str(home_of(store)), "database": str(store.path)}


def home_of(store: Store) -> Path:
    """The home folder a store lives in."""
    return lifecycle.home_of(store)
