"""``cruxlab prediction``: pre-registered predictions for a project."""

from __future__ import annotations

import typer

from app.cli.common import AsOpt, JsonOpt, sub
from app.cli.render import check_line, emit
from cruxes import predictions
from cruxes.api import call

prediction_app = sub("prediction", "Pre-registered predictions for a project.")


@prediction_app.command("add")
def prediction_add(
    project_id: int,
    crux_id: int,
    person: str,
    metric: str = typer.Option(..., "--metric", help="Template metric that decides the result."),
    op: str = typer.Option(..., "--op", help="One of > >= < <=."),
    threshold: str = typer.Option(..., "--threshold", help="Value the metric is compared to."),
    p_positive: str = typer.Option(..., "--p-positive", help="P(result is positive)."),
    if_positive: str = typer.Option(..., "--if-positive", help="Credence if positive."),
    if_negative: str = typer.Option(..., "--if-negative", help="Credence if negative."),
    note: str = typer.Option(None, "--note", help="Why you expect this."),
    as_json: bool = JsonOpt,
) -> None:
    """Pre-register PERSON's prediction for a project and crux."""
    pred, check = call(
        predictions.add_prediction,
        project_id,
        crux_id,
        person,
        metric=metric,
        op=op,
        threshold=threshold,
        p_positive=p_positive,
        if_positive=if_positive,
        if_negative=if_negative,
        note=note,
    )
    payload = {**pred.model_dump(mode="json"), "evidence_check": check.model_dump()}
    emit(as_json, payload, f"Prediction {pred.id} recorded.\n{check_line(check)}")


@prediction_app.command("list")
def prediction_list(project_id: int, viewer: str = AsOpt, as_json: bool = JsonOpt) -> None:
    """List a project's current predictions (those you may see)."""
    rows = call(predictions.list_predictions, project_id, viewer=viewer)
    emit(
        as_json,
        rows,
        "\n".join(
            f"{p.id}\t{p.person_name}\tcrux {p.crux_id}\tP({p.rule}) = {p.p_positive:.2f}"
            for p in rows
        )
        or "(none)",
    )
