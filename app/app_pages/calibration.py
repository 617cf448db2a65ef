"""Calibration: how well each person's P(positive) matched the outcomes that resolved them."""

import pandas as pd
import streamlit as st

from app.app_pages import charts, common
from cruxes import annotations, scoring
from cruxes.models import Score

BRIER_HELP = "Mean (P − outcome)²: 0 is perfect, 0.25 is always saying 50%; lower is better."
LOG_HELP = "Mean ln of the probability given to what happened: 0 is perfect; higher is better."


def scores_table(scores: list[Score]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "who": s.person_name or "everyone",
                "resolved": s.n,
                "Brier": s.brier,
                "log score": s.log_score,
            }
            for s in scores
        ]
    )


def bins_table(scores: list[Score]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "who": s.person_name or "everyone",
                "bin": f"{b.lower:.2f}–{b.upper:.2f}",
                "count": b.count,
                "mean predicted": b.mean_predicted,
                "observed frequency": b.observed,
            }
            for s in scores
            for b in s.bins
            if b.count
        ]
    )


def render() -> None:
    common.page_title("calibration")
    store = common.get_store()
    tag_col, bins_col = st.columns([3, 1])
    tag = tag_col.selectbox(
        "Tag",
        [None, *annotations.all_tags(store)],
        format_func=lambda t: t or "— every prediction —",
        key="calibration_tag",
        help="Only predictions whose crux, project or run carries this tag.",
    )
    bins = bins_col.number_input("Bins", 1, 20, scoring.DEFAULT_BINS, key="calibration_bins")
    result = scoring.calibration(store, tag=tag, bins=int(bins))
    overall = result.overall
    n_col, brier_col, log_col = st.columns(3)
    n_col.metric("Resolved predictions", overall.n)
    brier_col.metric(
        "Brier (everyone)",
        "—" if overall.brier is None else f"{overall.brier:.3f}",
        help=BRIER_HELP,
    )
    log_col.metric(
        "Log score (everyone)",
        "—" if overall.log_score is None else f"{overall.log_score:.3f}",
        help=LOG_HELP,
    )
    if not overall.n:
        st.info("No prediction has been resolved yet: record an outcome on the Outcomes page.")
        return
    scores = [overall, *result.people]
    common.table(
        scores_table(scores),
        column_config={
            "Brier": st.column_config.NumberColumn(format="%.3f", help=BRIER_HELP),
            "log score": st.column_config.NumberColumn(format="%.3f", help=LOG_HELP),
        },
    )
    st.altair_chart(charts.calibration_chart(scores), width="stretch")
    st.caption("Each circle is a bin of predictions (size: how many); dashed: perfect calibration.")
    common.table(
        bins_table(scores),
        column_config={
            "mean predicted": st.column_config.NumberColumn(format="%.2f"),
            "observed frequency": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    with st.expander("Resolved predictions"):
        common.table(
            pd.DataFrame([r.model_dump() for r in result.resolved]),
            wrap={"project_title": 200},
        )


with common.errors():
    render()
