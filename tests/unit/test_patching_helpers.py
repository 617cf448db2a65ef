"""Patching templates' pure helpers: masks, random circuits, ranks, configs."""

import numpy as np
import pytest
import torch

from db.errors import InvalidInput
from experiments.patching import OneHot
from experiments.templates.attribution_patching import spearman
from experiments.templates.circuit_faithfulness import circuit_mask, percentile, random_circuits


def test_one_hot_masks_set_one_site_each_in_row_major_order():
    masks = OneHot(2, 1, 3)
    assert len(masks) == 6
    chunk = masks[4:6]
    assert chunk.shape == (2, 2, 1, 3)
    assert chunk.sum().item() == 2
    assert chunk[0, 1, 0, 1] and chunk[1, 1, 0, 2]


def test_random_circuits_enumerate_every_other_set_when_few():
    circuit = circuit_mask("1.0,1.1,1.2,1.3", n_layers=2, n_heads=4)
    others = random_circuits(circuit, n=100, seed=0)
    assert others.shape == (69, 2, 4)  # C(8, 4) − 1
    assert (others.sum(dim=(1, 2)) == 4).all()
    assert len({tuple(o.flatten().tolist()) for o in others}) == 69
    assert not any(torch.equal(o, circuit) for o in others)


def test_random_circuits_sample_distinct_sets_when_many():
    circuit = circuit_mask("0.0,3.5", n_layers=4, n_heads=6)
    others = random_circuits(circuit, n=50, seed=1)
    assert others.shape == (50, 4, 6)
    assert len({tuple(o.flatten().tolist()) for o in others}) == 50
    assert torch.equal(others, random_circuits(circuit, n=50, seed=1))


def test_a_head_outside_the_model_is_refused():
    # The check at run time (for a model whose config was not at hand when the run started).
    with pytest.raises(InvalidInput, match=r"Head 2\.0 is not in the model \(2 layers × 4 heads"):
        circuit_mask("1.1,2.0", n_layers=2, n_heads=4)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([1, 2, 3, 4], [10, 20, 30, 40], 1.0),
        ([1, 2, 3, 4], [4, 3, 2, 1], -1.0),
        ([0, 0, 1, 2], [0, 0, 5, 9], 1.0),  # tied ranks share their mean
        ([1, 2, 3, 4], [1, 3, 2, 4], 0.8),
    ],
)
def test_spearman(a, b, expected):
    assert spearman(np.array(a, float), np.array(b, float)) == pytest.approx(expected)


def test_percentile_counts_ties_as_half():
    assert percentile(0.5, np.array([0.1, 0.5, 0.9, 0.2])) == 62.5
