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
    icon: str  # a Material icon: drawn by the app's own font, so it shows in every browser

    @property
    def path(self) -> str:
        """The page file, relative to the entry script."""
        return f"app_pages/{self.name}.py"


SECTIONS: dict[str, list[PageSpec]] = {
    "Where we stand": [
        PageSpec("dashboard", "Dashboard", ":material/explore:"),
        PageSpec("disagreement", "Disagreement", ":material/balance:"),
        PageSpec("calibration", "Calibration", ":material/tune:"),
    ],
    "What to run next": [
        PageSpec("next_projects", "Next projects", ":material/leaderboard:"),
        PageSpec("board", "Board", ":material/view_kanban:"),
        PageSpec("scholar", "Scholar", ":material/school:"),
        PageSpec("coverage", "Coverage", ":material/checklist:"),
    ],
    "The loop": [
        PageSpec("dialogues", "Dialogues", ":material/forum:"),
        PageSpec("cruxes", "Cruxes", ":material/adjust:"),
        PageSpec("projects", "Projects", ":material/science:"),
        PageSpec("runs", "Runs", ":material/play_circle:"),
        PageSpec("outcomes", "Outcomes", ":material/trending_up:"),
    ],
}
PAGES: dict[str, PageSpec] = {p.name: p for pages in SECTIONS.values() for p in pages}
DEFAULT_PAGE = "dashboard"
