"""Model organisms: tiny transformers trained in-process on tasks whose mechanism is known.

An organism gives every template a ground truth. A method that cannot find the
induction heads in ``induction-2l`` is measurably not useful, whatever it finds
in a large model.

Each organism is a ``TransformerBridge.boot_native`` model plus a training
recipe. It is trained on the CPU (so the weights are the same on every machine),
saved under the organism cache keyed by the hash of its definition, and loaded
from there in well under a second afterwards. A file lock makes concurrent
workers train it once.

Organisms
---------
``induction-2l``
    Two attention-only layers (4 heads each, d_model 64, rotary positions, vocab
    64 with token 0 as BOS) trained on ``BOS + r + r`` where ``r`` is a random
    sequence whose length varies per batch. The second copy of ``r`` can only be
    predicted by induction: a previous-token head in layer 0 writes "the token
    before me" into each position, and induction heads in layer 1 attend from a
    token to the position after its earlier occurrence and copy what is there
    (Elhage et al. 2021; Olsson et al. 2022). Rotary positions and the varying
    length rule out the shortcut of attending to a fixed offset. Training stops
    when the loss on the predictable part of the second copy is below 0.05 nats.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from db.errors import InvalidInput, NotFound
from experiments.folders import read_json, write_json_atomic

CACHE_VERSION = 1
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Organism:
    name: str
    mechanism: str
    config: dict[str, Any]
    settings: dict[str, Any]
    train: Callable[[Any, dict[str, Any], Progress], dict[str, Any]] = field(repr=False)

    @property
    def key(self) -> str:
        """Hash of everything that determines the trained weights."""
        blob = json.dumps(
            {
                "name": self.name,
                "config": self.config,
                "settings": self.settings,
                "version": CACHE_VERSION,
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


ORGANISMS: dict[str, Organism] = {}


def organism(
    name: str, *, mechanism: str, config: dict[str, Any], settings: dict[str, Any]
) -> Callable:
    """Register a training function as the organism ``name``; a name registers once."""

    def register(train: Callable) -> Callable:
        if name in ORGANISMS:
            raise ValueError(f"organism {name!r} is already registered")
        ORGANISMS[name] = Organism(name, mechanism, config, settings, train)
        return train

    return register


def get_organism(name: str) -> Organism:
    """One organism definition by name, or NotFound listing the known ones."""
    if name not in ORGANISMS:
        known = ", ".join(f"organism:{k}" for k in sorted(ORGANISMS))
        raise NotFound(f"No model organism named {name!r}; known organisms: {known}.")
    return ORGANISMS[name]


def build(org: Organism):
    """A freshly initialised (untrained) model for an organism."""
    from transformer_lens import TransformerBridge, TransformerBridgeConfig

    return TransformerBridge.boot_native(TransformerBridgeConfig(**org.config))


@contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load_organism(name: str, cache_dir: Path, progress: Progress | None = None):
    """The trained organism ``name``: from the cache, or trained now and cached."""
    org = get_organism(name)
    progress = progress or (lambda fraction, message: None)
    folder = Path(cache_dir) / f"{name}-{org.key}"
    weights = folder / "model.pt"
    with _file_lock(Path(cache_dir) / f".{name}-{org.key}.lock"):
        model = build(org)
        if weights.exists():
            model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        else:
            progress(0.0, f"training organism:{name} (first use; cached afterwards)")
            started = time.perf_counter()
            with torch.random.fork_rng(devices=[]):
                summary = org.train(model, org.settings, progress)
            summary["train_seconds"] = round(time.perf_counter() - started, 2)
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / "model.pt.tmp"
            torch.save(model.state_dict(), tmp)
            tmp.replace(weights)
            write_json_atomic(
                folder / "organism.json",
                {
                    "name": name,
                    "mechanism": org.mechanism,
                    "config": org.config,
                    "settings": org.settings,
                    **summary,
                },
            )
    model.eval()
    return model


def training_summary(name: str, cache_dir: Path) -> dict[str, Any] | None:
    """What training recorded for a cached organism (None if not trained yet)."""
    org = get_organism(name)
    return read_json(Path(cache_dir) / f"{name}-{org.key}" / "organism.json")


def induction_batch(
    generator: torch.Generator, batch: int, length: int, vocab: int, bos: int = 0
) -> torch.Tensor:
    """``BOS + r + r`` for ``batch`` random sequences ``r`` of ``length`` tokens from [1, vocab)."""
    r = torch.randint(1, vocab, (batch, length), generator=generator)
    bos_col = torch.full((batch, 1), bos, dtype=torch.long)
    return torch.cat([bos_col, r, r], dim=1)  # (batch, 2 * length + 1)


def induction_pairs(
    generator: torch.Generator, batch: int, length: int, vocab: int, bos: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clean ``BOS + r + r`` and corrupted ``BOS + r' + r``, with ``r'`` ≠ ``r`` at every position.

    Induction predicts the clean second copy; in the corrupted prompt nothing does.
    """
    clean = induction_batch(generator, batch, length, vocab, bos)  # (batch, 2 * length + 1)
    r = clean[:, 1 : length + 1]
    shift = torch.randint(1, vocab - 1, (batch, length), generator=generator)
    corrupted = clean.clone()
    # A shift of 1 … vocab - 2 within [1, vocab) always lands on a different token.
    corrupted[:, 1 : length + 1] = (r - 1 + shift) % (vocab - 1) + 1
    return clean, corrupted


