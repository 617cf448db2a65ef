"""The runs table, compare, bulk metrics and the run lifecycle (no model, no real worker)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from cruxes import annotations, people, projects, runs
from cruxes.errors import InvalidInput, NotFound
from cruxes.models import RunQuery
from cruxes.workspace import open_store
from db import runs as runs_table
from experiments import executors, lifecycle
from experiments.executors import Liveness, pid_alive
from experiments.folders import RunFolder, write_json_atomic
from tests.unit.helpers import created_run, finished_run, write_result

METRIC = "max_induction_score"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Theo's project A has runs 1–6, Ivy's project B runs 7–8 (all induction_heads):

    run  project  status     max_induction_score  n_sequences  tag
    1    A        succeeded  0.10                 16
    2    A        succeeded  0.95                 32           keep
    3    A        failed     —                    16
    4    A        succeeded  0.50                 64           keep
    5    A        succeeded  0.91                 32
    6    A        succeeded  0.70                 64
    7    B        succeeded  0.99                 16           keep
    8    B        succeeded  0.30                 32
    """
    store = open_store(tmp_path_factory.mktemp("sweep") / "home")
    people.add_person(store, "Theo", "scholar")
    people.add_person(store, "Ivy", "scholar")
    a = projects.assign(store, projects.add_project(store, "A").id, "Theo")
    b = projects.assign(store, projects.add_project(store, "B").id, "Ivy")
    table = [
        (a.id, "succeeded", 0.10, 16),
        (a.id, "succeeded", 0.95, 32),
        (a.id, "failed", None, 16),
        (a.id, "succeeded", 0.50, 64),
        (a.id, "succeeded", 0.91, 32),
        (a.id, "succeeded", 0.70, 64),
        (b.id, "succeeded", 0.99, 16),
        (b.id, "succeeded", 0.30, 32),
    ]
    for project_id, status, score, n in table:
        metrics = {METRIC: score, "top_head_score": 0.5} if score is not None else {}
        finished_run(
            store, project_id, metrics, status, config={"n_sequences": n, "seq_len": 16}, seed=n
        )
    for run_id in (2, 4, 7):
        annotations.add_tag(store, "run", run_id, "keep")
    return store, a.id, b.id


def ids(page) -> list[int]:
    return page.table.column("id").to_pylist()


def test_the_runs_table_is_newest_first_and_paginated(sweep):
    store, a, b = sweep
    first = runs.run_page(store, RunQuery(limit=3))
    assert ids(first) == [8, 7, 6]
    assert (first.total, first.by_status) == (8, {"failed": 1, "succeeded": 7})
    assert first.by_template == {"induction_heads": 8}
    assert ids(runs.run_page(store, RunQuery(limit=3, offset=3))) == [5, 4, 3]
    assert ids(runs.run_page(store, RunQuery(limit=3, offset=6))) == [2, 1]
    assert ids(runs.run_page(store, RunQuery(limit=3, offset=9))) == []
    assert ids(runs.run_page(store, RunQuery(limit=None, descending=False))) == list(range(1, 9))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, [3]),
        ({"tag": "keep"}, [7, 4, 2]),
        ({"person": "Ivy"}, [8, 7]),
        ({"metrics": [f"{METRIC} > 0.9"]}, [7, 5, 2]),
        ({"metrics": [f"{METRIC}>=0.5", f"{METRIC} < 0.95"]}, [6, 5, 4]),
        ({"metrics": [f"{METRIC} != 0.5"], "tag": "keep"}, [7, 2]),
        ({"metrics": [f"{METRIC} > 0.9"], "person": "Theo"}, [5, 2]),
        ({"sort": METRIC}, [7, 2, 5, 6, 4, 8, 1, 3]),  # no value last
        ({"sort": METRIC, "descending": False}, [1, 8, 4, 6, 5, 2, 7, 3]),
        ({"sort": "status", "descending": False, "limit": 2}, [3, 1]),
        ({"params": ["n_sequences = 32"]}, [8, 5, 2]),
        ({"params": ["n_sequences > 16", "seq_len == 16"], "status": "succeeded"}, [8, 6, 5, 4, 2]),
        ({"params": ["model = organism:modadd-1l"]}, []),
        ({"until": date(2000, 1, 1)}, []),
        ({"since": date.today(), "tag": "keep"}, [7, 4, 2]),
    ],
)
def test_filters_and_sorts_run_in_sql(sweep, query, expected):
    store, a, b = sweep
    page = runs.run_page(store, RunQuery(**query))
    assert ids(page) == expected
    assert page.total == len(expected) or "limit" in query


