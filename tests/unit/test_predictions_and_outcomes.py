"""Pre-registered predictions, the expected-evidence check, outcomes and updates."""

import pytest

from cruxes import beliefs, outcomes, people, predictions, projects
from cruxes.errors import Conflict, InvalidInput, NotFound
from tests.unit.helpers import finished_run

PRED = dict(metric="max_induction_score", op=">", threshold=0.5)


@pytest.fixture
def setup(store):
    people.add_person(store, "Ana", "mentor")
    people.add_person(store, "Ben", "scholar")
    crux = beliefs.add_crux(store, "Attention scores find induction heads.")
    other = beliefs.add_crux(store, "Unrelated crux.")
    beliefs.add_credence(store, crux.id, "Ana", 0.35)
    beliefs.add_credence(store, crux.id, "Ben", 0.7)
    project = projects.add_project(store, "Find the heads", crux_ids=[crux.id], mentor="Ana")
    projects.assign(store, project.id, "Ben")
    return store, project, crux, other


def test_expected_evidence_check_values(setup):
    store, project, crux, _ = setup
    # 0.6 · 0.45 + 0.4 · 0.20 = 0.35 = Ana's credence: consistent.
    _, ok = predictions.add_prediction(
        store, project.id, crux.id, "Ana", **PRED, p_positive=0.6, if_positive=0.45, if_negative=0.2
    )
    assert ok.implied_prior == pytest.approx(0.35)
    assert ok.gap == pytest.approx(0.0)
    assert not ok.flagged
    # 0.5 · 0.9 + 0.5 · 0.3 = 0.6 vs Ben's 0.7: off by 0.1, flagged.
    _, off = predictions.add_prediction(
        store, project.id, crux.id, "Ben", **PRED, p_positive=0.5, if_positive=0.9, if_negative=0.3
    )
    assert (off.implied_prior, off.current) == (pytest.approx(0.6), 0.7)
    assert off.gap == pytest.approx(0.1)
    assert off.flagged


def test_check_without_a_credence_is_not_flagged(setup):
    store, project, crux, _ = setup
    people.add_person(store, "Cy", "scholar")
    _, check = predictions.add_prediction(
        store, project.id, crux.id, "Cy", **PRED, p_positive=0.5, if_positive=0.9, if_negative=0.1
    )
    assert (check.current, check.gap, check.flagged) == (None, None, False)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("p_positive", 1.7, "p positive"),
        ("if_positive", -0.1, "if positive"),
        ("if_negative", "x", "if negative"),
        ("op", "=>", "op"),
        ("threshold", float("nan"), "threshold"),
    ],
)
def test_bad_prediction_is_refused_and_nothing_written(setup, field, value, message):
    store, project, crux, _ = setup
    fields = {**PRED, "p_positive": 0.5, "if_positive": 0.5, "if_negative": 0.2, field: value}
    with pytest.raises(InvalidInput, match=message):
        predictions.add_prediction(store, project.id, crux.id, "Ana", **fields)
    assert predictions.list_predictions(store, project.id) == []


def test_prediction_needs_a_known_metric_and_a_linked_crux(setup):
    store, project, crux, other = setup
    fields = dict(op=">", threshold=0.5, p_positive=0.5, if_positive=0.5, if_negative=0.2)
    with pytest.raises(InvalidInput, match="No template emits a metric named 'accuracy'"):
        predictions.add_prediction(store, project.id, crux.id, "Ana", metric="accuracy", **fields)
    with pytest.raises(InvalidInput, match="not linked"):
        predictions.add_prediction(
            store, project.id, other.id, "Ana", metric="max_induction_score", **fields
        )


def test_correction_is_a_new_row_and_the_latest_is_current(setup):
    store, project, crux, _ = setup
    first, _ = predictions.add_prediction(
        store, project.id, crux.id, "Ana", **PRED, p_positive=0.5, if_positive=0.5, if_negative=0.2
    )
    second, _ = predictions.add_prediction(
        store, project.id, crux.id, "Ana", **PRED, p_positive=0.6, if_positive=0.45, if_negative=0.2
    )
    assert [p.id for p in predictions.list_predictions(store, project.id)] == [second.id]
    every = predictions.list_predictions(store, project.id, current_only=False)
    assert [(p.id, p.is_current) for p in every] == [(first.id, False), (second.id, True)]


def test_predictions_freeze_when_the_first_run_starts(setup):
    store, project, crux, _ = setup
    predictions.add_prediction(
        store, project.id, crux.id, "Ana", **PRED, p_positive=0.6, if_positive=0.45, if_negative=0.2
    )
    finished_run(store, project.id, {"max_induction_score": 0.9})
    with pytest.raises(Conflict, match="frozen"):
        predictions.add_prediction(
            store,
            project.id,
            crux.id,
            "Ben",
            **PRED,
            p_positive=0.5,
            if_positive=0.8,
            if_negative=0.6,
        )
    assert len(predictions.list_predictions(store, project.id)) == 1
    assert projects.get_project(store, project.id).status == "running"


