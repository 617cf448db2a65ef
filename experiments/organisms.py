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
    Two attention-only layers (4 heads each, d_model 64, rotary positions, no
    LayerNorm, vocab 64 with token 0 as BOS) trained on ``BOS + r + r`` where
    ``r`` is a random sequence whose length varies per batch. The second copy of
    ``r`` can only be predicted by induction: a previous-token head in layer 0
    writes "the token before me" into each position, and induction heads in
    layer 1 attend from a token to the position after its earlier occurrence and
    copy what is there (Elhage et al. 2021; Olsson et al. 2022). Rotary positions
    and the varying length rule out the shortcut of attending to a fixed offset.
    Training stops when the loss on the predictable part of the second copy is
    below 0.05 nats (2,050 steps, about a minute on one idle core).

    The circuit is small and known: L0H0 (previous-token score 0.9) and L0H1 (a
    weaker one, 0.2) feed the four layer-1 induction heads; those six heads alone
    keep 98–100% of the induction logit difference, more than any other six
    (``circuit_faithfulness``). A first version with LayerNorm reached the same
    loss but spread the work over all eight heads (no six kept more than 56%),
    so it had no circuit to check a method against.

``modadd-1l``
    One transformer layer (4 heads, d_model 64, a ReLU MLP of 256, no LayerNorm,
    learned positions) trained full-batch with AdamW and strong weight decay on
    ``a b =`` → ``(a + b) mod 53``, with 70% of the 53² pairs for training and
    30% held out. It generalises to the held-out pairs (training stops when
    their loss is below 0.01 nats; the summary records train and held-out
    accuracy and loss). Nanda et al. (2023), "Progress measures for grokking via
    mechanistic interpretability", reverse-engineered this setting: the
    embedding maps each number to ``cos(w_k a), sin(w_k a)`` for a handful of
    key frequencies ``w_k = 2πk/p``; attention and the MLP combine them with the
    trig identities ``cos(w(a+b)) = cos(wa)cos(wb) − sin(wa)sin(wb)`` (and the
    sine one); the unembedding reads the logit of ``c`` as
    ``Σ_k cos(w_k(a + b − c))``, which peaks at ``c = (a + b) mod p``. The
    summary's ``embed_fourier_top5`` is the share of the embedding's squared
    norm in its five largest frequencies (of 27): sparse in the Fourier basis,
    as that account predicts. (Zhong et al. 2023, "The Clock and the Pizza",
    show variants of this setting can use a different Fourier-based algorithm;
    both rest on these sparse Fourier features.)

Each organism also knows its task data: ``task_batch`` gives token sequences
and the next-token targets the task scores (``IGNORE`` elsewhere), which
templates use for activations and for the loss.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.errors import InvalidInput, NotFound
from experiments import lazy
from experiments.folders import read_json, write_json_atomic
from experiments.loading import ORGANISM_PREFIX

torch = lazy.module("torch")

CACHE_VERSION = 2  # 2: trained on one CPU thread (see one_thread)
IGNORE = -100  # a target that no loss counts (PyTorch's ignore_index)
Progress = Callable[[float, str], None]
if TYPE_CHECKING:  # (in annotations only: torch is imported on first use)
    Batch = tuple[torch.Tensor, torch.Tensor]  # tokens (batch, pos), targets (batch, pos)


@dataclass(frozen=True)
class Organism:
    name: str
    mechanism: str
    config: dict[str, Any]
    settings: dict[str, Any]
    train: Callable[[Any, dict[str, Any], Progress], dict[str, Any]] = field(repr=False)
    sample: Callable[[torch.Generator, int], Batch] = field(repr=False)

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
    name: str,
    *,
    mechanism: str,
    config: dict[str, Any],
    settings: dict[str, Any],
    sample: Callable[[torch.Generator, int], Batch],
) -> Callable:
    """Register a training function as the organism ``name``; a name registers once.

    ``sample(generator, n)`` draws ``n`` sequences of the organism's task.
    """

    def register(train: Callable) -> Callable:
        if name in ORGANISMS:
            raise ValueError(f"organism {name!r} is already registered")
        ORGANISMS[name] = Organism(name, mechanism, config, settings, train, sample)
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
def one_thread():
    """Run torch on one CPU thread inside the block (then restore the setting).

    An organism is too small to gain from more threads, and on a busy machine more
    threads than free cores make every step wait for the slowest one: measured on 2
    cores under a load of about 9, a training step took 1.24 s with 2 threads and
    0.10 s with one.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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

            reached = 0.0

            def training(fraction: float, message: str) -> None:
                nonlocal reached  # a noisy loss moves the bar only forwards
                reached = max(reached, fraction)
                progress(reached, f"training organism:{name}, {message}")

            # Training needs gradients whatever the caller's grad mode.
            with torch.random.fork_rng(devices=[]), torch.enable_grad(), one_thread():
                summary = org.train(model, org.settings, training)
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


def toward(loss: float, start: float, target: float) -> float:
    """Training's progress as the share of the way from ``start`` (a uniform guess, ln of the
    vocabulary) down to the ``target`` loss on a log scale; training stops at 1."""
    if not loss > 0:
        return 0.0
    return min(1.0, max(0.0, math.log(start / loss) / math.log(start / target)))


def next_token_targets(tokens: torch.Tensor) -> torch.Tensor:
    """Each position's next token as its target; the last position has none."""
    targets = tokens.roll(-1, dims=1)
    targets[:, -1] = IGNORE
    return targets  # (batch, pos)