def test_project_filter_counts_per_state_ignore_the_state_filter(sweep):
    store, a, b = sweep
    page = runs.run_page(store, RunQuery(project_id=a, status="succeeded"))
    assert ids(page) == [6, 5, 4, 2, 1]
    assert page.total == 5
    assert page.by_status == {"failed": 1, "succeeded": 5}


def test_the_page_has_a_column_per_metric_and_json_rows(sweep):
    store, a, b = sweep
    page = runs.run_page(store, RunQuery(limit=2, offset=5))  # runs 3 and 2
    assert page.metric_columns == {METRIC: METRIC, "top_head_score": "top_head_score"}
    assert page.table.column(METRIC).to_pylist() == [None, 0.95]
    rows = page.rows()
    assert [(r["id"], r["status"], r["tags"], r["metrics"]) for r in rows] == [
        (3, "failed", [], {}),
        (2, "succeeded", ["keep"], {METRIC: 0.95, "top_head_score": 0.5}),
    ]
    assert rows[1]["person"] == "Theo" and rows[1]["project_title"] == "A"


def test_a_metric_named_like_a_column_or_with_quotes_gets_its_own_column(store):
    people.add_person(store, "Ben", "scholar")
    project = projects.assign(store, projects.add_project(store, "Odd names").id, "Ben").id
    finished_run(store, project, {"status": 0.25, 'a "quoted" name': 2.0})
    finished_run(store, project, {"status": 0.75})
    page = runs.run_page(store)
    assert page.metric_columns == {'a "quoted" name': 'a "quoted" name', "status": "metric:status"}
    assert page.table.column("status").to_pylist() == ["succeeded", "succeeded"]
    assert page.table.column("metric:status").to_pylist() == [0.75, 0.25]
    assert page.table.column('a "quoted" name').to_pylist() == [None, 2.0]


@pytest.mark.parametrize(
    "bad",
    [
        "faithfulness",
        "faithfulness >> 1",
        "faithfulness > high",
        "x > 1; DROP TABLE runs",
        "1 > 0",
        "name ~ 1",
    ],
)
def test_a_bad_metric_filter_is_refused_in_one_sentence(sweep, bad):
    store, a, b = sweep
    with pytest.raises(InvalidInput, match="A metric filter is NAME OP NUMBER"):
        runs.run_page(store, RunQuery(metrics=[bad]))


@pytest.mark.parametrize("bad", ["n_sequences", "model > organism", "1x = 2"])
def test_a_bad_config_filter_is_refused_in_one_sentence(sweep, bad):
    store, a, b = sweep
    with pytest.raises(InvalidInput, match="A config filter is KEY OP VALUE"):
        runs.run_page(store, RunQuery(params=[bad]))


def test_an_unknown_person_or_a_backwards_period_is_refused(sweep):
    store, a, b = sweep
    with pytest.raises(NotFound):
        runs.run_page(store, RunQuery(person="Nobody"))
    with pytest.raises(InvalidInput, match="starts"):
        runs.run_page(store, RunQuery(since=date(2026, 2, 1), until=date(2026, 1, 1)))


