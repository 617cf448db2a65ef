"""The demo's seeding above every page: its progress while it runs, a way on when it stopped."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from app.app_pages import PAGES
from cruxes import demo
from tests.unit.helpers import write_demo_progress

HANG_GUARD_S = 1800  # only against a hung test; slowness alone never fails one


@pytest.mark.parametrize("page", ["dashboard", "cruxes"])
def test_seeding_shows_its_step_and_the_training_progress(home, open_page, page):
    write_demo_progress(home)
    at = open_page(page)
    [status] = at.status
    assert (status.label, status.state) == (
        "Seeding the demo — step 6 of 9: the induction_heads run on organism:induction-2l (31%)",
        "running",
    )
    assert [t.value for t in at.title] == [PAGES[page].title]  # the page is drawn below it
    assert not at.error


def test_nothing_shows_once_the_demo_is_complete_or_was_never_run(home, open_page):
    at = open_page("dashboard")
    assert list(at.status) == []
    write_demo_progress(home, state="complete", step=9, fraction=1.0)
    at = open_page("dashboard")
    assert list(at.status) == []


def test_a_stopped_demo_is_finished_from_the_app(demo_home, open_page, click):
    # The seeding process has ended part-way (killed, or the machine restarted).
    ended = _ended_pid()
    write_demo_progress(demo_home, pid=ended, message="")
    at = open_page("dashboard")
    [status] = at.status
    assert (status.label, status.state) == (
        "The demo stopped at step 6 of 9: the induction_heads run on organism:induction-2l",
        "error",
    )
    click(at, "Finish seeding the demo")
    # A `cruxlab demo` of its own checks every step and makes what is missing (here nothing).
    deadline = time.monotonic() + HANG_GUARD_S
    while demo.read_progress(demo_home).state != "complete":
        assert time.monotonic() < deadline, "the demo did not finish"
        time.sleep(0.5)
    at.run()
    assert list(at.status) == []
    assert "Demo already complete" in (demo_home / "demo.log").read_text()


def _ended_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
