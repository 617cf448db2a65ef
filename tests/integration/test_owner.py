"""The owner of a home's database and the gateway every CLI command and worker goes through."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cruxes import api, beliefs, owner, people, projects, runs
from cruxes.errors import NotFound, StaleWrite
from db import wire
from experiments import lifecycle
from tests.conftest import CRUXLAB
from tests.unit.helpers import created_run


def cli(*args: str, expect: int = 0, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [CRUXLAB, *args], capture_output=True, text=True, timeout=300, env=env or os.environ
    )
    assert proc.returncode == expect, (args, proc.stdout, proc.stderr)
    return proc


@pytest.fixture
def owned(home):
    running = owner.start(home)
    yield running
    owner.stop(home)


def test_cli_commands_go_through_the_running_owner(owned, home):
    people.add_person(owned.store, "Mara", "mentor")
    beliefs.add_crux(owned.store, "Probes suffice.")
    added = json.loads(cli("credence", "add", "1", "Mara", "0.3", "--json").stdout)
    assert (added["value"], added["person_name"]) == (0.3, "Mara")
    assert owned.requests == 1  # it came over the socket, not by opening the file
    assert beliefs.get_crux(owned.store, 1).current == {"Mara": 0.3}
    info = json.loads((home / "owner.json").read_text())
    assert info["pid"] == os.getpid() and owner.running(home)["pid"] == os.getpid()


def test_owner_errors_come_back_as_the_same_type_and_sentence(owned, home):
    beliefs.add_crux(owned.store, "Probes suffice.")
    request = api.Request(op="beliefs.edit_crux", args=[1, "Reworded.", 7])
    with pytest.raises(StaleWrite, match=r"^Crux 1 was changed by someone else since"):
        wire.post(home, request.model_dump())
    with pytest.raises(NotFound, match="There is no cruxlab operation 'os.system'"):
        wire.post(home, api.Request(op="os.system", args=["true"]).model_dump())
    stale = cli("crux", "edit", "1", "Again.", "--version", "7", expect=2)
    assert stale.stderr == (
        "error: Crux 1 was changed by someone else since you loaded it; "
        "reload it and make your edit again.\n"
    )


def test_a_second_owner_of_the_same_home_is_refused(owned, home):
    serve = cli("serve", expect=2)
    assert f"process {os.getpid()}" in serve.stderr and "already owns" in serve.stderr


def test_embedded_commands_migrate_once_and_open_the_file_once_per_call(home):
    code = (
        "from cruxes import api, beliefs; from db import paths\n"
        "api.call(beliefs.list_cruxes); api.call(beliefs.list_cruxes)\n"
        "print(api.embedded_store(paths.home()).opens)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "3", proc.stderr  # migrate + reconcile once, then one per call


def test_every_operation_a_worker_sends_is_registered():
    for fn in (lifecycle.heartbeat, lifecycle.record, lifecycle.refresh):
        assert api.OPERATIONS[f"{fn.__module__}.{fn.__name__}"] is fn


def serve(home: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [CRUXLAB, "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert "owns" in proc.stdout.readline(), proc.stderr.read()
    return proc


def test_serve_stops_cleanly_and_a_killed_owner_is_replaced_by_embedded_mode(store, home):
    people.add_person(store, "Mara", "mentor")
    beliefs.add_crux(store, "Probes suffice.")
    proc = serve(home)
    cli("credence", "add", "1", "Mara", "0.4")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert not (home / "owner.sock").exists() and not (home / "owner.json").exists()

    proc = serve(home)
    proc.kill()  # leaves a stale socket behind
    proc.wait()
    assert os.path.lexists(home / "owner.sock")
    cli("credence", "add", "1", "Mara", "0.5")  # nobody answers: the command opens the file
    assert beliefs.get_crux(store, 1).current == {"Mara": 0.5}
    assert len(beliefs.get_crux(store, 1).history) == 2


def test_an_owner_that_dies_mid_request_is_reported_never_retried(store, home):
    people.add_person(store, "Ben", "scholar")
    project = projects.assign(store, projects.add_project(store, "P").id, "Ben")
    run_id = created_run(store, project.id, {"n_sequences": 4})  # no worker: waiting blocks
    proc = serve(home)
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            api.call(runs.wait_for, run_id, timeout=60)
        except BaseException as exc:  # noqa: BLE001 (the test inspects it)
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(1.0)
    proc.kill()
    proc.wait()
    waiter.join(timeout=60)
    assert isinstance(outcome[0], wire.OwnerLost)
    assert "stopped before answering; check whether your change took effect" in str(outcome[0])
