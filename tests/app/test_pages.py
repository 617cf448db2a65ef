"""Every page renders, on an empty home and on the demo, without an exception or an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.app_pages import PAGES
from cruxes import people
from cruxes.workspace import open_store
from tests.bench.generate import generate

TITLES = {name: spec.title for name, spec in PAGES.items()}


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_on_an_empty_home(home, open_page, page):
    at = open_page(page)
    assert [t.value for t in at.title] == [TITLES[page]]
    assert not at.error


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [h.value for h in at.header] + [h.value for h in at.subheader]
    return "\n".join(parts)


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_the_demo(demo_home, open_page, page):
    at = open_page(page, person="Mara")
    assert [t.value for t in at.title] == [TITLES[page]]
    assert not at.error
    text = _texts(at)
    if page == "dialogues":
        assert at.selectbox(key="dialogue").value == 1
        [transcript] = at.get("html")
        assert "<b>Mara:</b>" in transcript.proto.body and "<b>Theo:</b>" in transcript.proto.body
        assert transcript.proto.body.count('<mark class="accepted"') == 2
    elif page == "cruxes":
        assert {m.label: m.value for m in at.metric} == {"Mara": "0.45", "Theo": "0.75"}
        [chart] = at.get("vega_lite_chart")
        assert "step-after" in chart.proto.spec
    elif page == "projects":
        assert at.selectbox(key="project").value == 1
        assert {m.label: m.value for m in at.metric}["Assignee"] == "Theo"
        assert "froze" in at.info[0].value
    elif page == "runs":
        assert at.selectbox(key="run").value == 1
        assert [i.proto.imgs[0].caption for i in at.image] == ["head_scores.png"]
        assert "max_induction_score" in {m.label for m in at.metric}
    elif page == "outcomes":
        assert "Outcome 1 · project 1 · run 1" in text
        assert "All updates applied." in text


def test_add_a_person_in_the_sidebar_and_become_them(home, store, open_page, click):
    at = open_page("cruxes")
    at.text_input(key="new_person_name").input("Ada")
    at.selectbox(key="new_person_role").set_value("mentor")
    click(at, "Add person")
    assert [(p.name, p.role) for p in people.list_people(store)] == [("Ada", "mentor")]
    assert at.selectbox(key="person").value == "Ada"
    assert at.success[0].value == "Added mentor Ada."

    at.text_input(key="new_person_name").input("ada")
    click(at, "Add person")
    assert at.error[0].value == "A person named 'ada' already exists."
    assert len(people.list_people(store)) == 1


@pytest.fixture(scope="module")
def generated_template(tmp_path_factory) -> Path:
    """A home filled by the benchmark generator at a tenth of its size, once per module."""
    path = tmp_path_factory.mktemp("generated") / "home"
    generate(open_store(path), scale=0.1)
    return path


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_a_generated_data_set(generated_template, home, open_page, page):
    shutil.copytree(generated_template, home)
    at = open_page(page, person="Person 3")
    assert [t.value for t in at.title] == [TITLES[page]]
    assert not at.error
