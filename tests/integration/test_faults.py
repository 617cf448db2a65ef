"""Runs under faults and secrets in the environment: real worker processes, real models."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cruxes import outcomes, owner, people, projects, runs
from experiments.folders import RunFolder, read_json
from tests.conftest import CRUXLAB


def wait_until(check, timeout: float = 300.0, poll: float = 0.2):
    """Poll ``check`` until it returns something true (a missing condition, not a speed test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(poll)
    raise AssertionError(f"gave up waiting after {timeout:g} s")


def test_a_worker_killed_mid_run_fails_keeps_its_log_and_others_carry_on(
    store, home, trained_organisms, monkeypatch
):
    monkeypatch.setenv("CRUXLAB_MAX_JOBS", "2")
    people.add_person(store, "Ben", "scholar")
    project = projects.assign(store, projects.add_project(store, "Faults").id, "Ben")
    doomed = runs.start_run(store, project.id, "induction_heads", {"n_sequences": 4096})
    other = runs.start_run(store, project.id, "induction_heads", {"n_sequences": 8})
    folder = RunFolder.of(home, doomed.id)

    def in_forward_pass():
        progress = read_json(folder.progress_file) or {}
        return progress.get("fraction", 0) >= 0.5 and folder.pid_file.exists()

    wait_until(in_forward_pass)
    pid = int(folder.pid_file.read_text())
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: runs.get_run(store, other.id).recorded)
    runs.refresh(store)  # what start-up, the worker pool or the Refresh button does
    recorded = {r: runs.get_run(store, r) for r in (doomed.id, other.id)}

    lost = recorded[doomed.id]
    assert lost.status == "failed" and lost.recorded
    assert lost.error == f"The worker (local job {pid}) ended without writing a result."
    assert lost.metrics == {} and runs.metric_history(store, doomed.id) == []
    assert "forward pass on 4096" in runs.run_log(store, doomed.id)  # the log is kept
    assert outcomes.list_outcomes(store) == []
    assert recorded[other.id].status == "succeeded"
    assert recorded[other.id].metrics["max_induction_score"] > 0.5


SECRETS = {
    "OPENAI_API_KEY": "sk-FAKE-openai-7f3a9c21e0",
    "ANTHROPIC_API_KEY": "sk-ant-FAKE-4b8e1d66aa",
    "CRUXLAB_OIDC_CLIENT_SECRET": "oidc-FAKE-secret-93bd02",
    "HF_TOKEN": "hf_FAKEtoken5521c0ffee",
}
TALK = """\
Mara: I'm skeptical that attention scores recover known circuits; maybe 30%.
Theo: I think they do in small models, I'd bet 70% on it.
"""


def test_secrets_in_the_environment_reach_no_file(home, tmp_path, trained_organisms, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    running = owner.start(home)  # the app's server, holding the same environment
    try:
        transcript = tmp_path / "talk.txt"
        transcript.write_text(TALK)

        def cli(*args: str) -> str:
            proc = subprocess.run([CRUXLAB, *args], capture_output=True, text=True)
            assert proc.returncode == 0, (args, proc.stderr)
            return proc.stdout

        cli("dialogue", "import", str(transcript), "--add-speakers")
        project = json.loads(cli("project", "add", "Secrets", "--json"))
        cli("project", "assign", str(project["id"]), "Theo", "--version", "1")
        run = json.loads(
            cli(
                "run", "start", "1", "induction_heads", "--set", "n_sequences=4", "--wait", "--json"
            )
        )
        assert run["status"] == "succeeded" and run["recorded"]
        cli("export", str(tmp_path / "export"))
        assert running.requests >= 6  # the CLI and the worker went through the owner
    finally:
        owner.stop(home)
    files = [p for root in (home, tmp_path / "export") for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "log.txt" for p in files) and any(p.suffix == ".parquet" for p in files)
    leaks = [
        (str(p), name)
        for p in files
        for name, value in SECRETS.items()
        if value.encode() in p.read_bytes()
    ]
    assert leaks == []


@pytest.fixture(autouse=True)
def _no_owner_left(home):
    yield
    owner.stop_all()
    assert not Path(home, "owner.sock").exists()
