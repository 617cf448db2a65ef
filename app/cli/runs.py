"""``cruxlab template`` and ``run``: experiment templates and their runs."""

from __future__ import annotations

import io
import sys
from datetime import datetime
from typing import Any

import typer

from app.cli.common import DateOpt, JsonOpt, sub
from app.cli.render import emit
from cruxes import runs
from cruxes.api import call
from cruxes.errors import InvalidInput
from cruxes.models import Comparison, RunPage, RunQuery, parse

WAIT_SLICE_S = 10.0
template_app = sub("template", "Experiment templates.")
run_app = sub("run", "Start, list, compare and inspect runs.")
FORMATS = ("text", "json", "csv", "parquet")


@template_app.command("list")
def template_list(as_json: bool = JsonOpt) -> None:
    """List experiment templates with their metrics."""
    items = [_template_dict(t) for t in runs.list_templates()]
    emit(
        as_json,
        items,
        "\n".join(
            f"{t['name']}\t{t['summary']}\n\tmetrics: {', '.join(m['name'] for m in t['metrics'])}"
            for t in items
        ),
    )


def _template_dict(t) -> dict[str, Any]:
    return {
        "name": t.name,
        "summary": t.summary,
        "parameters": {
            k: {"default": f.default, "description": f.description}
            for k, f in t.config.model_fields.items()
        },
        "metrics": [m.__dict__ for m in t.metrics],
    }


SetOpt = typer.Option([], "--set", help="KEY=VALUE template parameter (repeat).")
SeedOpt = typer.Option(0, "--seed", help="Random seed.")
DeviceOpt = typer.Option("auto", "--device", help="auto, cpu or cuda.")
ExecutorOpt = typer.Option(
    None,
    "--executor",
    help="local or slurm (default: $CRUXLAB_EXECUTOR, else settings.toml, else local).",
)
SlurmOpt = typer.Option(
    [], "--slurm", help="KEY=VALUE SLURM option for these runs, e.g. time_limit_min=30 (repeat)."
)


@run_app.command("start")
def run_start(
    project_id: int,
    template: str,
    set_: list[str] = SetOpt,
    seed: int = SeedOpt,
    device: str = DeviceOpt,
    executor: str = ExecutorOpt,
    slurm: list[str] = SlurmOpt,
    wait: bool = typer.Option(False, "--wait", help="Wait until the run finishes."),
    as_json: bool = JsonOpt,
) -> None:
    """Start a template run for a project (a worker process here, or a SLURM job)."""
    how = {"seed": seed, "device": device, "executor": executor, "options": slurm}
    run = call(runs.start_run, project_id, template, runs.parse_assignments(set_), **how)
    _started([run], wait, as_json, one=True)


@run_app.command("sweep")
def run_sweep(
    project_id: int,
    template: str,
    grid: list[str] = typer.Option(
        [], "--grid", help="KEY=V1,V2 values to sweep (repeat; the runs are their product)."
    ),
    set_: list[str] = SetOpt,
    seed: int = SeedOpt,
    device: str = DeviceOpt,
    executor: str = ExecutorOpt,
    slurm: list[str] = SlurmOpt,
    wait: bool = typer.Option(False, "--wait", help="Wait until every run finishes."),
    as_json: bool = JsonOpt,
) -> None:
    """Start one run per grid point (on SLURM: one job array)."""
    how = {"seed": seed, "device": device, "executor": executor, "options": slurm}
    values = runs.parse_assignments(set_)
    started = call(runs.start_sweep, project_id, template, grid, values, **how)
    _started(started, wait, as_json)


def _started(started: list, wait: bool, as_json: bool, one: bool = False) -> None:
    """Print started runs (after they finish, with ``wait``; exit 1 if one did not succeed)."""
    ids = [r.id for r in started]
    while wait and not all(r.recorded for r in started):
        # In slices, so an owner never holds one request for long.
        started = call(runs.wait_for_all, ids, timeout=WAIT_SLICE_S)
    emit(as_json, started[0] if one else started, "\n".join(_run_text(r) for r in started))
    if wait and any(r.status != "succeeded" for r in started):
        raise typer.Exit(1)


def _run_text(r) -> str:
    lines = [
        f"Run {r.id}: {r.template} for project {r.project_id} — {r.status}"
        + (f" on {r.device}" if r.device else "")
        + (f" (SLURM job {r.job_id})" if r.executor == "slurm" else "")
    ]
    if r.error:
        lines.append(f"  error: {r.error}")
    if not r.finished and r.message:
        lines.append(f"  {r.progress:.0%} {r.message}")
    lines += [f"  {k} = {v:.4g}" for k, v in sorted(r.metrics.items()) if v is not None]
    lines += [f"  artifact {a}" for a in r.artifacts]
    return "\n".join(lines)


@run_app.command("show")
def run_show(run_id: int, as_json: bool = JsonOpt) -> None:
    """Show a run's status, metrics and artifacts (with its metric history in JSON)."""
    run = call(runs.get_run, run_id)
    payload = {**run.model_dump(mode="json"), "history": call(runs.metric_history, run_id)}
    emit(as_json, payload, _run_text(run))


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "—"
    return str(value)


