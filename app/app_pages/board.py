"""Board: every project by status, with its cruxes, latest run and due date; overdue flagged."""

import streamlit as st

from app.app_pages import common, tables
from cruxes import annotations, board, people
from cruxes.models import Card

ALL = None


def card_view(card: Card) -> None:
    with st.container(border=True):
        st.markdown(f"**{card.project_id} · {common.plain(card.title)}**")
        if card.overdue:
            st.markdown(f":red[**Overdue** — was due {card.due_date:%Y-%m-%d}]")
        elif card.due_date:
            st.caption(f"Due {card.due_date:%Y-%m-%d}")
        cruxes = "; ".join(f"{c.id} · {c.statement}" for c in card.cruxes) or "no cruxes"
        st.caption(f"Cruxes: {cruxes}")
        run = (
            f"Latest run {card.latest_run_id} ({card.latest_run_template}): "
            f"{card.latest_run_status}"
            if card.latest_run_id
            else "No runs yet"
        )
        st.caption(f"{card.assignee_name or 'Unassigned'} · {run}")
        if card.tags:
            st.caption(" ".join(f"`{t}`" for t in card.tags))


def render() -> None:
    common.page_title("board")
    store = common.get_store()
    everyone = people.list_people(store)
    mentor_col, scholar_col, tag_col = st.columns(3)
    mentor = mentor_col.selectbox(
        "Mentor",
        [ALL, *(p.name for p in everyone if p.role == "mentor")],
        format_func=lambda n: n or "— any —",
        key="board_mentor",
    )
    scholar = scholar_col.selectbox(
        "Scholar",
        [ALL, *(p.name for p in everyone if p.role == "scholar")],
        format_func=lambda n: n or "— any —",
        key="board_scholar",
    )
    tag = tag_col.selectbox(
        "Tag",
        [ALL, *annotations.all_tags(store)],
        format_func=lambda t: t or "— any —",
        key="board_tag",
    )
    result = board.board(store, mentor=mentor, scholar=scholar, tag=tag)
    overdue = [c for c in result.cards if c.overdue]
    if overdue:
        st.warning(
            f"{len(overdue)} overdue: " + ", ".join(f"{c.project_id} · {c.title}" for c in overdue),
            icon=":material/schedule:",
        )
    if not result.cards:
        st.info("No projects match.")
        return
    for status, column in zip(result.statuses, st.columns(len(result.statuses)), strict=True):
        with column:
            cards = result.column(status)
            st.markdown(f"#### {status.replace('_', ' ')} ({len(cards)})")
            for card in cards:
                card_view(card)
    st.subheader("All shown projects")
    tables.show_cards(result.cards)


with common.errors():
    render()
