"""Figures for template artifacts: signed heatmaps on a headless (Agg) matplotlib backend."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Panel:
    """One heatmap: ``values`` is (rows, columns); tick labels default to indices."""

    title: str
    values: np.ndarray
    xlabel: str
    ylabel: str
    yticklabels: list[str] | None = None


def heatmaps(panels: list[Panel], *, label: str = "recovery"):
    """A figure with one heatmap per panel, coloured red (< 0) to blue (> 0) around zero."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    height = max(2.4, max(0.3 * p.values.shape[0] + 1.6 for p in panels))
    width = sum(min(9.0, 0.35 * p.values.shape[1] + 2.5) for p in panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(width, height), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        values = np.asarray(panel.values, dtype=float)
        limit = max(float(np.abs(values).max()), 1e-9)
        im = ax.imshow(values, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
        ax.set(title=panel.title, xlabel=panel.xlabel, ylabel=panel.ylabel)
        ax.set_yticks(range(values.shape[0]), panel.yticklabels or range(values.shape[0]))
        if values.shape[1] <= 32:
            ax.set_xticks(range(values.shape[1]))
        if values.size <= 32:
            for (row, col), v in np.ndenumerate(values):
                colour = "white" if abs(v) > 0.6 * limit else "black"
                ax.text(col, row, f"{v:.2f}", ha="center", va="center", fontsize=7, color=colour)
        fig.colorbar(im, ax=ax, fraction=0.046, label=label)
    fig.tight_layout()
    return fig


def head_labels(n_layers: int, n_heads: int) -> list[str]:
    """``L0H0, L0H1, …`` — the row labels of a (layer × head, …) heatmap."""
    return [f"L{layer}H{head}" for layer in range(n_layers) for head in range(n_heads)]
