"""Circuit faithfulness: does a set of heads suffice, is it needed, and does it beat chance?

The technique
-------------
A *circuit* is a claim that a small part of the model performs a behaviour. Two
ablation tests check the claim (Wang et al. 2022, "Interpretability in the Wild",
§4; Conmy et al. 2023, "Towards Automated Circuit Discovery"):

* **Faithfulness** — keep only the circuit: run the clean prompts with every head
  *outside* the circuit ablated and measure how much of the clean behaviour
  survives. A faithful circuit suffices.
* **Completeness** — remove only the circuit: ablate the circuit's heads and
  measure how much of the behaviour is lost. A complete circuit is needed.

A score alone says little: in a small model many sets of heads recover a lot.
So the circuit is compared with random circuits of the same size (every other
set when there are at most ``n_random`` of them, else ``n_random`` distinct random
sets), and its place in that null distribution is reported.

Ablation (``ablation``) replaces a head's output ``hook_z`` at every position with:
``resample`` — its value on the paired corrupted prompt (TransformerLens's
"corrupt" replacement; with every head ablated an attention-only model reproduces
the corrupted run); ``mean`` — its mean over the corrupted prompts, per position;
``zero`` — zero. The choice changes the answer (Miller et al. 2024, "Transformer
Circuit Faithfulness Metrics are not Robust"), so it is part of the config.

Prompt pairs and the metric are those of ``activation_patching``: induction pairs,
``ld`` = logit(correct) − logit(wrong) averaged over prompts and answer positions.
Circuits are evaluated in batched forwards by the engine in ``experiments.patching``
(one stacked copy per ablation pattern). TransformerLens's
``tools.analysis.faithfulness`` measures *edge* circuits on one prompt pair at a
time, has no zero ablation and no null distribution, and needs per-head result
hooks that TL-native models (every organism) lack; hence this module.

Metrics and signs
-----------------
``faithfulness`` = (ld_circuit_only − ld_corrupted) / (ld_clean − ld_corrupted):
1 = the circuit alone keeps the clean behaviour, 0 = no better than the corrupted
run (higher is better). ``completeness`` = (ld_clean − ld_without_circuit) /
(ld_clean − ld_corrupted): 1 = ablating the circuit removes the whole effect
(higher = the circuit is more necessary). ``faithfulness_percentile`` and
``completeness_percentile``: the percentage of random same-size circuits scoring
below the circuit (ties count half; 100 = beats every one). ``faithfulness_z``:
(faithfulness − null mean) / null standard deviation. ``random_faithfulness_mean``:
the null mean. Artifacts: ``scores.npy`` (row 0 the circuit, then one row per
random circuit; columns faithfulness, completeness), ``random_circuits.npy``
(random circuit × layer × head, True = in the circuit) and
``circuit_faithfulness.png``, the two null histograms with the circuit marked.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from db.errors import InvalidInput
from experiments import lazy
from experiments.loading import ModelSpec
from experiments.patching import HEAD_OUT, PairsConfig, patch_sweep, prepare, run_with_cache
from experiments.registry import Metric, template

torch = lazy.module("torch")


class Config(PairsConfig):
    heads: str = Field(
        "0.0,0.1,1.0,1.1,1.2,1.3",
        description="Comma-separated LAYER.HEAD (default: induction-2l's induction circuit).",
    )
    ablation: Literal["mean", "zero", "resample"] = Field(
        "mean", description="How a head is ablated: mean, zero or resample."
    )
    n_random: int = Field(100, ge=2, le=10_000, description="Random same-size circuits (at most).")

    @field_validator("heads")
    @classmethod
    def layer_dot_head(cls, value: str) -> str:
        items = [h.strip() for h in value.split(",") if h.strip()]
        if not items or not all(re.fullmatch(r"\d+\.\d+", h) for h in items):
            raise ValueError("must be comma-separated LAYER.HEAD pairs such as 1.0,1.2")
        return ",".join(items)

    def check_model(self, spec: ModelSpec) -> None:
        super().check_model(spec)
        check_heads(self.heads, spec.n_layers, spec.n_heads)


METRICS = [
    Metric("faithfulness", "fraction", True, "Behaviour kept with only the circuit."),
    Metric("completeness", "fraction", True, "Behaviour lost when the circuit is ablated."),
    Metric("faithfulness_percentile", "%", True, "Random same-size circuits it beats."),
    Metric("faithfulness_z", "σ", True, "Faithfulness in null standard deviations."),
    Metric("completeness_percentile", "%", True, "Random circuits it beats on completeness."),
    Metric("random_faithfulness_mean", "fraction", False, "Mean faithfulness of random circuits."),
]


def check_heads(heads: str, n_layers: int, n_heads: int) -> list[tuple[int, int]]:
    """The circuit's (layer, head) pairs; a head the model lacks, a head listed twice, or a
    circuit of every head (nothing left to compare it with) is refused."""
    pairs: list[tuple[int, int]] = []
    for item in heads.split(","):
        layer, head = (int(x) for x in item.split("."))
        if layer >= n_layers or head >= n_heads:
            raise InvalidInput(
                f"Head {item} is not in the model ({n_layers} layers × {n_heads} heads: "
                f"layers 0–{n_layers - 1}, heads 0–{n_heads - 1})."
            )
        if (layer, head) in pairs:
            raise InvalidInput(f"Head {item} is listed twice in heads.")
        pairs.append((layer, head))
    if len(pairs) == n_layers * n_heads:
        raise InvalidInput(
            f"The circuit holds all {len(pairs)} heads, so there is no random circuit to "
            "compare it with; leave some heads out."
        )
    return pairs


def circuit_mask(heads: str, n_layers: int, n_heads: int) -> torch.Tensor:
    """The circuit as a (layer, head) mask (checked by ``check_heads``)."""
    mask = torch.zeros(n_layers, n_heads, dtype=torch.bool)
    for layer, head in check_heads(heads, n_layers, n_heads):
        mask[layer, head] = True
    return mask


def random_circuits(circuit: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """Other circuits of the circuit's size: all of them if at most ``n``, else ``n`` at random."""
    n_layers, n_heads = circuit.shape
    total, size = circuit.numel(), int(circuit.sum())
    own = frozenset(circuit.flatten().nonzero().flatten().tolist())
    if math.comb(total, size) - 1 <= n:
        picks = [frozenset(c) for c in itertools.combinations(range(total), size)]
        picks = [p for p in picks if p != own]
    else:
        gen, seen = torch.Generator().manual_seed(seed), {own}
        picks = []
        while len(picks) < n:
            pick = frozenset(torch.randperm(total, generator=gen)[:size].tolist())
            if pick not in seen:
                seen.add(pick)
                picks.append(pick)
    masks = torch.zeros(len(picks), total, dtype=torch.bool)
    for i, pick in enumerate(picks):
        masks[i, list(pick)] = True
    return masks.view(-1, n_layers, n_heads)


