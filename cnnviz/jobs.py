"""Training off the script thread: one worker per browser session, polled by the page.

A ``TrainingJob`` runs ``cnnviz.train.train`` in a daemon thread and keeps a lock-protected record of
its progress; the page reads copies of it (``progress()``) and the worker never touches Streamlit.
Pause means the worker stops pulling records from the engine's generator; stop sets the Event the
engine checks before every step, so at most the step in flight finishes.

Pace: before each pull from the engine the worker waits at a ``StepGate``. The default gate is always
open; a test holds one (``StepGate(0)``), lets ``release(n)`` steps through and ``wait_idle()`` until
the worker waits again, so no test depends on how fast the machine trains. The heartbeat reads an
injectable ``clock`` for the same reason.

Cleanup: a job stops itself when nobody has looked at it (``touch()``) for ``heartbeat_timeout``
seconds - the page's polling fragment touches it, so leaving the page or closing the tab stops it -
and ``JobSlot.close`` (the page's session-end hook) stops it at once when the browser disconnects.

Threads: ``torch.set_num_threads`` is process-wide, so every worker sets the same deliberate value,
``THREADS_PER_JOB`` = cores // ``MAX_JOBS`` (1 on a 2-core machine). Two trainings then get a core
each instead of four OpenMP threads fighting over two cores (spinning OpenMP workers made each step
several times slower when oversubscribed), and the web server's threads still get CPU time.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from cnnviz.card import build_card
from cnnviz.data import DATASETS, Split
from cnnviz.models import MODEL_TITLES, MODELS, LayeredCNN
from cnnviz.train import (
    EpochRecord,
    StepRecord,
    TrainConfig,
    available_devices,
    confusion_matrix,
    evaluate,
    make_model,
    predict_split,
    resolve_device,
    train,
)
from cnnviz.weights import weights_to_bytes

MAX_JOBS = int(os.environ.get("CNNVIZ_MAX_TRAININGS", "2"))
THREADS_PER_JOB = max(1, (os.cpu_count() or 1) // max(1, MAX_JOBS))
HEARTBEAT_TIMEOUT = 20.0
NICE = 10
ACTIVE = ("running", "paused")
LR_RANGE = (1e-5, 1.0)
CURVE_SIZE = 500
WRONG_SHOWN = 12


@dataclass(frozen=True)
class CurvePoint:
    """Loss and accuracy at a point of training, x in epochs (fractional)."""

    x: float
    loss: float
    accuracy: float


@dataclass(frozen=True)
class Snapshot:
    """What the network makes of the watched test images, and its conv1 filters, at one moment."""

    x: float
    probs: np.ndarray
    filters: np.ndarray


@dataclass(frozen=True)
class Result:
    """The finished model measured on the whole test set."""

    test_loss: float
    test_accuracy: float
    test_size: int
    confusion: np.ndarray
    wrong_images: np.ndarray
    wrong_labels: np.ndarray
    wrong_predicted: np.ndarray
    wrong_confidence: np.ndarray


@dataclass(frozen=True)
class Progress:
    """A consistent copy of a job's state for the page to draw."""

    status: str
    config: TrainConfig
    total_steps: int
    steps_done: int = 0
    step: StepRecord | None = None
    samples_per_s: float = 0.0
    eta: float = math.inf
    train_curve: tuple[CurvePoint, ...] = ()
    test_curve: tuple[CurvePoint, ...] = ()
    epochs: tuple[EpochRecord, ...] = ()
    snapshot: Snapshot | None = None
    message: str = ""
    result: Result | None = None

    @property
    def fraction(self) -> float:
        return self.steps_done / self.total_steps if self.total_steps else 0.0


class TrainingBusyError(RuntimeError):
    """The server already runs as many trainings as it allows."""


class TrainingDiverged(ArithmeticError):
    """The loss became NaN or infinite."""


