"""Dialogues page: import a transcript (pasted or uploaded) and review its candidates."""

from __future__ import annotations

import pytest

from cruxes import beliefs, dialogues, people, projects, review
from cruxes.formats import NO_SPEAKERS

TRANSCRIPT = """\
Ada: I think SAEs find real features in small models; I'd bet 60% they recover planted ones.
Ben: I'm skeptical that those features are faithful to what the model computes.
Ada: We could train a toy model with planted features and measure how many the SAE recovers.
"""


def test_paste_import_then_accept_and_reject(home, store, open_page, click):
    at = open_page("dialogues")
    at.text_area(key="paste_text").input(TRANSCRIPT)
    at.text_input(key="paste_title").input("SAE features")
    at.checkbox(key="paste_add_speakers").check()
    click(at, "Import pasted dialogue")

    [row] = dialogues.list_dialogues(store)
    assert (row["id"], row["title"], row["n_turns"]) == (1, "SAE features", 3)
    assert (
        at.success[0].value == "Imported dialogue 1 (SAE features, plain): 3 turns, 3 candidates."
    )
    assert [(p.name, p.role) for p in people.list_people(store)] == [
        ("Ada", "scholar"),
        ("Ben", "scholar"),
    ]
    pending = dialogues.list_candidates(store, 1, "pending")
    stated = next(c for c in pending if c.kind == "crux" and c.credence is not None)
    doubt = next(c for c in pending if c.kind == "crux" and c.speaker == "Ben")
    assert stated.credence == 0.6

    at.text_area(key=f"statement_{stated.id}").input("SAEs recover planted features.")
    at.checkbox(key=f"record_{stated.id}").check()
    at.button(key=f"accept_{stated.id}").click().run()
    assert not at.exception and not at.error
    [crux] = beliefs.list_cruxes(store)
    assert (crux.statement, crux.speaker, crux.dialogue_id) == (
        "SAEs recover planted features.",
        "Ada",
        1,
    )
    detail = beliefs.get_crux(store, crux.id)
    assert detail.current == {"Ada": 0.6}
    assert [h.source for h in detail.history] == ["dialogue"]

    at.button(key=f"reject_{doubt.id}").click().run()
    assert not at.exception and not at.error
    statuses = {c.id: c.status for c in dialogues.list_candidates(store, 1)}
    assert (statuses[stated.id], statuses[doubt.id]) == ("accepted", "rejected")
    assert f"statement_{doubt.id}" not in [w.key for w in at.text_area]


def test_upload_imports_a_text_file(home, store, open_page, click):
    at = open_page("dialogues")
    at.file_uploader(key="upload_file").set_value(
        ("sae.txt", TRANSCRIPT.encode("utf-8-sig"), "text/plain")
    )
    click(at, "Import uploaded dialogue")
    assert not at.error
    [row] = dialogues.list_dialogues(store)
    assert (row["title"], row["n_turns"]) == ("Dialogue: Ada & Ben", 3)


def test_text_without_speakers_imports_as_one_author_with_a_notice(home, store, open_page, click):
    at = open_page("dialogues")
    text = b"Probes fail on rare behaviours, because labelled examples are scarce.\n"
    at.file_uploader(key="upload_file").set_value(("post.txt", text, "text/plain"))
    click(at, "Import uploaded dialogue")
    assert not at.error
    assert [w.value for w in at.warning] == [NO_SPEAKERS]
    [row] = dialogues.list_dialogues(store)
    assert row["title"] == "Dialogue: Author"
    # The Speakers panel, where "Author" is renamed, opens by itself.
    [speakers] = [e for e in at.expander if e.label.startswith("Speakers")]
    assert speakers.proto.expanded


