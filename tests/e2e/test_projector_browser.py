"""Projector mode in real Chromium: every page fits a 1280×720 and a 1024×768 projector, with and without
the switch (each page's main result and its control inside the first screen, no figure titles on top of
each other), the presenter's keys step the window, a click on an output cell moves it there, and the GIF
downloads with one frame per window position."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from cnnviz.browser import EXCEPTION, wait_for_app, wait_for_rerun

pytestmark = pytest.mark.e2e
MAIN = '[data-testid="stMain"]'
SIZES = [(1280, 720), (1024, 768)]
STEP = re.compile(r"Step (\d+) of (\d+)")


def draw_stroke(page) -> None:
    """A short diagonal pen stroke on the predict page's canvas, so the models vote."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    box = canvas.bounding_box()

    def stroke() -> None:
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.8, steps=12)
        page.mouse.up()

    wait_for_rerun(page, stroke)


def start_training(page) -> None:
    """Start the (small) run the link asked for; wait until it has finished, with its loss curve drawn.

    Waiting for the end frees the run's place: the server trains at most two at once, and the next
    case (another size or mode) starts its own in another browser context.
    """
    wait_for_rerun(page, page.locator(".st-key-train_start button").click)
    try:
        page.get_by_text("Result on the whole test set").first.wait_for(timeout=120_000)
        page.locator(".st-key-train_curves").first.wait_for(timeout=30_000)
    except PlaywrightTimeout:
        pytest.fail("no finished run and loss curve after Start: " + page.locator(MAIN).inner_text()[:1500])
    wait_for_app(page)


# page -> (link parameters, what to do first, selectors of the main result and its control)
PAGES = {
    "playground": ("", None, [".st-key-pg_next", ".st-key-output_fig"]),
    "pooling": ("", None, [".st-key-pool_next", ".st-key-pool_figure"]),
    "transposed": ("", None, [".st-key-tc_scatter_next", ".st-key-tc_scatter_canvas"]),
    "architecture": ("", None, [".st-key-arch_model", f"{MAIN} .st-key-arch_table table"]),
    "feature-maps": ("", None, [f'{MAIN} [data-testid="stMetric"]', ".st-key-fm_grid_conv1"]),
    "train": ("train_size=500&train_epochs=1", start_training, [".st-key-train_start", ".st-key-train_curves"]),
    "predict": ("", draw_stroke, ["canvas.upper-canvas", ".st-key-bars_simplecnn"]),
}

_TITLE_BOXES_JS = """(chart) => [...chart.querySelectorAll('.gtitle, .annotation-text')]
    .map(t => t.getBoundingClientRect())
    .filter(r => r.width > 0 && r.height > 0)
    .map(r => [r.left, r.top, r.right, r.bottom])"""
_FONT_PX_JS = "(el) => parseFloat(getComputedStyle(el).fontSize)"


def overlapping(boxes: list[list[float]]) -> list[tuple]:
    """Pairs of title boxes that share more than a pixel each way."""
    pairs = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1:
                pairs.append((a, b))
    return pairs


@pytest.fixture(scope="module")
def sized(browser):
    """One browser context per (size, projector mode), shared by the pages of this module: one session each."""
    contexts: dict[tuple, object] = {}

    def page_for(width: int, height: int, present: bool):
        key = (width, height, present)
        if key not in contexts:
            from cnnviz.browser import watch_runs

            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            watch_runs(page)
            contexts[key] = (context, page)
        return contexts[key][1]

    yield page_for
    for context, _ in contexts.values():
        context.close()


@pytest.mark.parametrize("present", [False, True], ids=["plain", "projector"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(PAGES))
def test_the_main_result_and_its_control_fit_the_first_screen(sized, app_url, name, size, present):
    page = sized(*size, present)
    params, action, selectors = PAGES[name]
    query = "&".join(p for p in (params, "present=1" if present else "present=0") if p)
    page.goto(f"{app_url}/{name}?{query}")
    wait_for_app(page)
    if action is not None:
        action(page)
    width, height = size
    for selector in selectors:
        element = page.locator(selector).first
        expect(element).to_be_visible()
        box = element.bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0, f"{selector} starts off screen: {box}"
        assert box["x"] + box["width"] <= width + 1, f"{selector} is cut at the right: {box}"
        assert box["y"] + box["height"] <= height + 1, f"{selector} is below the first screen: {box}"
    for chart in page.locator(f"{MAIN} :is(.js-plotly-plot, .cnnviz-figure)").all():
        assert overlapping(chart.evaluate(_TITLE_BOXES_JS)) == [], f"figure titles overlap on {name}"
    sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
    folded = sidebar is None or sidebar["x"] + sidebar["width"] <= 1
    assert folded == present, f"sidebar at {sidebar}"
    if present:
        text = page.locator(f'{MAIN} [data-testid="stMarkdownContainer"] p').first
        assert text.evaluate(_FONT_PX_JS) >= 20
        titles = page.locator(
            f"{MAIN} .js-plotly-plot .gtitle, {MAIN} .js-plotly-plot .xtick text, "
            f"{MAIN} .cnnviz-figure .gtitle, {MAIN} .cnnviz-figure .xtick, {MAIN} .cnnviz-figure .cbtick, "
            f"{MAIN} .cnnviz-tiles-title, {MAIN} .cnnviz-colourbar-ticks span"  # the feature-map pictures' text
        )
        sizes = [t.evaluate(_FONT_PX_JS) for t in titles.all()]
        drawn = [px for px in sizes if px == px]  # NaN: a chart being replaced has no computed style
        assert drawn and min(drawn) >= 16
    assert page.locator(EXCEPTION).count() == 0


def shown_step(page) -> int:
    text = page.locator(MAIN).get_by_text(STEP).first.inner_text()
    return int(STEP.search(text).group(1))


def test_a_presenters_clicker_and_the_arrow_keys_step_the_window(page, app_url):
    page.goto(f"{app_url}/playground")
    wait_for_app(page)
    assert shown_step(page) == 1
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for key, expected in [("PageDown", 2), ("ArrowRight", 3), ("PageDown", 4), ("PageUp", 3), ("ArrowLeft", 2)]:
        wait_for_rerun(page, lambda key=key: page.keyboard.press(key))
        assert shown_step(page) == expected, key


def test_a_click_on_an_output_cell_moves_the_window_there(page, app_url):
    page.goto(f"{app_url}/playground")
    wait_for_app(page)
    handles = page.locator(".st-key-output_fig .cnnviz-scatter .point")  # one per output cell, row by row
    expect(handles).to_have_count(9)
    wait_for_rerun(page, lambda: handles.nth(7).click(force=True))
    page.get_by_text("Step 8 of 9").wait_for()  # row 2, column 1 of the 3×3 output
    assert page.locator(EXCEPTION).count() == 0


def test_the_gif_downloads_with_a_frame_per_window_position(page, app_url):
    page.goto(f"{app_url}/playground")
    wait_for_app(page)
    wait_for_rerun(page, page.locator(".st-key-pg_gif button").click)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the GIF").click()
    gif = Image.open(io.BytesIO(download.value.path().read_bytes()))
    assert gif.format == "GIF" and gif.n_frames == 9  # the 5×5 example: 3×3 window positions
    assert download.value.suggested_filename == "cnnviz-convolution.gif"
