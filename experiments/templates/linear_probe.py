"""Linear probes per layer for a property the model must compute, against two controls.

The technique
-------------
A linear probe is a logistic regression trained to read a property off a
model's activations (Alain & Bengio 2016, "Understanding intermediate layers
using linear classifier probes"). If a held-out probe on layer l's residual
stream predicts the property, the property is linearly decodable there — which
says the information is present, not that the model uses it. Two things that
are not model internals keep a probe honest:

* a **token baseline**: the same logistic regression on the input alone — the
  current token (one-hot), its position (one-hot), and how often each token
  occurred before it. A probe that does no better is reading the input, not
  anything the model computed;
* a **control task** (Hewitt & Liang 2019, "Designing and Interpreting Probes
  with Control Tasks"): the same probe on the same activations trained and
  tested on labels that carry no property. ``control="shuffled"`` (default)
  permutes the labels across examples, so the control shows what label
  frequencies and over-fitting alone give. ``control="token_type"`` is Hewitt &
  Liang's own: each current-token type gets a random label, so the control shows
  how well the probe can memorise token identity. With a small vocabulary (63
  types in a 64-dimensional stream) that is nearly perfect wherever the token
  embedding is present, so it says more about the probe than the property here.

The property (``property``):

* ``previous_token`` (default): whether the *previous* token lies in the lower
  half of the vocabulary — one bit of the previous token's identity. An
  induction model must move the previous token into each position (its
  layer-0 previous-token head does, for the layer-1 induction heads' keys to
  match on), so the bit should be decodable after layer 0 and not from the
  token embedding, which holds only the current token.
* ``seen_before``: whether the current token occurred earlier in the sequence.
  Induction needs the match, but not necessarily as a linear feature of the
  residual stream: on ``organism:induction-2l`` the probe does no better than
  the token baseline (README), a negative result the baseline exists to show.

The data are ``BOS + r + r`` (half of the sequences) and ``BOS + r + r'`` with a
fresh random ``r'`` (the other half), ``r`` of ``seq_len`` random tokens; every
position from the second token of ``r`` on is one example (the first one's
previous token is BOS), and whole sequences are held out. Repeats happen in the
second half of repeated sequences and by chance anywhere, so position alone does
not give ``seen_before``. The probes are ``transformer_lens.tools.analysis
.sparse_probing.fit_sparse_probe`` with every feature kept (a dense L2-regularised
logistic regression, standardised features, stratified held-out split by
sequence), fitted on the CPU in float64.

Metrics (held out; the probe's are at the hook where its accuracy is highest)
----------------------------------------------------------------------------
``probe_accuracy``: fraction of held-out examples the probe labels correctly
at logit 0 (the majority-class rate is logged beside it). ``probe_auroc``: the
area under its ROC curve (0.5 = chance, 1 = perfect ranking).
``token_baseline_accuracy`` and ``token_baseline_auroc``: the same for the
token baseline; lower means the input alone explains less. ``control_accuracy``:
the probe's accuracy on the control task at the same hook.
``selectivity`` = probe_accuracy − control_accuracy (Hewitt & Liang): higher
means the accuracy reflects the property rather than what any labelling gets.
Artifacts: ``probe_by_layer.npy`` (one row per hook — ``blocks.{l}.hook_resid_pre``
for each layer, then the last ``hook_resid_post``; columns accuracy, AUROC,
control accuracy, selectivity), ``probe_summary.json`` (hook names, the token
baseline, the majority rate) and ``probe_by_layer.png``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from experiments import lazy
from experiments.loading import ModelSpec
from experiments.organisms import (
    bos_token,
    check_induction_fits,
    induction_batch,
    require_induction_fits,
)
from experiments.registry import Metric, ModelConfig, template

torch = lazy.module("torch")


class Config(ModelConfig):
    seq_len: int = Field(16, ge=2, le=1024, description="Length of r in BOS + r + r / r'.")
    n_sequences: int = Field(
        128, ge=8, le=65536, description="Sequences; half repeat r, half continue afresh."
    )
    test_fraction: float = Field(0.3, gt=0, lt=1, description="Share of sequences held out.")
    l2_strength: float = Field(0.01, gt=0, le=100, description="L2 penalty of every probe.")
    property: Literal["previous_token", "seen_before"] = Field(
        "previous_token",
        description="The probed property: a bit of the previous token, or a repeat of this one.",
    )
    control: Literal["shuffled", "token_type"] = Field(
        "shuffled",
        description="Control task labels: shuffled across examples, or random per token type.",
    )

    def check_model(self, spec: ModelSpec) -> None:
        check_induction_fits(self.seq_len, spec.n_ctx, spec.d_vocab, spec.name)


METRICS = [
    Metric("probe_accuracy", "fraction", True, "Held-out accuracy of the best layer's probe."),
    Metric("probe_auroc", "AUROC", True, "Held-out AUROC of the best layer's probe."),
    Metric(
        "token_baseline_accuracy",
        "fraction",
        False,
        "Held-out accuracy from the input tokens alone (token, position, earlier tokens).",
    ),
    Metric("token_baseline_auroc", "AUROC", False, "Held-out AUROC from the input tokens alone."),
    Metric("control_accuracy", "fraction", False, "The same probe's accuracy on the control task."),
    Metric("selectivity", "fraction", True, "probe_accuracy − control_accuracy."),
]


def repeat_or_fresh(
    generator: torch.Generator, n: int, length: int, vocab: int, bos: int
) -> torch.Tensor:
    """``BOS + r + r`` (the first half of the ``n`` sequences) or ``BOS + r + r'``."""
    tokens = induction_batch(generator, n, length, vocab, bos)  # (n, 2L + 1)
    fresh = n // 2
    r_fresh = torch.randint(1, vocab, (fresh, length), generator=generator)
    tokens[n - fresh :, length + 1 :] = r_fresh
    return tokens