def task_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy in nats over the targets a task scores."""
    return torch.nn.functional.cross_entropy(
        logits.flatten(0, 1).float(), targets.flatten(), ignore_index=IGNORE
    )


def task_batch(model_name: str, model, generator: torch.Generator, n: int) -> Batch:
    """``n`` sequences to evaluate a model on, with their targets (on the CPU).

    An organism's own task; for any other model, ``BOS + r + r`` with random ``r``
    (no text corpus is available offline), scored on every next token.
    """
    if model_name.startswith(ORGANISM_PREFIX):
        tokens, targets = get_organism(model_name.removeprefix(ORGANISM_PREFIX)).sample(
            generator, n
        )
    else:
        length = min(INDUCTION_MAX_LEN, (model.cfg.n_ctx - 1) // 2)
        tokens = induction_batch(generator, n, length, model.cfg.d_vocab, bos_token(model))
        targets = next_token_targets(tokens)
    return tokens, targets


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


def check_induction_fits(seq_len: int, n_ctx: int, d_vocab: int, name: str) -> None:
    """Refuse ``BOS + r + r`` prompts (with ``r`` of ``seq_len`` tokens) that the model's
    context or vocabulary cannot hold (a corrupted copy needs two token ids besides BOS)."""
    if 2 * seq_len + 1 > n_ctx:
        longest = (n_ctx - 1) // 2
        fix = f"use seq_len ≤ {longest}" if longest >= 2 else "use a model with a longer context"
        raise InvalidInput(
            f"seq_len {seq_len} needs {2 * seq_len + 1} positions but "
            f"{name} has a context of {n_ctx}; {fix}."
        )
    if d_vocab < 3:
        raise InvalidInput(
            f"{name} has a vocabulary of {d_vocab}; induction prompts need at least 3 tokens."
        )


def require_induction_fits(model, seq_len: int, name: str) -> None:
    """``check_induction_fits`` on a loaded model (for models whose config was not at hand)."""
    check_induction_fits(seq_len, model.cfg.n_ctx, model.cfg.d_vocab, name)


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
INDUCTION_VOCAB = 64


def sample_induction(generator: torch.Generator, n: int) -> Batch:
    tokens = induction_batch(generator, n, INDUCTION_MAX_LEN, INDUCTION_VOCAB)
    return tokens, next_token_targets(tokens)


@organism(
    "induction-2l",
    mechanism="Layer-0 previous-token heads composing with layer-1 induction heads.",
    config=dict(
        d_model=64,
        d_head=16,
        n_heads=4,
        n_layers=2,
        n_ctx=2 * INDUCTION_MAX_LEN + 1,
        d_vocab=INDUCTION_VOCAB,
        attn_only=True,
        normalization_type=None,
        positional_embedding_type="rotary",
        act_fn="relu",
        seed=0,
    ),
    settings=dict(
        seed=0,
        batch=64,
        lr=1e-2,
        weight_decay=0.01,
        max_steps=4000,
        eval_every=50,
        min_len=INDUCTION_MAX_LEN // 2,
        max_len=INDUCTION_MAX_LEN,
        target_loss=0.05,
    ),
    sample=sample_induction,
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
            progress(
                toward(eval_loss, math.log(vocab), s["target_loss"]),
                f"step {step}: held-out loss {eval_loss:.3f}, done below {s['target_loss']}",
            )
            if eval_loss < s["target_loss"]:
                break
    model.eval()
    return {"steps": step, "repeated_half_loss": eval_loss}


MODADD_P = 53


def modadd_pairs(p: int) -> tuple[torch.Tensor, torch.Tensor]:
    """All p² prompts ``a b =`` (``=`` is token p) and their answers ``(a + b) mod p``."""
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    tokens = torch.stack([a, b, torch.full_like(a, p)], dim=1)  # (p², 3)
    return tokens, (a + b) % p  # (p², 3), (p²,)


def modadd_split(p: int, train_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices into ``modadd_pairs(p)`` of the training pairs and the held-out pairs."""
    order = torch.randperm(p * p, generator=torch.Generator().manual_seed(seed))
    n_train = int(train_fraction * p * p)
    return order[:n_train], order[n_train:]


