"""A class arrives at once: N browsers drive the playground, feature maps and predict while two train.

    python benchmarks/load.py [--clients 10] [--seconds 60] [--think 0.5] [--browser-nice 0]

Starts its own server (as `make run` does) and one headless Chromium with N contexts (N Streamlit
sessions). Two more contexts start a training on the Train page and keep watching it (its
once-a-second update). Then:
1. all N open their page together (timed: a class arriving at once);
2. once every page is up, each repeats its interaction until the time is up, `--think` seconds
   apart: Next/Back on the playground, a shift on Feature maps, another sample digit on Draw &
   predict.
For each interaction it records the browser round trip (from the action to the idle page) and two
measures of its server + websocket part, from the browser's rerun message to that run's
script_finished message:
- "at the server": timed by a relay (`benchmarks/ws_relay.py`, its own process at the server's
  priority) that every student's context connects through: the server's work plus loopback, what
  the server controls;
- "in the browser": both messages timestamped by Chromium (CDP Network events), so neither the page's
  drawing nor Playwright's own message delivery is counted, but a browser starved of CPU (the ten
  share this machine's two cores) adds its own delay in taking the messages in.
Prints median and p95 per interaction, the errors (exceptions on a page, timeouts), the server's
memory (RSS), thread count and CPU time before and after, and how long the server's threads ran and
waited for a CPU while the class worked (/proc schedstat): a server part that grows while the server
ran little and waited long is the machine's CPU going to the browsers, not the server's own work.

Here the browsers share the 2 cores with the server, which a classroom's own devices do not: the
browser's session gets as much CPU as the server's (Linux autogroups), and run as root Chromium
even raises its own display threads to nice -8. `--browser-nice 10` holds the browser's session
and every Chromium thread at nice 10 instead, so the server gets the CPU time it would have with
the browsers on the students' devices (both are reported in docs/benchmarks.md).
Bounded in time; it stops by itself and talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from cnnviz.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    EXCEPTION,
    ends_run,
    free_port,
    start_server,
    stop_server,
)

sys.path.insert(0, str(ROOT / "benchmarks"))
import ws_relay  # noqa: E402

ACTION_TIMEOUT_S = 30.0
TRAINING = "train_size=60000&train_epochs=10"  # minutes of work: the two run through the whole measurement
OPEN_TIMEOUT_S = 180.0
IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('[data-stale="true"]') === null;
}"""


class Relayed:
    """The relay's timings by port, filled from its queue by a thread: (runs finished, seconds of the last)."""

    def __init__(self, queue) -> None:
        self.by_port: dict[int, tuple[int, float]] = {}
        threading.Thread(target=self._read, args=(queue,), daemon=True).start()

    def _read(self, queue) -> None:
        while True:
            port, seconds = queue.get()
            count, _ = self.by_port.get(port, (0, 0.0))
            self.by_port[port] = (count + 1, seconds)


class Runs:
    """A page's finished script runs, and the server + websocket time of the last one, two ways.

    In the browser: Chromium's own network timestamps (CDP Network.webSocketFrameSent / Received) of
    the rerun message leaving and the script_finished message arriving. At the server: the relay's."""

    def __init__(self, cdp, relayed: Relayed, port: int) -> None:
        self.finished, self.sent_at, self.server_s = 0, 0.0, 0.0
        self.relayed, self.port = relayed, port
        cdp.on("Network.webSocketFrameSent", self._sent)
        cdp.on("Network.webSocketFrameReceived", self._received)

    def at_server(self) -> tuple[int, float]:
        return self.relayed.by_port.get(self.port, (0, 0.0))

    def _sent(self, event: dict) -> None:
        self.sent_at = event["timestamp"]

    def _received(self, event: dict) -> None:
        frame = event["response"]
        if frame.get("opcode") != 2:  # Streamlit's messages are binary frames
            return
        if ends_run(base64.b64decode(frame["payloadData"])):
            self.finished += 1
            self.server_s = event["timestamp"] - self.sent_at


async def watched_page(context, relayed: Relayed, port: int):
    """A new page whose websocket frames are timestamped by Chromium (a CDP session on the page) and the relay."""
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    return page, Runs(cdp, relayed, port)


