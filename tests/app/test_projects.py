"""Projects page: propose, assign, pre-register predictions; frozen predictions refuse."""

from __future__ import annotations

from datetime import date

from cruxes import annotations, people, predictions, projects


def test_propose_assign_and_predict(demo_store, open_page, click):
    at = open_page("projects", person="Mara")
    at.text_input(key="project_title").input("Do probes beat circuits on a practical task?")
    at.text_area(key="project_summary").input("Compare both on one held-out task.")
    at.multiselect(key="project_cruxes").set_value([2])
    assert at.selectbox(key="project_mentor").value == "Mara"
    click(at, "Propose project")
    new = projects.get_project(demo_store, 3)
    assert (new.title, new.crux_ids, new.mentor_name, new.status) == (
        "Do probes beat circuits on a practical task?",
        [2],
        "Mara",
        "proposed",
    )
    assert at.selectbox(key="project").value == 3

    assert at.selectbox(key="assignee").value == "Theo"
    click(at, "Assign")
    new = projects.get_project(demo_store, 3)
    assert (new.status, new.assignee_name) == ("assigned", "Theo")

    # Mara holds 0.25 on crux 2: 0.5·0.3 + 0.5·0.2 = 0.25 is consistent.
    at.selectbox(key="prediction_metric").set_value("max_induction_score")
    at.number_input(key="prediction_threshold").set_value(0.5)
    at.number_input(key="prediction_p").set_value(0.5)
    at.number_input(key="prediction_if_positive").set_value(0.3)
    at.number_input(key="prediction_if_negative").set_value(0.2)
    click(at, "Pre-register prediction")
    assert not at.error and not at.warning
    [pred] = predictions.list_predictions(demo_store, 3)
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
    [check] = [c for c in predictions.evidence_checks(demo_store, 3) if c.person_name == "Theo"]
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


def test_plan_tags_and_notes_of_a_project(demo_store, open_page, click):
    at = open_page("projects", person="Mara")
    at.selectbox(key="project").set_value(1).run()
    at.text_input(key="plan_effort").input("3.5")
    at.checkbox(key="plan_has_due").check()
    at.date_input(key="plan_due").set_value(date(2027, 2, 1))
    click(at, "Save plan")
    p = projects.get_project(demo_store, 1)
    assert (p.effort_days, p.due_date, p.blind_predictions) == (3.5, date(2027, 2, 1), False)
    assert {m.label: m.value for m in at.metric}["Effort (days)"] == "3.5"

    at.text_input(key="plan_effort").input("soon")
    click(at, "Save plan")
    assert at.error[0].value.startswith("Invalid project plan: effort days")
    assert projects.get_project(demo_store, 1) == p

    at.text_input(key="project_tag_new").input("Heads")
    click(at, "Save tags")
    assert annotations.tags_of(demo_store, "project", 1) == ["heads", "induction"]
    at.text_area(key="project_note_body").input("Ran **once**; one more seed?")
    click(at, "Add note")
    [note] = annotations.list_notes(demo_store, "project", 1)
    assert (note.body, note.person_name) == ("Ran **once**; one more seed?", "Mara")
    assert "Ran **once**; one more seed?" in [m.value for m in at.markdown]


def test_blind_project_hides_others_predictions_until_yours_are_in(demo_store, open_page, click):
    people.add_person(demo_store, "Ada", "scholar")
    at = open_page("projects", person="Ada")
    at.selectbox(key="project").set_value(2).run()
    assert "2 of others' predictions are hidden" in at.info[0].value
    assert "No predictions yet." in [c.value for c in at.caption]
    # Ada holds no credence in crux 1, so the check has nothing to compare with.
    at.selectbox(key="prediction_metric").set_value("max_induction_score")
    at.number_input(key="prediction_p").set_value(0.5)
    at.number_input(key="prediction_if_positive").set_value(0.6)
    at.number_input(key="prediction_if_negative").set_value(0.4)
    click(at, "Pre-register prediction")
    assert not at.info or "hidden" not in at.info[0].value
    assert at.dataframe[1].value["person"].tolist() == ["Mara", "Theo", "Ada"]
