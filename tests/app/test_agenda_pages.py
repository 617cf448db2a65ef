"""Dashboard, Disagreement, Next projects and Calibration on the demo: the numbers they show.

The demo: crux 1, Mara 0.35 → 0.45 and Theo 0.70 → 0.75 after outcome 1 of run 1 (both
predictions positive, with P 0.6 and 0.9); crux 2, Mara 0.25 and Theo 0.40. Project 2
informs crux 1: Mara P 0.5, c₊ 0.55, c₋ 0.35; Theo P 0.8, c₊ 0.80, c₋ 0.55; effort 2 days.
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from cruxes import people, questions
from db.util import now


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_dashboard_shows_positions_moves_and_outcomes(demo_store, open_page, click):
    at = open_page("dashboard", person="Mara")
    assert metrics(at) == {
        "Cruxes": "2",
        "People with credences": "2",
        "Moves listed": "2",
        "Outcomes in period": "1",
    }
    positions, moves, outcomes = (d.value for d in at.dataframe)
    assert positions[["crux", "Mara", "Theo"]].values.tolist() == [[1, 0.45, 0.75], [2, 0.25, 0.4]]
    assert positions["spread"].round(6).tolist() == [0.3, 0.15]
    assert positions["tags"].tolist() == ["attention", "baselines"]
    assert moves[["person", "before", "after", "cause"]].values.tolist() == [
        ["Mara", 0.35, 0.45, "outcome 1 of run 1"],
        ["Theo", 0.70, 0.75, "outcome 1 of run 1"],
    ]
    assert moves["change"].round(6).tolist() == [0.1, 0.05]
    assert outcomes[["outcome", "run", "positive", "applied"]].values.tolist() == [
        [1, "1 · induction_heads", "2 of 2", 2]
    ]
    assert len(at.get("vega_lite_chart")) == 1  # the outcome timeline

    yesterday = now().date() - timedelta(days=1)
    at.date_input(key="dashboard_period").set_value((yesterday - timedelta(days=7), yesterday))
    at.run()
    assert (metrics(at)["Moves listed"], metrics(at)["Outcomes in period"]) == ("0", "0")


def test_add_a_question_and_group_a_crux_under_it(demo_store, open_page, click):
    at = open_page("dashboard", person="Mara")
    at.text_input(key="question_text").input("Will probes be enough?")
    click(at, "Add question")
    [_, question] = questions.list_questions(demo_store)
    questions.set_question(demo_store, 2, question.id)
    at.run()
    assert [s.value for s in at.subheader][:2] == [
        "Is mechanistic interpretability useful?",
        "Will probes be enough?",
    ]
    first, second = (d.value for d in at.dataframe[:2])
    assert (first["crux"].tolist(), second["crux"].tolist()) == ([1], [2])


def test_disagreement_shows_the_project_that_brings_people_closer(demo_store, open_page):
    at = open_page("disagreement", person="Mara")
    assert [m.value for m in at.metric] == ["0.30", "0.45", "0.75", "0.15", "0.25", "0.40"]
    [table] = at.dataframe  # crux 2 has no project
    row = table.value.iloc[0]
    assert row["project"].startswith("2 · Does the induction score")
    # 0.80 vs 0.55 if positive, 0.55 vs 0.35 if negative; P̄ 0.65.
    assert (row["spread if positive"], row["spread if negative"]) == (
        pytest.approx(0.25),
        pytest.approx(0.20),
    )
    assert row["expected reduction"] == pytest.approx(0.30 - (0.65 * 0.25 + 0.35 * 0.20))
    assert row["expected update"] == pytest.approx(0.18)
    assert "No open project's predictions would bring people closer" in at.main.caption[-1].value


def test_next_projects_ranks_by_expected_update_with_effort(demo_store, open_page):
    at = open_page("next_projects", person="Mara")
    table = at.dataframe[0].value
    assert table["project"].str[:1].tolist() == ["2"]
    row = table.iloc[0]
    # Mara 0.5·0.10 + 0.5·0.10; Theo 0.8·0.05 + 0.2·0.20.
    assert row["expected update"] == pytest.approx(0.18)
    assert row["E|Δ| by person"] == "Mara 0.100, Theo 0.080"
    assert (row["effort (days)"], row["hidden predictions"]) == (2.0, 0)
    assert row["expected reduction in disagreement"] == pytest.approx(0.0675)

    at.toggle(key="rank_all").set_value(True).run()
    assert at.dataframe[0].value["project"].str[:1].tolist() == ["2", "1"]


def test_blind_project_hides_predictions_from_someone_who_has_not_predicted(demo_store, open_page):
    people.add_person(demo_store, "Ada", "scholar")
    at = open_page("next_projects", person="Ada")
    row = at.dataframe[0].value.iloc[0]
    assert (row["expected update"], row["hidden predictions"]) == (0.0, 2)
    assert "2 predictions are hidden until you enter yours" in at.info[0].value


def test_calibration_scores_each_person_and_everyone(demo_store, open_page):
    at = open_page("calibration", person="Mara")
    assert metrics(at) == {
        "Resolved predictions": "2",
        "Brier (everyone)": "0.085",  # ((1 − 0.6)² + (1 − 0.9)²) / 2
        "Log score (everyone)": f"{(math.log(0.6) + math.log(0.9)) / 2:.3f}",
    }
    scores, bins, _ = (d.value for d in at.dataframe)
    assert scores["who"].tolist() == ["everyone", "Mara", "Theo"]
    assert scores["Brier"].round(6).tolist() == [0.085, 0.16, 0.01]
    assert bins[["who", "bin", "count", "observed frequency"]].values.tolist() == [
        ["everyone", "0.60–0.70", 1, 1.0],
        ["everyone", "0.90–1.00", 1, 1.0],
        ["Mara", "0.60–0.70", 1, 1.0],
        ["Theo", "0.90–1.00", 1, 1.0],
    ]
    assert len(at.get("vega_lite_chart")) == 1

    at.selectbox(key="calibration_tag").set_value("sample-efficiency").run()
    assert metrics(at)["Resolved predictions"] == "0"
    assert "No prediction has been resolved yet" in at.info[0].value
    at.selectbox(key="calibration_tag").set_value("induction").run()
    assert metrics(at)["Resolved predictions"] == "2"