def _write_table(table, fmt: str) -> None:
    """Print an Arrow table as CSV, or write it to stdout as Parquet."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    if fmt == "csv":
        flat = table.select([c for c in table.column_names if c != "tags"])
        if "tags" in table.column_names:
            tags = [",".join(t or []) for t in table.column("tags").to_pylist()]
            flat = flat.append_column("tags", [tags])
        buffer = io.BytesIO()
        pa_csv.write_csv(flat, buffer)
        sys.stdout.buffer.write(buffer.getvalue())
    else:
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        sys.stdout.buffer.write(buffer.getvalue())
    sys.stdout.flush()


def _page_text(page: RunPage) -> str:
    rows = page.table.to_pylist()
    q = page.query
    shown = f"{q.offset + 1}–{q.offset + len(rows)}" if rows else "none"
    states = ", ".join(f"{n:,} {s}" for s, n in page.by_status.items())
    lines = [f"Runs {shown} of {page.total:,} ({states or 'no runs'})"]
    metrics = list(page.metric_columns.items())
    head = ["id", "status", "project", "template", "progress", "created"] + [m for m, _ in metrics]
    lines.append("\t".join(head))
    for r in rows:
        cells = [r["id"], r["status"], r["project_id"], r["template"]]
        cells += [f"{(r['progress'] or 0):.0%}", r["created_at"]]
        cells += [r[column] for _, column in metrics]
        lines.append("\t".join(_cell(c) for c in cells))
    return "\n".join(lines)


@run_app.command("list")
def run_list(
    project: int = typer.Option(None, "--project", help="Only this project's runs."),
    template: str = typer.Option(None, "--template", help="Only runs of this template."),
    status: str = typer.Option(None, "--status", help="queued, running, succeeded, failed, …"),
    tag: str = typer.Option(None, "--tag", help="Only runs carrying this tag."),
    person: str = typer.Option(None, "--person", help="Only runs of this person's projects."),
    since: datetime = DateOpt,
    until: datetime = DateOpt,
    metric: list[str] = typer.Option(
        [], "--metric", help="A filter on a final metric, e.g. 'faithfulness > 0.9' (repeat)."
    ),
    param: list[str] = typer.Option(
        [], "--param", help="A filter on the config, e.g. 'n_sequences = 64' (repeat)."
    ),
    sort: str = typer.Option("id", "--sort", help="A column (id, created_at, …) or a metric."),
    ascending: bool = typer.Option(False, "--asc", help="Smallest (oldest) first."),
    limit: int = typer.Option(50, "--limit", help="Runs to print; 0 for all."),
    offset: int = typer.Option(0, "--offset", help="Runs to skip first."),
    fmt: str = typer.Option("text", "--format", help="text, json, csv or parquet (binary)."),
    as_json: bool = JsonOpt,
) -> None:
    """List runs: filtered, sorted and paginated in the database (newest first)."""
    fmt = "json" if as_json else fmt
    if fmt not in FORMATS:
        raise InvalidInput(f"The format must be one of {', '.join(FORMATS)}, not {fmt!r}.")
    query = parse(
        RunQuery,
        "run list",
        project_id=project,
        template=template,
        status=status,
        tag=tag,
        person=person,
        since=since.date() if since else None,
        until=until.date() if until else None,
        metrics=metric,
        params=param,
        sort=sort,
        descending=not ascending,
        limit=limit or None,
        offset=offset,
    )
    page = call(runs.run_page, query)
    if fmt in ("csv", "parquet"):
        _write_table(page.table, fmt)
    else:
        emit(fmt == "json", page.rows(), _page_text(page))


def _compare_text(c: Comparison) -> str:
    same = ", ".join(f"{k}={v}" for k, v in c.same.items())
    lines = [f"{len(c.ids)} runs. Same in all: {same or '—'}"]
    lines.append("\t".join(c.table.column_names))
    for row in c.table.to_pylist():
        lines.append("\t".join(_cell(v) for v in row.values()))
    return "\n".join(lines)


@run_app.command("compare")
def run_compare(
    run_ids: list[int] = typer.Argument(..., help="Runs to compare (at most 1,000)."),
    fmt: str = typer.Option("text", "--format", help="text, json, csv or parquet (binary)."),
    as_json: bool = JsonOpt,
) -> None:
    """Runs side by side: the config keys that differ, and every final metric."""
    fmt = "json" if as_json else fmt
    if fmt not in FORMATS:
        raise InvalidInput(f"The format must be one of {', '.join(FORMATS)}, not {fmt!r}.")
    c = call(runs.compare, run_ids)
    if fmt in ("csv", "parquet"):
        _write_table(c.table, fmt)
        return
    payload = {
        "ids": c.ids,
        "same": c.same,
        "differing": c.differing,
        "metrics": list(c.metric_columns),
        "runs": c.table.to_pylist(),
    }
    emit(fmt == "json", payload, _compare_text(c))


@run_app.command("refresh")
def run_refresh(as_json: bool = JsonOpt) -> None:
    """Record runs that finished while the database was busy, and fail lost ones."""
    changed = call(runs.refresh)
    text = "\n".join(f"run {i}: {s}" for i, s in changed.items()) or "Every run is up to date."
    emit(as_json, [{"id": i, "status": s} for i, s in changed.items()], text)


@run_app.command("cancel")
def run_cancel(run_id: int, as_json: bool = JsonOpt) -> None:
    """Stop a queued or running run."""
    run = call(runs.cancel_run, run_id)
    emit(as_json, run, _run_text(run))


@run_app.command("log")
def run_log(run_id: int) -> None:
    """Print the end of a run's log."""
    typer.echo(call(runs.run_log, run_id))
