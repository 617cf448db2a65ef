"""Sparse autoencoder quality: sparsity, reconstruction, and the loss with it spliced in.

The technique
-------------
A sparse autoencoder (SAE) is trained to rewrite one hook point's activations
as a sparse combination of learned directions, hoping each direction is one
interpretable feature (Bricken et al. 2023, "Towards Monosemanticity";
Cunningham et al. 2023). Before reading its latents, check that the dictionary
is any good: that it is sparse, that it reconstructs the activations, and above
all that the model still works when its activations are replaced by the
reconstruction — an SAE can reach a high explained variance while missing the
small directions the model relies on. This template trains a TopK SAE
(``experiments.sae``: Gao et al. 2024, "Scaling and evaluating sparse
autoencoders") on the activations of ``hook`` over the model's task data
(``experiments.organisms.task_batch``), and scores it on held-out sequences.
SAELens does not support TransformerLens 4, so the SAE is our own (small) code.

The control is a **random-direction dictionary** of the same width and the
same k: its decoder is fixed at random unit directions and only its encoder and
biases are trained, with the same data and steps. A learned SAE that does not
clearly beat it has not found the activations' structure.

Metrics (on held-out sequences; the ``random_`` ones are the same for the control)
---------------------------------------------------------------------------------
``l0``: mean number of active latents per token (at most k; lower = sparser).
``explained_variance``: ``1 − Σ‖x − x̂‖² / Σ‖x − mean(x)‖²`` over held-out
activations; 1 is perfect, 0 is no better than the mean, negative is worse.
``loss_recovered``: with the task's next-token cross-entropy measured clean,
with the hook's activations zeroed, and with them replaced by the SAE's
reconstruction, ``(CE_zero − CE_sae) / (CE_zero − CE_clean)``; 1 means the
reconstruction loses nothing, 0 means it is as bad as deleting the activations
(it can fall below 0). NaN when zeroing the hook does not raise the loss.
``dead_fraction``: the share of latents that fire on no held-out token (lower
is better; dead latents are wasted capacity).
Artifacts: ``scores.npy`` (rows SAE, random; columns l0, explained variance,
loss recovered, dead fraction), ``latent_frequency.npy`` (each latent's firing
rate on held-out tokens), ``decoder.npy`` (the learned dictionary,
n_latents × d_in), ``losses.json`` (the three cross-entropies) and
``sae_quality.png``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, model_validator

from db.errors import InvalidInput
from experiments import lazy
from experiments.loading import ModelSpec
from experiments.organisms import task_batch, task_loss
from experiments.registry import Metric, ModelConfig, template

torch = lazy.module("torch")

if TYPE_CHECKING:
    from experiments.sae import SparseAutoencoder


class Config(ModelConfig):
    hook: str = Field(
        "blocks.1.hook_resid_pre",
        description="Hook point whose activations the SAE reconstructs (one vector per token).",
    )
    n_sequences: int = Field(256, ge=4, le=65536, description="Task sequences to draw.")
    heldout_fraction: float = Field(
        0.2, gt=0, lt=1, description="Share of sequences kept out of training, for scoring."
    )
    expansion: int = Field(4, ge=1, le=256, description="Latents per activation dimension.")
    k: int = Field(8, ge=1, le=4096, description="Active latents per token (TopK).")
    steps: int = Field(500, ge=1, le=1_000_000, description="Training steps for each dictionary.")
    batch: int = Field(256, ge=1, le=1_000_000, description="Activations per training step.")
    lr: float = Field(3e-3, gt=0, le=1, description="Adam learning rate.")

    @model_validator(mode="after")
    def leaves_training_sequences(self) -> Config:
        if held_out(self.n_sequences, self.heldout_fraction) >= self.n_sequences:
            raise ValueError(
                f"heldout_fraction {self.heldout_fraction:g} of {self.n_sequences} sequences "
                "leaves none to train on; lower it or draw more sequences"
            )
        return self

    def check_model(self, spec: ModelSpec) -> None:
        width = hook_width(self.hook, spec)
        if width is None:
            raise InvalidInput(
                f"Hook {self.hook!r} is not a per-token activation of this model; use "
                f"{' or '.join(model_hooks(spec))} or blocks.L.NAME with L in "
                f"0–{spec.n_layers - 1} and NAME one of {', '.join(layer_hooks(spec))}."
            )
        if self.k > self.expansion * width:
            raise InvalidInput(
                f"k {self.k} is more than the {self.expansion * width} latents "
                f"(expansion {self.expansion} × width {width}); lower k or raise expansion."
            )


# Per-layer hooks with one vector per token, in forward order, and whether they need an MLP.
LAYER_HOOKS = {
    "hook_resid_pre": False,
    "hook_attn_out": False,
    "hook_resid_mid": True,
    "hook_mlp_out": True,
    "hook_resid_post": False,
    "mlp.hook_pre": True,
    "mlp.hook_post": True,
}


def model_hooks(spec: ModelSpec) -> list[str]:
    """The embedding hooks a model of this shape has."""
    return ["hook_embed"] + (["hook_pos_embed"] if spec.positional == "standard" else [])


def layer_hooks(spec: ModelSpec) -> list[str]:
    """The per-layer hooks (``blocks.L.<name>``) a model of this shape has."""
    return [name for name, needs_mlp in LAYER_HOOKS.items() if spec.d_mlp or not needs_mlp]


def sae_hooks(spec: ModelSpec) -> list[str]:
    """Every hook ``sae_quality`` accepts on a model of this shape, in forward order."""
    per_layer = [f"blocks.{i}.{name}" for i in range(spec.n_layers) for name in layer_hooks(spec)]
    return model_hooks(spec) + per_layer


def hook_width(hook: str, spec: ModelSpec) -> int | None:
    """The width of ``hook``'s activations on this model, or None if it has no such hook."""
    if hook not in sae_hooks(spec):
        return None
    return spec.d_mlp if hook.endswith(("mlp.hook_pre", "mlp.hook_post")) else spec.d_model


