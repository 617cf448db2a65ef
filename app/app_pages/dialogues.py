"""Dialogues: import a transcript, read it with its quotes highlighted, and review candidates."""

import math
from html import escape

import pandas as pd
import streamlit as st

from app.app_pages import common
from cruxes import beliefs, dialogues, people, review
from cruxes.errors import InvalidInput
from cruxes.formats import AUTHOR, FORMATS
from cruxes.models import Candidate, Dialogue

MARK_STYLE = {"accepted": "background:#c8f0c8", "pending": "background:#fff2a8"}


def import_section() -> None:
    st.subheader("Import a dialogue")
    st.caption(
        "Plain `Name: text` transcripts (timestamps and section headings are fine), "
        "LessWrong-style dialogues (a name alone on a line above their paragraphs), "
        "Markdown with `**Name**` or `### Name` headers, HTML exports of these, or a "
        "post by one author (name them below). Candidate cruxes and projects are "
        "extracted with verbatim quotes; nothing becomes a crux until you accept it."
    )
    paste_tab, upload_tab = st.tabs(["Paste", "Upload"])
    with paste_tab, st.form("import_paste"):
        text = st.text_area(
            "Transcript", height=200, key="paste_text", placeholder="Mara: I'm skeptical that …"
        )
        options = _import_options("paste")
        if st.form_submit_button("Import pasted dialogue", type="primary"):
            with common.errors():
                _import(text, *options)
    with upload_tab, st.form("import_upload"):
        # The browser refuses a larger file before sending it (whole megabytes); the page
        # checks the exact limit by size before reading a byte.
        upload = st.file_uploader(
            "Transcript file", key="upload_file", max_upload_size=math.ceil(dialogues.max_mb())
        )
        options = _import_options("upload")
        if st.form_submit_button("Import uploaded dialogue", type="primary"):
            with common.errors():
                if upload is None:
                    raise InvalidInput("Choose a transcript file to upload first.")
                _import(dialogues.read_limited(upload, upload.name, upload.size), *options)


def _import_options(key: str) -> tuple[str, bool, str, str]:
    title = st.text_input(
        "Title (optional)", key=f"{key}_title", help="Default: the speakers' names."
    )
    left, right = st.columns(2)
    fmt = left.selectbox(
        "Format", FORMATS, key=f"{key}_format", help="auto detects the format from the text."
    )
    speaker = right.text_input(
        "Single author (optional)",
        key=f"{key}_speaker",
        help="For a post by one person: their name; the whole text becomes theirs.",
    )
    add_speakers = st.checkbox(
        "Add speakers as people",
        key=f"{key}_add_speakers",
        help="Create a scholar for each speaker who is not a person yet.",
    )
    return title, add_speakers, fmt, speaker


def _import(text: str, title: str, add_speakers: bool, fmt: str, speaker: str) -> None:
    result = dialogues.import_dialogue(
        common.get_store(),
        text,
        title=title or None,
        add_speakers=add_speakers,
        fmt=fmt,
        speaker=speaker or None,
        actor=common.current_person(),
    )
    d = result.dialogue
    common.choose("dialogue", d.id)
    if not result.created:
        common.done(f"This transcript was already imported as dialogue {d.id} ({d.title}).")
    dropped = f" Dropped {result.dropped} whose quote was not verbatim." if result.dropped else ""
    common.done(
        f"Imported dialogue {d.id} ({d.title}, {d.format}): {len(d.turns)} turns, "
        f"{len(result.candidates)} candidates.{dropped}",
        warning=" ".join(result.notices) or None,
    )


def transcript_section(d: Dialogue) -> None:
    store = common.get_store()
    st.subheader("Transcript")
    st.caption(
        f"{len(d.turns)} turns · {d.format} · imported {d.created_at:%Y-%m-%d %H:%M} · "
        "highlighted: accepted quotes in green, pending ones in yellow"
    )
    html = []
    for turn, pieces in dialogues.marked_turns(store, d.id):
        body = "".join(
            f'<mark class="{mark}" style="{MARK_STYLE[mark]}">{escape(text)}</mark>'
            if mark
            else escape(text)
            for text, mark in pieces
        )
        html.append(
            f'<p style="white-space:pre-wrap;margin:0 0 .7em 0">'
            f"<b>{escape(turn.speaker)}:</b> {body}</p>"
        )
    with st.container(height=560):
        st.html("".join(html))
    speakers_section(d)


def speakers_section(d: Dialogue) -> None:
    # Open for text imported as one unnamed author: the place to say who wrote it.
    with st.expander("Speakers: rename, merge, map to people", expanded=AUTHOR in d.speakers):
        st.dataframe(
            pd.DataFrame(
                [{"speaker": s, "person": p or "—"} for s, p in d.speakers.items()],
                columns=["speaker", "person"],
            ),
            hide_index=True,
        )
        labels = list(d.speakers)
        everyone = [p.name for p in people.list_people(common.get_store())]
        with st.form("speaker_edit"):
            label = st.selectbox("Speaker", labels, key="speaker_label")
            new = st.text_input("New name, or the speaker to merge into", key="speaker_new")
            person = st.selectbox(
                "Person", ["(nobody)", *everyone], key="speaker_person", help="Who this speaker is."
            )
            rename_col, merge_col, map_col = st.columns(3)
            store = common.get_store()
            if rename_col.form_submit_button("Rename"):
                with common.errors():
                    dialogues.rename_speaker(store, d.id, label, new, actor=common.current_person())
                    common.done(f"Renamed {label} to {new.strip()!r}.")
            if merge_col.form_submit_button("Merge"):
                with common.errors():
                    dialogues.merge_speakers(
                        store, d.id, label, new.strip(), actor=common.current_person()
                    )
                    common.done(f"Merged {label} into {new.strip()!r}.")
            if map_col.form_submit_button("Map to person"):
                with common.errors():
                    who = None if person == "(nobody)" else person
                    dialogues.map_speaker(store, d.id, label, who, actor=common.current_person())
                    common.done(f"{label} is now {who or 'nobody'}.")


