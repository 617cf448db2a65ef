"""Concurrent writers for the reliability tests and benchmark.

``python -m tests.writers SECONDS WRITER_ID`` is one CLI-like process: it sends
credence writes through the gateway (``cruxes.api.call``: to the owner when one
runs, else opening the file itself) for SECONDS and prints one JSON line with
what was acknowledged, refused, and how long each write took.

``drive(store, ...)`` runs threads as Streamlit sessions do (the domain called
directly with the owner's store) beside such processes, and checks afterwards
that every acknowledged write is in the database.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cruxes import beliefs, people, projects, runs
from cruxes.errors import CruxlabError, StaleWrite, StoreBusy

ROOT = Path(__file__).resolve().parents[1]
N_CRUXES = 4


class KeepQueued:
    """An executor that accepts runs and starts no worker (the test checks the database side)."""

    name = "keep-queued"

    def __init__(self) -> None:
        self.submitted: list[int] = []

    def submit(self, home: Path, run_id: int) -> None:
        self.submitted.append(run_id)


@dataclass
class Tally:
    credences: list[tuple[int, int, str, float]] = field(default_factory=list)  # id, crux, who, v
    edits: dict[str, int] = field(default_factory=dict)  # "crux 2" / "project 1" → edits
    runs: list[int] = field(default_factory=list)
    stale: int = 0
    busy: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def merge(self, other: dict) -> None:
        self.credences += [tuple(c) for c in other["credences"]]
        for what, n in other["edits"].items():
            self.edits[what] = self.edits.get(what, 0) + n
        self.runs += other["runs"]
        self.stale += other["stale"]
        self.busy += other["busy"]
        self.other += other["other"]
        self.latencies += other["latencies"]

    def edited(self, what: str) -> None:
        self.edits[what] = self.edits.get(what, 0) + 1

    @property
    def acknowledged(self) -> int:
        return len(self.credences) + sum(self.edits.values()) + len(self.runs)


def seed(store, n_people: int = 20) -> None:
    """People P0…P{n-1}, a few cruxes and one assigned project for the writers to edit."""
    for i in range(n_people):
        people.add_person(store, f"P{i}", "scholar")
    people.add_person(store, "Mentor", "mentor")
    for i in range(N_CRUXES):
        beliefs.add_crux(store, f"Claim {i}.")
    project = projects.add_project(store, "Shared project", crux_ids=[1])
    projects.assign(store, project.id, "P0")


def _timed(tally: Tally, fn, *args, **kwargs):
    started = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    except StaleWrite:
        tally.stale += 1
    except StoreBusy as exc:
        tally.busy.append(str(exc))
    except CruxlabError as exc:
        tally.other.append(f"{type(exc).__name__}: {exc}")
    finally:
        tally.latencies.append(time.perf_counter() - started)
    return None


def session(store, writer: int, seconds: float, tally: Tally, executor: KeepQueued) -> None:
    """One Streamlit-like session: credences, crux and project edits, run starts."""
    rng = random.Random(writer)
    deadline = time.monotonic() + seconds
    step = 0
    while time.monotonic() < deadline:
        step += 1
        crux = rng.randint(1, N_CRUXES)
        kind = step % 6
        if kind == 1:  # a crux edit with the version this session read
            version = beliefs.get_crux(store, crux).crux.version
            done = _timed(tally, beliefs.edit_crux, store, crux, f"Claim {crux}, v{step}.", version)
            if done is not None:
                tally.edited(f"crux {crux}")
        elif kind == 3:  # a project plan edit with the version read
            version = projects.get_project(store, 1).version
            done = _timed(tally, projects.plan_project, store, 1, effort_days=1 + step % 5,
                          expected_version=version)  # fmt: skip
            if done is not None:
                tally.edited("project 1")
        elif kind == 5 and writer % 4 == 0:  # a run start (the project is assigned)
            run = _timed(tally, runs.start_run, store, 1, "induction_heads", executor=executor)
            if run is not None:
                tally.runs.append(run.id)
        else:
            value = round(rng.random(), 3)
            made = _timed(tally, beliefs.add_credence, store, crux, f"P{writer}", value)
            if made is not None:
                tally.credences.append((made.id, crux, f"P{writer}", value))


def start_processes(count: int, first_writer: int, seconds: float, env: dict) -> list:
    """CLI-like writer processes; each prints "ready" once imported, then its tally."""
    procs = []
    for i in range(count):
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.writers", str(seconds), str(first_writer + i)],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return procs


def collect(procs: list, tally: Tally) -> None:
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err  # a traceback is a failure, never a refusal
        tally.merge(json.loads(out.strip().splitlines()[-1]))


def drive(store, *, threads: int, processes: int, seconds: float, env: dict) -> Tally:
    """Run the writers at once and return what they were told."""
    executor = KeepQueued()
    procs = start_processes(processes, threads, seconds, env)
    tallies = [Tally() for _ in range(threads)]
    workers = [
        threading.Thread(target=session, args=(store, i, seconds, tallies[i], executor))
        for i in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    tally = Tally()
    for t in tallies:
        tally.merge(t.__dict__)
    collect(procs, tally)
    return tally


def found(store, tally: Tally) -> tuple[int, list]:
    """How many acknowledged writes are in the database, and any that are not.

    A credence or run must be there as acknowledged; a crux's or project's version must
    have moved once per acknowledged edit (and once per run start and the assignment).
    """
    with store.cursor() as cur:
        versions = {
            f"crux {r['id']}": r["version"] for r in cur.all("SELECT id, version FROM cruxes")
        }
        versions["project 1"] = cur.scalar("SELECT version FROM projects WHERE id = 1")
        rows = {
            r["id"]: (r["crux_id"], r["name"], r["value"])
            for r in cur.all(
                "SELECT c.id, c.crux_id, p.name, c.value FROM credences c "
                "JOIN people p ON p.id = c.person_id"
            )
        }
        run_ids = {r["id"] for r in cur.all("SELECT id FROM runs")}
    wrong = [c for c in tally.credences if rows.get(c[0]) != (c[1], c[2], c[3])]
    wrong += [r for r in tally.runs if r not in run_ids]
    expected = {f"crux {i}": 1 for i in range(1, N_CRUXES + 1)}
    expected["project 1"] = 2 + len(tally.runs)  # created, assigned, then one per run start
    for what, n in tally.edits.items():
        expected[what] += n
    wrong += [(what, versions[what], v) for what, v in expected.items() if versions[what] != v]
    present = tally.acknowledged - len(wrong)
    return present, wrong


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def figures(label: str, writers: int, seconds: float, tally: Tally, present: int) -> str:
    lat = tally.latencies
    return (
        f"{label}: {writers} writers for {seconds:g} s: {tally.acknowledged} writes acknowledged "
        f"({len(tally.credences)} credences, {sum(tally.edits.values())} edits, "
        f"{len(tally.runs)} run starts), "
        f"{present} found, {tally.stale} refused as stale, {len(tally.busy)} "
        f"refused as busy; latency p50 {percentile(lat, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(lat, 0.99) * 1000:.0f} ms, max {max(lat, default=0) * 1000:.0f} ms"
    )


def main(argv: list[str]) -> None:
    from cruxes.api import call  # the path a CLI command takes

    seconds, writer = float(argv[0]), int(argv[1])
    tally = Tally()
    _timed(tally, call, people.list_people)  # open (migrate) before the clock, as a command does
    print("ready", flush=True)
    rng = random.Random(writer)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        crux, value = rng.randint(1, N_CRUXES), round(rng.random(), 3)
        made = _timed(tally, call, beliefs.add_credence, crux, f"P{writer}", value)
        if made is not None:
            tally.credences.append((made.id, crux, f"P{writer}", value))
    print(json.dumps(tally.__dict__))


if __name__ == "__main__":
    main(sys.argv[1:])
