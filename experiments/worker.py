"""The run worker: ``cruxlab worker RUN_ID`` (or ``python -m experiments.worker RUN_ID``).

Runs one template in its own process so the app never blocks and a crash never
takes it down. It waits for a free slot (the local executor's bounded queue),
runs the template with a ``RunContext``, writes ``result.json``, and only then
records the run in the database: through the home's owner when one runs (the
app's server or ``cruxlab serve`` holds the file), else by opening it here. If
the database is busy or the owner stopped, the result stays in the folder and
the next reconciliation ingests it, exactly once.
"""

from __future__ import annotations

import fcntl
import os
import random
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic_core import to_jsonable_python

from db import paths, wire
from db.errors import CruxlabError, StoreBusy
from db.store import Store
from db.util import now
from experiments.context import RunContext
from experiments.folders import RunFolder, read_json, write_json_atomic
from experiments.loading import resolve_device
from experiments.registry import get_template
from experiments.runs import ingest, mark_started


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


def record(home: Path, store: Store, fn: Callable[..., Any], *args: Any) -> Any:
    """Ask the home's owner to run ``fn(store, *args)`` (it holds the database), or run it
    here when no owner runs. ``fn`` is one of the operations ``cruxes.api`` registers."""
    try:
        op = f"{fn.__module__}.{fn.__name__}"
        return wire.post(home, {"op": op, "args": to_jsonable_python(list(args))})
    except wire.OwnerUnavailable:
        return fn(store, *args)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def execute(home: Path, run_id: int) -> str:
    """Run one prepared run folder to completion; return its final status."""
    folder = RunFolder.of(home, run_id)
    spec = read_json(folder.config)
    if spec is None:
        raise SystemExit(f"run {run_id} has no config.json under {folder.root}")
    store = Store(paths.db_file(home))
    with slot(home) as index:
        started = now()
        status, error, device = "failed", None, None
        try:
            device = resolve_device(spec["device"])
            if device == "cuda" and index < torch.cuda.device_count():
                torch.cuda.set_device(index)
            template = get_template(spec["template"])
            config = template.parse_config(spec["config"])
            ctx = RunContext(folder, template, device, spec["seed"], paths.organisms_dir(home))
            ctx.progress(0.0, f"started {template.name} on {device} (slot {index})")
            try:
                record(home, store, mark_started, run_id, started, device)
            except (StoreBusy, wire.OwnerLost) as exc:
                ctx.log(f"database busy, status will be recorded at the end: {exc}")
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
        write_json_atomic(
            folder.result,
            {
                "status": status,
                "error": error,
                "device": device,
                "started_at": started.isoformat(),
                "finished_at": now().isoformat(),
            },
        )
    try:
        record(home, store, ingest, run_id)
    except (StoreBusy, wire.OwnerLost) as exc:
        print(f"result kept in {folder.result}; it will be recorded later: {exc}", flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m experiments.worker RUN_ID", file=sys.stderr)
        return 2
    return 0 if execute(paths.home(), int(args[0])) == "succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
