"""``RunContext``: what a template gets besides its config.

``ctx.progress(fraction, message)``, ``ctx.log(message)``,
``ctx.log_metric(name, value, step)``, ``ctx.save_artifact(name, obj)``,
``ctx.load_model(name)``, ``ctx.device`` and ``ctx.seed``. Everything is written to
the run folder at once, so a crash keeps what was logged before it.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from experiments.folders import RunFolder, write_json_atomic
from experiments.registry import Template


class RunContext:
    def __init__(
        self,
        folder: RunFolder,
        template: Template,
        device: str,
        seed: int,
        organisms: Path,
        on_progress: Callable[[float, str], None] | None = None,
    ):
        self.folder = folder
        self.on_progress = on_progress
        self.organisms = organisms
        self.template = template
        self.device = device
        self.seed = seed
        self._next_step: dict[str, int] = defaultdict(int)
        folder.artifacts.mkdir(parents=True, exist_ok=True)

    def load_model(self, name: str):
        """Load a model (see ``experiments.loading.load_model``) onto this run's device."""
        from experiments.loading import load_model

        progress = lambda fraction, message: self.progress(0.5 * fraction, message)  # noqa: E731
        model = load_model(name, self.device, cache_dir=self.organisms, progress=progress)
        self.log(f"loaded {name} on {self.device}")
        return model

    def log(self, message: str) -> None:
        """Append a timestamped line to the run's log."""
        stamp = time.strftime("%H:%M:%S")
        with self.folder.log.open("a") as fh:
            fh.write(f"[{stamp}] {message}\n")

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress in [0, 1] with a short message (shown live in the app)."""
        fraction = min(1.0, max(0.0, float(fraction)))
        write_json_atomic(
            self.folder.progress_file,
            {"fraction": fraction, "message": message, "at": time.time()},
        )
        if self.on_progress is not None:
            self.on_progress(fraction, message)
        if message:
            self.log(f"{fraction:4.0%} {message}")

    def log_metric(self, name: str, value: float, step: int | None = None) -> None:
        """Record a declared metric; without ``step`` each call takes the next step."""
        if self.template.metric(name) is None:
            declared = ", ".join(m.name for m in self.template.metrics)
            raise ValueError(f"{self.template.name} does not declare metric {name!r} ({declared})")
        value = float(value)
        if step is None:
            step = self._next_step[name]
        self._next_step[name] = step + 1
        row = {"name": name, "step": int(step), "value": None if math.isnan(value) else value}
        with self.folder.metrics.open("a") as fh:
            fh.write(json.dumps(row) + "\n")

    def save_artifact(self, name: str, obj: Any) -> Path:
        """Save an array (.npy), DataFrame (.parquet), figure (.png/.html) or JSON-able object."""
        if "/" in name or name.startswith("."):
            raise ValueError(f"artifact name {name!r} must be a plain file name")
        stem = self.folder.artifacts / name
        if isinstance(obj, np.ndarray) or type(obj).__module__.startswith("torch"):
            path = stem.with_suffix(".npy")
            array = obj.detach().cpu().numpy() if hasattr(obj, "detach") else obj
            np.save(path, array)
        elif hasattr(obj, "to_parquet"):
            path = stem.with_suffix(".parquet")
            obj.to_parquet(path)
        elif hasattr(obj, "savefig"):
            path = stem.with_suffix(".png")
            obj.savefig(path, dpi=120, bbox_inches="tight")
        elif hasattr(obj, "to_html"):
            path = stem.with_suffix(".html")
            path.write_text(obj.to_html())
        else:
            path = stem.with_suffix(".json")
            write_json_atomic(path, obj)
        self.log(f"saved artifact {path.name}")
        return path
