"""Runs from the agenda's side: start a template for a project, list, compare, read results.

Every change of a run's state goes through ``experiments.lifecycle``. Starting a
run is one unit of work there: the project's predictions freeze, the project moves
to running, the run is created and handed to its executor — or, if the executor
refuses, none of it happens. Reads here never write: a run that finished while the
database was busy, or whose worker was lost, is recorded by ``refresh`` (start-up,
the worker pool, ``cruxlab run refresh``, the Runs page's button).

The runs table (``run_page``) and ``compare`` are assembled here once, as Arrow
tables, and rendered by both the Runs page and ``cruxlab run``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

from cruxes import sweeps, team
from cruxes.models import MAX_COMPARED, Comparison, RunPage, RunQuery, RunView, TagIn, parse
from cruxes.people import resolve
from cruxes.projects import freeze_for_run, require_project
from db import runs as runs_table
from db.errors import InvalidInput, NotFound
from db.store import Cursor, Store
from experiments import lifecycle
from experiments.executors import EXECUTORS, Executor, default_name, get_executor
from experiments.folders import RunFolder

DEVICES = ("auto", "cpu", "cuda")
CURVE_POINTS = 2000  # most points drawn per metric curve
MAX_SEED = 2**63 - 1  # the seed column is a signed 64-bit integer


def list_templates() -> list:
    """Every registered experiment template."""
    from experiments.registry import templates  # imports the templates (and torch) on demand

    return templates()


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``["key=value", ...]`` → ``{key: value}``; values are typed by the template's config."""
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"Expected KEY=VALUE, got {pair!r}.")
        values[key.strip()] = value.strip()
    return values


def executor_names() -> list[str]:
    """Every executor a run can start on (local, slurm)."""
    return sorted(EXECUTORS)


def default_executor(store: Store) -> str:
    """The executor a run starts on unless told: ``$CRUXLAB_EXECUTOR``, then settings.toml
    (``local`` while that file is unreadable: starting a run then says what is wrong)."""
    try:
        return default_name(lifecycle.home_of(store))
    except InvalidInput:
        return "local"


def start_run(
    store: Store,
    project_id: int,
    template_name: str,
    values: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    device: str = "auto",
    executor: Executor | str | None = None,
    options: Sequence[str] | Mapping[str, Any] | None = None,
    actor: str | int | None = None,
) -> RunView:
    """Validate the config (types, ranges, and against the model's shape), then in one unit
    of work freeze the project's predictions, create the run and hand it to its executor;
    a refused config, or an executor that refuses, changes nothing.

    ``executor`` is an executor or its name (default: the home's, see
    ``experiments.executors``); ``options`` are its per-run options (SLURM's ``KEY=VALUE``).
    In team mode a scholar may start runs only of projects assigned to them.
    """
    from experiments.registry import get_template

    template = get_template(template_name)
    config = template.validate(values)
    items = [(json.loads(config.model_dump_json()), seed)]
    [run] = _launch(store, project_id, template.name, items, device, executor, options, actor)
    return run


def start_sweep(
    store: Store,
    project_id: int,
    template_name: str,
    grid: list[str],
    values: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    device: str = "auto",
    executor: Executor | str | None = None,
    options: Sequence[str] | Mapping[str, Any] | None = None,
    actor: str | int | None = None,
) -> list[RunView]:
    """Start one run per point of ``grid`` (``KEY=V1,V2`` each; see ``cruxes.sweeps``).

    Every point is validated first, as a single run's config is (against the model too);
    then all runs start in one unit of work, handed to the executor at once (on SLURM: one
    job array), or none does.
    """
    from experiments.registry import get_template

    template = get_template(template_name)
    items = sweeps.configs(template, grid, values or {}, seed)
    return _launch(store, project_id, template.name, items, device, executor, options, actor)