def held_out(n_sequences: int, fraction: float) -> int:
    """How many of ``n_sequences`` are kept out of training (at least one)."""
    return max(1, round(fraction * n_sequences))


METRICS = [
    Metric("l0", "latents", False, "Mean active latents per held-out token."),
    Metric("explained_variance", "fraction", True, "1 − residual / total variance, held out."),
    Metric(
        "loss_recovered",
        "fraction",
        True,
        "(CE_zero − CE_sae) / (CE_zero − CE_clean) with the reconstruction spliced in.",
    ),
    Metric("dead_fraction", "fraction", False, "Share of latents that never fire held out."),
    Metric(
        "random_explained_variance",
        "fraction",
        True,
        "Explained variance of a random-direction dictionary of the same width and k.",
    ),
    Metric(
        "random_loss_recovered",
        "fraction",
        True,
        "Loss recovered by a random-direction dictionary of the same width and k.",
    ),
]


def splice_loss(model, tokens, targets, hook: str, replace) -> float:
    """Task loss with ``hook``'s activations replaced by ``replace(activations)``."""
    with torch.no_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=[(hook, lambda act, hook: replace(act))])
    return task_loss(logits, targets).item()


def score(sae: SparseAutoencoder, acts: torch.Tensor) -> tuple[float, float, torch.Tensor]:
    """L0, explained variance and per-latent firing rate on ``acts`` (n, d_in)."""
    with torch.no_grad():
        codes = sae.encode(acts)  # (n, n_latents)
        residual = (acts - sae.decode(codes)).pow(2).sum()
        total = (acts - acts.mean(0)).pow(2).sum()
        active = codes > 0
    l0 = active.float().sum(-1).mean().item()
    return l0, 1 - (residual / total).item(), active.float().mean(0)


