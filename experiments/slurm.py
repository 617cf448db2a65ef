"""The ``slurm`` executor: runs become SLURM jobs through submitit, on a shared filesystem.

**Submitting.** ``submit_many`` packs a batch of prepared runs into groups of
``runs_per_job`` and hands the groups to submitit (``submitit.SlurmExecutor``): one
group becomes one job (``sbatch``), several become one job array (``map_array``), so
a sweep of many small runs costs a few jobs, not one each. Each run's job handle is
its job id (``123``, or ``123_4`` for an array task), and ``runs/<id>/job.json``
records it with the run's pack, the job's own log files and the options used.

**On the node.** A job calls ``run_pack(home, run_ids)``, which executes each run
with the same worker code as the local executor (``experiments.worker.execute``):
same run folder, same heartbeat file, same ``result.json``, its output appended to
``runs/<id>/log.txt``. It never opens the database: many nodes writing one DuckDB
file is exactly what DuckDB forbids, so the process that owns the database (the app,
``cruxlab serve``, or the next command that refreshes) records the folders through
``experiments.lifecycle``. The nodes need the home on a shared filesystem and the
Python that runs cruxlab at the same path (a virtual environment on the shared
filesystem; ``setup`` lines can load modules first). submitit's ``python`` option is
not offered: submitit 1.5 drops it for job arrays.

**Watching.** Clusters differ in what they keep: ``squeue --states=all`` knows a job
while it waits or runs and for ``MinJobAge`` seconds after it ends; ``sacct`` knows it
for ever, but only where accounting (slurmdbd) is configured. ``job_states`` asks
``squeue`` first and ``sacct`` for the jobs ``squeue`` no longer knows (submitit's
own job states read ``sacct`` alone, and without accounting they stay ``UNKNOWN``).
A job that ended before its run wrote a result gives the run's end: ``CANCELLED``
ends it ``cancelled``; ``TIMEOUT``, ``PREEMPTED``, ``NODE_FAIL``, ``OUT_OF_MEMORY`` and
the rest end it ``failed`` with SLURM's state and reason, plus the line
``slurmstepd`` wrote into the job's error log (``*** JOB 12 ... CANCELLED AT ... DUE
TO TIME LIMIT ***``), which survives when the controller has forgotten the job.

**Time limits, preemption, requeues.** cruxlab runs are not checkpointable, so
submitit's "requeue on USR2" is switched off on the node: SLURM's own time limit and
preemption policy end a job. If the cluster requeues a job (``scontrol requeue``,
``PreemptMode=REQUEUE``, a node failure with ``--requeue``), the job starts again and
``run_pack`` skips every run that already has a result (finished, or cancelled), and
starts the others from scratch (their partial metrics and artifacts are removed), so
nothing is recorded twice.

**Cancelling.** ``cancel`` runs ``scancel`` on the run's job once no other run of its
pack still needs it; the lifecycle writes the run's cancelled result, which the pack
then skips (a run of a pack that is already executing finishes, and its result is
discarded: the first result written wins).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from db import settings as settings_file
from db.errors import InvalidInput
from experiments.folders import RunFolder, read_json, write_json_atomic

# Options cruxlab sets itself (or through a named setting): not accepted in sbatch_flags.
OWN_FLAGS = {
    "output": None,
    "error": None,
    "array": None,
    "open-mode": None,
    "signal": None,
    "job-name": None,
    "wrap": None,
    "partition": "partition",
    "account": "account",
    "time": "time_limit_min",
    "mem": "mem_gb",
    "cpus-per-task": "cpus_per_job",
    "gpus-per-node": "gpus_per_job",
}
FLAG = re.compile(r"--(?P<name>[a-z][a-z0-9-]*)(=(?P<value>.+))?")


class SlurmSettings(BaseModel):
    """Cluster options: the ``[slurm]`` table of ``settings.toml``, overridden per run."""

    model_config = ConfigDict(extra="forbid")

    partition: str | None = Field(
        None, description="Partition to submit to (sbatch --partition); unset: the default."
    )
    account: str | None = Field(None, description="Account charged for the jobs (--account).")
    gpus_per_job: int = Field(0, ge=0, le=64, description="GPUs per job (--gpus-per-node).")
    cpus_per_job: int = Field(1, ge=1, le=1024, description="CPUs per job (--cpus-per-task).")
    mem_gb: float | None = Field(
        None, gt=0, le=65536, description="Memory per job in GB (--mem); unset: the default."
    )
    time_limit_min: int = Field(
        60,
        ge=1,
        le=525_600,
        description="Wall-time limit per job in minutes (--time); a run that outlasts it "
        "fails with SLURM's reason.",
    )
    runs_per_job: int = Field(
        1, ge=1, le=10_000, description="Runs packed into one job (small runs of a sweep)."
    )
    sbatch_flags: list[str] = Field(
        [], description="Further sbatch options, e.g. --qos=high or --constraint=a100."
    )
    setup: list[str] = Field(
        [], description="Shell lines run on the node before the worker, e.g. module load cuda."
    )

    @field_validator("partition", "account")
    @classmethod
    def _one_word(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or any(c.isspace() for c in value)):
            raise ValueError("must be one word")
        return value

    @field_validator("sbatch_flags")
    @classmethod
    def _flags(cls, flags: list[str]) -> list[str]:
        for flag in flags:
            match = FLAG.fullmatch(flag)
            if match is None:
                raise ValueError(f"{flag!r} is not of the form --name or --name=value")
            name = match["name"]
            if name in OWN_FLAGS:
                instead = OWN_FLAGS[name]
                raise ValueError(
                    f"--{name} is set by cruxlab"
                    + (f"; use the {instead} setting" if instead else "")
                )
        return flags

    def submitit_parameters(self, job_name: str) -> dict[str, Any]:
        """These options as ``submitit.SlurmExecutor.update_parameters`` arguments."""
        params: dict[str, Any] = {
            "job_name": job_name,
            "time": self.time_limit_min,
            "cpus_per_task": self.cpus_per_job,
            "setup": list(self.setup),
            "stderr_to_stdout": False,
        }
        if self.partition:
            params["partition"] = self.partition
        if self.account:
            params["account"] = self.account
        if self.gpus_per_job:
            params["gpus_per_node"] = self.gpus_per_job
        if self.mem_gb:
            params["mem"] = f"{int(self.mem_gb * 1024)}MB"
        extra = {}
        for flag in self.sbatch_flags:
            match = FLAG.fullmatch(flag)
            extra[match["name"].replace("-", "_")] = match["value"] or True
        if extra:
            params["additional_parameters"] = extra
        return params


LIST_OPTIONS = {"sbatch_flags", "setup"}


def parse_pairs(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``["time_limit_min=5", "setup=module load cuda", ...]`` → options; the list options
    (``sbatch_flags``, ``setup``) take one value per repetition."""
    options: dict[str, Any] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput(f"Expected a SLURM option KEY=VALUE, got {pair!r}.")
        if key in LIST_OPTIONS:
            options.setdefault(key, []).append(value.strip())
        else:
            options[key] = value.strip()
    return options


