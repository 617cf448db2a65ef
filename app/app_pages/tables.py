"""Tables of projects and runs shared by the board, scholar and coverage pages (not a page)."""

import pandas as pd

from cruxes.models import Card, RunRow


def cards_table(cards: list[Card]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": c.project_id,
                "title": c.title,
                "status": c.status,
                "mentor": c.mentor_name or "",
                "scholar": c.assignee_name or "",
                "cruxes": ", ".join(str(r.id) for r in c.cruxes),
                "latest run": (
                    f"{c.latest_run_id} · {c.latest_run_status}" if c.latest_run_id else ""
                ),
                "effort (days)": c.effort_days,
                "due": c.due_date,
                "overdue": c.overdue,
                "tags": ", ".join(c.tags),
                "notes": c.n_notes,
                "latest note": c.latest_note or "",
            }
            for c in cards
        ]
    )


def runs_table(rows: list[RunRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "run": r.id,
                "project": f"{r.project_id} · {r.project_title}" if r.project_id else "",
                "template": r.template,
                "status": r.status,
                "created": r.created_at,
                "finished": r.finished_at,
                "outcome": r.outcome_id,
                "tags": ", ".join(r.tags),
                "notes": r.n_notes,
                "latest note": r.latest_note or "",
            }
            for r in rows
        ]
    )
