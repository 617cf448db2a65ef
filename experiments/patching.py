"""Batched activation patching: many patches per forward pass.

The technique
-------------
Activation patching (Meng et al. 2022, "Locating and Editing Factual Associations
in GPT"; Wang et al. 2022, "Interpretability in the Wild") asks which internal
activations carry the information that makes a model answer correctly. Take two
prompts of the same length that differ in one key detail: a *clean* prompt the
model answers correctly and a *corrupted* one it does not. Run the corrupted
prompt, but overwrite one activation — the residual stream at one layer and
position, or one attention head's output — with its value from the clean run, and
measure how far the answer moves back towards the clean one. An activation whose
clean value restores the answer carries the information that matters; sweeping
over every layer, position and head *localises* the computation.

The usual measure is the normalised logit difference: with
``ld = logit(correct) − logit(wrong)`` averaged over prompts and answer positions,

    recovery = (ld_patched − ld_corrupted) / (ld_clean − ld_corrupted)

so 0 means the patch did nothing, 1 means it restored the clean answer fully, and
a negative value means it pushed the model further towards the wrong answer.

The engine
----------
``transformer_lens.patching`` is the reference: one forward pass of the whole
corrupted batch per patch. That is clear and slow: a sweep over layer × position ×
head of GPT-2 small is thousands of forwards, each too small to keep a GPU (or even
a CPU's memory bus) busy. This engine gives the same numbers (tests assert a max
absolute difference ≤ 1e-5 in fp32 against ``get_act_patch_resid_pre``,
``get_act_patch_attn_head_out_all_pos`` and ``get_act_patch_attn_head_out_by_pos``)
faster, which is why it exists beside TransformerLens:

* **Patches go in the batch dimension.** A chunk of ``c`` patches runs as one
  forward over ``c`` stacked copies of the corrupted batch; a hook on each layer
  writes the clean activation into each copy only where that copy's mask is set.
* **Layers below a patch run once.** A patch at layer ``l`` leaves layers below
  ``l`` as they were in the corrupted run, so a chunk holds patches that share
  their first patched layer: the corrupted batch runs through the layers below it
  once, and a hook on that layer's ``resid_pre`` stacks the copies. (Positions are
  passed as ``position_ids`` without a batch axis, so rotary tables broadcast over
  the copies.) On a 12-layer model this skips about half the layer compute of a
  layer-by-layer sweep.
* **The metric reads only what it needs.** The forward stops at the unembedding's
  input; the logit difference at the answer positions is that input dotted with
  ``W_U[:, correct] − W_U[:, wrong]``, so the vocabulary projection — a third of
  GPT-2 small's weights — never runs.
* **Memory stays bounded.** ``chunk_size`` caps the copies per forward; activations
  grow with ``chunk_size × n_prompts``.

A patch is a boolean *mask* over one activation family's sites in every layer —
``(n_layers, pos)`` for the residual stream, ``(n_layers, pos, n_heads)`` for head
outputs. One mask with one site set is a classic patch; a mask with many sites set
ablates or restores a whole set of heads at once, which is how circuit
faithfulness reuses the engine. The named wrappers build the one-site masks of a
sweep a chunk at a time (``OneHot``), so a large sweep never holds them all.

Models are typed against a small Protocol (``run_with_hooks``, ``run_with_cache``,
``cfg``), as in TransformerLens, so any hooked model with TransformerLens hook names
works; the tests build tiny ``TransformerBridge`` models.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import Field

from db.errors import InvalidInput
from experiments import lazy
from experiments.loading import ModelSpec
from experiments.organisms import (
    bos_token,
    check_induction_fits,
    induction_pairs,
    require_induction_fits,
)
from experiments.registry import ModelConfig

torch = lazy.module("torch")

# The activation families the engine patches, by TransformerLens hook name.
RESID_PRE = "blocks.{layer}.hook_resid_pre"  # (batch, pos, d_model)
HEAD_OUT = "blocks.{layer}.attn.hook_z"  # (batch, pos, n_heads, d_head)
UNEMBED_IN = "unembed.hook_in"  # (batch, pos, d_model), after the final norm


class HookedModel(Protocol):
    """What the engine needs from a model: TransformerLens hooks and its config."""

    cfg: Any

    def run_with_hooks(self, *args: Any, **kwargs: Any) -> Any: ...

    def run_with_cache(self, *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class LogitDiff:
    """``logit(correct) − logit(wrong)`` averaged over prompts and answer positions.

    ``positions``, ``correct`` and ``wrong`` are ``(batch, k)``: prompt ``b`` is scored
    at positions ``positions[b]``, where the right next token is ``correct[b]``.
    """

    positions: torch.Tensor
    correct: torch.Tensor
    wrong: torch.Tensor

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        """Score logits at the answer positions: ``(..., batch, k, d_vocab)`` → ``(...)``."""
        shape = logits.shape[:-1]
        right = logits.gather(-1, self.correct.expand(shape).unsqueeze(-1))
        wrong = logits.gather(-1, self.wrong.expand(shape).unsqueeze(-1))
        return (right - wrong)[..., 0].mean(dim=(-2, -1))

    def from_unembed_input(
        self, resid: torch.Tensor, W_U: torch.Tensor, b_U: torch.Tensor | None
    ) -> torch.Tensor:
        """Score ``(..., batch, pos, d_model)`` unembedding inputs with two columns of ``W_U``.

        The same numbers as unembedding every position and calling the metric, without
        the ``d_model × d_vocab`` projection: ``(...)``.
        """
        index = self.positions.unsqueeze(-1).expand(*resid.shape[:-2], -1, resid.shape[-1])
        picked = resid.gather(-2, index)  # (..., batch, k, d_model)
        diff = torch.einsum("...bkd,dbk->...bk", picked, W_U[:, self.correct] - W_U[:, self.wrong])
        if b_U is not None:
            diff = diff + (b_U[self.correct] - b_U[self.wrong])
        return diff.mean(dim=(-2, -1))

    def of_full_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """Score a plain forward's ``(batch, pos, d_vocab)`` logits (a scalar)."""
        index = self.positions.unsqueeze(-1).expand(-1, -1, logits.shape[-1])
        return self(logits.gather(1, index))


