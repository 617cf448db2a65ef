"""The demo's seeding, shown above every page while ``cruxlab demo`` works (a helper, not a page).

``make run`` starts the app at once and seeds the demo in the background; this
box shows that process's progress (the organism's training steps and loss on
first use) and redraws the page when it is done. A demo that stopped part-way
can be finished from here.
"""

import streamlit as st

from app.app_pages import common
from cruxes import demo, workspace
from cruxes.models import DemoProgress

REFRESH_S = 2


def show() -> None:
    """Nothing once the demo is complete (or never started); else its progress or why it stopped."""
    progress = demo.read_progress(_home())
    if progress is None or progress.state == "complete":
        return
    if progress.state == "seeding" and progress.alive:
        st.fragment(_live, run_every=REFRESH_S)()
    else:
        _stopped(progress)


def _live() -> None:
    progress = demo.read_progress(_home())
    if progress is None or progress.state != "seeding" or not progress.alive:
        st.rerun()  # finished or stopped: redraw the whole page with what it made
    # Not a `with` block: leaving one would mark the box complete.
    box = st.status(_title(progress), state="running", expanded=True)
    box.progress(progress.fraction, text=progress.message or progress.label)
    box.caption(
        "Pages fill in as the steps finish. The first demo trains a small model organism "
        f"(cached afterwards). Output: {demo.log_file(_home())}"
    )


def _stopped(progress: DemoProgress) -> None:
    with st.status(
        f"The demo stopped at step {progress.step} of {progress.steps}: {progress.label}",
        state="error",
        expanded=True,
    ):
        if progress.error:
            st.error(progress.error, icon=":material/warning:")
        st.caption(
            "Finishing it makes only what is missing. (`cruxlab demo` does the same; "
            f"output of the last attempt: {demo.log_file(_home())})"
        )
        if st.button("Finish seeding the demo", key="finish_demo"):
            with common.errors():
                demo.start_in_background(_home())
                st.rerun()


def _title(p: DemoProgress) -> str:
    return f"Seeding the demo — step {p.step} of {p.steps}: {p.label} ({p.fraction:.0%})"


def _home():
    return workspace.home_of(common.get_store())
