"""Altair charts shared by several pages (a helper module, not a page)."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import pandas as pd

from cruxes.models import CruxDetail, Score

SOURCE_SHAPES = {"manual": "circle", "dialogue": "square", "outcome": "triangle-up"}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # stored times are naive UTC


def history_frame(detail: CruxDetail) -> pd.DataFrame:
    """A crux's credence history as rows: time, person, value, source, cause, entered by."""
    return pd.DataFrame(
        [
            {
                "time": h.created_at,
                "person": h.person_name,
                "value": h.value,
                "source": h.source,
                "cause": h.cause,
                "entered by": h.entered_by_name,
            }
            for h in detail.history
        ]
    )


def credence_chart(detail: CruxDetail) -> alt.LayerChart:
    """Each person's credence as a step line held until now; every change is a point shaped
    by its cause (note, dialogue, outcome) with the cause in its tooltip; the spread between
    people is a dashed grey step line."""
    rows = history_frame(detail)
    until = max(_now(), rows["time"].max())
    held = rows.groupby("person", as_index=False).last().assign(time=until)
    steps = (
        alt.Chart(pd.concat([rows, held]))
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("time:T", title="When"),
            y=alt.Y("value:Q", title="Credence", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("person:N", title="Person"),
        )
    )
    points = (
        alt.Chart(rows)
        .mark_point(filled=True, size=90)
        .encode(
            x="time:T",
            y="value:Q",
            color="person:N",
            shape=alt.Shape(
                "source:N",
                title="Cause",
                scale=alt.Scale(domain=list(SOURCE_SHAPES), range=list(SOURCE_SHAPES.values())),
            ),
            tooltip=[
                "person",
                alt.Tooltip("value:Q", format=".2f"),
                "source",
                "cause",
                alt.Tooltip("time:T", format="%Y-%m-%d %H:%M"),
            ],
        )
    )
    spread = pd.DataFrame(
        [{"time": s.at, "spread": s.spread} for s in detail.spread if s.spread is not None]
    )
    if spread.empty:
        return steps + points
    spread = pd.concat([spread, spread.tail(1).assign(time=until)])
    gap = (
        alt.Chart(spread)
        .mark_line(interpolate="step-after", color="gray", strokeDash=[4, 4])
        .encode(x="time:T", y="spread:Q", tooltip=[alt.Tooltip("spread:Q", format=".2f")])
    )
    return steps + points + gap


def calibration_chart(scores: list[Score]) -> alt.LayerChart:
    """Observed frequency against mean predicted probability per bin, sized by count, with
    the diagonal of perfect calibration."""
    rows = pd.DataFrame(
        [
            {
                "who": s.person_name or "everyone",
                "predicted": b.mean_predicted,
                "observed": b.observed,
                "count": b.count,
                "bin": f"{b.lower:.2f}–{b.upper:.2f}",
            }
            for s in scores
            for b in s.bins
            if b.count
        ]
    )
    unit = alt.Scale(domain=[0, 1])
    diagonal = (
        alt.Chart(pd.DataFrame({"predicted": [0.0, 1.0], "observed": [0.0, 1.0]}))
        .mark_line(color="gray", strokeDash=[4, 4])
        .encode(x="predicted:Q", y="observed:Q")
    )
    points = (
        alt.Chart(rows)
        .mark_circle(opacity=0.8)
        .encode(
            x=alt.X("predicted:Q", title="Predicted probability (bin mean)", scale=unit),
            y=alt.Y("observed:Q", title="Observed frequency positive", scale=unit),
            size=alt.Size("count:Q", title="Predictions"),
            color=alt.Color("who:N", title="Who"),
            tooltip=[
                "who",
                "bin",
                "count",
                alt.Tooltip("predicted:Q", format=".2f"),
                alt.Tooltip("observed:Q", format=".2f"),
            ],
        )
    )
    return diagonal + points
