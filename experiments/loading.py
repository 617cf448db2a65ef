"""Model loading: one function for model organisms, Hugging Face names and local paths.

``load_model("organism:induction-2l")`` returns a built-in model organism (see
``experiments.organisms``), trained on first use and cached on disk by the hash
of its definition. Anything else is a Hugging Face name or a local path booted
with ``TransformerBridge.boot_transformers``; when it cannot be loaded (no
network and no local copy) the run fails at once with a clear message.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

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