class StepGate:
    """Where the worker waits before each pull from the engine: always open unless a test holds it."""

    def __init__(self, steps: int | None = None):
        self._cond = threading.Condition()
        self._permits = steps  # None: open, no counting
        self._idle = False

    def release(self, steps: int = 1) -> None:
        """Let this many more pulls (steps, or an epoch's evaluation) through a held gate."""
        with self._cond:
            if self._permits is not None:
                self._permits += steps
            self._wake_locked()

    def open(self) -> None:
        """Let the worker run freely from now on."""
        with self._cond:
            self._permits = None
            self._wake_locked()

    def wake(self) -> None:
        """The job's state changed (pause, resume, stop): the waiting worker looks again."""
        with self._cond:
            self._wake_locked()

    def wait_idle(self, timeout: float = 120.0) -> None:
        """Test side: block until the worker waits at the gate with nothing it may do (timeout: a hang guard)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._idle, timeout):
                raise TimeoutError(f"the training worker did not come back to its gate within {timeout:.0f} s")

    def pass_when(self, verdict: Callable[[], bool | None], poll_s: float) -> bool:
        """Worker side: True to take a step, False to stop; waits while verdict() is None or no step is left."""
        with self._cond:
            while True:
                go = verdict()
                if go is False:
                    return False
                if go and self._permits != 0:
                    if self._permits is not None:
                        self._permits -= 1
                    return True
                self._idle = True
                self._cond.notify_all()
                self._cond.wait(poll_s)

    def _wake_locked(self) -> None:
        self._idle = False
        self._cond.notify_all()


def compatible_datasets(model: str, datasets: list[str]) -> list[str]:
    """The datasets (of those given) whose images a model can take: 1-channel or 3-channel."""
    channels = DATASETS[MODELS[model].default_dataset].channels
    return [d for d in datasets if DATASETS[d].channels == channels]


def trainable_models(datasets: list[str]) -> list[str]:
    """The models that at least one of the given datasets can train (CifarCNN needs CIFAR-10)."""
    return [m for m in MODELS if compatible_datasets(m, datasets)]


def config_problems(config: TrainConfig, datasets: list[str]) -> list[str]:
    """Why a config cannot be trained here, one sentence each with how to fix it (empty if fine)."""
    problems = []
    if config.dataset not in datasets:
        problems.append(
            f"{DATASETS[config.dataset].title} is not on this machine: put its files under "
            "the data folder (CNNVIZ_DATA) or pick another dataset."
        )
    elif config.dataset not in compatible_datasets(config.model, [config.dataset]):
        problems.append(
            f"{MODEL_TITLES[config.model]} cannot read {DATASETS[config.dataset].title} images "
            "(wrong number of colour channels); pick a matching model."
        )
    if not LR_RANGE[0] <= config.lr <= LR_RANGE[1]:
        problems.append(
            f"Learning rate {config.lr:g} is outside {LR_RANGE[0]:g}-{LR_RANGE[1]:g}: at 0 nothing "
            "is learned and above 1 the weights blow up. Try 0.003 for Adam or 0.05 for SGD."
        )
    if config.device not in ("auto", *available_devices()):
        problems.append(
            f"Device {config.device!r} is not available here; choose one of {', '.join(available_devices())}."
        )
    for name, value in (
        ("Epochs", config.epochs),
        ("Batch size", config.batch_size),
        ("Training-set size", config.train_size or 1),
    ):
        if value < 1:
            problems.append(f"{name} must be at least 1.")
    return problems


def config_warnings(config: TrainConfig) -> list[str]:
    """Settings that train but probably badly, with what usually works."""
    warnings = []
    if config.optimizer == "adam" and config.lr > 0.01:
        warnings.append(
            f"Adam with learning rate {config.lr:g} often diverges (the loss jumps or becomes "
            "NaN); 0.001-0.005 is typical."
        )
    if config.optimizer == "sgd" and config.lr > 0.2:
        warnings.append(f"SGD with momentum at learning rate {config.lr:g} often diverges; 0.01-0.1 is typical.")
    if config.train_size and config.batch_size > config.train_size:
        warnings.append("The batch is larger than the training set, so each epoch is a single step.")
    return warnings


def watch_indices(labels: torch.Tensor, classes: int) -> np.ndarray:
    """The first test image of each class: the digits whose predictions the page follows."""
    labels_np = labels.numpy()
    return np.array([int(np.argmax(labels_np == c)) for c in range(classes) if (labels_np == c).any()])


def _take(split: Split, idx: np.ndarray | torch.Tensor) -> Split:
    """A split of the given rows (same dataset info)."""
    idx = torch.as_tensor(idx)
    return Split(split.images[idx], split.labels[idx], split.info)


class TrainingJob:
    """One training run in its own thread; the page polls progress() and calls pause/resume/stop."""

    def __init__(
        self,
        config: TrainConfig,
        train_split: Split,
        test_split: Split,
        *,
        snapshot_every: int | None = None,
        heartbeat_timeout: float | None = HEARTBEAT_TIMEOUT,
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
        self._train_split, self._test_split = train_split, test_split
        self._curve_split = test_split.subset(CURVE_SIZE, seed=0)
        self.watch = _take(test_split, watch_indices(test_split.labels, len(test_split.info.classes)))
        steps_per_epoch = math.ceil(self.train_size / config.batch_size)
        self.snapshot_every = snapshot_every or max(1, steps_per_epoch // 8)
        self._lock = threading.Lock()
        self._stop, self._resume = threading.Event(), threading.Event()
        self._resume.set()
        self._stop_reason = "Stopped."
        self._gate, self._clock = gate or StepGate(), clock
        self._last_seen = clock()
        self._progress = Progress("idle", config, steps_per_epoch * config.epochs)
        self._history: dict[str, list] = {"train": [], "test": [], "epochs": []}
        self._started, self._paused_s, self._weights = 0.0, 0.0, b""
        self._paused_from: float | None = None
        self._thread = threading.Thread(target=self._run, name=f"cnnviz-train-{self.id}", daemon=True)

    # --- control (any thread) ---
    def start(self) -> TrainingJob:
        """Start the worker thread."""
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
        return f"{MODEL_TITLES[self.config.model]} on {DATASETS[self.config.dataset].title}{score} (run {self.id})"

    def weights(self) -> bytes:
        """The model as safetensors bytes with its card (built once; call it after the job has ended)."""
        if not self._weights:
            self._weights = weights_to_bytes(self.model, self.card())
        return self._weights

    # --- worker thread ---
    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._progress = replace(self._progress, **changes)

    def _active_seconds(self) -> float:
        return time.perf_counter() - self._started - self._paused_s if self._started else 0.0

    def _run(self) -> None:
        torch.set_num_threads(self.threads)
        _background_priority()
        try:
            self._train()
            if self._stop.is_set():
                self._update(status="stopped", message=self._stop_reason)
            else:
                self._update(status="finished", result=self._evaluate(), eta=0.0)
        except Exception as exc:  # the page shows any failure as a message, never a traceback
            self._update(status="failed", message=_explain(exc, self.config))
        finally:
            self.model.cpu().eval()
            self._train_split = self._test_split = self._curve_split = None
            if self._on_exit is not None:
                self._on_exit(self)

    def _train(self) -> None:
        self._started = time.perf_counter()
        self._update(**self._snapshot(0.0, with_test_point=True))
        records = train(self.config, self.model, self._train_split, self._curve_split, self._stop)
        try:
            while self._gate.pass_when(self._may_step, poll_s=0.25):
                record = next(records, None)
                if record is None:
                    return
                self._record(record)
        finally:
            records.close()

    def _may_step(self) -> bool | None:
        """True to take the next step, None to wait (paused), False to stop (asked to, or nobody watches)."""
        if self._abandoned():
            self.stop(
                f"Stopped because nobody watched this training for {self.heartbeat_timeout:.0f} s "
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

    def _record(self, record: StepRecord | EpochRecord) -> None:
        if isinstance(record, StepRecord):
            self._record_step(record)
        else:
            self._record_epoch(record)

    def _record_step(self, record: StepRecord) -> None:
        if not math.isfinite(record.loss):
            raise TrainingDiverged(f"The loss became {record.loss} at epoch {record.epoch}, step {record.step}.")
        x = record.epoch - 1 + record.step / record.steps_per_epoch
        self._history["train"].append(CurvePoint(x, record.loss, record.accuracy))
        snapshot = {}
        if record.step % self.snapshot_every == 0 and record.step != record.steps_per_epoch:
            snapshot = self._snapshot(x, with_test_point=True)
        done = self._progress.steps_done + 1
        samples = (record.epoch - 1) * self.train_size + min(record.step * self.config.batch_size, self.train_size)
        active = self._active_seconds()
        self._update(
            step=record,
            steps_done=done,
            samples_per_s=samples / active if active else 0.0,
            eta=active / done * (self._progress.total_steps - done),
            train_curve=tuple(self._history["train"]),
            **snapshot,
        )

    def _record_epoch(self, record: EpochRecord) -> None:
        self._history["epochs"].append(record)
        self._history["test"].append(CurvePoint(float(record.epoch), record.test_loss, record.test_accuracy))
        self._update(epochs=tuple(self._history["epochs"]), **self._snapshot(float(record.epoch)))

    def _snapshot(self, x: float, with_test_point: bool = False) -> dict[str, Any]:
        """Predictions on the watched images, conv1 filters and (optionally) a test-curve point."""
        device = next(self.model.parameters()).device
        if with_test_point:
            loss, accuracy = evaluate(self.model, self._curve_split, device)
            self._history["test"].append(CurvePoint(x, loss, accuracy))
        conv1 = self.model.layers.conv1.weight.detach().float().cpu().numpy().copy()
        watch = predict_split(self.model, self.watch, device).numpy()
        return {"snapshot": Snapshot(x, watch, conv1), "test_curve": tuple(self._history["test"])}

    def _evaluate(self) -> Result:
        """Accuracy, confusion matrix and the most confidently wrong images on the full test set."""
        device = next(self.model.parameters()).device
        probs = predict_split(self.model, self._test_split, device)
        labels = self._test_split.labels
        confidence, predicted = probs.max(1)
        wrong = torch.nonzero(predicted != labels).flatten()
        worst = wrong[confidence[wrong].argsort(descending=True)][:WRONG_SHOWN]
        loss = torch.nn.functional.nll_loss(probs.clamp_min(1e-12).log(), labels).item()
        confusion = confusion_matrix(probs, labels, len(self._test_split.info.classes))
        return Result(
            loss,
            (predicted == labels).float().mean().item(),
            len(labels),
            confusion,
            self._test_split.images[worst].numpy(),
            labels[worst].numpy(),
            predicted[worst].numpy(),
            confidence[worst].numpy(),
        )


def advice(progress: Progress) -> str | None:
    """A hint when a finished run learned badly, naming the likely cause and the fix."""
    if progress.result is None or not progress.train_curve:
        return None
    first, peak = progress.train_curve[0].loss, max(p.loss for p in progress.train_curve)
    lr, accuracy = progress.config.lr, progress.result.test_accuracy
    if peak > 5 * first:
        return (
            f"The loss jumped to {peak:.3g} after starting at {first:.2f}: the learning rate {lr:g} is too "
            "high, so steps overshoot. Lower it (0.001-0.005 for Adam, 0.01-0.1 for SGD) and train again."
        )
    if accuracy < 2 / len(progress.result.confusion):
        return (
            f"At {accuracy:.0%} the network is barely better than guessing. Train on more images or for "
            "more epochs, or raise the learning rate."
        )
    return None


def _background_priority() -> None:
    """Let people's clicks go first: lower this worker thread's OS priority (per thread on Linux only)."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + NICE)
        except OSError:
            pass  # not allowed here: train at normal priority


