"""Training off the script thread: one job per browser, polled by the page.

A ``TrainingJob`` drives a ``cnnviz.worker.TrainingProcess`` (the engine in a child process, so its
Python never holds the server's GIL) from a daemon thread, and keeps a lock-protected record of its
progress; the page reads copies of it (``progress()``) and neither the thread nor the process touches
Streamlit. Pause means the thread stops asking the process for records; stop sets the Event it checks
before every request, so at most the step in flight finishes.

Pace: before each request the thread waits at a ``cnnviz.gate.StepGate`` (always open unless a test
holds it), and the heartbeat reads an injectable ``clock``, so tests set the pace.

Lifetime: a job outlives the Streamlit session that started it (a reload must not stop it; the
browser's entry in ``cnnviz.sessions`` keeps it), but stops itself when nobody has looked at it
(``touch()``: the Train page's polling, or any page run of that browser) for ``UNWATCHED_S``
seconds, even when paused. The registry caps the trainings running on the server at ``MAX_JOBS``.

CPU: each training process runs ``THREADS_PER_JOB`` = cores // ``MAX_JOBS`` torch threads (1 on a
2-core machine), at ``NICE`` below the server: two trainings get a core each instead of OpenMP
threads fighting over two cores, and the web server's threads go first.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from cnnviz.advice import explain_failure
from cnnviz.card import build_card
from cnnviz.data import DATASETS, Split
from cnnviz.gate import StepGate
from cnnviz.models import MODELS, LayeredCNN
from cnnviz.progress import Progress, watched
from cnnviz.train import TrainConfig, make_model, resolve_device, steps_per_epoch
from cnnviz.weights import weights_to_bytes
from cnnviz.worker import CURVES, TrainingFailed, TrainingProcess

MAX_JOBS = int(os.environ.get("CNNVIZ_MAX_TRAININGS", "2"))
THREADS_PER_JOB = max(1, (os.cpu_count() or 1) // max(1, MAX_JOBS))
UNWATCHED_S = 5 * 60  # a training nobody has looked at for this long stops (a slot is precious)
NICE = 10
ACTIVE = ("running", "paused")


class TrainingBusyError(RuntimeError):
    """The server already runs as many trainings as it allows."""


class TrainingJob:
    """One training run in its own process, driven by a thread; the page polls progress(), calls pause/resume/stop."""

    def __init__(
        self,
        config: TrainConfig,
        train_split: Split,
        test_split: Split,
        *,
        snapshot_every: int | None = None,
        heartbeat_timeout: float | None = UNWATCHED_S,
        threads: int = THREADS_PER_JOB,
        gate: StepGate | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_exit: Callable[[TrainingJob], None] | None = None,
    ):
        self.id = uuid.uuid4().hex[:8]
        self.config = config
        self.model: LayeredCNN = make_model(config)
        self.threads, self.heartbeat_timeout, self._on_exit = threads, heartbeat_timeout, on_exit
        self.train_size = min(len(train_split), config.train_size or len(train_split))
        self._splits: tuple[Split, Split] | None = (train_split, test_split)
        self._snapshot_every = snapshot_every
        self._process: TrainingProcess | None = None
        self.watch = watched(test_split)
        self._lock = threading.Lock()
        self._stop, self._resume = threading.Event(), threading.Event()
        self._resume.set()
        self._stop_reason = "Stopped."
        self._gate, self._clock = gate or StepGate(), clock
        self._last_seen = clock()
        total_steps = steps_per_epoch(self.train_size, config.batch_size) * config.epochs
        self._progress = Progress("idle", config, total_steps)
        self._started, self._ended, self._paused_s, self._weights = 0.0, 0.0, 0.0, b""
        self._paused_from: float | None = None
        self._thread = threading.Thread(target=self._run, name=f"cnnviz-train-{self.id}", daemon=True)

    # --- control (any thread) ---
    def start(self) -> TrainingJob:
        """Start the thread that drives the training process."""
        self._update(status="running")
        self._thread.start()
        return self

    def pause(self) -> None:
        """Hold training after the step in flight, keeping everything learned so far."""
        with self._lock:
            if self._progress.status == "running":
                self._resume.clear()
                self._progress = replace(self._progress, status="paused")
        self._gate.wake()

    def resume(self) -> None:
        """Carry on after a pause."""
        with self._lock:
            if self._progress.status == "paused":
                self._progress = replace(self._progress, status="running")
                self._resume.set()
        self._gate.wake()

    def stop(self, reason: str = "Stopped.") -> None:
        """Ask the worker to stop before its next step; returns at once (join() waits)."""
        with self._lock:
            if not self._stop.is_set():
                self._stop_reason = reason
                self._stop.set()
        self._resume.set()
        self._gate.wake()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to end; True when it has."""
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def touch(self) -> None:
        """Say someone is still watching (the page calls this on every poll)."""
        self._last_seen = self._clock()

    @property
    def pid(self) -> int | None:
        """The training process's, once it has started."""
        return None if self._process is None else self._process.pid

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def progress(self) -> Progress:
        """The latest state, consistent and safe to read while the worker runs."""
        with self._lock:
            return self._progress

    def card(self) -> dict[str, Any]:
        """What, how and how well this model was trained: stored with its weights."""
        result = self.progress().result
        return build_card(
            self.config.to_dict(),
            train_size=self.train_size,
            device=resolve_device(self.config.device),
            command="cnnviz train page",
            train_seconds=self._active_seconds(),
            test_size=None if result is None else result.test_size,
            test_accuracy=None if result is None else result.test_accuracy,
            test_loss=None if result is None else result.test_loss,
        )

    def label(self) -> str:
        """How the other pages list this model once trained."""
        result = self.progress().result
        score = f", {result.test_accuracy:.1%}" if result is not None else ""
        return f"{MODELS[self.config.model].title} on {DATASETS[self.config.dataset].title}{score} (run {self.id})"

    def weights(self) -> bytes:
        """The model as safetensors bytes with its card (built once; call it after the job has ended)."""
        if not self._weights:
            self._weights = weights_to_bytes(self.model, self.card())
        return self._weights

    # --- the driving thread ---
    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._progress = replace(self._progress, **changes)

    def _add(self, changes: dict[str, Any]) -> None:
        """A process's changes: its curves come as the points added since the last ones."""
        with self._lock:
            for curve in CURVES:
                if curve in changes:
                    changes[curve] = getattr(self._progress, curve) + tuple(changes[curve])
            self._progress = replace(self._progress, **changes)

    def _active_seconds(self) -> float:
        """Time spent training, pauses left out, up to the end: a card built later counts no waiting."""
        if not self._started:
            return 0.0
        now = self._ended or time.perf_counter()
        paused_now = 0.0 if self._paused_from is None else now - self._paused_from
        return now - self._started - self._paused_s - paused_now

    def _run(self) -> None:
        try:
            self._train()
            if self._stop.is_set():
                self._update(status="stopped", message=self._stop_reason)
            else:
                self._update(status="finished", eta=0.0)
        except TrainingFailed as exc:  # already a sentence a student can act on
            self._update(status="failed", message=str(exc))
        except Exception as exc:  # the page shows any failure as a message, never a traceback
            self._update(status="failed", message=explain_failure(exc, self.config))
        finally:
            self._ended = time.perf_counter()
            self.model.eval()
            self._splits = None
            if self._on_exit is not None:
                self._on_exit(self)

    def _train(self) -> None:
        self._started = time.perf_counter()
        process = TrainingProcess(self.config, *self._splits, self._snapshot_every, self.threads, background_nice())
        self._process = process
        try:
            self._add(process.start())
            while self._gate.pass_when(self._may_step, poll_s=0.25):
                changes = process.step(self._started, self._paused_s)
                if changes is None:
                    self._add(process.result())
                    break
                self._add(changes)
            process.weights_into(self.model)  # finished or stopped: the model as far as it got
        finally:
            process.close()

    def _may_step(self) -> bool | None:
        """True to take the next step, None to wait (paused), False to stop (asked to, or nobody watches)."""
        if self._abandoned():
            self.stop(
                f"Stopped because nobody looked at this training for {duration_text(self.heartbeat_timeout)} "
                "(the page was left or closed)."
            )
        go = False if self._stop.is_set() else True if self._resume.is_set() else None
        self._count_pause(paused=go is None)
        return go

    def _count_pause(self, paused: bool) -> None:
        """Keep paused time out of the speed and duration figures."""
        if paused and self._paused_from is None:
            self._paused_from = time.perf_counter()
        elif not paused and self._paused_from is not None:
            self._paused_s += time.perf_counter() - self._paused_from
            self._paused_from = None

    def _abandoned(self) -> bool:
        """Nobody has polled this job for longer than the heartbeat timeout."""
        return self.heartbeat_timeout is not None and self._clock() - self._last_seen > self.heartbeat_timeout


