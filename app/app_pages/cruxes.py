"""Cruxes: each person's credence, where the crux came from, and what moved it."""

import pandas as pd
import streamlit as st

from app.app_pages import charts, common
from cruxes import beliefs, people, questions, team
from cruxes.models import CruxDetail


def add_crux_section() -> None:
    with st.expander("Add a crux by hand"), st.form("add_crux", clear_on_submit=True):
        statement = st.text_area(
            "Statement", help="A claim people can hold a credence in.", key="crux_statement"
        )
        if st.form_submit_button("Add crux"):
            with common.errors():
                crux = beliefs.add_crux(
                    common.get_store(), statement, actor=common.current_person()
                )
                common.choose("crux", crux.id)
                common.done(f"Added crux {crux.id}.")


def provenance(detail: CruxDetail) -> None:
    crux = detail.crux
    if crux.quote:
        st.markdown(f"From dialogue {crux.dialogue_id}, **{common.plain(crux.speaker)}** said:")
        st.markdown(f"> {common.plain(crux.quote)}")
    else:
        st.caption("Added by hand (no dialogue provenance).")
    projects = ", ".join(str(p) for p in detail.project_ids) or "none yet"
    st.caption(f"Version {crux.version} · informs projects: {projects}")


def current_credences(detail: CruxDetail) -> None:
    st.subheader("Current credence")
    if not detail.current:
        st.info("Nobody has recorded a credence in this crux yet.")
        return
    columns = st.columns(min(len(detail.current), 6))
    for i, (name, value) in enumerate(detail.current.items()):
        values = [h.value for h in detail.history if h.person_name == name]
        delta = f"{values[-1] - values[-2]:+.2f}" if len(values) > 1 else None
        columns[i % len(columns)].metric(name, f"{value:.2f}", delta)


def add_credence_form(crux_id: int) -> None:
    everyone = people.list_people(common.get_store())
    with st.form("add_credence", clear_on_submit=True):
        st.subheader("Add your credence")
        if not everyone:
            st.info("Add a person in the sidebar first.")
        person = common.person_select(
            "Person", everyone, key="credence_person", action=team.Action.RECORD_CREDENCE
        )
        value = st.text_input(
            "Credence",
            placeholder="0.6 or 60%",
            key="credence_value",
            help="Probability (0–1) that the crux is true.",
        )
        reason = st.text_input("Reason (optional)", help="What moved you.", key="credence_reason")
        if st.form_submit_button("Record credence", type="primary"):
            with common.errors():
                c = beliefs.add_credence(
                    common.get_store(),
                    crux_id,
                    person or "",
                    value,
                    reason=reason,
                    actor=common.current_person(),
                )
                common.done(
                    f"Recorded {c.person_name}'s credence {c.value:.2f} in crux {c.crux_id}."
                )


def history_section(detail: CruxDetail) -> None:
    st.subheader("History")
    if not detail.history:
        st.caption("No credences yet.")
        return
    rows = charts.history_frame(detail)
    st.altair_chart(charts.credence_chart(detail), width="stretch")
    st.caption(
        "Each point is a change: ● a note, ■ a dialogue, ▲ an outcome (hover for the run). "
        "Dashed grey: the spread between people (highest minus lowest credence)."
    )
    common.table(
        rows.iloc[::-1],
        wrap={"cause": 125, "person": 60, "entered by": 65},
        column_config={
            "time": st.column_config.DatetimeColumn(format=common.TIME_FORMAT, width=120),
            "value": st.column_config.NumberColumn(format="%.2f", width=45),
            "source": st.column_config.TextColumn(width=75),
        },
    )


def reword_section(detail: CruxDetail) -> None:
    crux = detail.crux
    with st.expander("Reword this crux"), st.form("edit_crux"):
        statement = st.text_area("Statement", value=crux.statement)
        if st.form_submit_button("Save wording"):
            with common.errors():
                edited = beliefs.edit_crux(
                    common.get_store(),
                    crux.id,
                    statement,
                    crux.version,
                    actor=common.current_person(),
                )
                common.done(f"Crux {edited.id} is now at version {edited.version}.")


def question_section(detail: CruxDetail) -> None:
    crux = detail.crux
    every = questions.list_questions(common.get_store())
    texts = {q.id: q.text for q in every}
    with st.form("crux_question"):
        question_id = st.selectbox(
            "Top-level question",
            list(texts),
            index=common.index_of(list(texts), crux.question_id),
            format_func=texts.get,
            key="crux_question_id",
        )
        if st.form_submit_button("Move under this question"):
            with common.errors():
                moved = questions.set_question(
                    common.get_store(),
                    crux.id,
                    question_id,
                    expected_version=crux.version,
                    actor=common.current_person(),
                )
                common.done(f"Crux {moved.id} now sits under “{texts[question_id]}”.")


def render() -> None:
    common.page_title("cruxes")
    common.show_flash()
    add_crux_section()
    cruxes = beliefs.list_cruxes(common.get_store())
    if not cruxes:
        st.info("No cruxes yet: accept a candidate on the Dialogues page or add one above.")
        return
    common.table(
        pd.DataFrame(
            [
                {
                    "id": c.id,
                    "statement": c.statement,
                    "speaker": c.speaker or "",
                    "dialogue": c.dialogue_id,
                    "version": c.version,
                    "created": c.created_at,
                }
                for c in cruxes
            ]
        ),
        wrap={"statement": 420},
    )
    statements = {c.id: c.statement for c in cruxes}
    crux_id = common.pick(
        "Crux", list(statements), key="crux", format_func=lambda i: f"{i} · {statements[i]}"
    )
    detail = beliefs.get_crux(common.get_store(), crux_id)
    st.header(detail.crux.statement)
    provenance(detail)
    left, right = st.columns([2, 1], gap="large")
    with left:
        current_credences(detail)
        history_section(detail)
    with right:
        add_credence_form(crux_id)
        common.tags_editor("crux", crux_id)
        question_section(detail)
        reword_section(detail)


with common.errors():
    render()
