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
    """The store for ``home`` (default ``$CRUXLAB_HOME``), migrated.

    A new home is private: its folder is 0700 and its database 0600.
    """
    home_dir = paths.home(home)
    new = not paths.db_file(home_dir).exists()
    home_dir.mkdir(mode=paths.PRIVATE_DIR, parents=True, exist_ok=True)
    store = Store(paths.db_file(home_dir), timeout=timeout)
    migrate(store)
    if new:
        paths.db_file(home_dir).chmod(paths.PRIVATE_FILE)
    return store


def start_up(home: str | os.PathLike | None = None, *, timeout: float | None = None) -> Store:
    """The store for ``home``, migrated, with run state reconciled with the run folders."""
    store = open_store(home, timeout=timeout)
    lifecycle.refresh(store)
    return store


def held(store: Store):
    """A block in which ``store`` opens its file once for all the calls made inside it."""
    return store.hold()


def home_of(store: Store) -> Path:
    """The home folder a store lives in."""
    return lifecycle.home_of(store)
