"""Ground truth: the induction organism and the induction_heads template, for real."""

import numpy as np
import pytest

from cruxes import runs
from experiments.loading import load_model
from experiments.organisms import training_summary


def test_organism_is_trained_once_and_then_loads_fast(trained_organisms):
    organism_cache = trained_organisms
    summary = training_summary("induction-2l", organism_cache)
    assert summary["repeated_half_loss"] < 0.05
    # Loading again reads the cache (its speed is measured by `make bench`).
    model = load_model("organism:induction-2l", cache_dir=organism_cache)
    assert (model.cfg.n_layers, model.cfg.n_heads) == (2, 4)


def test_induction_heads_found_in_layer_1(store, project):
    run = runs.wait_for(store, runs.start_run(store, project.id, "induction_heads").id, timeout=300)
    assert run.status == "succeeded", run.error
    scores = np.load(next(a for a in run.artifacts if a.endswith("induction_scores.npy")))
    prev = np.load(next(a for a in run.artifacts if a.endswith("prev_token_scores.npy")))
    assert scores.shape == prev.shape == (2, 4)
    # Layer-1 heads do induction; layer-0 heads do not.
    assert scores[1].max() > 0.6
    assert scores[0].max() < 0.15
    assert scores[1].max() - scores[0].max() > 0.5
    # The previous-token head that feeds them sits in layer 0.
    assert prev[0].max() > 0.4 and prev[0].max() > prev[1].max()
    assert run.metrics["max_induction_score"] == pytest.approx(scores.max(), abs=1e-6)
    assert run.metrics["n_induction_heads"] == (scores > 0.4).sum()
    assert run.metrics["repeated_half_loss"] < 0.2
    assert any(a.endswith("head_scores.png") for a in run.artifacts)


def test_same_seed_same_result(store, project):
    first = runs.start_run(store, project.id, "induction_heads", {"n_sequences": 8}, seed=3)
    second = runs.start_run(store, project.id, "induction_heads", {"n_sequences": 8}, seed=3)
    other = runs.start_run(store, project.id, "induction_heads", {"n_sequences": 8}, seed=4)
    a, b, c = (runs.wait_for(store, r.id, timeout=300) for r in (first, second, other))
    assert a.status == b.status == c.status == "succeeded"
    assert a.metrics == b.metrics
    assert a.metrics != c.metrics
