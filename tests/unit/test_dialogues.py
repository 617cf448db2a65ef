"""Transcript parsing, import, extraction and review."""

import pytest

from cruxes import beliefs, dialogues, people, review
from cruxes.errors import Conflict, InvalidInput
from cruxes.extract import CandidateOut, ExtractionResult, extract_rules, verify_quotes
from cruxes.formats import NO_SPEAKERS, parse
from cruxes.models import Turn

TRANSCRIPT = """\
Ana: I think linear probes will never detect deception in practice, maybe 20%.
Ben: I disagree.
This continues Ben's turn. We could test whether a probe beats a keyword baseline on a
model with a planted backdoor.
Ana: Fine.
"""


def test_turns_have_speakers_and_exact_offsets():
    turns = parse(TRANSCRIPT).turns
    assert [t.speaker for t in turns] == ["Ana", "Ben", "Ana"]
    assert TRANSCRIPT[turns[0].start : turns[0].end].startswith("I think linear probes")
    assert TRANSCRIPT[turns[1].start : turns[1].end] == (
        "I disagree.\nThis continues Ben's turn. We could test whether a probe beats a keyword "
        "baseline on a\nmodel with a planted backdoor."
    )
    assert TRANSCRIPT[turns[2].start : turns[2].end] == "Fine."


def test_import_stores_turns_and_verbatim_candidates(store):
    result = dialogues.import_dialogue(store, TRANSCRIPT, title="Probes")
    d = result.dialogue
    assert (d.title, len(d.turns), result.created) == ("Probes", 3, True)
    assert d.speakers == {"Ana": None, "Ben": None}
    kinds = {(c.kind, c.speaker) for c in result.candidates}
    assert kinds == {("crux", "Ana"), ("project", "Ben")}
    for c in result.candidates:
        assert d.text[c.start_offset : c.end_offset] == c.quote
    crux = next(c for c in result.candidates if c.kind == "crux")
    assert (crux.stance, crux.credence) == ("against", 0.2)


def test_reimport_is_detected_and_adds_nothing(store):
    first = dialogues.import_dialogue(store, TRANSCRIPT)
    again = dialogues.import_dialogue(store, TRANSCRIPT.replace("\n", "\r\n") + "\n\n")
    assert not again.created
    assert again.dialogue.id == first.dialogue.id
    assert len(dialogues.list_dialogues(store)) == 1
    assert len(dialogues.list_candidates(store)) == len(first.candidates)


def test_speakers_become_people_on_request(store):
    people.add_person(store, "Ana", "mentor")
    d = dialogues.import_dialogue(store, TRANSCRIPT, add_speakers=True).dialogue
    assert d.speakers == {"Ana": "Ana", "Ben": "Ben"}
    assert {(p.name, p.role) for p in people.list_people(store)} == {
        ("Ana", "mentor"),
        ("Ben", "scholar"),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("Link to original article\nView more\n", "No text is left"),
        ("Ana: hi\x00there", "binary"),
    ],
)
def test_bad_transcripts_are_refused_and_nothing_written(store, text, message):
    with pytest.raises(InvalidInput, match=message):
        dialogues.import_dialogue(store, text)
    assert dialogues.list_dialogues(store) == []


def test_text_without_speakers_is_one_author_with_a_notice_and_can_be_renamed(store):
    text = "Probes fail on rare behaviours, because labelled examples are scarce.\n"
    result = dialogues.import_dialogue(store, text)
    assert (result.notices, result.dialogue.speakers) == ([NO_SPEAKERS], {"Author": None})
    assert [(c.kind, c.speaker) for c in result.candidates] == [("crux", "Author")]
    renamed = dialogues.rename_speaker(store, result.dialogue.id, "Author", "Dana")
    assert [t.speaker for t in renamed.turns] == ["Dana"]
    assert [c.speaker for c in dialogues.list_candidates(store, renamed.id)] == ["Dana"]


def test_twenty_thousand_speakers_are_stored_with_their_people(store):
    people.add_person(store, "speaker 7", "mentor")  # matched whatever the case
    text = "".join(f"Speaker {i}: ok\n" for i in range(20_000))  # too short to extract from
    d = dialogues.import_dialogue(store, text, add_speakers=True).dialogue
    assert len(d.turns) == len(d.speakers) == 20_000
    assert (d.turns[12_345].speaker, d.turns[12_345].text) == ("Speaker 12345", "ok")
    assert (d.speakers["Speaker 7"], d.speakers["Speaker 19999"]) == ("speaker 7", "Speaker 19999")
    everyone = people.list_people(store)
    assert len(everyone) == 20_000
    assert {p.role for p in everyone if p.name != "speaker 7"} == {"scholar"}


