"""Attribution patching: a gradient estimate of every head's patching effect, checked exactly.

The technique
-------------
Activation patching needs one forward pass per patched site. Attribution
patching (Nanda 2023, "Attribution Patching: Activation Patching At Industrial
Scale"; Syed, Rager & Conmy 2023, "Attribution Patching Outperforms Automated
Circuit Discovery") replaces each of those forwards with a first-order Taylor
estimate around the corrupted run:

    metric(patched) − metric(corrupted) ≈ (a_clean − a_corrupted) · ∂metric/∂a

so one clean forward, one corrupted forward and one backward pass score every
site at once. The estimate is exact for a metric linear in the activation and
degrades where attention patterns or layer norms bend the metric between the two
runs — which is why this template reports it beside exact patching of the same
sweep rather than alone.

Prompt pairs and the metric are those of ``activation_patching`` (induction
pairs; logit difference between the clean next token and the token at the same
offset in the corrupted first copy). Both sweeps are over attention-head outputs
(``hook_z``): per head at every position (layer × head — the sum over positions
of the per-position estimates, since the estimate is linear) and per head and
position (layer × position × head). Exact values come from the batched engine in
``experiments.patching``.

TransformerLens 4 ships ``tools.analysis.attribution_patch``; it scores one
prompt pair per forward/backward and refuses models without MLPs (every node graph
needs ``hook_mlp_out``), which rules out the attention-only organisms. This module
wraps its gradient capture (``cache_activation_and_gradient``, which handles the
bridge's reshaped hook points) and scores the whole batch of pairs in one backward
pass: the metric is a mean over pairs, so each pair's gradient is its own.

Metrics and signs
-----------------
Values are in recovery units, ``(estimate) / (ld_clean − ld_corrupted)``, the scale
of ``activation_patching`` (1 = restores the clean answer, < 0 = pushes away).
``spearman_heads`` and ``spearman_heads_by_pos``: Spearman rank correlation between
the estimate and exact patching over the layer × head and layer × position × head
sweeps (1 = same order; higher is better). ``attribution_max_error``: the largest
absolute difference between estimate and exact value over the layer × head sweep
(lower is better). ``speedup``: wall time of the two exact sweeps divided by the
time of the attribution pass (higher = cheaper). Artifacts:
``attribution_head_out.npy`` / ``exact_head_out.npy`` (layer, head),
``attribution_head_out_by_pos.npy`` / ``exact_head_out_by_pos.npy``
(layer, pos, head) and ``attribution_patching.png``.
"""

from __future__ import annotations

import time

import numpy as np

from experiments.patching import (
    PairsConfig,
    attribute,
    patch_head_out,
    patch_head_out_by_pos,
    prepare,
    run_with_cache,
)
from experiments.plots import Panel, head_labels, heatmaps
from experiments.registry import Metric, template

METRICS = [
    Metric("spearman_heads", "rank correlation", True, "Estimate vs exact, layer × head."),
    Metric("spearman_heads_by_pos", "rank correlation", True, "Estimate vs exact, per position."),
    Metric("attribution_max_error", "fraction", False, "Largest |estimate − exact| per head."),
    Metric("speedup", "×", True, "Exact sweeps' time over the attribution pass's time."),
]


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 0, ties sharing their mean rank."""
    order = values.argsort(kind="stable")
    rank = np.empty(len(values))
    rank[order] = np.arange(len(values))
    _, group, counts = np.unique(values, return_inverse=True, return_counts=True)
    return (np.bincount(group, weights=rank) / counts)[group]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two equally shaped arrays."""
    return float(np.corrcoef(ranks(a.ravel()), ranks(b.ravel()))[0, 1])


def by_pos_rows(values: np.ndarray) -> np.ndarray:
    n_layers, _, n_heads = values.shape
    return values.transpose(0, 2, 1).reshape(n_layers * n_heads, -1)  # (layer·head, pos)


@template(
    "attribution_patching",
    summary="Gradient estimate of head patching effects, compared with exact patching.",
    config=PairsConfig,
    metrics=METRICS,
)
def run(config: PairsConfig, ctx) -> None:
    model, pairs = prepare(config, ctx)
    ctx.progress(0.5, "attribution: two forwards and one backward")
    started = time.perf_counter()
    estimate = attribute(model, pairs) / (pairs.clean_value - pairs.corrupted_value)
    attribution_seconds = time.perf_counter() - started
    attribution = {"head_out": estimate.sum(dim=1), "head_out_by_pos": estimate}

    ctx.progress(0.6, "exact activation patching of the same sweeps")
    started = time.perf_counter()
    cache = run_with_cache(model, pairs.clean)
    exact = {
        name: pairs.recovery(sweep(model, pairs.corrupted, cache, pairs.metric, config.chunk_size))
        for name, sweep in (
            ("head_out", patch_head_out),
            ("head_out_by_pos", patch_head_out_by_pos),
        )
    }
    exact_seconds = time.perf_counter() - started

    arrays = {}
    for name in exact:
        arrays[f"attribution_{name}"] = attribution[name].cpu().numpy()
        arrays[f"exact_{name}"] = exact[name].cpu().numpy()
    for name, values in arrays.items():
        ctx.save_artifact(name, values)
    labels = head_labels(model.cfg.n_layers, model.cfg.n_heads)
    ctx.save_artifact(
        "attribution_patching",
        heatmaps(
            [
                Panel("attribution, head", arrays["attribution_head_out"], "head", "layer"),
                Panel("exact, head", arrays["exact_head_out"], "head", "layer"),
                Panel(
                    "attribution, head by position",
                    by_pos_rows(arrays["attribution_head_out_by_pos"]),
                    "position",
                    "head",
                    labels,
                ),
                Panel(
                    "exact, head by position",
                    by_pos_rows(arrays["exact_head_out_by_pos"]),
                    "position",
                    "head",
                    labels,
                ),
            ]
        ),
    )

    heads_attr, heads_exact = arrays["attribution_head_out"], arrays["exact_head_out"]
    ctx.log_metric("spearman_heads", spearman(heads_attr, heads_exact))
    ctx.log_metric(
        "spearman_heads_by_pos",
        spearman(arrays["attribution_head_out_by_pos"], arrays["exact_head_out_by_pos"]),
    )
    ctx.log_metric("attribution_max_error", np.abs(heads_attr - heads_exact).max())
    ctx.log_metric("speedup", exact_seconds / attribution_seconds)
    top = [np.unravel_index(a.argmax(), a.shape) for a in (heads_attr, heads_exact)]
    ctx.progress(
        1.0,
        f"top head: attribution L{top[0][0]}H{top[0][1]}, exact L{top[1][0]}H{top[1][1]}; "
        f"{exact_seconds / attribution_seconds:.1f}× faster",
    )
