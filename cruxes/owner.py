"""The owner of a home's database: one long-lived process holds it, everyone else asks.

DuckDB gives one process the file. When the app's server or ``cruxlab serve``
runs for a home, it starts an ``Owner``: the store is opened once and held
(migrations and a refresh of run states run once, here), each thread gets its own
cursor, and the owner answers the operations of ``cruxes.api`` on a Unix
socket in the home (``owner.sock``; ``owner.json`` says which process). CLI
commands and run workers on the same machine send their calls there, so
nobody waits for the file and nobody is refused as busy.

Paths sent to the owner (an export directory, a backup) are absolute: the CLI
resolves them before sending, and the owner runs on the same machine.
"""

from __future__ import annotations

import atexit
import logging
import threading
import traceback
from pathlib import Path
from typing import Any

from cruxes import api
from db import paths, wire
from db.errors import CruxlabError
from db.migrations import migrate
from db.store import Store, command_line
from experiments import lifecycle

log = logging.getLogger("cruxlab.owner")
# The HTTP status each error type answers with (the client re-raises it by name).
STATUS = {"InvalidInput": 400, "NotFound": 404, "Conflict": 409, "StaleWrite": 409}
_running: dict[Path, Owner] = {}
_lock = threading.Lock()


class Owner:
    """A home's database, held open and served on the home's socket."""

    def __init__(self, home: Path, *, command: str | None = None):
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.store = Store(paths.db_file(home))
        self.requests = 0
        self.listener = wire.Listener(home, self.handle, command or command_line())
        try:
            self.store.hold()
            migrate(self.store)
            lifecycle.refresh(self.store)
        except BaseException:
            self.listener.close()
            self.store.release()
            raise
        self.listener.start()
        api.own(home, self.store)

    @property
    def pid(self) -> int:
        return self.listener.info["pid"]

    def handle(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one request: 200 with the result, or the error as type and sentence."""
        self.requests += 1
        try:
            request = api.Request.model_validate(body)
        except Exception:
            return 400, _error("InvalidInput", "The request is not a cruxlab operation.")
        try:
            result = api.run(self.store, request.op, request.args, request.kwargs, request.actor)
            return 200, {"result": api.dump(api.OPERATIONS[request.op], result)}
        except CruxlabError as exc:
            name = type(exc).__name__
            return STATUS.get(name, 409), _error(name, str(exc))
        except Exception as exc:  # a bug: the caller gets one sentence, the log the traceback
            log.error("operation %s failed:\n%s", request.op, traceback.format_exc())
            return 500, _error(
                "CruxlabError",
                f"The cruxlab owner failed on {request.op} ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); "
                "its log has the details.",
            )

    def close(self) -> None:
        """Stop answering, then let go of the database file."""
        api.own(self.home, None)
        self.listener.close()
        self.store.release()


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}


def start(home: str | Path | None = None, *, command: str | None = None) -> Owner:
    """Start (once per process and home) the owner of ``home`` (default ``$CRUXLAB_HOME``)."""
    home_dir = paths.home(home)
    with _lock:
        owner = _running.get(home_dir)
        if owner is None:
            owner = _running[home_dir] = Owner(home_dir, command=command)
        return owner


def stop(home: str | Path | None = None) -> None:
    """Stop this process's owner of ``home``, if it runs one."""
    with _lock:
        owner = _running.pop(paths.home(home), None)
    if owner is not None:
        owner.close()


def stop_all() -> None:
    """Stop every owner this process runs (at exit; between tests)."""
    with _lock:
        owners = list(_running.values())
        _running.clear()
    for owner in owners:
        owner.close()


def running(home: str | Path | None = None) -> dict[str, Any] | None:
    """The owner of ``home`` now running (pid, command, since), in any process, or None."""
    return wire.owner_info(paths.home(home))


atexit.register(stop_all)  # a server that exits leaves no socket behind
