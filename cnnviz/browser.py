"""Developer tooling, not part of the app: start app.py in a real Streamlit server and drive Chromium.

One place for the browser setup that the e2e tests (tests/e2e), the benchmarks and the screenshot
script share. Nothing in the app imports it. It needs the test extras (Playwright, imported by the
callers) and Debian's /usr/bin/chromium; it reads Streamlit's websocket messages, so it is the one
module besides ``ui`` that imports streamlit, and only when a page is watched. Everything here waits
by polling the page (or counting its websocket messages), never with fixed sleeps.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
EXCEPTION = '[data-testid="stException"]'
SIDEBAR_NAV = '[data-testid="stSidebarNav"]'
NAV_LINK = '[data-testid="stSidebarNavLink"]'
# The frontend first looks for the server under the page's own path (/pooling/_stcore/...) and
# falls back to the root: those 404s are part of how Streamlit finds its base URL, not errors.
BASE_PATH_PROBES = ("/_stcore/host-config", "/_stcore/health")
SERVER_START_TIMEOUT_S = 60.0
APP_TIMEOUT_MS = 30_000


def free_port() -> int:
    """A TCP port nobody listens on right now, so parallel runs do not collide."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    port: int, timeout_s: float = SERVER_START_TIMEOUT_S, script: Path | None = None
) -> tuple[subprocess.Popen, str]:
    """Start the app's server (`python -m cnnviz serve`) on `port`; return (process, base URL) once it is healthy.

    With ``script``, `streamlit run` serves that file instead, with the app's configuration (a
    benchmark's bare Streamlit page). The server leads its own process group and logs to a temporary
    file (a pipe nobody reads would fill up and freeze it); the log is shown when it fails to start.
    """
    # as `make run` starts the app: warmed up before it reports healthy
    serve = ["cnnviz", "serve"] if script is None else ["streamlit", "run", str(script)]
    cmd = [
        sys.executable,
        "-m",
        *serve,
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    proc.log = log  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.1)
    output = server_log(proc)
    stop_server(proc)
    raise RuntimeError(f"streamlit did not become healthy within {timeout_s:.0f} s:\n{output}")


BARE_PAGE = """import streamlit as st

st.title("A bare Streamlit page")
st.button("Next", key="bare_next")
st.write("A title, a button and this line: what any Streamlit page costs on this machine.")
"""


@contextmanager
def bare_server() -> Iterator[str]:
    """The URL of a server of a bare Streamlit page (a title, a button, a line) with the app's
    configuration: the machine's floor under any first visit and any rerun, which benchmarks print
    beside their figures so that runs on machines of different speeds can be compared."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bare.py"
        script.write_text(BARE_PAGE)
        proc, url = start_server(free_port(), script=script)
        try:
            yield url
        finally:
            stop_server(proc)


def server_log(proc: subprocess.Popen) -> str:
    """What the server printed so far (for failure messages)."""
    log = proc.log  # type: ignore[attr-defined]
    log.seek(0)
    return log.read().decode(errors="replace")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server and anything it spawned: its whole process group, SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    proc.log.close()  # type: ignore[attr-defined]


def launch_chromium(playwright):
    """Headless Debian Chromium: Playwright's own browsers cannot be downloaded here."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


_APP_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]') !== null
        && document.querySelector('[data-stale="true"]') === null
        && document.querySelector('[data-testid^="stSkeleton"], [data-testid="stAppSkeleton"]') === null
        && document.querySelector(
            '[data-testid="stBidiComponentRegular"]:not(:has(.cnnviz-figure svg, .cnnviz-markup > *))') === null;
}"""


def wait_for_app(page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the app is connected, its run is over, nothing is stale or still loading.

    Streamlit loads each widget's code on first use and shows a grey skeleton until then; our own
    figures and HTML blocks (cnnviz/frontend) count once their scripts have drawn them. A new session's page
    reads "not running" before its first run has drawn anything: an empty page is not idle.

    Polls the page itself (no fixed sleeps). Right after a click the state can still read
    "notRunning" for a few ms before the rerun starts: use ``wait_for_rerun`` for actions.
    """
    page.wait_for_function(_APP_IDLE_JS, timeout=timeout_ms, polling=10)


