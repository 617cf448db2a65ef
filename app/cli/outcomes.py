"""``cruxlab outcome`` and ``update``: check runs against predictions, then move credences."""

from __future__ import annotations

import typer

from app.cli.common import JsonOpt, sub
from app.cli.render import emit, pct
from cruxes import outcomes
from cruxes.api import call

outcome_app = sub("outcome", "Check runs against predictions.")
update_app = sub("update", "Apply the credence updates an outcome proposes.")


@outcome_app.command("record")
def outcome_record(
    project_id: int,
    run: int = typer.Option(..., "--run", help="The finished run to check."),
    note: str = typer.Option(None, "--note", help="What you make of it."),
    as_json: bool = JsonOpt,
) -> None:
    """Check a finished run against the project's predictions and record the outcome."""
    o = call(outcomes.record_outcome, project_id, run, note=note)
    emit(as_json, o, _outcome_text(o))


def _outcome_text(o) -> str:
    lines = [f"Outcome {o.id}: project {o.project_id}, run {o.run_id}"]
    for e in o.evaluations:
        verdict = "positive" if e.positive else "negative"
        state = "applied" if e.applied else "proposed"
        lines.append(
            f"  {e.person_name}, crux {e.crux_id}: {e.metric} = {e.value:.4g} → "
            f"{verdict}; {pct(e.credence_before)} → {e.proposed:.2f} ({state})"
        )
    return "\n".join(lines)


@outcome_app.command("show")
def outcome_show(outcome_id: int, as_json: bool = JsonOpt) -> None:
    """Show an outcome and its proposed updates."""
    o = call(outcomes.get_outcome, outcome_id)
    emit(as_json, o, _outcome_text(o))


@outcome_app.command("list")
def outcome_list(
    project: int = typer.Option(None, "--project", help="Only this project's outcomes."),
    as_json: bool = JsonOpt,
) -> None:
    """List outcomes."""
    rows = call(outcomes.list_outcomes, project)
    emit(as_json, rows, "\n".join(_outcome_text(o) for o in rows) or "(none)")


@update_app.command("apply")
def update_apply(
    outcome_id: int,
    person: str = typer.Option(None, "--person", help="Apply only this person's update."),
    as_json: bool = JsonOpt,
) -> None:
    """Append the credences an outcome proposes, with the outcome as their cause."""
    rows = call(outcomes.apply_update, outcome_id, person=person)
    emit(
        as_json,
        rows,
        "\n".join(f"{c.person_name}: crux {c.crux_id} → {c.value:.2f} ({c.reason})" for c in rows),
    )