@dataclass(frozen=True)
class PromptPairs:
    """Clean and corrupted prompts, the metric that tells them apart, and its two baselines."""

    clean: torch.Tensor  # (batch, pos)
    corrupted: torch.Tensor  # (batch, pos)
    metric: LogitDiff
    clean_value: float
    corrupted_value: float

    def recovery(self, values: torch.Tensor) -> torch.Tensor:
        """Normalise metric values: 0 is the corrupted run, 1 the clean run."""
        return (values - self.corrupted_value) / (self.clean_value - self.corrupted_value)


class OneHot:
    """The masks of a one-site-per-patch sweep over ``shape``, built a slice at a time.

    Patch ``i`` sets the ``i``-th site of ``shape`` in row-major order; a size-1 axis
    broadcasts, so ``(n_layers, 1, n_heads)`` patches a head at every position.
    """

    def __init__(self, *shape: int):
        self.shape = shape

    def __len__(self) -> int:
        return math.prod(self.shape)

    def __getitem__(self, rows: slice) -> torch.Tensor:
        index = torch.arange(len(self))[rows]
        masks = torch.zeros(len(index), len(self), dtype=torch.bool)
        masks[torch.arange(len(index)), index] = True
        return masks.view(len(index), *self.shape)


def patch_sweep(
    model: HookedModel,
    tokens: torch.Tensor,
    sources: Mapping[str, torch.Tensor],
    hook: str,
    masks: torch.Tensor | OneHot,
    metric: LogitDiff,
    chunk_size: int = 64,
) -> torch.Tensor:
    """The metric with each patch applied: one value per mask, shape ``(len(masks),)``.

    Patch ``i`` runs ``tokens`` with the activation at ``hook`` (formatted per layer)
    replaced by ``sources[name]`` wherever ``masks[i]`` is set; ``masks`` is
    ``(n_patches, n_layers, *sites)`` and each source broadcasts to the activation.
    """
    n_layers = model.cfg.n_layers
    values, start = [], 0
    while start < len(masks):
        chunk = masks[start : start + chunk_size].to(tokens.device)
        if chunk.shape[1] != n_layers:
            raise ValueError(f"masks cover {chunk.shape[1]} layers; the model has {n_layers}")
        # A chunk's patches share their first patched layer; the layers below it run once.
        first = chunk.flatten(2).any(dim=2).int().argmax(dim=1)  # (copies,)
        chunk = chunk[: int((first == first[0]).int().cumprod(0).sum())]
        hooks = [(RESID_PRE.format(layer=int(first[0])), _expander(len(chunk)))]
        for layer in range(n_layers):
            if chunk[:, layer].any():
                name = hook.format(layer=layer)
                hooks.append((name, _writer(chunk[:, layer], sources[name])))
        values.append(run_metric(model, tokens, metric, hooks, copies=len(chunk)))
        start += len(chunk)
    return torch.cat(values)