def test_compare_shows_only_the_differing_config_keys_and_every_metric(sweep):
    store, a, b = sweep
    c = runs.compare(store, [5, 2, 4])
    assert c.ids == [2, 4, 5]
    assert c.differing == ["seed", "n_sequences"]
    assert c.same == {"template": "induction_heads", "device": "cpu", "seq_len": 16}
    assert c.table.to_pylist() == [
        {"id": 2, "status": "succeeded", "seed": 32.0, "n_sequences": 32.0,
         METRIC: 0.95, "top_head_score": 0.5},
        {"id": 4, "status": "succeeded", "seed": 64.0, "n_sequences": 64.0,
         METRIC: 0.5, "top_head_score": 0.5},
        {"id": 5, "status": "succeeded", "seed": 32.0, "n_sequences": 32.0,
         METRIC: 0.91, "top_head_score": 0.5},
    ]  # fmt: skip


def test_compare_refuses_unknown_runs_and_more_than_a_thousand(sweep):
    store, a, b = sweep
    with pytest.raises(NotFound, match="No run 99"):
        runs.compare(store, [1, 99])
    with pytest.raises(InvalidInput, match="at most 1,000"):
        runs.compare(store, list(range(1, 1002)))
    assert runs.parse_run_ids("3, 5-7") == [3, 5, 6, 7]
    with pytest.raises(InvalidInput, match="ranges"):
        runs.parse_run_ids("3, five")