def _launch(
    store: Store,
    project_id: int,
    template: str,
    items: list[tuple[dict[str, Any], int]],
    device: str,
    executor: Executor | str | None,
    options: Sequence[str] | Mapping[str, Any] | None,
    actor: str | int | None,
) -> list[RunView]:
    if device not in DEVICES:
        raise InvalidInput(f"Device must be one of {', '.join(DEVICES)}, not {device!r}.")
    for _, seed in items:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise InvalidInput(
                f"The seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}."
            )
    if executor is None or isinstance(executor, str):
        executor = get_executor(executor, options=options, home=lifecycle.home_of(store))
    run_ids = lifecycle.launch_many(
        store,
        project_id,
        template,
        items,
        device=device,
        executor=executor,
        prepare=lambda cur: _prepare(store, cur, actor, project_id),
    )
    return [get_run(store, run_id) for run_id in run_ids]


def _prepare(store: Store, cur: Cursor, actor: str | int | None, project_id: int) -> None:
    """Inside the launch's transaction: may ``actor`` run this project? Then freeze it."""
    me = team.acting(store, cur, actor)
    me.require(team.Action.RUN, project=require_project(cur, project_id))
    freeze_for_run(cur, project_id)
    me.record(cur, team.Action.RUN, "project", project_id)


def refresh(store: Store, run_ids: list[int] | None = None) -> dict[int, str]:
    """Record finished runs the database missed and fail lost ones; run id → new state."""
    return lifecycle.refresh(store, run_ids)


def cancel_run(store: Store, run_id: int, *, actor: str | int | None = None) -> RunView:
    """Stop a queued or running run (its worker too); it ends cancelled unless it finished first.

    In team mode a scholar may cancel runs only of projects assigned to them.
    """
    with store.cursor() as cur:
        me = team.acting(store, cur, actor)
        run = runs_table.get_run(cur, run_id)
        if run is None:
            raise NotFound(f"No run {run_id}; see `cruxlab run list`.")
        project = require_project(cur, run["project_id"]) if run["project_id"] else None
    me.require(team.Action.RUN, project=project)
    lifecycle.cancel(store, run_id)
    with store.transaction() as cur:
        me.record(cur, team.Action.RUN, "run", run_id)
    return get_run(store, run_id)


def wait_for(store: Store, run_id: int, timeout: float | None = None, poll: float = 0.5) -> RunView:
    """Block until a run has finished and is recorded (or ``timeout`` passes)."""
    [view] = wait_for_all(store, [run_id], timeout, poll)
    return view


