"""Dialogues: import a transcript, read it, and review the candidates extracted from it."""

import pandas as pd
import streamlit as st

from app.app_pages import common
from cruxes import dialogues, review
from cruxes.errors import InvalidInput
from cruxes.models import Candidate


def import_section() -> None:
    st.subheader("Import a dialogue")
    st.caption(
        "A transcript with lines like `Name: what they said`. Candidate cruxes and "
        "projects are extracted with their verbatim quotes; nothing becomes a crux "
        "until you accept it."
    )
    paste_tab, upload_tab = st.tabs(["Paste", "Upload"])
    with paste_tab, st.form("import_paste"):
        text = st.text_area(
            "Transcript", height=200, key="paste_text", placeholder="Mara: I'm skeptical that …"
        )
        title, add_speakers = _import_options("paste")
        if st.form_submit_button("Import pasted dialogue", type="primary"):
            with common.errors():
                _import(text, title, add_speakers)
    with upload_tab, st.form("import_upload"):
        upload = st.file_uploader("Transcript file", key="upload_file")
        title, add_speakers = _import_options("upload")
        if st.form_submit_button("Import uploaded dialogue", type="primary"):
            with common.errors():
                if upload is None:
                    raise InvalidInput("Choose a transcript file to upload first.")
                _import(dialogues.decode_text(upload.getvalue(), upload.name), title, add_speakers)


def _import_options(key: str) -> tuple[str, bool]:
    title = st.text_input(
        "Title (optional)", key=f"{key}_title", help="Default: the speakers' names."
    )
    add_speakers = st.checkbox(
        "Add speakers as people",
        key=f"{key}_add_speakers",
        help="Create a scholar for each speaker who is not a person yet.",
    )
    return title, add_speakers


def _import(text: str, title: str, add_speakers: bool) -> None:
    result = dialogues.import_dialogue(
        common.get_store(), text, title=title or None, add_speakers=add_speakers
    )
    d = result.dialogue
    common.choose("dialogue", d.id)
    if not result.created:
        common.done(f"This transcript was already imported as dialogue {d.id} ({d.title}).")
    common.done(
        f"Imported dialogue {d.id} ({d.title}): {len(d.turns)} turns, "
        f"{len(result.candidates)} candidates."
    )


def transcript_section(dialogue_id: int) -> None:
    d = dialogues.get_dialogue(common.get_store(), dialogue_id)
    mapping = ", ".join(f"{s} → {p or 'no person'}" for s, p in d.speakers.items())
    st.subheader("Transcript")
    st.caption(
        f"{len(d.turns)} turns · imported {d.created_at:%Y-%m-%d %H:%M} · speakers: {mapping}"
    )
    with st.container(height=640):
        for turn in d.turns:
            st.markdown(f"**{common.plain(turn.speaker)}:** {common.plain(turn.text)}")


def review_section(dialogue_id: int) -> None:
    store = common.get_store()
    pending = dialogues.list_candidates(store, dialogue_id, "pending")
    st.subheader(f"Candidates to review ({len(pending)})")
    if not pending:
        st.info("No pending candidates in this dialogue.")
    for c in pending:
        candidate_card(c)
    reviewed = [c for c in dialogues.list_candidates(store, dialogue_id) if c.status != "pending"]
    if reviewed:
        with st.expander(f"Reviewed candidates ({len(reviewed)})"):
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "id": c.id,
                            "kind": c.kind,
                            "status": c.status,
                            "speaker": c.speaker,
                            "became": f"crux {c.crux_id}"
                            if c.crux_id
                            else (f"project {c.project_id}" if c.project_id else ""),
                            "quote": c.quote,
                        }
                        for c in reviewed
                    ]
                ),
                hide_index=True,
            )


def candidate_card(c: Candidate) -> None:
    with st.container(border=True):
        facts = [f"candidate {c.id}", c.kind, c.speaker, f"score {c.score:g}"]
        if c.stance:
            facts.append(f"stance: {c.stance}")
        if c.credence is not None:
            facts.append(f"stated credence {c.credence:.2f}")
        st.caption(" · ".join(facts))
        st.markdown(f"> {common.plain(c.quote)}")
        with st.form(f"candidate_{c.id}"):
            label = "Project title" if c.kind == "project" else "Crux statement"
            statement = st.text_input(
                label,
                value=c.summary,
                key=f"statement_{c.id}",
                help="Edit the wording before you accept it.",
            )
            record = False
            if c.kind == "crux" and c.credence is not None:
                record = st.checkbox(
                    f"Record {c.speaker}'s stated credence ({c.credence:.2f})",
                    key=f"record_{c.id}",
                    help="Recorded as that person's credence, with this dialogue as its source.",
                )
            accept_col, reject_col = st.columns(2)
            accept = accept_col.form_submit_button("Accept", type="primary", key=f"accept_{c.id}")
            reject = reject_col.form_submit_button("Reject", key=f"reject_{c.id}")
            if accept:
                with common.errors():
                    made = review.accept_candidate(
                        common.get_store(), c.id, statement=statement, record_credence=record
                    )
                    kind = "project" if c.kind == "project" else "crux"
                    common.done(f"Accepted candidate {c.id} as {kind} {made.id}.")
            if reject:
                with common.errors():
                    review.reject_candidate(common.get_store(), c.id)
                    common.done(f"Rejected candidate {c.id}.")


def render() -> None:
    st.title("Dialogues")
    common.show_flash()
    import_section()
    st.divider()
    rows = dialogues.list_dialogues(common.get_store())
    st.subheader("Imported dialogues")
    if not rows:
        st.info("No dialogues yet: import one above.")
        return
    st.dataframe(
        pd.DataFrame(rows)[["id", "title", "n_turns", "n_pending", "n_chars", "created_at"]],
        hide_index=True,
    )
    titles = {r["id"]: r["title"] for r in rows}
    dialogue_id = common.pick(
        "Dialogue",
        list(titles),
        key="dialogue",
        default=rows[-1]["id"],
        format_func=lambda i: f"{i} · {titles[i]}",
    )
    left, right = st.columns(2, gap="large")
    with left:
        transcript_section(dialogue_id)
    with right:
        review_section(dialogue_id)


with common.errors():
    render()
