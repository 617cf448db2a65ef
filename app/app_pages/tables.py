"""Tables of projects and runs shared by the board, scholar and coverage pages (not a page).

Each fits the main area at 1280 px: related facts share a column (mentor → scholar;
effort, due date and overdue), and long text wraps inside a set width.
"""

import pandas as pd
import streamlit as st

from app.app_pages import common
from cruxes.models import Card, RunRow


def cards_table(cards: list[Card]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": c.project_id,
                "title": c.title,
                "status": c.status,
                "people": f"{c.mentor_name or '—'} → {c.assignee_name or '—'}",
                "cruxes": ", ".join(str(r.id) for r in c.cruxes),
                "latest run": (
                    f"{c.latest_run_id} · {c.latest_run_status}" if c.latest_run_id else ""
                ),
                "plan": plan(c),
                "tags": ", ".join(c.tags),
                "latest note": (f"({c.n_notes}) {c.latest_note}" if c.latest_note else ""),
            }
            for c in cards
        ]
    )


def plan(c: Card) -> str:
    """Effort and due date in a few words, e.g. ``2 days · due 2026-12-16 · OVERDUE``."""
    parts = [f"{c.effort_days:g} days"] if c.effort_days is not None else []
    parts += [f"due {c.due_date:%Y-%m-%d}"] if c.due_date else []
    parts += ["OVERDUE"] if c.overdue else []
    return " · ".join(parts)


def show_cards(cards: list[Card]) -> None:
    common.table(
        cards_table(cards),
        wrap={
            "title": 130,
            "people": 90,
            "latest run": 90,
            "plan": 100,
            "tags": 110,
            "latest note": 115,
        },
        lines=4,
        column_config={
            "id": st.column_config.NumberColumn(width=40),
            "people": st.column_config.TextColumn(width=90, help="Mentor → scholar."),
            "latest note": st.column_config.TextColumn(
                width=115, help="How many notes, and the latest (Markdown, as written)."
            ),
        },
    )


def runs_table(rows: list[RunRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "run": r.id,
                "project": f"{r.project_id} · {r.project_title}" if r.project_id else "",
                "template": r.template,
                "status": r.status,
                "finished": r.finished_at,
                "outcome": r.outcome_id,
                "tags": ", ".join(r.tags),
                "latest note": f"({r.n_notes}) {r.latest_note}" if r.latest_note else "",
            }
            for r in rows
        ]
    )


def show_runs(rows: list[RunRow]) -> None:
    common.table(
        runs_table(rows),
        wrap={"project": 160, "tags": 70, "latest note": 130},
        column_config={
            "run": st.column_config.NumberColumn(width=45),
            "latest note": st.column_config.TextColumn(
                width=130, help="How many notes, and the latest (Markdown, as written)."
            ),
        },
    )
