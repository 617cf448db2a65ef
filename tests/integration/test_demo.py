"""The demo ends complete whatever state an interrupted one left, and shows its progress.

Real processes: ``cruxlab demo`` is killed with SIGKILL while its run is under
way (alone, or with the run's worker, as a machine stop would), and the next
``cruxlab demo`` finishes the job. In-process, a demo stopped after each of a
few steps is finished by the next call.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from cruxes import (
    annotations,
    beliefs,
    demo,
    outcomes,
    owner,
    people,
    predictions,
    projects,
    runs,
)
from cruxes.models import RunQuery
from cruxes.workspace import open_store
from experiments.folders import read_json
from tests.conftest import CRUXLAB

HANG_GUARD_S = 1800  # only against a hung test; slowness alone never fails one


TAGGED = [("crux", 1), ("project", 2)]


def history(store, crux_id: int):
    return beliefs.get_crux(store, crux_id).history


def demo_state(store) -> dict:
    """What the demo made, in a form to compare with the complete demo."""
    every = projects.list_projects(store)
    cruxes = beliefs.list_cruxes(store)
    return {
        "people": [p.name for p in people.list_people(store)],
        "cruxes": len(cruxes),
        "credences": {
            c.id: [(h.person_name, h.value, h.source) for h in history(store, c.id)] for c in cruxes
        },
        "projects": [(p.title[:20], p.status, p.blind_predictions) for p in every],
        "predictions": {
            p.id: sorted(
                (x.person_name, x.p_positive)
                for x in predictions.list_predictions(store, p.id, everyone=True)
            )
            for p in every
        },
        "runs": [
            (r["template"], r["status"])
            for r in runs.run_page(store, RunQuery(limit=None, descending=False)).rows()
        ],
        "outcomes": [
            [(e.person_name, e.positive, e.applied) for e in o.evaluations]
            for o in outcomes.list_outcomes(store)
        ],
        "tags": {(k, i): annotations.tags_of(store, k, i) for k, i in TAGGED},
        "notes": [len(annotations.list_notes(store, "project", p.id)) for p in every],
    }


def complete(run_statuses=("succeeded",)) -> dict:
    """The complete demo (with the runs an interruption may have added before the one used)."""
    return {
        "people": ["Mara", "Theo"],
        "cruxes": 2,
        "credences": {
            1: [
                ("Mara", 0.35, "manual"),
                ("Theo", 0.7, "manual"),
                ("Mara", 0.45, "outcome"),
                ("Theo", 0.75, "outcome"),
            ],
            2: [("Mara", 0.25, "manual"), ("Theo", 0.4, "manual")],
        },
        "projects": [
            ("Do attention scores ", "in_review", False),
            ("Does the induction s", "assigned", True),
        ],
        "predictions": {1: [("Mara", 0.6), ("Theo", 0.9)], 2: [("Mara", 0.5), ("Theo", 0.8)]},
        "runs": [("induction_heads", s) for s in run_statuses],
        "outcomes": [[("Mara", True, True), ("Theo", True, True)]],
        "tags": {("crux", 1): ["attention"], ("project", 2): ["induction", "sample-efficiency"]},
        "notes": [0, 1],
    }


def wait_until(check, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(0.2)


def test_the_demo_shows_its_progress_and_a_second_one_changes_nothing(home, trained_organisms):
    first = subprocess.run([CRUXLAB, "demo"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "Demo seeded: dialogue 1, project 1, run 1, outcome 1.\n"
    lines = first.stderr.splitlines()
    # Without a terminal (a log file), one line per step and now and then within one.
    assert lines[0] == "  0% step 1/9: people"
    assert "step 6/9: the induction_heads run on organism:induction-2l" in first.stderr
    assert lines[-1] == "100% demo complete"
    store = open_store(home)
    assert demo.read_progress(home).state == "complete"
    assert demo_state(store) == complete()

    again = subprocess.run([CRUXLAB, "demo"], capture_output=True, text=True)
    assert again.stdout == "Demo already complete (dialogue 1, run 1); nothing changed.\n"
    assert demo_state(open_store(home)) == complete()


@pytest.mark.parametrize("also_the_worker", [False, True], ids=["demo", "demo-and-worker"])
def test_a_demo_killed_during_its_run_is_finished_by_the_next(
    home, trained_organisms, also_the_worker
):
    proc = subprocess.Popen([CRUXLAB, "demo"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid_file = home / "runs" / "1" / "worker.pid"
    wait_until(lambda: pid_file.exists() and pid_file.read_text().isdigit(), "the demo's run")
    worker = int(pid_file.read_text())
    # Frozen before it could finish (it is still importing torch), so the demo is killed
    # while it waits for its run, however fast the run would have been.
    os.kill(worker, signal.SIGSTOP)
    assert not (home / "runs" / "1" / "result.json").exists()
    wait_until(lambda: (read_json(home / "demo.json") or {}).get("step") == 6, "step 6")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    os.kill(worker, signal.SIGKILL if also_the_worker else signal.SIGCONT)

    store = open_store(home)
    stopped = demo.read_progress(home)
    assert (stopped.state, stopped.step, stopped.alive) == ("seeding", 6, False)
    assert outcomes.list_outcomes(store) == []  # half-seeded: what the next demo must finish

    again = subprocess.run([CRUXLAB, "demo"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    # A lost worker's run is failed and replaced; a live one is waited for, not duplicated.
    statuses = ("failed", "succeeded") if also_the_worker else ("succeeded",)
    store = open_store(home)
    assert demo_state(store) == complete(statuses)
    used = len(statuses)
    assert again.stdout == f"Demo seeded: dialogue 1, project 1, run {used}, outcome 1.\n"
    assert demo.read_progress(home).state == "complete"


def test_a_demo_seeding_when_the_app_starts_finishes_through_the_owner(home, trained_organisms):
    """`make run`: the demo seeds in a process of its own, and the app's server becomes the
    database's owner part-way; the demo's remaining steps (and its run's worker) go to it."""
    proc = subprocess.Popen(
        [CRUXLAB, "demo"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    wait_until(lambda: (read_json(home / "demo.json") or {}).get("step", 0) >= 3, "step 3")
    running = owner.start(home)  # holds the file: from now on nobody else can open it
    try:
        out, _ = proc.communicate(timeout=HANG_GUARD_S)
        assert proc.returncode == 0
        assert out == "Demo seeded: dialogue 1, project 1, run 1, outcome 1.\n"
        assert demo_state(running.store) == complete()
        assert running.requests > 0
    finally:
        owner.stop(home)
    assert demo.read_progress(home).state == "complete"


class Interrupted(Exception):
    """Stands for a demo process that stopped (Ctrl-C, a crash) at a given moment."""


@pytest.mark.parametrize(
    ("after_step", "at_fraction"),
    [(2, 0.0), (5, 0.0), (6, 0.2), (7, 0.0)],
    ids=["dialogue", "predictions", "mid-run", "outcome"],
)
def test_a_demo_stopped_after_a_step_is_finished_by_the_next(
    store, trained_organisms, after_step, at_fraction
):
    def stop(progress) -> None:
        if progress.step > after_step or (
            progress.step == after_step and 0 < at_fraction <= progress.fraction
        ):
            raise Interrupted

    with pytest.raises(Interrupted):
        demo.seed_demo(store, watch=stop)
    result = demo.seed_demo(store)
    assert result.seeded
    assert demo_state(store) == complete()
    assert demo.seed_demo(store).seeded is False