def test_a_large_metrics_file_is_ingested_in_bulk_exactly_once(store):
    people.add_person(store, "Theo", "scholar")
    project = projects.assign(store, projects.add_project(store, "Long").id, "Theo")
    run_id = created_run(store, project.id)
    folder = write_result(store, run_id, {})
    n = 200_000
    with folder.metrics.open("w") as fh:
        for step in range(n):
            fh.write(f'{{"name": "loss", "step": {step}, "value": {1 / (step + 1)}}}\n')
            if step % 4 == 0:
                fh.write(f'{{"name": "acc", "step": {step // 4}, "value": null}}\n')
        fh.write('{"name": "loss", "st')  # a torn last line
    assert lifecycle.record(store, run_id)
    assert not lifecycle.record(store, run_id)
    assert runs.refresh(store) == {}
    with store.cursor() as cur:
        counts = cur.all(
            "SELECT name, count(*) AS n FROM run_metrics WHERE run_id = ? GROUP BY name "
            "ORDER BY name",
            [run_id],
        )
        assert counts == [{"name": "acc", "n": n // 4}, {"name": "loss", "n": n}]
    assert runs.get_run(store, run_id).metrics == {"acc": None, "loss": 1 / n}
    curves = runs.metric_curves(store, run_id, max_points=1000).to_pylist()
    loss = [c for c in curves if c["name"] == "loss"]
    assert len(loss) == 1000 and loss[0]["step"] == 0 and loss[0]["n"] == 200
    assert loss[-1]["step"] == n - 200


class Parked:
    """A tiny real executor: the "worker" is a sleeping process that never reports."""

    name = "parked"
    probe_says: Liveness | None = None

    def submit(self, home: Path, run_id: int) -> str:
        proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
        return str(proc.pid)

    def cancel(self, home: Path, run_id: int, job_id: str | None) -> None:
        if job_id and pid_alive(int(job_id)):
            os.kill(int(job_id), 9)
            os.waitpid(int(job_id), 0)

    def probe(self, home: Path, run_id: int, job_id: str | None) -> Liveness:
        if self.probe_says is not None:
            return self.probe_says
        return Liveness.ALIVE if job_id and pid_alive(int(job_id)) else Liveness.GONE


class Refusing:
    """An executor that cannot hand anything over (a cluster that is down)."""

    name = "refusing"

    def submit(self, home: Path, run_id: int) -> str:
        raise OSError("the scheduler is not reachable")

    def cancel(self, home: Path, run_id: int, job_id: str | None) -> None:
        raise AssertionError("nothing was submitted, so nothing is cancelled")

    def probe(self, home: Path, run_id: int, job_id: str | None) -> Liveness:
        return Liveness.UNKNOWN


@pytest.fixture
def theo(store, monkeypatch):
    monkeypatch.setitem(executors.EXECUTORS, "parked", Parked)
    monkeypatch.setitem(executors.EXECUTORS, "refusing", Refusing)
    people.add_person(store, "Theo", "scholar")
    return projects.assign(store, projects.add_project(store, "P").id, "Theo")


def state(store, run_id: int) -> dict:
    with store.cursor() as cur:
        return runs_table.get_run(cur, run_id)


def test_a_run_the_executor_refuses_is_never_created_and_nothing_freezes(
    store, theo, home, monkeypatch
):
    monkeypatch.setenv("CRUXLAB_EXECUTOR", "refusing")  # chosen the way executors are
    with pytest.raises(InvalidInput, match="refusing executor could not start the run"):
        runs.start_run(store, theo.id, "induction_heads")
    project = projects.get_project(store, theo.id)
    assert (project.status, project.predictions_frozen_at) == ("assigned", None)
    assert runs.run_page(store).total == 0
    assert not list((home / "runs").glob("*"))


def test_an_unknown_executor_is_refused_before_anything_is_written(store, theo, monkeypatch):
    monkeypatch.setenv("CRUXLAB_EXECUTOR", "kubernetes")
    with pytest.raises(InvalidInput, match="Unknown executor 'kubernetes'; known executors: "):
        runs.start_run(store, theo.id, "induction_heads")
    assert projects.get_project(store, theo.id).predictions_frozen_at is None


def test_queued_running_succeeded_through_the_lifecycle(store, theo):
    run = runs.start_run(store, theo.id, "induction_heads", executor=Parked())
    assert (run.status, run.executor, run.recorded) == ("queued", "parked", False)
    assert projects.get_project(store, theo.id).status == "running"
    started = datetime(2026, 1, 1, 12)
    assert lifecycle.heartbeat(store, run.id, progress=0.25, message="half", started=started)
    row = state(store, run.id)
    assert (row["status"], row["progress"], row["message"]) == ("running", 0.25, "half")
    assert row["started_at"] == started and row["heartbeat_at"] is not None
    write_result(store, run.id, {METRIC: 0.8})
    assert runs.refresh(store) == {run.id: "succeeded"}
    done = runs.get_run(store, run.id)
    assert (done.status, done.progress, done.metrics) == ("succeeded", 1.0, {METRIC: 0.8})
    # A late heartbeat does not bring a finished run back.
    assert lifecycle.heartbeat(store, run.id, progress=0.5, started=started)
    assert state(store, run.id)["status"] == "succeeded"
    with pytest.raises(InvalidInput, match="only a queued or running run can be cancelled"):
        runs.cancel_run(store, run.id)
    Parked().cancel(None, run.id, run.job_id)


def test_refresh_copies_a_silent_workers_folder_heartbeat_into_the_database(store, theo):
    # A cluster job never opens the database: its folder is all a refresh can read.
    run = runs.start_run(store, theo.id, "induction_heads", executor=Parked())
    folder = RunFolder.of(lifecycle.home_of(store), run.id)
    write_json_atomic(folder.heartbeat, {"started_at": "2026-01-01T12:00:00", "device": "cpu"})
    write_json_atomic(folder.progress_file, {"fraction": 0.5, "message": "forward pass", "at": 0})
    assert runs.refresh(store) == {}
    row = state(store, run.id)
    assert (row["status"], row["progress"], row["message"]) == ("running", 0.5, "forward pass")
    assert (row["started_at"], row["device"]) == (datetime(2026, 1, 1, 12), "cpu")
    Parked.probe_says = Liveness.WAITING  # still queued on a cluster: no heartbeat due
    try:
        assert lifecycle.refresh(store, lost_after=0) == {}
    finally:
        Parked.probe_says = None
    Parked().cancel(None, run.id, run.job_id)


def test_cancel_stops_the_worker_and_records_cancelled(store, theo):
    run = runs.start_run(store, theo.id, "induction_heads", executor=Parked())
    assert pid_alive(int(run.job_id))
    cancelled = runs.cancel_run(store, run.id)
    assert (cancelled.status, cancelled.error) == ("cancelled", "Cancelled by request.")
    assert not pid_alive(int(run.job_id))
    assert cancelled.metrics == {}


def test_a_lost_worker_is_found_by_heartbeat_age_on_refresh(store, theo):
    run = runs.start_run(store, theo.id, "induction_heads", executor=Parked())
    Parked.probe_says = Liveness.UNKNOWN  # an executor that cannot tell
    try:
        assert lifecycle.refresh(store, lost_after=60) == {}  # it heartbeat just now
        time.sleep(1.1)
        assert lifecycle.refresh(store, lost_after=1) == {run.id: "failed"}
    finally:
        Parked.probe_says = None
    lost = runs.get_run(store, run.id)
    assert lost.status == "failed"
    expected = r"No worker reported for \d+ s \(none was found for this run\)\."
    assert re.fullmatch(expected, lost.error)
    Parked().cancel(None, run.id, run.job_id)


def test_a_hung_worker_is_stopped_and_failed_when_its_heartbeat_is_old(store, theo):
    run = runs.start_run(store, theo.id, "induction_heads", executor=Parked())
    folder = RunFolder.of(lifecycle.home_of(store), run.id)
    folder.heartbeat.touch()
    old = time.time() - 300
    os.utime(folder.heartbeat, (old, old))
    with store.cursor() as cur:
        stale = datetime.now() - timedelta(minutes=5)
        cur.execute("UPDATE runs SET created_at = ? WHERE id = ?", [stale, run.id])
    assert pid_alive(int(run.job_id))
    assert lifecycle.refresh(store, lost_after=120) == {run.id: "failed"}
    assert "sent no heartbeat for 3" in runs.get_run(store, run.id).error
    assert not pid_alive(int(run.job_id))


def test_a_worker_that_died_is_failed_at_once(store, theo):
    run = runs.start_run(store, theo.id, "induction_heads", executor=Parked())
    Parked().cancel(None, run.id, run.job_id)
    assert runs.refresh(store) == {run.id: "failed"}
    assert runs.get_run(store, run.id).error == (
        f"The worker (parked job {run.job_id}) ended without writing a result."
    )


def test_start_up_fails_a_run_that_never_had_a_worker(store, theo):
    run_id = created_run(store, theo.id)  # as the old `start` left it: queued, no job
    assert lifecycle.refresh(store) == {}  # within the heartbeat window
    assert lifecycle.refresh(store, lost_after=0) == {run_id: "failed"}
    assert state(store, run_id)["error"].startswith("No worker reported")
    result = json.loads(RunFolder.of(lifecycle.home_of(store), run_id).result.read_text())
    assert result["status"] == "failed"


def test_heartbeats_and_a_refresh_at_once_never_conflict(store, theo):
    """In the owner a worker's heartbeat and a refresh's catch-up (`run start --wait` while
    the app runs) write the same run row from two threads; DuckDB refuses the second of
    two overlapping updates of a row ("Conflict on update"), so they must take turns."""
    run = runs.start_run(store, theo.id, "induction_heads", executor=Parked())
    folder = RunFolder.of(lifecycle.home_of(store), run.id)
    failures = []

    def beat(n: int) -> None:
        try:
            for i in range(n):
                folder.heartbeat.touch()  # newer than the row: the refresh catches up
                assert lifecycle.heartbeat(store, run.id, progress=i / n, message=f"{i}")
                lifecycle.refresh(store, [run.id], lost_after=600)
        except Exception as exc:  # noqa: BLE001 - any of them is the failure
            failures.append(exc)

    with store.session():  # one open database, as in the owner
        threads = [threading.Thread(target=beat, args=(150,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert state(store, run.id)["status"] in ("queued", "running")
    Parked().cancel(None, run.id, run.job_id)
