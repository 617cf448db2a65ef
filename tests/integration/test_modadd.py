"""Ground truth: organism:modadd-1l generalises to held-out pairs with sparse Fourier features."""

import torch

from experiments.loading import load_model
from experiments.organisms import (
    build,
    fourier_top_share,
    get_organism,
    modadd_pairs,
    modadd_split,
    training_summary,
)


def test_modadd_generalises_to_heldout_pairs(trained_organisms):
    summary = training_summary("modadd-1l", trained_organisms)
    assert summary["train_accuracy"] == 1.0
    assert summary["heldout_accuracy"] >= 0.99
    assert summary["heldout_loss"] < 0.05
    assert (summary["n_train"], summary["n_heldout"]) == (1966, 843)

    # The cached weights, evaluated here, agree with the summary.
    model = load_model("organism:modadd-1l", cache_dir=trained_organisms)
    s = get_organism("modadd-1l").settings
    tokens, answers = modadd_pairs(s["p"])
    train, heldout = modadd_split(s["p"], s["train_fraction"], s["seed"])
    with torch.no_grad():
        predicted = model(tokens)[:, -1].argmax(-1)  # (p²,)
    assert (predicted[train] == answers[train]).float().mean().item() == 1.0
    heldout_accuracy = (predicted[heldout] == answers[heldout]).float().mean().item()
    assert heldout_accuracy == summary["heldout_accuracy"]
    assert heldout_accuracy >= 0.99


def test_modadd_embedding_is_sparse_in_the_fourier_basis(trained_organisms):
    p = get_organism("modadd-1l").settings["p"]
    trained = load_model("organism:modadd-1l", cache_dir=trained_organisms)
    untrained = build(get_organism("modadd-1l"))
    # 5 of 27 frequencies: about 0.19 of the norm for a random embedding.
    assert fourier_top_share(untrained.W_E[:p].detach()) < 0.35
    assert fourier_top_share(trained.W_E[:p].detach()) > 0.6
    summary = training_summary("modadd-1l", trained_organisms)
    assert summary["embed_fourier_top5"] > 0.6


def test_fourier_share_of_a_pure_wave_is_one():
    x = torch.arange(53, dtype=torch.float64)
    wave = torch.stack([torch.cos(2 * torch.pi * 7 * x / 53), torch.sin(2 * torch.pi * 7 * x / 53)])
    assert abs(fourier_top_share(wave.T, top=1) - 1.0) < 1e-9
