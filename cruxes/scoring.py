"""The numbers behind the views: expected updates, disagreement, and forecast scores.

**Expected update.** A pre-registered prediction gives a person's probability P
that the result is positive and their credence in the crux if it is (c₊) or is
not (c₋). With current credence c, the expected absolute change is

    E|Δ| = P·|c₊ − c| + (1 − P)·|c₋ − c|.

(When the person holds no credence yet, c is the prior the prediction implies,
P·c₊ + (1 − P)·c₋.)

**Spread** on a crux is the highest minus the lowest current credence among
the people who hold one (None with fewer than two).

**Expected reduction in disagreement.** If a project's result is positive,
everyone who predicted on the crux moves to their c₊ and everyone else keeps
their credence; that gives the spread if positive, and likewise if negative.
Each predictor expects the spread P·spread₊ + (1 − P)·spread₋ by their own P;
averaged over the predictors that is P̄·spread₊ + (1 − P̄)·spread₋ with P̄
their mean P. The expected reduction is the spread now minus that (positive:
the result is expected to bring people closer).

**Scores.** When an outcome resolves a prediction (y = 1 if positive, else 0)
the person's P is scored with the Brier score, mean (P − y)² (0 is perfect,
lower is better), and the log score, the mean natural log of the probability
given to what happened, ln P if positive and ln(1 − P) if not (0 is perfect,
higher is better; P is clipped to [0.001, 0.999] so one confident miss is
costly but finite). Calibration bins group predictions by P into equal-width
bins over [0, 1] (the last includes 1) and report, per bin, how many there
are, their mean P, and the fraction that came out positive. Each evaluation
(a prediction checked by one outcome) counts once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from cruxes.models import (
    Calibration,
    CalibrationBin,
    Credence,
    ResolvedPrediction,
    Score,
    SpreadPoint,
    TagIn,
    parse,
)
from db import outcomes as outcomes_table
from db.errors import InvalidInput
from db.store import Store

LOG_CLIP = 1e-3
DEFAULT_BINS = 10


def expected_update(p: float, if_positive: float, if_negative: float, credence: float) -> float:
    """E|Δ| = P·|c₊ − c| + (1 − P)·|c₋ − c| for P = ``p`` and c = ``credence``."""
    return p * abs(if_positive - credence) + (1 - p) * abs(if_negative - credence)


def spread(values: Iterable[float]) -> float | None:
    """Highest minus lowest value; None with fewer than two."""
    values = list(values)
    return max(values) - min(values) if len(values) >= 2 else None


def spread_over_time(history: Sequence[Credence]) -> list[SpreadPoint]:
    """The spread between people after each credence in a crux's history (in order)."""
    held: dict[int, float] = {}
    points = []
    for row in history:
        held[row.person_id] = row.value
        points.append(SpreadPoint(at=row.created_at, spread=spread(held.values())))
    return points


def brier(forecasts: Sequence[tuple[float, bool]]) -> float | None:
    """Mean (P − y)² over (P, came out positive) pairs; None for none."""
    if not forecasts:
        return None
    return sum((p - float(y)) ** 2 for p, y in forecasts) / len(forecasts)


def log_score(forecasts: Sequence[tuple[float, bool]]) -> float | None:
    """Mean ln of the (clipped) probability given to what happened; None for none."""
    if not forecasts:
        return None
    total = 0.0
    for p, y in forecasts:
        p = min(max(p, LOG_CLIP), 1 - LOG_CLIP)
        total += math.log(p if y else 1 - p)
    return total / len(forecasts)


def calibration_bins(
    forecasts: Sequence[tuple[float, bool]], n_bins: int = DEFAULT_BINS
) -> list[CalibrationBin]:
    """Equal-width bins of P over [0, 1] with count, mean P and observed frequency."""
    if n_bins < 1:
        raise InvalidInput(f"The number of calibration bins must be at least 1, not {n_bins}.")
    members: list[list[tuple[float, bool]]] = [[] for _ in range(n_bins)]
    for p, y in forecasts:
        # The small epsilon keeps 0.7 in [0.7, 0.8) despite 0.7 · 10 = 6.9999….
        members[min(math.floor(p * n_bins + 1e-9), n_bins - 1)].append((p, y))
    bins = []
    for i, inside in enumerate(members):
        count = len(inside)
        bins.append(
            CalibrationBin(
                lower=i / n_bins,
                upper=(i + 1) / n_bins,
                count=count,
                mean_predicted=sum(p for p, _ in inside) / count if count else None,
                observed=sum(y for _, y in inside) / count if count else None,
            )
        )
    return bins


def score(
    person_name: str | None, forecasts: Sequence[tuple[float, bool]], n_bins: int = DEFAULT_BINS
) -> Score:
    """Brier score, log score and calibration bins for one set of forecasts."""
    return Score(
        person_name=person_name,
        n=len(forecasts),
        brier=brier(forecasts),
        log_score=log_score(forecasts),
        bins=calibration_bins(forecasts, n_bins),
    )


def calibration(store: Store, *, tag: str | None = None, bins: int = DEFAULT_BINS) -> Calibration:
    """How well each person's (and everyone's) P(positive) matched the outcomes.

    With ``tag``, only predictions whose crux, project or run carries the tag count.
    """
    tag = parse(TagIn, "tag", tag=tag).tag if tag else None
    with store.cursor() as cur:
        resolved = [ResolvedPrediction(**r) for r in outcomes_table.resolved_predictions(cur, tag)]
    by_person: dict[str, list[tuple[float, bool]]] = {}
    for r in resolved:
        by_person.setdefault(r.person_name, []).append((r.p_positive, r.positive))
    everyone = [(r.p_positive, r.positive) for r in resolved]
    return Calibration(
        tag=tag,
        overall=score(None, everyone, bins),
        people=[score(name, by_person[name], bins) for name in sorted(by_person)],
        resolved=resolved,
    )
