"""The template registry: every runnable experiment, keyed by name.

A template is a module in ``experiments/templates/`` that registers one
function with ``@template``: its name, a pydantic ``Config`` (every field has a
default and a description), the metrics it emits, and ``run(config, ctx)``.
Every list of templates (CLI, app, README) is derived from ``templates()``.

``Template.validate(values)`` is the one check a run's config passes before the
run exists: types and ranges (the pydantic ``Config``), then the config against
the model's shape (``Config.check_model``: layers, heads, positions, vocabulary),
read from the model's configuration without loading its weights.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from db.errors import InvalidInput, NotFound
from experiments.loading import ModelSpec, model_spec


class TemplateConfig(BaseModel):
    """Base class for template configs: unknown keys are refused, values are checked."""

    model_config = ConfigDict(extra="forbid")

    def check_model(self, spec: ModelSpec) -> None:
        """Refuse (InvalidInput) values the model cannot run; the default accepts any model."""


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
            raise InvalidInput(f"{self.name}: {_sentence(exc.errors()[0])}") from None

    def validate(self, values: Mapping[str, Any] | None = None) -> TemplateConfig:
        """The config from user values, checked for types and ranges and against the model's
        shape (from its configuration, no weights); one clear InvalidInput otherwise."""
        config = self.parse_config(values)
        name = getattr(config, "model", None)
        spec = model_spec(name)[0] if isinstance(name, str) else None
        if spec is not None:
            try:
                config.check_model(spec)
            except InvalidInput as exc:
                message = str(exc)
                raise InvalidInput(
                    f"{self.name} on {name}: {message[:1].lower()}{message[1:]}"
                ) from None
        return config


# How a pydantic error reads as the end of a sentence, by its type.
_ERRORS = {
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_parsing": "must be true or false",
    "literal_error": "must be {expected}",
}


def _sentence(err: dict[str, Any]) -> str:
    """One sentence for a pydantic error: which parameter, what it must be, what it got."""
    where = ".".join(str(p) for p in err["loc"])
    ctx = err.get("ctx") or {}
    if err["type"] == "value_error":  # a validator's own message
        what = str(ctx.get("error", err["msg"]))
        if not where:  # a check across fields says which ones itself
            return f"{what}."
    elif err["type"] in _ERRORS:
        what = _ERRORS[err["type"]].format(**{k: _number(v) for k, v in ctx.items()})
    else:
        what = err["msg"][0].lower() + err["msg"][1:]
    return f"{where} {what} (got {_shown(err.get('input'))})."


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else value


def _shown(value: Any) -> str:
    """A value as the person typed it: numbers bare (also from ``--set``), text quoted."""
    try:
        float(value)
        return str(value)
    except (TypeError, ValueError):
        return repr(value)


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