def review_section(d: Dialogue) -> None:
    store = common.get_store()
    pending = dialogues.list_candidates(store, d.id, "pending")
    st.subheader(f"Candidates to review ({len(pending)})")
    if not pending:
        st.info("Nothing left to review in this dialogue.")
        return
    similar = review.similar_cruxes(store, [c.id for c in pending])
    cruxes = {c.id: c.statement for c in beliefs.list_cruxes(store)}
    for c in pending:
        candidate_form(c, similar[c.id], cruxes, mapped=d.speakers.get(c.speaker) is not None)


def candidate_form(c: Candidate, similar, cruxes: dict[int, str], *, mapped: bool) -> None:
    stance = f" · {c.stance}" if c.stance else ""
    stated = f" · stated credence {c.credence:.2f}" if c.credence is not None else ""
    with st.form(f"candidate_{c.id}"):
        st.markdown(
            f"**{c.kind.capitalize()}** · {common.plain(c.speaker)}{stance}{stated} · "
            f"score {c.score:g}"
        )
        st.markdown(f"> {common.plain(c.quote)}")
        label = "Project title" if c.kind == "project" else "Crux statement"
        statement = st.text_area(
            label,
            value=c.summary,
            key=f"statement_{c.id}",
            help="Edit the wording before you accept it.",
            height="content",
        )
        record = False
        if c.kind == "crux" and c.credence is not None and mapped:
            record = st.checkbox(
                f"Record {c.speaker}'s stated credence ({c.credence:.2f})",
                key=f"record_{c.id}",
                help="Recorded as that person's credence, with this dialogue as its source.",
            )
        elif c.kind == "crux" and c.credence is not None:
            st.caption(
                f"To record {common.plain(c.speaker)}'s stated credence, map the speaker to a "
                "person under *Speakers* first."
            )
        links: list[int] = []
        if c.kind == "project" and cruxes:
            links = st.multiselect(
                "Cruxes this project informs",
                list(cruxes),
                default=[r.crux.id for r in similar],
                format_func=lambda i: f"{i} · {cruxes[i]}",
                key=f"links_{c.id}",
            )
        merge_into = None
        if c.kind == "crux" and similar:
            st.caption("Resembles known cruxes:")
            merge_into = st.radio(
                "Merge into",
                [r.crux.id for r in similar],
                format_func=lambda i: f"crux {i} · {cruxes[i]}",
                key=f"merge_target_{c.id}",
                label_visibility="collapsed",
            )
        # Buttons as wide as their labels, on one line while they fit.
        buttons = st.container(horizontal=True)
        accept = buttons.form_submit_button("Accept", type="primary", key=f"accept_{c.id}")
        merge = merge_into is not None and buttons.form_submit_button(
            "Merge into existing", key=f"merge_{c.id}"
        )
        reject = buttons.form_submit_button("Reject", key=f"reject_{c.id}")
    store = common.get_store()
    if accept:
        with common.errors():
            made = review.accept_candidate(
                store,
                c.id,
                statement=statement,
                record_credence=record,
                crux_ids=links,
                actor=common.current_person(),
            )
            common.done(f"Accepted candidate {c.id} as {c.kind} {made.id}.")
    if merge:
        with common.errors():
            crux = review.merge_candidate(
                store, c.id, merge_into, record_credence=record, actor=common.current_person()
            )
            common.done(f"Merged candidate {c.id} into crux {crux.id}.")
    if reject:
        with common.errors():
            review.reject_candidate(store, c.id, actor=common.current_person())
            common.done(f"Rejected candidate {c.id}.")


def render() -> None:
    common.page_title("dialogues")
    common.show_flash()
    import_section()
    st.divider()
    rows = dialogues.list_dialogues(common.get_store())
    st.subheader("Imported dialogues")
    if not rows:
        st.info("No dialogues yet: import one above.")
        return
    common.table(
        pd.DataFrame(rows)[
            ["id", "title", "format", "n_turns", "n_pending", "n_chars", "created_at"]
        ],
        wrap={"title": 320},
        column_config={
            "n_turns": st.column_config.NumberColumn("turns"),
            "n_pending": st.column_config.NumberColumn("to review", help="Pending candidates."),
            "n_chars": st.column_config.NumberColumn("characters"),
            "created_at": st.column_config.DatetimeColumn("imported", format=common.TIME_FORMAT),
        },
    )
    titles = {r["id"]: r["title"] for r in rows}
    dialogue_id = common.pick(
        "Dialogue",
        list(titles),
        key="dialogue",
        default=rows[-1]["id"],
        format_func=lambda i: f"{i} · {titles[i]}",
    )
    d = dialogues.get_dialogue(common.get_store(), dialogue_id)
    left, right = st.columns(2, gap="large")
    with left:
        transcript_section(d)
    with right:
        review_section(d)


with common.errors():
    render()
