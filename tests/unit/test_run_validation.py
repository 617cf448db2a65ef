"""A run is validated before it exists: types, ranges, and the model's shape (from its config).

Each template's bad values are refused with one sentence, by the same check the
app's form and ``cruxlab run start`` go through, and refusing changes nothing:
no run row, predictions not frozen, the project's status as it was.
"""

import json

import pytest

from cruxes import beliefs, people, predictions, projects, runs
from cruxes.errors import InvalidInput, NotFound
from experiments.loading import model_spec
from experiments.registry import get_template, templates

INDUCTION = "on organism:induction-2l: "
MODADD = "on organism:modadd-1l: "
CONTEXT_33 = "needs {n} positions but organism:induction-2l has a context of 33; use seq_len ≤ 16."


@pytest.mark.parametrize(
    ("name", "values", "message"),
    [
        # induction_heads
        ("induction_heads", {"seq_len": "abc"}, "seq_len must be a whole number (got 'abc')."),
        ("induction_heads", {"seq_len": 1}, "seq_len must be at least 2 (got 1)."),
        ("induction_heads", {"threshold": 1.5}, "threshold must be at most 1 (got 1.5)."),
        ("induction_heads", {"n_sequences": 0}, "n_sequences must be at least 1 (got 0)."),
        ("induction_heads", {"seq_len": 17}, INDUCTION + "seq_len 17 " + CONTEXT_33.format(n=35)),
        # linear_probe
        ("linear_probe", {"test_fraction": 1}, "test_fraction must be less than 1 (got 1)."),
        ("linear_probe", {"n_sequences": 4}, "n_sequences must be at least 8 (got 4)."),
        (
            "linear_probe",
            {"property": "colour"},
            "property must be 'previous_token' or 'seen_before' (got 'colour').",
        ),
        ("linear_probe", {"seq_len": 40}, INDUCTION + "seq_len 40 " + CONTEXT_33.format(n=81)),
        (
            "linear_probe",
            {"model": "organism:modadd-1l"},
            MODADD + "seq_len 16 needs 33 positions but organism:modadd-1l has a context of 3; "
            "use a model with a longer context.",
        ),
        # activation_patching
        (
            "activation_patching",
            {"sweeps": "resid_pre,heads"},
            "sweeps must name some of resid_pre, head_out, head_out_by_pos "
            "(got 'resid_pre,heads').",
        ),
        ("activation_patching", {"chunk_size": 0}, "chunk_size must be at least 1 (got 0)."),
        (
            "activation_patching",
            {"seq_len": 100},
            INDUCTION + "seq_len 100 " + CONTEXT_33.format(n=201),
        ),
        # attribution_patching
        ("attribution_patching", {"n_prompts": "many"}, "n_prompts must be a whole number"),
        (
            "attribution_patching",
            {"n_prompts": 2000},
            "n_prompts must be at most 1,024 (got 2000).",
        ),
        (
            "attribution_patching",
            {"seq_len": 20},
            INDUCTION + "seq_len 20 " + CONTEXT_33.format(n=41),
        ),
        # circuit_faithfulness
        (
            "circuit_faithfulness",
            {"heads": "0.0,0.1,7.9"},
            INDUCTION + "head 7.9 is not in the model (2 layers × 4 heads: layers 0–1, heads 0–3).",
        ),
        (
            "circuit_faithfulness",
            {"heads": "1.4"},
            INDUCTION + "head 1.4 is not in the model (2 layers × 4 heads: layers 0–1, heads 0–3).",
        ),
        ("circuit_faithfulness", {"heads": "1.0,1.0"}, INDUCTION + "head 1.0 is listed twice"),
        (
            "circuit_faithfulness",
            {"heads": "0.0,0.1,0.2,0.3,1.0,1.1,1.2,1.3"},
            INDUCTION + "the circuit holds all 8 heads, so there is no random circuit",
        ),
        (
            "circuit_faithfulness",
            {"heads": "1-0"},
            "heads must be comma-separated LAYER.HEAD pairs such as 1.0,1.2 (got '1-0').",
        ),
        (
            "circuit_faithfulness",
            {"n_random": 50000},
            "n_random must be at most 10,000 (got 50000).",
        ),
        (
            "circuit_faithfulness",
            {"ablation": "noise"},
            "ablation must be 'mean', 'zero' or 'resample' (got 'noise').",
        ),
        # sae_quality
        (
            "sae_quality",
            {"hook": "blocks.0.hook_mlp_out"},
            INDUCTION + "hook 'blocks.0.hook_mlp_out' is not a per-token activation of this "
            "model; use hook_embed or blocks.L.NAME with L in 0–1 and NAME one of "
            "hook_resid_pre, hook_attn_out, hook_resid_post.",
        ),
        ("sae_quality", {"hook": "blocks.2.hook_resid_pre"}, INDUCTION + "hook 'blocks.2."),
        (
            "sae_quality",
            {"k": 300},
            INDUCTION + "k 300 is more than the 256 latents (expansion 4 × width 64); "
            "lower k or raise expansion.",
        ),
        (
            "sae_quality",
            {"model": "organism:modadd-1l", "hook": "blocks.0.mlp.hook_post", "k": 2000},
            MODADD + "k 2000 is more than the 1024 latents (expansion 4 × width 256)",
        ),
        (
            "sae_quality",
            {"n_sequences": 4, "heldout_fraction": 0.9},
            "heldout_fraction 0.9 of 4 sequences leaves none to train on; "
            "lower it or draw more sequences.",
        ),
        ("sae_quality", {"lr": 0}, "lr must be more than 0 (got 0)."),
    ],
)
def test_each_templates_bad_values_are_one_sentence(name, values, message):
    with pytest.raises(InvalidInput) as refused:
        get_template(name).validate(values)
    # A model check names the model after the template; a type or range check does not.
    expected = f"{name} {message}" if message.startswith("on ") else f"{name}: {message}"
    assert str(refused.value).startswith(expected)