def _explain(exc: Exception, config: TrainConfig) -> str:
    """A failure as a sentence a student can act on."""
    if isinstance(exc, TrainingDiverged):
        return (
            f"{exc} The learning rate {config.lr:g} is too high for {config.optimizer.upper()}: "
            "lower it (e.g. 0.003 for Adam, 0.05 for SGD) and start again."
        )
    if isinstance(exc, torch.OutOfMemoryError):
        return "The device ran out of memory: use a smaller batch size or train on the CPU."
    return f"Training failed: {type(exc).__name__}: {exc}"


class JobRegistry:
    """The server's running trainings by session id: at most max_jobs at once, one per session."""

    def __init__(self, max_jobs: int = MAX_JOBS):
        self.max_jobs = max_jobs
        self.job_options: dict[str, Any] = {}  # TrainingJob keywords for every job (tests: a held gate, a clock)
        self._jobs: dict[str, TrainingJob] = {}
        self._lock = threading.Lock()

    def start(
        self, session_id: str, config: TrainConfig, train_split: Split, test_split: Split, **options: Any
    ) -> TrainingJob:
        """Replace the session's job with a new one; TrainingBusyError when the server is full."""
        self.release(session_id, wait=5.0)
        with self._lock:
            if len(self._jobs) >= self.max_jobs:
                raise TrainingBusyError(
                    f"{len(self._jobs)} trainings are already running on this server (the limit is "
                    f"{self.max_jobs}, so each gets a fair share of the CPU). Try again when one finishes."
                )
            options = {**self.job_options, **options}
            job = TrainingJob(config, train_split, test_split, on_exit=self._forget, **options)
            self._jobs[session_id] = job
        return job.start()

    def release(self, session_id: str, wait: float = 0.0) -> None:
        """Stop the session's running job (its session ended or it starts another)."""
        with self._lock:
            job = self._jobs.get(session_id)
        if job is not None:
            job.stop("Stopped because a new training was started or the session ended.")
            job.join(wait)

    def running(self) -> dict[str, TrainingJob]:
        """A copy of session id -> running job."""
        with self._lock:
            return dict(self._jobs)

    def _forget(self, job: TrainingJob) -> None:
        with self._lock:
            for session_id, running in list(self._jobs.items()):
                if running is job:
                    del self._jobs[session_id]


REGISTRY = JobRegistry()


class JobSlot:
    """A browser session's place for its training: the page keeps one per session and closes it at the end."""

    def __init__(self, registry: JobRegistry = REGISTRY):
        self.session_id = uuid.uuid4().hex
        self.registry = registry
        self.job: TrainingJob | None = None

    def start(self, config: TrainConfig, train_split: Split, test_split: Split, **options: Any) -> TrainingJob:
        """Start a training for this session, stopping the one before it."""
        self.job = self.registry.start(self.session_id, config, train_split, test_split, **options)
        return self.job

    def close(self) -> None:
        """The session ended: stop its worker now (does not wait)."""
        self.registry.release(self.session_id)
