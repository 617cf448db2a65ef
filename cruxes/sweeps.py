"""Sweeps: one template over a grid of parameter values, one run per grid point.

``cruxlab run sweep PROJECT TEMPLATE --grid n_sequences=8,32 --grid seed=0,1`` starts
the four runs of the grid's product. Values are separated by commas, or by ``|``
when a value itself holds commas (``--grid 'heads=0.0,0.1|1.0,1.1'``). ``seed`` sweeps
the run's seed, unless the template has a parameter of that name. Every point is
validated before any run exists, as a single run's config is (types, ranges and the
model's shape): one bad value is one error and nothing is created.
The runs start in one unit of work, so on SLURM the sweep becomes one job array
(with ``runs_per_job`` > 1, small runs share an array task).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from db.errors import InvalidInput

SEED = "seed"
MAX_POINTS = 10_000


def parse_grid(axes: list[str]) -> dict[str, list[str]]:
    """``["KEY=V1,V2", ...]`` → ``{KEY: [V1, V2]}`` in the given order."""
    if not axes:
        raise InvalidInput("A sweep needs at least one --grid KEY=V1,V2.")
    grid: dict[str, list[str]] = {}
    for axis in axes:
        key, sep, spec = axis.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput(f"Expected --grid KEY=V1,V2, got {axis!r}.")
        if key in grid:
            raise InvalidInput(f"--grid names {key!r} twice; give all its values at once.")
        values = [v.strip() for v in spec.split("|" if "|" in spec else ",")]
        if any(not v for v in values):
            raise InvalidInput(f"--grid {key} has an empty value in {spec!r}.")
        if len(set(values)) < len(values):
            raise InvalidInput(f"--grid {key} repeats a value in {spec!r}.")
        grid[key] = values
    return grid


def points(grid: dict[str, list[str]]) -> list[dict[str, str]]:
    """Every combination of the grid's values, the last key varying fastest."""
    count = 1
    for values in grid.values():
        count *= len(values)
    if count > MAX_POINTS:
        raise InvalidInput(f"The grid has {count:,} points; a sweep may have {MAX_POINTS:,}.")
    return [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]


def configs(
    template, grid: list[str], fixed: dict[str, Any], seed: int
) -> list[tuple[dict[str, Any], int]]:
    """Each grid point's validated config (as JSON data) and seed; raises before creating any."""
    axes = parse_grid(grid)
    both = sorted(set(axes) & set(fixed))
    if both:
        raise InvalidInput(f"{both[0]!r} is both set (--set) and swept (--grid); choose one.")
    seed_swept = SEED in axes and SEED not in template.config.model_fields
    result = []
    for n, point in enumerate(points(axes), start=1):
        values = dict(point)
        run_seed = seed
        if seed_swept:
            raw = values.pop(SEED)
            if not raw.lstrip("-").isdigit():
                raise InvalidInput(f"Sweep point {n}: seed must be a whole number, not {raw!r}.")
            run_seed = int(raw)
        try:
            config = template.validate({**fixed, **values})
        except InvalidInput as exc:
            where = ", ".join(f"{k}={v}" for k, v in point.items())
            raise InvalidInput(f"Sweep point {n} ({where}): {exc}") from None
        result.append((json.loads(config.model_dump_json()), run_seed))
    return result
