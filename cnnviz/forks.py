"""Processes forked from a helper that has already imported torch: a training process starts in milliseconds.

Why not ``multiprocessing``: its children import the parent's ``__main__`` again, and under Streamlit
that is the app script (the script runner installs each run's module as ``__main__``), so every
training process would run the whole app. Why not a fresh interpreter per training: importing torch
and what its first optimizer step imports (``torch._dynamo``) takes about 3.5 s of CPU here.

The helper is a single-threaded ``python -c`` process, started once (``ensure_running``) in a
session of its own at the priority it is given, which its children inherit. It imports PRELOAD,
then for each request receives one end of a socket pair with the name of a function, and forks; the
child sends its pid, then calls the function with the socket as a
``multiprocessing.connection.Connection`` (pickled messages: our own data between our own
processes, never a user's file). The kernel reaps the children (the helper ignores SIGCHLD); a child
ends when its function returns, and the helper when the server's end of its socket closes, so
neither outlives the server.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

PRELOAD = ("torch", "torch._dynamo", "cnnviz.worker")
READY = b"r"  # the helper's one message on its own socket: imports done
START_TIMEOUT_S = 120.0  # the helper's imports take seconds; a busy machine may stretch them a lot
_LOCK = threading.Lock()
_helper: tuple[subprocess.Popen, socket.socket] | None = None
_ready: subprocess.Popen | None = None  # the helper that has said its imports are done


class ForkError(RuntimeError):
    """No process could be started for the work."""


def ensure_running(nice: int) -> None:
    """Start the helper (at priority ``nice``) unless it runs; returns at once, its imports go on alone."""
    if not hasattr(os, "fork"):
        raise ForkError("Training on the page needs a system that can fork processes (Linux or macOS).")
    global _helper
    with _LOCK:
        if _helper is not None and _helper[0].poll() is None:
            return
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[1])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
            # torch.cuda.is_available() through NVML, which leaves the CUDA driver uninitialised: a CUDA
            # context made before a fork is unusable in the child, and the children train on the GPU
            "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
        }
        code = f"from cnnviz.forks import _helper_main; _helper_main({theirs.fileno()}, {nice})"
        process = subprocess.Popen(
            [sys.executable, "-c", code], pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, env=env
        )
        theirs.close()
        _helper = process, ours


def wait_ready(timeout_s: float = START_TIMEOUT_S) -> bool:
    """Wait until the running helper has done its imports (it says so once); False if it has not in time."""
    global _ready
    with _LOCK:
        if _helper is None or _helper[0].poll() is not None:
            return False
        process, channel = _helper
        if _ready is not process:
            channel.settimeout(timeout_s)
            try:
                if channel.recv(1) == READY:
                    _ready = process
            except TimeoutError:
                pass
            finally:
                channel.settimeout(None)
        return _ready is process


def fork(target: str, nice: int) -> tuple[Connection, int]:
    """A new process running ``target`` ("module:function") on the other end of the connection; and its pid."""
    ensure_running(nice)
    ours, theirs = socket.socketpair()
    conn = Connection(ours.detach())
    with _LOCK:  # one request at a time: each is read whole before the next is sent
        process, channel = _helper
        try:
            socket.send_fds(channel, [target.encode()], [theirs.fileno()])
            deadline = time.monotonic() + START_TIMEOUT_S
            while not conn.poll(0.2):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise ForkError("The helper that starts training processes did not answer.")
            return conn, conn.recv()
        except (OSError, EOFError) as exc:
            conn.close()
            raise ForkError("The helper that starts training processes has stopped.") from exc
        except ForkError:
            conn.close()
            raise
        finally:
            theirs.close()


def alive(pid: int) -> bool:
    """Whether the process still runs (its parent, the helper, reaps it as soon as it ends)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def set_priority(nice: int) -> None:
    """Run this thread, and every thread and process it starts from now on, at ``nice``."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    except (OSError, AttributeError):
        pass  # not allowed (or not POSIX): run at the priority it has


def _helper_main(fd: int, nice: int) -> None:
    """The helper's life: import once, then fork a child per request until the server goes away."""
    _background_session(nice)
    set_priority(nice)
    for name in PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    channel = socket.socket(fileno=fd)
    channel.sendall(READY)
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(channel, 1024, 1)
        except OSError:
            return
        if not message:
            return  # the server closed its end
        if not fds:
            continue
        if os.fork() == 0:
            channel.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _child_main(message.decode(), fds[0])
        os.close(fds[0])


def _background_session(nice: int) -> None:
    """A session of its own, niced as a whole, so that its children count as background work.

    Where Linux schedules by session first (autogroups, the default on many systems), a niced
    process inside the server's session still draws on that session's full share; a session of its
    own at ``nice`` competes with the server's (and a teacher's browser's) as the background work
    it is. It still ends with the server: its socket closes then."""
    try:
        os.setsid()
        Path("/proc/self/autogroup").write_text(str(nice))
    except (OSError, AttributeError):
        pass  # no autogroups (or not allowed): the process's own nice value is what counts


def _child_main(target: str, fd: int) -> None:
    """A forked child: say its pid, run the target with the connection, and leave without the helper's cleanup."""
    code = 0
    try:
        conn = Connection(fd)
        conn.send(os.getpid())
        module, function = target.split(":")
        getattr(importlib.import_module(module), function)(conn)
    except BaseException:  # noqa: BLE001 - whatever happens, this process must end here
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)
