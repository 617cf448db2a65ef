"""``cruxlab calibration``: whose forecasts to trust."""

from __future__ import annotations

import typer

from app.cli.common import JsonOpt, app
from app.cli.render import emit
from cruxes import scoring
from cruxes.api import call


@app.command("calibration")
def calibration_cmd(
    tag: str = typer.Option(
        None, "--tag", help="Only predictions whose crux, project or run carries this tag."
    ),
    bins: int = typer.Option(scoring.DEFAULT_BINS, "--bins", help="Number of probability bins."),
    as_json: bool = JsonOpt,
) -> None:
    """Brier score, log score and calibration bins of resolved predictions."""
    c = call(scoring.calibration, tag=tag, bins=bins)
    lines = []
    for s in [c.overall, *c.people]:
        who = s.person_name or "everyone"
        lines.append(
            f"{who}: {s.n} resolved; Brier {_score(s.brier)}; log score {_score(s.log_score)}"
        )
        lines += [
            f"  P in [{b.lower:.2f}, {b.upper:.2f}): {b.count} predicted, mean "
            f"{b.mean_predicted:.2f}, observed {b.observed:.2f}"
            for b in s.bins
            if b.count
        ]
    emit(as_json, c, "\n".join(lines))


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