def background_nice() -> int:
    """The priority trainings run at: NICE below the server's (Linux's range ends at 19)."""
    return min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICE) if hasattr(os, "getpriority") else NICE


def duration_text(seconds: float) -> str:
    """'20 s' or '5 minutes': how long, in words a student reads at a glance."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} minutes"


class JobRegistry:
    """The server's running trainings by owner (a browser's token): at most max_jobs at once, one per owner."""

    def __init__(self, max_jobs: int = MAX_JOBS):
        self.max_jobs = max_jobs
        self.job_options: dict[str, Any] = {}  # TrainingJob keywords for every job (tests: a held gate, a clock)
        self._jobs: dict[str, TrainingJob] = {}
        self._lock = threading.Lock()

    def start(
        self, owner: str, config: TrainConfig, train_split: Split, test_split: Split, **options: Any
    ) -> TrainingJob:
        """Replace the owner's job with a new one; TrainingBusyError when the server is full."""
        self.release(owner, wait=5.0)
        with self._lock:
            if len(self._jobs) >= self.max_jobs:
                raise TrainingBusyError(
                    f"{len(self._jobs)} trainings are already running on this server (the limit is "
                    f"{self.max_jobs}, so each gets a fair share of the CPU). Try again when one finishes."
                )
            options = {**self.job_options, **options}
            job = TrainingJob(config, train_split, test_split, on_exit=self._forget, **options)
            self._jobs[owner] = job
        return job.start()

    def release(self, owner: str, wait: float = 0.0) -> None:
        """Stop the owner's running job (it starts another)."""
        with self._lock:
            job = self._jobs.get(owner)
        if job is not None:
            job.stop("Stopped because a new training was started.")
            job.join(wait)

    def running(self) -> dict[str, TrainingJob]:
        """A copy of owner -> running job."""
        with self._lock:
            return dict(self._jobs)

    def _forget(self, job: TrainingJob) -> None:
        with self._lock:
            for owner, running in list(self._jobs.items()):
                if running is job:
                    del self._jobs[owner]


REGISTRY = JobRegistry()
