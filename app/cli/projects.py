"""``cruxlab project``: propose, assign, plan and show projects."""

from __future__ import annotations

import typer

from app.cli.common import AsOpt, JsonOpt, VersionOpt, sub
from app.cli.render import check_line, emit, note_text, plan_text
from cruxes import board, projects
from cruxes.api import call
from cruxes.models import PROJECT_STATUSES

project_app = sub("project", "Projects that inform cruxes.")


@project_app.command("add")
def project_add(
    title: str,
    crux: list[int] = typer.Option([], "--crux", help="A crux this project informs (repeat)."),
    summary: str = typer.Option("", "--summary", help="Method and rationale."),
    mentor: str = typer.Option(None, "--mentor", help="The supervising mentor."),
    effort: str = typer.Option(None, "--effort", help="Estimated effort in days."),
    due: str = typer.Option(None, "--due", help="Due date, YYYY-MM-DD."),
    blind: bool = typer.Option(
        False, "--blind", help="Hide others' predictions until each person has entered theirs."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Propose a project."""
    p = call(
        projects.add_project,
        title,
        summary=summary,
        crux_ids=crux,
        mentor=mentor,
        effort_days=effort,
        due_date=due,
        blind_predictions=blind,
    )
    emit(as_json, p, f"Added project {p.id} ({p.status}).")


@project_app.command("plan")
def project_plan(
    project_id: int,
    effort: str = typer.Option(None, "--effort", help="Estimated effort in days (none: clear)."),
    due: str = typer.Option(None, "--due", help="Due date, YYYY-MM-DD (none: clear)."),
    blind: bool = typer.Option(
        None, "--blind/--open", help="Hide others' predictions until each has entered theirs."
    ),
    version: int = VersionOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Set a project's effort estimate, due date, or blind predictions."""
    changes = {
        "effort_days": effort,
        "due_date": due,
        "blind_predictions": blind,
    }
    p = call(
        projects.plan_project,
        project_id,
        expected_version=version,
        **{k: None if v == "none" else v for k, v in changes.items() if v is not None},
    )
    emit(as_json, p, plan_text(p))


@project_app.command("assign")
def project_assign(
    project_id: int, person: str, version: int = VersionOpt, as_json: bool = JsonOpt
) -> None:
    """Assign a project to a scholar (refused if it changed since the version you read)."""
    p = call(projects.assign, project_id, person, expected_version=version)
    emit(as_json, p, f"Project {p.id} assigned to {p.assignee_name} (version {p.version}).")


@project_app.command("link")
def project_link(project_id: int, crux_id: int, as_json: bool = JsonOpt) -> None:
    """Link a project to another crux it informs."""
    p = call(projects.link_crux, project_id, crux_id)
    emit(as_json, p, f"Project {p.id} informs cruxes {p.crux_ids}.")


@project_app.command("status")
def project_status(
    project_id: int,
    status: str = typer.Argument(..., help=" | ".join(PROJECT_STATUSES)),
    version: int = VersionOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Move a project along proposed → assigned → running → in_review → done."""
    p = call(projects.set_status, project_id, status, expected_version=version)
    emit(as_json, p, f"Project {p.id} is {p.status} (version {p.version}).")


@project_app.command("list")
def project_list(as_json: bool = JsonOpt) -> None:
    """List projects."""
    emit(as_json, call(projects.list_projects))


@project_app.command("show")
def project_show(project_id: int, viewer: str = AsOpt, as_json: bool = JsonOpt) -> None:
    """Show a project with its plan, predictions, checks, runs, outcomes, tags and notes."""
    d = call(board.project_detail, project_id, viewer=viewer)
    p = d.project
    frozen = (
        f"frozen {p.predictions_frozen_at:%Y-%m-%d %H:%M}" if p.predictions_frozen_at else "open"
    )
    lines = [
        f"Project {p.id}: {p.title} [{p.status}] (version {p.version})",
        f"  mentor {p.mentor_name or '—'}, assignee {p.assignee_name or '—'}, "
        f"cruxes {p.crux_ids}, predictions {frozen}",
        "  " + plan_text(p),
    ]
    if d.tags:
        lines.append(f"  tags: {', '.join(d.tags)}")
    if d.hidden_predictions:
        lines.append(
            f"  {d.hidden_predictions} predictions hidden until you enter yours (--as YOU)"
        )
    for pr in d.predictions:
        mark = "" if pr.is_current else " (superseded)"
        lines.append(
            f"  prediction {pr.id}: {pr.person_name} on crux {pr.crux_id}: "
            f"P({pr.rule}) = {pr.p_positive:.2f}, c+ {pr.if_positive:.2f}, "
            f"c- {pr.if_negative:.2f}{mark}"
        )
    lines += [check_line(c) for c in d.evidence_checks]
    lines += [f"  run {r.id}: {r.template} {r.status}" for r in d.runs]
    lines += [f"  outcome {o.id} from run {o.run_id}" for o in d.outcomes]
    lines += [note_text(n) for n in d.notes]
    payload = {**p.model_dump(mode="json"), **d.model_dump(mode="json", exclude={"project"})}
    emit(as_json, payload, "\n".join(lines))
