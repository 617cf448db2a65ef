"""A large, consistent cruxlab data set for the benchmarks: ``generate(store)``.

At ``scale=1``: 12 people, 300 cruxes under 4 questions, about 5,000 manual
credences plus the outcome updates, 600 projects across every status, about
4,000 predictions, about 2,900 runs with their metrics, about 350 outcomes with
their evaluations, tags and notes. It keeps the domain's rules: predictions
are made before their project's first run, runs belong to started projects,
outcomes come from succeeded runs and evaluate the project's current
predictions, and applied updates are credences caused by their outcome. Rows
are written in bulk through ``db.exchange`` (one insert per table), then the id
sequences are moved past the generated ids, as an import does.

    python -m tests.bench.generate HOME [SCALE]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta

import pyarrow as pa

from cruxes.workspace import open_store
from db import exchange
from db.store import Store
from experiments.registry import get_template

START = datetime(2025, 1, 1)
DAYS = 365
STATUSES = ("proposed", "assigned", "running", "in_review", "done")
TAGS = ("attention", "probing", "saes", "circuits", "baselines", "organism", "scaling")
METRIC = "max_induction_score"


def generate(store: Store, *, scale: float = 1.0, seed: int = 0) -> dict[str, int]:
    """Fill an empty store with a generated data set; returns rows per table."""
    rng = random.Random(seed)

    def at() -> datetime:
        return START + timedelta(seconds=rng.uniform(0, DAYS * 86_400))

    def n(count: int) -> int:
        return max(1, int(count * scale))

    rows: dict[str, list[dict]] = {}

    people = [
        {
            "id": i,
            "name": f"Person {i}",
            "role": "mentor" if i <= 2 else "scholar",
            "created_at": START,
        }
        for i in range(1, 13)
    ]
    mentors, scholars = [p["id"] for p in people[:2]], [p["id"] for p in people[2:]]
    rows["people"] = people
    rows["questions"] = [
        {"id": i, "text": f"Generated question {i}?", "created_at": START} for i in range(1, 4)
    ]
    cruxes = []
    for i in range(1, n(300) + 1):
        stamp = START + timedelta(days=rng.uniform(0, 30))
        cruxes.append(
            {
                "id": i,
                "statement": f"Generated crux {i}.",
                "question_id": rng.choice([None, 1, 2, 3]),
                "version": 1,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    rows["cruxes"] = cruxes
    credences = [
        {
            "crux_id": rng.randint(1, len(cruxes)),
            "person_id": rng.choice(people)["id"],
            "value": round(rng.random(), 2),
            "reason": "generated",
            "source": "manual",
            "outcome_id": None,
            "created_at": at(),
        }
        for _ in range(n(5000))
    ]

    projects, links, predictions, runs, metrics = [], [], [], [], []
    outcomes, evaluations, notes, tags = [], [], [], []
    template = get_template("induction_heads")
    config = template.parse_config({}).model_dump_json()
    metric_names = [m.name for m in template.metrics]
    for pid in range(1, n(600) + 1):
        status = STATUSES[pid % len(STATUSES)]
        created = at()
        started = status in ("running", "in_review", "done")
        frozen = created + timedelta(days=rng.uniform(1, 20)) if started else None
        projects.append(
            {
                "id": pid,
                "title": f"Generated project {pid}",
                "summary": "",
                "status": status,
                "mentor_id": rng.choice(mentors),
                "assignee_id": None if status == "proposed" else rng.choice(scholars),
                "predictions_frozen_at": frozen,
                "effort_days": rng.choice([None, 1.0, 3.0, 10.0]),
                "due_date": (created + timedelta(days=rng.randint(7, 120))).date(),
                "blind_predictions": rng.random() < 0.2,
                "version": 1,
                "created_at": created,
                "updated_at": created,
            }
        )
        current = []
        for crux_id in rng.sample(range(1, len(cruxes) + 1), rng.randint(1, 3)):
            links.append({"project_id": pid, "crux_id": crux_id})
            for person in rng.sample(people, 4):
                p, c_pos, c_neg = (round(rng.random(), 2) for _ in range(3))
                prediction = {
                    "id": len(predictions) + 1,
                    "project_id": pid,
                    "crux_id": crux_id,
                    "person_id": person["id"],
                    "metric": METRIC,
                    "op": ">",
                    "threshold": 0.5,
                    "p_positive": p,
                    "if_positive": c_pos,
                    "if_negative": c_neg,
                    "created_at": created + timedelta(hours=1),
                }
                predictions.append(prediction)
                current.append(prediction)
        if rng.random() < 0.3:
            tags.append(("project", pid))
        if rng.random() < 0.5:
            notes.append(("project", pid, created + timedelta(days=1)))
        if not started:
            continue
        project_runs = []
        for k in range(rng.randint(5, 13)):
            rid = len(runs) + 1
            made = frozen + timedelta(hours=k + 1)
            live = status == "running" and k == 0 and rng.random() < 0.3
            state = "running" if live else rng.choices(["succeeded", "failed"], [85, 15])[0]
            runs.append(
                {
                    "id": rid,
                    "project_id": pid,
                    "template": template.name,
                    "config": config,
                    "seed": k,
                    "status": state,
                    "device": "cpu",
                    "error": "generated failure" if state == "failed" else None,
                    "created_at": made,
                    "started_at": made,
                    "finished_at": None if live else made + timedelta(minutes=3),
                    "ingested_at": None if live else made + timedelta(minutes=3),
                }
            )
            if state == "succeeded":
                score = round(rng.random(), 3)
                metrics += [
                    {
                        "run_id": rid,
                        "name": name,
                        "step": 0,
                        "value": score if name == METRIC else rng.random(),
                    }
                    for name in metric_names
                ]
                project_runs.append((rid, score, made))
            if rng.random() < 0.2:
                tags.append(("run", rid))
            if rng.random() < 0.2:
                notes.append(("run", rid, made))
        if status not in ("in_review", "done"):
            continue
        for rid, score, made in project_runs[: rng.randint(1, 2)]:
            oid = len(outcomes) + 1
            recorded = made + timedelta(hours=2)
            outcomes.append(
                {"id": oid, "project_id": pid, "run_id": rid, "note": None, "created_at": recorded}
            )
            for pr in current:
                positive = score > pr["threshold"]
                proposed = pr["if_positive"] if positive else pr["if_negative"]
                evaluations.append(
                    {
                        "outcome_id": oid,
                        "prediction_id": pr["id"],
                        "person_id": pr["person_id"],
                        "crux_id": pr["crux_id"],
                        "metric": METRIC,
                        "value": score,
                        "positive": positive,
                        "credence_before": None,
                        "proposed": proposed,
                    }
                )
                if rng.random() < 0.8:  # applied
                    credences.append(
                        {
                            "crux_id": pr["crux_id"],
                            "person_id": pr["person_id"],
                            "value": proposed,
                            "reason": "generated outcome",
                            "source": "outcome",
                            "outcome_id": oid,
                            "created_at": recorded + timedelta(minutes=5),
                        }
                    )
    credences.sort(key=lambda c: c["created_at"])  # ids follow time, as when entered
    rows["credences"] = [{"id": i, **c} for i, c in enumerate(credences, start=1)]
    rows |= {
        "projects": projects,
        "project_cruxes": links,
        "predictions": predictions,
        "runs": runs,
        "run_metrics": metrics,
        "run_finals": metrics,  # one step per metric: the final value is the only one
        "outcomes": outcomes,
        "outcome_evaluations": evaluations,
    }
    tags += [("crux", c["id"]) for c in cruxes if rng.random() < 0.4]
    rows["tag_events"] = [
        {
            "id": i,
            "kind": kind,
            "entity_id": eid,
            "tag": rng.choice(TAGS),
            "added": True,
            "created_at": START + timedelta(days=DAYS),
        }
        for i, (kind, eid) in enumerate(tags, start=1)
    ]
    rows["notes"] = [
        {
            "id": i,
            "kind": kind,
            "entity_id": eid,
            "person_id": rng.choice(people)["id"],
            "body": f"Generated *note* {i}.",
            "created_at": stamp,
        }
        for i, (kind, eid, stamp) in enumerate(notes, start=1)
    ]
    with store.transaction() as cur:
        for table, table_rows in rows.items():
            exchange.load_rows(cur, table, pa.Table.from_pylist(table_rows))
        exchange.continue_sequences(cur)
    return {table: len(table_rows) for table, table_rows in rows.items()}


if __name__ == "__main__":
    counts = generate(open_store(sys.argv[1]), scale=float(sys.argv[2]) if len(sys.argv) > 2 else 1)
    print("\n".join(f"{table}: {rows}" for table, rows in counts.items()))


# The scale data set: a year of sweeps (tests/bench/bench_scale.py).
SWEEP_TEMPLATES = (
    "induction_heads",
    "activation_patching",
    "attribution_patching",
    "circuit_faithfulness",
    "linear_probe",
    "sae_quality",
)
SWEEP_METRICS = (
    "faithfulness",
    "completeness",
    "max_induction_score",
    "top_head_recovery",
    "explained_variance",
    "loss_recovered",
    "probe_accuracy",
    "auroc",
    "l0",
    "patches_per_second",
)
SWEEP_GRID = {"n_sequences": (16, 32, 64, 128), "seq_len": (16, 24), "lr": (1e-3, 3e-4, 1e-4)}


def sweep_configs(n: int, rng) -> list[dict]:
    """``n`` sweep configs drawn from ``SWEEP_GRID`` (the parameters MLflow calls params)."""
    return [{k: v[int(rng.integers(len(v)))] for k, v in SWEEP_GRID.items()} for _ in range(n)]


def add_runs(store: Store, n: int, *, seed: int = 0, folders: bool = True) -> dict[str, int]:
    """Add ``n`` finished sweep runs (10 metrics each) to the started projects of a generated
    store, column by column through Arrow, and write their run folders."""
    import json

    import numpy as np

    from db import paths

    rng = np.random.default_rng(seed)
    with store.cursor() as cur:
        started = [
            r["id"]
            for r in cur.all(
                "SELECT id FROM projects WHERE status IN ('running', 'in_review', 'done')"
            )
        ]
        first = (cur.scalar("SELECT max(id) FROM runs") or 0) + 1
    ids = np.arange(first, first + n, dtype=np.int64)
    status = rng.choice(["succeeded", "failed", "cancelled"], size=n, p=[0.85, 0.13, 0.02])
    offsets_us = np.sort(rng.uniform(0, DAYS * 86_400, size=n)) * 1e6
    created = np.datetime64(START, "us") + offsets_us.astype("timedelta64[us]")
    configs = sweep_configs(n, rng)
    config_json = [json.dumps(c) for c in configs]
    templates = rng.choice(SWEEP_TEMPLATES, size=n)
    finished = created + np.timedelta64(180, "s")
    runs = pa.table(
        {
            "id": ids,
            "project_id": rng.choice(started, size=n),
            "template": templates,
            "config": config_json,
            "seed": rng.integers(0, 1000, size=n),
            "status": status,
            "device": np.full(n, "cpu"),
            "error": np.where(status == "failed", "generated failure", None),
            "created_at": created,
            "started_at": created,
            "finished_at": finished,
            "ingested_at": finished,
            "executor": np.full(n, "local"),
            "progress": np.where(status == "succeeded", 1.0, 0.5),
        }
    )
    k = len(SWEEP_METRICS)
    values = rng.random((n, k))
    metrics = pa.table(
        {
            "run_id": np.repeat(ids, k),
            "name": np.tile(np.array(SWEEP_METRICS), n),
            "step": np.zeros(n * k, dtype=np.int64),
            "value": values.ravel(),
        }
    )
    tagged = ids[rng.random(n) < 0.1]
    tags = pa.table(
        {
            "kind": np.full(len(tagged), "run"),
            "entity_id": tagged,
            "tag": rng.choice(TAGS, size=len(tagged)),
            "added": np.ones(len(tagged), dtype=bool),
            "created_at": np.full(len(tagged), np.datetime64(START, "us")),
        }
    )
    start = time.perf_counter()
    with store.transaction() as cur:
        exchange.load_rows(cur, "runs", runs)
        exchange.load_rows(cur, "run_metrics", metrics)
        exchange.load_rows(cur, "run_finals", metrics)
        exchange.load_rows(cur, "tag_events", tags)
        exchange.continue_sequences(cur)
    db_s = time.perf_counter() - start
    start = time.perf_counter()
    if folders:
        write_folders(paths.runs_dir(store.path.parent), runs, values)
    return {
        "runs": n,
        "run_metrics": n * k,
        "run_folders": n if folders else 0,
        "db_s": db_s,
        "folders_s": time.perf_counter() - start,
    }


def write_folders(root, runs: pa.Table, values) -> None:
    """One folder per run as a worker leaves it: config.json, log.txt, metrics.jsonl,
    result.json (written with os-level calls: 400,000 small files)."""
    import json
    import os

    root.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    names = SWEEP_METRICS
    for i, row in enumerate(runs.select(["id", "template", "config", "status"]).to_pylist()):
        folder = f"{root}/{row['id']}"
        os.mkdir(folder)
        spec = {"run_id": row["id"], "template": row["template"], "seed": 0, "device": "cpu"}
        files = {
            "config.json": json.dumps({**spec, "config": json.loads(row["config"])}),
            "log.txt": f"[00:00:00]   0% started {row['template']} on cpu (slot 0)\n" * 8,
            "metrics.jsonl": "".join(
                f'{{"name": "{m}", "step": 0, "value": {v}}}\n'
                for m, v in zip(names, values[i], strict=True)
            ),
            "result.json": json.dumps({"status": row["status"], "error": None, "device": "cpu"}),
        }
        for name, text in files.items():
            fd = os.open(f"{folder}/{name}", flags, 0o644)
            os.write(fd, text.encode())
            os.close(fd)
