"""What a training run reports: the records a page draws, and the measurements that fill them.

A ``Recorder`` turns the engine's stream of StepRecord / EpochRecord into Progress fields: the train and
test curves, the watched test images' predictions and the conv1 filters now and then, and at the end
the finished model measured on the whole test set (``Result``). It holds no thread and no lock;
``cnnviz.worker`` runs it in the training process and ``cnnviz.jobs`` publishes what it returns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.data import Split
from cnnviz.models import LayeredCNN, device_of
from cnnviz.train import (
    EpochRecord,
    StepRecord,
    TrainConfig,
    confusion_matrix,
    evaluate,
    predict_split,
    steps_per_epoch,
)

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


class TrainingDiverged(ArithmeticError):
    """The loss became NaN or infinite."""


def watch_indices(labels: torch.Tensor, classes: int) -> np.ndarray:
    """The first test image of each class: the digits whose predictions the page follows."""
    labels_np = labels.numpy()
    return np.array([int(np.argmax(labels_np == c)) for c in range(classes) if (labels_np == c).any()])


def watched(test_split: Split) -> Split:
    """The test images whose predictions the Train page follows: the first of each class."""
    return take(test_split, watch_indices(test_split.labels, len(test_split.info.classes)))


def take(split: Split, idx: np.ndarray | torch.Tensor) -> Split:
    """A split of the given rows (same dataset info)."""
    idx = torch.as_tensor(idx)
    return Split(split.images[idx], split.labels[idx], split.info)


def measure(model: LayeredCNN, split: Split, wrong_shown: int = WRONG_SHOWN) -> Result:
    """Accuracy, confusion matrix and the most confidently wrong images of a model on a whole split."""
    probs = predict_split(model, split, device_of(model))
    labels = split.labels
    confidence, predicted = probs.max(1)
    wrong = torch.nonzero(predicted != labels).flatten()
    worst = wrong[confidence[wrong].argsort(descending=True)][:wrong_shown]
    loss = F.nll_loss(probs.clamp_min(1e-12).log(), labels).item()
    return Result(
        loss,
        (predicted == labels).float().mean().item(),
        len(labels),
        confusion_matrix(probs, labels, len(split.info.classes)),
        split.images[worst].numpy(),
        labels[worst].numpy(),
        predicted[worst].numpy(),
        confidence[worst].numpy(),
    )


class Recorder:
    """Curves, snapshots and the final result of one run, as Progress fields (in the training process)."""

    def __init__(
        self, model: LayeredCNN, config: TrainConfig, train_size: int, test_split: Split, snapshot_every: int | None
    ):
        self.model, self.config, self.train_size = model, config, train_size
        self.test_split: Split | None = test_split
        self.curve_split: Split | None = test_split.subset(CURVE_SIZE, seed=0)
        self.watch = watched(test_split)
        per_epoch = steps_per_epoch(train_size, config.batch_size)
        self.total_steps = per_epoch * config.epochs
        self.snapshot_every = snapshot_every or max(1, per_epoch // 8)
        self.steps_done = 0
        self._train: list[CurvePoint] = []
        self._test: list[CurvePoint] = []
        self._epochs: list[EpochRecord] = []

    def start(self) -> dict[str, Any]:
        """The untrained network: a first test point and snapshot."""
        return self._snapshot(0.0, with_test_point=True)

    def step(self, record: StepRecord, active_seconds: Callable[[], float]) -> dict[str, Any]:
        """After one optimisation step: the train curve, speed, time left and now and then a snapshot."""
        if not math.isfinite(record.loss):
            raise TrainingDiverged(f"The loss became {record.loss} at epoch {record.epoch}, step {record.step}.")
        x = record.epoch - 1 + record.step / record.steps_per_epoch
        self._train.append(CurvePoint(x, record.loss, record.accuracy))
        snapshot = {}
        if record.step % self.snapshot_every == 0 and record.step != record.steps_per_epoch:
            snapshot = self._snapshot(x, with_test_point=True)
        self.steps_done += 1
        samples = (record.epoch - 1) * self.train_size + min(record.step * self.config.batch_size, self.train_size)
        active = active_seconds()  # after the snapshot: its time is part of the run
        return {
            "step": record,
            "steps_done": self.steps_done,
            "samples_per_s": samples / active if active else 0.0,
            "eta": active / self.steps_done * (self.total_steps - self.steps_done),
            "train_curve": tuple(self._train),
            **snapshot,
        }

    def epoch(self, record: EpochRecord) -> dict[str, Any]:
        """At an epoch's end: its record, a test point and a snapshot."""
        self._epochs.append(record)
        self._test.append(CurvePoint(float(record.epoch), record.test_loss, record.test_accuracy))
        return {"epochs": tuple(self._epochs), **self._snapshot(float(record.epoch))}

    def result(self) -> Result:
        """The finished model on the whole test set."""
        return measure(self.model, self.test_split)

    def _snapshot(self, x: float, with_test_point: bool = False) -> dict[str, Any]:
        """Predictions on the watched images, conv1 filters and (optionally) a test-curve point."""
        device = device_of(self.model)
        if with_test_point:
            loss, accuracy = evaluate(self.model, self.curve_split, device)
            self._test.append(CurvePoint(x, loss, accuracy))
        conv1 = self.model.layers.conv1.weight.detach().float().cpu().numpy().copy()
        watch = predict_split(self.model, self.watch, device).numpy()
        return {"snapshot": Snapshot(x, watch, conv1), "test_curve": tuple(self._test)}