def test_the_covered_templates_are_every_template():
    tested = {"induction_heads", "linear_probe", "activation_patching", "attribution_patching"}
    tested |= {"circuit_faithfulness", "sae_quality"}
    assert {t.name for t in templates()} == tested


@pytest.mark.parametrize("name", [t.name for t in templates()])
def test_every_templates_defaults_pass(name):
    assert get_template(name).validate({}) == get_template(name).config()


def test_an_unknown_organism_is_named():
    with pytest.raises(NotFound, match="No model organism named 'nope'"):
        get_template("induction_heads").validate({"model": "organism:nope"})


def test_a_local_model_is_checked_against_its_config_json(tmp_path):
    # A GPT-2-style config and no weights at all: the check reads only config.json.
    gpt2ish = {"n_layer": 3, "n_head": 2, "n_embd": 32, "n_positions": 21, "vocab_size": 50}
    (tmp_path / "config.json").write_text(json.dumps(gpt2ish))
    spec, where = model_spec(str(tmp_path))
    assert (spec.n_layers, spec.n_heads, spec.d_model, spec.n_ctx, spec.d_vocab) == (
        3,
        2,
        32,
        21,
        50,
    )
    assert where == f"{tmp_path}: 3 layers × 2 heads, d_model 32, context 21, vocabulary 50 " + (
        f"(from {tmp_path / 'config.json'})."
    )
    template = get_template("circuit_faithfulness")
    assert template.validate({"model": str(tmp_path), "heads": "2.1"}).heads == "2.1"
    with pytest.raises(InvalidInput, match=r"head 2\.2 is not in the model \(3 layers × 2 heads"):
        template.validate({"model": str(tmp_path), "heads": "2.2"})
    fits = {"model": str(tmp_path), "heads": "2.1", "seq_len": 10}
    assert template.validate(fits).seq_len == 10
    with pytest.raises(InvalidInput, match="seq_len 11 needs 23 positions .* use seq_len ≤ 10"):
        template.validate({**fits, "seq_len": 11})


def test_a_model_without_a_config_here_is_checked_when_it_loads():
    spec, why = model_spec("someone/not-cached-anywhere")
    assert spec is None
    assert why == (
        "someone/not-cached-anywhere has no config in a local folder or the Hugging Face cache, "
        "so its layers, heads and vocabulary are checked when the run loads it."
    )
    config = get_template("circuit_faithfulness").validate(
        {"model": "someone/not-cached-anywhere", "heads": "7.9"}
    )
    assert config.heads == "7.9"


@pytest.fixture
def waiting_project(store):
    """An assigned project with a prediction, not yet run (its predictions can still change)."""
    people.add_person(store, "Mara", "mentor")
    people.add_person(store, "Theo", "scholar")
    crux = beliefs.add_crux(store, "Attention scores find induction heads.")
    beliefs.add_credence(store, crux.id, "Mara", 0.4)
    project = projects.add_project(store, "Check the circuit", crux_ids=[crux.id], mentor="Mara")
    projects.assign(store, project.id, "Theo")
    predictions.add_prediction(
        store,
        project.id,
        crux.id,
        "Mara",
        metric="faithfulness",
        op=">",
        threshold=0.9,
        p_positive=0.5,
        if_positive=0.6,
        if_negative=0.2,
    )
    return projects.get_project(store, project.id)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("circuit_faithfulness", {"heads": "0.0,0.1,7.9"}),
        ("circuit_faithfulness", {"n_random": "50000"}),
        ("induction_heads", {"seq_len": "17"}),
        ("linear_probe", {"model": "organism:modadd-1l"}),
        ("sae_quality", {"hook": "blocks.0.hook_mlp_out"}),
        ("activation_patching", {"sweeps": "heads"}),
        ("attribution_patching", {"seq_len": "20"}),
    ],
)
def test_a_refused_config_creates_no_run_and_freezes_nothing(store, waiting_project, name, values):
    with pytest.raises(InvalidInput):
        runs.start_run(store, waiting_project.id, name, values)
    assert runs.run_page(store).total == 0
    after = projects.get_project(store, waiting_project.id)
    assert (after.status, after.predictions_frozen_at, after.version) == (
        "assigned",
        None,
        waiting_project.version,
    )
    # Predictions can still be corrected: nothing froze.
    predictions.add_prediction(
        store,
        waiting_project.id,
        waiting_project.crux_ids[0],
        "Mara",
        metric="faithfulness",
        op=">",
        threshold=0.9,
        p_positive=0.6,
        if_positive=0.6,
        if_negative=0.2,
    )


def test_a_sweep_point_the_model_cannot_run_refuses_the_whole_sweep(store, waiting_project):
    with pytest.raises(InvalidInput) as refused:
        runs.start_sweep(
            store, waiting_project.id, "circuit_faithfulness", ["heads=0.0,0.1|0.0,7.9"]
        )
    assert str(refused.value) == (
        "Sweep point 2 (heads=0.0,7.9): circuit_faithfulness on organism:induction-2l: "
        "head 7.9 is not in the model (2 layers × 4 heads: layers 0–1, heads 0–3)."
    )
    assert runs.run_page(store).total == 0
    after = projects.get_project(store, waiting_project.id)
    assert (after.status, after.predictions_frozen_at) == ("assigned", None)
