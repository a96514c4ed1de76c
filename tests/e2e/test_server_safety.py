"""Safe defaults of a real server: loopback only, no outbound connection, no error details in the page.

Each test starts its own Streamlit server with a ``sitecustomize`` on ``PYTHONPATH`` that refuses (and
logs) every socket connection to an address outside the loopback range, then drives it with Chromium.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from cnnviz.browser import (
    APP_TIMEOUT_MS,
    EXCEPTION,
    ROOT,
    SERVER_START_TIMEOUT_S,
    free_port,
    server_log,
    stop_server,
    wait_for_app,
)

OUTBOUND = "CNNVIZ-OUTBOUND"
GUARD = f'''
import socket, sys, ipaddress
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex

def _local(address):
    if not isinstance(address, tuple):
        return True  # a Unix socket
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False

def _guard(method):
    def guarded(self, address):
        if not _local(address):
            sys.stderr.write("{OUTBOUND} %r\\n" % (address,))
            sys.stderr.flush()
            raise OSError("outbound connection refused by the test")
        return method(self, address)
    return guarded

socket.socket.connect, socket.socket.connect_ex = _guard(_connect), _guard(_connect_ex)
'''


def _start(cmd: list[str], url: str, guard_dir: Path) -> subprocess.Popen:
    """Run a server command with the connection guard; return it once healthy."""
    env = {**os.environ, "PYTHONPATH": f"{guard_dir}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    output = server_log(proc)
    stop_server(proc)
    raise RuntimeError(f"the server did not become healthy:\n{output}")


@pytest.fixture
def guard_dir(tmp_path: Path) -> Path:
    (tmp_path / "sitecustomize.py").write_text(GUARD)
    return tmp_path


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on the port (from /proc/net/tcp and tcp6)."""
    found = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            hex_ip, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                raw = bytes.fromhex(hex_ip)
                # the kernel writes each 32-bit word in host (little-endian) order
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(str(ipaddress.ip_address(words if width == 32 else raw[::-1])))
    return found


def _visit_playground(browser, url: str) -> None:
    """Open the playground and wait for its title: the websocket connected and the page ran."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{url}/playground", timeout=APP_TIMEOUT_MS)
        page.get_by_role("heading", name="Convolution playground").wait_for(timeout=APP_TIMEOUT_MS)
        wait_for_app(page)
        assert page.locator(EXCEPTION).count() == 0
    finally:
        context.close()


@pytest.mark.e2e
def test_default_server_listens_on_loopback_only_and_connects_nowhere(browser, guard_dir):
    port = free_port()
    cmd = [sys.executable, "-m", "cnnviz", "serve", "--server.port", str(port)]  # what `make run` starts
    proc = _start(cmd, f"http://127.0.0.1:{port}", guard_dir)
    try:
        _visit_playground(browser, f"http://localhost:{port}")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/host-config") as answer:
            host = json.load(answer)
        assert host["allowedOrigins"] == []  # no framing site may steer the app by postMessage
        addresses = _listening_addresses(port)
        assert addresses and all(ipaddress.ip_address(a).is_loopback for a in addresses), addresses
        log = server_log(proc)
    finally:
        stop_server(proc)
    assert OUTBOUND not in log, log
    assert "External URL" not in log and "Network URL" not in log, log


@pytest.mark.e2e
def test_make_serve_binds_the_named_address_and_connects_nowhere(browser, guard_dir):
    port, address = free_port(), "127.0.0.2"  # a loopback address that is not 127.0.0.1
    # -o: the recipe as written, without re-running the venv setup (that is `make test`'s job)
    cmd = [
        "make",
        "--no-print-directory",
        "-o",
        ".venv/.installed",
        "serve",
        f"SERVE_ADDRESS={address}",
        f"SERVE_PORT={port}",
    ]
    proc = _start(cmd, f"http://{address}:{port}", guard_dir)
    try:
        # the websocket's origin is the served address: accepted because it is named, not looked up
        _visit_playground(browser, f"http://{address}:{port}")
        assert _listening_addresses(port) == {address}
        log = server_log(proc)
    finally:
        stop_server(proc)
    assert OUTBOUND not in log, log
    assert f"URL: http://{address}:{port}" in log, log


@pytest.mark.e2e
def test_an_unexpected_error_shows_a_short_notice_and_no_path(browser, guard_dir, tmp_path):
    secret = tmp_path / "secret-folder" / "boom.py"
    secret.parent.mkdir()
    secret.write_text(
        textwrap.dedent("""
        import streamlit as st
        st.title("About to fail")
        raise RuntimeError(f"internal failure reading {__file__}")
        """)
    )
    port = free_port()
    # run from the project root, so the project's .streamlit/config.toml applies
    cmd = [sys.executable, "-m", "streamlit", "run", str(secret), "--server.port", str(port)]
    proc = _start(cmd, f"http://127.0.0.1:{port}", guard_dir)
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/", timeout=APP_TIMEOUT_MS)
        wait_for_app(page)
        page.locator(EXCEPTION).wait_for(timeout=APP_TIMEOUT_MS)
        text = page.inner_text("body")
        html = page.content()
        context.close()
        log = server_log(proc)
    finally:
        stop_server(proc)
    assert "encountered an error" in text
    for leaked in (str(secret), "secret-folder", "RuntimeError", "Traceback", "internal failure", str(ROOT)):
        assert leaked not in html, leaked
    # the details are on the server, for whoever runs it
    assert "RuntimeError: internal failure" in log and "Traceback" in log
