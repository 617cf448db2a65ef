"""People, cruxes and the append-only credence log."""

import pytest

from cruxes import beliefs, people
from cruxes.errors import Conflict, InvalidInput, NotFound, StaleWrite


@pytest.fixture
def crux(store):
    people.add_person(store, "Ana", "mentor")
    people.add_person(store, "Ben", "scholar")
    return beliefs.add_crux(store, "Probes find planted backdoors.")


def test_people_have_unique_names_and_a_role(store):
    ana = people.add_person(store, "Ana", "mentor")
    assert (ana.name, ana.role) == ("Ana", "mentor")
    with pytest.raises(Conflict, match="already exists"):
        people.add_person(store, "ana", "scholar")
    with pytest.raises(InvalidInput, match="role"):
        people.add_person(store, "Cy", "boss")
    with pytest.raises(InvalidInput, match="name"):
        people.add_person(store, "   ", "scholar")
    assert [p.name for p in people.list_people(store)] == ["Ana"]


@pytest.mark.parametrize("value", [1.7, -0.1, float("nan"), "nan", "abc", "", None, True, "inf"])
def test_bad_credence_is_refused_and_nothing_written(store, crux, value):
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        beliefs.add_credence(store, crux.id, "Ana", value)
    assert beliefs.get_crux(store, crux.id).history == []


@pytest.mark.parametrize(("value", "stored"), [("0.3", 0.3), ("30%", 0.3), (0, 0.0), (1, 1.0)])
def test_credence_accepts_probabilities(store, crux, value, stored):
    c = beliefs.add_credence(store, crux.id, "Ana", value, reason="gut")
    assert (c.value, c.source, c.reason, c.person_name) == (stored, "manual", "gut", "Ana")


def test_current_credence_is_the_latest_row_and_history_keeps_all(store, crux):
    beliefs.add_credence(store, crux.id, "Ana", 0.2)
    beliefs.add_credence(store, crux.id, "Ben", 0.7)
    beliefs.add_credence(store, crux.id, "Ana", 0.35, reason="read the paper")
    detail = beliefs.get_crux(store, crux.id)
    assert detail.current == {"Ana": 0.35, "Ben": 0.7}
    assert [(h.person_name, h.value) for h in detail.history] == [
        ("Ana", 0.2),
        ("Ben", 0.7),
        ("Ana", 0.35),
    ]
    assert detail.history[-1].cause == "read the paper"


def test_unknown_crux_or_person_is_refused(store, crux):
    with pytest.raises(NotFound, match="No crux 99"):
        beliefs.add_credence(store, 99, "Ana", 0.5)
    with pytest.raises(NotFound, match="No person 'Zed'"):
        beliefs.add_credence(store, crux.id, "Zed", 0.5)


def test_person_can_be_named_by_id(store, crux):
    ben = people.get_person(store, "Ben")
    assert beliefs.add_credence(store, crux.id, str(ben.id), 0.4).person_name == "Ben"


def test_stale_crux_edit_is_refused(store, crux):
    edited = beliefs.edit_crux(store, crux.id, "Probes find most planted backdoors.", 1)
    assert edited.version == 2
    with pytest.raises(StaleWrite, match="changed by someone else"):
        beliefs.edit_crux(store, crux.id, "A stale rewording.", 1)
    assert beliefs.get_crux(store, crux.id).crux.statement == "Probes find most planted backdoors."
