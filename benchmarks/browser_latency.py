"""Browser round trip: from a click to the updated page, measured in real headless Chromium.

    python benchmarks/browser_latency.py [--repeats 12]

Starts its own Streamlit server, then for each interaction below acts on the page and waits for
the run it triggers: the server's script_finished message on the websocket, then the page idle
(no stale or loading element). That is what a student waits for. Prints median and p90 in ms
per interaction against the 300 ms target, and the median of its server + websocket part (the
rest is the browser drawing); the first two repeats (code loading) are not counted. Last, the same
for a button on a bare Streamlit page: the floor of any rerun on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from cnnviz.browser import (  # noqa: E402
    VIEWPORT,
    bare_server,
    free_port,
    launch_chromium,
    start_server,
    stop_server,
    wait_for_app,
    wait_for_rerun,
    watch_runs,
)

TARGET_MS = 300
WARMUP = 2
WIDGET_TIMEOUT_MS = 15_000


def step_buttons(prefix: str) -> Callable[[object, int], Callable[[], None]]:
    """Alternate Next and Back of a step row (by key: the hidden clicker buttons share the names)."""

    def action(page, i: int) -> Callable[[], None]:
        return page.locator(f".st-key-{prefix}_{'next' if i % 2 == 0 else 'back'} button").click

    return action


def number_input(label: str) -> Callable[[object, int], Callable[[], None]]:
    """Alternate + and - on a number input, so its value goes 1 -> 2 -> 1 ..."""

    def action(page, i: int) -> Callable[[], None]:
        box = page.locator('[data-testid="stNumberInput"]', has_text=label).first
        which = "stNumberInputStepUp" if i % 2 == 0 else "stNumberInputStepDown"
        return box.locator(f'[data-testid="{which}"]').click

    return action


def slider(label: str) -> Callable[[object, int], Callable[[], None]]:
    """Move a slider one step right, then back left."""

    def action(page, i: int) -> Callable[[], None]:
        thumb = page.locator('[data-testid="stSlider"]', has_text=label).first.get_by_role("slider")
        return lambda: thumb.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")

    return action


def keyed_slider(key: str) -> Callable[[object, int], Callable[[], None]]:
    """Move the slider with this widget key one step right, then back (for sliders whose label is hidden)."""

    def action(page, i: int) -> Callable[[], None]:
        thumb = page.locator(f".st-key-{key}").get_by_role("slider")
        return lambda: thumb.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")

    return action


def radio(label: str, first: str, second: str) -> Callable[[object, int], Callable[[], None]]:
    """Alternate between two options of a radio group."""

    def action(page, i: int) -> Callable[[], None]:
        group = page.locator('[data-testid="stRadio"]', has_text=label).first
        option = first if i % 2 == 0 else second
        return group.locator('[data-testid="stRadioOption"]', has_text=option).first.click

    return action


def selectbox(label: str, first: str, second: str) -> Callable[[object, int], Callable[[], None]]:
    """Alternate between two options of a select box (open it, click the option)."""

    def action(page, i: int) -> Callable[[], None]:
        def choose() -> None:
            page.locator('[data-testid="stSelectbox"]', has_text=label).first.click()
            page.get_by_role("option", name=first if i % 2 == 0 else second, exact=True).click()

        return choose

    return action


def stroke() -> Callable[[object, int], Callable[[], None]]:
    """One pen stroke on the predict canvas (a short line, somewhere new each time).

    Timed from the pen lifting (pointerup), since the time the hand takes to draw is not the app's;
    streamlit-drawable-canvas then waits 200 ms (a fixed debounce in its frontend) before it sends
    the picture, so a second line times the same stroke from that message."""

    def action(page, i: int) -> Callable[[], None]:
        def draw() -> None:
            box = page.locator("canvas.upper-canvas").first.bounding_box()
            x, y = box["x"] + 60 + (i % 5) * 40, box["y"] + 60
            page.mouse.move(x, y)
            page.mouse.down()
            for k in range(1, 6):
                page.mouse.move(x + 4 * k, y + 30 * k)
            page.mouse.up()

        return draw

    return action


def bare_click(page, i: int) -> Callable[[], None]:
    """Click the bare Streamlit page's button (cnnviz.browser.bare_server): a rerun with nothing of ours."""
    return page.locator(".st-key-bare_next button").click


def timed_update() -> Callable[[object, int], Callable[[], None]]:
    """Do nothing: wait for the page's own timed rerun (the Train page's once-a-second update).

    Timed from the browser's rerun request to the idle page."""

    def action(page, i: int) -> Callable[[], None]:
        return lambda: None

    return action


def start_training(page) -> None:
    """Start a training on the Train page at the slow demo pace, so it runs through every repeat."""
    wait_for_rerun(page, page.locator(".st-key-train_start button").click)
    page.locator(".st-key-train_curves").first.wait_for(timeout=WIDGET_TIMEOUT_MS * 4)


