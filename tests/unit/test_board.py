"""The project board, a person's page and coverage."""

from datetime import date

import pytest

from cruxes import annotations, beliefs, board, outcomes, people, predictions, projects
from cruxes.errors import InvalidInput, NotFound
from tests.unit.helpers import finished_run

TODAY = date(2026, 1, 10)


@pytest.fixture
def lab(store):
    """Mara mentors P (due yesterday), Q (due today) and D (done, was due long ago);
    Nia mentors N. Theo has P and D, Ivy has Q."""
    for name, role in (
        ("Mara", "mentor"),
        ("Nia", "mentor"),
        ("Theo", "scholar"),
        ("Ivy", "scholar"),
    ):
        people.add_person(store, name, role)
    one = beliefs.add_crux(store, "Attention scores find induction heads.")
    two = beliefs.add_crux(store, "Probes beat circuits.")
    beliefs.add_crux(store, "Nobody works on this.")
    p = projects.add_project(
        store, "P", crux_ids=[one.id, two.id], mentor="Mara", due_date="2026-01-09"
    )
    q = projects.add_project(store, "Q", crux_ids=[one.id], mentor="Mara", due_date=TODAY)
    d = projects.add_project(store, "D", crux_ids=[two.id], mentor="Mara", due_date="2025-06-01")
    n = projects.add_project(store, "N", crux_ids=[one.id], mentor="Nia")
    projects.assign(store, p.id, "Theo")
    projects.assign(store, q.id, "Ivy")
    projects.assign(store, d.id, "Theo")
    predictions.add_prediction(
        store,
        d.id,
        two.id,
        "Theo",
        metric="max_induction_score",
        op=">",
        threshold=0.5,
        p_positive=0.5,
        if_positive=0.5,
        if_negative=0.5,
    )
    outcomes.record_outcome(store, d.id, finished_run(store, d.id, {"max_induction_score": 0.9}))
    projects.set_status(store, d.id, "done")
    finished_run(store, p.id, {"max_induction_score": 0.2}, status="failed")
    waiting = finished_run(store, p.id, {"max_induction_score": 0.7})
    annotations.add_tag(store, "project", q.id, "baselines")
    annotations.add_note(store, "project", p.id, "First *draft*.", person="Mara")
    annotations.add_note(store, "project", p.id, "Second **take**.")
    return store, {"P": p.id, "Q": q.id, "D": d.id, "N": n.id}, waiting


def test_board_cards_by_status_with_latest_run_and_overdue(lab):
    store, ids, waiting = lab
    b = board.board(store, today=TODAY)
    assert {s: [c.title for c in b.column(s)] for s in b.statuses} == {
        "proposed": ["N"],
        "assigned": ["Q"],
        "running": ["P"],
        "in_review": [],
        "done": ["D"],
    }
    cards = {c.title: c for c in b.cards}
    p = cards["P"]
    assert [r.id for r in p.cruxes] == [1, 2]
    assert (p.n_runs, p.latest_run_id, p.latest_run_status) == (2, waiting, "succeeded")
    assert (p.due_date, p.overdue) == (date(2026, 1, 9), True)
    assert (p.n_notes, p.latest_note) == (2, "Second **take**.")
    assert (cards["Q"].overdue, cards["D"].overdue, cards["N"].overdue) == (False, False, False)
    assert cards["Q"].tags == ["baselines"]
    assert (cards["Q"].latest_run_id, cards["Q"].n_runs) == (None, 0)


@pytest.mark.parametrize(
    ("filters", "titles"),
    [
        (dict(mentor="Mara"), ["P", "Q", "D"]),
        (dict(mentor="nia"), ["N"]),
        (dict(scholar="Theo"), ["P", "D"]),
        (dict(mentor="Mara", scholar="Ivy"), ["Q"]),
        (dict(tag="Baselines"), ["Q"]),
        (dict(tag="nothing"), []),
    ],
)
def test_board_filters(lab, filters, titles):
    store, *_ = lab
    assert [c.title for c in board.board(store, **filters).cards] == titles


def test_board_refuses_unknown_people_and_bad_tags(lab):
    store, *_ = lab
    with pytest.raises(NotFound, match="No person 'Zed'"):
        board.board(store, mentor="Zed")
    with pytest.raises(InvalidInput, match="tag"):
        board.board(store, tag="not a tag")


def test_person_page_lists_projects_runs_and_predictions_awaiting_input(lab):
    store, ids, waiting = lab
    page = board.person_page(store, "Theo", today=TODAY)
    assert [c.title for c in page.projects] == ["P", "D"]
    assert [(r.id, r.status, r.outcome_id) for r in page.runs] == [
        (waiting, "succeeded", None),
        (waiting - 1, "failed", None),
        (1, "succeeded", 1),
    ]
    # P froze at its first run and D is done: only Q's and N's cruxes await Theo.
    assert [(a.project_title, a.crux_id) for a in page.awaiting] == [("Q", 1), ("N", 1)]
    ivy = board.person_page(store, "Ivy", today=TODAY)
    assert ([c.title for c in ivy.projects], ivy.runs) == (["Q"], [])


def test_coverage_lists_the_gaps(lab):
    store, ids, waiting = lab
    gaps = board.coverage(store, today=TODAY)
    assert [c.statement for c in gaps.cruxes_without_project] == ["Nobody works on this."]
    assert [c.title for c in gaps.projects_without_run] == ["Q", "N"]
    # The failed run cannot give an outcome; run 1 has one.
    assert [r.id for r in gaps.runs_without_outcome] == [waiting]