@pytest.mark.parametrize(
    ("op", "value", "positive"),
    [
        (">", 0.9, True),
        (">", 0.5, False),
        (">=", 0.5, True),
        ("<", 0.4, True),
        ("<", 0.5, False),
        ("<=", 0.5, True),
    ],
)
def test_outcome_evaluates_predictions_and_proposes_updates(setup, op, value, positive):
    store, project, crux, _ = setup
    predictions.add_prediction(
        store,
        project.id,
        crux.id,
        "Ana",
        metric="max_induction_score",
        op=op,
        threshold=0.5,
        p_positive=0.6,
        if_positive=0.45,
        if_negative=0.2,
    )
    run_id = finished_run(store, project.id, {"max_induction_score": value})
    outcome = outcomes.record_outcome(store, project.id, run_id)
    [e] = outcome.evaluations
    assert (e.person_name, e.value, e.positive) == ("Ana", value, positive)
    assert (e.credence_before, e.proposed, e.applied) == (0.35, 0.45 if positive else 0.2, False)
    assert projects.get_project(store, project.id).status == "in_review"


def test_applying_an_outcome_appends_credences_caused_by_the_run(setup):
    store, project, crux, _ = setup
    for person, p, cp, cn in (("Ana", 0.6, 0.45, 0.2), ("Ben", 0.9, 0.75, 0.25)):
        predictions.add_prediction(
            store, project.id, crux.id, person, **PRED, p_positive=p, if_positive=cp, if_negative=cn
        )
    run_id = finished_run(store, project.id, {"max_induction_score": 0.3})
    outcome = outcomes.record_outcome(store, project.id, run_id)
    applied = outcomes.apply_update(store, outcome.id, person="Ben")
    assert [(c.person_name, c.value, c.source) for c in applied] == [("Ben", 0.25, "outcome")]
    applied = outcomes.apply_update(store, outcome.id)
    assert [(c.person_name, c.value) for c in applied] == [("Ana", 0.2)]
    with pytest.raises(Conflict, match="no unapplied updates"):
        outcomes.apply_update(store, outcome.id)
    detail = beliefs.get_crux(store, crux.id)
    assert detail.current == {"Ana": 0.2, "Ben": 0.25}
    last = detail.history[-1]
    assert (last.source, last.outcome_id, last.run_id) == ("outcome", outcome.id, run_id)
    assert last.cause == f"outcome {outcome.id} of run {run_id}"
    assert "max_induction_score = 0.3 is negative" in last.reason
    # Frozen predictions are checked against the credence held when they froze.
    assert not any(c.flagged for c in predictions.evidence_checks(store, project.id))


def test_outcome_refuses_bad_runs_and_changes_nothing(setup):
    store, project, crux, _ = setup
    with pytest.raises(Conflict, match="no predictions"):
        outcomes.record_outcome(store, project.id, finished_run(store, project.id, {}))
    store2_project = projects.add_project(store, "Other")
    with pytest.raises(NotFound, match="has no run"):
        outcomes.record_outcome(store, store2_project.id, 1)
    failed = finished_run(store, project.id, {"max_induction_score": 0.9}, status="failed")
    with pytest.raises(Conflict, match="failed"):
        outcomes.record_outcome(store, project.id, failed)
    assert outcomes.list_outcomes(store) == []


def test_outcome_needs_a_metric_the_predictions_name(setup):
    store, project, crux, _ = setup
    projects_run = finished_run(store, project.id, {"n_induction_heads": 3})
    # Predictions are frozen now, so add via a second project on the same crux.
    second = projects.add_project(store, "Second", crux_ids=[crux.id])
    projects.assign(store, second.id, "Ben")
    predictions.add_prediction(
        store, second.id, crux.id, "Ana", **PRED, p_positive=0.6, if_positive=0.45, if_negative=0.2
    )
    run_id = finished_run(store, second.id, {"n_induction_heads": 3})
    with pytest.raises(InvalidInput, match="reported none of the metrics"):
        outcomes.record_outcome(store, second.id, run_id)
    with pytest.raises(Conflict, match="no predictions"):
        outcomes.record_outcome(store, project.id, projects_run)


def test_a_run_gives_one_outcome(setup):
    store, project, crux, _ = setup
    predictions.add_prediction(
        store, project.id, crux.id, "Ana", **PRED, p_positive=0.6, if_positive=0.45, if_negative=0.2
    )
    run_id = finished_run(store, project.id, {"max_induction_score": 0.9})
    first = outcomes.record_outcome(store, project.id, run_id)
    with pytest.raises(Conflict, match=f"already has outcome {first.id}"):
        outcomes.record_outcome(store, project.id, run_id)
