"""The review queue: merge into a known crux, projects linked to cruxes, speakers."""

import pytest

from cruxes import beliefs, dialogues, people, review
from cruxes.errors import Conflict, InvalidInput, NotFound

FIRST = """\
Ana: I'm skeptical that SAE features are faithful to what the model computes; maybe 30%.
Ben: We could train a toy model with planted features and measure how many the SAE recovers.
"""
SECOND = """\
**Cleo:** I doubt that dictionary features are faithful to the model's own computation, 20%.
**Dev:** I think steering vectors beat prompting for refusal, very likely.
"""


def candidate(result, kind, speaker):
    return next(c for c in result.candidates if c.kind == kind and c.speaker == speaker)


def test_a_candidate_resembling_a_known_crux_can_be_merged_into_it(store):
    first = dialogues.import_dialogue(store, FIRST)
    crux = review.accept_candidate(store, candidate(first, "crux", "Ana").id)
    second = dialogues.import_dialogue(store, SECOND, add_speakers=True)
    cleo, dev = candidate(second, "crux", "Cleo"), candidate(second, "crux", "Dev")

    similar = review.similar_cruxes(store, [cleo.id, dev.id])
    assert [r.crux.id for r in similar[cleo.id]] == [crux.id]
    assert similar[dev.id] == []

    merged = review.merge_candidate(store, cleo.id, crux.id, record_credence=True)
    assert merged.id == crux.id and len(beliefs.list_cruxes(store)) == 1
    assert review.get_candidate(store, cleo.id).status == "merged"
    detail = beliefs.get_crux(store, crux.id)
    assert [(m.dialogue_id, m.speaker, m.status) for m in detail.mentions] == [
        (1, "Ana", "accepted"),
        (2, "Cleo", "merged"),
    ]
    [entry] = detail.history
    assert (entry.person_name, entry.value, entry.source, entry.dialogue_id) == (
        "Cleo",
        0.2,
        "dialogue",
        2,
    )
    with pytest.raises(Conflict, match="already merged"):
        review.reject_candidate(store, cleo.id)


def test_merge_refuses_projects_unknown_cruxes_and_missing_credences(store):
    first = dialogues.import_dialogue(store, FIRST)
    crux = review.accept_candidate(store, candidate(first, "crux", "Ana").id)
    second = dialogues.import_dialogue(store, SECOND)
    project = candidate(first, "project", "Ben")
    with pytest.raises(InvalidInput, match="is a project"):
        review.merge_candidate(store, project.id, crux.id)
    with pytest.raises(NotFound, match="No crux 99"):
        review.merge_candidate(store, candidate(second, "crux", "Cleo").id, 99)
    with pytest.raises(Conflict, match="not mapped to a person"):
        review.merge_candidate(
            store, candidate(second, "crux", "Cleo").id, crux.id, record_credence=True
        )
    assert review.get_candidate(store, candidate(second, "crux", "Cleo").id).status == "pending"


def test_a_project_candidate_becomes_a_project_linked_to_its_cruxes(store):
    first = dialogues.import_dialogue(store, FIRST)
    crux = review.accept_candidate(store, candidate(first, "crux", "Ana").id)
    project = review.accept_candidate(
        store,
        candidate(first, "project", "Ben").id,
        statement="Planted features",
        crux_ids=[crux.id],
    )
    assert (project.title, project.status, project.crux_ids) == (
        "Planted features",
        "proposed",
        [1],
    )
    assert beliefs.get_crux(store, crux.id).project_ids == [project.id]


def test_linking_a_project_to_an_unknown_crux_changes_nothing(store):
    first = dialogues.import_dialogue(store, FIRST)
    with pytest.raises(NotFound, match="No crux 7"):
        review.accept_candidate(store, candidate(first, "project", "Ben").id, crux_ids=[7])
    assert review.get_candidate(store, candidate(first, "project", "Ben").id).status == "pending"


def test_speakers_can_be_renamed_merged_and_mapped(store):
    people.add_person(store, "Ana Lopez", "mentor")
    text = (
        "Ana: I think linear probes suffice for detecting deception, 60%.\n"
        "A. Lopez: I doubt sparse autoencoders scale to frontier models, 30%.\nBen: Okay."
    )
    d = dialogues.import_dialogue(store, text).dialogue
    ana = next(c for c in dialogues.list_candidates(store, d.id) if c.speaker == "Ana")
    crux = review.accept_candidate(store, ana.id)

    d = dialogues.rename_speaker(store, d.id, "Ana", "Ana Lopez")
    assert d.speakers == {"A. Lopez": None, "Ana Lopez": None, "Ben": None}
    assert beliefs.get_crux(store, crux.id).crux.speaker == "Ana Lopez"
    d = dialogues.map_speaker(store, d.id, "Ana Lopez", "ana lopez")
    d = dialogues.merge_speakers(store, d.id, "A. Lopez", "Ana Lopez")
    assert d.speakers == {"Ana Lopez": "Ana Lopez", "Ben": None}
    assert [t.speaker for t in d.turns] == ["Ana Lopez", "Ana Lopez", "Ben"]
    assert {c.speaker for c in dialogues.list_candidates(store, d.id)} == {"Ana Lopez"}
    d = dialogues.map_speaker(store, d.id, "Ana Lopez", None)
    assert d.speakers["Ana Lopez"] is None


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        (lambda s: dialogues.rename_speaker(s, 1, "Ana", "Ben"), Conflict, "already has a speaker"),
        (lambda s: dialogues.rename_speaker(s, 1, "Zed", "Z"), NotFound, "no speaker 'Zed'"),
        (lambda s: dialogues.rename_speaker(s, 1, "Ana", "  "), InvalidInput, "speaker name"),
        (lambda s: dialogues.rename_speaker(s, 9, "Ana", "A"), NotFound, "No dialogue 9"),
        (lambda s: dialogues.merge_speakers(s, 1, "Ana", "Ana"), InvalidInput, "merging into"),
        (lambda s: dialogues.merge_speakers(s, 1, "Ana", "Ben"), Conflict, "same person"),
        (lambda s: dialogues.map_speaker(s, 1, "Ana", "Nobody"), NotFound, "No person"),
    ],
)
def test_bad_speaker_edits_are_refused_and_change_nothing(store, action, error, message):
    people.add_person(store, "Ana", "mentor")
    people.add_person(store, "Ben", "scholar")
    dialogues.import_dialogue(store, "Ana: I think so.\nBen: I doubt it.", add_speakers=True)
    with pytest.raises(error, match=message):
        action(store)
    d = dialogues.get_dialogue(store, 1)
    assert d.speakers == {"Ana": "Ana", "Ben": "Ben"}
    assert [t.speaker for t in d.turns] == ["Ana", "Ben"]
