"""Altair charts shared by several pages (a helper module, not a page).

Time axes speak one clock, the app's (24-hour UTC): times are sent to the
browser as UTC, the scale is UTC, and each tick is labelled at its own scale —
``2026`` at a year, ``Mar 2026`` at a month, ``14 Mar`` at a day, ``22:01`` at an
hour or minute, ``22:01:30`` at a second — never as a 12-hour time or a bare
``.500`` of a second. An axis spans at least ``MIN_SPAN``, so events a moment
apart do not stretch it down to milliseconds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import altair as alt
import pandas as pd

from cruxes.models import CruxDetail, Score

SOURCE_SHAPES = {"manual": "circle", "dialogue": "square", "outcome": "triangle-up"}
# A tick's label at its own scale, in UTC: d3's multi-scale format on a 24-hour clock.
TICK_LABEL = (
    "utcseconds(datum.value) || utcmilliseconds(datum.value)"
    " ? utcFormat(datum.value, '%H:%M:%S')"
    " : utchours(datum.value) || utcminutes(datum.value) ? utcFormat(datum.value, '%H:%M')"
    " : utcdate(datum.value) != 1 ? utcFormat(datum.value, '%-d %b')"
    " : utcmonth(datum.value) ? utcFormat(datum.value, '%b %Y')"
    " : utcFormat(datum.value, '%Y')"
)
TOOLTIP_TIME = "%Y-%m-%d %H:%M"
MIN_SPAN = timedelta(minutes=2)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # stored times are naive UTC


def utc(times: pd.Series) -> pd.Series:
    """Stored (naive UTC) times marked as UTC, so the browser reads them as UTC."""
    return pd.to_datetime(times).dt.tz_localize("UTC")


def time_x(field: str, title: str, start: datetime, end: datetime) -> alt.X:
    """A UTC time axis from ``start`` to ``end`` (widened to ``MIN_SPAN``, padded a little)."""
    span = max(end - start, MIN_SPAN)
    middle = start + (end - start) / 2
    low, high = middle - span * 0.53, middle + span * 0.53
    domain = [pd.Timestamp(t, tz="UTC").isoformat() for t in (low, high)]
    return alt.X(
        f"{field}:T",
        title=title,
        scale=alt.Scale(type="utc", domain=domain),
        axis=alt.Axis(labelExpr=TICK_LABEL, labelOverlap=True, labelFlush=True),
    )


def time_tooltip(field: str, title: str) -> alt.Tooltip:
    return alt.Tooltip(f"{field}:T", title=title, format=TOOLTIP_TIME, formatType="utc")


def day_span(since: date | None, until: date | None, times: pd.Series) -> tuple[datetime, datetime]:
    """The period a person picked (whole UTC days), or the times' own span."""
    low = datetime.combine(since, time.min) if since else times.min()
    high = datetime.combine(until, time.min) + timedelta(days=1) if until else times.max()
    return low, high


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
    x = time_x("time", "When", rows["time"].min(), until)
    held = rows.groupby("person", as_index=False).last().assign(time=until)
    steps = (
        alt.Chart(pd.concat([rows, held]).assign(time=lambda d: utc(d["time"])))
        .mark_line(interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y("value:Q", title="Credence", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("person:N", title="Person"),
        )
    )
    points = (
        alt.Chart(rows.assign(time=utc(rows["time"])))
        .mark_point(filled=True, size=90)
        .encode(
            x=x,
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
                time_tooltip("time", "when"),
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
        alt.Chart(spread.assign(time=utc(spread["time"])))
        .mark_line(interpolate="step-after", color="gray", strokeDash=[4, 4])
        .encode(x=x, y="spread:Q", tooltip=[alt.Tooltip("spread:Q", format=".2f")])
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


def outcomes_timeline(rows: pd.DataFrame, since: date | None, until: date | None) -> alt.Chart:
    """Each outcome in the period as a dot on its project's line, coloured by how many of the
    predictions it checked came out positive; the axis spans the whole period."""
    start, end = day_span(since, until, rows["when"])
    labels = rows["project"].map(shorten)
    return (
        alt.Chart(rows.assign(when=utc(rows["when"]), line=labels))
        .mark_circle(size=160, opacity=0.9)
        .encode(
            x=time_x("when", "Recorded", start, end),
            y=alt.Y("line:N", title=None, axis=alt.Axis(labelLimit=LABEL_PX, labelFontSize=12)),
            color=alt.Color("positive:N", title="Positive"),
            tooltip=[
                "outcome",
                "project",
                "run",
                "positive",
                "applied",
                "note",
                time_tooltip("when", "recorded"),
            ],
        )
        .properties(height=100 + 36 * rows["project"].nunique())  # axes included
    )


LABEL_CHARS = 48  # a project's line label on the timeline, cut with "…" (hover for all of it)
LABEL_PX = 340


def shorten(text: str, chars: int = LABEL_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"
