"""Runs: start a template for a project, watch it live, and read its metrics and heatmaps."""

import json
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app.app_pages import common, run_form
from cruxes import runs
from cruxes.models import RunView

REFRESH_S = 2


def runs_section() -> None:
    st.subheader("All runs")
    all_runs = runs.list_runs(common.get_store())
    if not all_runs:
        st.info("No runs yet: start one above.")
        return
    newest_first = [r.id for r in reversed(all_runs)]
    labels = {
        r.id: f"{r.id} · {r.template} · project {r.project_id} · {r.status}" for r in all_runs
    }
    run_id = common.pick("Run", newest_first, key="run", format_func=labels.get)
    active = any(not r.finished for r in all_runs)
    # Poll only while something is queued or running.
    live = st.fragment(live_panel, run_every=REFRESH_S if active else None)
    live(run_id, active)


def live_panel(run_id: int, was_active: bool) -> None:
    """The runs table and the chosen run, refreshed every few seconds while runs are live."""
    store = common.get_store()
    all_runs = runs.list_runs(store)
    if was_active and all(r.finished for r in all_runs):
        st.rerun()  # everything finished: redraw the page once and stop polling
    common.table(
        pd.DataFrame(
            [
                {
                    "id": r.id,
                    "project": r.project_id,
                    "template": r.template,
                    "status": r.status,
                    "progress": r.progress,
                    "message": r.message,
                    "device": r.device or "",
                    "seed": r.seed,
                    "created": r.created_at,
                    "finished": r.finished_at,
                }
                for r in reversed(all_runs)
            ]
        ),
        wrap={"message": 140},
        # Device and seed are in the run's detail below; without them the table fits the page.
        column_order=(
            "id",
            "project",
            "template",
            "status",
            "progress",
            "message",
            "created",
            "finished",
        ),
        column_config={
            "id": st.column_config.NumberColumn(width=45),
            "project": st.column_config.NumberColumn(width=60),
            "progress": st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
    run = next((r for r in all_runs if r.id == run_id), None)
    if run is not None:
        run_detail(run)


def run_detail(run: RunView) -> None:
    store = common.get_store()
    st.markdown(f"#### Run {run.id}: {run.template} for project {run.project_id}")
    st.caption(
        f"{run.status}"
        + (f" on {run.device}" if run.device else "")
        + f" · seed {run.seed} · created {run.created_at:%Y-%m-%d %H:%M}"
    )
    if not run.finished:
        st.progress(min(max(run.progress, 0.0), 1.0), text=run.message or run.status)
    if run.status == "failed":
        st.error(f"Run {run.id} failed: {run.error or 'see the log below.'}")
    with st.expander("Config"):
        st.code(json.dumps(run.config, indent=2), language="json")
    metrics_view(run)
    for path in run.artifacts:
        if path.endswith(".png"):
            st.image(path, caption=Path(path).name)
    others = [Path(p).name for p in run.artifacts if not p.endswith(".png")]
    if others:
        st.caption("Other artifacts: " + ", ".join(others) + f" (in {run.folder})")
    history_view(runs.metric_history(store, run.id))
    tags_col, notes_col = st.columns(2)
    with tags_col:
        common.tags_editor("run", run.id)
    with notes_col:
        common.notes_section("run", run.id)
    with st.expander("Log (tail)", expanded=run.status != "succeeded"):
        st.code(runs.run_log(store, run.id) or "(empty)", language=None)


def metrics_view(run: RunView) -> None:
    if not run.metrics:
        st.caption("No metrics yet.")
        return
    template = next((t for t in runs.list_templates() if t.name == run.template), None)
    names = sorted(run.metrics)
    columns = st.columns(min(len(names), 4))  # five cut labels such as max_prev_token_score
    for i, name in enumerate(names):
        value = run.metrics[name]
        meta = template.metric(name) if template else None
        help_text = (
            f"{meta.description} ({meta.unit}; "
            + ("higher is better)" if meta.higher_is_better else "lower is better)")
            if meta
            else None
        )
        columns[i % len(columns)].metric(
            name, "—" if value is None else f"{value:.4g}", help=help_text
        )


def history_view(history: list[dict[str, Any]]) -> None:
    if not history:
        return
    data = pd.DataFrame(history)
    stepped = data.groupby("name")["step"].nunique()
    curves = data[data["name"].isin(stepped[stepped > 1].index)]
    if not curves.empty:
        st.altair_chart(
            alt.Chart(curves)
            .mark_line(point=True)
            .encode(
                x=alt.X("step:Q", title="Step"),
                y=alt.Y("value:Q", title="Value"),
                color=alt.Color("name:N", title="Metric"),
                tooltip=["name", "step", "value"],
            ),
            width="stretch",
        )
    with st.expander("Metric history"):
        st.dataframe(data, hide_index=True)


def render() -> None:
    common.page_title("runs")
    common.show_flash()
    run_form.start_section()
    st.divider()
    runs_section()


with common.errors():
    render()
