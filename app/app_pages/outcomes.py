"""Outcomes: check a finished run against the frozen predictions, then move credences."""

import pandas as pd
import streamlit as st

from app.app_pages import common
from cruxes import outcomes, projects
from cruxes.models import Outcome


def record_section() -> None:
    st.subheader("Record an outcome")
    store = common.get_store()
    all_projects = projects.list_projects(store)
    if not all_projects:
        st.info("No projects yet.")
        return
    titles = {p.id: f"{p.id} · {p.title} ({p.status})" for p in all_projects}
    project_id = common.pick("Project", list(titles), key="outcome_project", format_func=titles.get)
    waiting = outcomes.runs_awaiting_outcome(store, project_id)
    if not waiting:
        st.caption("This project has no succeeded run without an outcome.")
        return
    labels = {
        r.id: f"run {r.id} · {r.template} · "
        + ", ".join(f"{k} = {v:.4g}" for k, v in sorted(metrics.items()) if v is not None)
        for r, metrics in waiting
    }
    with st.form("record_outcome", clear_on_submit=True):
        run_id = st.selectbox(
            "Succeeded run", list(labels), format_func=labels.get, key="outcome_run"
        )
        note = st.text_input("Note (optional)", help="What you make of it.", key="outcome_note")
        if st.form_submit_button("Check against predictions", type="primary"):
            with common.errors():
                o = outcomes.record_outcome(
                    store, project_id, run_id, note=note or None, actor=common.current_person()
                )
                common.done(
                    f"Recorded outcome {o.id} for run {o.run_id}: "
                    f"{len(o.evaluations)} predictions checked."
                )


def outcome_card(o: Outcome) -> None:
    with st.container(border=True):
        st.markdown(f"#### Outcome {o.id} · project {o.project_id} · run {o.run_id}")
        st.caption(f"Recorded {o.created_at:%Y-%m-%d %H:%M}" + (f" · {o.note}" if o.note else ""))
        common.table(
            pd.DataFrame(
                [
                    {
                        "person": e.person_name,
                        "crux": f"{e.crux_id} · {e.crux_statement}",
                        "rule": f"{e.metric} {e.op} {e.threshold:g}",
                        "value": e.value,
                        "result": "positive" if e.positive else "negative",
                        "credence before": e.credence_before,
                        "proposed": e.proposed,
                        "applied": e.applied,
                    }
                    for e in o.evaluations
                ]
            ),
            wrap={"crux": 230, "rule": 160},
            column_config={
                "value": st.column_config.NumberColumn(format="%.4g"),
                "credence before": st.column_config.NumberColumn(
                    "before", format="%.2f", help="The person's credence before the outcome."
                ),
                "proposed": st.column_config.NumberColumn(
                    format="%.2f", help="Their pre-registered credence for this result."
                ),
            },
        )
        unapplied = [e for e in o.evaluations if not e.applied]
        if not unapplied:
            st.caption("All updates applied.")
            return
        me = common.current_person()
        all_col, mine_col = st.columns(2)
        if all_col.button(f"Apply updates ({len(unapplied)})", key=f"apply_{o.id}", type="primary"):
            apply(o.id, None)
        mine = [e for e in unapplied if e.person_name == me]
        if mine and mine_col.button(f"Apply only {me}'s update", key=f"apply_mine_{o.id}"):
            apply(o.id, me)


def apply(outcome_id: int, person: str | None) -> None:
    with common.errors():
        created = outcomes.apply_update(
            common.get_store(), outcome_id, person=person, actor=common.current_person()
        )
        moved = "; ".join(f"{c.person_name} → {c.value:.2f} on crux {c.crux_id}" for c in created)
        common.done(f"Applied outcome {outcome_id}: {moved}.")


def render() -> None:
    common.page_title("outcomes")
    common.show_flash()
    record_section()
    st.divider()
    st.subheader("Recorded outcomes")
    every = outcomes.list_outcomes(common.get_store())
    if not every:
        st.info("No outcomes yet.")
    for o in reversed(every):
        outcome_card(o)


with common.errors():
    render()
