"""Scholar: one person's projects, their runs, and the predictions awaiting their input."""

import pandas as pd
import streamlit as st

from app.app_pages import common, tables
from cruxes import board, people


def render() -> None:
    common.page_title("scholar")
    store = common.get_store()
    everyone = people.list_people(store)
    if not everyone:
        st.info("No people yet: add one in the sidebar.")
        return
    scholars = [p for p in everyone if p.role == "scholar"]
    person = common.person_select("Person", scholars or everyone, key="scholar_person")
    page = board.person_page(store, person)
    projects_col, runs_col, awaiting_col, overdue_col = st.columns(4)
    projects_col.metric("Projects", len(page.projects))
    runs_col.metric("Runs", page.n_runs)
    awaiting_col.metric("Predictions awaiting input", len(page.awaiting))
    overdue_col.metric("Overdue", sum(c.overdue for c in page.projects))

    st.subheader("Predictions awaiting their input")
    if page.awaiting:
        common.table(
            pd.DataFrame(
                [
                    {
                        "project": f"{a.project_id} · {a.project_title}",
                        "status": a.project_status,
                        "crux": f"{a.crux_id} · {a.statement}",
                    }
                    for a in page.awaiting
                ]
            ),
            wrap={"project": 300, "crux": 380},
        )
        st.caption("Pre-register them on the Projects page before the first run freezes them.")
    else:
        st.caption("Nothing awaits their prediction.")
    st.subheader("Their projects")
    if page.projects:
        tables.show_cards(page.projects)
    else:
        st.caption("No project is assigned to them.")
    st.subheader("Runs of their projects")
    if page.runs:
        tables.show_runs(page.runs)
        if len(page.runs) < page.n_runs:
            st.caption(f"The newest {len(page.runs)} of {page.n_runs:,}; all on the Runs page.")
    else:
        st.caption("No runs yet.")


with common.errors():
    render()
