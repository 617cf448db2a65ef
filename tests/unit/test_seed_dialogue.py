"""The seed dialogue (../shared/seed/, a text-to-speech rendering of a LessWrong
dialogue with no speaker names) through the real import path: the claims and
project ideas a reader sees at once are candidates, worded so a person can
accept them as written."""

import re

import pytest

from cruxes import dialogues
from cruxes.formats import NO_SPEAKERS
from cruxes.workspace import open_store
from tests.evaluation import require_shared

# What a reader lists at once (issue 11), with the words that find each one's quote.
CLAIMS = {
    "current work seems very far from being useful": ["very far from being useful"],
    "current work fails to explain much of the performance of models": [
        "fails to explain much of the performance of models"
    ],
    "no plausible story for auditing for deception": [
        "There isn't a story",
        "plausible",
        "auditing for deception",
    ],
    "mech interp seems a reasonable bet": ["mech interp seems like a reasonable bet"],
    "maybe it's close to stuff which is great": ["close to stuff which is great"],
}
PROJECTS = {
    "directly measure and iterate on key metrics of usefulness": [
        "directly measure and iterate on key metrics of usefulness"
    ],
    "use mech interp to do something useful and compare to other methods": [
        "use mech interp to do something useful and compare to other methods"
    ],
    "establish the core ambitious hopes": ["establish the core ambitious hopes"],
}
# A statement that opens like these is a frame or a fragment, not a proposition.
NOT_A_STATEMENT = re.compile(
    r"^(?:i (?:think|believe|guess|suspect|feel|doubt)|it seems to me|in my view|"
    r"i'?m (?:\w+ )?(?:skeptical|sure|confident|optimistic)|maybe|perhaps|probably|and|but|or|"
    r"which|so|that said|in particular|however|though)\b",
    re.I,
)


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """The seed imported once into a fresh DuckDB home (the tests only read it)."""
    path = require_shared() / "seed" / "how-useful-is-mech-interp.txt"
    store = open_store(tmp_path_factory.mktemp("seed") / "home")
    return dialogues.import_dialogue(store, dialogues.read_text_file(path))


def test_auto_detection_reads_the_seed_as_one_author_without_its_boilerplate(seed):
    d = seed.dialogue
    assert (d.format, d.speakers) == ("single", {"Author": None})
    assert seed.notices == [
        "Left out 4 repeated paragraphs and 4 lines of site boilerplate: the text is stored as "
        "given; no turn includes them.",
        NO_SPEAKERS,
    ]
    held = "".join(t.text for t in d.turns)
    assert "Link to original article" not in held and "View more" not in held
    assert held.count("I'm somewhat skeptical about mech interp") == 1


@pytest.mark.parametrize(
    ("kind", "words"),
    [("crux", w) for w in CLAIMS.values()] + [("project", w) for w in PROJECTS.values()],
    ids=[*CLAIMS, *PROJECTS],
)
def test_the_claims_and_projects_a_reader_sees_are_candidates(seed, kind, words):
    assert any(c.kind == kind and all(w in c.quote for w in words) for c in seed.candidates)


def test_candidates_can_be_accepted_as_written(seed):
    text = seed.dialogue.text
    assert len(seed.candidates) >= len(CLAIMS) + len(PROJECTS)
    for c in seed.candidates:
        assert text[c.start_offset : c.end_offset] == c.quote
        assert c.summary[0].isupper() and not NOT_A_STATEMENT.match(c.summary), c.summary
        if c.kind == "crux":
            assert c.summary[-1] in ".!?" and c.stance is not None, c.summary
    statements = {c.summary for c in seed.candidates}
    assert {
        "Mech interp seems like a reasonable bet to put some resources in.",
        "Current work fails to explain much of the performance of models which makes me think "
        "that it's quite far from ambitious success and likely also usefulness.",
        "Even if mech interp isn't that good for safety, maybe it's pretty close to stuff which "
        "is great and is good practice.",
        "Aim to more directly measure and iterate on key metrics of usefulness for mech interp",
        "Try to use mech interp to do something useful and compare to other methods",
        "Do immediately useful stuff with mech interp (and probably non-mech interp), to get us "
        "closer to model-internals-based techniques adding value.",
    } <= statements
