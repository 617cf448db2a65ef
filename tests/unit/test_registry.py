"""The template registry: registration rules and config validation."""

import pytest
from pydantic import Field

from cruxes.errors import InvalidInput, NotFound
from experiments.registry import Metric, TemplateConfig, get_template, template, templates


def test_registering_a_name_twice_raises():
    get_template("induction_heads")  # the real one, registered when templates are discovered

    class Config(TemplateConfig):
        x: int = Field(1, description="x")

    with pytest.raises(ValueError, match="already registered"):
        template("induction_heads", summary="dup", config=Config, metrics=[])(lambda c, ctx: None)


def test_config_fields_need_defaults_and_descriptions():
    class NoDescription(TemplateConfig):
        x: int = 1

    with pytest.raises(TypeError, match="needs a default and a description"):
        template("bad_one", summary="", config=NoDescription, metrics=[])


def test_every_template_documents_itself():
    for t in templates():
        assert len(t.doc) > 200, t.name
        assert t.metrics and all(isinstance(m, Metric) and m.description for m in t.metrics)


def test_an_unknown_parameter_is_named_with_the_known_ones():
    with pytest.raises(InvalidInput, match="no parameter 'sequence_length'; its parameters are: "):
        get_template("induction_heads").parse_config({"sequence_length": 8})


def test_string_values_are_typed_by_the_config():
    config = get_template("induction_heads").parse_config({"seq_len": "12", "threshold": "0.3"})
    assert (config.seq_len, config.threshold) == (12, 0.3)


def test_unknown_template():
    with pytest.raises(NotFound, match="No template named 'nope'; known templates: "):
        get_template("nope")