async def rerun(page, runs: Runs, action) -> tuple[float, float, float]:
    """Do an action, wait for its run and the idle page: (round trip, at the server, in the browser) in s."""
    before, relayed_before, start = runs.finished, runs.at_server()[0], time.perf_counter()
    await action()
    while runs.finished == before or runs.at_server()[0] == relayed_before:
        if time.perf_counter() - start > ACTION_TIMEOUT_S:
            raise TimeoutError("no run finished")
        await asyncio.sleep(0.005)
    await page.wait_for_function(IDLE_JS, timeout=ACTION_TIMEOUT_S * 1000, polling=10)
    return time.perf_counter() - start, runs.at_server()[1], runs.server_s


def click(prefix: str):
    """Alternate Next and Back of a step row (by key: hidden clicker buttons share the names)."""
    return lambda page, i: page.locator(f".st-key-{prefix}_{'next' if i % 2 == 0 else 'back'} button").click()


def slide(label: str):
    """Move a slider one step right, then back."""

    def act(page, i):
        thumb = page.locator('[data-testid="stSlider"]', has_text=label).first.get_by_role("slider")
        return thumb.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")

    return act


# which page each client drives, and how (clients take these in turn)
CLIENTS = [
    ("playground", "playground step", "Convolution playground", click("pg")),
    ("feature-maps", "feature-maps shift", "Feature maps", slide("Shift right")),
    ("predict?pred_source=sample", "predict sample", "Draw a digit", slide("Sample digit")),
]


async def client(browser, port: int, spec, start: asyncio.Barrier, until: list[float], log: dict) -> None:
    """One student (through the relay's `port`): open the page with the others, then repeat the interaction."""
    path, name, heading, action = spec
    url = f"http://127.0.0.1:{port}"
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page, runs = await watched_page(context, log["relayed"], port)
        opened = time.perf_counter()
        try:
            await page.goto(f"{url}/{path}", timeout=OPEN_TIMEOUT_S * 1000)
            await page.get_by_role("heading", name=heading).first.wait_for(timeout=OPEN_TIMEOUT_S * 1000)
            await page.wait_for_function(IDLE_JS, timeout=OPEN_TIMEOUT_S * 1000, polling=10)
            log["open"].append(time.perf_counter() - opened)
        finally:
            await start.wait()  # every client waits for the whole class, opened or not
        i = 0
        while time.perf_counter() < until[0]:
            timings = await rerun(page, runs, lambda i=i: action(page, i))
            log["results"].setdefault(name, []).append(timings)
            i += 1
            await asyncio.sleep(log["think"])
        if await page.locator(EXCEPTION).count():
            log["errors"].append(f"{name}: an exception is shown")
    except Exception as exc:  # a timeout or a lost page is an error of the run, counted and reported
        log["errors"].append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        await context.close()


