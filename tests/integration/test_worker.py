"""The run worker and the run model: failures, reconciliation, no lost results."""

import json
import os
import subprocess

from cruxes import runs
from db import runs as runs_table
from experiments import runs as run_model
from experiments.folders import RunFolder
from tests.conftest import CRUXLAB
from tests.unit.helpers import prepared_run


def test_failing_run_keeps_its_error_and_log_and_records_no_metrics(store, project):
    run = runs.start_run(store, project.id, "induction_heads", {"seq_len": "40"})
    run = runs.wait_for(store, run.id, timeout=300)
    assert run.status == "failed"
    assert "seq_len 40 needs 81 positions" in run.error
    assert run.metrics == {}
    assert runs.metric_history(store, run.id) == []
    assert "started induction_heads" in runs.run_log(store, run.id)


def test_unknown_model_fails_at_once_with_a_clear_message(store, project, monkeypatch):
    run = runs.start_run(store, project.id, "induction_heads", {"model": "organism:nope"})
    run = runs.wait_for(store, run.id, timeout=120)
    assert run.status == "failed"
    assert "No model organism named 'nope'" in run.error


def test_result_written_while_database_was_busy_is_ingested_later(store, project, home):
    run_id = prepared_run(store, project.id)
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
    with store.cursor() as cur:
        assert runs_table.get_run(cur, run_id)["status"] == "queued"
    # Start-up reconciliation (here: listing runs) ingests it, exactly once.
    [run] = runs.list_runs(store)
    assert run.status == "succeeded"
    assert run.metrics["max_induction_score"] > 0.5
    assert run_model.reconcile(store) == []
    assert len(runs.metric_history(store, run_id)) == 5


def test_lost_worker_becomes_failed(store, project, home):
    run_id = prepared_run(store, project.id)
    dead = subprocess.Popen(["true"])
    dead.wait()
    RunFolder.of(home, run_id).pid_file.write_text(str(dead.pid))
    assert run_model.reconcile(store) == [run_id]
    run = runs.get_run(store, run_id)
    assert run.status == "failed"
    assert f"worker process {dead.pid} ended without writing a result" in run.error
