"""Next projects: proposed projects ranked by the expected update their predictions imply."""

import pandas as pd
import streamlit as st

from app.app_pages import common
from cruxes import dashboard
from cruxes.models import PROJECT_STATUSES, ProjectValue


def ranking_table(ranked: list[ProjectValue]) -> None:
    people = sorted({name for v in ranked for name in v.per_person})
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "rank": rank,
                    "project": f"{v.project_id} · {v.title}",
                    "expected update": v.expected_update,
                    "effort (days)": v.effort_days,
                    "expected reduction in disagreement": v.expected_reduction,
                    **{f"E|Δ| {name}": v.per_person.get(name) for name in people},
                    "status": v.status,
                    "assignee": v.assignee_name or "",
                    "hidden predictions": v.hidden,
                }
                for rank, v in enumerate(ranked, start=1)
            ]
        ),
        hide_index=True,
        column_config={
            "expected update": st.column_config.NumberColumn(format="%.3f"),
            "effort (days)": st.column_config.NumberColumn(format="%g"),
            "expected reduction in disagreement": st.column_config.NumberColumn(format="%.3f"),
            **{f"E|Δ| {name}": st.column_config.NumberColumn(format="%.3f") for name in people},
        },
    )


def project_detail(v: ProjectValue) -> None:
    with st.expander(f"{v.project_id} · {v.title}: per crux and person"):
        if v.hidden:
            st.info(
                f"{v.hidden} predictions are hidden until you enter yours; they do not count here.",
                icon="🙈",
            )
        for f in v.cruxes:
            st.markdown(f"**Crux {f.crux_id}** · {common.plain(f.statement)}")
            if not f.people:
                st.caption("No predictions on this crux yet.")
                continue
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "person": p.person_name,
                            "credence now": p.credence,
                            "P(positive)": p.p_positive,
                            "credence if positive": p.if_positive,
                            "credence if negative": p.if_negative,
                            "E|Δ|": p.expected_update,
                        }
                        for p in f.people
                    ]
                ),
                hide_index=True,
            )
            spreads = ", ".join(
                f"{label} {'—' if value is None else f'{value:.2f}'}"
                for label, value in (
                    ("now", f.spread_now),
                    ("if positive", f.spread_if_positive),
                    ("if negative", f.spread_if_negative),
                )
            )
            st.caption(f"Spread {spreads}.")


def render() -> None:
    common.page_title("next_projects")
    st.caption(
        "Expected update = Σ over the cruxes a project informs and the people who predicted "
        "of P·|c₊ − c| + (1 − P)·|c₋ − c| (c: their current credence). Ties go to the "
        "smaller effort."
    )
    started = st.toggle("Include projects already running or finished", key="rank_all")
    statuses = PROJECT_STATUSES if started else dashboard.UNSTARTED
    ranked = dashboard.next_projects(
        common.get_store(), viewer=common.current_person(), statuses=statuses
    )
    if not ranked:
        st.info("No projects to rank: propose one on the Projects page.")
        return
    ranking_table(ranked)
    for v in ranked:
        project_detail(v)


with common.errors():
    render()
