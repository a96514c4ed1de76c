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
skeletons included). The server's part of a new browser's visit runs from the page opening its
websocket to the end of the first script run. Prints each against the targets (3 s fresh server,
1.5 s first visit).

It also times first visits to a bare Streamlit page (a title, a button and a line, served with
the app's configuration; cnnviz.browser.bare_server): the floor under any page of any Streamlit app
on this machine, so that runs on machines of different speeds can be compared as a ratio to it.
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
    bare_server,
    free_port,
    launch_chromium,
    start_server,
    stop_server,
    wait_for_app,
    watch_runs,
)

COLD_TARGET_S, WARM_TARGET_S = 3.0, 1.5
PAGES = [entry.url_path for entries in SECTIONS.values() for entry in entries]


def visit(browser_or_context, url: str, server: list[float] | None = None) -> float:
    """Seconds from navigation to the idle page, in a new tab of this context (a browser: a new context).

    ``server`` gets the server's part: from the page opening its websocket to the first run's end."""
    fresh = not hasattr(browser_or_context, "browser")
    context = browser_or_context.new_context(viewport=VIEWPORT) if fresh else browser_or_context
    page = context.new_page()
    opened: list[float] = []
    page.on("websocket", lambda ws: opened.append(time.perf_counter()) if ws.url.endswith("/_stcore/stream") else None)
    runs = watch_runs(page)
    try:
        start = time.perf_counter()
        page.goto(url)
        page.locator("h1").first.wait_for()
        wait_for_app(page)
        if server is not None and opened and runs.finished_at:
            server.append(runs.finished_at[0] - opened[0])
        return time.perf_counter() - start
    finally:
        (context if fresh else page).close()


def bare_visits(browser, visits: int) -> list[float]:
    """First visits, each in a new browser context, to a bare Streamlit page on a server of its own."""
    with bare_server() as url:
        return [visit(browser, url) for _ in range(visits)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh servers for the cold start, visits per page")
    args = parser.parse_args()
    cold, cold_server, warm, cached, server = [], [], *({path: [] for path in PAGES} for _ in range(3))
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        browser.new_page().close()  # Chromium's own start is not the app's
        for _ in range(args.repeats):
            proc, url = start_server(free_port())  # returns once /_stcore/health answers
            try:
                healthy = time.perf_counter()
                visit(browser, f"{url}/playground", cold_server)
                cold.append(time.perf_counter() - healthy)
                for path in PAGES:
                    warm[path].append(visit(browser, f"{url}/{path}", server[path]))
                returning = browser.new_context(viewport=VIEWPORT)
                for path in PAGES:  # this browser has used the app: its scripts are cached
                    visit(returning, f"{url}/{path}")
                for path in PAGES:
                    cached[path].append(visit(returning, f"{url}/{path}"))
                returning.close()
            finally:
                stop_server(proc)
        bare = bare_visits(browser, 3 * args.repeats)
        browser.close()
    print(
        f"fresh server -> /playground: median {statistics.median(cold):.2f} s, max {max(cold):.2f} s"
        f" (target {COLD_TARGET_S} s); its server part {statistics.median(cold_server or [0]):.2f} s"
    )
    print(
        f"first visit    {'new browser: median':>20s} {'max':>6s}   {'browser that used the app':>25s} {'max':>6s}"
        f"   {'server part':>11s}"
    )
    for path in PAGES:
        new, seen, part = warm[path], cached[path], server[path]
        print(
            f"{'/' + path:14s} {statistics.median(new):18.2f} s {max(new):5.2f} s "
            f"{statistics.median(seen):25.2f} s {max(seen):5.2f} s {statistics.median(part) if part else 0:10.2f} s"
        )
    print(f"target for a first visit: {WARM_TARGET_S} s")
    floor = statistics.median(bare)
    typical = statistics.median(statistics.median(warm[path]) for path in PAGES)
    print(
        f"bare Streamlit page (a title, a button, a line), new browser: median {floor:.2f} s, max {max(bare):.2f} s:"
        f" this machine's floor; the median page's first visit is {typical / floor:.1f} times it"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
