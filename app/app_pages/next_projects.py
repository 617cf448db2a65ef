"""Next projects: proposed projects ranked by the expected update their predictions imply."""

import pandas as pd
import streamlit as st

from app.app_pages import common
from cruxes import dashboard
from cruxes.models import PROJECT_STATUSES, ProjectValue

TWO_PLACES = st.column_config.NumberColumn(format="%.2f")
DETAIL_NUMBERS = ("credence now", "P(positive)", "credence if positive", "credence if negative")


def ranking_table(ranked: list[ProjectValue]) -> None:
    common.table(
        pd.DataFrame(
            [
                {
                    "rank": rank,
                    "project": f"{v.project_id} · {v.title}",
                    "expected update": v.expected_update,
                    "effort (days)": v.effort_days,
                    "expected reduction in disagreement": v.expected_reduction,
                    "E|Δ| by person": ", ".join(
                        f"{name} {value:.3f}" for name, value in sorted(v.per_person.items())
                    ),
                    "status": v.status,
                    "assignee": v.assignee_name or "",
                    "hidden predictions": v.hidden,
                }
                for rank, v in enumerate(ranked, start=1)
            ]
        ),
        wrap={"project": 190, "E|Δ| by person": 130},
        column_config={
            "expected update": st.column_config.NumberColumn(
                "exp. update", format="%.3f", help="Expected update, E|Δ| summed."
            ),
            "effort (days)": st.column_config.NumberColumn("effort", format="%g days"),
            "expected reduction in disagreement": st.column_config.NumberColumn(
                "exp. reduction", format="%.3f", help="Expected reduction in disagreement."
            ),
            "E|Δ| by person": st.column_config.TextColumn(
                width=130, help="Each person's expected |credence change|."
            ),
            "hidden predictions": st.column_config.NumberColumn(
                "hidden", help="Predictions hidden from you until you enter yours."
            ),
        },
    )


def project_detail(v: ProjectValue) -> None:
    with st.expander(f"{v.project_id} · {v.title}: per crux and person"):
        if v.hidden:
            st.info(
                f"{v.hidden} predictions are hidden until you enter yours; they do not count here.",
                icon=":material/visibility_off:",
            )
        for f in v.cruxes:
            st.markdown(f"**Crux {f.crux_id}** · {common.plain(f.statement)}")
            if not f.people:
                st.caption("No predictions on this crux yet.")
                continue
            common.table(
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
                column_config={name: TWO_PLACES for name in DETAIL_NUMBERS},
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
