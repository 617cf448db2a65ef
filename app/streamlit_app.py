"""cruxlab's app: ``streamlit run app/streamlit_app.py``.

This script only opens the store, draws the sidebar and builds the navigation;
each page lives in ``app/app_pages/`` (beside the helpers ``common``, ``charts``
and ``tables``).
"""

import streamlit as st

from app.app_pages import common

st.set_page_config(page_title="cruxlab", page_icon="🧭", layout="wide")

store_ready = False
with common.errors():
    common.get_store()
    store_ready = True
if not store_ready:  # e.g. the database is busy: the error above says what to do
    st.stop()

common.sidebar()

navigation = st.navigation(
    {
        "Where we stand": [
            st.Page("app_pages/dashboard.py", title="Dashboard", icon="🧭", default=True),
            st.Page("app_pages/disagreement.py", title="Disagreement", icon="⚖️"),
            st.Page("app_pages/calibration.py", title="Calibration", icon="🎚️"),
        ],
        "What to run next": [
            st.Page("app_pages/priorities.py", title="Next projects", icon="📊"),
            st.Page("app_pages/board.py", title="Board", icon="🗂️"),
            st.Page("app_pages/scholar.py", title="Scholar", icon="🎓"),
            st.Page("app_pages/coverage.py", title="Coverage", icon="🕳️"),
        ],
        "The loop": [
            st.Page("app_pages/dialogues.py", title="Dialogues", icon="💬"),
            st.Page("app_pages/cruxes.py", title="Cruxes", icon="🎯"),
            st.Page("app_pages/projects.py", title="Projects", icon="🧪"),
            st.Page("app_pages/runs.py", title="Runs", icon="⚙️"),
            st.Page("app_pages/outcomes.py", title="Outcomes", icon="📈"),
        ],
    }
)
navigation.run()
