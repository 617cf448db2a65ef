"""Cruxes page: record a credence (a bad value is refused and writes nothing), add a crux."""

from __future__ import annotations

from cruxes import beliefs


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