def run_metric(
    model: HookedModel,
    tokens: torch.Tensor,
    metric: LogitDiff,
    hooks: list | None = None,
    copies: int = 1,
) -> torch.Tensor:
    """The metric on the ``copies`` that ``hooks`` make of the ``tokens`` run: ``(copies,)``.

    The forward stops at the unembedding's input; the metric needs two of its columns.
    """
    batch, n_pos = tokens.shape
    captured: list[torch.Tensor] = []

    def capture(resid: torch.Tensor, hook: Any) -> None:
        captured.append(resid)
        raise _Stop

    # Positions without a batch axis, so rotary tables broadcast over the copies.
    positions = torch.arange(n_pos, device=tokens.device)[None]
    with torch.no_grad():
        with contextlib.suppress(_Stop):
            model.run_with_hooks(
                tokens, fwd_hooks=[*(hooks or []), (UNEMBED_IN, capture)], position_ids=positions
            )
        resid = captured[0].view(copies, batch, n_pos, -1)  # (copies, batch, pos, d_model)
        return metric.from_unembed_input(resid, model.W_U, model.b_U)  # (copies,)


class _Stop(Exception):
    """Raised by a hook to end a forward pass once it has what it needs."""


def _expander(copies: int):
    """A hook stacking ``copies`` copies of the residual stream in the batch dimension."""

    def expand(resid: torch.Tensor, hook: Any) -> torch.Tensor:
        return resid.repeat(copies, 1, 1)  # (copies · batch, pos, d_model)

    return expand


def _writer(mask: torch.Tensor, source: torch.Tensor):
    """A hook writing ``source`` into copy ``i`` of the batch where ``mask[i]`` is set."""
    copies = mask.shape[0]

    def write(act: torch.Tensor, hook: Any) -> torch.Tensor:
        act = act.view(copies, -1, *act.shape[1:])  # (copies, batch, pos, [n_heads,] d)
        keep = mask.view(copies, 1, *mask.shape[1:], 1)  # (copies, 1, pos, [n_heads,] 1)
        return torch.where(keep, source.to(act.dtype), act).flatten(0, 1)

    return write


def patch_resid_pre(
    model: HookedModel,
    corrupted: torch.Tensor,
    clean_cache: Mapping[str, torch.Tensor],
    metric: LogitDiff,
    chunk_size: int = 64,
) -> torch.Tensor:
    """Patch the clean residual stream into each (layer, position): ``(n_layers, pos)``."""
    masks = OneHot(model.cfg.n_layers, corrupted.shape[1])
    values = patch_sweep(model, corrupted, clean_cache, RESID_PRE, masks, metric, chunk_size)
    return values.view(masks.shape)


def patch_head_out(
    model: HookedModel,
    corrupted: torch.Tensor,
    clean_cache: Mapping[str, torch.Tensor],
    metric: LogitDiff,
    chunk_size: int = 64,
) -> torch.Tensor:
    """Patch each head's clean output at every position: ``(n_layers, n_heads)``."""
    masks = OneHot(model.cfg.n_layers, 1, model.cfg.n_heads)
    values = patch_sweep(model, corrupted, clean_cache, HEAD_OUT, masks, metric, chunk_size)
    return values.view(model.cfg.n_layers, model.cfg.n_heads)


def patch_head_out_by_pos(
    model: HookedModel,
    corrupted: torch.Tensor,
    clean_cache: Mapping[str, torch.Tensor],
    metric: LogitDiff,
    chunk_size: int = 64,
) -> torch.Tensor:
    """Patch each head's clean output at one position: ``(n_layers, pos, n_heads)``."""
    masks = OneHot(model.cfg.n_layers, corrupted.shape[1], model.cfg.n_heads)
    values = patch_sweep(model, corrupted, clean_cache, HEAD_OUT, masks, metric, chunk_size)
    return values.view(masks.shape)


