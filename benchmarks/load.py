"""A class arrives at once: N browsers drive the playground, feature maps and predict while two train.

    python benchmarks/load.py [--clients 10] [--seconds 60]

Starts its own Streamlit server and one headless Chromium with N contexts (N Streamlit sessions).
Two more contexts start a training on the Train page first. Every client then opens its page and
repeats its interaction until the time is up: Next/Back on the playground, a shift on Feature maps,
another sample digit on Draw & predict. For each interaction it records the browser round trip
(from the action to the idle page) and its server + websocket part (from the browser's rerun message
to the run's script_finished message). Prints median and p95 per interaction, the errors (exceptions
on a page, timeouts), and the server's memory (RSS) and thread count before and after. Bounded in
time; it stops by itself and talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from cnnviz.browser import CHROMIUM, CHROMIUM_ARGS, EXCEPTION, free_port, start_server, stop_server  # noqa: E402

ACTION_TIMEOUT_S = 30.0
IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('[data-stale="true"]') === null;
}"""


class Runs:
    """Counts a page's finished script runs and times each from the browser's last message."""

    def __init__(self, page) -> None:
        self.finished, self.sent_at, self.server_s = 0, 0.0, 0.0
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, websocket) -> None:
        if websocket.url.endswith("/_stcore/stream"):
            websocket.on("framesent", self._sent)
            websocket.on("framereceived", self._received)

    def _sent(self, payload) -> None:
        self.sent_at = time.perf_counter()

    def _received(self, payload) -> None:
        if isinstance(payload, str):
            return
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        early = msg.script_finished == ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
        if msg.WhichOneof("type") == "script_finished" and not early:
            self.finished += 1
            self.server_s = time.perf_counter() - self.sent_at


async def rerun(page, runs: Runs, action) -> tuple[float, float]:
    """Do an action, wait for its run and the idle page: (round trip s, server + websocket s)."""
    before, start = runs.finished, time.perf_counter()
    await action()
    while runs.finished == before:
        if time.perf_counter() - start > ACTION_TIMEOUT_S:
            raise TimeoutError("no run finished")
        await asyncio.sleep(0.005)
    await page.wait_for_function(IDLE_JS, timeout=ACTION_TIMEOUT_S * 1000, polling=10)
    return time.perf_counter() - start, runs.server_s


def click(name: str):
    """Alternate two buttons, e.g. Next / Back."""
    first, second = name.split("/")
    return lambda page, i: page.get_by_role("button", name=first if i % 2 == 0 else second).first.click()


def slide(label: str):
    """Move a slider one step right, then back."""

    def act(page, i):
        thumb = page.locator('[data-testid="stSlider"]', has_text=label).first.get_by_role("slider")
        return thumb.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")

    return act


# which page each client drives, and how (clients take these in turn)
CLIENTS = [
    ("playground", "playground step", "Convolution playground", click("Next/Back")),
    ("feature-maps", "feature-maps shift", "Feature maps", slide("Shift right")),
    ("predict?pred_source=sample", "predict sample", "Draw a digit", slide("Sample digit")),
]


async def client(browser, url: str, spec, deadline: float, results: dict, errors: list) -> None:
    """One student: open the page, repeat the interaction until the deadline."""
    path, name, heading, action = spec
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    runs = Runs(page)
    try:
        await page.goto(f"{url}/{path}", timeout=ACTION_TIMEOUT_S * 4000)
        await page.get_by_role("heading", name=heading).first.wait_for(timeout=ACTION_TIMEOUT_S * 4000)
        i = 0
        while time.perf_counter() < deadline:
            total, server = await rerun(page, runs, lambda i=i: action(page, i))
            results.setdefault(name, []).append((total, server))
            i += 1
        if await page.locator(EXCEPTION).count():
            errors.append(f"{name}: an exception is shown")
    except Exception as exc:  # a timeout or a lost page is an error of the run, counted and reported
        errors.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        await context.close()


async def trainer(browser, url: str, errors: list) -> None:
    """A student who starts a training and keeps the page open (its fragment polls once a second)."""
    context = await browser.new_context()
    page = await context.new_page()
    try:
        await page.goto(f"{url}/train?train_size=10000&train_epochs=5", timeout=120_000)
        await page.get_by_role("button", name="Start training").click(timeout=120_000)
    except Exception as exc:
        errors.append(f"training: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return context


def server_state(pid: int) -> str:
    """The server's resident memory and thread count, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status if ":" in line)
    return f"RSS {int(fields['VmRSS'].split()[0]) / 1024:.0f} MB, {fields['Threads'].strip()} threads"


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(url: str, clients: int, seconds: float) -> tuple[dict, list]:
    results: dict[str, list[tuple[float, float]]] = {}
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        trainers = [await trainer(browser, url, errors) for _ in range(2)]
        deadline = time.perf_counter() + seconds
        await asyncio.gather(
            *(client(browser, url, CLIENTS[n % len(CLIENTS)], deadline, results, errors) for n in range(clients))
        )
        for context in trainers:
            await context.close()
        await browser.close()
    return results, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    proc, url = start_server(free_port())
    try:
        before = server_state(proc.pid)
        started = time.perf_counter()
        results, errors = asyncio.run(run(url, args.clients, args.seconds))
        after = server_state(proc.pid)
    finally:
        stop_server(proc)
    print(f"{args.clients} clients + 2 trainings for {args.seconds:.0f} s (wall {time.perf_counter() - started:.0f} s)")
    print(f"{'interaction':22s} {'n':>4s} {'median':>8s} {'p95':>8s} {'server+ws median':>17s} {'p95':>8s}")
    for name, pairs in sorted(results.items()):
        totals, servers = [1000 * t for t, _ in pairs], [1000 * s for _, s in pairs]
        print(
            f"{name:22s} {len(pairs):4d} {statistics.median(totals):6.0f} ms {quantile(totals, 0.95):6.0f} ms "
            f"{statistics.median(servers):14.0f} ms {quantile(servers, 0.95):6.0f} ms"
        )
    print(f"server before: {before}; after: {after}")
    print(f"{len(errors)} error(s)" + "".join(f"\n  {e}" for e in errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
