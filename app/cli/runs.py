"""``cruxlab template`` and ``run``: experiment templates and their runs."""

from __future__ import annotations

from typing import Any

import typer

from app.cli.common import JsonOpt, sub
from app.cli.render import emit
from cruxes import runs
from cruxes.api import call

WAIT_SLICE_S = 10.0
template_app = sub("template", "Experiment templates.")
run_app = sub("run", "Start and inspect runs.")


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


@run_app.command("start")
def run_start(
    project_id: int,
    template: str,
    set_: list[str] = typer.Option([], "--set", help="KEY=VALUE template parameter (repeat)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    wait: bool = typer.Option(False, "--wait", help="Wait until the run finishes."),
    as_json: bool = JsonOpt,
) -> None:
    """Start a template run for a project (in a separate worker process)."""
    values = runs.parse_assignments(set_)
    run = call(runs.start_run, project_id, template, values, seed=seed, device=device)
    while wait and not run.recorded:  # in slices, so an owner never holds a request for long
        run = call(runs.wait_for, run.id, timeout=WAIT_SLICE_S)
    emit(as_json, run, _run_text(run))
    if wait and run.status == "failed":
        raise typer.Exit(1)


def _run_text(r) -> str:
    lines = [
        f"Run {r.id}: {r.template} for project {r.project_id} — {r.status}"
        + (f" on {r.device}" if r.device else "")
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
    """Show a run's status, metrics and artifacts."""
    run = call(runs.get_run, run_id)
    payload = {**run.model_dump(mode="json"), "history": call(runs.metric_history, run_id)}
    emit(as_json, payload, _run_text(run))


@run_app.command("list")
def run_list(
    project: int = typer.Option(None, "--project", help="Only this project's runs."),
    as_json: bool = JsonOpt,
) -> None:
    """List runs."""
    rows = call(runs.list_runs, project)
    emit(
        as_json,
        rows,
        "\n".join(f"{r.id}\t{r.status}\tproject {r.project_id}\t{r.template}" for r in rows)
        or "(none)",
    )


@run_app.command("log")
def run_log(run_id: int) -> None:
    """Print the end of a run's log."""
    typer.echo(call(runs.run_log, run_id))
