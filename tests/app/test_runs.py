"""Runs page: start a run from the form generated from the template's config."""

from __future__ import annotations

import subprocess

import pytest

from cruxes import annotations, board, projects, runs
from experiments.registry import get_template, templates
from tests.conftest import CRUXLAB
from tests.unit.helpers import created_run, dump, finished_run, write_result


def test_start_a_run_from_the_generated_form(demo_store, open_page, click):
    at = open_page("runs")
    assert at.selectbox(key="run_project").value == 1
    at.selectbox(key="template").set_value("induction_heads").run()
    fields = {
        w.key.removeprefix("config_induction_heads_"): w.value
        for w in [*at.number_input, *at.text_input]
        if w.key and w.key.startswith("config_induction_heads_")
    }
    assert fields == {
        "seq_len": 16,
        "n_sequences": 64,
        "threshold": 0.4,
        "model": "organism:induction-2l",
    }
    at.number_input(key="config_induction_heads_n_sequences").set_value(8)
    click(at, "Start run")
    assert not at.error
    assert at.success[0].value.startswith("Started run 2 (induction_heads) for project 1")
    assert at.selectbox(key="run").value == 2

    run = runs.wait_for(demo_store, 2, timeout=120)
    assert (run.status, run.config["n_sequences"], run.seed) == ("succeeded", 8, 0)
    assert 0 <= run.metrics["max_induction_score"] <= 1
    assert projects.get_project(demo_store, 1).status == "running"

    at.run()
    assert not at.exception and not at.error
    assert [i.proto.imgs[0].caption for i in at.image] == ["head_scores.png"]
    assert {m.label: m.value for m in at.metric}["max_induction_score"] == (
        f"{run.metrics['max_induction_score']:.4g}"
    )


@pytest.mark.parametrize("name", [t.name for t in templates() if t.name != "induction_heads"])
def test_every_template_runs_from_the_app_with_its_defaults(demo_store, open_page, click, name):
    at = open_page("runs")
    at.selectbox(key="template").set_value(name).run()
    click(at, "Start run")
    assert not at.error
    run = runs.wait_for(demo_store, 2, timeout=300)
    assert (run.template, run.status) == (name, "succeeded"), run.error
    at.run()
    assert not at.exception and not at.error
    declared = {m.name for m in get_template(name).metrics}
    assert {m.label for m in at.metric} == set(run.metrics) == declared
    pngs = {a.rsplit("/", 1)[1] for a in run.artifacts if a.endswith(".png")}
    assert pngs and {i.proto.imgs[0].caption for i in at.image} == pngs


def test_a_proposed_project_cannot_start_a_run(demo_store, open_page, click):
    proposed = projects.add_project(demo_store, "Unassigned idea", crux_ids=[2])
    at = open_page("runs")
    at.selectbox(key="run_project").set_value(proposed.id)
    click(at, "Start run")
    assert at.error[0].value == (
        f"Project {proposed.id} is proposed; assign it to a scholar first before starting runs."
    )
    assert runs.run_page(demo_store).table.column("id").to_pylist() == [1]


def test_the_form_starts_a_run_on_the_chosen_executor_and_refuses_bad_slurm_options(
    demo_store, open_page, click
):
    at = open_page("runs")
    assert at.selectbox(key="executor").options == ["local", "slurm"]
    assert at.selectbox(key="executor").value == "local"
    at.selectbox(key="executor").set_value("slurm")
    at.text_area(key="slurm_options").set_value("partition=gpu\ntime_limit_min=0")
    click(at, "Start run")
    assert at.error[0].value == (
        "SLURM option time_limit_min: Input should be greater than or equal to 1."
    )
    assert runs.run_page(demo_store).table.column("id").to_pylist() == [1]


def test_notes_and_tags_on_a_run(demo_store, open_page, click):
    at = open_page("runs", person="Theo")
    assert at.selectbox(key="run").value == 1
    demo_note = "The **layer-1** heads stand out in the heatmap, as the organism promises."
    assert demo_note in [m.value for m in at.markdown]
    at.text_input(key="run_tag_new").input("organism")
    click(at, "Save tags")
    at.text_area(key="run_note_body").input("Seed 0 only.")
    click(at, "Add note")
    assert annotations.tags_of(demo_store, "run", 1) == ["organism"]
    assert [n.body for n in annotations.list_notes(demo_store, "run", 1)] == [
        demo_note,
        "Seed 0 only.",
    ]


@pytest.mark.parametrize("name", [t.name for t in templates()])
def test_the_form_offers_every_config_field_with_its_default(demo_store, open_page, name):
    at = open_page("runs")
    at.selectbox(key="template").set_value(name).run()
    assert not at.exception, at.exception
    prefix = f"config_{name}_"
    shown = {
        w.key.removeprefix(prefix): w.value
        for w in [*at.number_input, *at.text_input, *at.selectbox, *at.checkbox]
        if w.key and w.key.startswith(prefix)
    }
    fields = get_template(name).config.model_fields
    assert shown == {field_name: field.default for field_name, field in fields.items()}