def wait_for_all(
    store: Store, run_ids: Sequence[int], timeout: float | None = None, poll: float = 0.5
) -> list[RunView]:
    """Block until every run has finished and is recorded (or ``timeout`` passes); this
    refreshes them, so it records what cluster jobs left in their folders."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        lifecycle.refresh(store, list(run_ids))
        views = [get_run(store, run_id) for run_id in run_ids]
        done = all(v.recorded for v in views)
        if done or (deadline is not None and time.monotonic() >= deadline):
            return views
        time.sleep(poll)


def get_run(store: Store, run_id: int) -> RunView:
    """One run as the database records it, with its final metrics and artifacts."""
    with store.cursor() as cur:
        row = runs_table.get_run(cur, run_id)
        if row is None:
            raise NotFound(f"No run {run_id}; see `cruxlab run list`.")
        metrics = runs_table.final_metrics(cur, run_id)
    folder = RunFolder.of(lifecycle.home_of(store), run_id)
    computed = ("config", "progress", "message")
    fields = {k: v for k, v in row.items() if k in RunView.model_fields and k not in computed}
    return RunView(
        **fields,
        config=json.loads(row["config"]),
        progress=row["progress"] or 0.0,
        message=row["message"] or "",
        metrics=metrics,
        artifacts=[str(p) for p in folder.list_artifacts()],
        folder=str(folder.root),
        recorded=row["ingested_at"] is not None,
    )


# A metric filter: NAME OP NUMBER. The operator comes from db.runs.OPERATORS.
METRIC_FILTER = re.compile(
    r"^\s*(?P<name>[A-Za-z_][\w.:/-]*)\s*(?P<op>>=|<=|==|!=|>|<|=)\s*"
    r"(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)


def parse_metric_filter(text: str) -> tuple[str, str, float]:
    """``"faithfulness > 0.9"`` → ``("faithfulness", ">", 0.9)``; InvalidInput otherwise."""
    match = METRIC_FILTER.match(text)
    if match is None:
        ops = ", ".join(o for o in runs_table.OPERATORS if o != "==")
        raise InvalidInput(
            f"A metric filter is NAME OP NUMBER with OP one of {ops} "
            f"(e.g. 'faithfulness > 0.9'), not {text!r}."
        )
    return match["name"], match["op"], float(match["value"])


PARAM_FILTER = re.compile(
    r"^\s*(?P<name>[A-Za-z_][\w.]*)\s*(?P<op>>=|<=|==|!=|>|<|=)\s*(?P<value>\S.*?)\s*$"
)


def parse_param_filter(text: str) -> tuple[str, str, float | str]:
    """``"n_sequences = 64"`` → ``("$.n_sequences", "=", 64.0)``; text values compare as
    text (= and != only); InvalidInput otherwise."""
    match = PARAM_FILTER.match(text)
    if match is not None:
        try:
            value: float | str = float(match["value"])
        except ValueError:
            value = match["value"].strip("'\"")
        if isinstance(value, float) or match["op"] in ("=", "==", "!="):
            return f"$.{match['name']}", match["op"], value
    raise InvalidInput(
        "A config filter is KEY OP VALUE (e.g. 'n_sequences = 64' or "
        f"'model = organism:modadd-1l'; text takes only = and !=), not {text!r}."
    )


def _filters(cur: Cursor, query: RunQuery) -> dict[str, Any]:
    if query.since and query.until and query.since > query.until:
        raise InvalidInput(f"The period starts ({query.since}) after it ends ({query.until}).")
    return {
        "project_id": query.project_id,
        "template": query.template,
        "status": query.status,
        "tag": parse(TagIn, "tag", tag=query.tag).tag if query.tag else None,
        "person_id": resolve(cur, query.person).id if query.person else None,
        "created_from": datetime.combine(query.since, datetime.min.time()) if query.since else None,
        "created_before": datetime.combine(query.until + timedelta(days=1), datetime.min.time())
        if query.until
        else None,
        "metrics": [parse_metric_filter(m) for m in query.metrics],
        "params": [parse_param_filter(p) for p in query.params],
    }


def _with_metrics(cur: Cursor, table: pa.Table) -> tuple[pa.Table, dict[str, str]]:
    """Add one column per metric (its final value, else null) to a table of runs keyed by
    ``id`` and placed by ``pos`` (which it drops); the columns come from the database as
    Arrow, so a page of every run stays cheap."""
    finals = runs_table.final_columns(cur, table)
    table = table.drop_columns(["pos"])
    columns: dict[str, str] = {}
    for name in finals.column_names if finals is not None else []:
        column = name if name not in table.column_names else f"metric:{name}"
        table = table.append_column(column, finals.column(name))
        columns[name] = column
    return table, columns


def run_page(store: Store, query: RunQuery | None = None) -> RunPage:
    """One page of the runs table — filtered, sorted by a column or a metric, with each
    run's final metrics as columns — and the counts per state and template."""
    query = query or RunQuery()
    sort = {"sort": query.sort} if query.sort in runs_table.SORTS else {"sort_metric": query.sort}
    with store.cursor() as cur:
        filters = _filters(cur, query)
        table = runs_table.page(
            cur,
            **sort,
            descending=query.descending,
            limit=query.limit,
            offset=query.offset,
            **filters,
        )
        table, columns = _with_metrics(cur, table)
        cells = runs_table.counts(cur, **{**filters, "status": None})
    by_status: dict[str, int] = {}
    by_template: dict[str, int] = {}
    for c in cells:
        by_status[c["status"]] = by_status.get(c["status"], 0) + c["n"]
        if query.status in (None, c["status"]):
            by_template[c["template"]] = by_template.get(c["template"], 0) + c["n"]
    return RunPage(
        query=query,
        table=table,
        metric_columns=columns,
        total=sum(by_template.values()),
        by_status=dict(sorted(by_status.items())),
        by_template=dict(sorted(by_template.items())),
    )


