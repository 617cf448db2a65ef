"""The app's pages, in navigation order: one place for their files, titles and icons.

``streamlit_app.py`` builds ``st.navigation`` from ``SECTIONS``; each page shows its
title with ``common.page_title(NAME)``; the page tests iterate over ``PAGES``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    name: str  # the module in app/app_pages/
    title: str
    icon: str

    @property
    def path(self) -> str:
        """The page file, relative to the entry script."""
        return f"app_pages/{self.name}.py"


SECTIONS: dict[str, list[PageSpec]] = {
    "Where we stand": [
        PageSpec("dashboard", "Dashboard", "🧭"),
        PageSpec("disagreement", "Disagreement", "⚖️"),
        PageSpec("calibration", "Calibration", "🎚️"),
    ],
    "What to run next": [
        PageSpec("next_projects", "Next projects", "📊"),
        PageSpec("board", "Board", "🗂️"),
        PageSpec("scholar", "Scholar", "🎓"),
        PageSpec("coverage", "Coverage", "🕳️"),
    ],
    "The loop": [
        PageSpec("dialogues", "Dialogues", "💬"),
        PageSpec("cruxes", "Cruxes", "🎯"),
        PageSpec("projects", "Projects", "🧪"),
        PageSpec("runs", "Runs", "⚙️"),
        PageSpec("outcomes", "Outcomes", "📈"),
    ],
}
PAGES: dict[str, PageSpec] = {p.name: p for pages in SECTIONS.values() for p in pages}
DEFAULT_PAGE = "dashboard"
