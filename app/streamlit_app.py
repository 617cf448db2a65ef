"""cruxlab's app: ``streamlit run app/streamlit_app.py``.

This script only opens the store (the server process becomes the database's owner,
see ``cruxes.owner``), signs the user in (team mode), draws the sidebar (and the demo's
seeding progress while it runs) and builds the navigation; each page lives in
``app/app_pages/`` (beside the helpers ``common``, ``charts``, ``tables`` and ``seeding``).
"""

import streamlit as st

from app.app_pages import DEFAULT_PAGE, SECTIONS, common, seeding

st.set_page_config(page_title="cruxlab", page_icon=":material/explore:", layout="wide")

store_ready = False
with common.errors():
    common.get_store()
    store_ready = True
if not store_ready:  # e.g. the database is busy: the error above says what to do
    st.stop()
signed_in = False
with common.errors():
    signed_in = common.sign_in()  # team mode: the sign-in page until they have
if not signed_in:
    st.stop()

common.sidebar()
seeding.show()  # while `cruxlab demo` seeds this home: its progress

navigation = st.navigation(
    {
        section: [
            st.Page(p.path, title=p.title, icon=p.icon, default=p.name == DEFAULT_PAGE)
            for p in pages
        ]
        for section, pages in SECTIONS.items()
    }
)
navigation.run()
