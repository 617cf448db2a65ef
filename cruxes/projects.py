"""Projects: work that informs cruxes, assigned to a scholar, with a checked life cycle.

Status moves proposed → assigned → running → in_review → done. Assigning a
scholar moves a proposed project to assigned; the first run moves it to
running and freezes its predictions; recording an outcome moves it to
in_review; a person marks it done (or sends it back to running for more runs).
A project's plan — effort estimate in days, due date, blind predictions — can
change at any time. Every write checks the version the caller read, so a stale
edit is refused.
"""

from __future__ import annotations

from typing import Any

from cruxes import team
from cruxes.beliefs import require_crux
from cruxes.models import PROJECT_STATUSES, Project, ProjectIn, ProjectPlan, parse
from cruxes.people import resolve
from db import projects as projects_table
from db.errors import Conflict, InvalidInput, NotFound, StaleWrite
from db.store import Cursor, Store
from db.util import now

UNCHANGED = object()  # plan_project: leave this field as it is
# A run may start in these states (it moves assigned and in_review projects to running).
RUNNABLE = ("assigned", "running", "in_review")
TRANSITIONS: dict[str, set[str]] = {
    "proposed": {"assigned"},
    "assigned": {"assigned", "running"},
    "running": {"in_review"},
    "in_review": {"running", "done"},
    "done": set(),
}


def check_transition(current: str, new: str) -> None:
    """Refuse a status change the life cycle does not allow."""
    if new not in PROJECT_STATUSES:
        raise InvalidInput(f"Unknown status {new!r}; statuses are {', '.join(PROJECT_STATUSES)}.")
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (it is finished)"
        raise Conflict(
            f"A {current} project cannot move to {new}; from {current} it can go to {allowed}."
        )


def require_project(cur: Cursor, project_id: int) -> Project:
    row = projects_table.get_project(cur, project_id)
    if row is None:
        raise NotFound(f"No project {project_id}; see `cruxlab project list`.")
    return Project(**row)


def write_project(
    cur: Cursor, project: Project, expected_version: int | None = None, **changes: Any
) -> Project:
    """Apply changes to a project's mutable state with a version check."""
    version = project.version if expected_version is None else expected_version
    state = {
        "status": project.status,
        "assignee_id": project.assignee_id,
        "predictions_frozen_at": project.predictions_frozen_at,
        **changes,
    }
    row = projects_table.update_project(cur, project.id, version, **state)
    if row is None:
        raise stale(project.id)
    return require_project(cur, project.id)


def stale(project_id: int) -> StaleWrite:
    return StaleWrite(
        f"Project {project_id} was changed by someone else since you loaded it; "
        "reload it and try again."
    )


def add_project(
    store: Store,
    title: str,
    *,
    summary: str = "",
    crux_ids: list[int] = (),
    mentor: str | int | None = None,
    effort_days: object = None,
    due_date: object = None,
    blind_predictions: bool = False,
    actor: str | int | None = None,
) -> Project:
    """Propose a project that informs the given cruxes, optionally with its mentor and plan."""
    form = parse(
        ProjectIn,
        "project",
        title=title,
        summary=summary or "",
        effort_days=effort_days,
        due_date=due_date,
        blind_predictions=blind_predictions,
    )
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.PLAN_PROJECTS)
        for crux_id in crux_ids:
            require_crux(cur, crux_id)
        mentor_id = None
        if mentor is not None:
            who = resolve(cur, mentor)
            if who.role != "mentor":
                raise InvalidInput(f"{who.name} is a {who.role}, not a mentor.")
            mentor_id = who.id
        row = projects_table.insert_project(
            cur,
            form.title,
            form.summary,
            mentor_id,
            effort_days=form.effort_days,
            due_date=form.due_date,
            blind_predictions=form.blind_predictions,
        )
        for crux_id in crux_ids:
            projects_table.link_crux(cur, row["id"], crux_id)
        me.record(cur, team.Action.PLAN_PROJECTS, "project", row["id"])
        return require_project(cur, row["id"])


