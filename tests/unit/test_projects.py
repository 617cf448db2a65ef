"""Project life cycle, assignment and optimistic concurrency."""

import pytest

from cruxes import beliefs, people, projects
from cruxes.errors import Conflict, InvalidInput, StaleWrite
from cruxes.projects import TRANSITIONS, check_transition

STATUSES = list(TRANSITIONS)


@pytest.fixture
def project(store):
    people.add_person(store, "Ana", "mentor")
    people.add_person(store, "Ben", "scholar")
    crux = beliefs.add_crux(store, "SAEs find the features that matter.")
    return projects.add_project(store, "SAE vs probe", crux_ids=[crux.id], mentor="Ana")


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("new", STATUSES)
def test_transition_table(current, new):
    allowed = {
        ("proposed", "assigned"),
        ("assigned", "assigned"),
        ("assigned", "running"),
        ("running", "in_review"),
        ("in_review", "running"),
        ("in_review", "done"),
    }
    if (current, new) in allowed:
        check_transition(current, new)
    else:
        with pytest.raises(Conflict, match=f"cannot move to {new}"):
            check_transition(current, new)


def test_unknown_status_is_refused():
    with pytest.raises(InvalidInput, match="Unknown status 'finished'"):
        check_transition("running", "finished")


def test_new_project_is_proposed_with_links_and_mentor(project):
    assert (project.status, project.crux_ids, project.mentor_name) == ("proposed", [1], "Ana")


def test_assign_to_a_scholar_only(store, project):
    with pytest.raises(InvalidInput, match="assigned to scholars"):
        projects.assign(store, project.id, "Ana")
    assigned = projects.assign(store, project.id, "Ben")
    assert (assigned.status, assigned.assignee_name) == ("assigned", "Ben")


def test_mentor_must_be_a_mentor(store, project):
    with pytest.raises(InvalidInput, match="not a mentor"):
        projects.add_project(store, "Other", mentor="Ben")


def test_invalid_manual_transition_changes_nothing(store, project):
    with pytest.raises(Conflict):
        projects.set_status(store, project.id, "done")
    assert projects.get_project(store, project.id).status == "proposed"


def test_stale_write_is_refused(store, project):
    projects.assign(store, project.id, "Ben")  # version 1 → 2
    with pytest.raises(StaleWrite, match="changed by someone else"):
        projects.set_status(store, project.id, "running", expected_version=1)
    assert projects.get_project(store, project.id).status == "assigned"


def test_runs_need_an_assigned_project(store, project):
    with pytest.raises(Conflict, match="assign it to a scholar first"), store.transaction() as cur:
        projects.freeze_for_run(cur, project.id)
    assert projects.get_project(store, project.id).predictions_frozen_at is None
