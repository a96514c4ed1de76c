"""First visits: how long a student waits for a page that this browser has never opened.

    python benchmarks/first_visit.py [--repeats 3]

Starts its own server (as `make run` does) and measures in headless Chromium:
- fresh server: from the server reporting healthy to its first page (/playground) idle and drawn,
  in a new browser context;
- every page's first visit on the running server, from navigation to the idle page, twice: in a new
  browser context (no cookies, no cached scripts: a browser that never opened the app) and in a new
  tab of a browser that has used every page before (its scripts cached, a new Streamlit session all
  the same: the server's answer without the browser's first download of Streamlit and plotly).
"Idle" is the app's own state: connected, the run over, nothing stale or still loading (widget
skeletons included). Prints each time against the targets (3 s fresh server, 1.5 s first visit).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app import SECTIONS  # noqa: E402
from cnnviz.browser import (  # noqa: E402
    VIEWPORT,
    free_port,
    launch_chromium,
    start_server,
    stop_server,
    wait_for_app,
)

COLD_TARGET_S, WARM_TARGET_S = 3.0, 1.5
PAGES = [entry.url_path for entries in SECTIONS.values() for entry in entries]


def visit(browser_or_context, url: str) -> float:
    """Seconds from navigation to the idle page, in a new tab of this context (a browser: a new context)."""
    fresh = not hasattr(browser_or_context, "browser")
    context = browser_or_context.new_context(viewport=VIEWPORT) if fresh else browser_or_context
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(url)
        page.locator("h1").first.wait_for()
        wait_for_app(page)
        return time.perf_counter() - start
    finally:
        (context if fresh else page).close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh servers for the cold start, visits per page")
    args = parser.parse_args()
    cold, warm, cached = [], {path: [] for path in PAGES}, {path: [] for path in PAGES}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        browser.new_page().close()  # Chromium's own start is not the app's
        for _ in range(args.repeats):
            proc, url = start_server(free_port())  # returns once /_stcore/health answers
            try:
                healthy = time.perf_counter()
                visit(browser, f"{url}/playground")
                cold.append(time.perf_counter() - healthy)
                for path in PAGES:
                    warm[path].append(visit(browser, f"{url}/{path}"))
                returning = browser.new_context(viewport=VIEWPORT)
                for path in PAGES:  # this browser has used the app: its scripts are cached
                    visit(returning, f"{url}/{path}")
                for path in PAGES:
                    cached[path].append(visit(returning, f"{url}/{path}"))
                returning.close()
            finally:
                stop_server(proc)
        browser.close()
    print(f"{'first visit':28s} {'median':>8s} {'max':>8s}   target")
    print(
        f"{'fresh server -> /playground':28s} {statistics.median(cold):6.2f} s {max(cold):6.2f} s   {COLD_TARGET_S} s"
    )
    for path, times in warm.items():
        print(f"{'/' + path:28s} {statistics.median(times):6.2f} s {max(times):6.2f} s   {WARM_TARGET_S} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