async def trainer(browser, url: str, errors: list):
    """A student who starts a training and keeps the page open (its fragment polls once a second)."""
    context = await browser.new_context()
    page = await context.new_page()
    try:
        await page.goto(f"{url}/train?{TRAINING}", timeout=120_000)
        await page.get_by_role("button", name="Start training").click(timeout=120_000)
    except Exception as exc:
        errors.append(f"training: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return context


def chromium_threads() -> dict[int, list[int]]:
    """Every Chromium process on this machine and its threads (/proc)."""
    threads = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().startswith("chromium"):
                threads[int(entry.name)] = [int(task.name) for task in (entry / "task").iterdir()]
        except OSError:
            continue
    return threads


async def keep_browsers_niced(niceness: int, stop: asyncio.Event) -> None:
    """Hold Chromium at ``niceness`` until ``stop``, as students' browsers run on their own devices.

    Linux schedules by session first (autogroups: /proc/sys/kernel/sched_autogroup_enabled): the
    browser's session and the server's get equal CPU shares whatever their threads' nice values,
    so the browser's whole group is niced (/proc/PID/autogroup). Within the group, run as root,
    Chromium raises its browser, GPU and compositor threads to nice -8; every thread is niced too,
    which is what counts where there are no autogroups. Chromium sets them again as pages come and
    go, so this looks again every half second."""
    while not stop.is_set():
        for pid, tids in chromium_threads().items():
            try:
                Path(f"/proc/{pid}/autogroup").write_text(str(niceness))
            except OSError:
                pass  # no autogroups here
            for tid in tids:
                try:
                    os.setpriority(os.PRIO_PROCESS, tid, niceness)
                except OSError:
                    continue
        try:
            await asyncio.wait_for(stop.wait(), timeout=0.5)
        except TimeoutError:
            pass


def server_state(pid: int) -> str:
    """The server's resident memory, thread count and CPU time so far, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status if ":" in line)
    ticks = sum(int(v) for v in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13])
    cpu = ticks / os.sysconf("SC_CLK_TCK")
    return f"RSS {int(fields['VmRSS'].split()[0]) / 1024:.0f} MB, {fields['Threads'].strip()} threads, CPU {cpu:.0f} s"


def cpu_times(pid: int) -> dict[int, tuple[int, int]]:
    """Each server thread's ns on a CPU and ns runnable but waiting for one (/proc/PID/task/TID/schedstat)."""
    times = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            ran, waited, _ = task.joinpath("schedstat").read_text().split()
        except (OSError, ValueError):
            continue  # the thread ended meanwhile, or no schedstat in this kernel
        times[int(task.name)] = (int(ran), int(waited))
    return times


def cpu_share(before: dict[int, tuple[int, int]], after: dict[int, tuple[int, int]], seconds: float) -> str:
    """How long the server's threads (those alive at the end) ran and waited for a CPU in between."""
    ran = sum(r - before.get(tid, (0, 0))[0] for tid, (r, _) in after.items()) / 1e9
    waited = sum(w - before.get(tid, (0, 0))[1] for tid, (_, w) in after.items()) / 1e9
    return f"in {seconds:.0f} s of class work the server's threads ran {ran:.1f} s and waited {waited:.1f} s for a CPU"


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(url: str, pid: int, ports: list[int], relayed: Relayed, args: argparse.Namespace) -> dict:
    log = {"results": {}, "errors": [], "open": [], "think": args.think, "relayed": relayed, "phases": []}
    began = time.perf_counter()

    def phase(name: str) -> None:
        log["phases"].append(f"{name} {time.perf_counter() - began:.0f} s")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        trainers = [await trainer(browser, url, log["errors"]) for _ in range(args.trainings)]
        phase("trainings started")
        start, until = asyncio.Barrier(args.clients + 1), [float("inf")]
        students = [
            asyncio.create_task(client(browser, ports[n], CLIENTS[n % len(CLIENTS)], start, until, log))
            for n in range(args.clients)
        ]
        stop = asyncio.Event()
        niced = asyncio.create_task(keep_browsers_niced(args.browser_nice, stop)) if args.browser_nice else None
        await start.wait()  # the class is in: measure from here
        phase("every page open")
        until[0], cpu_before = time.perf_counter() + args.seconds, cpu_times(pid)
        await asyncio.gather(*students)
        phase("work done")
        log["cpu"] = cpu_share(cpu_before, cpu_times(pid), time.perf_counter() - until[0] + args.seconds)
        stop.set()
        if niced is not None:
            await niced
        for context in trainers:
            await context.close()
        await browser.close()
        phase("browser closed")
    return log


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the class works once every page is up")
    parser.add_argument("--think", type=float, default=0.5, help="seconds each student waits between actions")
    parser.add_argument("--trainings", type=int, default=2, help="sessions training (and watching it) meanwhile")
    parser.add_argument("--browser-nice", type=int, default=0, help="run Chromium at this niceness (0: as it is)")
    args = parser.parse_args()
    server_port, ports = free_port(), [free_port() for _ in range(args.clients)]
    proc, url = start_server(server_port)
    relay, queue = ws_relay.start(ports, server_port)
    try:
        before = server_state(proc.pid)
        started = time.perf_counter()
        log = asyncio.run(run(url, proc.pid, ports, Relayed(queue), args))
        after = server_state(proc.pid)
    finally:
        relay.kill()
        stop_server(proc)
    opened = log["open"]
    print(
        f"{args.clients} clients + {args.trainings} trainings, {args.think:.1f} s between actions, browsers at nice "
        f"{args.browser_nice}, {args.seconds:.0f} s of work (wall {time.perf_counter() - started:.0f} s)"
    )
    if opened:
        print(f"opening the pages all at once: median {statistics.median(opened):.1f} s, slowest {max(opened):.1f} s")
    print(f"{'':27s} {'round trip':>17s}   server+ws at the server   in the browser")
    print(f"{'interaction':22s} {'n':>4s}" + f" {'median':>8s} {'p95':>8s}  " * 3)
    for name, rows in sorted(log["results"].items()):
        columns = [[1000 * row[i] for row in rows] for i in range(3)]
        cells = "   ".join(f"{statistics.median(c):5.0f} ms {quantile(c, 0.95):5.0f} ms" for c in columns)
        print(f"{name:22s} {len(rows):4d} {cells}")
    print(f"server before: {before}; after: {after}")
    print(log["cpu"])
    print("timeline: " + ", ".join(log["phases"]))
    errors = log["errors"]
    print(f"{len(errors)} error(s)" + "".join(f"\n  {e}" for e in errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
