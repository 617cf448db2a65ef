"""Executors: where a run's worker process runs.

An executor is a small class registered under a name (``@executor``) with three
methods; ``experiments.lifecycle`` is its only caller and keeps the run's state:

``submit(home, run_id) -> str``
    Start the worker for a prepared run folder (``runs/<id>/config.json`` exists)
    and return a job handle without waiting (a pid, a cluster job id). Raise a
    ``CruxlabError`` with one clear sentence if the run cannot be handed over:
    the lifecycle then rolls back, and the run never exists.
``cancel(home, run_id, job_id) -> None``
    Stop that worker if it still runs (best effort; never raises for a job that
    already ended).
``probe(home, run_id, job_id) -> Liveness``
    ``ALIVE``, ``WAITING`` (in a cluster's queue, so no heartbeat is expected yet),
    ``GONE`` or ``UNKNOWN``: whether the worker still exists. It is one input to
    finding lost runs; the other is the age of the run's heartbeat.

Two methods are optional: ``submit_many(home, run_ids) -> list[str]`` hands a
sweep over at once (SLURM: one job array; without it, ``submit`` is called per
run), and ``end(home, run_id, job_id) -> (status, reason) | None`` says how a run
whose worker is ``GONE`` without a result ended, where the executor knows better
than "lost" (SLURM: ``cancelled`` after ``scancel``, ``failed`` with SLURM's reason
after a time limit).

The worker itself (``python -m experiments.worker RUN_ID``) is the same on every
executor: it reads the run folder, heartbeats into it and writes its result there.
The local worker then records it through the lifecycle; a cluster job
(``experiments.slurm``) never opens the database, and the process that owns it
records the folder.

``local`` (the default) starts the worker on this machine; workers queue on slot
locks so at most one run per GPU (or ``$CRUXLAB_MAX_JOBS``) executes at once.
``slurm`` submits runs as SLURM jobs through submitit. The executor is chosen by
name: the argument, else ``$CRUXLAB_EXECUTOR``, else ``executor`` in the home's
``settings.toml``, else ``local``; ``options`` (SLURM's per-run overrides) go to
executors that take them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Protocol

from db import settings
from db.errors import InvalidInput
from db.util import process_alive
from experiments.folders import RunFolder


class Liveness(StrEnum):
    ALIVE = "alive"
    WAITING = "waiting"  # queued by its executor: alive, no heartbeat expected yet
    GONE = "gone"
    UNKNOWN = "unknown"


class Executor(Protocol):
    name: ClassVar[str]

    def submit(self, home: Path, run_id: int) -> str:
        """Start the run's worker; return its job handle without waiting for it."""

    def cancel(self, home: Path, run_id: int, job_id: str | None) -> None:
        """Stop the run's worker if it still runs."""

    def probe(self, home: Path, run_id: int, job_id: str | None) -> Liveness:
        """Whether the run's worker still exists."""


EXECUTORS: dict[str, type[Executor]] = {}


def executor(cls: type[Executor]) -> type[Executor]:
    """Register an executor class under its ``name``; a name registers once."""
    if cls.name in EXECUTORS:
        raise ValueError(f"executor {cls.name!r} is already registered")
    EXECUTORS[cls.name] = cls
    return cls


def default_name(home: Path | None = None) -> str:
    """``$CRUXLAB_EXECUTOR``, else ``executor`` in the home's settings file, else ``local``."""
    chosen = os.environ.get("CRUXLAB_EXECUTOR")
    if not chosen and home is not None:
        chosen = settings.read(home).get("executor")
    return chosen or "local"


def get_executor(
    name: str | None = None,
    *,
    options: Sequence[str] | Mapping[str, Any] | None = None,
    home: Path | None = None,
) -> Executor:
    """The executor ``name`` (default: ``default_name(home)``), given per-run ``options``
    (checked now against ``home``'s settings; an executor without options refuses them)."""
    name = name or default_name(home)
    if name not in EXECUTORS:
        known = ", ".join(sorted(EXECUTORS))
        raise InvalidInput(f"Unknown executor {name!r}; known executors: {known}.")
    cls = EXECUTORS[name]
    if not options:
        return cls()
    if not getattr(cls, "takes_options", False):
        raise InvalidInput(f"The {name} executor takes no options (they are for slurm).")
    return cls(options, home=home)


def worker_command(run_id: int) -> list[str]:
    """The command every executor runs for a run."""
    return [sys.executable, "-m", "experiments.worker", str(run_id)]


def pid_alive(pid: int, run_id: int | None = None) -> bool:
    """Whether process ``pid`` runs (zombies count as gone); with ``run_id``, only if it is
    that run's worker (a reused pid is not)."""
    if not process_alive(pid):
        return False
    if run_id is not None:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:  # it ended since, unless there is no /proc to ask
            return not Path("/proc/self").exists()
        return b"experiments.worker" in argv and str(run_id).encode() in argv
    return True


@executor
class LocalExecutor:
    name = "local"

    def submit(self, home: Path, run_id: int) -> str:
        folder = RunFolder.of(home, run_id)
        env = {**os.environ, "CRUXLAB_HOME": str(home), "PYTHONUNBUFFERED": "1"}
        with folder.log.open("ab") as log:
            proc = subprocess.Popen(
                worker_command(run_id),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        folder.pid_file.write_text(str(proc.pid))
        # Reap the child when it exits so a long-lived app leaves no zombies.
        threading.Thread(target=proc.wait, daemon=True).start()
        return str(proc.pid)

    def cancel(self, home: Path, run_id: int, job_id: str | None) -> None:
        if job_id and pid_alive(int(job_id), run_id):
            # The worker leads its own session: stop it and anything it started.
            try:
                os.killpg(int(job_id), signal.SIGTERM)
                os.killpg(int(job_id), signal.SIGCONT)  # a stopped worker must see it too
            except ProcessLookupError:
                pass

    def probe(self, home: Path, run_id: int, job_id: str | None) -> Liveness:
        if not job_id:
            return Liveness.UNKNOWN
        return Liveness.ALIVE if pid_alive(int(job_id), run_id) else Liveness.GONE


# The slurm executor imports Liveness and the decorator from here, so it comes last.
from experiments.slurm import SlurmExecutor  # noqa: E402

executor(SlurmExecutor)
