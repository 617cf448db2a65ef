"""Activation patching: which residual-stream positions and heads restore a corrupted answer.

The technique
-------------
Run the model on a *clean* prompt it answers correctly and on a *corrupted*
prompt of the same length that it cannot answer. Then run the corrupted prompt
again with one activation overwritten by its clean value and measure how much of
the clean answer comes back (Meng et al. 2022, "Locating and Editing Factual
Associations in GPT"; Wang et al. 2022, "Interpretability in the Wild"; the
TransformerLens ``patching`` module and Heimersheim & Nanda 2024, "How to use and
interpret activation patching"). Activations whose clean value restores the
answer carry the information the task needs.

Prompt pairs come from the induction task: clean = ``BOS + r + r`` for a random
sequence ``r`` of ``seq_len`` tokens, corrupted = ``BOS + r' + r``, where ``r'``
differs from ``r`` at every position, so induction cannot predict the second copy.
At each second-copy token but the last the answer is the clean next token
``r[j + 1]``; the *wrong* token is ``r'[j + 1]``, the token at the same offset in
the corrupted first copy (what copying by position, not by content, would say).

Sweeps (``sweeps``, any of): ``resid_pre`` patches the residual stream entering
each layer at one position (layer × position); ``head_out`` patches one head's
output (``hook_z``) at every position (layer × head); ``head_out_by_pos`` patches
one head at one position (layer × position × head).

Why not ``transformer_lens.patching``? It runs one forward pass per patch. The
batched engine in ``experiments.patching`` stacks many patched copies in one
forward and reads the logit difference off two columns of ``W_U`` at the answer
positions instead of unembedding every position; it gives the same
numbers (a test compares them to ``get_act_patch_resid_pre``,
``get_act_patch_attn_head_out_all_pos`` and ``get_act_patch_attn_head_out_by_pos``
to 1e-5) several times faster (``make bench``; the README has the table).

Metrics and signs
-----------------
Logit difference ``ld`` = logit(correct) − logit(wrong), averaged over prompts and
answer positions. ``clean_logit_diff`` and ``corrupted_logit_diff`` are its two
baselines. Every sweep value is the normalised *recovery*
``(ld_patched − ld_corrupted) / (ld_clean − ld_corrupted)``: 0 = the patch changes
nothing, 1 = it restores the clean answer, < 0 = it pushes towards the wrong token.
``top_head_recovery``: the largest recovery of any head in the ``head_out`` sweep
(higher = one head carries more of the answer; the top head is in the progress
message). ``effective_n_heads``: the participation ratio (Σ|r|)² / Σr² of the
head recoveries ``r`` — 1 when one head carries all of the effect, the number of
heads when all carry the same (lower = more localised). ``top_resid_recovery``:
the largest recovery in the ``resid_pre`` sweep. ``patches_per_second``: patches
over the sweeps' wall time. Artifacts: ``<sweep>_recovery.npy`` per sweep (shapes
(layer, pos), (layer, head), (layer, pos, head)) and ``activation_patching.png``.
"""

from __future__ import annotations

import time

import numpy as np
from pydantic import Field, field_validator

from experiments.patching import SWEEPS, PairsConfig, prepare, run_with_cache
from experiments.plots import Panel, head_labels, heatmaps
from experiments.registry import Metric, template


class Config(PairsConfig):
    sweeps: str = Field(
        "resid_pre,head_out,head_out_by_pos",
        description=f"Comma-separated sweeps to run, from: {', '.join(SWEEPS)}.",
    )

    @field_validator("sweeps")
    @classmethod
    def known_sweeps(cls, value: str) -> str:
        names = [s.strip() for s in value.split(",") if s.strip()]
        unknown = [s for s in names if s not in SWEEPS]
        if unknown or not names:
            raise ValueError(f"must name some of {', '.join(SWEEPS)}")
        return ",".join(names)


METRICS = [
    Metric("clean_logit_diff", "logits", True, "Logit difference on the clean prompts."),
    Metric("corrupted_logit_diff", "logits", False, "Logit difference on the corrupted prompts."),
    Metric("top_head_recovery", "fraction", True, "Largest recovery from patching one head."),
    Metric("effective_n_heads", "heads", False, "Participation ratio of head recoveries."),
    Metric("top_resid_recovery", "fraction", True, "Largest recovery from one residual site."),
    Metric("patches_per_second", "patches/s", True, "Patched forward copies per second."),
]


def panel(sweep: str, recovery: np.ndarray) -> Panel:
    """The heatmap of one sweep's recovery."""
    if sweep == "resid_pre":
        return Panel("resid_pre (layer × position)", recovery, "position", "layer")
    if sweep == "head_out":
        return Panel("head output, all positions", recovery, "head", "layer")
    n_layers, _, n_heads = recovery.shape
    rows = recovery.transpose(0, 2, 1).reshape(n_layers * n_heads, -1)  # (layer·head, pos)
    return Panel(
        "head output by position", rows, "position", "head", head_labels(n_layers, n_heads)
    )


@template(
    "activation_patching",
    summary="Patch clean activations into corrupted runs: residual stream and head sweeps.",
    config=Config,
    metrics=METRICS,
)
def run(config: Config, ctx) -> None:
    model, pairs = prepare(config, ctx)
    ctx.log_metric("clean_logit_diff", pairs.clean_value)
    ctx.log_metric("corrupted_logit_diff", pairs.corrupted_value)
    cache = run_with_cache(model, pairs.clean)
    sweeps = config.sweeps.split(",")
    results, n_patches, started = {}, 0, time.perf_counter()
    for i, sweep in enumerate(sweeps):
        ctx.progress(0.5 + 0.5 * i / len(sweeps), f"sweep {sweep}")
        values = SWEEPS[sweep](model, pairs.corrupted, cache, pairs.metric, config.chunk_size)
        results[sweep] = pairs.recovery(values).cpu().numpy()
        n_patches += values.numel()
        ctx.save_artifact(f"{sweep}_recovery", results[sweep])
    ctx.log_metric("patches_per_second", n_patches / (time.perf_counter() - started))
    ctx.save_artifact("activation_patching", heatmaps([panel(s, results[s]) for s in sweeps]))

    message = f"{n_patches} patches"
    if "head_out" in results:
        heads = results["head_out"]
        layer, head = np.unravel_index(heads.argmax(), heads.shape)
        ctx.log_metric("top_head_recovery", heads.max())
        ctx.log_metric("effective_n_heads", np.abs(heads).sum() ** 2 / (heads**2).sum())
        message += f"; top head L{layer}H{head} recovers {heads.max():.2f}"
    if "resid_pre" in results:
        ctx.log_metric("top_resid_recovery", results["resid_pre"].max())
    ctx.progress(1.0, message)
