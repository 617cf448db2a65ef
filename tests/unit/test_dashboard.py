"""The agenda, disagreement and the expected-update ranking, against hand-computed values."""

from datetime import timedelta

import pytest

from cruxes import beliefs, dashboard, outcomes, people, predictions, projects, questions
from cruxes.errors import InvalidInput
from db.util import now
from tests.unit.helpers import finished_run


def predict(store, project_id, crux_id, person, p, c_pos, c_neg):
    predictions.add_prediction(
        store,
        project_id,
        crux_id,
        person,
        metric="max_induction_score",
        op=">",
        threshold=0.5,
        p_positive=p,
        if_positive=c_pos,
        if_negative=c_neg,
    )


@pytest.fixture
def agenda(store):
    """Crux 1: Ana 0.3 → 0.4, Ben 0.7. Crux 2: Ana 0.5. Projects P, Q, R, S."""
    people.add_person(store, "Ana", "mentor")
    people.add_person(store, "Ben", "scholar")
    people.add_person(store, "Cy", "scholar")
    one = beliefs.add_crux(store, "Attention scores find induction heads.")
    two = beliefs.add_crux(store, "Probes beat circuits.")
    beliefs.add_credence(store, one.id, "Ana", 0.3)
    beliefs.add_credence(store, one.id, "Ben", 0.7)
    beliefs.add_credence(store, one.id, "Ana", 0.4, reason="read the paper")
    beliefs.add_credence(store, two.id, "Ana", 0.5)
    p = projects.add_project(store, "P", crux_ids=[one.id], blind_predictions=True)
    predict(store, p.id, one.id, "Ana", 0.5, 0.6, 0.2)
    predict(store, p.id, one.id, "Ben", 0.8, 0.75, 0.5)
    q = projects.add_project(store, "Q", crux_ids=[one.id, two.id], effort_days=1)
    predict(store, q.id, one.id, "Ana", 0.5, 0.5, 0.3)
    predict(store, q.id, two.id, "Cy", 0.5, 0.9, 0.1)  # Cy holds no credence in crux 2
    projects.add_project(store, "R", crux_ids=[two.id], effort_days=2)
    projects.add_project(store, "S", crux_ids=[two.id])
    return store


def test_expected_update_ranks_projects_with_effort_second(agenda):
    ranked = dashboard.next_projects(agenda, viewer="Ana")
    assert [(v.title, round(v.expected_update, 6)) for v in ranked] == [
        ("Q", 0.5),  # Ana 0.5·0.1 + 0.5·0.1 on crux 1; Cy 0.5·0.4 + 0.5·0.4 from prior 0.5
        ("P", 0.28),  # Ana 0.5·0.2 + 0.5·0.2 = 0.2; Ben 0.8·0.05 + 0.2·0.2 = 0.08
        ("R", 0.0),  # no predictions: effort 2 days before
        ("S", 0.0),  # no estimate
    ]
    q, p = ranked[0], ranked[1]
    assert q.per_person == {"Ana": pytest.approx(0.1), "Cy": pytest.approx(0.4)}
    assert p.per_person == {"Ana": pytest.approx(0.2), "Ben": pytest.approx(0.08)}
    [crux] = p.cruxes
    # Spread 0.3 now; 0.15 if positive (0.6 vs 0.75); 0.3 if negative (0.2 vs 0.5);
    # mean P 0.65: expected 0.65·0.15 + 0.35·0.3 = 0.2025, a reduction of 0.0975.
    assert (crux.spread_now, crux.spread_if_positive, crux.spread_if_negative) == (
        pytest.approx(0.3),
        pytest.approx(0.15),
        pytest.approx(0.3),
    )
    assert crux.mean_p_positive == pytest.approx(0.65)
    assert crux.expected_reduction == pytest.approx(0.0975)
    assert p.expected_reduction == pytest.approx(0.0975)
    # Q: crux 1 goes to 0.2 or 0.4 with P 0.5 (no change expected); crux 2 has one holder.
    assert [f.expected_reduction for f in q.cruxes] == [pytest.approx(0.0), None]
    assert (q.effort_days, ranked[2].effort_days, ranked[3].effort_days) == (1.0, 2.0, None)


def test_only_unstarted_projects_are_ranked_unless_asked(agenda):
    projects.assign(agenda, 2, "Ben")
    finished_run(agenda, 2, {"max_induction_score": 0.9})  # Q is running now
    assert [v.title for v in dashboard.next_projects(agenda, viewer="Ana")] == ["P", "R", "S"]
    every = dashboard.next_projects(agenda, viewer="Ana", statuses=["running"])
    assert [v.title for v in every] == ["Q"]