# The named sweeps: clean-into-corrupted patching of one site at a time.
SWEEPS = {
    "resid_pre": patch_resid_pre,
    "head_out": patch_head_out,
    "head_out_by_pos": patch_head_out_by_pos,
}


def run_with_cache(model: HookedModel, tokens: torch.Tensor):
    """The activations the sweeps patch (``resid_pre`` and head outputs) on ``tokens``."""
    with torch.no_grad():
        _, cache = model.run_with_cache(
            tokens, names_filter=lambda name: name.endswith(("hook_resid_pre", "attn.hook_z"))
        )
    return cache


def attribute(model: HookedModel, pairs: PromptPairs, hook: str = HEAD_OUT) -> torch.Tensor:
    """Attribution patching's estimate of each site's patched − corrupted metric.

    Two forwards and one backward: ``(a_clean − a_corrupted) · ∂metric/∂a`` at the
    corrupted run, summed over prompts and features; ``(n_layers, pos, [n_heads])``.
    """
    # TransformerLens's gradient capture handles the bridge's reshaped hook points.
    from transformer_lens.tools.analysis.attribution_patching import (
        cache_activation_and_gradient,
    )

    names = [hook.format(layer=layer) for layer in range(model.cfg.n_layers)]
    clean = run_with_cache(model, pairs.clean)
    with torch.enable_grad():
        # With only reshaped hook points (hook_z) cached, TL's capture drives no backward
        # and every gradient comes back None; the embedding anchors it to the graph.
        corrupted = cache_activation_and_gradient(
            model, pairs.corrupted, pairs.metric.of_full_logits, names_filter=[*names, "hook_embed"]
        )
    scores = [
        ((clean[n] - corrupted.activations[n]) * corrupted.gradients[n]).sum(dim=(0, -1))
        for n in names
    ]
    return torch.stack(scores)  # (n_layers, pos, [n_heads])


def induction_prompt_pairs(
    model: HookedModel, n_prompts: int, seq_len: int, seed: int, device: str = "cpu"
) -> PromptPairs:
    """Induction pairs: clean ``BOS + r + r``, corrupted ``BOS + r' + r``.

    At each second-copy token but the last, the correct answer is the clean next
    token ``r[j + 1]`` and the wrong one is ``r'[j + 1]``, the token at the same
    offset in the corrupted first copy (what copying by position would predict).
    """
    gen = torch.Generator().manual_seed(seed)
    clean, corrupted = induction_pairs(gen, n_prompts, seq_len, model.cfg.d_vocab, bos_token(model))
    clean, corrupted = clean.to(device), corrupted.to(device)
    positions = torch.arange(seq_len + 1, 2 * seq_len, device=device).expand(n_prompts, -1)
    metric = LogitDiff(positions, clean[:, 2 : seq_len + 1], corrupted[:, 2 : seq_len + 1])
    clean_value = run_metric(model, clean, metric).item()
    corrupted_value = run_metric(model, corrupted, metric).item()
    if not abs(clean_value - corrupted_value) > 1e-6:
        raise InvalidInput(
            f"The clean and corrupted prompts give the same logit difference ({clean_value:.4g}), "
            "so recovery cannot be normalised; use a model that does induction."
        )
    return PromptPairs(clean, corrupted, metric, clean_value, corrupted_value)


class PairsConfig(ModelConfig):
    """The settings every patching template shares: model, prompt pairs, chunking."""

    seq_len: int = Field(8, ge=2, le=1024, description="Length L of the repeated random sequence.")
    n_prompts: int = Field(8, ge=1, le=1024, description="How many clean/corrupted prompt pairs.")
    chunk_size: int = Field(
        64,
        ge=1,
        le=4096,
        description="Patched copies per forward pass; memory grows with chunk_size × n_prompts.",
    )

    def check_model(self, spec: ModelSpec) -> None:
        check_induction_fits(self.seq_len, spec.n_ctx, spec.d_vocab, spec.name)


def prepare(config: PairsConfig, ctx) -> tuple[HookedModel, PromptPairs]:
    """Load the run's model and build its induction prompt pairs on the run's device."""
    model = ctx.load_model(config.model)
    require_induction_fits(model, config.seq_len, config.model)
    pairs = induction_prompt_pairs(model, config.n_prompts, config.seq_len, ctx.seed, ctx.device)
    ctx.log(
        f"logit difference: clean {pairs.clean_value:.3f}, corrupted {pairs.corrupted_value:.3f}"
    )
    return model, pairs
