"""Model loading: one function for model organisms, Hugging Face names and local paths.

``load_model("organism:induction-2l")`` returns a built-in model organism (see
``experiments.organisms``), trained on first use and cached on disk by the hash
of its definition. Anything else is a Hugging Face name or a local path booted
with ``TransformerBridge.boot_transformers``; when it cannot be loaded (no
network and no local copy) the run fails at once with a clear message.

``model_spec(name)`` reads a model's shape (layers, heads, widths, context,
vocabulary) from its configuration alone — an organism's definition, or the
``config.json`` of a local folder or of the Hugging Face cache — without loading
any weights, so a run's config can be checked against the model before the run
exists.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from db import paths
from db.errors import InvalidInput

ORGANISM_PREFIX = "organism:"
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ModelSpec:
    """A model's shape, read from its configuration (no weights)."""

    name: str
    n_layers: int
    n_heads: int
    d_model: int
    n_ctx: int
    d_vocab: int
    d_mlp: int | None  # None for attention-only models
    positional: str = "standard"

    def describe(self) -> str:
        """E.g. ``2 layers × 4 heads, d_model 64, context 33, vocabulary 64``."""
        return (
            f"{self.n_layers} layers × {self.n_heads} heads, d_model {self.d_model}, "
            f"context {self.n_ctx}, vocabulary {self.d_vocab}"
        )


# Hugging Face config keys for each shape field, by model family (first present wins).
HF_KEYS = {
    "n_layers": ("num_hidden_layers", "n_layer", "num_layers", "n_layers"),
    "n_heads": ("num_attention_heads", "n_head", "num_heads", "n_heads"),
    "d_model": ("hidden_size", "n_embd", "d_model"),
    "n_ctx": ("max_position_embeddings", "n_positions", "n_ctx", "max_seq_len"),
    "d_vocab": ("vocab_size", "d_vocab"),
    "d_mlp": ("intermediate_size", "n_inner", "ffn_dim", "d_mlp"),
}


def model_spec(name: str) -> tuple[ModelSpec | None, str]:
    """The shape of model ``name`` from its config alone, and a sentence saying where it came
    from; ``(None, why)`` when no config can be read here without a download."""
    if name.startswith(ORGANISM_PREFIX):
        from experiments.organisms import get_organism

        cfg = get_organism(name.removeprefix(ORGANISM_PREFIX)).config
        spec = ModelSpec(
            name=name,
            n_layers=cfg["n_layers"],
            n_heads=cfg["n_heads"],
            d_model=cfg["d_model"],
            n_ctx=cfg["n_ctx"],
            d_vocab=cfg["d_vocab"],
            d_mlp=None if cfg.get("attn_only") else cfg.get("d_mlp", 4 * cfg["d_model"]),
            positional=cfg.get("positional_embedding_type", "standard"),
        )
        return spec, f"{name}: {spec.describe()}."
    config_file = _config_file(name)
    if config_file is None:
        return None, (
            f"{name} has no config in a local folder or the Hugging Face cache, so its "
            "layers, heads and vocabulary are checked when the run loads it."
        )
    spec = _hf_spec(name, json.loads(Path(config_file).read_text()))
    if spec is None:
        return None, (
            f"{name}'s config.json does not name its layers, heads, width, context and "
            "vocabulary, so they are checked when the run loads it."
        )
    return spec, f"{name}: {spec.describe()} (from {config_file})."


def _config_file(name: str) -> str | None:
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path / "config.json") if (path / "config.json").is_file() else None
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.errors import HFValidationError

    try:
        found = try_to_load_from_cache(name, "config.json")
    except HFValidationError:
        return None
    return found if isinstance(found, str) else None


def _hf_spec(name: str, cfg: Mapping[str, Any]) -> ModelSpec | None:
    cfg = {**cfg.get("text_config", {}), **cfg}  # multimodal configs nest the language model
    shape = {
        k: next((cfg[key] for key in keys if cfg.get(key)), None) for k, keys in HF_KEYS.items()
    }
    if any(shape[k] is None for k in ("n_layers", "n_heads", "d_model", "n_ctx", "d_vocab")):
        return None
    return ModelSpec(name=name, **shape)


def resolve_device(requested: str = "auto") -> str:
    """``auto`` → ``cuda`` when a GPU is present, else ``cpu``."""
    import torch  # here, not at the top: listing templates and checking configs need no torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise InvalidInput("Device 'cuda' was requested but no CUDA GPU is available here.")
    return requested


def load_model(
    name: str,
    device: str = "cpu",
    *,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
):
    """Load a model organism (``organism:<name>``) or a Hugging Face model, on ``device``."""
    if name.startswith(ORGANISM_PREFIX):
        from experiments.organisms import load_organism

        cache = cache_dir or paths.organisms_dir(paths.home())
        model = load_organism(name.removeprefix(ORGANISM_PREFIX), cache, progress)
        return model.to(device)
    return _load_hf(name, device)


def _load_hf(name: str, device: str):
    from transformer_lens import TransformerBridge

    source = _local_source(name)
    try:
        return TransformerBridge.boot_transformers(source, device=device)
    except Exception as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InvalidInput(
            f"Could not load model {name!r}: {reason}. Use organism:<name> for a built-in "
            "model, a local path, or a Hugging Face name that is cached or reachable."
        ) from None


def _local_source(name: str) -> str:
    """Where to boot ``name`` from: a local folder, or the name itself when the hub answers now.

    A cached model boots from its snapshot folder, so loading it makes no network
    call; an uncached one fails here at once instead of after the hub client's retries.
    """
    path = Path(name).expanduser()
    if path.exists():
        return str(path)
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return snapshot_download(name, local_files_only=True)
    except HFValidationError:
        raise InvalidInput(
            f"Model {name!r} is neither organism:<name>, an existing local path, "
            "nor a valid Hugging Face name (owner/model)."
        ) from None
    except LocalEntryNotFoundError:
        pass
    where = f"is not in the Hugging Face cache ({constants.HF_HUB_CACHE})"
    if constants.HF_HUB_OFFLINE:
        raise InvalidInput(
            f"Model {name!r} {where} and HF_HUB_OFFLINE is set; download it on a machine "
            "with network access, or use organism:<name> or a local path."
        )
    if not _reachable(constants.ENDPOINT):
        raise InvalidInput(
            f"Model {name!r} {where} and {constants.ENDPOINT} cannot be reached from here; "
            "download it on a machine with network access, or use organism:<name> "
            "or a local path."
        )
    return name


def _reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to ``url``'s host (or the HTTPS proxy) opens within ``timeout``."""
    proxy = urllib.request.getproxies().get(urlsplit(url).scheme)
    target = urlsplit(proxy or url)
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        socket.create_connection((target.hostname, port), timeout=timeout).close()
    except OSError:
        return False
    return True