@pytest.mark.parametrize(
    ("viewer", "shown", "hidden"),
    [("Ana", 0.28, 0), ("Ben", 0.28, 0), ("Cy", 0.0, 2), (None, 0.0, 2)],
)
def test_blind_predictions_count_only_for_those_who_entered_theirs(agenda, viewer, shown, hidden):
    [p] = [v for v in dashboard.next_projects(agenda, viewer=viewer) if v.title == "P"]
    assert (p.expected_update, p.hidden) == (pytest.approx(shown), hidden)
    listed = predictions.list_predictions(agenda, 1, viewer=viewer)
    assert len(listed) == 2 - hidden
    assert predictions.hidden_count(agenda, 1, viewer) == hidden


def test_blind_predictions_show_once_frozen(agenda):
    projects.assign(agenda, 1, "Ben")
    finished_run(agenda, 1, {"max_induction_score": 0.9})
    assert [p.person_name for p in predictions.list_predictions(agenda, 1, viewer="Cy")] == [
        "Ana",
        "Ben",
    ]


def test_disagreement_lists_projects_that_bring_people_closer(agenda):
    [row] = dashboard.disagreement(agenda, viewer="Ana")  # crux 2 has one holder
    assert (row.crux_id, row.positions, row.spread) == (
        1,
        {"Ana": 0.4, "Ben": 0.7},
        pytest.approx(0.3),
    )
    assert [(f.project_title, round(f.expected_reduction, 6)) for f in row.projects] == [
        ("P", 0.0975),
        ("Q", 0.0),  # 0.2 apart if positive: closer, though not in expectation
    ]
    assert all(f.brings_closer for f in row.projects)


def test_a_project_that_drives_people_apart_is_not_listed(agenda):
    # Both more extreme either way: 0.1/0.9 apart if positive, 0.0/1.0 if negative.
    far = projects.add_project(agenda, "Far", crux_ids=[1])
    predict(agenda, far.id, 1, "Ana", 0.5, 0.1, 0.0)
    predict(agenda, far.id, 1, "Ben", 0.5, 0.9, 1.0)
    [row] = dashboard.disagreement(agenda, viewer="Ana")
    assert "Far" not in [f.project_title for f in row.projects]


def test_agenda_groups_positions_by_question_and_lists_moves(agenda):
    question = questions.add_question(agenda, "Do probes suffice?")
    questions.set_question(agenda, 2, question.id)
    a = dashboard.agenda(agenda)
    assert [(g.question.text, [c.crux_id for c in g.cruxes]) for g in a.questions] == [
        ("Is mechanistic interpretability useful?", [1]),
        ("Do probes suffice?", [2]),
    ]
    assert a.people == ["Ana", "Ben"]
    [one] = a.questions[0].cruxes
    assert (one.positions, one.spread) == ({"Ana": 0.4, "Ben": 0.7}, pytest.approx(0.3))
    [move] = a.moves
    assert (move.credence.person_name, move.before, move.credence.value) == ("Ana", 0.3, 0.4)
    assert (move.delta, move.credence.cause) == (pytest.approx(0.1), "read the paper")


def test_moves_and_outcomes_follow_the_period(agenda):
    today = now().date()
    projects.assign(agenda, 1, "Ben")
    run_id = finished_run(agenda, 1, {"max_induction_score": 0.9})
    outcome = outcomes.record_outcome(agenda, 1, run_id)
    outcomes.apply_update(agenda, outcome.id)
    a = dashboard.agenda(agenda, since=today, until=today, limit=2)
    assert [(m.credence.person_name, m.credence.cause) for m in a.moves] == [
        ("Ana", "outcome 1 of run 1"),  # 0.4 → 0.6
        ("Ana", "read the paper"),  # 0.3 → 0.4; Ben's 0.7 → 0.75 is cut by the limit
    ]
    [event] = a.outcomes
    assert (event.outcome_id, event.run_id, event.n_evaluations, event.n_positive) == (1, 1, 2, 2)
    assert event.n_applied == 2
    yesterday = dashboard.agenda(agenda, until=today - timedelta(days=1))
    assert (yesterday.moves, yesterday.outcomes) == ([], [])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(since=now().date(), until=now().date() - timedelta(days=1)), "starts"),
        (dict(limit=0), "at least 1"),
    ],
)
def test_bad_periods_are_refused(agenda, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        dashboard.agenda(agenda, **kwargs)
