"""The template registry: every runnable experiment, keyed by name.

A template is a module in ``experiments/templates/`` that registers one
function with ``@template``: its name, a pydantic ``Config`` (every field has a
default and a description), the metrics it emits, and ``run(config, ctx)``.
Every list of templates (CLI, app, README) is derived from ``templates()``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from db.errors import InvalidInput, NotFound


class TemplateConfig(BaseModel):
    """Base class for template configs: unknown keys are refused, values are checked."""

    model_config = ConfigDict(extra="forbid")


class ModelConfig(TemplateConfig):
    """A config for a template that runs on a model."""

    model: str = Field(
        "organism:induction-2l",
        description="organism:<name>, a Hugging Face model name, or a local path.",
    )


@dataclass(frozen=True)
class Metric:
    """A metric a template emits: name, unit, direction and meaning."""

    name: str
    unit: str
    higher_is_better: bool
    description: str


@dataclass(frozen=True)
class Template:
    name: str
    summary: str
    config: type[TemplateConfig]
    metrics: tuple[Metric, ...]
    run: Callable[[Any, Any], None]
    module: str = field(default="")

    @property
    def doc(self) -> str:
        """The template module's docstring: the technique, its source, its metrics."""
        module = importlib.import_module(self.module)
        return (module.__doc__ or "").strip()

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)

    def parse_config(self, values: Mapping[str, Any] | None = None) -> TemplateConfig:
        """Build the config from user values; one clear InvalidInput on any bad value."""
        values = dict(values or {})
        known = set(self.config.model_fields)
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInput(
                f"Template {self.name} has no parameter {unknown[0]!r}; "
                f"its parameters are: {', '.join(sorted(known))}."
            )
        try:
            return self.config(**values)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise InvalidInput(
                f"Template {self.name} parameter {where!r}: {err['msg']} "
                f"(got {err.get('input')!r})."
            ) from None


_REGISTRY: dict[str, Template] = {}
_DISCOVERED = False


def template(
    name: str, *, summary: str, config: type[TemplateConfig], metrics: list[Metric]
) -> Callable[[Callable[[Any, Any], None]], Callable[[Any, Any], None]]:
    """Register ``run(config, ctx)`` as the template ``name``; a name registers once."""
    for fld_name, fld in config.model_fields.items():
        if fld.is_required() or not fld.description:
            raise TypeError(f"{name}.{fld_name} needs a default and a description")

    def register(run: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        if name in _REGISTRY:
            raise ValueError(f"template {name!r} is already registered")
        _REGISTRY[name] = Template(name, summary, config, tuple(metrics), run, run.__module__)
        return run

    return register


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    import experiments.templates as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    _DISCOVERED = True


def templates() -> list[Template]:
    """Every registered template, by name."""
    _discover()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_template(name: str) -> Template:
    """One template by name, or NotFound listing the known names."""
    _discover()
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise NotFound(f"No template named {name!r}; known templates: {known}.")
    return _REGISTRY[name]


def metric_names() -> dict[str, list[str]]:
    """Metric name → the templates that emit it."""
    names: dict[str, list[str]] = {}
    for t in templates():
        for m in t.metrics:
            names.setdefault(m.name, []).append(t.name)
    return names