def link_crux(
    store: Store, project_id: int, crux_id: int, *, actor: str | int | None = None
) -> Project:
    """Record that a project informs another crux."""
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.PLAN_PROJECTS)
        require_project(cur, project_id)
        require_crux(cur, crux_id)
        projects_table.link_crux(cur, project_id, crux_id)
        me.record(cur, team.Action.PLAN_PROJECTS, "project", project_id)
        return require_project(cur, project_id)


def assign(
    store: Store,
    project_id: int,
    person: str | int,
    *,
    expected_version: int | None = None,
    actor: str | int | None = None,
) -> Project:
    """Assign (or reassign) a project to a scholar."""
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.ASSIGN)
        project = require_project(cur, project_id)
        who = resolve(cur, person)
        if who.role != "scholar":
            raise InvalidInput(f"{who.name} is a {who.role}; projects are assigned to scholars.")
        if project.status not in ("proposed", "assigned"):
            raise Conflict(
                f"Project {project_id} is {project.status}; only proposed or assigned "
                "projects can be (re)assigned."
            )
        me.record(cur, team.Action.ASSIGN, "project", project_id)
        return write_project(cur, project, expected_version, status="assigned", assignee_id=who.id)


def set_status(
    store: Store,
    project_id: int,
    status: str,
    *,
    expected_version: int | None = None,
    actor: str | int | None = None,
) -> Project:
    """Move a project along its life cycle; invalid moves are refused."""
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.PLAN_PROJECTS)
        project = require_project(cur, project_id)
        check_transition(project.status, status)
        if status == "assigned" and project.assignee_id is None:
            raise Conflict(f"Assign project {project_id} to a scholar to move it to assigned.")
        me.record(cur, team.Action.PLAN_PROJECTS, "project", project_id)
        return write_project(cur, project, expected_version, status=status)


def freeze_for_run(cur: Cursor, project_id: int) -> Project:
    """Before a run starts: freeze the project's predictions and move it to running."""
    project = require_project(cur, project_id)
    if project.status not in RUNNABLE:
        hint = "assign it to a scholar first" if project.status == "proposed" else "it is done"
        raise Conflict(f"Project {project_id} is {project.status}; {hint} before starting runs.")
    status = "running" if project.status in ("assigned", "in_review") else project.status
    frozen = project.predictions_frozen_at or now()
    return write_project(cur, project, status=status, predictions_frozen_at=frozen)


def plan_project(
    store: Store,
    project_id: int,
    *,
    effort_days: object = UNCHANGED,
    due_date: object = UNCHANGED,
    blind_predictions: object = UNCHANGED,
    expected_version: int | None = None,
    actor: str | int | None = None,
) -> Project:
    """Change a project's effort estimate (days), due date or blind-predictions toggle.

    Arguments left out keep their value; ``None`` clears an estimate or a due date.
    """
    with store.transaction() as cur:
        me = team.acting(store, cur, actor)
        me.require(team.Action.PLAN_PROJECTS)
        project = require_project(cur, project_id)
        current = project.model_dump(include={"effort_days", "due_date", "blind_predictions"})
        given = {
            "effort_days": effort_days,
            "due_date": due_date,
            "blind_predictions": blind_predictions,
        }
        plan = parse(
            ProjectPlan,
            "project plan",
            **{**current, **{k: v for k, v in given.items() if v is not UNCHANGED}},
        )
        version = project.version if expected_version is None else expected_version
        if projects_table.update_plan(cur, project_id, version, **plan.model_dump()) is None:
            raise stale(project_id)
        me.record(cur, team.Action.PLAN_PROJECTS, "project", project_id)
        return require_project(cur, project_id)


def list_projects(store: Store) -> list[Project]:
    """Every project with its linked crux ids."""
    with store.cursor() as cur:
        return [Project(**r) for r in projects_table.list_projects(cur)]


def get_project(store: Store, project_id: int) -> Project:
    """One project with its linked crux ids."""
    with store.cursor() as cur:
        return require_project(cur, project_id)
