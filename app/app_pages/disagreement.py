"""Disagreement: the cruxes people differ on most, and the projects that would bring them closer."""

import pandas as pd
import streamlit as st

from app.app_pages import common
from cruxes import dashboard
from cruxes.models import CruxDisagreement, CruxForecast

SPREAD_HELP = "Highest minus lowest current credence."


def forecast_rows(forecasts: list[CruxForecast]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "project": f"{f.project_id} · {f.project_title}",
                "status": f.project_status,
                "spread if positive": f.spread_if_positive,
                "spread if negative": f.spread_if_negative,
                "mean P(positive)": f.mean_p_positive,
                "expected reduction": f.expected_reduction,
                "expected update": f.expected_update,
                "predicted by": ", ".join(p.person_name for p in f.people),
            }
            for f in forecasts
        ]
    )


def crux_card(d: CruxDisagreement) -> None:
    with st.container(border=True):
        st.markdown(f"#### Crux {d.crux_id} · {common.plain(d.statement)}")
        columns = st.columns(min(len(d.positions) + 1, 6))
        columns[0].metric("Spread", f"{d.spread:.2f}", help=SPREAD_HELP)
        for i, (name, value) in enumerate(d.positions.items(), start=1):
            columns[i % len(columns)].metric(name, f"{value:.2f}")
        if not d.projects:
            st.caption(
                "No open project's predictions would bring people closer on this crux: "
                "propose one, and pre-register predictions on it."
            )
            return
        common.table(forecast_rows(d.projects), wrap={"project": 200}, column_config=COLUMNS)


COLUMNS = {  # short headers (the help says it in full), so the table fits the page
    "spread if positive": common.two_decimals(
        "spread if +", "The spread if the result is positive."
    ),
    "spread if negative": common.two_decimals("if −", "The spread if the result is negative."),
    "mean P(positive)": common.two_decimals("mean P", "The predictors' mean P(positive), P̄."),
    "expected reduction": common.two_decimals(
        "exp. reduction", "Expected reduction in the spread."
    ),
    "expected update": common.two_decimals("exp. update", "Expected |credence change|, summed."),
}


def render() -> None:
    common.page_title("disagreement")
    st.caption(
        "Cruxes by spread (highest minus lowest current credence), widest first. Under each: "
        "open projects whose pre-registered predictions put people closer after either result; "
        "expected reduction = spread now − (P̄·spread if positive + (1 − P̄)·spread if "
        "negative), P̄ the predictors' mean P."
    )
    limit = st.number_input("Cruxes to show", 1, 500, 20, key="disagreement_limit")
    rows = dashboard.disagreement(
        common.get_store(), viewer=common.current_person(), limit=int(limit)
    )
    if not rows:
        st.info("Nobody disagrees yet: cruxes need credences from at least two people.")
    for d in rows:
        crux_card(d)


with common.errors():
    render()
