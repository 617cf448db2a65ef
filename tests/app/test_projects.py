"""Projects page: propose, assign, pre-register predictions; frozen predictions refuse."""

from __future__ import annotations

from cruxes import predictions, projects


def test_propose_assign_and_predict(demo_store, open_page, click):
    at = open_page("projects", person="Mara")
    at.text_input(key="project_title").input("Do probes beat circuits on a practical task?")
    at.text_area(key="project_summary").input("Compare both on one held-out task.")
    at.multiselect(key="project_cruxes").set_value([2])
    assert at.selectbox(key="project_mentor").value == "Mara"
    click(at, "Propose project")
    new = projects.get_project(demo_store, 2)
    assert (new.title, new.crux_ids, new.mentor_name, new.status) == (
        "Do probes beat circuits on a practical task?",
        [2],
        "Mara",
        "proposed",
    )
    assert at.selectbox(key="project").value == 2

    assert at.selectbox(key="assignee").value == "Theo"
    click(at, "Assign")
    new = projects.get_project(demo_store, 2)
    assert (new.status, new.assignee_name) == ("assigned", "Theo")

    # Mara holds 0.25 on crux 2: 0.5·0.3 + 0.5·0.2 = 0.25 is consistent.
    at.selectbox(key="prediction_metric").set_value("max_induction_score")
    at.number_input(key="prediction_threshold").set_value(0.5)
    at.number_input(key="prediction_p").set_value(0.5)
    at.number_input(key="prediction_if_positive").set_value(0.3)
    at.number_input(key="prediction_if_negative").set_value(0.2)
    click(at, "Pre-register prediction")
    assert not at.error and not at.warning
    [pred] = predictions.list_predictions(demo_store, 2)
    assert (
        pred.person_name,
        pred.crux_id,
        pred.rule,
        pred.p_positive,
        pred.if_positive,
        pred.if_negative,
    ) == ("Mara", 2, "max_induction_score > 0.5", 0.5, 0.3, 0.2)

    # Theo holds 0.40: implying 0.70 is flagged, and the row is highlighted with a warning.
    at.selectbox(key="prediction_person").set_value("Theo")
    at.number_input(key="prediction_if_positive").set_value(0.9)
    at.number_input(key="prediction_if_negative").set_value(0.5)
    click(at, "Pre-register prediction")
    [check] = [c for c in predictions.evidence_checks(demo_store, 2) if c.person_name == "Theo"]
    assert check.flagged and round(check.implied_prior, 2) == 0.7
    assert any("implies a prior of 0.70" in w.value for w in at.warning)


def test_frozen_predictions_refuse_with_an_error(demo_store, open_page, click):
    at = open_page("projects", person="Theo")
    assert at.selectbox(key="project").value == 1
    assert "froze" in at.info[0].value
    before = predictions.list_predictions(demo_store, 1, current_only=False)
    at.number_input(key="prediction_p").set_value(0.9)
    click(at, "Pre-register prediction")
    assert "were frozen when its first run started" in at.error[0].value
    assert predictions.list_predictions(demo_store, 1, current_only=False) == before