def property_labels(tokens: torch.Tensor, prop: str, vocab: int) -> torch.Tensor:
    """The property at each position of ``tokens`` (n, pos), as booleans (n, pos)."""
    if prop == "previous_token":
        labels = torch.zeros_like(tokens, dtype=torch.bool)
        labels[:, 1:] = tokens[:, :-1] < vocab // 2
        return labels
    pos = torch.arange(tokens.shape[1])
    earlier = (tokens[:, :, None] == tokens[:, None, :]) & (pos[None, None] < pos[None, :, None])
    return earlier.any(-1)


def token_features(tokens: torch.Tensor) -> torch.Tensor:
    """What the input alone says at each position: token, position, counts of earlier tokens."""
    _, ids = tokens.unique(return_inverse=True)  # compact token types (n, pos)
    current = torch.nn.functional.one_hot(ids).float()  # (n, pos, types)
    n, n_pos, _ = current.shape
    position = torch.eye(n_pos).expand(n, n_pos, n_pos)  # (n, pos, pos)
    earlier = current.cumsum(1) - current  # (n, pos, types)
    return torch.cat([current, position, earlier], dim=-1)  # (n, pos, features)


def fit(
    features: torch.Tensor, labels: torch.Tensor, groups: torch.Tensor, config: Config, seed: int
):
    """A dense held-out logistic probe (TransformerLens's sparse probe with every feature kept)."""
    from transformer_lens.tools.analysis.sparse_probing import fit_sparse_probe

    features = features.double().cpu()
    return fit_sparse_probe(
        features,
        labels.long().cpu(),
        k=features.shape[1],
        test_fraction=config.test_fraction,
        groups=groups,
        preprocess="standardize",
        class_weight=None,
        l2_strength=config.l2_strength,
        seed=seed,
    ).metrics


def control_labels(
    labels: torch.Tensor, tokens: torch.Tensor, kind: str, generator: torch.Generator
) -> torch.Tensor:
    """Labels without the property: ``labels`` shuffled, or a random label per token type."""
    if kind == "shuffled":
        return labels[torch.randperm(len(labels), generator=generator)]
    rate = labels.float().mean()
    per_type = torch.rand(int(tokens.max()) + 1, generator=generator) < rate
    return per_type[tokens]


TITLES = {
    "previous_token": "previous token in the lower half of the vocabulary",
    "seen_before": "current token appeared earlier",
}


