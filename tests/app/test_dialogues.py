"""Dialogues page: import a transcript (pasted or uploaded) and review its candidates."""

from __future__ import annotations

import pytest

from cruxes import beliefs, dialogues, people

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
    assert at.success[0].value.startswith("Imported dialogue 1 (SAE features): 3 turns")
    assert [(p.name, p.role) for p in people.list_people(store)] == [
        ("Ada", "scholar"),
        ("Ben", "scholar"),
    ]
    pending = dialogues.list_candidates(store, 1, "pending")
    stated = next(c for c in pending if c.kind == "crux" and c.credence is not None)
    doubt = next(c for c in pending if c.kind == "crux" and c.speaker == "Ben")
    assert stated.credence == 0.6

    at.text_input(key=f"statement_{stated.id}").input("SAEs recover planted features.")
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
    assert f"statement_{doubt.id}" not in [w.key for w in at.text_input]


def test_upload_imports_a_text_file(home, store, open_page, click):
    at = open_page("dialogues")
    at.file_uploader(key="upload_file").set_value(
        ("sae.txt", TRANSCRIPT.encode("utf-8-sig"), "text/plain")
    )
    click(at, "Import uploaded dialogue")
    assert not at.error
    [row] = dialogues.list_dialogues(store)
    assert (row["title"], row["n_turns"]) == ("Dialogue: Ada & Ben", 3)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks binary"),
        (b"Ada: caf\xe9 is \xff not UTF-8", "is not UTF-8 text"),
        (b"   \n", "The transcript is empty."),
        (b"no speakers in this text at all", "No dialogue turns found"),
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
