"""The run worker and the lifecycle with real worker processes: failures, busy databases,
lost workers found by their heartbeat, no lost results."""

import fcntl
import json
import os
import signal
import subprocess
import time

import pytest

from cruxes import runs
from cruxes.errors import InvalidInput, NotFound
from db import runs as runs_table
from experiments.executors import pid_alive
from experiments.folders import RunFolder
from tests.conftest import CRUXLAB
from tests.unit.helpers import created_run


def worked(store, project_id: int, config: dict):
    """A run created without the start-up check (as if its config or model changed after
    it was accepted), then run by a real worker process; the run as recorded."""
    run_id = created_run(store, project_id, config)
    proc = subprocess.run([CRUXLAB, "worker", str(run_id)], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr, proc.stderr  # a failing run is recorded, not a crash
    return runs.get_run(store, run_id)


def test_failing_run_keeps_its_error_and_log_and_records_no_metrics(store, project):
    with pytest.raises(InvalidInput, match="seq_len 40 needs 81 positions"):
        runs.start_run(store, project.id, "induction_heads", {"seq_len": "40"})
    run = worked(store, project.id, {"seq_len": 40})
    assert run.status == "failed"
    assert "seq_len 40 needs 81 positions" in run.error
    assert run.metrics == {}
    assert runs.metric_history(store, run.id) == []
    assert "started induction_heads" in runs.run_log(store, run.id)


def test_unknown_model_fails_at_once_with_a_clear_message(store, project):
    with pytest.raises(NotFound, match="No model organism named 'nope'"):
        runs.start_run(store, project.id, "induction_heads", {"model": "organism:nope"})
    run = worked(store, project.id, {"model": "organism:nope"})
    assert run.status == "failed"
    assert "No model organism named 'nope'" in run.error


def test_result_written_while_database_was_busy_is_recorded_on_refresh(store, project, home):
    run_id = created_run(store, project.id, {"n_sequences": 4})
    # Run the worker while this process holds the database: it cannot record the result.
    env = {**os.environ, "CRUXLAB_DB_TIMEOUT": "0.5"}
    with store.cursor():
        proc = subprocess.run(
            [CRUXLAB, "worker", str(run_id)], env=env, capture_output=True, text=True, timeout=300
        )
    assert proc.returncode == 0, proc.stderr
    folder = RunFolder.of(home, run_id)
    assert json.loads(folder.result.read_text())["status"] == "succeeded"
    assert "it will be recorded later" in proc.stdout + proc.stderr
    # Reads do not record it: the database says queued until someone refreshes.
    assert runs.get_run(store, run_id).status == "queued"
    assert runs.run_page(store).table.column("status").to_pylist() == ["queued"]
    refreshed = subprocess.run(
        [CRUXLAB, "run", "refresh", "--json"], capture_output=True, text=True, timeout=120
    )
    assert json.loads(refreshed.stdout) == [{"id": run_id, "status": "succeeded"}]
    run = runs.get_run(store, run_id)
    assert run.status == "succeeded" and run.metrics["max_induction_score"] > 0.5
    assert runs.refresh(store) == {}
    assert len(runs.metric_history(store, run_id)) == 5


def test_a_stopped_worker_is_found_by_its_heartbeat_and_failed(store, project, home, monkeypatch):
    """A real worker waits for the only slot (heartbeating); stopped, its heartbeat ages."""
    monkeypatch.setenv("CRUXLAB_MAX_JOBS", "1")
    slots = home / "slots"
    slots.mkdir(parents=True, exist_ok=True)
    with (slots / "slot-0.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        run = runs.start_run(store, project.id, "induction_heads", {"n_sequences": 4})
        folder = RunFolder.of(home, run.id)
        deadline = time.monotonic() + 120
        while runs.get_run(store, run.id).message != "waiting for a free slot":
            assert time.monotonic() < deadline, runs.run_log(store, run.id)
            time.sleep(0.2)
        assert folder.last_heartbeat() is not None
        assert runs.get_run(store, run.id).status == "queued"
        pid = int(run.job_id)
        os.kill(pid, signal.SIGSTOP)
        time.sleep(2.5)
        env = {**os.environ, "CRUXLAB_LOST_AFTER_S": "2"}
        refreshed = subprocess.run(
            [CRUXLAB, "run", "refresh"], env=env, capture_output=True, text=True, timeout=120
        )
        assert refreshed.stdout.strip() == f"run {run.id}: failed", refreshed.stderr
    lost = runs.get_run(store, run.id)
    assert lost.status == "failed" and "sent no heartbeat" in lost.error
    deadline = time.monotonic() + 30
    while pid_alive(pid, run.id):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with store.cursor() as cur:
        assert runs_table.run_metrics(cur, run.id) == []


def test_a_worker_that_died_is_failed_by_refresh(store, project, home):
    run_id = created_run(store, project.id)
    dead = subprocess.Popen(["true"])
    dead.wait()
    with store.cursor() as cur:
        runs_table.set_job(cur, run_id, str(dead.pid))
    assert runs.refresh(store) == {run_id: "failed"}
    run = runs.get_run(store, run_id)
    assert run.error == f"The worker (local job {dead.pid}) ended without writing a result."
