"""Screenshot every page of the app in real headless Chromium into docs/screenshots/<page>.png.

    python scripts/screenshots.py [--out docs/screenshots] [--only playground predict]

Starts its own Streamlit server (CNNVIZ_DATA is passed through), opens each page at 1400 px wide,
waits for the app to finish its run, optionally acts on the page (INTERACTIONS), and saves the
whole page. PNGs that would exceed MAX_BYTES are reduced to a 256-colour palette: they travel in git.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app import SECTIONS  # noqa: E402
from cnnviz.browser import (  # noqa: E402
    EXCEPTION,
    VIEWPORT,
    free_port,
    launch_chromium,
    start_server,
    stop_server,
    wait_for_app,
    wait_for_rerun,
    watch_runs,
)

MAX_BYTES = 500_000
WIDGET_TIMEOUT_MS = 15_000
TRAINING_SHOWN_MS = 8000  # how long the train page trains before its screenshot
MAX_HEIGHT = 6000  # px; a page taller than this is cut (nobody reads a longer screenshot)
_CONTENT_HEIGHT_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    return Math.ceil(Math.max(main ? main.scrollHeight : 0, document.body.scrollHeight));
}"""


def draw_digit(page) -> None:
    """Predict page: draw a 7 on the canvas so the screenshot shows a prediction."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=WIDGET_TIMEOUT_MS)
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    points = [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]

    def stroke() -> None:
        page.mouse.move(x + w * points[0][0], y + h * points[0][1])
        page.mouse.down()
        for px, py in points[1:]:
            page.mouse.move(x + w * px, y + h * py, steps=15)
        page.mouse.up()

    wait_for_rerun(page, stroke)


def start_training(page) -> None:
    """Train page: start the default run and let it draw a few seconds of curves."""
    button = page.get_by_role("button", name="Start training")
    button.wait_for(timeout=WIDGET_TIMEOUT_MS)
    wait_for_rerun(page, button.click)
    page.locator('[data-testid="stMain"] [data-testid="stPlotlyChart"]').first.wait_for(timeout=60_000)
    page.wait_for_timeout(TRAINING_SHOWN_MS)
    wait_for_app(page)


def step_to_last_copy(page) -> None:
    """Transposed page: step to the worked example's last copy, where the overlapping copies add up."""
    button = page.locator('[data-testid="stMain"]').get_by_role("button", name="Next")
    button.wait_for(timeout=WIDGET_TIMEOUT_MS)
    for _ in range(3):
        wait_for_rerun(page, button.click)


# url_path -> what to do on the page before the screenshot (defaults already teach something).
INTERACTIONS: dict[str, Callable] = {"predict": draw_digit, "train": start_training, "transposed": step_to_last_copy}


def fit_to_content(page) -> None:
    """Grow the viewport to the content: Streamlit scrolls inside its main area, not the body."""
    height = min(page.evaluate(_CONTENT_HEIGHT_JS), MAX_HEIGHT)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])})


def save_png(png: bytes, path: Path) -> int:
    """Write the PNG, palette-reduced if it would be too big for git; return its size."""
    if len(png) > MAX_BYTES:
        buffer = io.BytesIO()
        Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(buffer, "PNG", optimize=True)
        png = buffer.getvalue()
    path.write_bytes(png)
    return len(png)


def shoot(page, url: str, url_path: str, out: Path) -> str:
    """Screenshot one page; return a line for the summary."""
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{url}/{url_path}")
    wait_for_app(page)
    page.wait_for_load_state("networkidle")
    if url_path in INTERACTIONS:
        try:
            INTERACTIONS[url_path](page)
        except PlaywrightError as exc:  # the page changed under the hook: still shoot it
            print(f"{url_path}: interaction skipped ({str(exc).splitlines()[0]})", flush=True)
    fit_to_content(page)
    wait_for_app(page)
    size = save_png(page.screenshot(full_page=True), out / f"{url_path}.png")
    errors = page.locator(EXCEPTION).count()
    return f"{url_path:14s} {size / 1000:6.0f} KB" + (f"  ({errors} exception(s) shown!)" if errors else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", help="url paths to shoot (default: every page)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    paths = [e.url_path for entries in SECTIONS.values() for e in entries]
    paths = [p for p in paths if not args.only or p in args.only]
    proc, url = start_server(free_port())
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport=VIEWPORT)
            watch_runs(page)
            # Warm up through "/" first: a cold server's first page is rerun through app.py
            # (ui.route_through_app), and a screenshot could catch the grey loading boxes between.
            page.goto(url)
            wait_for_app(page)
            for url_path in paths:
                print(shoot(page, url, url_path, args.out), flush=True)
            browser.close()
    finally:
        stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