def require_induction_fits(model, seq_len: int, name: str) -> None:
    """Refuse a repeated sequence of ``seq_len`` tokens that does not fit the model's context."""
    n_ctx = model.cfg.n_ctx
    if 2 * seq_len + 1 > n_ctx:
        raise InvalidInput(
            f"seq_len {seq_len} needs {2 * seq_len + 1} positions but "
            f"{name} has a context of {n_ctx}; use seq_len ≤ {(n_ctx - 1) // 2}."
        )


def bos_token(model) -> int:
    """The model's BOS token id (0 for organisms, which have no tokenizer)."""
    tokenizer = getattr(model, "tokenizer", None)
    return getattr(tokenizer, "bos_token_id", None) or 0


def repeated_half_loss(model, tokens: torch.Tensor, length: int) -> torch.Tensor:
    """Mean next-token loss on the second copy, from its second token on (the predictable part)."""
    logits = model(tokens)  # (batch, pos, d_vocab)
    logprobs = logits[:, :-1].log_softmax(-1)
    nll = -logprobs.gather(-1, tokens[:, 1:, None])[..., 0]  # (batch, pos - 1)
    # nll[:, j] predicts token j + 1; the second copy's tokens 2.. sit at length + 2 ...
    return nll[:, length + 1 :].mean()


INDUCTION_MAX_LEN = 16


@organism(
    "induction-2l",
    mechanism="Layer-0 previous-token heads composing with layer-1 induction heads.",
    config=dict(
        d_model=64,
        d_head=16,
        n_heads=4,
        n_layers=2,
        n_ctx=2 * INDUCTION_MAX_LEN + 1,
        d_vocab=64,
        attn_only=True,
        normalization_type="LN",
        positional_embedding_type="rotary",
        act_fn="relu",
        seed=0,
    ),
    settings=dict(
        seed=0,
        batch=64,
        lr=3e-3,
        weight_decay=0.01,
        max_steps=4000,
        eval_every=50,
        min_len=INDUCTION_MAX_LEN // 2,
        max_len=INDUCTION_MAX_LEN,
        target_loss=0.05,
    ),
)
def train_induction(model, s: dict[str, Any], progress: Progress) -> dict[str, Any]:
    vocab = model.cfg.d_vocab
    gen = torch.Generator().manual_seed(s["seed"])
    eval_tokens = induction_batch(torch.Generator().manual_seed(10_000), 256, s["max_len"], vocab)
    opt = torch.optim.AdamW(model.parameters(), lr=s["lr"], weight_decay=s["weight_decay"])
    model.train()
    eval_loss = float("nan")
    for step in range(1, s["max_steps"] + 1):
        length = int(torch.randint(s["min_len"], s["max_len"] + 1, (1,), generator=gen))
        tokens = induction_batch(gen, s["batch"], length, vocab)
        loss = model(tokens, return_type="loss")
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % s["eval_every"] == 0:
            with torch.no_grad():
                eval_loss = repeated_half_loss(model, eval_tokens, s["max_len"]).item()
            progress(step / s["max_steps"], f"step {step}: repeated-half loss {eval_loss:.3f}")
            if eval_loss < s["target_loss"]:
                break
    model.eval()
    return {"steps": step, "repeated_half_loss": eval_loss}
