"""Outcomes page: record an outcome for a finished run, then apply the updates."""

from __future__ import annotations

from cruxes import beliefs, outcomes, projects, runs


def test_record_an_outcome_and_apply_updates(demo_store, open_page, click):
    run = runs.start_run(demo_store, 1, "induction_heads", {"n_sequences": 8})
    run = runs.wait_for(demo_store, run.id, timeout=120)
    assert run.status == "succeeded"

    at = open_page("outcomes", person="Theo")
    assert at.selectbox(key="outcome_project").value == 1
    assert at.selectbox(key="outcome_run").value == run.id
    at.text_input(key="outcome_note").input("Second look with fewer sequences.")
    click(at, "Check against predictions")
    assert not at.error
    [_, outcome] = outcomes.list_outcomes(demo_store, 1)
    assert (outcome.run_id, outcome.note) == (run.id, "Second look with fewer sequences.")
    assert sorted(e.person_name for e in outcome.evaluations) == ["Mara", "Theo"]
    assert not any(e.applied for e in outcome.evaluations)
    assert projects.get_project(demo_store, 1).status == "in_review"

    at.button(key=f"apply_mine_{outcome.id}").click().run()
    assert not at.exception and not at.error
    applied = {
        e.person_name: e.applied for e in outcomes.get_outcome(demo_store, outcome.id).evaluations
    }
    assert applied == {"Mara": False, "Theo": True}

    at.button(key=f"apply_{outcome.id}").click().run()
    assert not at.exception and not at.error
    evaluations = outcomes.get_outcome(demo_store, outcome.id).evaluations
    assert all(e.applied for e in evaluations)
    history = beliefs.get_crux(demo_store, 1).history
    moved = {h.person_name: h for h in history if h.outcome_id == outcome.id}
    for e in evaluations:
        assert (moved[e.person_name].value, moved[e.person_name].source) == (e.proposed, "outcome")
    assert "All updates applied." in [c.value for c in at.caption]
