"""Is the work on track: ``cruxlab board``, ``scholar`` and ``coverage``."""

from __future__ import annotations

import typer

from app.cli.common import JsonOpt, app
from app.cli.render import card_line, emit, run_row_line
from cruxes import board
from cruxes.api import call


@app.command("board")
def board_cmd(
    mentor: str = typer.Option(None, "--mentor", help="Only this mentor's projects."),
    scholar: str = typer.Option(None, "--scholar", help="Only projects assigned to them."),
    tag: str = typer.Option(None, "--tag", help="Only projects with this tag."),
    as_json: bool = JsonOpt,
) -> None:
    """The project board: projects by status with cruxes, latest run and due date."""
    b = call(board.board, mentor=mentor, scholar=scholar, tag=tag)
    lines = []
    for status in b.statuses:
        cards = b.column(status)
        lines.append(f"{status} ({len(cards)})")
        lines += [card_line(c) for c in cards]
    emit(as_json, b, "\n".join(lines))


@app.command("scholar")
def scholar_cmd(person: str, as_json: bool = JsonOpt) -> None:
    """A person's projects, their runs, and the predictions awaiting their input."""
    page = call(board.person_page, person)
    lines = [f"{page.person.name} ({page.person.role})", "Projects:"]
    lines += [card_line(c) for c in page.projects] or ["  (none)"]
    lines.append(f"Runs ({page.n_runs}, newest first):")
    lines += [run_row_line(r) for r in page.runs] or ["  (none)"]
    lines.append("Awaiting your prediction:")
    lines += [
        f"  project {a.project_id} ({a.project_title}), crux {a.crux_id}: {a.statement}"
        for a in page.awaiting
    ] or ["  (nothing)"]
    emit(as_json, page, "\n".join(lines))


@app.command("coverage")
def coverage_cmd(as_json: bool = JsonOpt) -> None:
    """Cruxes with no project, projects with no run, succeeded runs with no outcome."""
    c = call(board.coverage)
    lines = ["Cruxes with no project:"]
    lines += [f"  crux {x.id}: {x.statement}" for x in c.cruxes_without_project] or ["  (none)"]
    lines.append("Projects with no run:")
    lines += [card_line(p) for p in c.projects_without_run] or ["  (none)"]
    lines.append(f"Succeeded runs with no outcome ({c.n_runs_without_outcome}, newest first):")
    lines += [run_row_line(r) for r in c.runs_without_outcome] or ["  (none)"]
    emit(as_json, c, "\n".join(lines))
