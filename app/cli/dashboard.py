"""Where we stand and what to run next: ``cruxlab dashboard``, ``disagreement`` and ``next``."""

from __future__ import annotations

from datetime import datetime

import typer

from app.cli.common import AsOpt, DateOpt, JsonOpt, app
from app.cli.render import emit, pct
from cruxes import dashboard
from cruxes.api import call
from cruxes.models import PROJECT_STATUSES, CruxForecast


@app.command("dashboard")
def dashboard_cmd(
    since: datetime = DateOpt,
    until: datetime = DateOpt,
    moves: int = typer.Option(dashboard.DEFAULT_MOVES, "--moves", help="How many moves to list."),
    as_json: bool = JsonOpt,
) -> None:
    """Where we stand: positions per question, the largest moves and the outcomes."""
    a = call(
        dashboard.agenda,
        since=since.date() if since else None,
        until=until.date() if until else None,
        limit=moves,
    )
    lines = []
    for group in a.questions:
        lines.append(f"{group.question.text}")
        for c in group.cruxes:
            held = ", ".join(f"{k} {v:.2f}" for k, v in c.positions.items()) or "no credences"
            lines.append(f"  crux {c.crux_id}: {c.statement}\n    {held}; spread {pct(c.spread)}")
    lines.append("Largest moves:" if a.moves else "No moves in the period.")
    lines += [
        f"  {m.credence.created_at:%Y-%m-%d %H:%M} {m.credence.person_name} on crux "
        f"{m.credence.crux_id}: {m.before:.2f} → {m.credence.value:.2f} ({m.delta:+.2f}); "
        f"{m.credence.cause}"
        for m in a.moves
    ]
    lines.append("Outcomes:" if a.outcomes else "No outcomes in the period.")
    lines += [
        f"  {e.created_at:%Y-%m-%d %H:%M} outcome {e.outcome_id}: project {e.project_id} "
        f"({e.project_title}), run {e.run_id}, {e.n_positive}/{e.n_evaluations} positive"
        for e in a.outcomes
    ]
    emit(as_json, a, "\n".join(lines))


def _forecast_line(f: CruxForecast) -> str:
    return (
        f"    crux {f.crux_id}: E|Δ| {f.expected_update:.3f}; spread {pct(f.spread_now)} now, "
        f"{pct(f.spread_if_positive)} if positive, {pct(f.spread_if_negative)} if negative; "
        f"expected reduction {pct(f.expected_reduction)}"
    )


@app.command("disagreement")
def disagreement_cmd(
    viewer: str = AsOpt,
    limit: int = typer.Option(None, "--limit", help="Only the N widest disagreements."),
    as_json: bool = JsonOpt,
) -> None:
    """The cruxes people differ on most, with the projects that would bring them closer."""
    rows = call(dashboard.disagreement, viewer=viewer, limit=limit)
    lines = []
    for d in rows:
        held = ", ".join(f"{k} {v:.2f}" for k, v in d.positions.items())
        lines.append(f"crux {d.crux_id} (spread {d.spread:.2f}: {held}): {d.statement}")
        for f in d.projects:
            lines.append(f"  project {f.project_id} ({f.project_title})")
            lines.append(_forecast_line(f))
    emit(as_json, rows, "\n".join(lines) or "(no disagreements)")


@app.command("next")
def next_cmd(
    viewer: str = AsOpt,
    every: bool = typer.Option(False, "--all", help="Rank projects in every status."),
    as_json: bool = JsonOpt,
) -> None:
    """Rank projects not yet started by the expected update their predictions imply."""
    statuses = PROJECT_STATUSES if every else dashboard.UNSTARTED
    rows = call(dashboard.next_projects, viewer=viewer, statuses=statuses)
    lines = []
    for v in rows:
        effort = "—" if v.effort_days is None else f"{v.effort_days:g} d"
        hidden = f", {v.hidden} predictions hidden" if v.hidden else ""
        lines.append(
            f"{v.project_id}\tE|Δ| {v.expected_update:.3f}\teffort {effort}\t"
            f"disagreement −{v.expected_reduction:.3f}\t{v.title}{hidden}"
        )
    emit(as_json, rows, "\n".join(lines) or "(no projects to rank)")
