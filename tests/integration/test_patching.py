"""Patching templates against ground truth: TransformerLens's reference and the organism."""

import numpy as np
import pytest
import torch
from transformer_lens import TransformerBridge, TransformerBridgeConfig
from transformer_lens import patching as reference
from transformer_lens.tools.analysis import attribution_patch

from cruxes import people, projects, runs
from cruxes.errors import InvalidInput
from experiments.loading import load_model
from experiments.patching import (
    HEAD_OUT,
    LogitDiff,
    attribute,
    induction_prompt_pairs,
    patch_head_out,
    patch_head_out_by_pos,
    patch_resid_pre,
    patch_sweep,
    run_with_cache,
)


@pytest.fixture(scope="module")
def organism(trained_organisms):
    return load_model("organism:induction-2l", cache_dir=trained_organisms)


@pytest.fixture(scope="module")
def mlp_model():
    """A small random model with MLPs, LayerNorm and learned positions (unlike the organism)."""
    cfg = TransformerBridgeConfig(
        d_model=32,
        d_head=8,
        n_heads=4,
        n_layers=3,
        n_ctx=16,
        d_vocab=48,
        d_mlp=64,
        act_fn="gelu",
        normalization_type="LN",
        seed=0,
    )
    model = TransformerBridge.boot_native(cfg)
    model.eval()
    return model


@pytest.mark.parametrize("model_name", ["organism", "mlp_model"])
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (patch_resid_pre, reference.get_act_patch_resid_pre),
        (patch_head_out, reference.get_act_patch_attn_head_out_all_pos),
        (patch_head_out_by_pos, reference.get_act_patch_attn_head_out_by_pos),
    ],
)
def test_batched_engine_equals_transformer_lens_reference(request, model_name, ours, theirs):
    model = request.getfixturevalue(model_name)
    pairs = induction_prompt_pairs(model, n_prompts=4, seq_len=6, seed=0)
    cache = run_with_cache(model, pairs.clean)
    # A chunk of 5 copies cuts across layers, heads and positions.
    batched = ours(model, pairs.corrupted, cache, pairs.metric, chunk_size=5)
    expected = theirs(model, pairs.corrupted, cache, pairs.metric.of_full_logits)
    assert batched.shape == expected.shape
    assert not batched.requires_grad  # templates save results as arrays
    assert (batched - expected).abs().max().item() <= 1e-5
    assert expected.std().item() > 1e-3  # the sweep measured something


def test_batched_attribution_equals_transformer_lens_per_pair(mlp_model):
    pairs = induction_prompt_pairs(mlp_model, n_prompts=3, seq_len=6, seed=0)
    ours = attribute(mlp_model, pairs)  # (layer, pos, head)
    expected = torch.zeros_like(ours)
    m = pairs.metric
    for i in range(3):
        one = LogitDiff(m.positions[i : i + 1], m.correct[i : i + 1], m.wrong[i : i + 1])
        result = attribution_patch(
            mlp_model, pairs.clean[i : i + 1], pairs.corrupted[i : i + 1], one.of_full_logits
        )
        for node, score in result.node_scores.items():
            if node.kind == "attn_head_out":
                expected[node.layer, node.position, node.head] += score / 3
    assert (ours - expected).abs().max().item() <= 1e-5
    assert expected.abs().max().item() > 1e-3


def test_resample_ablating_every_head_reproduces_the_corrupted_run(organism):
    pairs = induction_prompt_pairs(organism, n_prompts=4, seq_len=8, seed=0)
    corrupted = run_with_cache(organism, pairs.corrupted)
    every_head = torch.ones(1, 2, 1, 4, dtype=torch.bool)  # (patch, layer, pos, head)
    [value] = patch_sweep(organism, pairs.clean, corrupted, HEAD_OUT, every_head, pairs.metric)
    # Attention-only: with every head's output from the corrupted run, so are the logits.
    assert value.item() == pytest.approx(pairs.corrupted_value, abs=1e-4)
    assert pairs.clean_value - pairs.corrupted_value > 5


@pytest.fixture
def project(store, trained_organisms):
    people.add_person(store, "Ben", "scholar")
    p = projects.add_project(store, "Locate induction")
    return projects.assign(store, p.id, "Ben")


def run_template(store, project, name, values=None):
    run = runs.wait_for(store, runs.start_run(store, project.id, name, values).id, timeout=300)
    assert run.status == "succeeded", run.error
    arrays = {a.rsplit("/", 1)[1]: a for a in run.artifacts}
    return run, arrays


def top_heads(values: np.ndarray, k: int) -> set[tuple[int, int]]:
    flat = np.argsort(values, axis=None)[::-1][:k]
    return {tuple(int(i) for i in np.unravel_index(f, values.shape)) for f in flat}


LAYER_1 = {(1, 0), (1, 1), (1, 2), (1, 3)}


