"""Every page at 1280 × 800 with the demo: a screenshot of each, and nothing wider than the page.

The screenshots land in ``$CRUXLAB_ARTIFACTS/screenshots/`` (default
``tests/browser/screenshots/``, ignored by git): look at them after a change to a
page. A table or chart whose content is wider than its box (a column a person
must scroll sideways to find) fails the test, as does a main area wider than
the window.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.app_pages import DEFAULT_PAGE, PAGES
from tests.unit.helpers import write_demo_progress

ROOT = Path(__file__).parents[2]
WIDTH, HEIGHT = 1280, 800

# Each element wider than its box, as "what: content width > box width".
OVERFLOW_JS = """
() => {
  const wide = (el) => el && el.scrollWidth > el.clientWidth + 1;
  const found = [];
  const main = document.querySelector('[data-testid="stMain"]');
  if (wide(main)) found.push(`main area: ${main.scrollWidth} > ${main.clientWidth}`);
  if (wide(document.documentElement)) found.push('the window scrolls sideways');
  document.querySelectorAll('[data-testid="stDataFrame"]').forEach((table, i) => {
    const scroller = table.querySelector('.dvn-scroller');
    const headers = [...table.querySelectorAll('th')].map((th) => th.innerText).join(', ');
    if (wide(scroller)) {
      found.push(`table ${i + 1} (${headers}): ${scroller.scrollWidth} > ${scroller.clientWidth}`);
    }
  });
  document.querySelectorAll('[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]')
    .forEach((chart, i) => {
      const drawn = chart.querySelector('canvas, svg');
      const box = chart.getBoundingClientRect().width;
      const width = drawn ? drawn.getBoundingClientRect().width : 0;
      if (width > box + 1) found.push(`chart ${i + 1}: ${width} > ${box}`);
    });
  return found;
}
"""


def screenshots_dir() -> Path:
    base = os.environ.get("CRUXLAB_ARTIFACTS")
    folder = Path(base) / "screenshots" if base else ROOT / "tests" / "browser" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(page, app_url: str, name: str) -> None:
    """Load a page as the demo's mentor and wait until it has finished drawing."""
    path = "" if name == DEFAULT_PAGE else name
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto(f"{app_url}/{path}")
    expect(page.get_by_role("heading", name=PAGES[name].title, exact=True, level=1)).to_be_visible()
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    # Tables and charts load their code after the page is drawn: wait until each has drawn.
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    for table in page.get_by_test_id("stDataFrame").filter(visible=True).all():
        expect(table.locator("canvas").first).to_be_attached()
    for chart in page.get_by_test_id("stVegaLiteChart").filter(visible=True).all():
        expect(chart.locator("canvas, svg").first).to_be_visible()
    page.wait_for_timeout(1000)  # the data grids size their columns after they appear


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_fits_1280_pixels(page, demo_app_url, name):
    open_page(page, demo_app_url, name)
    overflow = page.evaluate(OVERFLOW_JS)
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    # The whole page in one picture: a taller window changes no width.
    page.set_viewport_size({"width": WIDTH, "height": max(HEIGHT, min(height, 8000))})
    page.wait_for_timeout(300)
    page.screenshot(path=screenshots_dir() / f"{name}.png")
    expect(page.get_by_text("Traceback")).to_have_count(0)
    assert overflow == [], f"{name}: {overflow}"


def test_the_seeding_box_while_the_demo_seeds(page, app_url, demo_home):
    """What a first start shows while the background demo trains its organism."""
    write_demo_progress(
        demo_home,
        fraction=0.41,
        message="training organism:induction-2l, step 500: held-out loss 0.184, done below 0.05",
    )
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto(app_url)
    expect(page.get_by_text("Seeding the demo — step 6 of 9")).to_be_visible()
    expect(page.get_by_text("step 500: held-out loss 0.184")).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard", exact=True, level=1)).to_be_visible()
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    page.screenshot(path=screenshots_dir() / "seeding.png")
    assert page.evaluate(OVERFLOW_JS) == []
