"""The form that starts a run: project, template, and a widget per config field.

Shared by the Runs page; the widgets are generated from the template's pydantic
``Config`` (type, default, bounds, description).
"""

from typing import Any, Literal, get_args, get_origin

import pandas as pd
import streamlit as st
from annotated_types import Ge, Gt, Le, Lt
from pydantic.fields import FieldInfo

from app.app_pages import common
from cruxes import projects, runs


def config_widget(template_name: str, name: str, field: FieldInfo) -> Any:
    """A widget for one config field, generated from its type, default and description.

    Numbers take any value: the range is in the help, and the domain's check refuses a
    value out of range with one sentence (a bounded ``number_input`` would clamp it, or
    block the form without saying why).
    """
    key = f"config_{template_name}_{name}"
    label = name.replace("_", " ")
    if get_origin(field.annotation) is Literal:
        choices = list(get_args(field.annotation))
        return st.selectbox(
            label, choices, index=choices.index(field.default), help=field.description, key=key
        )
    if field.annotation is bool:
        return st.checkbox(label, value=bool(field.default), help=field.description, key=key)
    if field.annotation in (int, float):
        whole = field.annotation is int
        return st.number_input(
            label,
            value=field.annotation(field.default),
            step=1 if whole else None,
            format=None if whole else "%g",
            help=f"{field.description} {bounds(field)}".strip(),
            key=key,
        )
    default = "" if field.default is None else str(field.default)
    return st.text_input(label, value=default, help=field.description, key=key)


BOUNDS = ((Ge, "ge", "at least"), (Gt, "gt", "above"), (Le, "le", "at most"), (Lt, "lt", "below"))


def bounds(field: FieldInfo) -> str:
    """The field's range as its help says it: ``From 2 to 1,024.`` or ``Above 0 and below 1.``"""
    found = {
        attr: getattr(m, attr)
        for kind, attr, _ in BOUNDS
        for m in field.metadata
        if isinstance(m, kind)
    }
    if "ge" in found and "le" in found:
        return f"From {_number(found['ge'])} to {_number(found['le'])}."
    said = [f"{words} {_number(found[attr])}" for _, attr, words in BOUNDS if attr in found]
    return " and ".join(said).capitalize() + "." if said else ""


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


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
        common.table(
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
            wrap={"meaning": 380},
        )
        st.markdown(template.doc)
    with st.form(f"start_{template.name}"):
        values = {}
        for field_name, field in template.config.model_fields.items():
            value = config_widget(template.name, field_name, field)
            if not (value == "" and field.default is None):
                values[field_name] = value
        seed_col, device_col, executor_col = st.columns(3)
        seed = seed_col.number_input(
            "Seed", min_value=0, value=0, step=1, help="Same seed, same CPU result."
        )
        device = device_col.selectbox(
            "Device", runs.DEVICES, help="auto: CUDA when present, else CPU."
        )
        names = runs.executor_names()
        default = runs.default_executor(common.get_store())
        executor = executor_col.selectbox(
            "Executor",
            names,
            index=names.index(default) if default in names else 0,
            key="executor",
            help="local: a worker process on this machine; slurm: a SLURM job.",
        )
        slurm_options = st.text_area(
            "SLURM options",
            key="slurm_options",
            help="For the slurm executor: one KEY=VALUE per line (e.g. time_limit_min=30), "
            "over the [slurm] settings in settings.toml.",
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
                    executor=executor,
                    options=[line for line in slurm_options.splitlines() if line.strip()],
                    actor=common.current_person(),
                )
                common.choose("run", run.id)
                common.done(
                    f"Started run {run.id} ({run.template}) for project "
                    f"{run.project_id}: {run.status}."
                )