def ends_run(payload: bytes) -> bool:
    """Whether a message from the server ends a script run (not a run cut short by a newer rerun)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # only when a browser's messages are read

    msg = ForwardMsg()
    msg.ParseFromString(payload)
    early = msg.script_finished == ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
    return msg.WhichOneof("type") == "script_finished" and not early


class RunWatcher:
    """Counts the script runs the server reports as finished, read from Streamlit's websocket.

    The DOM is not enough to see a rerun: a fast run flips the script state to "running" and
    back within one React render, so the page may never show it.
    """

    def __init__(self, page) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg  # only when a browser page is watched

        self._back = BackMsg
        self.finished = 0
        self.sent_at = 0.0  # perf_counter() of the browser's last request for a run
        self.requested_at: list[float] = []  # perf_counter() of each request for a run
        self.last_round_trip_s = 0.0  # from the browser's last request for a run to that run's end
        self.finished_at: list[float] = []  # perf_counter() of each finished run, as its message came
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, websocket) -> None:
        if websocket.url.endswith("/_stcore/stream"):
            websocket.on("framesent", self._on_sent)
            websocket.on("framereceived", self._on_frame)

    def _on_sent(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        msg = self._back()
        msg.ParseFromString(payload)
        if msg.WhichOneof("type") == "rerun_script":
            self.sent_at = time.perf_counter()
            self.requested_at.append(self.sent_at)

    def answered(self, since: float) -> bool:
        """Whether the browser asked for a run after ``since`` and a run has finished since that request."""
        asked = min((t for t in self.requested_at if t >= since), default=None)
        return asked is not None and bool(self.finished_at) and self.finished_at[-1] >= asked

    def _on_frame(self, payload: bytes | str) -> None:
        if isinstance(payload, str) or not ends_run(payload):
            return
        self.finished += 1
        self.finished_at.append(time.perf_counter())
        self.last_round_trip_s = time.perf_counter() - self.sent_at


_WATCHERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def watch_runs(page) -> RunWatcher:
    """Start counting finished runs on `page`; call before the first goto (the `page` fixture does)."""
    return _WATCHERS.setdefault(page, RunWatcher(page))


@contextmanager
def fresh_page(browser, viewport: dict | None = None) -> Iterator:
    """A page in a new browser context (its own cookies, so its own Streamlit session and identity),
    already watching script runs for ``wait_for_rerun``; the context is closed afterwards."""
    context = browser.new_context(viewport=viewport or VIEWPORT)
    try:
        page = context.new_page()
        watch_runs(page)
        yield page
    finally:
        context.close()


def wait_for_rerun(page, action: Callable[[], object], timeout_ms: int = APP_TIMEOUT_MS) -> float:
    """Do `action` (a click, a fill...), wait for the run it triggers; return seconds it took.

    The run is the one the browser asks for after the action (not a run still finishing from
    before it, such as a page's second run on load)."""
    watcher = _WATCHERS.get(page)
    if watcher is None:
        raise RuntimeError("call watch_runs(page) before page.goto to use wait_for_rerun")
    start = time.perf_counter()
    action()
    while not watcher.answered(start):
        if time.perf_counter() - start > timeout_ms / 1000:
            raise TimeoutError(f"no script run finished within {timeout_ms} ms of the action")
        page.wait_for_timeout(2)  # lets Playwright deliver websocket frames
    wait_for_app(page, timeout_ms)
    return time.perf_counter() - start


def collect_console_errors(page) -> list[str]:
    """Console errors and uncaught page exceptions, as they happen (attach before goto)."""
    errors: list[str] = []

    def on_console(msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource") and url.endswith(BASE_PATH_PROBES):
            return
        errors.append(f"{msg.text} ({url})" if url else msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return errors
