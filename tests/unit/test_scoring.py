"""Expected update, spread, Brier and log scores, calibration bins: against hand-computed values."""

import math

import pytest

from cruxes import beliefs, outcomes, people, predictions, projects, scoring
from cruxes.annotations import add_tag
from cruxes.errors import InvalidInput
from tests.unit.helpers import finished_run


@pytest.mark.parametrize(
    ("p", "c_pos", "c_neg", "c", "expected"),
    [
        (0.5, 0.6, 0.2, 0.4, 0.2),  # 0.5·0.2 + 0.5·0.2
        (0.8, 0.75, 0.5, 0.7, 0.08),  # 0.8·0.05 + 0.2·0.2
        (0.9, 0.75, 0.25, 0.7, 0.09),  # 0.9·0.05 + 0.1·0.45
        (1.0, 0.9, 0.1, 0.5, 0.4),  # certain of a positive result
        (0.3, 0.5, 0.5, 0.5, 0.0),  # the result cannot move them
    ],
)
def test_expected_update(p, c_pos, c_neg, c, expected):
    assert scoring.expected_update(p, c_pos, c_neg, c) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("values", "expected"), [([0.3, 0.7], 0.4), ([0.2, 0.9, 0.5], 0.7), ([0.4], None), ([], None)]
)
def test_spread(values, expected):
    assert scoring.spread(values) == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("forecasts", "brier", "log"),
    [
        ([(0.6, True), (0.9, True)], (0.16 + 0.01) / 2, (math.log(0.6) + math.log(0.9)) / 2),
        ([(0.2, False), (0.7, False)], (0.04 + 0.49) / 2, (math.log(0.8) + math.log(0.3)) / 2),
        ([(0.5, True)], 0.25, math.log(0.5)),
        ([(1.0, False)], 1.0, math.log(0.001)),  # a certain miss is clipped, not -inf
        ([(0.0, False)], 0.0, math.log(0.999)),
        ([], None, None),
    ],
)
def test_brier_and_log_score(forecasts, brier, log):
    assert scoring.brier(forecasts) == (None if brier is None else pytest.approx(brier))
    assert scoring.log_score(forecasts) == (None if log is None else pytest.approx(log))


def test_calibration_bins_count_mean_and_observed_frequency():
    forecasts = [
        (0.05, False),
        (0.15, True),
        (0.12, False),
        (0.7, True),
        (0.75, False),
        (1.0, True),
    ]
    bins = scoring.calibration_bins(forecasts, 5)
    assert [(b.lower, b.upper, b.count) for b in bins] == [
        (0.0, 0.2, 3),
        (0.2, 0.4, 0),
        (0.4, 0.6, 0),
        (0.6, 0.8, 2),
        (0.8, 1.0, 1),  # the last bin includes 1
    ]
    assert bins[0].mean_predicted == pytest.approx((0.05 + 0.15 + 0.12) / 3)
    assert bins[0].observed == pytest.approx(1 / 3)
    assert (bins[1].mean_predicted, bins[1].observed) == (None, None)
    assert (bins[3].mean_predicted, bins[3].observed) == (pytest.approx(0.725), 0.5)
    assert (bins[4].mean_predicted, bins[4].observed) == (1.0, 1.0)


@pytest.mark.parametrize(("p", "index"), [(0.0, 0), (0.7, 7), (0.6, 6), (0.29, 2), (0.999, 9)])
def test_a_probability_falls_in_its_bin_despite_rounding(p, index):
    bins = scoring.calibration_bins([(p, True)], 10)
    assert [i for i, b in enumerate(bins) if b.count] == [index]


def test_spread_over_time_follows_each_change(store):
    people.add_person(store, "Ana", "mentor")
    people.add_person(store, "Ben", "scholar")
    crux = beliefs.add_crux(store, "A claim.")
    for person, value in (("Ana", 0.3), ("Ben", 0.7), ("Ana", 0.4), ("Ben", 0.4)):
        beliefs.add_credence(store, crux.id, person, value)
    spreads = [s.spread for s in beliefs.get_crux(store, crux.id).spread]
    assert spreads == [None, pytest.approx(0.4), pytest.approx(0.3), pytest.approx(0.0)]


@pytest.fixture
def resolved(store):
    """Two projects, each resolved by one run: project 1 positive, project 2 negative."""
    people.add_person(store, "Ana", "mentor")
    people.add_person(store, "Ben", "scholar")
    first = beliefs.add_crux(store, "Attention scores find induction heads.")
    second = beliefs.add_crux(store, "Probes beat circuits.")
    runs = {}
    for crux, metric_value, forecasts in (
        (first, 0.9, {"Ana": 0.6, "Ben": 0.9}),
        (second, 0.1, {"Ana": 0.2, "Ben": 0.7}),
    ):
        project = projects.add_project(store, f"Test {crux.id}", crux_ids=[crux.id])
        projects.assign(store, project.id, "Ben")
        for person, p in forecasts.items():
            predictions.add_prediction(
                store,
                project.id,
                crux.id,
                person,
                metric="max_induction_score",
                op=">",
                threshold=0.5,
                p_positive=p,
                if_positive=0.5,
                if_negative=0.5,
            )
        runs[crux.id] = finished_run(store, project.id, {"max_induction_score": metric_value})
        outcomes.record_outcome(store, project.id, runs[crux.id])
    return store, first, second, runs


def test_calibration_per_person_and_overall(resolved):
    store, *_ = resolved
    result = scoring.calibration(store)
    overall = result.overall
    # (0.6, 1), (0.9, 1), (0.2, 0), (0.7, 0)
    assert overall.n == 4
    assert overall.brier == pytest.approx((0.16 + 0.01 + 0.04 + 0.49) / 4)
    assert overall.log_score == pytest.approx(math.log(0.6))  # 0.6·0.9·0.8·0.3 = 0.6⁴
    assert [(b.lower, b.count, b.observed) for b in overall.bins if b.count] == [
        (0.2, 1, 0.0),
        (0.6, 1, 1.0),
        (0.7, 1, 0.0),
        (0.9, 1, 1.0),
    ]
    [ana, ben] = result.people
    assert (ana.person_name, ana.n, ana.brier) == ("Ana", 2, pytest.approx(0.10))
    assert ana.log_score == pytest.approx(math.log(0.48) / 2)
    assert (ben.person_name, ben.n, ben.brier) == ("Ben", 2, pytest.approx(0.25))
    assert ben.log_score == pytest.approx(math.log(0.27) / 2)


@pytest.mark.parametrize("kind", ["crux", "project", "run"])
def test_calibration_filtered_by_a_tag_on_crux_project_or_run(resolved, kind):
    store, first, _, runs = resolved
    ids = {"crux": first.id, "project": 1, "run": runs[first.id]}
    add_tag(store, kind, ids[kind], "Attention")
    result = scoring.calibration(store, tag="attention")
    assert result.tag == "attention"
    assert [(r.person_name, r.p_positive) for r in result.resolved] == [("Ana", 0.6), ("Ben", 0.9)]
    assert result.overall.brier == pytest.approx(0.085)
    assert scoring.calibration(store, tag="unused").overall.n == 0


def test_calibration_refuses_bad_bins_and_tags(resolved):
    store, *_ = resolved
    with pytest.raises(InvalidInput, match="at least 1"):
        scoring.calibration(store, bins=0)
    with pytest.raises(InvalidInput, match="tag"):
        scoring.calibration(store, tag="two words")
