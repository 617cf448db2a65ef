"""Dashboard: where we stand on each question, what moved us in a period, and the outcomes."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from app.app_pages import charts, common
from cruxes import dashboard, questions
from cruxes.models import Agenda, QuestionGroup

DEFAULT_DAYS = 30
STATEMENT_PX, STATEMENT_MIN_PX, PERSON_PX = 560, 240, 58


def period_picker():
    today = datetime.now(UTC).date()
    left, right = st.columns([3, 1])
    chosen = left.date_input(
        "Period (UTC days)",
        value=(today - timedelta(days=DEFAULT_DAYS), today),
        key="dashboard_period",
        help="Moves and outcomes recorded in these days, both included.",
    )
    limit = right.number_input("Moves to list", 1, 200, dashboard.DEFAULT_MOVES, key="moves")
    since, until = (chosen[0], chosen[-1]) if chosen else (None, None)
    return since, until, int(limit)


def question_table(group: QuestionGroup, people: list[str]) -> None:
    st.subheader(group.question.text)
    if not group.cruxes:
        st.caption("No cruxes under this question yet.")
        return
    # The statement narrows as people are added; past about ten people the table scrolls
    # sideways, the statement pinned.
    statement_px = max(STATEMENT_MIN_PX, STATEMENT_PX - PERSON_PX * len(people))
    common.table(
        pd.DataFrame(
            [
                {
                    "crux": c.crux_id,
                    "statement": c.statement,
                    **{name: c.positions.get(name) for name in people},
                    "spread": c.spread,
                    "tags": ", ".join(c.tags),
                }
                for c in group.cruxes
            ]
        ),
        wrap={"statement": statement_px},
        column_config={
            "crux": st.column_config.NumberColumn(width=45, pinned=True),
            "statement": st.column_config.TextColumn(width=statement_px, pinned=True),
            **{
                name: st.column_config.NumberColumn(format="%.2f", width=PERSON_PX)
                for name in [*people, "spread"]
            },
        },
    )


def moves_section(agenda: Agenda) -> None:
    st.subheader("Largest moves in the period")
    if not agenda.moves:
        st.caption("Nobody's credence changed in this period.")
        return
    common.table(
        pd.DataFrame(
            [
                {
                    "when": m.credence.created_at,
                    "person": m.credence.person_name,
                    "crux": f"{m.credence.crux_id} · {m.statement}",
                    "before": m.before,
                    "after": m.credence.value,
                    "change": m.delta,
                    "source": m.credence.source,
                    "cause": m.credence.cause,
                }
                for m in agenda.moves
            ]
        ),
        wrap={"crux": 270, "cause": 140},
        column_config={
            "before": st.column_config.NumberColumn(format="%.2f"),
            "after": st.column_config.NumberColumn(format="%.2f"),
            "change": st.column_config.NumberColumn(format="%+.2f"),
        },
    )


def outcomes_section(agenda: Agenda, since, until) -> None:
    st.subheader("Outcomes in the period")
    if not agenda.outcomes:
        st.caption("No outcomes were recorded in this period.")
        return
    rows = pd.DataFrame(
        [
            {
                "when": e.created_at,
                "outcome": e.outcome_id,
                "project": f"{e.project_id} · {e.project_title}",
                "run": f"{e.run_id} · {e.template}",
                "positive": f"{e.n_positive} of {e.n_evaluations}",
                "applied": e.n_applied,
                "note": e.note or "",
            }
            for e in agenda.outcomes
        ]
    )
    st.altair_chart(charts.outcomes_timeline(rows, since, until), width="stretch")
    common.table(
        rows,
        wrap={"project": 200, "note": 170},
        column_config={"applied": st.column_config.NumberColumn(help="Credence updates applied.")},
    )


def add_question_section() -> None:
    with st.expander("Add a top-level question"), st.form("add_question", clear_on_submit=True):
        text = st.text_input("Question", key="question_text", help="Cruxes can sit under it.")
        if st.form_submit_button("Add question"):
            with common.errors():
                q = questions.add_question(common.get_store(), text, actor=common.current_person())
                common.done(f"Added question {q.id}; move cruxes under it on the Cruxes page.")


def render() -> None:
    common.page_title("dashboard")
    common.show_flash()
    since, until, limit = period_picker()
    agenda = dashboard.agenda(common.get_store(), since=since, until=until, limit=limit)
    n_cruxes = sum(len(g.cruxes) for g in agenda.questions)
    cruxes_col, people_col, moves_col, outcomes_col = st.columns(4)
    cruxes_col.metric("Cruxes", n_cruxes)
    people_col.metric("People with credences", len(agenda.people))
    moves_col.metric("Moves listed", len(agenda.moves))
    outcomes_col.metric("Outcomes in period", len(agenda.outcomes))
    if not n_cruxes:
        st.info("No cruxes yet: import a dialogue on the Dialogues page and accept its cruxes.")
    for group in agenda.questions:
        if group.cruxes or group.question.id is not None:
            question_table(group, agenda.people)
    add_question_section()
    st.divider()
    moves_section(agenda)
    outcomes_section(agenda, since, until)


with common.errors():
    render()
