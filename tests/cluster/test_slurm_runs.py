"""Runs on a real single-node SLURM (see ``tests/cluster/slurm.py``), through the CLI.

Jobs that must outlive a moment (to be cancelled, or to hit a time limit) wait in a
``setup`` line (``sleep``), which costs no CPU; the runs that execute use the tiny
organism and four sequences.
"""

import json
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from cruxes import runs
from cruxes.errors import InvalidInput
from experiments.folders import RunFolder, read_json
from experiments.slurm import job_info, job_states
from tests.integration.test_cli_loop import cli, js

SMALL = ["--set", "n_sequences=4"]
PARKED = ["--slurm", "setup=sleep 600"]  # the job waits on the node before the worker
PATIENCE_S = 900  # a generous bound for a loaded machine; reached only if SLURM is stuck


def until(what: str, ready, cluster):
    """Poll ``ready()`` until it returns something true; fail (with the daemons' logs) only
    if the cluster seems stuck."""
    started = time.monotonic()
    while not (value := ready()):
        assert time.monotonic() - started < PATIENCE_S, f"no {what}:\n{cluster.logs()}"
        time.sleep(0.5)
    return value


def state_of(job_id: str) -> str | None:
    state = (job_states([job_id]) or {}).get(job_id)
    return state and state.state


def scontrol(job_id: str) -> dict[str, str]:
    out = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True)
    return dict(f.split("=", 1) for f in out.stdout.split() if "=" in f)


def test_run_start_on_slurm_waits_for_the_job_and_a_requeue_records_nothing_twice(
    slurm, project, home, store
):
    run = js(
        "run", "start", str(project.id), "induction_heads", *SMALL, "--executor", "slurm", "--wait"
    )
    assert (run["status"], run["executor"]) == ("succeeded", "slurm")
    assert run["metrics"]["max_induction_score"] > 0.5
    job = job_info(home, run["id"])
    assert job["job_id"] == run["job_id"] and job["pack"] == [run["id"]]
    assert "best induction head" in runs.run_log(store, run["id"])
    assert len(runs.metric_history(store, run["id"])) == 5

    # SLURM runs a requeued job again from the start: the finished run is not rerun.
    subprocess.run(["scontrol", "requeue", run["job_id"]], check=True)
    until(
        "second run of the job",
        lambda: (
            scontrol(run["job_id"]).get("Restarts") == "1"
            and scontrol(run["job_id"]).get("JobState") == "COMPLETED"
        ),
        slurm,
    )
    assert runs.refresh(store) == {}
    assert runs.get_run(store, run["id"]).status == "succeeded"
    assert len(runs.metric_history(store, run["id"])) == 5
    job_log = Path(job["stdout"]).read_text()
    assert f"run {run['id']} already ended succeeded: not run again" in job_log


def test_a_sweep_is_one_job_array_whose_workers_never_open_the_database(
    slurm, project, home, store
):
    started = js(
        "run",
        "sweep",
        str(project.id),
        "induction_heads",
        "--grid",
        "n_sequences=4,8",
        "--grid",
        "seed=0,1",
        "--set",
        "seq_len=12",
        "--executor",
        "slurm",
        "--slurm",
        "runs_per_job=2",
    )
    ids = [r["id"] for r in started]
    assert [(r["config"]["n_sequences"], r["seed"]) for r in started] == [
        (4, 0),
        (4, 1),
        (8, 0),
        (8, 1),
    ]
    jobs = [r["job_id"] for r in started]
    array = jobs[0].split("_")[0]
    assert jobs == [f"{array}_0", f"{array}_0", f"{array}_1", f"{array}_1"]

    folders = [RunFolder.of(home, i) for i in ids]
    # This process holds the database for as long as the jobs run: no other process can
    # open it. The two array tasks still run their four runs and write every result.
    with store.cursor():
        until("results", lambda: all(f.result.exists() for f in folders), slurm)
    results = [read_json(f.result) for f in folders]
    assert [r["status"] for r in results] == ["succeeded"] * 4
    for folder in folders:
        assert "database" not in folder.read_log().lower()
    # The two tasks (two processes, two pairs of run folders) ran at the same time.
    spans = [
        (
            datetime.fromisoformat(results[i]["started_at"]),
            datetime.fromisoformat(results[i + 1]["finished_at"]),
        )
        for i in (0, 2)
    ]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]
    assert [runs.get_run(store, i).status for i in ids] == ["queued"] * 4

    # The owner of the database (here: an explicit refresh) records the folders, once.
    assert {r["id"]: r["status"] for r in js("run", "refresh")} == dict.fromkeys(ids, "succeeded")
    assert runs.refresh(store) == {}
    assert all(len(runs.metric_history(store, i)) == 5 for i in ids)
    assert all(runs.get_run(store, i).metrics["max_induction_score"] > 0.5 for i in ids)


def test_a_cancelled_job_ends_cancelled_and_so_does_one_scancelled_by_hand(slurm, project, store):
    run = js("run", "start", str(project.id), "induction_heads", "--executor", "slurm", *PARKED)
    until("running job", lambda: state_of(run["job_id"]) == "RUNNING", slurm)
    cancelled = js("run", "cancel", str(run["id"]))
    assert (cancelled["status"], cancelled["error"]) == ("cancelled", "Cancelled by request.")
    until("cancelled job", lambda: state_of(run["job_id"]) == "CANCELLED", slurm)

    other = js("run", "start", str(project.id), "induction_heads", "--executor", "slurm", *PARKED)
    until("running job", lambda: state_of(other["job_id"]) == "RUNNING", slurm)
    subprocess.run(["scancel", other["job_id"]], check=True)
    until("cancelled job", lambda: state_of(other["job_id"]) == "CANCELLED", slurm)
    assert runs.refresh(store) == {other["id"]: "cancelled"}
    error = runs.get_run(store, other["id"]).error
    assert error.startswith(f"SLURM cancelled job {other['job_id']} (scancel)")
    assert runs.get_run(store, run["id"]).status == "cancelled"


def test_a_job_killed_by_its_time_limit_fails_with_slurms_reason(slurm, project):
    proc = cli(
        "run",
        "start",
        str(project.id),
        "induction_heads",
        "--executor",
        "slurm",
        "--slurm",
        "time_limit_min=1",
        *PARKED,
        "--wait",
        "--json",
        expect=1,
    )
    run = json.loads(proc.stdout)
    assert run["status"] == "failed"
    job = run["job_id"]
    assert run["error"].startswith(f"SLURM ended job {job}: TIMEOUT, reason TimeLimit: ")
    assert "DUE TO TIME LIMIT ***" in run["error"]


@pytest.mark.parametrize(
    ("options", "grid", "message"),
    [
        (["gpus_per_job=1"], None, "sbatch refused the job: .*gres"),
        (["time_limit_min=0"], None, "SLURM option time_limit_min"),
        (["runs_per_job=2"], ["seq_len=8,1"], "Sweep point 2"),
    ],
)
def test_refused_options_or_points_create_nothing(slurm, project, store, options, grid, message):
    with pytest.raises(InvalidInput, match=message):
        if grid:
            runs.start_sweep(
                store, project.id, "induction_heads", grid, executor="slurm", options=options
            )
        else:
            runs.start_run(store, project.id, "induction_heads", executor="slurm", options=options)
    assert runs.run_page(store).total == 0
    assert not (store.path.parent / "runs").exists() or not any(
        (store.path.parent / "runs").iterdir()
    )
