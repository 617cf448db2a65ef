"""Model loading: one function for model organisms, Hugging Face names and local paths.

``load_model("organism:induction-2l")`` returns a built-in model organism (see
``experiments.organisms``), trained on first use and cached on disk by the hash
of its definition. Anything else is a Hugging Face name or a local path booted
with ``TransformerBridge.boot_transformers``; when it cannot be loaded (no
network and no local copy) the run fails at once with a clear message.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch

from db import paths
from db.errors import InvalidInput

ORGANISM_PREFIX = "organism:"
Progress = Callable[[float, str], None]


def resolve_device(requested: str = "auto") -> str:
    """``auto`` → ``cuda`` when a GPU is present, else ``cpu``."""
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

    is_path = Path(name).expanduser().exists()
    try:
        if not is_path and os.environ.get("HF_HUB_OFFLINE") != "1":
            # Fail at once rather than wait on network timeouts when nothing is cached.
            from huggingface_hub import snapshot_download

            try:
                snapshot_download(name, local_files_only=True)
            except Exception:
                os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "5")
                os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "10")
        source = str(Path(name).expanduser()) if is_path else name
        return TransformerBridge.boot_transformers(source, device=device)
    except Exception as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InvalidInput(
            f"Could not load model {name!r}: {reason}. Use organism:<name> for a built-in "
            "model, a local path, or a Hugging Face name that is cached or reachable."
        ) from None
