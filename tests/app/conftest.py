"""AppTest fixtures: the real entry script on a real home, one page at a time."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cruxes import owner

ENTRY = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
TIMEOUT_S = 60


@pytest.fixture
def open_page():
    """Open the app on a page (as a person) through the entry script, with a fresh store cache."""
    st.cache_resource.clear()

    def _open(page: str, person: str | None = None) -> AppTest:
        at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT_S).run()
        assert not at.exception, at.exception
        if person is not None:
            at.selectbox(key="person").set_value(person).run()
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, at.exception
        return at

    yield _open
    st.cache_resource.clear()
    owner.stop_all()  # the app's server owned the test's home


@pytest.fixture
def click():
    """Click the (form submit) button with this label and rerun the app."""

    def _click(at: AppTest, label: str) -> AppTest:
        matches = [b for b in at.button if b.label == label]
        assert len(matches) == 1, f"{len(matches)} buttons labelled {label!r}"
        matches[0].click().run()
        assert not at.exception, at.exception
        return at

    return _click
