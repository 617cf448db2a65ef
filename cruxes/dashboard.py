"""Where we stand and what to run next: the agenda, disagreement, and the project ranking.

* ``agenda`` — cruxes grouped under their top-level question with each person's
  current credence and the spread between people; the largest credence changes
  in a period with their causes; the outcomes recorded in that period.
* ``disagreement`` — the cruxes people differ on most, each with the open
  projects whose pre-registered predictions say a result would bring them closer.
* ``next_projects`` — projects ranked by the expected absolute change in credence
  their predictions imply, with the expected reduction in disagreement and effort.

The formulas are defined in ``cruxes.scoring``. Every view reads a handful of
whole-table queries, never one query per row. Periods are whole days in UTC
(how timestamps are stored), ``until`` included.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from cruxes.models import (
    DEFAULT_QUESTION,
    Agenda,
    Credence,
    CruxDisagreement,
    CruxForecast,
    CruxPosition,
    Move,
    OutcomeEvent,
    PersonForecast,
    Prediction,
    Project,
    ProjectValue,
    Question,
    QuestionGroup,
)
from cruxes.predictions import viewer_id, visible
from cruxes.scoring import expected_update, spread
from db import annotations as annotations_table
from db import beliefs as beliefs_table
from db import outcomes as outcomes_table
from db import projects as projects_table
from db.errors import InvalidInput
from db.store import Cursor, Store

# Projects whose result is still to come, and those not yet started.
OPEN = ("proposed", "assigned", "running")
UNSTARTED = ("proposed", "assigned")
DEFAULT_MOVES = 10


def period_bounds(since: date | None, until: date | None) -> tuple[datetime | None, ...]:
    """[start, end) timestamps covering the days ``since`` to ``until`` (either may be open)."""
    if since and until and since > until:
        raise InvalidInput(f"The period starts ({since}) after it ends ({until}).")
    start = datetime.combine(since, time()) if since else None
    end = datetime.combine(until + timedelta(days=1), time()) if until else None
    return start, end


def _held(rows: Iterable[dict]) -> dict[int, dict[int, tuple[str, float]]]:
    """crux id → person id → (name, current credence)."""
    held: dict[int, dict[int, tuple[str, float]]] = {}
    for r in rows:
        held.setdefault(r["crux_id"], {})[r["person_id"]] = (r["person_name"], r["value"])
    return held


def _positions(held: dict[int, tuple[str, float]]) -> dict[str, float]:
    return dict(sorted((name, value) for name, value in held.values()))


def agenda(
    store: Store,
    *,
    since: date | None = None,
    until: date | None = None,
    limit: int = DEFAULT_MOVES,
) -> Agenda:
    """The whole agenda now, and what moved in the period from ``since`` to ``until``."""
    start, end = period_bounds(since, until)
    if limit < 1:
        raise InvalidInput(f"The number of moves to show must be at least 1, not {limit}.")
    with store.cursor() as cur:
        cruxes = beliefs_table.list_cruxes(cur)
        questions = beliefs_table.list_questions(cur)
        held = _held(beliefs_table.all_current_credences(cur))
        tags = annotations_table.tag_lists(cur, "crux")
        moves = beliefs_table.largest_moves(cur, start, end, limit)
        events = outcomes_table.timeline(cur, start, end)
    groups = {None: QuestionGroup(question=Question(text=DEFAULT_QUESTION), cruxes=[])}
    for q in questions:
        groups[q["id"]] = QuestionGroup(question=Question(**q), cruxes=[])
    for c in cruxes:
        positions = _positions(held.get(c["id"], {}))
        groups[c["question_id"]].cruxes.append(
            CruxPosition(
                crux_id=c["id"],
                statement=c["statement"],
                tags=tags.get(c["id"], []),
                positions=positions,
                spread=spread(positions.values()),
            )
        )
    return Agenda(
        since=since,
        until=until,
        people=sorted({name for per in held.values() for name, _ in per.values()}),
        questions=list(groups.values()),
        moves=[_move(m) for m in moves],
        outcomes=[OutcomeEvent(**e) for e in events],
    )


def _move(row: dict) -> Move:
    credence = Credence(**{k: v for k, v in row.items() if k in Credence.model_fields})
    return Move(
        credence=credence,
        statement=row["statement"],
        before=row["before"],
        delta=row["value"] - row["before"],
    )


def crux_forecast(
    project: Project,
    crux_id: int,
    statement: str,
    predictions: list[Prediction],
    held: dict[int, float],
) -> CruxForecast:
    """What a project's predictions on one crux imply: each person's E|Δ|, and the spread
    between the people holding credences (``held``: person id → credence) now, if the
    result is positive, if negative, and expected (see ``cruxes.scoring``)."""
    people = []
    for p in predictions:
        credence = held.get(p.person_id)
        base = p.implied_prior if credence is None else credence
        people.append(
            PersonForecast(
                person_name=p.person_name,
                credence=credence,
                p_positive=p.p_positive,
                if_positive=p.if_positive,
                if_negative=p.if_negative,
                expected_update=expected_update(p.p_positive, p.if_positive, p.if_negative, base),
            )
        )
    predicted = [p for p in predictions if p.person_id in held]
    spread_now = spread(held.values())
    spread_pos = spread({**held, **{p.person_id: p.if_positive for p in predicted}}.values())
    spread_neg = spread({**held, **{p.person_id: p.if_negative for p in predicted}}.values())
    mean_p = sum(p.p_positive for p in predictions) / len(predictions) if predictions else None
    reduction = None
    if spread_now is not None and mean_p is not None:
        reduction = spread_now - (mean_p * spread_pos + (1 - mean_p) * spread_neg)
    return CruxForecast(
        project_id=project.id,
        project_title=project.title,
        project_status=project.status,
        crux_id=crux_id,
        statement=statement,
        people=people,
        expected_update=sum(f.expected_update for f in people),
        spread_now=spread_now,
        spread_if_positive=spread_pos,
        spread_if_negative=spread_neg,
        mean_p_positive=mean_p,
        expected_reduction=reduction,
    )


def _forecasts(
    cur: Cursor,
    statuses: tuple[str, ...],
    viewer: str | int | None,
    statements: dict[int, str],
    held: dict[int, dict[int, tuple[str, float]]],
) -> tuple[list[Project], dict[int, list[CruxForecast]], dict[int, int]]:
    """Projects in ``statuses``; project id → its crux forecasts; project id → hidden count."""
    looking = viewer_id(cur, viewer)
    projects = [Project(**r) for r in projects_table.list_projects(cur) if r["status"] in statuses]
    predictions: dict[int, list[Prediction]] = {}
    for r in projects_table.open_predictions(cur, list(statuses)):
        predictions.setdefault(r["project_id"], []).append(Prediction(**r))
    forecasts, hidden = {}, {}
    for project in projects:
        every = predictions.get(project.id, [])
        shown = visible(project, every, looking)
        hidden[project.id] = len(every) - len(shown)
        forecasts[project.id] = [
            crux_forecast(
                project,
                crux_id,
                statements[crux_id],
                [p for p in shown if p.crux_id == crux_id],
                {pid: value for pid, (_, value) in held.get(crux_id, {}).items()},
            )
            for crux_id in project.crux_ids
        ]
    return projects, forecasts, hidden


def _beliefs(cur: Cursor) -> tuple[dict[int, str], dict[int, dict[int, tuple[str, float]]]]:
    """crux id → statement; crux id → person id → (name, current credence)."""
    statements = {c["id"]: c["statement"] for c in beliefs_table.list_cruxes(cur)}
    return statements, _held(beliefs_table.all_current_credences(cur))


def next_projects(
    store: Store, *, viewer: str | int | None = None, statuses: Iterable[str] = UNSTARTED
) -> list[ProjectValue]:
    """Projects (by default those not yet started) ranked by expected update, then by
    effort (smaller first). Predictions hidden from ``viewer`` do not count."""
    with store.cursor() as cur:
        projects, forecasts, hidden = _forecasts(cur, tuple(statuses), viewer, *_beliefs(cur))
    ranked = []
    for p in projects:
        per_person: dict[str, float] = {}
        for f in forecasts[p.id]:
            for person in f.people:
                name = person.person_name
                per_person[name] = per_person.get(name, 0.0) + person.expected_update
        ranked.append(
            ProjectValue(
                project_id=p.id,
                title=p.title,
                status=p.status,
                mentor_name=p.mentor_name,
                assignee_name=p.assignee_name,
                effort_days=p.effort_days,
                due_date=p.due_date,
                blind_predictions=p.blind_predictions,
                expected_update=sum(f.expected_update for f in forecasts[p.id]),
                expected_reduction=sum(f.expected_reduction or 0.0 for f in forecasts[p.id]),
                per_person=dict(sorted(per_person.items())),
                cruxes=forecasts[p.id],
                hidden=hidden[p.id],
            )
        )
    effort = float("inf")
    return sorted(ranked, key=lambda v: (-v.expected_update, v.effort_days or effort, v.project_id))


def disagreement(
    store: Store, *, viewer: str | int | None = None, limit: int | None = None
) -> list[CruxDisagreement]:
    """Cruxes where people's current credences differ, widest spread first, each with the
    open projects whose results would bring people closer (largest expected reduction first).
    """
    with store.cursor() as cur:
        statements, held = _beliefs(cur)
        _, forecasts, _ = _forecasts(cur, OPEN, viewer, statements, held)
    by_crux: dict[int, list[CruxForecast]] = {}
    for project_forecasts in forecasts.values():
        for f in project_forecasts:
            if f.brings_closer:
                by_crux.setdefault(f.crux_id, []).append(f)
    rows = []
    for crux_id, per in held.items():
        positions = _positions(per)
        gap = spread(positions.values())
        if not gap:
            continue
        closer = sorted(
            by_crux.get(crux_id, []), key=lambda f: (-(f.expected_reduction or 0), f.project_id)
        )
        rows.append(
            CruxDisagreement(
                crux_id=crux_id,
                statement=statements[crux_id],
                positions=positions,
                spread=gap,
                projects=closer,
            )
        )
    rows.sort(key=lambda r: (-r.spread, r.crux_id))
    return rows[:limit] if limit else rows
