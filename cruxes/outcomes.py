"""Outcomes: check a finished run against the frozen predictions, then move credences.

Recording an outcome evaluates each current prediction of the project whose
metric the run reported: positive if ``value op threshold`` holds. For each,
the proposed update is the person's own pre-registered credence: c₊ if
positive, c₋ if negative. Applying an outcome appends those credences with
``source = outcome``, so every crux's history says which run moved it.
"""

from __future__ import annotations

from collections import defaultdict

from cruxes.models import Credence, Evaluation, Outcome, RunRow
from cruxes.people import resolve
from cruxes.predictions import list_predictions
from cruxes.projects import require_project, write_project
from db import beliefs as beliefs_table
from db import outcomes as outcomes_table
from db import runs as runs_table
from db.errors import Conflict, InvalidInput, NotFound
from db.store import Cursor, Store


def _require_outcome(cur: Cursor, outcome_id: int) -> Outcome:
    row = outcomes_table.get_outcome(cur, outcome_id)
    if row is None:
        raise NotFound(f"No outcome {outcome_id}.")
    evaluations = [Evaluation(**e) for e in outcomes_table.list_evaluations(cur, outcome_id)]
    return Outcome(**row, evaluations=evaluations)


def record_outcome(
    store: Store, project_id: int, run_id: int, *, note: str | None = None
) -> Outcome:
    """Evaluate the project's predictions on a finished run and record the outcome."""
    predictions = list_predictions(store, project_id, everyone=True)
    with store.transaction() as cur:
        project = require_project(cur, project_id)
        run = runs_table.get_run(cur, run_id)
        if run is None or run["project_id"] != project_id:
            raise NotFound(f"Project {project_id} has no run {run_id}.")
        if run["status"] != "succeeded":
            hint = (
                " (if it has finished, `cruxlab run refresh` records it)"
                if run["status"] in ("queued", "running")
                else ""
            )
            raise Conflict(
                f"Run {run_id} is {run['status']}; only a succeeded run can give an outcome{hint}."
            )
        earlier = outcomes_table.outcome_for_run(cur, run_id)
        if earlier is not None:
            raise Conflict(f"Run {run_id} already has outcome {earlier['id']}.")
        if not predictions:
            raise Conflict(f"Project {project_id} has no predictions to check the run against.")
        metrics = runs_table.final_metrics(cur, run_id)
        matched = [p for p in predictions if metrics.get(p.metric) is not None]
        if not matched:
            named = ", ".join(sorted({p.metric for p in predictions}))
            raise InvalidInput(
                f"Run {run_id} ({run['template']}) reported none of the metrics "
                f"the predictions name ({named})."
            )
        outcome = outcomes_table.insert_outcome(cur, project_id, run_id, note)
        for p in matched:
            value = metrics[p.metric]
            positive = p.is_positive(value)
            outcomes_table.insert_evaluation(
                cur,
                outcome["id"],
                {
                    "prediction_id": p.id,
                    "person_id": p.person_id,
                    "crux_id": p.crux_id,
                    "metric": p.metric,
                    "value": value,
                    "positive": positive,
                    "credence_before": beliefs_table.current_credence(cur, p.crux_id, p.person_id),
                    "proposed": p.if_positive if positive else p.if_negative,
                },
            )
        if project.status == "running":
            write_project(cur, project, status="in_review")
        return _require_outcome(cur, outcome["id"])


def get_outcome(store: Store, outcome_id: int) -> Outcome:
    """An outcome with each evaluated prediction and whether its update was applied."""
    with store.cursor() as cur:
        return _require_outcome(cur, outcome_id)


def list_outcomes(store: Store, project_id: int | None = None) -> list[Outcome]:
    """Outcomes, oldest first, with their evaluations."""
    with store.cursor() as cur:
        rows = outcomes_table.list_outcomes(cur, project_id)
        evaluations: dict[int, list[Evaluation]] = defaultdict(list)
        for e in outcomes_table.list_evaluations(cur, project_id=project_id):
            evaluations[e["outcome_id"]].append(Evaluation(**e))
    return [Outcome(**r, evaluations=evaluations[r["id"]]) for r in rows]


def runs_awaiting_outcome(store: Store, project_id: int) -> list[tuple[RunRow, dict[str, float]]]:
    """A project's succeeded runs that have no outcome yet, newest first, with final metrics."""
    with store.cursor() as cur:
        rows = runs_table.run_rows(cur, project_id=project_id, awaiting_outcome=True)
        finals = runs_table.finals_of(cur, [r["id"] for r in rows]).to_pylist()
    metrics: dict[int, dict[str, float]] = defaultdict(dict)
    for f in finals:
        metrics[f["run_id"]][f["name"]] = f["value"]
    return [(RunRow(**r), metrics[r["id"]]) for r in rows]


def apply_update(
    store: Store, outcome_id: int, *, person: str | int | None = None
) -> list[Credence]:
    """Append each proposed credence (or one person's) with the outcome as its cause."""
    with store.transaction() as cur:
        outcome = _require_outcome(cur, outcome_id)
        who = resolve(cur, person) if person is not None else None
        todo = [
            e
            for e in outcome.evaluations
            if not e.applied and (who is None or e.person_id == who.id)
        ]
        if not todo:
            whose = f" for {who.name}" if who else ""
            raise Conflict(f"Outcome {outcome_id} has no unapplied updates{whose}.")
        created = []
        for e in todo:
            verdict = "positive" if e.positive else "negative"
            reason = (
                f"Run {outcome.run_id}: {e.metric} = {e.value:.4g} is {verdict} "
                f"({e.metric} {e.op} {e.threshold:g})"
            )
            row = beliefs_table.insert_credence(
                cur,
                e.crux_id,
                e.person_id,
                e.proposed,
                reason=reason,
                source="outcome",
                outcome_id=outcome_id,
            )
            created.append(Credence(**row, person_name=e.person_name, run_id=outcome.run_id))
        return created
