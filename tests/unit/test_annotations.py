"""Tags, notes, questions and project plans: append-only or versioned, bad input refused."""

from datetime import date

import pytest

from cruxes import annotations, beliefs, people, projects, questions
from cruxes.errors import Conflict, InvalidInput, NotFound, StaleWrite
from db import annotations as annotations_table
from tests.unit.helpers import finished_run


@pytest.fixture
def crux(store):
    people.add_person(store, "Ana", "mentor")
    return beliefs.add_crux(store, "A claim.")


def tag_events(store) -> list[tuple]:
    with store.cursor() as cur:
        rows = cur.all("SELECT kind, entity_id, tag, added FROM tag_events ORDER BY id")
    return [tuple(r.values()) for r in rows]


def test_tags_are_an_append_only_log(store, crux):
    assert annotations.add_tag(store, "crux", crux.id, " Attention ") == ["attention"]
    assert annotations.add_tag(store, "crux", crux.id, "attention") == ["attention"]  # no-op
    assert annotations.add_tag(store, "crux", crux.id, "circuits") == ["attention", "circuits"]
    assert annotations.remove_tag(store, "crux", crux.id, "attention") == ["circuits"]
    assert annotations.add_tag(store, "crux", crux.id, "attention") == ["attention", "circuits"]
    assert tag_events(store) == [
        ("crux", 1, "attention", True),
        ("crux", 1, "circuits", True),
        ("crux", 1, "attention", False),
        ("crux", 1, "attention", True),
    ]
    assert annotations.all_tags(store) == ["attention", "circuits"]
    with store.cursor() as cur:
        assert annotations_table.tag_lists(cur, "crux") == {1: ["attention", "circuits"]}


@pytest.mark.parametrize(
    ("kind", "entity_id", "tag", "error", "message"),
    [
        ("crux", 1, "two words", InvalidInput, "tag"),
        ("crux", 1, "", InvalidInput, "tag"),
        ("crux", 1, "x" * 41, InvalidInput, "tag"),
        ("dialogue", 1, "ok", InvalidInput, "Unknown kind 'dialogue'"),
        ("crux", 9, "ok", NotFound, "No crux 9"),
        ("project", 9, "ok", NotFound, "No project 9"),
        ("run", 9, "ok", NotFound, "No run 9"),
    ],
)
def test_bad_tags_are_refused_and_nothing_is_written(
    store, crux, kind, entity_id, tag, error, message
):
    with pytest.raises(error, match=message):
        annotations.add_tag(store, kind, entity_id, tag)
    assert tag_events(store) == []


def test_removing_a_tag_that_is_not_there_is_refused(store, crux):
    with pytest.raises(Conflict, match="has no tag 'x'"):
        annotations.remove_tag(store, "crux", crux.id, "x")


def test_notes_are_appended_and_never_edited(store, crux):
    project = projects.add_project(store, "P", crux_ids=[crux.id])
    first = annotations.add_note(store, "project", project.id, "  # Plan\n\n*Start small.*  ")
    second = annotations.add_note(
        store, "project", project.id, "Correction: start tiny.", person="ana"
    )
    notes = annotations.list_notes(store, "project", project.id)
    assert [(n.id, n.body, n.person_name) for n in notes] == [
        (first.id, "# Plan\n\n*Start small.*", None),
        (second.id, "Correction: start tiny.", "Ana"),
    ]
    with pytest.raises(InvalidInput, match="note"):
        annotations.add_note(store, "project", project.id, "   ")
    with pytest.raises(InvalidInput, match="Unknown kind 'crux'"):
        annotations.add_note(store, "crux", crux.id, "Notes go on projects and runs.")
    assert len(annotations.list_notes(store, "project", project.id)) == 2


def test_questions_group_cruxes_with_a_version_check(store, crux):
    assert [q.text for q in questions.list_questions(store)] == [
        "Is mechanistic interpretability useful?"
    ]
    q = questions.add_question(store, "Do SAEs find real features?")
    with pytest.raises(Conflict, match="already exists"):
        questions.add_question(store, "do saes find real features?")
    with pytest.raises(Conflict, match="already exists"):
        questions.add_question(store, "Is mechanistic interpretability useful?")
    moved = questions.set_question(store, crux.id, q.id, expected_version=crux.version)
    assert (moved.question_id, moved.version) == (q.id, 2)
    with pytest.raises(StaleWrite, match="changed by someone else"):
        questions.set_question(store, crux.id, None, expected_version=crux.version)
    with pytest.raises(NotFound, match="No question 7"):
        questions.set_question(store, crux.id, 7)
    assert beliefs.get_crux(store, crux.id).crux.question_id == q.id


def test_project_plan_is_versioned_and_validated(store, crux):
    project = projects.add_project(store, "P", crux_ids=[crux.id], effort_days="1.5")
    assert (project.effort_days, project.due_date, project.blind_predictions) == (1.5, None, False)
    planned = projects.plan_project(
        store, project.id, due_date="2026-03-01", blind_predictions=True, expected_version=1
    )
    assert (planned.effort_days, planned.due_date, planned.blind_predictions) == (
        1.5,
        date(2026, 3, 1),
        True,
    )
    with pytest.raises(StaleWrite):
        projects.plan_project(store, project.id, effort_days=3, expected_version=1)
    cleared = projects.plan_project(store, project.id, effort_days=None)
    assert (cleared.effort_days, cleared.due_date) == (None, date(2026, 3, 1))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("effort_days", -1, "effort days input should be greater than 0"),
        ("effort_days", "a week", "effort days"),
        ("effort_days", float("inf"), "effort days"),
        ("due_date", "next tuesday", "due date"),
    ],
)
def test_a_bad_plan_is_refused_and_nothing_changes(store, crux, field, value, message):
    project = projects.add_project(store, "P", crux_ids=[crux.id], effort_days=2)
    with pytest.raises(InvalidInput, match=message):
        projects.plan_project(store, project.id, **{field: value})
    with pytest.raises(InvalidInput, match=message):
        projects.add_project(store, "Q", **{field: value})
    assert projects.get_project(store, project.id) == project
    assert len(projects.list_projects(store)) == 1


def test_run_tags_and_notes(store, crux):
    project = projects.add_project(store, "P", crux_ids=[crux.id])
    people.add_person(store, "Ben", "scholar")
    projects.assign(store, project.id, "Ben")
    run_id = finished_run(store, project.id, {"max_induction_score": 0.9})
    assert annotations.add_tag(store, "run", run_id, "organism") == ["organism"]
    note = annotations.add_note(store, "run", run_id, "Clean heatmap.", person="Ben")
    assert [n.body for n in annotations.list_notes(store, "run", run_id)] == [note.body]
