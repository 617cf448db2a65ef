"""Coverage: cruxes no project informs, projects with no run, succeeded runs with no outcome."""

import pandas as pd
import streamlit as st

from app.app_pages import common, tables
from cruxes import board


def render() -> None:
    common.page_title("coverage")
    gaps = board.coverage(common.get_store())
    cruxes_col, projects_col, runs_col = st.columns(3)
    cruxes_col.metric("Cruxes with no project", len(gaps.cruxes_without_project))
    projects_col.metric("Projects with no run", len(gaps.projects_without_run))
    runs_col.metric("Succeeded runs with no outcome", gaps.n_runs_without_outcome)

    st.subheader("Cruxes with no project")
    if gaps.cruxes_without_project:
        common.table(
            pd.DataFrame(
                [
                    {"crux": c.id, "statement": c.statement, "created": c.created_at}
                    for c in gaps.cruxes_without_project
                ]
            ),
            wrap={"statement": 560},
        )
        st.caption("Propose a project that informs them on the Projects page.")
    else:
        st.caption("Every crux has a project.")
    st.subheader("Projects with no run")
    if gaps.projects_without_run:
        tables.show_cards(gaps.projects_without_run)
    else:
        st.caption("Every project has a run.")
    st.subheader("Succeeded runs with no outcome")
    if gaps.runs_without_outcome:
        tables.show_runs(gaps.runs_without_outcome)
        shown, every = len(gaps.runs_without_outcome), gaps.n_runs_without_outcome
        more = f"The newest {shown} of {every:,}. " if shown < every else ""
        st.caption(more + "Check them against the predictions on the Outcomes page.")
    else:
        st.caption("Every succeeded run has an outcome.")


with common.errors():
    render()
