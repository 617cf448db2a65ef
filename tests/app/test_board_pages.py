"""Board, Scholar and Coverage on the demo: project 1 (in review, run 1 with outcome 1) and
project 2 (assigned to Theo, effort 2 days, due two weeks after seeding, no run)."""

from __future__ import annotations

from datetime import timedelta

from cruxes import projects
from db.util import now


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_board_shows_projects_by_status_and_flags_overdue(demo_store, open_page):
    at = open_page("board", person="Mara")
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert headings == [
        "#### proposed (0)",
        "#### assigned (1)",
        "#### running (0)",
        "#### in review (1)",
        "#### done (0)",
    ]
    table = at.dataframe[0].value
    assert table[["id", "status", "people", "cruxes", "latest run"]].values.tolist() == [
        [1, "in_review", "Mara → Theo", "1", "1 · succeeded"],
        [2, "assigned", "Mara → Theo", "1", ""],
    ]
    assert table["plan"][0] == "" and table["plan"][1].startswith("2 days · due 20")
    assert "OVERDUE" not in table["plan"][1]
    assert table["latest note"].tolist()[1].startswith("(1) Keep the seed of run 1")
    assert not at.warning

    projects.plan_project(demo_store, 2, due_date=now().date() - timedelta(days=1))
    at.run()
    assert at.warning[0].value.startswith("1 overdue: 2 · Does the induction score")
    assert at.dataframe[0].value["plan"].tolist()[1].endswith(" · OVERDUE")
    assert any(m.value.startswith(":red[**Overdue**") for m in at.markdown)


def test_board_filters_by_tag_and_people(demo_store, open_page):
    at = open_page("board", person="Mara")
    at.selectbox(key="board_tag").set_value("sample-efficiency").run()
    assert at.dataframe[0].value["id"].tolist() == [2]
    at.selectbox(key="board_tag").set_value(None)
    at.selectbox(key="board_mentor").set_value("Mara")
    at.selectbox(key="board_scholar").set_value("Theo").run()
    assert at.dataframe[0].value["id"].tolist() == [1, 2]


def test_scholar_page_lists_projects_runs_and_awaiting_predictions(demo_store, open_page):
    at = open_page("scholar", person="Mara")
    assert at.selectbox(key="scholar_person").value == "Theo"
    assert metrics(at) == {
        "Projects": "2",
        "Runs": "1",
        "Predictions awaiting input": "0",
        "Overdue": "0",
    }
    assert "Nothing awaits their prediction." in [c.value for c in at.caption]

    new = projects.add_project(demo_store, "Probe the baselines", crux_ids=[2])
    at.run()
    assert metrics(at)["Predictions awaiting input"] == "1"
    awaiting = at.dataframe[0].value
    assert awaiting["project"].tolist() == [f"{new.id} · Probe the baselines"]
    assert awaiting["crux"].str.startswith("2 · ").tolist() == [True]
    runs = at.dataframe[2].value
    assert runs[["run", "status", "outcome", "tags"]].values.tolist() == [[1, "succeeded", 1, ""]]
    assert runs["latest note"].tolist()[0].startswith("(1) The **layer-1** heads")


def test_coverage_lists_the_gaps(demo_store, open_page):
    at = open_page("coverage", person="Mara")
    assert metrics(at) == {
        "Cruxes with no project": "1",
        "Projects with no run": "1",
        "Succeeded runs with no outcome": "0",
    }
    cruxes, no_run = (d.value for d in at.dataframe)
    assert cruxes["crux"].tolist() == [2]
    assert no_run["id"].tolist() == [2]
    assert "Every succeeded run has an outcome." in [c.value for c in at.caption]