def test_oversized_and_non_text_files_are_refused(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    big.write_text("Ana: " + "x" * 100)
    monkeypatch.setenv("CRUXLAB_MAX_DIALOGUE_MB", "0.00005")  # 52 bytes
    with pytest.raises(InvalidInput, match="larger than 5e-05 MB; split it, or raise"):
        dialogues.read_text_file(big)
    with pytest.raises(InvalidInput, match="The transcript is larger than"):
        dialogues.check_text("Ana: " + "x" * 100)
    monkeypatch.setenv("CRUXLAB_MAX_DIALOGUE_MB", "lots")
    with pytest.raises(InvalidInput, match="must be a positive number of megabytes"):
        dialogues.read_text_file(big)
    monkeypatch.delenv("CRUXLAB_MAX_DIALOGUE_MB")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Ana: caf\xe9".encode("latin-1"))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        dialogues.read_text_file(latin)
    with pytest.raises(InvalidInput, match="No readable file"):
        dialogues.read_text_file(tmp_path / "missing.txt")


def test_accepting_a_candidate_keeps_its_provenance(store):
    result = dialogues.import_dialogue(store, TRANSCRIPT)
    cand = next(c for c in result.candidates if c.kind == "crux")
    crux = review.accept_candidate(store, cand.id, statement="Probes detect deception.")
    assert (crux.statement, crux.dialogue_id, crux.speaker) == (
        "Probes detect deception.",
        result.dialogue.id,
        "Ana",
    )
    assert crux.quote == cand.quote
    assert (crux.quote_start, crux.quote_end) == (cand.start_offset, cand.end_offset)
    with pytest.raises(Conflict, match="already accepted"):
        review.reject_candidate(store, cand.id)


def test_accepting_a_project_candidate_creates_a_proposed_project(store):
    result = dialogues.import_dialogue(store, TRANSCRIPT)
    cand = next(c for c in result.candidates if c.kind == "project")
    project = review.accept_candidate(store, cand.id, statement="Probe vs keyword baseline")
    assert (project.title, project.status, project.summary) == (
        "Probe vs keyword baseline",
        "proposed",
        cand.quote,
    )


def test_stated_credence_is_recorded_with_the_dialogue_as_source(store):
    result = dialogues.import_dialogue(store, TRANSCRIPT)
    cand = next(c for c in result.candidates if c.kind == "crux")
    with pytest.raises(Conflict, match="not mapped to a person"):
        review.accept_candidate(store, cand.id, record_credence=True)
    assert beliefs.list_cruxes(store) == []  # the refused accept changed nothing
    people.add_person(store, "Ana", "mentor")
    second = dialogues.import_dialogue(
        store, "Ana: I doubt SAEs scale, maybe 30%.", add_speakers=True
    )
    [c] = second.candidates
    crux = review.accept_candidate(store, c.id, record_credence=True)
    [entry] = beliefs.get_crux(store, crux.id).history
    assert (entry.person_name, entry.value, entry.source, entry.dialogue_id) == (
        "Ana",
        0.3,
        "dialogue",
        second.dialogue.id,
    )


def test_rejected_candidates_stay_listed_as_rejected(store):
    result = dialogues.import_dialogue(store, TRANSCRIPT)
    review.reject_candidate(store, result.candidates[0].id)
    statuses = [c.status for c in dialogues.list_candidates(store, result.dialogue.id)]
    assert sorted(statuses) == ["pending", "rejected"]


def test_quotes_that_are_not_verbatim_are_dropped():
    text = "Ana: SAEs are useful."
    good = CandidateOut(
        kind="crux",
        speaker="Ana",
        quote="SAEs are useful.",
        start_offset=5,
        end_offset=21,
        summary="SAEs are useful",
        score=1,
    )
    bad = good.model_copy(update={"quote": "SAEs are very useful."})
    kept, dropped = verify_quotes(text, ExtractionResult(cruxes=[good, bad]))
    assert (kept.cruxes, dropped) == ([good], 1)


def test_rule_extractor_reads_stance_and_credence():
    text = (
        "Ben: I'm not sure sparse autoencoders will scale to frontier models.\n"
        "Ana: Very likely they help auditors find hidden goals in deployed models."
    )
    turns = [
        Turn(idx=i, speaker=t.speaker, start=t.start, end=t.end, text=text[t.start : t.end])
        for i, t in enumerate(parse(text).turns)
    ]
    result = extract_rules(text, turns)
    in_order = sorted(result.cruxes, key=lambda c: c.start_offset)
    assert [(c.speaker, c.stance, c.credence) for c in in_order] == [
        ("Ben", "unsure", None),
        ("Ana", "for", 0.9),
    ]
