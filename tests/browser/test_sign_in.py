"""Team mode in a real browser: sign in through a real OIDC provider, then act only as yourself."""

import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from cruxes import api, beliefs
from cruxes.errors import NotAllowed
from tests.browser.conftest import HANG_GUARD_S, THEO_EMAIL


def sign_in(page, url: str, email: str) -> None:
    """Streamlit's st.login → the provider's login and consent forms → back in the app."""
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/interaction/.*"))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill("any password: the dev login form takes any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # consent to the app's scopes


def open_options(page, combobox):
    """A selectbox's open list. A click that lands while Streamlit redraws the form is lost
    (the list never opens: CI once waited 600 s on it), so it is clicked again until the
    list shows; only the hang guard ends the tries."""
    options = page.get_by_role("option")
    give_up = time.monotonic() + HANG_GUARD_S
    while True:
        combobox.click()
        try:
            options.first.wait_for(timeout=5_000)
            return options
        except PlaywrightTimeout:
            if time.monotonic() > give_up:
                raise
            page.keyboard.press("Escape")


def history(person: str) -> list:
    """Crux 1's history, asked of the app's server (it owns the database) as ``person``."""
    with api.acting(person):
        return api.call(beliefs.get_crux, 1).history


def test_a_scholar_signs_in_and_acts_only_as_themselves(page, team_app_url):
    sign_in(page, team_app_url, THEO_EMAIL)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Signed in as Theo (scholar)")).to_be_visible()
    expect(page.get_by_text("Who you are")).to_have_count(0)  # no identity picker

    page.get_by_role("link", name=re.compile("Cruxes")).click()
    expect(page.get_by_role("heading", name="Cruxes", exact=True)).to_be_visible()
    form = page.get_by_test_id("stForm").filter(has_text="Add your credence")
    expect(open_options(page, form.get_by_role("combobox"))).to_have_text(["Theo"])  # only him
    page.keyboard.press("Escape")

    before = len(history("Theo"))
    page.get_by_role("textbox", name="Credence", exact=True).fill("0.6")
    page.get_by_role("button", name="Record credence").click()
    expect(page.get_by_text("Recorded Theo's credence 0.60 in crux 1")).to_be_visible()
    last = history("Theo")[-1]
    assert (last.person_name, last.entered_by_name, last.value) == ("Theo", "Theo", 0.6)

    # A write for Mara sent as Theo, as `cruxlab --as Theo` would, reaches the app's server
    # and is refused there, by the domain; nothing changes.
    with api.acting("Theo"), pytest.raises(NotAllowed, match="Theo is a scholar .* not as Mara"):
        api.call(beliefs.add_credence, 1, "Mara", 0.9)
    assert len(history("Theo")) == before + 1