def load_settings(home: Path, overrides: Mapping[str, Any] | None = None) -> SlurmSettings:
    """The home's ``[slurm]`` settings with per-run ``overrides``; one InvalidInput if bad."""
    base = settings_file.read(home).get("slurm", {})
    if not isinstance(base, dict):
        raise InvalidInput(f"In {settings_file.path(home)}, [slurm] must be a table.")
    try:
        return SlurmSettings.model_validate({**base, **dict(overrides or {})})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"][:1]) or "slurm"
        message = err["msg"].removeprefix("Value error, ")
        known = ", ".join(SlurmSettings.model_fields)
        hint = f" (known: {known})" if err["type"] == "extra_forbidden" else ""
        raise InvalidInput(f"SLURM option {where}: {message}{hint}.") from None


# ---------------------------------------------------------------------------- the cluster


@dataclass(frozen=True)
class JobState:
    """What SLURM says about one job: its state (``RUNNING``, ``TIMEOUT``…), its reason,
    and when its current attempt started (seconds since the epoch), if it did."""

    state: str
    reason: str = ""
    started: float | None = None

    @property
    def waiting(self) -> bool:
        return self.state in WAITING

    @property
    def running(self) -> bool:
        return self.state in RUNNING


WAITING = {"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "SUSPENDED", "RESV_DEL_HOLD"}
RUNNING = {"RUNNING", "CONFIGURING", "COMPLETING", "RESIZING", "SIGNALING", "STAGE_OUT"}
_CACHE_S = 2.0  # one squeue per job (or array) per refresh, not one per run
_cache: dict[str, tuple[float, dict[str, JobState]]] = {}


def _base(job_id: str) -> str:
    return job_id.split("_", 1)[0]


def _slurm(*argv: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _epoch(stamp: str) -> float | None:
    try:  # squeue prints the controller's local time, ISO-like, or N/A before a start
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def parse_states(lines: str) -> dict[str, JobState]:
    """``JOBID|STATE[|REASON|START]`` lines (squeue, sacct) → state per job id."""
    states = {}
    for line in lines.splitlines():
        job_id, state, reason, start = (line.strip().split("|") + ["", "", ""])[:4]
        if job_id and state.strip():
            states[job_id] = JobState(state.split()[0], reason, _epoch(start))
    return states


def job_states(job_ids: Sequence[str]) -> dict[str, JobState] | None:
    """SLURM's state of each job it still knows (array tasks as ``123_4``); None if SLURM
    cannot be asked (no client, controller down)."""
    bases = sorted({_base(j) for j in job_ids})
    known: dict[str, JobState] = {}
    todo = []
    for base in bases:
        cached = _cache.get(base)
        if cached and time.monotonic() - cached[0] < _CACHE_S:
            known.update(cached[1])
        else:
            todo.append(base)
    if todo:
        found = _squeue(todo)
        if found is None:
            return None
        gone = [b for b in todo if not any(_base(j) == b for j in found)]
        if gone:
            found.update(_sacct(gone))
        for base in todo:
            _cache[base] = (
                time.monotonic(),
                {j: s for j, s in found.items() if _base(j) == base},
            )
        known.update(found)
    return {j: known[j] for j in job_ids if j in known}


def _squeue(bases: list[str]) -> dict[str, JobState] | None:
    out = _slurm("squeue", "-h", "--states=all", "-r", "-j", ",".join(bases), "-o", "%i|%T|%r|%S")
    if out is None:
        return None
    if out.returncode != 0:
        # Every id unknown (ended and forgotten) is an error to squeue; anything else is not.
        return {} if "Invalid job id" in out.stderr else None
    return parse_states(out.stdout)


def _sacct(bases: list[str]) -> dict[str, JobState]:
    """Ended jobs from accounting, where the cluster keeps it (else nothing)."""
    if shutil.which("sacct") is None:
        return {}
    out = _slurm("sacct", "-n", "-P", "-X", "-o", "JobID,State", "-j", ",".join(bases))
    if out is None or out.returncode != 0:
        return {}  # "Slurm accounting storage is disabled"
    return parse_states(out.stdout)


def forget_cache() -> None:
    """Ask SLURM afresh next time (after a submit or scancel)."""
    _cache.clear()


# ---------------------------------------------------------------------------- job.json


def job_file(folder: RunFolder) -> Path:
    return folder.root / "job.json"


def job_info(home: Path, run_id: int) -> dict[str, Any]:
    """What ``submit_many`` recorded for a run: job id, pack, log files, options."""
    return read_json(job_file(RunFolder.of(home, run_id))) or {}


_DUE_TO = re.compile(r"\*\*\* JOB \S+ ON \S+ CANCELLED AT \S+(?: DUE TO (?P<why>[A-Z _]+))?")


def stepd_line(info: Mapping[str, Any]) -> str | None:
    """The line slurmstepd wrote into the job's error log when it ended the job, if any."""
    for key in ("stderr", "stdout"):
        path = info.get(key)
        if not path:
            continue
        try:
            text = Path(path).read_text(errors="replace")
        except OSError:
            continue
        lines = [line for line in text.splitlines() if _DUE_TO.search(line)]
        if lines:
            return lines[-1].split("error: ", 1)[-1].strip()
    return None


def ending(home: Path, run_id: int, job_id: str, state: JobState | None) -> tuple[str, str]:
    """The status and error of a run whose job ended (or was forgotten) without its result."""
    info = job_info(home, run_id)
    line = stepd_line(info)
    said = f": {line}" if line else ""
    if state is None:
        return "failed", (
            f"SLURM no longer knows job {job_id} and the run wrote no result{said}. "
            f"The job's log: {info.get('stderr', 'unknown')}."
        )
    reason = f", reason {state.reason}" if state.reason and state.reason != "None" else ""
    if state.state == "CANCELLED":
        return "cancelled", f"SLURM cancelled job {job_id} (scancel){reason}{said}."
    if state.state == "COMPLETED":
        return "failed", (
            f"SLURM job {job_id} completed but the run wrote no result; see "
            f"{info.get('stderr', 'the job log')}."
        )
    return "failed", f"SLURM ended job {job_id}: {state.state}{reason}{said}."


# ---------------------------------------------------------------------------- on the node


@contextmanager
def output_to(log: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (file descriptors 1 and 2) to ``log``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("ab") as fh:
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def start_again(folder: RunFolder) -> None:
    """Remove what an earlier attempt of this run left (a requeued job starts it anew)."""
    if folder.metrics.exists() or folder.artifacts.exists():
        with folder.log.open("a") as fh:
            fh.write(f"SLURM job {os.environ.get('SLURM_JOB_ID', '?')} started this run again\n")
        folder.metrics.unlink(missing_ok=True)
        folder.progress_file.unlink(missing_ok=True)
        shutil.rmtree(folder.artifacts, ignore_errors=True)


def run_pack(home: str, run_ids: list[int]) -> dict[int, str]:
    """The job: execute each run of a pack that has no result yet; never open the database."""
    # Not checkpointable: let SLURM's time limit and preemption policy end the job.
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    statuses = {}
    for run_id in run_ids:
        folder = RunFolder.of(Path(home), run_id)
        if folder.result.exists():
            statuses[run_id] = (read_json(folder.result) or {}).get("status", "done")
            print(f"run {run_id} already ended {statuses[run_id]}: not run again", flush=True)
            continue
        from experiments.worker import execute  # torch: only when a run executes

        start_again(folder)
        with output_to(folder.log):
            statuses[run_id] = execute(Path(home), run_id, on_node=True)
    return statuses


# ---------------------------------------------------------------------------- the executor


def _packs(run_ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(run_ids[i : i + size]) for i in range(0, len(run_ids), size)]


class SlurmExecutor:
    """Runs as SLURM jobs (see the module docstring)."""

    name = "slurm"
    takes_options = True

    def __init__(
        self, options: Sequence[str] | Mapping[str, Any] | None = None, *, home: Path | None = None
    ):
        self.options = dict(options) if isinstance(options, Mapping) else parse_pairs(options)
        if home is not None:
            load_settings(home, self.options)  # bad options: one error before anything exists

    def submit(self, home: Path, run_id: int) -> str:
        return self.submit_many(home, [run_id])[0]

    def submit_many(self, home: Path, run_ids: Sequence[int]) -> list[str]:
        """Submit prepared runs as one job, or as one job array; return each run's job id."""
        import submitit

        settings = load_settings(home, self.options)
        if shutil.which("sbatch") is None or shutil.which("srun") is None:
            raise InvalidInput(
                "The slurm executor needs SLURM's sbatch and srun on this machine's PATH."
            )
        packs = _packs(list(run_ids), settings.runs_per_job)
        executor = submitit.SlurmExecutor(folder=home / "slurm" / "%j")
        name = f"cruxlab-{run_ids[0]}" + (f"-{run_ids[-1]}" if len(run_ids) > 1 else "")
        executor.update_parameters(**settings.submitit_parameters(name))
        try:
            # submitit prints sbatch's complaint before raising it: say it once, below.
            with redirect_stderr(io.StringIO()):
                if len(packs) == 1:
                    jobs = [executor.submit(run_pack, str(home), packs[0])]
                else:
                    jobs = executor.map_array(run_pack, [str(home)] * len(packs), packs)
        except submitit.core.utils.FailedJobError as exc:
            raise InvalidInput(f"sbatch refused the job: {_sbatch_error(exc)}.") from None
        forget_cache()
        handles = []
        for job, pack in zip(jobs, packs, strict=True):
            for run_id in pack:
                write_json_atomic(
                    job_file(RunFolder.of(home, run_id)),
                    {
                        "executor": self.name,
                        "job_id": job.job_id,
                        "pack": pack,
                        "stdout": str(job.paths.stdout),
                        "stderr": str(job.paths.stderr),
                        "options": settings.model_dump(),
                    },
                )
                handles.append(job.job_id)
        return handles

    def cancel(self, home: Path, run_id: int, job_id: str | None) -> None:
        if not job_id:
            return
        pack = job_info(home, run_id).get("pack", [run_id])
        others = [i for i in pack if i != run_id and not RunFolder.of(home, i).result.exists()]
        if not others:
            _slurm("scancel", job_id)
            forget_cache()

    def state(self, job_id: str) -> JobState | None:
        """SLURM's state of the job, or None if SLURM no longer knows it."""
        return (job_states([job_id]) or {}).get(job_id)

    def probe(self, home: Path, run_id: int, job_id: str | None):
        from experiments.executors import Liveness

        if not job_id:
            return Liveness.UNKNOWN
        states = job_states([job_id])
        if states is None:
            # SLURM cannot be asked (a controller restart): no run is failed for that.
            return Liveness.WAITING
        state = states.get(job_id)
        if state is None or not (state.waiting or state.running):
            return Liveness.GONE
        beat = RunFolder.of(home, run_id).last_heartbeat()
        if state.waiting or beat is None or (state.started and beat < state.started):
            # Queued, in its setup lines, behind earlier runs of its pack, or requeued and
            # not yet at this run: no heartbeat is due from this attempt yet.
            return Liveness.WAITING
        return Liveness.ALIVE

    def end(self, home: Path, run_id: int, job_id: str | None) -> tuple[str, str] | None:
        """How a run whose job is gone ended: (``failed`` | ``cancelled``, SLURM's reason)."""
        if not job_id:
            return None
        return ending(home, run_id, job_id, self.state(job_id))


def _sbatch_error(exc: Exception) -> str:
    text = str(exc)
    lines = [
        line.removeprefix("sbatch: error: ").strip()
        for line in text.splitlines()
        if "error" in line.lower()
    ]
    return (lines[-1] if lines else text.strip().splitlines()[-1]).rstrip(".")