def plot(scores: np.ndarray, frequency: np.ndarray, hook: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    x = np.arange(2)
    for offset, (row, label) in enumerate(zip(scores, ("learned SAE", "random"), strict=True)):
        left.bar(x + 0.38 * offset, row[1:3], width=0.38, label=label)
    left.set_xticks(x + 0.19, ["explained variance", "loss recovered"])
    left.set(ylim=(min(0, scores[:, 1:3].min()), 1.05), title=f"SAE on {hook}")
    left.axhline(1, color="grey", lw=0.5)
    left.legend()
    alive = frequency[frequency > 0]
    right.hist(np.log10(alive), bins=30)
    right.set(
        xlabel="log10 firing rate",
        ylabel="latents",
        title=f"{len(alive)} live, {len(frequency) - len(alive)} dead latents",
    )
    fig.tight_layout()
    return fig


@template(
    "sae_quality",
    summary="Train a TopK sparse autoencoder on one hook; L0, explained variance, loss recovered.",
    config=Config,
    metrics=METRICS,
)
def run(config: Config, ctx) -> None:
    from experiments.sae import train_sae  # its nn.Module needs torch when it is defined

    model = ctx.load_model(config.model)
    if config.hook not in model.hook_dict:
        resid = ", ".join(h for h in model.hook_dict if "resid" in h or h.endswith("mlp_out"))
        raise InvalidInput(f"{config.model} has no hook {config.hook!r}; for example: {resid}.")
    gen = torch.Generator().manual_seed(ctx.seed)
    tokens, targets = task_batch(config.model, model, gen, config.n_sequences)
    tokens, targets = tokens.to(ctx.device), targets.to(ctx.device)
    n_train = len(tokens) - held_out(len(tokens), config.heldout_fraction)
    ctx.progress(0.5, f"activations of {config.hook} on {len(tokens)} sequences")
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda name: name == config.hook)
    acts = cache[config.hook].float()  # (batch, pos, d_in)
    if acts.dim() != 3:
        raise InvalidInput(
            f"{config.hook} has activations of shape {tuple(acts.shape)}; pick a hook with "
            "one vector per token (batch, pos, d), such as a resid or mlp_out hook."
        )
    train_acts = acts[:n_train].flatten(0, 1)  # (n_train * pos, d_in)
    test_acts = acts[n_train:].flatten(0, 1)  # (n_test * pos, d_in)
    test_tokens, test_targets = tokens[n_train:], targets[n_train:]
    n_latents = config.expansion * acts.shape[-1]
    if config.k > n_latents:
        raise InvalidInput(f"k {config.k} is more than the {n_latents} latents; lower k.")

    ce = {
        "clean": splice_loss(model, test_tokens, test_targets, config.hook, lambda a: a),
        "zero": splice_loss(model, test_tokens, test_targets, config.hook, torch.zeros_like),
    }
    gap = ce["zero"] - ce["clean"]
    rows = []
    for index, name in enumerate(("sae", "random")):
        start = 0.55 + 0.2 * index
        sae = train_sae(
            train_acts,
            n_latents,
            config.k,
            steps=config.steps,
            batch=config.batch,
            lr=config.lr,
            seed=ctx.seed,
            learn_decoder=name == "sae",
            progress=lambda f, s=start, n=name: ctx.progress(s + 0.2 * f, f"training {n}"),
        )
        l0, explained, rate = score(sae, test_acts)
        ce[name] = splice_loss(
            model, test_tokens, test_targets, config.hook, lambda a, sae=sae: sae(a.float()).to(a)
        )
        recovered = (ce["zero"] - ce[name]) / gap if gap > 1e-6 else math.nan
        rows.append([l0, explained, recovered, (rate == 0).float().mean().item()])
        if name == "sae":
            ctx.save_artifact("latent_frequency", rate)
            ctx.save_artifact("decoder", sae.W_dec.detach())
            frequency = rate.cpu().numpy()

    scores = np.array(rows)  # (2, 4): SAE, random × l0, EV, loss recovered, dead fraction
    ctx.save_artifact("scores", scores)
    ctx.save_artifact("losses", ce)
    ctx.save_artifact("sae_quality", plot(scores, frequency, config.hook))
    for name, value in zip(
        ("l0", "explained_variance", "loss_recovered", "dead_fraction"), scores[0], strict=True
    ):
        ctx.log_metric(name, value)
    ctx.log_metric("random_explained_variance", scores[1, 1])
    ctx.log_metric("random_loss_recovered", scores[1, 2])
    ctx.progress(
        1.0,
        f"explained variance {scores[0, 1]:.3f} (random {scores[1, 1]:.3f}), "
        f"loss recovered {scores[0, 2]:.3f} (random {scores[1, 2]:.3f}), L0 {scores[0, 0]:.1f}",
    )
