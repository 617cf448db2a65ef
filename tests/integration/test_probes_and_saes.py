"""Ground truth: linear probes and sparse autoencoders on the organisms, through the real worker."""

import json
from pathlib import Path

import numpy as np
import pytest

from cruxes import runs
from db.errors import InvalidInput
from experiments.context import RunContext
from experiments.folders import RunFolder
from experiments.registry import get_template


def artifact(run, name: str) -> Path:
    return Path(next(a for a in run.artifacts if a.endswith(name)))


def test_probe_reads_the_previous_token_after_layer_0_above_both_controls(store, project):
    run = runs.wait_for(store, runs.start_run(store, project.id, "linear_probe").id, timeout=300)
    assert run.status == "succeeded", run.error
    m = run.metrics
    # One row per hook: accuracy, AUROC, control accuracy, selectivity.
    table = np.load(artifact(run, "probe_by_layer.npy"))
    summary = json.loads(artifact(run, "probe_summary.json").read_text())
    assert summary["hooks"] == [
        "blocks.0.hook_resid_pre",
        "blocks.1.hook_resid_pre",
        "blocks.1.hook_resid_post",
    ]
    assert summary["property"] == "previous_token"
    # The embedding holds only the current token: chance. The previous-token head writes it.
    assert table[0, 1] < 0.55
    assert table[1, 1] > 0.65
    assert summary["best_hook"] != "blocks.0.hook_resid_pre"
    # Above the input alone and above the shuffled-label control task.
    assert m["probe_accuracy"] > m["token_baseline_accuracy"] + 0.05
    assert m["probe_auroc"] > m["token_baseline_auroc"] + 0.08
    assert m["control_accuracy"] < summary["majority_accuracy"] + 0.02
    assert m["selectivity"] > 0.1
    assert m["selectivity"] == pytest.approx(m["probe_accuracy"] - m["control_accuracy"])
    assert any(a.endswith("probe_by_layer.png") for a in run.artifacts)


@pytest.mark.parametrize(
    ("model", "hook"),
    [
        ("organism:induction-2l", "blocks.1.hook_resid_pre"),
        ("organism:modadd-1l", "blocks.0.hook_mlp_out"),
    ],
)
def test_sae_beats_a_random_dictionary_of_the_same_size(store, project, model, hook):
    values = {"model": model, "hook": hook}
    run = runs.wait_for(store, runs.start_run(store, project.id, "sae_quality", values).id, 300)
    assert run.status == "succeeded", run.error
    m = run.metrics
    assert m["l0"] <= 8
    assert m["explained_variance"] > 0.85
    assert m["loss_recovered"] > 0.9
    assert m["explained_variance"] > m["random_explained_variance"] + 0.2
    assert m["loss_recovered"] > m["random_loss_recovered"] + 0.5
    assert 0 <= m["dead_fraction"] < 1
    scores = np.load(artifact(run, "scores.npy"))
    assert scores.shape == (2, 4)
    assert scores[0, 1] == pytest.approx(m["explained_variance"])
    assert np.load(artifact(run, "decoder.npy")).shape[0] == len(
        np.load(artifact(run, "latent_frequency.npy"))
    )


def test_sae_on_a_missing_hook_fails_with_a_clear_message(tmp_path, trained_organisms):
    template = get_template("sae_quality")
    ctx = RunContext(RunFolder.of(tmp_path, 1), template, "cpu", 0, trained_organisms)
    config = template.parse_config({"hook": "blocks.9.hook_resid_pre"})
    with pytest.raises(InvalidInput, match="has no hook 'blocks.9.hook_resid_pre'"):
        template.run(config, ctx)
    assert list(ctx.folder.artifacts.iterdir()) == []