def test_a_choice_field_is_a_selectbox_of_its_choices(demo_store, open_page):
    at = open_page("runs")
    at.selectbox(key="template").set_value("linear_probe").run()
    control = at.selectbox(key="config_linear_probe_control")
    assert (control.options, control.value) == (["shuffled", "token_type"], "shuffled")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("n_random", 50000, "circuit_faithfulness: n_random must be at most 10,000 (got 50000)."),
        (
            "heads",
            "0.0,0.1,7.9",
            "circuit_faithfulness on organism:induction-2l: head 7.9 is not in the model "
            "(2 layers × 4 heads: layers 0–1, heads 0–3).",
        ),
    ],
)
def test_a_bad_value_is_refused_in_the_form_and_changes_nothing(
    demo_store, open_page, click, field, value, message
):
    follow_up = projects.get_project(demo_store, 2)  # assigned, predictions not frozen
    at = open_page("runs")
    at.selectbox(key="run_project").set_value(follow_up.id)
    at.selectbox(key="template").set_value("circuit_faithfulness").run()
    key = f"config_circuit_faithfulness_{field}"
    widget = at.number_input(key=key) if isinstance(value, int) else at.text_input(key=key)
    widget.set_value(value)
    click(at, "Start run")
    assert [e.value for e in at.error] == [message]
    assert runs.run_page(demo_store).table.column("id").to_pylist() == [1]
    assert projects.get_project(demo_store, follow_up.id) == follow_up


def test_number_fields_say_their_range(demo_store, open_page):
    at = open_page("runs")
    at.selectbox(key="template").set_value("circuit_faithfulness").run()
    assert at.number_input(key="config_circuit_faithfulness_n_random").help == (
        "Random same-size circuits (at most). From 2 to 10,000."
    )


def test_reading_runs_writes_nothing_until_a_refresh(demo_store, open_page, click):
    at = open_page("runs")  # the app's start-up refreshed run states once, here
    run_id = created_run(demo_store, 1)
    write_result(demo_store, run_id, {"max_induction_score": 0.9})  # finished, not recorded
    before = dump(demo_store)
    at.run()
    assert not at.exception and not at.error
    runs.run_page(demo_store)
    runs.get_run(demo_store, run_id)
    runs.compare(demo_store, [1, run_id])
    board.coverage(demo_store)
    board.person_page(demo_store, "Theo")
    for args in (
        ["run", "list"],
        ["run", "list", "--json", "--metric", "max_induction_score > 0.5"],
        ["run", "show", str(run_id), "--json"],
        ["run", "compare", "1", str(run_id)],
        ["coverage"],
        ["scholar", "Theo"],
    ):
        subprocess.run([CRUXLAB, *args], check=True, capture_output=True, timeout=120)
    assert dump(demo_store) == before
    assert runs.get_run(demo_store, run_id).status == "queued"

    click(at, "Refresh run states")
    assert at.success[0].value == f"run {run_id} succeeded"
    assert runs.get_run(demo_store, run_id).metrics == {"max_induction_score": 0.9}


def test_filter_and_compare_on_the_runs_page(demo_store, open_page):
    second = finished_run(demo_store, 1, {"max_induction_score": 0.2}, seed=7)
    at = open_page("runs")

    def counts() -> str:
        return next(c.value for c in at.caption if "runs match" in c.value)

    assert counts().startswith("2 runs match (2 succeeded)")
    at.text_input(key="runs_metric").input("max_induction_score < 0.5").run()
    assert counts().startswith("1 runs match (1 succeeded)")
    [table] = [d.value for d in at.dataframe if "project_title" in d.value.columns]
    assert table["id"].tolist() == [second]
    at.text_input(key="runs_metric").input("max_induction_score >> 1").run()
    assert at.error[0].value.startswith("A metric filter is NAME OP NUMBER")
    at.text_input(key="runs_metric").input("").run()
    at.multiselect(key="compare_page_runs").set_value([1, second]).run()
    assert not at.exception and not at.error
    [compared] = [
        d.value
        for d in at.dataframe
        if "id" in d.value.columns and "project_title" not in d.value.columns
    ]
    assert compared["id"].tolist() == [1, second]
    assert "seed" in compared.columns and "max_induction_score" in compared.columns


def test_the_runs_table_shows_two_metric_columns_and_a_sorted_one(demo_store, open_page):
    at = open_page("runs")
    metrics = list(runs.run_page(demo_store).metric_columns)
    [chosen] = [m for m in at.multiselect if m.label == "Metric columns"]
    assert chosen.value == metrics[:2]
    at.selectbox(key="runs_sort").set_value(metrics[-1]).run()
    [chosen] = [m for m in at.multiselect if m.label == "Metric columns"]
    assert chosen.value == [metrics[-1], metrics[0]]
    [table] = [d for d in at.dataframe if "template" in d.value.columns]
    assert list(table.value.columns) == [
        "id",
        "project_title",
        "template",
        "status",
        "created_at",
        "tags",
        metrics[-1],
        metrics[0],
    ]
