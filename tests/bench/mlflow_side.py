"""The MLflow side of ``bench_scale``: run by the Python of a separate venv that has MLflow.

Imports only the standard library, MLflow and pyarrow (both come with ``pip install
mlflow``). ``fill`` loads the same generated runs into MLflow's SQLite store (schema
made by MLflow itself, rows added in bulk with sqlite3 — logging 100,000 runs one by
one through the client would take hours); ``ops`` times the operations a user would
do with ``MlflowClient`` and prints them as JSON.

    python mlflow_side.py fill DB DATA_DIR
    python mlflow_side.py ops DB N_INGEST ID...
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import time

import pyarrow.parquet as pq


def _client(db: str):
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(f"sqlite:///{db}")
    return mlflow, MlflowClient()


def fill(db: str, data: str) -> None:
    mlflow, client = _client(db)
    experiment = client.create_experiment("bench")
    sample = client.create_run(experiment)
    client.log_batch(sample.info.run_id)
    client.set_terminated(sample.info.run_id)
    runs = pq.read_table(f"{data}/runs.parquet").to_pylist()
    metrics = pq.read_table(f"{data}/metrics.parquet")
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")

    def columns(table: str) -> list[str]:
        return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]

    run_cols = columns("runs")
    template = dict(
        zip(
            run_cols,
            con.execute("SELECT * FROM runs WHERE run_uuid = ?", [sample.info.run_id]).fetchone(),
            strict=True,
        )
    )
    tags = con.execute("SELECT key, value FROM tags WHERE run_uuid = ?", [sample.info.run_id])
    tags = [t for t in tags.fetchall() if t[0] != "mlflow.runName"]
    run_rows, param_rows, tag_rows = [], [], []
    for r in runs:
        uuid = f"{r['id']:032x}"
        start = r["created_ms"]
        row = {
            **template,
            "run_uuid": uuid,
            "name": f"run-{r['id']}",
            "status": "FINISHED" if r["status"] == "succeeded" else "FAILED",
            "start_time": start,
            "end_time": start + 180_000,
            "artifact_uri": template["artifact_uri"].replace(sample.info.run_id, uuid),
        }
        run_rows.append([row[c] for c in run_cols])
        param_rows += [(k, str(v), uuid) for k, v in json.loads(r["config"]).items()]
        tag_rows += [(k, v, uuid) for k, v in tags] + [("mlflow.runName", f"run-{r['id']}", uuid)]
    marks = ",".join("?" * len(run_cols))
    con.executemany(f"INSERT INTO runs ({','.join(run_cols)}) VALUES ({marks})", run_rows)
    con.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", param_rows)
    con.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tag_rows)
    start_of = {r["id"]: r["created_ms"] for r in runs}
    metric_rows = [
        (name, value, start_of[run_id] + 1000, f"{run_id:032x}", 0, 0)
        for run_id, name, value in zip(
            metrics.column("run_id").to_pylist(),
            metrics.column("name").to_pylist(),
            metrics.column("value").to_pylist(),
            strict=True,
        )
    ]
    cols = "(key, value, timestamp, run_uuid, step, is_nan)"
    con.executemany(f"INSERT INTO metrics {cols} VALUES (?, ?, ?, ?, ?, ?)", metric_rows)
    con.executemany(f"INSERT INTO latest_metrics {cols} VALUES (?, ?, ?, ?, ?, ?)", metric_rows)
    con.commit()
    con.close()
    print(json.dumps({"experiment": experiment, "runs": len(run_rows)}))


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def ops(db: str, n_ingest: int, ids: list[int]) -> None:
    from mlflow.entities import Metric

    mlflow, client = _client(db)
    experiment = client.get_experiment_by_name("bench").experiment_id
    out = {}
    out["list_all"], found = timed(
        lambda: mlflow.search_runs([experiment], max_results=200_000, output_format="list"), 1
    )
    out["list_all_n"] = len(found)
    print(json.dumps(out), flush=True)  # each line holds everything measured so far
    out["page_50"], _ = timed(
        lambda: client.search_runs(
            [experiment], max_results=50, order_by=["attributes.start_time DESC"]
        ),
        3,
    )
    out["top_20"], _ = timed(
        lambda: client.search_runs(
            [experiment], max_results=20, order_by=["metrics.faithfulness DESC"]
        ),
        3,
    )
    out["filter_param"], found = timed(
        lambda: mlflow.search_runs(
            [experiment],
            filter_string="params.n_sequences = '64'",
            max_results=200_000,
            output_format="list",
        ),
        1,
    )
    out["filter_param_n"] = len(found)
    print(json.dumps(out), flush=True)
    uuids = ", ".join(f"'{i:032x}'" for i in ids)
    out["compare_100"], found = timed(
        lambda: client.search_runs(
            [experiment], filter_string=f"attributes.run_id IN ({uuids})", max_results=len(ids)
        ),
        3,
    )
    out["compare_100_n"] = len(found)
    run = client.create_run(experiment).info.run_id
    stamp = int(time.time() * 1000)
    batches = [
        [Metric(f"m{k % 10}", float(k), stamp, k // 10) for k in range(b, b + 1000)]
        for b in range(0, n_ingest, 1000)
    ]
    start = time.perf_counter()
    for batch in batches:
        client.log_batch(run, metrics=batch)
    out["ingest_rows_per_s"] = n_ingest / (time.perf_counter() - start)
    out["version"] = mlflow.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "fill":
        fill(sys.argv[2], sys.argv[3])
    else:
        ops(sys.argv[2], int(sys.argv[3]), [int(i) for i in sys.argv[4:]])
