"""The benchmark generator keeps the domain's rules, and every view reads its output."""

import pytest

from cruxes import beliefs, board, dashboard, exchange, outcomes, scoring
from cruxes.models import PROJECT_STATUSES
from db import exchange as exchange_table
from db.migrations import MIGRATIONS
from tests.bench.generate import generate


@pytest.fixture
def generated(store):
    counts = generate(store, scale=0.1)
    return store, counts


def test_generated_rows_keep_the_rules(generated):
    store, counts = generated
    assert (counts["cruxes"], counts["projects"], counts["people"]) == (30, 60, 12)
    # Generated rows are written directly, not through the domain: no activity log.
    empty = {t: 0 for t in ("activity", "candidates", "dialogue_speakers", "dialogues", "turns")}
    with store.cursor() as cur:
        assert exchange_table.row_counts(cur) == {
            "schema_migrations": len(MIGRATIONS),
            **counts,
            **empty,
        }
    for o in outcomes.list_outcomes(store):
        assert o.evaluations and all(e.metric == "max_induction_score" for e in o.evaluations)
    # Sequences continue after the generated ids.
    assert beliefs.add_crux(store, "One more.").id == counts["cruxes"] + 1


def test_every_view_reads_the_generated_set(generated):
    store, counts = generated
    cards = board.board(store).cards
    assert len(cards) == counts["projects"]
    assert sum(c.n_runs for c in cards) == counts["runs"]
    assert len(dashboard.next_projects(store, statuses=PROJECT_STATUSES)) == counts["projects"]
    assert scoring.calibration(store).overall.n == counts["outcome_evaluations"]
    assert len(dashboard.agenda(store, limit=5).moves) == 5
    assert dashboard.disagreement(store, viewer="Person 3")
    assert board.person_page(store, "Person 3").person.name == "Person 3"
    assert board.coverage(store).projects_without_run
    assert exchange.report(store).count("### Crux ") == counts["cruxes"]
