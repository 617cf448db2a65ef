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