def percentile(value: float, null: np.ndarray) -> float:
    """Percentage of ``null`` below ``value``, ties counting half."""
    return float(100 * ((null < value).mean() + 0.5 * (null == value).mean()))


def histograms(scores: np.ndarray):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    for ax, column, title in zip(axes, scores.T, ("faithfulness", "completeness"), strict=True):
        ax.hist(column[1:], bins=20, color="grey", label="random circuits")
        ax.axvline(column[0], color="crimson", label="circuit")
        ax.set(title=title, xlabel=title, ylabel="circuits")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


@template(
    "circuit_faithfulness",
    summary="Ablate all but a circuit (faithfulness) and the circuit (completeness) vs random.",
    config=Config,
    metrics=METRICS,
)
def run(config: Config, ctx) -> None:
    model, pairs = prepare(config, ctx)
    n_layers, n_heads = model.cfg.n_layers, model.cfg.n_heads
    circuit = circuit_mask(config.heads, n_layers, n_heads)
    others = random_circuits(circuit, config.n_random, ctx.seed)
    ctx.progress(0.5, f"ablating for the circuit and {len(others)} random circuits")

    corrupted = run_with_cache(model, pairs.corrupted)
    names = [HEAD_OUT.format(layer=layer) for layer in range(n_layers)]
    sources = {
        "resample": {n: corrupted[n] for n in names},  # (batch, pos, n_heads, d_head)
        "mean": {n: corrupted[n].mean(dim=0, keepdim=True) for n in names},
        "zero": {n: torch.zeros(1, device=pairs.clean.device) for n in names},
    }[config.ablation]
    kept = torch.cat([circuit[None], others])  # (circuits, layer, head)
    ablated = torch.stack([~kept, kept], dim=1).flatten(0, 1)  # keep only / remove, interleaved
    values = patch_sweep(
        model,
        pairs.clean,
        sources,
        HEAD_OUT,
        ablated[:, :, None, :],  # (2 · circuits, layer, 1, head): every position
        pairs.metric,
        config.chunk_size,
    )
    recovered = pairs.recovery(values).view(-1, 2).cpu().numpy()
    scores = np.stack([recovered[:, 0], 1 - recovered[:, 1]], axis=1)  # (circuits, 2)
    ctx.save_artifact("scores", scores)
    ctx.save_artifact("random_circuits", others.numpy())
    ctx.save_artifact("circuit_faithfulness", histograms(scores))

    faithfulness, completeness = scores[0]
    null = scores[1:, 0]
    ctx.log_metric("faithfulness", faithfulness)
    ctx.log_metric("completeness", completeness)
    ctx.log_metric("faithfulness_percentile", percentile(faithfulness, null))
    ctx.log_metric("faithfulness_z", (faithfulness - null.mean()) / max(null.std(), 1e-9))
    ctx.log_metric("completeness_percentile", percentile(completeness, scores[1:, 1]))
    ctx.log_metric("random_faithfulness_mean", null.mean())
    ctx.progress(
        1.0,
        f"faithfulness {faithfulness:.2f} (random {null.mean():.2f} ± {null.std():.2f}), "
        f"completeness {completeness:.2f}",
    )
