"""Draw a 7 with the mouse on the real canvas in Chromium and read the prediction back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cnnviz.browser import EXCEPTION, wait_for_app, watch_runs

pytestmark = pytest.mark.e2e
PREDICTION = re.compile(r"Prediction: (\d) \(")


def drag(page, points: list[tuple[float, float]], box: dict, steps: int = 12) -> None:
    """One pen stroke through points given as fractions of the canvas, in small mouse moves."""
    at = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for end in at[1:]:
        page.mouse.move(*end, steps=steps)
    page.mouse.up()


def test_a_seven_drawn_with_the_mouse_is_read_as_7(page, app_url):
    watch_runs(page)
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(request.url) if request.resource_type == "script" else None)
    page.goto(f"{app_url}/predict")
    wait_for_app(page)
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible()
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    drag(page, [(0.25, 0.2), (0.75, 0.2), (0.42, 0.85)], box)
    line = page.get_by_text(PREDICTION).first
    expect(line).to_be_visible(timeout=30_000)
    predictions = [PREDICTION.search(t).group(1) for t in page.get_by_text(PREDICTION).all_inner_texts()]
    assert predictions and all(p == "7" for p in predictions), predictions
    assert page.locator(EXCEPTION).count() == 0
    # drawn by the vendored frontend (no send delay after a stroke), not the package's own
    assert any("/bidi-components/cnnviz.canvas/" in url for url in scripts), scripts
    assert not any("/bidi-components/streamlit-drawable-canvas." in url for url in scripts), scripts


def test_a_bad_upload_is_explained_and_the_page_keeps_working(page, app_url):
    watch_runs(page)
    page.goto(f"{app_url}/predict")
    wait_for_app(page)
    page.get_by_text("Upload", exact=True).click()
    wait_for_app(page)
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "digit.png", "mimeType": "image/png", "buffer": b"not really a picture"}]
    )
    expect(page.get_by_text("not an image the app can read")).to_be_visible(timeout=30_000)
    page.get_by_text("Sample", exact=True).click()
    expect(page.get_by_text(PREDICTION).first).to_be_visible(timeout=30_000)
    assert page.locator(EXCEPTION).count() == 0