def test_activation_patching_puts_the_induction_heads_on_top(store, project):
    run, arrays = run_template(store, project, "activation_patching")
    heads = np.load(arrays["head_out_recovery.npy"])  # (layer, head)
    assert top_heads(heads, 4) == LAYER_1
    assert heads[1].min() - heads[0].max() > 0.03
    # A previous-token head's clean output makes induction copy the corrupted token.
    assert heads[0].min() < -0.2
    by_pos = np.load(arrays["head_out_by_pos_recovery.npy"])  # (layer, pos, head)
    assert by_pos.shape == (2, 17, 4)
    # A last-layer head reaches the logits only at its own position: the answer positions 9-15.
    assert np.abs(by_pos[1, :9]).max() < 1e-6 and np.abs(by_pos[1, 16]).max() < 1e-6
    assert by_pos[1, 9:16].sum() > 0.5
    assert np.load(arrays["resid_pre_recovery.npy"]).shape == (2, 17)
    assert run.metrics["clean_logit_diff"] > 5 > 1 > run.metrics["corrupted_logit_diff"]
    assert run.metrics["top_head_recovery"] == pytest.approx(heads.max(), abs=1e-6)
    assert 1 <= run.metrics["effective_n_heads"] <= 8
    assert "activation_patching.png" in arrays


def test_attribution_patching_agrees_with_exact_patching(store, project):
    run, arrays = run_template(store, project, "attribution_patching")
    estimate = np.load(arrays["attribution_head_out.npy"])
    exact = np.load(arrays["exact_head_out.npy"])
    assert top_heads(estimate, 4) == top_heads(exact, 4) == LAYER_1
    assert run.metrics["spearman_heads"] >= 0.9
    assert run.metrics["spearman_heads_by_pos"] >= 0.9
    assert run.metrics["attribution_max_error"] == pytest.approx(
        np.abs(estimate - exact).max(), abs=1e-6
    )
    assert run.metrics["speedup"] > 0
    assert "attribution_patching.png" in arrays


def induction_circuit(store, project) -> str:
    """The heads induction_heads finds on the patching prompts' length (seq_len 8).

    Previous-token heads in layer 0 (score above 0.2, about twice uniform attention)
    and induction heads in layer 1.
    """
    run, arrays = run_template(store, project, "induction_heads", {"seq_len": 8})
    prev = np.load(arrays["prev_token_scores.npy"])  # (layer, head)
    induction = np.load(arrays["induction_scores.npy"])
    heads = [(0, h) for h in np.flatnonzero(prev[0] > 0.2)]
    heads += [(1, h) for h in np.flatnonzero(induction[1] > 0.4)]
    return ",".join(f"{layer}.{head}" for layer, head in heads)


@pytest.mark.parametrize("ablation", ["mean", "resample"])
def test_the_induction_circuit_is_faithful_and_beats_random_circuits(store, project, ablation):
    circuit = induction_circuit(store, project)
    assert circuit == "0.0,0.1,1.0,1.1,1.2,1.3"  # the template's default
    run, arrays = run_template(store, project, "circuit_faithfulness", {"ablation": ablation})
    scores = np.load(arrays["scores.npy"])  # (circuit + every other 6 of 8 heads, [faith, compl])
    assert scores.shape == (28, 2)
    m = run.metrics
    # Kept alone, the circuit recovers nearly all of the clean behaviour ...
    assert m["faithfulness"] >= 0.9
    # ... clearly more than any other six heads.
    assert m["faithfulness_percentile"] == 100
    assert m["faithfulness"] - scores[1:, 0].max() >= 0.1
    # The null is wide (most six-head sets share four or five heads with it), so z is modest.
    assert m["faithfulness_z"] > 1.5
    # Ablating it removes the behaviour.
    assert m["completeness"] >= 0.9
    assert m["random_faithfulness_mean"] == pytest.approx(scores[1:, 0].mean(), abs=1e-6)


def test_the_induction_heads_alone_are_needed_but_do_not_suffice(store, project):
    run, _ = run_template(store, project, "circuit_faithfulness", {"heads": "1.0,1.1,1.2,1.3"})
    # Ablating the four induction heads removes the behaviour, more than most four-head sets.
    assert run.metrics["completeness"] >= 0.9
    assert run.metrics["completeness_percentile"] >= 90
    # Without the previous-token heads they have nothing to match on (K-composition).
    assert run.metrics["faithfulness"] <= 0.3


def test_a_head_the_model_lacks_is_refused_before_the_run_exists(store, project):
    with pytest.raises(InvalidInput) as refused:
        runs.start_run(store, project.id, "circuit_faithfulness", {"heads": "1.0,2.1"})
    assert str(refused.value) == (
        "circuit_faithfulness on organism:induction-2l: head 2.1 is not in the model "
        "(2 layers × 4 heads: layers 0–1, heads 0–3)."
    )
    assert runs.run_page(store).total == 0
