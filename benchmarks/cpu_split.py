"""Where an interaction's CPU time goes: the page's renderer, the rest of Chromium, the server.

    python benchmarks/cpu_split.py [--repeats 12] [--only playground feature-maps ...]

Starts its own server and one headless Chromium (1280x720, a projector's size), then repeats each
interaction of `browser_latency.py` and reads, from /proc, the CPU time that the interaction cost
(user + system, per repeat): Chromium's renderer processes (the page: Streamlit's React, layout,
our figure script), Chromium's other processes (browser, GPU/compositing, network) and the server's
process (its script runs, messages, websocket). It also counts the websocket messages and bytes the
page received per repeat. On a 2-core machine the round trip cannot be shorter than the part of
this work that runs one after the other, so this says which side a cut must come from.

Run it alone on the machine: every Chromium process counts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import browser_latency  # noqa: E402

from cnnviz.browser import (  # noqa: E402
    free_port,
    launch_chromium,
    start_server,
    stop_server,
    wait_for_app,
    wait_for_rerun,
    watch_runs,
)

TICK = os.sysconf("SC_CLK_TCK")
VIEWPORT = {"width": 1280, "height": 720}
SIDES = ("renderer", "other Chromium", "server")


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of every Chromium renderer, every other Chromium process, and the server."""
    totals = dict.fromkeys(SIDES, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # it ended meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICK
        if int(entry.name) == server_pid:
            totals["server"] += seconds
        elif b"--type=renderer" in command:
            totals["renderer"] += seconds
        elif name.startswith("chrom"):
            totals["other Chromium"] += seconds
    return totals


def measure(page, url: str, server_pid: int, url_path: str, make_action, repeats: int) -> dict[str, float]:
    """Per repeat, warm-up excluded: ms of CPU on each side, and messages and KB the page received."""
    received: list[int] = []
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on("Network.webSocketFrameReceived", lambda e: received.append(len(e["response"]["payloadData"]) * 3 // 4))
    page.goto(f"{url}/{url_path}")
    wait_for_app(page)
    if url_path.startswith("train"):
        browser_latency.start_training(page)
    for i in range(browser_latency.WARMUP):
        wait_for_rerun(page, make_action(page, i))
    received.clear()
    before = cpu_seconds(server_pid)
    for i in range(browser_latency.WARMUP, browser_latency.WARMUP + repeats):
        wait_for_rerun(page, make_action(page, i))
    after = cpu_seconds(server_pid)
    cdp.detach()
    split = {side: 1000 * (after[side] - before[side]) / repeats for side in SIDES}
    return {**split, "messages": len(received) / repeats, "KB": sum(received) / 1024 / repeats}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=12)
    parser.add_argument("--only", nargs="*", help="page url paths to measure (default: all)")
    args = parser.parse_args()
    proc, url = start_server(free_port())
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for url_path, name, make_action in browser_latency.INTERACTIONS:
                if args.only and url_path.split("?")[0] not in args.only:
                    continue
                page = browser.new_page(viewport=VIEWPORT)
                page.set_default_timeout(browser_latency.WIDGET_TIMEOUT_MS)
                watch_runs(page)
                rows.append(
                    (url_path.split("?")[0], name, measure(page, url, proc.pid, url_path, make_action, args.repeats))
                )
                page.close()
            browser.close()
    finally:
        stop_server(proc)
    print(f"CPU ms per interaction ({args.repeats} repeats each), and what the page received")
    print(
        f"{'page':14s} {'interaction':26s} {'renderer':>9s} {'Chromium':>9s} {'server':>7s} {'messages':>9s} {'KB':>6s}"
    )
    for page_name, name, row in rows:
        print(
            f"{page_name:14s} {name:26s} {row['renderer']:9.0f} {row['other Chromium']:9.0f} {row['server']:7.0f}"
            f" {row['messages']:9.1f} {row['KB']:6.1f}"
        )
    browser_share = statistics.median(r["renderer"] + r["other Chromium"] for _, _, r in rows) if rows else 0.0
    server_share = statistics.median(r["server"] for _, _, r in rows) if rows else 0.0
    print(f"median over interactions: Chromium {browser_share:.0f} ms, server {server_share:.0f} ms of CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
