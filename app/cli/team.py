"""``cruxlab activity``: every write, who made it, and what it wrote."""

from __future__ import annotations

import typer

from app.cli.common import JsonOpt, app
from app.cli.render import emit
from cruxes import team
from cruxes.api import call


@app.command("activity")
def activity_cmd(
    person: str = typer.Option(None, "--person", help="Only this person's writes."),
    limit: int = typer.Option(50, "--limit", help="How many, newest first."),
    as_json: bool = JsonOpt,
) -> None:
    """List the latest writes, newest first: when, who, which action, what it wrote."""
    rows = call(team.activity, person=person, limit=limit)
    lines = [
        f"{a.created_at:%Y-%m-%d %H:%M}  {a.person_name or '(nobody named)':<14} "
        f"{a.action:<16} {a.kind} {a.entity_id if a.entity_id is not None else ''}".rstrip()
        for a in rows
    ]
    emit(as_json, rows, "\n".join(lines) or "(nothing yet)")