def sample_modadd(generator: torch.Generator, n: int) -> Batch:
    a, b = torch.randint(0, MODADD_P, (2, n), generator=generator)
    tokens = torch.stack([a, b, torch.full_like(a, MODADD_P)], dim=1)  # (n, 3)
    targets = torch.full_like(tokens, IGNORE)
    targets[:, -1] = (a + b) % MODADD_P  # only the answer after "=" is scored
    return tokens, targets


def fourier_top_share(embed: torch.Tensor, top: int = 5) -> float:
    """Share of the squared norm of ``embed`` (p, d_model) in its ``top`` largest frequencies.

    Frequency 0 is the constant; frequency k = 1 … p // 2 is the pair cos/sin(2πk·x/p).
    """
    p = embed.shape[0]
    x = torch.arange(p, dtype=torch.float64)
    waves = [torch.ones(p, dtype=torch.float64)]
    for k in range(1, p // 2 + 1):
        waves += [torch.cos(2 * torch.pi * k * x / p), torch.sin(2 * torch.pi * k * x / p)]
    basis = torch.stack(waves)
    basis = basis / basis.norm(dim=1, keepdim=True)  # (p, p), orthonormal rows
    power = (basis @ embed.double()).pow(2).sum(dim=1)  # (p,)
    per_freq = torch.cat([power[:1], power[1:].view(-1, 2).sum(dim=1)])  # (1 + p // 2,)
    return (per_freq.topk(top).values.sum() / per_freq.sum()).item()


@organism(
    "modadd-1l",
    mechanism="Fourier features of a and b combined by trig identities (Nanda et al. 2023).",
    config=dict(
        d_model=64,
        d_head=16,
        n_heads=4,
        n_layers=1,
        n_ctx=3,
        d_vocab=MODADD_P + 1,
        d_mlp=256,
        act_fn="relu",
        normalization_type=None,
        positional_embedding_type="standard",
        seed=0,
    ),
    settings=dict(
        p=MODADD_P,
        train_fraction=0.7,
        seed=0,
        lr=3e-3,
        weight_decay=1.0,
        betas=(0.9, 0.98),
        max_steps=3000,
        eval_every=50,
        target_loss=0.01,
    ),
    sample=sample_modadd,
)
def train_modadd(model, s: dict[str, Any], progress: Progress) -> dict[str, Any]:
    tokens, answers = modadd_pairs(s["p"])
    train, heldout = modadd_split(s["p"], s["train_fraction"], s["seed"])
    opt = torch.optim.AdamW(
        model.parameters(), lr=s["lr"], weight_decay=s["weight_decay"], betas=s["betas"]
    )

    def loss_and_accuracy(index: torch.Tensor) -> tuple[torch.Tensor, float]:
        logits = model(tokens[index])[:, -1]  # (batch, d_vocab)
        loss = torch.nn.functional.cross_entropy(logits, answers[index])
        return loss, (logits.argmax(-1) == answers[index]).float().mean().item()

    model.train()
    for step in range(1, s["max_steps"] + 1):
        train_loss, train_acc = loss_and_accuracy(train)  # full batch
        opt.zero_grad()
        train_loss.backward()
        opt.step()
        if step % s["eval_every"] == 0:
            with torch.no_grad():
                heldout_loss, heldout_acc = loss_and_accuracy(heldout)
            progress(
                toward(heldout_loss.item(), math.log(s["p"]), s["target_loss"]),
                f"step {step}: held-out loss {heldout_loss.item():.3f}, done below "
                f"{s['target_loss']} (accuracy {heldout_acc:.1%}; train loss "
                f"{train_loss.item():.3f})",
            )
            if heldout_loss.item() < s["target_loss"]:
                break
    model.eval()
    with torch.no_grad():
        train_loss, train_acc = loss_and_accuracy(train)
        heldout_loss, heldout_acc = loss_and_accuracy(heldout)
    return {
        "steps": step,
        "train_loss": train_loss.item(),
        "train_accuracy": train_acc,
        "heldout_loss": heldout_loss.item(),
        "heldout_accuracy": heldout_acc,
        "n_train": len(train),
        "n_heldout": len(heldout),
        "embed_fourier_top5": fourier_top_share(model.W_E[: s["p"]].detach()),
    }
