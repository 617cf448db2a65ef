"""The run worker: ``cruxlab worker RUN_ID`` (or ``python -m experiments.worker RUN_ID``).

Runs one template in its own process so the app never blocks and a crash never
takes it down. From its first moment it touches the folder's ``heartbeat`` file
every ``lifecycle.HEARTBEAT_S`` seconds and reports progress through
``lifecycle.heartbeat`` at a bounded rate (skipped while the database is busy).
It waits for a free slot (the local executor's bounded queue), runs the template
with a ``RunContext``, writes ``result.json`` (unless a cancel wrote one first),
and only then records the run through ``lifecycle.record``. Then, as one of the
worker pool, it sweeps for lost runs (``lifecycle.refresh``). If the database is
busy throughout, the result stays in the folder and the next refresh records it.
Every database call goes through ``record``: to the home's owner when one runs
(the app's server or ``cruxlab serve`` holds the file), else on this process's store.

On a cluster node (``execute(..., on_node=True)``, called by ``experiments.slurm``)
the worker never opens the database: it heartbeats into the folder only (the
heartbeat file also says when the run started, and on which device), takes no slot
(the scheduler allocated the job's resources), and leaves recording to the process
that owns the database.
"""

from __future__ import annotations

import fcntl
import os
import random
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic_core import to_jsonable_python

from db import paths, wire
from db.errors import CruxlabError, StoreBusy
from db.store import Store
from db.util import now
from experiments import lifecycle
from experiments.context import RunContext
from experiments.folders import RunFolder, read_json, write_json_atomic, write_json_once
from experiments.loading import resolve_device
from experiments.registry import get_template

PUSH_EVERY_S = 5.0  # progress reaches the database at most this often
QUIET_PUSH_S = 30.0  # and at least this often while the run executes
HEARTBEAT_DB_TIMEOUT_S = 0.5  # a heartbeat never waits long for the database
RECORD_TIMEOUT_S = 120.0  # the final record waits longer (unless $CRUXLAB_DB_TIMEOUT says)


def max_jobs() -> int:
    """How many runs may execute at once here: ``$CRUXLAB_MAX_JOBS``, else one per GPU, else 1."""
    if os.environ.get("CRUXLAB_MAX_JOBS"):
        return max(1, int(os.environ["CRUXLAB_MAX_JOBS"]))
    return max(1, torch.cuda.device_count())


@contextmanager
def slot(home: Path, poll_s: float = 0.5) -> Iterator[int]:
    """Hold one of ``max_jobs()`` slot locks for the duration of a run."""
    slots = home / "slots"
    slots.mkdir(parents=True, exist_ok=True)
    while True:
        for index in range(max_jobs()):
            fh = (slots / f"slot-{index}.lock").open("w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                continue
            try:
                yield index
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
            return
        time.sleep(poll_s)


def record(home: Path, store: Store, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Ask the home's owner to run ``fn(store, *args, **kwargs)`` (it holds the database), or
    run it here when no owner runs. ``fn`` is one of the operations ``cruxes.api`` registers."""
    try:
        op = f"{fn.__module__}.{fn.__name__}"
        body = {"op": op, "args": to_jsonable_python(list(args))}
        return wire.post(home, {**body, "kwargs": to_jsonable_python(kwargs)})
    except wire.OwnerUnavailable:
        return fn(store, *args, **kwargs)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Heartbeat:
    """A thread that keeps a run's heartbeat: the folder every ``HEARTBEAT_S`` seconds, the
    database (through ``lifecycle.heartbeat``) when progress changed or the last push is old."""

    def __init__(self, home: Path, store: Store | None, folder: RunFolder):
        self.home, self.store, self.folder = home, store, folder
        self.progress: tuple[float, str] | None = None
        self.started: datetime | None = None
        self.device: str | None = None
        self._pushed: tuple | None = None
        self._pushed_at = 0.0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def report(self, fraction: float, message: str) -> None:
        """The template's latest progress (called by ``RunContext.progress``)."""
        self.progress = (fraction, message)

    def start(self, started: datetime, device: str) -> None:
        """The run now executes on ``device``: tell the folder and the database at once."""
        self.started, self.device = started, device
        stamp = {"started_at": started.isoformat(), "device": device}
        write_json_atomic(self.folder.heartbeat, stamp)
        self.beat(force=True)

    def beat(self, force: bool = False) -> None:
        self.folder.heartbeat.touch()
        if self.store is None:
            return  # on a node: the folder is all there is
        if self.started is None and self._pushed is not None:
            return  # queued: the folder's heartbeat is enough until the run starts
        state = (self.progress, self.started, self.device)
        elapsed = time.monotonic() - self._pushed_at
        if not force and elapsed < (PUSH_EVERY_S if state != self._pushed else QUIET_PUSH_S):
            return
        fraction, message = self.progress or (None, None)
        if self.started is None:
            message = "waiting for a free slot"
        with self._lock:
            if record(
                self.home,
                self.store,
                lifecycle.heartbeat,
                self.folder.run_id,
                progress=fraction,
                message=message,
                started=self.started,
                device=self.device,
            ):
                self._pushed, self._pushed_at = state, time.monotonic()

    def _loop(self) -> None:
        while not self._stop.wait(lifecycle.HEARTBEAT_S):
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - a heartbeat never takes the run down
                traceback.print_exc()


def execute(home: Path, run_id: int, *, on_node: bool = False) -> str:
    """Run one prepared run folder to completion; return its final status.

    ``on_node``: a cluster job's run, which neither opens the database nor takes a slot.
    """
    folder = RunFolder.of(home, run_id)
    spec = read_json(folder.config)
    if spec is None:
        raise SystemExit(f"run {run_id} has no config.json under {folder.root}")
    db_file = paths.db_file(home)
    store = None if on_node else Store(db_file, timeout=HEARTBEAT_DB_TIMEOUT_S)
    beats = Heartbeat(home, store, folder)
    with beats as beat, nullcontext(0) if on_node else slot(home) as index:
        started = now()
        status, error, device = "failed", None, None
        try:
            device = resolve_device(spec["device"])
            if device == "cuda" and index < torch.cuda.device_count():
                torch.cuda.set_device(index)
            template = get_template(spec["template"])
            config = template.parse_config(spec["config"])
            ctx = RunContext(
                folder,
                template,
                device,
                spec["seed"],
                paths.organisms_dir(home),
                on_progress=beat.report,
            )
            ctx.progress(0.0, f"started {template.name} on {device} (slot {index})")
            beat.start(started, device)
            seed_everything(spec["seed"])
            template.run(config, ctx)
            status = "succeeded"
        except CruxlabError as exc:
            error = str(exc)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        result = lifecycle.end_result(status, error, device=device, started_at=started.isoformat())
        if not write_json_once(folder.result, result):
            print("a result was already written (cancelled or lost); keeping it", flush=True)
    if on_node:
        return read_json(folder.result)["status"]
    store = Store(db_file, timeout=float(os.environ.get("CRUXLAB_DB_TIMEOUT") or RECORD_TIMEOUT_S))
    try:
        record(home, store, lifecycle.record, run_id)
        record(home, store, lifecycle.refresh)
    except (StoreBusy, wire.OwnerLost) as exc:
        print(f"result kept in {folder.result}; it will be recorded later: {exc}", flush=True)
    return read_json(folder.result)["status"]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m experiments.worker RUN_ID", file=sys.stderr)
        return 2
    return 0 if execute(paths.home(), int(args[0])) == "succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
