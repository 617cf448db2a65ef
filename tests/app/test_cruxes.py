"""Cruxes page: record a credence (a bad value is refused and writes nothing), add a crux."""

from __future__ import annotations

import json

import pyarrow as pa

from cruxes import beliefs, questions


def test_add_credence_defaults_to_you_and_refuses_bad_values(demo_store, open_page, click):
    at = open_page("cruxes", person="Theo")
    assert at.selectbox(key="crux").value == 1
    assert at.selectbox(key="credence_person").value == "Theo"
    before = len(beliefs.get_crux(demo_store, 1).history)

    at.text_input(key="credence_value").input("0.6")
    at.text_input(key="credence_reason").input("The heatmap was cleaner than I expected.")
    click(at, "Record credence")
    assert not at.error
    detail = beliefs.get_crux(demo_store, 1)
    assert detail.current["Theo"] == 0.6
    latest = detail.history[-1]
    assert (latest.person_name, latest.value, latest.source, latest.reason) == (
        "Theo",
        0.6,
        "manual",
        "The heatmap was cleaner than I expected.",
    )
    assert len(detail.history) == before + 1
    assert {m.label: m.value for m in at.metric}["Theo"] == "0.60"

    at.text_input(key="credence_value").input("1.7")
    click(at, "Record credence")
    assert (
        at.error[0].value == "Invalid credence: value must be a number between 0 and 1 (got 1.7)."
    )
    assert len(beliefs.get_crux(demo_store, 1).history) == before + 1


def test_add_a_crux_by_hand(home, store, open_page, click):
    at = open_page("cruxes")
    at.text_area(key="crux_statement").input("Probes find the planted feature.")
    click(at, "Add crux")
    assert [c.statement for c in beliefs.list_cruxes(store)] == ["Probes find the planted feature."]
    assert at.selectbox(key="crux").value == 1


def test_crux_chart_marks_causes_and_spread(demo_store, open_page):
    at = open_page("cruxes", person="Mara")
    [chart] = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    layers = spec["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["line", "point", "line"]
    assert layers[1]["encoding"]["shape"]["field"] == "source"
    assert layers[2]["mark"]["strokeDash"] == [4, 4]  # the spread between people
    datasets = {d.name: pa.ipc.open_stream(d.data.data).read_all() for d in chart.proto.datasets}
    spread = datasets[layers[2]["data"]["name"]].column("spread").to_pylist()
    # Mara 0.35 then Theo 0.70; the outcome moves Mara to 0.45, then Theo to 0.75 (held to now).
    assert [round(s, 6) for s in spread] == [0.35, 0.25, 0.3, 0.3]


def test_tag_a_crux_and_move_it_under_a_question(demo_store, open_page, click):
    question = questions.add_question(demo_store, "Do our tools find known circuits?")
    at = open_page("cruxes", person="Mara")
    at.text_input(key="crux_tag_new").input("circuits")
    at.selectbox(key="crux_tag_off").set_value("attention")
    click(at, "Save tags")
    assert beliefs.get_crux(demo_store, 1).tags == ["circuits"]
    at.selectbox(key="crux_question_id").set_value(question.id)
    click(at, "Move under this question")
    assert beliefs.get_crux(demo_store, 1).crux.question_id == question.id
