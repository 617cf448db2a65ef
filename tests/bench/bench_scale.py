"""A research group's whole history: 100,000 runs × 10 metrics (1M metric rows) and
100,000 run folders, each target of issue 10 timed, and MLflow side by side.

The data set is ``generate`` (the agenda: people, cruxes, projects, predictions,
outcomes) plus ``add_runs`` (a year of sweeps, bulk through Arrow). The same runs
go into MLflow 's SQLite store, in a separate venv the benchmark makes with pip
(``~/.cache/cruxlab/bench-mlflow``), and ``mlflow_side.py`` times the equivalent
client calls there.

    CRUXLAB_BENCH_RUNS=100000   runs in the data set (default 100,000)
    CRUXLAB_BENCH_MLFLOW=0      skip the MLflow side
    CRUXLAB_BENCH_MLFLOW_RUNS=10000  runs in the side-by-side (a second home and an MLflow
                                store with the same runs; at 100,000 MLflow's search of
                                every run had not returned after 50 minutes)
    CRUXLAB_BENCH_INGEST=1000000  metric rows in the ingested run
    CRUXLAB_BENCH_FOLDERS=0     no run folders (the database targets only, quicker)
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench import bench_foundation

N_RUNS = int(os.environ.get("CRUXLAB_BENCH_RUNS", 100_000))
N_INGEST = int(os.environ.get("CRUXLAB_BENCH_INGEST", 1_000_000))
FOLDERS = os.environ.get("CRUXLAB_BENCH_FOLDERS", "1") != "0"
N_MLFLOW = int(os.environ.get("CRUXLAB_BENCH_MLFLOW_RUNS", 10_000))
MLFLOW_VENV = Path.home() / ".cache" / "cruxlab" / "bench-mlflow"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PACKAGES = ["app", "cruxes", "db", "experiments"]
CRUXLAB = str(Path(sys.executable).with_name("cruxlab"))


def timed(fn, repeat: int) -> float:
    """The median wall time of ``repeat`` calls."""
    return statistics.median(bench_foundation.timed(fn, repeat))


def _s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _check(what: str, figure: str, target: str, ok: bool) -> None:
    print(f"| {what} | {figure} | {target} | {'yes' if ok else '**no**'} |")


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def _median_process(args: list[str], env: dict, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _ingest(store, n: int) -> tuple[float, float]:
    """Seconds to record a run with ``n`` metric rows, and of that the parse."""
    from db import runs as runs_table
    from experiments import lifecycle
    from experiments.folders import RunFolder, write_json_atomic

    with store.transaction() as cur:
        row = lifecycle.create(cur, lifecycle.home_of(store), 1, "induction_heads", {})
    folder = RunFolder.of(lifecycle.home_of(store), row["id"])
    with folder.metrics.open("w") as fh:
        for k in range(n):
            fh.write(f'{{"name": "m{k % 10}", "step": {k // 10}, "value": {k * 1e-3}}}\n')
    write_json_atomic(folder.result, {"status": "succeeded", "error": None})
    parse = timed(lambda: runs_table.read_metrics_file(folder.metrics), 1)
    start = time.perf_counter()
    assert lifecycle.record(store, row["id"])
    return time.perf_counter() - start, parse


def apptest(home: str) -> None:
    """In its own process: render the Runs page with AppTest; print times and peak memory."""
    os.environ["CRUXLAB_HOME"] = home
    from streamlit.testing.v1 import AppTest

    entry = HERE.parents[1] / "app" / "streamlit_app.py"
    start = time.perf_counter()
    at = AppTest.from_file(str(entry), default_timeout=300).run()
    opened = time.perf_counter() - start
    renders, reruns = [], []
    for _ in range(3):
        start = time.perf_counter()
        at.switch_page("app_pages/runs.py").run()
        renders.append(time.perf_counter() - start)
        assert not at.exception, at.exception
        start = time.perf_counter()
        at.text_input(key="runs_metric").input("faithfulness > 0.5").run()
        reruns.append(time.perf_counter() - start)
        at.text_input(key="runs_metric").input("").run()
        at.switch_page("app_pages/dashboard.py").run()
    times = {
        "opened": opened,
        "render": statistics.median(renders),
        "rerun": statistics.median(reruns),
    }
    print(json.dumps({**times, "peak_mb": peak_mb()}))


def peak_mb() -> float:
    """This process's peak resident memory since it started. Not ``ru_maxrss``: Linux keeps
    that across ``exec``, so a child would report its parent's peak (the benchmark's,
    holding a 100,000-run data set), as this benchmark did until 2026-12-02."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _mlflow_python() -> str | None:
    python = MLFLOW_VENV / "bin" / "python"
    probe = [str(python), "-c", "import mlflow"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return str(python)
    print(f"(installing MLflow into {MLFLOW_VENV} with pip …)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(MLFLOW_VENV)], check=True)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "mlflow"], capture_output=True, text=True
    )
    if done.returncode != 0:
        print(f"MLflow could not be installed, its side is skipped: {done.stderr[-500:]}")
        return None
    return str(python)


def main() -> None:
    from cruxes import board, dashboard, exchange, runs
    from cruxes.models import RunQuery
    from cruxes.workspace import open_store
    from tests.bench.generate import add_runs, generate

    root = Path(tempfile.mkdtemp(prefix="cruxlab-bench-scale-"))
    home = root / "home"
    env = {**os.environ, "CRUXLAB_HOME": str(home)}
    os.environ["CRUXLAB_HOME"] = str(home)
    store = open_store(home)
    print(f"at start: {_load()}\n")
    print("| what | figure | target | met |\n|---|---|---|---|")
    start = time.perf_counter()
    counts = generate(store)
    agenda_s = time.perf_counter() - start
    extra = N_RUNS - counts["runs"]
    made = add_runs(store, extra, folders=FOLDERS)
    _check(
        f"generate: the agenda ({counts['runs']:,} runs) + {extra:,} sweep runs, "
        f"{made['run_metrics']:,} metric rows (Arrow bulk insert)",
        f"{_s(agenda_s)} + {_s(made['db_s'])}",
        "fast",
        True,
    )
    if FOLDERS:
        _check(f"write {extra:,} run folders (4 files each)", _s(made["folders_s"]), "fast", True)
    filtered = RunQuery(
        status="succeeded",
        template="activation_patching",
        metrics=["faithfulness > 0.5"],
        params=["n_sequences = 64"],
        sort="completeness",
    )
    # Since the owner (issue 12), the app's server and `cruxlab serve` hold the file open
    # and run every domain call; a process with no owner opens it for each unit of work.
    with store.session():
        page_s = timed(lambda: runs.run_page(store), 5)
        filtered_s = timed(lambda: runs.run_page(store, filtered), 5)
    _check(
        "Runs page domain call in the owner (the app's server): newest 50 + counts",
        _s(page_s), "≤ 0.3 s", page_s <= 0.3,
    )  # fmt: skip
    _check(
        "… 50 with 4 filters, sorted by a metric, + counts",
        _s(filtered_s), "≤ 0.3 s", filtered_s <= 0.3,
    )  # fmt: skip
    unheld_s = timed(lambda: runs.run_page(store, filtered), 5)

    def open_close() -> None:
        with store.cursor():
            pass

    open_s = timed(open_close, 5)
    _check(
        "the filtered call with no owner (opens the file) / of which opening and closing it",
        f"{_s(unheld_s)} / {_s(open_s)}",
        "—",
        True,
    )
    shown = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_scale", "apptest", str(home)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    app = json.loads(shown.stdout.strip().splitlines()[-1])
    _check("AppTest: Runs page render", _s(app["render"]), "≤ 2 s", app["render"] <= 2)
    _check(
        "AppTest: Runs page rerun after a filter change", _s(app["rerun"]), "≤ 2 s",
        app["rerun"] <= 2,
    )  # fmt: skip
    _check(
        "Runs page process: peak memory (AppTest process)",
        f"{app['peak_mb']:.0f} MB",
        "< 500 MB",
        app["peak_mb"] < 500,
    )
    # As after a normal install: the sources byte-compiled once (PYTHONDONTWRITEBYTECODE,
    # set in some CI images, would otherwise make every process compile them: +0.4 s).
    subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=ROOT, check=True)
    listing = _median_process([CRUXLAB, "run", "list", "--limit", "50"], env)
    _check(
        "`cruxlab run list --limit 50`, whole process, no owner",
        _s(listing), "≤ 1.5 s", listing <= 1.5,
    )  # fmt: skip
    server = subprocess.Popen([CRUXLAB, "serve"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        started = server.stdout.readline()  # "cruxlab serve (process …) owns …"
        assert "owns" in started, started
        served = _median_process([CRUXLAB, "run", "list", "--limit", "50"], env)
    finally:
        server.terminate()
        server.wait()
    _check(
        "`cruxlab run list --limit 50`, whole process, while `cruxlab serve` owns the file",
        _s(served), "≤ 1.5 s", served <= 1.5,
    )  # fmt: skip
    views = {
        "coverage": lambda: board.coverage(store),
        "board": lambda: board.board(store),
        "dashboard (agenda)": lambda: dashboard.agenda(store),
        "scholar page": lambda: board.person_page(store, "Person 3"),
    }
    with store.session():
        for name, view in views.items():
            took = timed(view, 3)
            _check(f"{name} (in the owner)", _s(took), "≤ 0.5 s", took <= 0.5)
        ids = runs.run_page(store, RunQuery(limit=1000)).table.column("id").to_pylist()
        compare_s = timed(lambda: runs.compare(store, ids), 3)
        _check("compare 1,000 runs (in the owner)", _s(compare_s), "≤ 0.5 s", compare_s <= 0.5)
        ingest_s, parse_s = _ingest(store, N_INGEST)
    rate = N_INGEST / ingest_s
    _check(
        f"ingest a run of {N_INGEST:,} metric rows (parse {_s(parse_s)}, then one INSERT "
        f"from Arrow: the database is held {_s(max(0.0, ingest_s - parse_s))})",
        f"{_s(ingest_s)} = {rate / 1e6:.2f}M rows/s",
        "≥ 1M rows/s, < 2 s",
        rate >= 1e6 and ingest_s < 2,
    )
    out = root / "export-db"
    export_db = timed(lambda: exchange.export_home(store, out, run_folders=False), 1)
    _check("`cruxlab export` (database only)", _s(export_db), "≤ 5 s", export_db <= 5)
    import_db = timed(lambda: exchange.import_home(open_store(root / "restored-db"), out), 1)
    _check("`cruxlab import` (database only)", _s(import_db), "≤ 5 s", import_db <= 5)
    if FOLDERS:
        folders_side(store, root, home, export_db, import_db)
    print(f"\nat the end of the cruxlab side: {_load()}")
    if os.environ.get("CRUXLAB_BENCH_MLFLOW", "1") != "0":
        side_by_side(store, root, ingest_s)
    shutil.rmtree(root, ignore_errors=True)


def folders_side(store, root: Path, home: Path, export_db: float, import_db: float) -> None:
    """Export and import with every run folder, against ``cp -r`` of the same tree."""
    from cruxes import exchange
    from cruxes.workspace import open_store

    out = root / "export-all"
    export_all = timed(lambda: exchange.export_home(store, out), 1)
    import_all = timed(lambda: exchange.import_home(open_store(root / "restored-all"), out), 1)
    copy_s = timed(
        lambda: subprocess.run(["cp", "-r", str(home / "runs"), str(root / "cp-r")], check=True),
        1,
    )
    _check(
        f"export with {N_RUNS:,} run folders (hard links) / `cp -r` of the same tree",
        f"{_s(export_all)} / {_s(copy_s)}",
        "disk speed",
        export_all <= copy_s * 1.5 + export_db,
    )
    _check(
        "import with the run folders (hard links from the export)",
        _s(import_all),
        "disk speed",
        import_all <= copy_s * 1.5 + import_db,
    )


def side_by_side(big, root: Path, ingest_s: float) -> None:
    """The equivalent operations in cruxlab and in MLflow on the same runs, and their ratios
    (and, beside them, cruxlab's figure on the whole 100,000-run home)."""
    import pyarrow.parquet as pq

    from cruxes import runs
    from cruxes.models import RunQuery
    from cruxes.workspace import open_store
    from tests.bench.generate import add_runs, generate

    python = _mlflow_python()
    if python is None:
        return
    store = open_store(root / "home-side-by-side")  # the same generator, N_MLFLOW runs
    made = generate(store)
    add_runs(store, max(0, N_MLFLOW - made["runs"]), folders=False)
    data = root / "mlflow-data"
    data.mkdir()
    with store.cursor() as cur:
        n_runs = cur.scalar("SELECT count(*) FROM runs")
        pq.write_table(
            cur.arrow(
                "SELECT id, status, config, epoch_ms(created_at) AS created_ms FROM runs "
                "ORDER BY id"
            ),
            data / "runs.parquet",
        )
        pq.write_table(
            cur.arrow("SELECT run_id, name, value FROM run_finals"), data / "metrics.parquet"
        )
    db = root / "mlflow.db"
    start = time.perf_counter()
    subprocess.run([python, str(HERE / "mlflow_side.py"), "fill", str(db), str(data)], check=True)
    filled = time.perf_counter() - start
    print(
        f"\nMLflow store filled with the same {n_runs:,} runs (schema by MLflow, rows in bulk) "
        f"in {_s(filled)}"
    )
    ids = list(range(n_runs // 2, n_runs // 2 + 100))
    n_ingest = min(N_INGEST, 10_000)
    result = subprocess.run(
        [python, str(HERE / "mlflow_side.py"), "ops", str(db), str(n_ingest), *map(str, ids)],
        check=True,
        capture_output=True,
        text=True,
    )
    theirs = json.loads(result.stdout.strip().splitlines()[-1])
    operations = {
        "list_all": lambda s: runs.run_page(s, RunQuery(limit=None)),
        "page_50": lambda s: runs.run_page(s, RunQuery(sort="created_at")),
        "top_20": lambda s: runs.run_page(s, RunQuery(sort="faithfulness", limit=20)),
        "filter_param": lambda s: runs.run_page(
            s, RunQuery(params=["n_sequences = 64"], limit=None)
        ),
        "compare_100": lambda s: runs.compare(s, ids),
    }
    ours, whole = {}, {}
    with store.session(), big.session():  # both sides keep their database open all along,
        for name, op in operations.items():  # as a server does (MLflow keeps its client)
            repeat = 1 if name in ("list_all", "filter_param") else 3
            ours[name] = timed(lambda op=op: op(store), repeat)
            whole[name] = timed(lambda op=op: op(big), repeat)
    print(
        f"\nMLflow {theirs['version']} (SQLite store), same machine, same process model; {_load()}"
    )
    print(
        f"\n| operation on {n_runs:,} runs | cruxlab | MLflow | ratio (target ≥ 100×) "
        f"| cruxlab on {N_RUNS:,} runs |\n|---|---|---|---|---|"
    )
    names = {
        "list_all": "list every run with its final metrics",
        "page_50": "one page of 50 runs, newest first (cruxlab also counts runs per state "
        "and template)",
        "top_20": "top 20 by a metric",
        "filter_param": f"filter by a param (n_sequences = 64: {theirs['filter_param_n']:,} runs)",
        "compare_100": f"compare 100 runs ({theirs['compare_100_n']} found)",
    }
    for key, what in names.items():
        ratio = theirs[key] / ours[key]
        print(
            f"| {what} | {_s(ours[key])} | {_s(theirs[key])} | {ratio:,.0f}× | {_s(whole[key])} |"
        )
    our_rate = N_INGEST / ingest_s
    print(
        f"| ingest metric rows (cruxlab {N_INGEST:,} in one run; MLflow {n_ingest:,} via "
        f"`log_batch` of 1,000) | {our_rate:,.0f} rows/s | {theirs['ingest_rows_per_s']:,.0f} "
        f"rows/s | {our_rate / theirs['ingest_rows_per_s']:,.0f}× | — |"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["apptest"]:
        apptest(sys.argv[2])
