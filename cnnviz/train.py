"""The training engine shared by the CLI and the app: a generator of progress records.

The whole split sits on the device as uint8 tensors; each batch is gathered, scaled and padded there,
so there is no per-sample Python work. A caller pauses by not asking for the next record and stops
by setting ``stop`` (checked between steps) or by closing the generator.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.data import Split, load_split, to_model_input
from cnnviz.models import LayeredCNN, build_model

OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; recorded in the weights card."""

    model: str = "lenet5"
    dataset: str = "mnist"
    epochs: int = 3
    batch_size: int = 128
    lr: float = 3e-3
    optimizer: str = "adam"
    schedule: str = "onecycle"
    train_size: int | None = None
    seed: int = 0
    device: str = "auto"
    augment: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StepRecord:
    """Progress after one optimisation step."""

    epoch: int
    step: int
    steps_per_epoch: int
    loss: float
    accuracy: float
    samples_per_s: float
    elapsed: float
    eta: float
    progress: float


@dataclass(frozen=True)
class EpochRecord:
    """Train and test figures at the end of an epoch."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    elapsed: float


def available_devices() -> list[str]:
    """The devices this machine can train on, best first."""
    devices = []
    if torch.cuda.is_available():
        devices.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    return devices + ["cpu"]


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA, then MPS, then CPU; an explicit name must be available."""
    devices = available_devices()
    if name == "auto":
        return torch.device(devices[0])
    if name.split(":")[0] not in devices:
        raise ValueError(f"Device {name!r} is not available here; choose one of {', '.join(devices)}.")
    return torch.device(name)


def make_model(config: TrainConfig) -> LayeredCNN:
    """A freshly initialised, seeded model for a config."""
    torch.manual_seed(config.seed)
    return build_model(config.model, config.dataset)


def _optimizer(config: TrainConfig, model: LayeredCNN) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr)
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9, nesterov=True)
    raise ValueError(f"Unknown optimizer {config.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}.")


def _scheduler(config: TrainConfig, optimizer: torch.optim.Optimizer, total_steps: int):
    if config.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total_steps)
    if config.schedule == "constant":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    raise ValueError(f"Unknown schedule {config.schedule!r}; choose onecycle or constant.")


@torch.no_grad()
def predict_split(model: LayeredCNN, split: Split, device: torch.device | str = "cpu",
                  batch_size: int = 1000) -> torch.Tensor:
    """Softmax probabilities (N, classes) for every image of a split, on the CPU."""
    device = torch.device(device)
    was_training = model.training
    model.eval()
    probs = []
    for start in range(0, len(split), batch_size):
        x = to_model_input(split.images[start:start + batch_size].to(device), model.input_size)
        probs.append(F.softmax(model(x).float(), dim=1).cpu())
    model.train(was_training)
    return torch.cat(probs)


def evaluate(model: LayeredCNN, split: Split, device: torch.device | str = "cpu") -> tuple[float, float]:
    """(mean cross-entropy loss, accuracy) of a model on a split."""
    probs = predict_split(model, split, device)
    labels = split.labels
    loss = F.nll_loss(torch.log(probs.clamp_min(1e-12)), labels).item()
    return loss, (probs.argmax(1) == labels).float().mean().item()


def train(config: TrainConfig, model: LayeredCNN, train_split: Split | None = None,
          test_split: Split | None = None, stop: threading.Event | None = None
          ) -> Iterator[StepRecord | EpochRecord]:
    """Train model in place, yielding a StepRecord per step and an EpochRecord per epoch."""
    device = resolve_device(config.device)
    train_split = (train_split or load_split(config.dataset, train=True)).subset(config.train_size, config.seed)
    test_split = test_split or load_split(config.dataset, train=False)
    images, labels = train_split.images.to(device), train_split.labels.to(device)
    model.to(device).train()
    optimizer = _optimizer(config, model)
    steps_per_epoch = math.ceil(len(train_split) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    scheduler = _scheduler(config, optimizer, total_steps)
    generator = torch.Generator().manual_seed(config.seed)
    start = time.perf_counter()
    done = 0
    for epoch in range(1, config.epochs + 1):
        order = torch.randperm(len(train_split), generator=generator).to(device)
        loss_sum, correct, seen = 0.0, 0, 0
        for step in range(steps_per_epoch):
            if stop is not None and stop.is_set():
                return
            idx = order[step * config.batch_size:(step + 1) * config.batch_size]
            x = to_model_input(images[idx], model.input_size)
            y = labels[idx]
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            done += 1
            batch_loss = loss.item()
            batch_correct = int((logits.argmax(1) == y).sum())
            loss_sum += batch_loss * len(y)
            correct += batch_correct
            seen += len(y)
            elapsed = time.perf_counter() - start
            yield StepRecord(epoch, step + 1, steps_per_epoch, batch_loss, batch_correct / len(y),
                             done * config.batch_size / elapsed, elapsed,
                             elapsed / done * (total_steps - done), done / total_steps)
        test_loss, test_acc = evaluate(model, test_split, device)
        model.train()
        yield EpochRecord(epoch, loss_sum / seen, correct / seen, test_loss, test_acc,
                          time.perf_counter() - start)


def confusion_matrix(probs: torch.Tensor, labels: torch.Tensor, num_classes: int = 10) -> np.ndarray:
    """Counts[true, predicted] for a set of predictions."""
    pred = probs.argmax(1)
    flat = labels * num_classes + pred
    return torch.bincount(flat, minlength=num_classes * num_classes).view(num_classes, num_classes).numpy()
