"""Executors: where a run's worker process runs.

``local`` (the default) starts ``python -m experiments.worker RUN_ID`` on this
machine; workers queue on slot locks so at most one run per GPU (or
``$CRUXLAB_MAX_JOBS``) executes at once. A cluster engine (SLURM through
submitit) would implement the same ``submit``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Protocol

from db.errors import InvalidInput
from experiments.folders import RunFolder


class Executor(Protocol):
    name: str

    def submit(self, home: Path, run_id: int) -> None:
        """Start the run's worker; return without waiting for it."""


class LocalExecutor:
    name = "local"

    def submit(self, home: Path, run_id: int) -> None:
        folder = RunFolder.of(home, run_id)
        env = {**os.environ, "CRUXLAB_HOME": str(home), "PYTHONUNBUFFERED": "1"}
        with folder.log.open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "experiments.worker", str(run_id)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        folder.pid_file.write_text(str(proc.pid))
        # Reap the child when it exits so a long-lived app leaves no zombies.
        threading.Thread(target=proc.wait, daemon=True).start()


EXECUTORS: dict[str, type] = {"local": LocalExecutor}


def get_executor(name: str | None = None) -> Executor:
    """The executor ``name`` (default ``$CRUXLAB_EXECUTOR`` or ``local``)."""
    name = name or os.environ.get("CRUXLAB_EXECUTOR", "local")
    if name not in EXECUTORS:
        raise InvalidInput(f"Unknown executor {name!r}; known: {', '.join(EXECUTORS)}.")
    return EXECUTORS[name]()
