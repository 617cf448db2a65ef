"""A small TopK sparse autoencoder, written in torch.

A sparse autoencoder (SAE) rewrites an activation ``x`` (d_in) as a sparse,
non-negative combination of learned directions, the latents:
``codes = TopK(ReLU(W_enc (x − b_dec) + b_enc))`` keeps the ``k`` largest
pre-activations and zeroes the rest, and ``x̂ = codes · W_dec + b_dec`` with
unit-norm rows of ``W_dec`` (Bricken et al. 2023, "Towards Monosemanticity";
the TopK activation is from Gao et al. 2024, "Scaling and evaluating sparse
autoencoders", which fixes L0 at ``k`` instead of tuning an L1 penalty and so
makes dictionaries of the same size and sparsity directly comparable).

``train_sae(..., learn_decoder=False)`` keeps the decoder at its random unit
directions and trains only the encoder and biases: the random-direction
dictionary that a learned SAE has to beat at the same width and the same k.
SAELens does not support TransformerLens 4, hence this module.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class SparseAutoencoder(nn.Module):
    def __init__(self, d_in: int, n_latents: int, k: int, generator: torch.Generator):
        super().__init__()
        self.k = k
        directions = torch.randn(n_latents, d_in, generator=generator)
        self.W_dec = nn.Parameter(directions / directions.norm(dim=1, keepdim=True))
        self.W_enc = nn.Parameter(self.W_dec.detach().T.clone())  # (d_in, n_latents)
        self.b_enc = nn.Parameter(torch.zeros(n_latents))
        self.b_dec = nn.Parameter(torch.zeros(d_in))
        # Inputs are divided by this so one learning rate suits any activation scale.
        self.register_buffer("scale", torch.ones(()))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Sparse codes (..., n_latents) with at most ``k`` non-zero entries each."""
        pre = (x / self.scale - self.b_dec) @ self.W_enc + self.b_enc  # (..., n_latents)
        top = pre.topk(self.k, dim=-1)
        return torch.zeros_like(pre).scatter(-1, top.indices, top.values.relu())

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """The reconstruction (..., d_in) in the input's own scale."""
        return (codes @ self.W_dec + self.b_dec) * self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def train_sae(
    acts: torch.Tensor,
    n_latents: int,
    k: int,
    *,
    steps: int,
    batch: int,
    lr: float,
    seed: int,
    learn_decoder: bool = True,
    progress: Callable[[float], None] | None = None,
) -> SparseAutoencoder:
    """An SAE trained on ``acts`` (n, d_in) to minimise squared reconstruction error."""
    gen = torch.Generator().manual_seed(seed)
    sae = SparseAutoencoder(acts.shape[1], n_latents, k, gen).to(acts.device)
    with torch.no_grad():
        sae.scale.fill_((acts - acts.mean(0)).norm(dim=1).mean().item())
        sae.b_dec.copy_(acts.mean(0) / sae.scale)
    sae.W_dec.requires_grad_(learn_decoder)
    opt = torch.optim.Adam([p for p in sae.parameters() if p.requires_grad], lr=lr)
    for step in range(steps):
        idx = torch.randint(0, len(acts), (batch,), generator=gen).to(acts.device)
        x = acts[idx]  # (batch, d_in)
        loss = (sae(x) - x).div(sae.scale).pow(2).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if learn_decoder:
            with torch.no_grad():
                sae.W_dec /= sae.W_dec.norm(dim=1, keepdim=True)
        if progress and (step + 1) % max(1, steps // 4) == 0:
            progress((step + 1) / steps)
    return sae.eval()
