"""Team mode in the app: sign-in first, the signed-in person is who you are, no one else."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cruxes import beliefs, people, questions
from tests.app.conftest import ENTRY, TIMEOUT_S

AUTH = {  # the provider is never contacted: AppTest stands in for a signed-in browser
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "app-test-cookie-secret",
    "client_id": "cruxlab",
    "client_secret": "app-test-client-secret",
    "server_metadata_url": "http://localhost:9/.well-known/openid-configuration",
}


@pytest.fixture
def team_home(demo_home, demo_store):
    """The demo home in team mode, Theo and Mara with sign-in emails."""
    people.set_email(demo_store, "Theo", "theo@lab.example")
    people.set_email(demo_store, "Mara", "mara@lab.example")
    (demo_home / "settings.toml").write_text("[team]\nenabled = true\n")
    return demo_home


@pytest.fixture
def signed_in():
    """The app as seen by a browser signed in with ``email`` (None: not signed in)."""
    st.cache_resource.clear()

    def _open(email: str | None, page: str | None = None) -> AppTest:
        at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT_S)
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": email} if email else {"is_logged_in": False}
        at.run()
        if page is not None:
            at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, at.exception
        return at

    yield _open
    st.cache_resource.clear()


def test_signed_out_sees_only_the_sign_in_button(team_home, signed_in):
    at = signed_in(None)
    assert [b.label for b in at.button] == ["Sign in"]
    assert "shared by a team" in at.markdown[0].value
    assert not at.sidebar.selectbox


def test_an_unknown_email_is_told_who_can_add_them(team_home, signed_in):
    at = signed_in("newcomer@lab.example")
    assert at.title[0].value == "You are not on this team yet"
    text = " ".join(m.value for m in at.markdown)
    assert "newcomer@lab\\.example" in text
    assert "Ask a mentor to add you: Mara." in text
    assert "--role scholar --email newcomer@lab.example" in at.code[0].value
    assert [b.label for b in at.button] == ["Sign out"]


def test_the_signed_in_scholar_is_who_you_are(team_home, signed_in):
    at = signed_in("THEO@lab.example", page="cruxes")  # emails match case-insensitively
    assert "Signed in as **Theo** (scholar)" in [m.value for m in at.sidebar.markdown]
    assert not at.sidebar.selectbox  # no "who you are" picker
    assert not at.sidebar.expander  # scholars add nobody
    assert at.selectbox(key="credence_person").options == ["Theo"]


def test_a_forged_who_you_are_is_replaced_by_the_sign_in(team_home, demo_store, signed_in, click):
    at = signed_in("theo@lab.example", page="cruxes")
    at.session_state["person"] = "Mara"  # as if the session said "who you are: Mara"
    at.text_input(key="credence_value").input("0.9")
    click(at, "Record credence")
    last = beliefs.get_crux(demo_store, 1).history[-1]
    assert (last.person_name, last.entered_by_name, last.value) == ("Theo", "Theo", 0.9)


def test_a_scholar_refused_by_the_domain_sees_one_sentence(team_home, demo_store, signed_in, click):
    at = signed_in("theo@lab.example", page="dashboard")
    at.text_input(key="question_text").input("Do SAEs find real features?")
    click(at, "Add question")
    assert [e.value for e in at.error] == [
        "Theo is a scholar; only mentors may add, reword and group cruxes and questions."
    ]
    assert len(questions.list_questions(demo_store)) == 1


def test_a_mentor_records_for_anyone_and_is_recorded_as_entering_it(
    team_home, demo_store, signed_in, click
):
    at = signed_in("mara@lab.example", page="cruxes")
    assert at.selectbox(key="credence_person").options == ["Mara", "Theo"]
    at.selectbox(key="credence_person").set_value("Theo")
    at.text_input(key="credence_value").input("0.65")
    click(at, "Record credence")
    last = beliefs.get_crux(demo_store, 1).history[-1]
    assert (last.person_name, last.entered_by_name, last.value) == ("Theo", "Mara", 0.65)