def metric_names(store: Store) -> list[str]:
    """Every metric any recorded run reported (to sort and filter the runs table by)."""
    with store.cursor() as cur:
        return runs_table.metric_names(cur)


def _flat(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _column(values: list[Any]) -> pa.Array:
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if all(isinstance(v, bool) for v in present):
        return pa.array(values, pa.bool_())
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.array(values, pa.float64())
    text = [None if v is None else v if isinstance(v, str) else json.dumps(v) for v in values]
    return pa.array(text, pa.string())


RUN_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


def parse_run_ids(text: str) -> list[int]:
    """``"12, 15-40"`` → ``[12, 15, 16, …, 40]`` (at most 1,000 ids)."""
    ids: list[int] = []
    for part in filter(str.strip, (text or "").split(",")):
        match = RUN_RANGE.match(part)
        if match is None:
            raise InvalidInput(f"Run ids are numbers or ranges like 15-40, not {part.strip()!r}.")
        first, last = int(match[1]), int(match[2] or match[1])
        if last < first or last - first >= MAX_COMPARED or len(ids) > MAX_COMPARED:
            raise InvalidInput(f"Compare at most {MAX_COMPARED:,} runs at once ({part.strip()}).")
        ids.extend(range(first, last + 1))
    return ids


def compare(store: Store, run_ids: list[int]) -> Comparison:
    """Runs side by side (at most 1,000): the config keys that differ, and every final metric."""
    ids = sorted(set(run_ids))
    if not ids:
        raise InvalidInput("Choose at least one run to compare.")
    if len(ids) > MAX_COMPARED:
        raise InvalidInput(f"Compare at most {MAX_COMPARED:,} runs at once, not {len(ids):,}.")
    with store.cursor() as cur:
        rows = runs_table.compared(cur, ids)
        missing = sorted(set(ids) - {r["id"] for r in rows})
        if missing:
            raise NotFound(f"No run {', '.join(map(str, missing[:5]))}; see `cruxlab run list`.")
        configs = [
            {"template": r["template"], "seed": r["seed"], "device": r["device"]}
            | _flat(json.loads(r["config"]))
            for r in rows
        ]
        keys = list(dict.fromkeys(k for c in configs for k in c))
        same, differing = {}, []
        for key in keys:
            seen = {json.dumps(c.get(key), sort_keys=True) for c in configs}
            if len(seen) == 1:
                same[key] = configs[0].get(key)
            else:
                differing.append(key)
        import pyarrow as pa

        table = pa.table(
            {
                "id": pa.array(ids, pa.int64()),
                "status": pa.array([r["status"] for r in rows], pa.string()),
                **{key: _column([c.get(key) for c in configs]) for key in differing},
                "pos": pa.array(range(len(ids)), pa.int64()),
            }
        )
        table, columns = _with_metrics(cur, table)
    return Comparison(ids=ids, same=same, differing=differing, table=table, metric_columns=columns)


def metric_curves(store: Store, run_id: int, max_points: int = CURVE_POINTS) -> pa.Table:
    """A run's metrics per step (name, step, value, n), long curves averaged over buckets of
    consecutive steps so that each metric has at most ``max_points`` points."""
    with store.cursor() as cur:
        shape = runs_table.curve_shape(cur, run_id)
        if not shape:
            import pyarrow as pa

            return runs_table.empty_metrics().append_column("n", pa.array([], pa.int64()))
        span = max(s["last"] - s["first"] + 1 for s in shape)
        bucket = -(-span // max_points)  # ceil
        return runs_table.curves(cur, run_id, [s["name"] for s in shape], bucket)


def metric_history(store: Store, run_id: int) -> list[dict[str, Any]]:
    """Every (name, step, value) a run recorded, long curves bucketed (see ``metric_curves``)."""
    curves = metric_curves(store, run_id).drop_columns(["n"])
    return curves.to_pylist()


def run_log(store: Store, run_id: int) -> str:
    """The end of a run's log."""
    return RunFolder.of(lifecycle.home_of(store), run_id).read_log()