def test_the_page_names_its_own_fields_never_cli_flags(home, store, open_page, click):
    at = open_page("dialogues")
    at.text_area(key="paste_text").input(TRANSCRIPT)
    at.selectbox(key="paste_format").set_value("markdown")
    click(at, "Import pasted dialogue")
    [error] = [e.value for e in at.error]
    assert error.startswith("No turns found in markdown format")
    assert "--" not in error and "cruxlab" not in error

    # Ada stated 60% but is no person yet: the page says where to map her, not a command.
    at.selectbox(key="paste_format").set_value("auto")
    click(at, "Import pasted dialogue")
    stated = next(c for c in dialogues.list_candidates(store, 1) if c.credence is not None)
    assert f"record_{stated.id}" not in [w.key for w in at.checkbox]
    assert (
        "To record Ada's stated credence, map the speaker to a person under *Speakers* first."
        in [c.value for c in at.caption]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks binary"),
        (b"Ada: caf\xe9 is \xff not UTF-8", "is not UTF-8 text"),
        (b"   \n", "The transcript is empty."),
        (b"Link to original article\nView more\n", "No text is left"),
    ],
)
def test_bad_upload_shows_an_error_and_writes_nothing(
    home, store, open_page, click, content, message
):
    at = open_page("dialogues")
    at.file_uploader(key="upload_file").set_value(("bad.txt", content, "text/plain"))
    click(at, "Import uploaded dialogue")
    assert [e.value for e in at.error] and message in at.error[0].value
    assert dialogues.list_dialogues(store) == []


LESSWRONG = """\
Ana

I doubt that sparse autoencoder features are faithful to the model's computation, maybe 20%.

Ben

We could train a toy model with planted features and measure how many the SAE recovers.
"""


def test_merge_a_candidate_into_a_known_crux_and_link_a_project(home, store, open_page, click):
    first = dialogues.import_dialogue(store, TRANSCRIPT)
    known = next(c for c in first.candidates if c.kind == "crux" and c.speaker == "Ben")
    crux = review.accept_candidate(store, known.id, statement="SAE features are faithful.")
    people.add_person(store, "Ana", "scholar")

    at = open_page("dialogues")
    at.text_area(key="paste_text").input(LESSWRONG)
    click(at, "Import pasted dialogue")
    assert at.success[0].value.startswith("Imported dialogue 2 (Dialogue: Ana & Ben, lesswrong)")
    pending = {c.kind: c for c in dialogues.list_candidates(store, 2, "pending")}
    doubt, project = pending["crux"], pending["project"]
    assert at.radio(key=f"merge_target_{doubt.id}").options == [
        f"crux {crux.id} · SAE features are faithful."
    ]
    assert at.multiselect(key=f"links_{project.id}").value == [crux.id]

    at.checkbox(key=f"record_{doubt.id}").check()
    at.button(key=f"merge_{doubt.id}").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == f"Merged candidate {doubt.id} into crux {crux.id}."
    detail = beliefs.get_crux(store, crux.id)
    assert [(m.speaker, m.status) for m in detail.mentions] == [
        ("Ben", "accepted"),
        ("Ana", "merged"),
    ]
    assert detail.current == {"Ana": 0.2}

    at.button(key=f"accept_{project.id}").click().run()
    assert not at.exception and not at.error
    [made] = projects.list_projects(store)
    assert made.crux_ids == [crux.id]
    [transcript] = at.get("html")
    assert transcript.proto.body.count('<mark class="accepted"') == 2
    assert '<mark class="pending"' not in transcript.proto.body


def test_pending_quotes_are_highlighted_and_speakers_can_be_renamed_and_mapped(
    home, store, open_page, click
):
    people.add_person(store, "Ada Lovelace", "mentor")
    dialogues.import_dialogue(store, TRANSCRIPT)
    at = open_page("dialogues")
    [transcript] = at.get("html")
    assert transcript.proto.body.count('<mark class="pending"') == 3

    at.selectbox(key="speaker_label").set_value("Ada")
    at.text_input(key="speaker_new").input("Ada L.")
    click(at, "Rename")
    assert at.success[0].value == "Renamed Ada to 'Ada L.'."
    at.selectbox(key="speaker_label").set_value("Ada L.")
    at.selectbox(key="speaker_person").set_value("Ada Lovelace")
    click(at, "Map to person")
    assert dialogues.get_dialogue(store, 1).speakers == {"Ada L.": "Ada Lovelace", "Ben": None}

    at.selectbox(key="speaker_label").set_value("Ben")
    at.text_input(key="speaker_new").input("Ada L.")
    click(at, "Rename")
    assert at.error[0].value.startswith("Dialogue 1 already has a speaker 'Ada L.'")
    assert "<b>Ben:</b>" in at.get("html")[0].proto.body
