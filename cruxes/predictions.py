"""Pre-registered predictions, and the conservation-of-expected-evidence check.

Before any run, each person writes down, per project and crux: which metric
decides the result and the comparator and threshold that make it *positive*;
their probability P that it comes out positive; and their credence in the crux
if it is positive (c₊) and if it is negative (c₋).

Conservation of expected evidence says the credence you expect to hold after
the result equals the one you hold now: P·c₊ + (1−P)·c₋ = c. When the implied
prior differs from the person's current credence by more than ``EVIDENCE_TOLERANCE``,
the check is flagged: the numbers are inconsistent and worth a second look.

Predictions are append-only (a correction is a new row; the latest row per
crux and person is current) and frozen once the project's first run starts.

A project can be *blind*: until its predictions freeze, each person sees
others' predictions on a crux only once they have entered their own there, so
predictions are made independently. An anonymous viewer sees none of them.
"""

from __future__ import annotations

from cruxes import team
from cruxes.beliefs import require_crux
from cruxes.models import (
    EVIDENCE_TOLERANCE,
    EvidenceCheck,
    Prediction,
    PredictionIn,
    Project,
    parse,
)
from cruxes.people import resolve
from cruxes.projects import require_project
from db import beliefs as beliefs_table
from db import projects as projects_table
from db.errors import Conflict, InvalidInput
from db.store import Cursor, Store
from experiments.registry import metric_names


def evidence_check(prediction: Prediction, current: float | None) -> EvidenceCheck:
    """Compare a prediction's implied prior with the person's current credence."""
    implied = prediction.implied_prior
    gap = None if current is None else abs(implied - current)
    return EvidenceCheck(
        prediction_id=prediction.id,
        person_name=prediction.person_name,
        crux_id=prediction.crux_id,
        implied_prior=implied,
        current=current,
        gap=gap,
        flagged=gap is not None and gap > EVIDENCE_TOLERANCE,
    )


def add_prediction(
    store: Store,
    project_id: int,
    crux_id: int,
    person: str | int,
    *,
    actor: str | int | None = None,
    **fields: object,
) -> tuple[Prediction, EvidenceCheck]:
    """Pre-register a person's prediction, entered by ``actor``; refused once the project's
    runs have started, or when the actor's role does not allow it."""
    form = parse(PredictionIn, "prediction", **fields)
    known = metric_names()
    if form.metric not in known:
        raise InvalidInput(
            f"No template emits a metric named {form.metric!r}; known metrics: "
            f"{', '.join(sorted(known))}."
        )
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        project = require_project(cur, project_id)
        if project.predictions_frozen_at is not None:
            raise Conflict(
                f"Predictions for project {project_id} were frozen when its first run started "
                f"({project.predictions_frozen_at:%Y-%m-%d %H:%M} UTC); they can no longer change."
            )
        require_crux(cur, crux_id)
        if crux_id not in project.crux_ids:
            raise InvalidInput(
                f"Crux {crux_id} is not linked to project {project_id}; "
                "link it to the project first."
            )
        who = resolve(cur, person)
        me.require(team.Action.PREDICT, about=who)
        row = projects_table.insert_prediction(
            cur,
            project_id,
            {**form.model_dump(), "crux_id": crux_id, "person_id": who.id, "entered_by": me.id},
        )
        me.record(cur, team.Action.PREDICT, "prediction", row["id"])
        current = beliefs_table.current_credence(cur, crux_id, who.id)
    prediction = Prediction(**row, person_name=who.name, entered_by_name=me.name)
    return prediction, evidence_check(prediction, current)


def is_hiding(project: Project) -> bool:
    """Whether others' predictions are hidden on this project now (blind and not frozen)."""
    return project.blind_predictions and project.predictions_frozen_at is None


def visible(
    project: Project, predictions: list[Prediction], viewer_id: int | None
) -> list[Prediction]:
    """The predictions of a project a viewer may see (all, unless the project is hiding them)."""
    if not is_hiding(project):
        return list(predictions)
    entered = {p.crux_id for p in predictions if p.person_id == viewer_id}
    return [p for p in predictions if p.crux_id in entered]


def hidden_from(cur: Cursor, viewer_id: int | None) -> list[int]:
    """The ids of every prediction row, in any project, that ``viewer_id`` may not see now."""
    hidden = []
    for row in projects_table.list_projects(cur):
        project = Project(**row)
        if is_hiding(project):
            rows = [Prediction(**r) for r in projects_table.list_predictions(cur, project.id)]
            shown = {p.id for p in visible(project, rows, viewer_id)}
            hidden += [p.id for p in rows if p.id not in shown]
    return hidden


def viewer_id(cur: Cursor, viewer: str | int | None) -> int | None:
    """The id of the person looking (None: nobody in particular)."""
    return None if viewer is None else resolve(cur, viewer).id


def list_predictions(
    store: Store,
    project_id: int,
    *,
    current_only: bool = True,
    viewer: str | int | None = None,
    everyone: bool = False,
) -> list[Prediction]:
    """A project's predictions that ``viewer`` may see: the current one per crux and person,
    or every row. ``everyone`` lifts the blind rule (for checking outcomes, not for display).
    """
    with store.cursor() as cur:
        project = require_project(cur, project_id)
        looking = viewer_id(cur, viewer)
        rows = projects_table.list_predictions(cur, project_id)
    predictions = [Prediction(**r) for r in rows]
    if not everyone:
        predictions = visible(project, predictions, looking)
    return [p for p in predictions if p.is_current] if current_only else predictions


def hidden_count(store: Store, project_id: int, viewer: str | int | None) -> int:
    """How many current predictions of a project are hidden from ``viewer``."""
    shown = list_predictions(store, project_id, viewer=viewer)
    return len(list_predictions(store, project_id, everyone=True)) - len(shown)


def evidence_checks(
    store: Store, project_id: int, *, viewer: str | int | None = None, everyone: bool = False
) -> list[EvidenceCheck]:
    """The expected-evidence check for each current prediction of a project ``viewer`` may see.

    Once predictions are frozen, each is checked against the credence held when
    they froze, so later updates from outcomes do not flag them.
    """
    predictions = list_predictions(store, project_id, viewer=viewer, everyone=everyone)
    with store.cursor() as cur:
        frozen_at = require_project(cur, project_id).predictions_frozen_at
        currents = [
            beliefs_table.current_credence(cur, p.crux_id, p.person_id, frozen_at)
            for p in predictions
        ]
    return [evidence_check(p, c) for p, c in zip(predictions, currents, strict=True)]
