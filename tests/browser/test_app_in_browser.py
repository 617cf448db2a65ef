"""The app as a person uses it: served by streamlit, clicked in Chromium."""

import re

from playwright.sync_api import expect

from cruxes import beliefs
from cruxes.api import call


def open_cruxes(page, app_url):
    page.goto(app_url)
    expect(page.get_by_text("Who you are")).to_be_visible()
    page.get_by_role("link", name=re.compile("Cruxes")).click()
    expect(page.get_by_role("heading", name="Cruxes", exact=True)).to_be_visible()


def test_pages_render_with_the_demo(page, app_url):
    page.goto(app_url)
    for title in ("Cruxes", "Projects", "Runs", "Outcomes", "Dialogues"):
        page.get_by_role("link", name=re.compile(title)).click()
        expect(page.get_by_role("heading", name=title, exact=True, level=1)).to_be_visible()
        expect(page.get_by_text("Traceback")).to_have_count(0)
    page.get_by_role("link", name=re.compile("Runs")).click()
    expect(page.get_by_text("max_induction_score").filter(visible=True).first).to_be_visible()


def test_record_a_credence_and_refuse_a_bad_one(page, app_url, demo_home):
    open_cruxes(page, app_url)
    # The app's server owns the database now: this process asks it, as a CLI command would.
    before = len(call(beliefs.get_crux, 1).history)

    page.get_by_role("textbox", name="Credence", exact=True).fill("1.7")
    page.get_by_role("button", name="Record credence").click()
    expect(page.get_by_text("between 0 and 1")).to_be_visible()
    assert len(call(beliefs.get_crux, 1).history) == before

    page.get_by_role("textbox", name="Credence", exact=True).fill("0.55")
    page.get_by_role("textbox", name="Reason (optional)").fill("seen in the browser")
    page.get_by_role("button", name="Record credence").click()
    expect(page.get_by_text("credence 0.55 in crux 1")).to_be_visible()
    last = call(beliefs.get_crux, 1).history[-1]
    assert (last.person_name, last.value, last.reason) == ("Mara", 0.55, "seen in the browser")