def plot(hooks, table: np.ndarray, baseline, majority: float, prop: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.arange(len(hooks))
    fig, (acc, auc) = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
    acc.plot(x, table[:, 0], "o-", label="probe")
    acc.plot(x, table[:, 2], "s--", label="control task")
    acc.axhline(baseline.accuracy, color="C2", ls=":", label="token baseline")
    acc.axhline(majority, color="grey", lw=0.8, label="majority class")
    acc.set(ylabel="held-out accuracy", ylim=(0, 1.02), title=TITLES[prop])
    auc.plot(x, table[:, 1], "o-", label="probe")
    auc.axhline(baseline.roc_auc, color="C2", ls=":", label="token baseline")
    auc.axhline(0.5, color="grey", lw=0.8, label="chance")
    auc.set(ylabel="held-out AUROC", ylim=(0, 1.02))
    for ax in (acc, auc):
        ax.set_xticks(x, [h.removeprefix("blocks.") for h in hooks], rotation=20)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@template(
    "linear_probe",
    summary="Linear probes per layer for a property, vs a token baseline and a control task.",
    config=Config,
    metrics=METRICS,
)
def run(config: Config, ctx) -> None:
    model = ctx.load_model(config.model)
    n_layers = model.cfg.n_layers
    require_induction_fits(model, config.seq_len, config.model)
    bos = bos_token(model)
    gen = torch.Generator().manual_seed(ctx.seed)
    vocab = model.cfg.d_vocab
    tokens = repeat_or_fresh(gen, config.n_sequences, config.seq_len, vocab, bos)
    hooks = [f"blocks.{layer}.hook_resid_pre" for layer in range(n_layers)]
    hooks.append(f"blocks.{n_layers - 1}.hook_resid_post")
    ctx.progress(0.5, f"activations at {len(hooks)} hooks on {len(tokens)} sequences")
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens.to(ctx.device), names_filter=set(hooks).__contains__)

    # Positions 2.. are the examples (position 1 follows BOS); a sequence is held out whole.
    labels = property_labels(tokens, config.property, vocab)[:, 2:].flatten()  # (n * (2L - 1),)
    groups = torch.arange(len(tokens)).repeat_interleave(tokens.shape[1] - 2)
    control = control_labels(labels, tokens[:, 2:].flatten(), config.control, gen)
    baseline = fit(token_features(tokens)[:, 2:].flatten(0, 1), labels, groups, config, ctx.seed)
    rows = []
    for index, hook in enumerate(hooks):
        ctx.progress(0.55 + 0.4 * index / len(hooks), f"probing {hook}")
        acts = cache[hook][:, 2:].flatten(0, 1)  # (n * (2L - 1), d_model)
        probe = fit(acts, labels, groups, config, ctx.seed)
        ctrl = fit(acts, control, groups, config, ctx.seed)
        rows.append([probe.accuracy, probe.roc_auc, ctrl.accuracy, probe.accuracy - ctrl.accuracy])

    table = np.array(rows)  # (hook, [accuracy, AUROC, control accuracy, selectivity])
    majority = max(labels.float().mean().item(), 1 - labels.float().mean().item())
    best = int(table[:, 0].argmax())
    ctx.save_artifact("probe_by_layer", table)
    ctx.save_artifact(
        "probe_summary",
        {
            "hooks": hooks,
            "best_hook": hooks[best],
            "token_baseline": {"accuracy": baseline.accuracy, "auroc": baseline.roc_auc},
            "majority_accuracy": majority,
            "property": config.property,
            "control": config.control,
        },
    )
    ctx.save_artifact("probe_by_layer", plot(hooks, table, baseline, majority, config.property))
    ctx.log_metric("probe_accuracy", table[best, 0])
    ctx.log_metric("probe_auroc", table[best, 1])
    ctx.log_metric("token_baseline_accuracy", baseline.accuracy)
    ctx.log_metric("token_baseline_auroc", baseline.roc_auc)
    ctx.log_metric("control_accuracy", table[best, 2])
    ctx.log_metric("selectivity", table[best, 3])
    ctx.progress(
        1.0,
        f"best at {hooks[best]}: accuracy {table[best, 0]:.3f} (AUROC {table[best, 1]:.3f}), "
        f"token baseline {baseline.accuracy:.3f}, control {table[best, 2]:.3f}, "
        f"majority class {majority:.3f}",
    )
