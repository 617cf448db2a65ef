"""Runs: start a template for a project, watch it live, and read its metrics and heatmaps."""

import json
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import altair as alt
import pandas as pd
import streamlit as st
from annotated_types import Ge, Le
from pydantic.fields import FieldInfo

from app.app_pages import common
from cruxes import projects, runs
from cruxes.models import RunView

REFRESH_S = 2


def config_widget(template_name: str, name: str, field: FieldInfo) -> Any:
    """A widget for one config field, generated from its type, default and description."""
    key = f"config_{template_name}_{name}"
    label = name.replace("_", " ")
    low = next((m.ge for m in field.metadata if isinstance(m, Ge)), None)
    high = next((m.le for m in field.metadata if isinstance(m, Le)), None)
    if get_origin(field.annotation) is Literal:
        choices = list(get_args(field.annotation))
        return st.selectbox(
            label, choices, index=choices.index(field.default), help=field.description, key=key
        )
    if field.annotation is bool:
        return st.checkbox(label, value=bool(field.default), help=field.description, key=key)
    if field.annotation is int:
        return st.number_input(
            label,
            min_value=low,
            max_value=high,
            value=int(field.default),
            step=1,
            help=field.description,
            key=key,
        )
    if field.annotation is float:
        return st.number_input(
            label,
            min_value=None if low is None else float(low),
            max_value=None if high is None else float(high),
            value=float(field.default),
            format="%g",
            help=field.description,
            key=key,
        )
    default = "" if field.default is None else str(field.default)
    return st.text_input(label, value=default, help=field.description, key=key)


def start_section() -> None:
    st.subheader("Start a run")
    all_projects = projects.list_projects(common.get_store())
    if not all_projects:
        st.info("Create a project first (Projects page): every run belongs to a project.")
        return
    titles = {p.id: f"{p.id} · {p.title} ({p.status})" for p in all_projects}
    templates = {t.name: t for t in runs.list_templates()}
    project_col, template_col = st.columns(2)
    with project_col:
        runnable = [p.id for p in all_projects if p.status in projects.RUNNABLE]
        project_id = common.pick(
            "Project",
            list(titles),
            key="run_project",
            default=next(iter(runnable), None),
            format_func=titles.get,
        )
    with template_col:
        name = common.pick(
            "Template",
            list(templates),
            key="template",
            format_func=lambda n: f"{n} — {templates[n].summary}",
        )
    template = templates[name]
    with st.expander(f"About {template.name}: metrics and method"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "metric": m.name,
                        "unit": m.unit,
                        "higher is better": m.higher_is_better,
                        "meaning": m.description,
                    }
                    for m in template.metrics
                ]
            ),
            hide_index=True,
        )
        st.markdown(template.doc)
    with st.form(f"start_{template.name}"):
        values = {}
        for field_name, field in template.config.model_fields.items():
            value = config_widget(template.name, field_name, field)
            if not (value == "" and field.default is None):
                values[field_name] = value
        seed_col, device_col = st.columns(2)
        seed = seed_col.number_input(
            "Seed", min_value=0, value=0, step=1, help="Same seed, same CPU result."
        )
        device = device_col.selectbox(
            "Device", runs.DEVICES, help="auto: CUDA when present, else CPU."
        )
        st.caption("Starting the project's first run freezes its predictions.")
        if st.form_submit_button("Start run", type="primary"):
            with common.errors():
                run = runs.start_run(
                    common.get_store(),
                    project_id,
                    template.name,
                    values,
                    seed=int(seed),
                    device=device,
                )
                common.choose("run", run.id)
                common.done(
                    f"Started run {run.id} ({run.template}) for project "
                    f"{run.project_id}: {run.status}."
                )


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
    st.dataframe(
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
        hide_index=True,
        column_config={
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
    columns = st.columns(min(len(names), 5))
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
    start_section()
    st.divider()
    runs_section()


with common.errors():
    render()
