"""The template registry: registration rules and config validation."""

import subprocess
import sys

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


def test_listing_templates_and_checking_configs_import_no_torch():
    """The CLI and every page list templates and check configs; torch (3 s, 220 MB) is
    imported only by a run, so `cruxlab run list` starts fast and a page stays small."""
    code = (
        "import sys, app.cli, cruxes.api\n"
        "from experiments.registry import templates\n"
        "for t in templates():\n"
        "    t.validate({})\n"
        "print(sorted(m for m in ('torch', 'transformer_lens') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