SLOW_TRAINING = "train?train_slow=1&train_epochs=5&train_size=10000"
# (page url path, what is measured, how to do it on repeat i, what starts the input's clock)
INTERACTIONS = [
    ("playground", "next / back step", step_buttons("pg")),
    ("playground", "stride 1 <-> 2", number_input("Stride")),
    ("playground", "padding 0 <-> 1", number_input("Padding")),
    ("playground", "kernel Prewitt <-> Sobel", selectbox("Kernel", "Sobel x", "Prewitt x")),
    ("pooling", "next / back window", step_buttons("pool")),
    ("pooling", "window slider", keyed_slider("pool_step_slider")),
    ("pooling", "max <-> average", radio("Mode", "average", "max")),
    ("feature-maps", "shift right 0 <-> 1 px", slider("Shift right")),
    ("feature-maps", "view layers <-> scores", radio("Look at", "Final layer", "Every layer")),
    ("feature-maps?fm_view=channel", "channel slider", slider("Channel")),
    ("feature-maps?fm_view=channel", "layer slider", slider("Layer")),
    ("predict", "one stroke", stroke()),
    ("predict", "stroke, from canvas send", stroke()),  # without the canvas's own 200 ms wait after a stroke
    (SLOW_TRAINING, "training update (1/s)", timed_update()),
]
# what starts the clock when it is not the input event (pointerdown / keydown)
STAMPED_BY = {"one stroke": "pointerup", "stroke, from canvas send": "send", "training update (1/s)": "send"}


# Before any page script: stamp every input event, and every message the page sends to the server.
_STAMP_INPUT_JS = """(() => {
    window.__at = {};
    for (const type of ['pointerdown', 'keydown', 'pointerup']) {
        window.addEventListener(type, () => { window.__at[type] = performance.now(); }, true);
    }
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) { window.__at.send = performance.now(); return send.call(this, data); };
    // a figure redrawn after the page went idle (our SVG figures draw once their script's promise
    // resolves, plotly.js once its own does): the last change inside one ends the interaction
    const inFigure = (change) => change.target.closest?.('.cnnviz-figure, .cnnviz-markup, .js-plotly-plot');
    new MutationObserver((changes) => {
        if (changes.some(inFigure)) window.__at.drawn = performance.now();
    }).observe(document, { childList: true, subtree: true, attributes: true });
})()"""
_SINCE_INPUT_JS = """async (stamp) => {
    const idle = performance.now();
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    const end = Math.max(idle, window.__at.drawn ?? -Infinity);
    return end - (stamp === 'input'
        ? Math.max(window.__at.pointerdown ?? -Infinity, window.__at.keydown ?? -Infinity) : window.__at[stamp]);
}"""


def measure(
    page, url: str, url_path: str, make_action, repeats: int, stamp: str = "input"
) -> tuple[list[float], list[float]]:
    """Per repeat, warm-up excluded: ms from the input event to the idle page, and the part of it
    from the browser's message to the server until that run's end (server + websocket).

    The total is timed in the page (performance.now at the input event, or at the page's message
    to the server for timed updates, and once the rerun is over, or later if a figure was still
    being drawn two frames after that), so Playwright's own checks before a click are not counted.
    """
    page.goto(f"{url}/{url_path}")
    wait_for_app(page)
    if url_path.startswith("train"):
        start_training(page)
    watcher = watch_runs(page)
    totals, server = [], []
    for i in range(repeats + WARMUP):
        wait_for_rerun(page, make_action(page, i))
        if i >= WARMUP:
            totals.append(page.evaluate(_SINCE_INPUT_JS, stamp))
            server.append(watcher.last_round_trip_s * 1000)
    return totals, server


def p90(values: list[float]) -> float:
    """90th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=12)
    parser.add_argument("--only", nargs="*", help="page url paths to measure (default: all)")
    args = parser.parse_args()
    proc, url = start_server(free_port())
    slow = skipped = 0
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(WIDGET_TIMEOUT_MS)
            page.add_init_script(_STAMP_INPUT_JS)
            watch_runs(page)
            print(
                f"{'page':14s} {'interaction':26s} {'median':>8s} {'p90':>8s} {'server+ws':>10s}"
                f"   target: p90 < {TARGET_MS} ms"
            )
            for url_path, name, make_action in INTERACTIONS:
                if args.only and url_path.split("?")[0] not in args.only:
                    continue
                try:
                    stamp = STAMPED_BY.get(name, "input")
                    times, server = measure(page, url, url_path, make_action, args.repeats, stamp)
                except PlaywrightError as exc:
                    print(f"{url_path.split('?')[0]:14s} {name:26s} skipped: {str(exc).splitlines()[0]}")
                    skipped += 1
                    continue
                median, high = statistics.median(times), p90(times)
                verdict = "ok" if high < TARGET_MS else "SLOW"
                slow += verdict == "SLOW"
                print(
                    f"{url_path.split('?')[0]:14s} {name:26s} {median:6.0f} ms {high:6.0f} ms "
                    f"{statistics.median(server):7.0f} ms   {verdict}",
                    flush=True,
                )
            with bare_server() as bare_url:  # the floor: a rerun of a page with nothing of ours on it
                times, server = measure(page, bare_url, "", bare_click, args.repeats)
            print(
                f"{'bare page':14s} {'button, Streamlit alone':26s} {statistics.median(times):6.0f} ms "
                f"{p90(times):6.0f} ms {statistics.median(server):7.0f} ms   this machine's floor"
            )
            browser.close()
    finally:
        stop_server(proc)
    print(f"{slow} interaction(s) over {TARGET_MS} ms at p90, {skipped} skipped (widget not found)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
