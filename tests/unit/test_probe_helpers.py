"""linear_probe's labels and controls on hand-made sequences."""

import torch

from experiments.templates.linear_probe import control_labels, property_labels, repeat_or_fresh

#                        BOS  r = 5 40 5   second copy
TOKENS = torch.tensor([[0, 5, 40, 5, 5, 40, 5]])


def test_previous_token_label_is_whether_the_token_before_is_in_the_lower_half():
    labels = property_labels(TOKENS, "previous_token", vocab=64)
    # position 2 follows 5 (< 32), position 3 follows 40 (≥ 32), ...
    assert labels[0, 2:].tolist() == [True, False, True, True, False]


def test_seen_before_label_is_whether_the_current_token_occurred_earlier():
    labels = property_labels(TOKENS, "seen_before", vocab=64)
    assert labels[0].tolist() == [False, False, False, True, True, True, True]


def test_half_the_sequences_repeat_and_half_continue_afresh():
    tokens = repeat_or_fresh(torch.Generator().manual_seed(0), 8, 6, 64, bos=0)
    assert tokens.shape == (8, 13)
    assert (tokens[:, 0] == 0).all()
    assert torch.equal(tokens[:4, 1:7], tokens[:4, 7:])
    assert not any(torch.equal(tokens[i, 1:7], tokens[i, 7:]) for i in range(4, 8))


def test_token_type_control_gives_every_occurrence_of_a_token_the_same_label():
    tokens = torch.randint(1, 10, (500,), generator=torch.Generator().manual_seed(1))
    labels = torch.rand(500, generator=torch.Generator().manual_seed(2)) < 0.5
    control = control_labels(labels, tokens, "token_type", torch.Generator().manual_seed(3))
    for t in tokens.unique():
        assert control[tokens == t].unique().numel() == 1
    shuffled = control_labels(labels, tokens, "shuffled", torch.Generator().manual_seed(3))
    assert shuffled.sum() == labels.sum()
