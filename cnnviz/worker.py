"""The training process: the engine and its recorder in a child process, one step per request.

Why a process: the web server runs every session's script in one Python process. A training thread
there holds the GIL for its Python work (the optimizer's bookkeeping, each step's record, the
recorder), and at background priority on a busy CPU it can be descheduled while holding it, so the
scripts of a whole class waited behind two trainings. In its own process a training shares only the
CPU, at a lower OS priority (``nice``), and the server's threads never wait for it.

The job (``cnnviz.jobs``) keeps the pace, pause, stop and heartbeat; this process only answers its
requests over a pipe, in lockstep, so "at most the step in flight finishes" still holds:

    job -> process: ("start",) | ("step", started, paused_s) | ("result",) | ("weights",) | ("close",)
    process -> job: ("update", changes) | ("end", None) | ("failed", message) | ("weights", arrays)

Before those, the job sends the run's settings and data (one message). Curves travel as the points
added since the last reply (the job keeps the whole curve), so a step's message stays small however
long the run. The process is forked by ``cnnviz.forks``'s helper, which has torch imported already:
it starts in milliseconds, and the threaded web server itself is never forked.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import torch

from cnnviz import forks
from cnnviz.advice import explain_failure
from cnnviz.data import Split
from cnnviz.models import LayeredCNN
from cnnviz.progress import Recorder
from cnnviz.train import StepRecord, TrainConfig, make_model, train

CURVES = ("train_curve", "test_curve")
POLL_S = 0.5  # how often a waiting job checks that its process is still alive
CLOSE_S = 5.0  # how long a process may take to end after "close" before it is killed
DIED = (
    "The training process ended unexpectedly (perhaps it was killed because the machine ran out of memory). "
    "Start the training again."
)


class TrainingFailed(RuntimeError):
    """The run failed in its process; the message is already one a student can act on."""


def _portable(split: Split) -> tuple[np.ndarray, np.ndarray, Any]:
    """A split as numpy arrays: pickled as plain bytes, not moved into shared memory behind our back."""
    return split.images.numpy(), split.labels.numpy(), split.info


def _split(portable: tuple[np.ndarray, np.ndarray, Any]) -> Split:
    images, labels, info = portable
    return Split(torch.from_numpy(images), torch.from_numpy(labels), info)


class TrainingProcess:
    """The job's handle on one training process: each method is one request and its answer."""

    def __init__(
        self,
        config: TrainConfig,
        train_split: Split,
        test_split: Split,
        snapshot_every: int | None,
        threads: int,
        nice: int,
    ):
        """Start the process; ``nice`` is the absolute priority it trains at."""
        train_split = train_split.subset(config.train_size, config.seed)  # only the images it trains on travel
        try:
            self._conn, self.pid = forks.fork(f"{__name__}:_serve", nice)
        except forks.ForkError as exc:
            raise TrainingFailed(f"{exc} Start the training again.") from exc
        try:
            self._conn.send((config, _portable(train_split), _portable(test_split), snapshot_every, threads, nice))
        except OSError as exc:
            self.close()
            raise TrainingFailed(DIED) from exc

    def start(self) -> dict[str, Any]:
        """The untrained network's first test point and snapshot."""
        return self._ask(("start",))

    def step(self, started: float, paused_s: float) -> dict[str, Any] | None:
        """One more record's changes (a step or an epoch's end); None when the run is over.

        ``started`` and ``paused_s`` are the job's perf_counter start and paused time (the same
        monotonic clock in both processes), so speed and time left leave out the pauses."""
        return self._ask(("step", started, paused_s))

    def result(self) -> dict[str, Any]:
        """The finished model measured on the whole test set."""
        return self._ask(("result",))

    def weights_into(self, model: LayeredCNN) -> None:
        """Copy the process's trained weights into the job's model (on the CPU)."""
        arrays = self._ask(("weights",))
        model.load_state_dict({name: torch.from_numpy(array) for name, array in arrays.items()})

    def close(self) -> None:
        """End the process: ask, and kill it only if it still holds its end of the socket after CLOSE_S.

        Its end closing (end of file here) means it has gone, so a kill never reaches another
        process that got its pid since; a short wait lets it disappear from the process table."""
        try:
            self._conn.send(("close",))
            gone = self._conn.poll(CLOSE_S)
        except (OSError, ValueError):
            gone = True  # its end is closed already
        self._conn.close()
        if not gone:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # it went just now
        deadline = time.monotonic() + CLOSE_S
        while forks.alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.005)

    def _ask(self, request: tuple) -> Any:
        """Send one request and wait for its answer, noticing a process that died meanwhile."""
        try:
            self._conn.send(request)
            while not self._conn.poll(POLL_S):
                if not forks.alive(self.pid):
                    raise EOFError
            kind, payload = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise TrainingFailed(DIED) from exc
        if kind == "failed":
            raise TrainingFailed(payload)
        return None if kind == "end" else payload


def _serve(conn: Connection) -> None:
    """The child's whole life: take the run's settings and data, then answer until told to close or left alone."""
    try:
        config, train_portable, test_portable, snapshot_every, threads, nice = conn.recv()
    except (EOFError, OSError):
        return
    forks.set_priority(nice)
    torch.set_num_threads(threads)
    train_split, test_split = _split(train_portable), _split(test_portable)
    model = make_model(config)
    recorder = Recorder(model, config, len(train_split), test_split, snapshot_every)
    records = train(config, model, train_split, recorder.curve_split)
    sent = {curve: 0 for curve in CURVES}
    handlers: dict[str, Callable[..., tuple[str, Any]]] = {
        "start": lambda: ("update", _tails(recorder.start(), sent)),
        "step": lambda started, paused_s: _next(records, recorder, sent, started, paused_s),
        "result": lambda: ("update", {"result": recorder.result()}),
        "weights": lambda: ("weights", _arrays(model)),
    }
    try:
        while True:
            kind, *args = conn.recv()
            if kind == "close":
                return
            try:
                conn.send(handlers[kind](*args))
            except Exception as exc:  # the job shows it as a message, never a traceback
                conn.send(("failed", explain_failure(exc, config)))
    except (EOFError, OSError, KeyboardInterrupt):
        return  # the job (or the whole server) went away: nothing left to answer
    finally:
        records.close()


def _next(records, recorder: Recorder, sent: dict[str, int], started: float, paused_s: float) -> tuple[str, Any]:
    """Pull the engine's next record and turn it into Progress changes."""
    record = next(records, None)
    if record is None:
        return "end", None
    if isinstance(record, StepRecord):

        def active() -> float:
            return max(0.0, time.perf_counter() - started - paused_s)

        return "update", _tails(recorder.step(record, active), sent)
    return "update", _tails(recorder.epoch(record), sent)


def _tails(changes: dict[str, Any], sent: dict[str, int]) -> dict[str, Any]:
    """Replace each whole curve by the points not sent yet."""
    for curve in CURVES:
        if curve in changes:
            points = changes[curve]
            changes[curve], sent[curve] = points[sent[curve] :], len(points)
    return changes


def _arrays(model: LayeredCNN) -> dict[str, np.ndarray]:
    return {name: tensor.detach().cpu().contiguous().numpy() for name, tensor in model.state_dict().items()}
