"""Integration fixtures: a project to run templates for, with the organisms trained."""

import pytest

from cruxes import people, projects


@pytest.fixture
def project(store, trained_organisms):
    """An assigned project (so runs may start) in a fresh store."""
    people.add_person(store, "Ben", "scholar")
    return projects.assign(store, projects.add_project(store, "Template checks").id, "Ben")
