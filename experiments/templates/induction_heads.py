"""Induction heads and previous-token heads, found by their attention patterns.

The technique
-------------
Feed the model ``BOS + r + r``: a random token sequence ``r`` of length L,
repeated once. Nothing in ``r`` is predictable, but every token of the second
copy after its first is predictable by *induction*: "the last time I saw the
current token, the next token was X, so predict X". Olsson et al. (2022), "In-context
Learning and Induction Heads", show transformers implement this with two heads
in different layers:

* a **previous-token head** attends from each position to the one before it and
  writes "my previous token was t" into the residual stream;
* an **induction head** (a later layer) attends from the current token to the
  position *after* its earlier occurrence, found through that previous-token
  information (K-composition), and copies the token there.

Because the prompt is random, a head's attention pattern on it identifies its
role. This is the same measurement as ``transformer_lens.head_detector``'s
``induction_head`` / ``previous_token_head`` patterns (Nanda's "induction score"),
computed here in one batched forward on token ids, so it works for models
without a tokenizer such as the built-in organisms.

Metrics (all from the attention pattern ``A[batch, head, query, key]``)
------------------------------------------------------------------------
``induction score`` of a head: mean over sequences and over second-copy queries
q = L+1 … 2L of ``A[q, q − L + 1]``; 1 means all attention on the induction
target, 0 none. ``max_induction_score`` is the largest over all heads (higher =
a clearer induction head) and ``n_induction_heads`` counts heads above
``threshold``. ``previous-token score``: mean of ``A[q, q − 1]`` over q ≥ 1;
``max_prev_token_score`` and ``n_prev_token_heads`` likewise.
``repeated_half_loss``: the mean next-token loss in nats on the predictable part
of the second copy (lower = the model does induction).
Artifacts: ``induction_scores.npy`` and ``prev_token_scores.npy`` (layer × head)
and ``head_scores.png``, the two heatmaps.
"""

from __future__ import annotations

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
    seq_len: int = Field(16, ge=2, le=1024, description="Length L of the repeated sequence.")
    n_sequences: int = Field(64, ge=1, le=4096, description="How many random sequences.")
    threshold: float = Field(
        0.4, ge=0, le=1, description="A head scoring above this counts as that kind of head."
    )

    def check_model(self, spec: ModelSpec) -> None:
        check_induction_fits(self.seq_len, spec.n_ctx, spec.d_vocab, spec.name)


METRICS = [
    Metric("max_induction_score", "attention fraction", True, "Best head's induction score."),
    Metric("n_induction_heads", "heads", True, "Heads with induction score above threshold."),
    Metric("max_prev_token_score", "attention fraction", True, "Best previous-token score."),
    Metric("n_prev_token_heads", "heads", True, "Heads with previous-token score above threshold."),
    Metric("repeated_half_loss", "nats", False, "Loss on the predictable part of the repeat."),
]


def head_scores(pattern: torch.Tensor, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Induction and previous-token scores per head from one layer's ``(batch, head, q, k)``."""
    q_ind = torch.arange(seq_len + 1, 2 * seq_len + 1)
    induction = pattern[:, :, q_ind, q_ind - seq_len + 1]  # (batch, head, L)
    q_prev = torch.arange(1, 2 * seq_len + 1)
    previous = pattern[:, :, q_prev, q_prev - 1]  # (batch, head, 2L)
    return induction.mean(dim=(0, 2)), previous.mean(dim=(0, 2))  # (head,), (head,)


def heatmap(induction, previous):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 0.6 * induction.shape[0] + 1.8))
    for ax, scores, title in zip(
        axes, (induction, previous), ("induction score", "previous-token score"), strict=True
    ):
        im = ax.imshow(scores, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        ax.set(title=title, xlabel="head", ylabel="layer")
        ax.set_xticks(range(scores.shape[1]))
        ax.set_yticks(range(scores.shape[0]))
        for (layer, head), v in np.ndenumerate(scores):
            ax.text(
                head,
                layer,
                f"{v:.2f}",
                ha="center",
                va="center",
                color="white" if v < 0.6 else "black",
                fontsize=8,
            )
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


@template(
    "induction_heads",
    summary="Find induction and previous-token heads from attention on repeated random tokens.",
    config=Config,
    metrics=METRICS,
)
def run(config: Config, ctx) -> None:
    model = ctx.load_model(config.model)
    require_induction_fits(model, config.seq_len, config.model)
    n_layers = model.cfg.n_layers
    gen = torch.Generator().manual_seed(ctx.seed)
    tokens = induction_batch(
        gen, config.n_sequences, config.seq_len, model.cfg.d_vocab, bos_token(model)
    )
    tokens = tokens.to(ctx.device)  # (batch, 2L + 1)
    ctx.progress(0.5, f"forward pass on {config.n_sequences} × {tokens.shape[1]} tokens")

    induction, previous = [], []
    with torch.no_grad():
        logits, cache = model.run_with_cache(
            tokens, names_filter=lambda name: name.endswith("attn.hook_pattern")
        )
        for layer in range(n_layers):
            ind, prev = head_scores(
                cache[f"blocks.{layer}.attn.hook_pattern"].float(), config.seq_len
            )
            induction.append(ind)
            previous.append(prev)
        logprobs = logits[:, :-1].float().log_softmax(-1)
        nll = -logprobs.gather(-1, tokens[:, 1:, None])[..., 0]  # (batch, pos - 1)
        loss = nll[:, config.seq_len + 1 :].mean().item()

    induction_scores = torch.stack(induction).cpu().numpy()  # (layer, head)
    prev_scores = torch.stack(previous).cpu().numpy()  # (layer, head)
    ctx.save_artifact("induction_scores", induction_scores)
    ctx.save_artifact("prev_token_scores", prev_scores)
    ctx.save_artifact("head_scores", heatmap(induction_scores, prev_scores))

    ctx.log_metric("max_induction_score", induction_scores.max())
    ctx.log_metric("n_induction_heads", (induction_scores > config.threshold).sum())
    ctx.log_metric("max_prev_token_score", prev_scores.max())
    ctx.log_metric("n_prev_token_heads", (prev_scores > config.threshold).sum())
    ctx.log_metric("repeated_half_loss", loss)
    best = divmod(int(induction_scores.argmax()), induction_scores.shape[1])
    ctx.progress(
        1.0,
        f"best induction head L{best[0]}H{best[1]} "
        f"({induction_scores.max():.2f}); repeated-half loss {loss:.3f}",
    )
