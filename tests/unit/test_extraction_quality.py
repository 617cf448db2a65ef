"""The offline extractor on the labelled sets, held to the README's figures.

The project's own sets (tests/data/eval, tests/data/heldout): recall is the share
of labelled cruxes and projects found among each dialogue's top 2·(items)
candidates, precision the share of those top candidates that match a labelled
item. The real development set (tests/data/real/labels.toml, texts in
../shared/): the same, among each text's top 15 candidates. See
tests/evaluation.py.
"""

import pytest

from tests.evaluation import (
    HELDOUT_DIR,
    evaluate,
    evaluate_linking,
    evaluate_top,
    lexical_scores,
    load_real,
    load_set,
    pooled,
)

# The README reports these; lower them only with the README. Precision counts the top
# candidates only: extraction proposes every claim-like sentence and ranks it (issue 11),
# so a claim nobody labelled counts against it, while the review queue absorbs it.
EVAL_RECALL, EVAL_PRECISION = 0.96, 0.85
HELDOUT_RECALL, HELDOUT_PRECISION = 0.9, 0.7
REAL_RECALL, REAL_PRECISION = 0.97, 0.75
REAL_RECALL_EACH = 0.8  # every real text, not only the pooled set
# A reply proposed since issue 11 ("They are better than you expect.") has no words to link.
LINK_HIT_AT_1, LINK_AVERAGE_PRECISION = 0.75, 0.49


@pytest.mark.parametrize("folder", ["eval", "heldout"])
def test_every_labelled_dialogue_is_read_in_its_format(folder):
    for d in load_set(HELDOUT_DIR.parent / folder):
        assert (d.file, d.parsed_format) == (d.file, d.format)
        assert sorted({t.speaker for t in d.turns}) == d.speakers, d.file


def test_every_real_text_is_read_in_its_format():
    read = [(d.file, d.parsed_format, sorted({t.speaker for t in d.turns})) for d in load_real()]
    assert read == [
        ("realtexts/charbel-lucius-transcript.txt", "plain", ["Charbel", "Mateusz"]),
        ("realtexts/deep-dive-podcast-timestamps.txt", "stamped", ["Speaker 1", "Speaker 2"]),
        ("realtexts/disagreement-thread.md", "single", ["Author"]),
        ("realtexts/curated-comment.md", "single", ["Author"]),
        ("seed/how-useful-is-mech-interp.txt", "single", ["Author"]),
    ]


def test_recall_and_precision_on_the_evaluation_set():
    scores = evaluate()
    assert scores.items == 32
    assert scores.recall >= EVAL_RECALL, scores.missed
    assert scores.precision >= EVAL_PRECISION, scores.wrong


def test_recall_and_precision_on_held_out_dialogues():
    scores = evaluate(dialogues=load_set(HELDOUT_DIR))
    assert scores.items == 24
    assert scores.recall >= HELDOUT_RECALL, scores.missed
    assert scores.precision >= HELDOUT_PRECISION, scores.wrong


def test_recall_among_the_top_15_of_each_real_text():
    scores = evaluate_top(load_real())
    assert sum(s.items for s in scores) == 37
    for s in scores:
        assert s.recall >= REAL_RECALL_EACH, (s.file, s.missed)
    recall, precision = pooled(scores)
    assert recall >= REAL_RECALL, [(s.file, s.missed) for s in scores]
    assert precision >= REAL_PRECISION


def test_lexical_similarity_finds_the_same_crux_in_other_dialogues():
    linking = evaluate_linking(lexical_scores, threshold=0.2)
    assert (linking.queries, linking.duplicate_pairs) == (16, 32)
    assert linking.hit_at_1 >= LINK_HIT_AT_1
    assert linking.average_precision >= LINK_AVERAGE_PRECISION
