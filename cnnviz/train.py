"""The training engine shared by the CLI and the app: a generator of progress records.

The whole split sits on the device as uint8 tensors; each batch is gathered, scaled and padded there,
so there is no per-sample Python work. A caller pauses by not asking for the next record and stops
by setting ``stop`` (checked between steps) or by closing the generator.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.augment import augment
from cnnviz.data import Split, load_split, to_model_input
from cnnviz.models import LayeredCNN, build_model, evaluating


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer the engine offers, with the peak learning rates that usually suit it."""

    title: str
    typical_lr: float
    typical_range: tuple[float, float]
    diverges_above: float  # rates above this often make the loss jump or become NaN


OPTIMIZERS: dict[str, OptimizerSpec] = {
    "adam": OptimizerSpec("Adam", 0.003, (0.001, 0.005), 0.01),
    "sgd": OptimizerSpec("SGD with momentum", 0.05, (0.01, 0.1), 0.2),
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; recorded in the weights card."""

    model: str = "lenet5"
    dataset: str = "mnist"
    epochs: int = 3
    batch_size: int = 128
    lr: float = OPTIMIZERS["adam"].typical_lr
    optimizer: str = "adam"
    schedule: str = "onecycle"
    train_size: int | None = None
    seed: int = 0
    device: str = "auto"
    augment: bool = False
    precision: str = "auto"
    channels_last: bool = False

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
    samples_per_s: float = 0.0
    eta: float = 0.0


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


_SEED_LOCK = threading.Lock()


def make_model(config: TrainConfig) -> LayeredCNN:
    """A freshly initialised, seeded model for a config (safe to call from several threads)."""
    with _SEED_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return build_model(config.model, config.dataset)


def steps_per_epoch(train_size: int, batch_size: int) -> int:
    """Optimisation steps in one pass over train_size images (the last batch may be smaller)."""
    return math.ceil(train_size / batch_size)


def _optimizer(config: TrainConfig, model: LayeredCNN) -> torch.optim.Optimizer:
    """Adam (one fused kernel on CPU and CUDA: fewer tiny ops per step) or SGD with momentum."""
    if config.optimizer == "adam":
        fused = next(model.parameters()).device.type in ("cpu", "cuda") or None
        return torch.optim.Adam(model.parameters(), lr=config.lr, fused=fused)
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
def predict_split(
    model: LayeredCNN, split: Split, device: torch.device | str = "cpu", batch_size: int = 1000
) -> torch.Tensor:
    """Softmax probabilities (N, classes) for every image of a split, on the CPU."""
    device = torch.device(device)
    probs = []
    with evaluating(model):
        for start in range(0, len(split), batch_size):
            x = to_model_input(split.images[start : start + batch_size].to(device), model.input_size)
            probs.append(F.softmax(model(x).float(), dim=1).cpu())
    return torch.cat(probs)


def evaluate(model: LayeredCNN, split: Split, device: torch.device | str = "cpu") -> tuple[float, float]:
    """(mean cross-entropy loss, accuracy) of a model on a split."""
    probs = predict_split(model, split, device)
    labels = split.labels
    loss = F.nll_loss(torch.log(probs.clamp_min(1e-12)), labels).item()
    return loss, (probs.argmax(1) == labels).float().mean().item()


def autocast_dtype(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The reduced precision to train in, or None for float32 ('auto': bf16 on CUDA only)."""
    if config.precision == "fp32" or (config.precision == "auto" and device.type != "cuda"):
        return None
    if config.precision in ("auto", "bf16"):
        return torch.bfloat16
    raise ValueError(f"Unknown precision {config.precision!r}; choose auto, fp32 or bf16.")


class _Batches:
    """Shuffled batches of model input built on the device from the uint8 split (seeded)."""

    def __init__(self, config: TrainConfig, split: Split, input_size: int, device: torch.device):
        self.images, self.labels = split.images.to(device), split.labels.to(device)
        self.batch_size, self.input_size, self.device = config.batch_size, input_size, device
        self.order_rng = torch.Generator().manual_seed(config.seed)
        self.augment_rng = torch.Generator(device=device).manual_seed(config.seed + 1)
        self.augment = config.augment
        self.flag_ones = config.augment and config.dataset == "mnist"  # class 1 is a digit only there
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        self.steps = steps_per_epoch(len(split), config.batch_size)

    def epoch(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.randperm(len(self.labels), generator=self.order_rng).to(self.device)
        for step in range(self.steps):
            idx = order[step * self.batch_size : (step + 1) * self.batch_size]
            x = to_model_input(self.images[idx], self.input_size)
            if self.augment:
                ones = self.labels[idx] == 1 if self.flag_ones else None
                x = augment(x, self.augment_rng, ones=ones)
            yield x.contiguous(memory_format=self.memory_format), self.labels[idx]


def train(
    config: TrainConfig,
    model: LayeredCNN,
    train_split: Split | None = None,
    test_split: Split | None = None,
    stop: threading.Event | None = None,
) -> Iterator[StepRecord | EpochRecord]:
    """Train model in place, yielding a StepRecord per step and an EpochRecord per epoch."""
    device = resolve_device(config.device)
    if train_split is None:
        train_split = load_split(config.dataset, train=True)
    if test_split is None:
        test_split = load_split(config.dataset, train=False)
    batches = _Batches(config, train_split.subset(config.train_size, config.seed), model.input_size, device)
    model.to(device).train()
    if config.channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = _optimizer(config, model)
    total_steps = batches.steps * config.epochs
    scheduler = _scheduler(config, optimizer, total_steps)
    amp_dtype = autocast_dtype(config, device)
    start, done, samples = time.perf_counter(), 0, 0
    for epoch in range(1, config.epochs + 1):
        loss_sum, correct, seen = 0.0, 0, 0
        for step, (x, y) in enumerate(batches.epoch()):
            if stop is not None and stop.is_set():
                return
            with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
                logits = model(x)
                loss = F.cross_entropy(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            batch_loss = loss.item()
            batch_correct = int((logits.argmax(1) == y).sum())
            done, samples = done + 1, samples + len(y)
            loss_sum, correct, seen = loss_sum + batch_loss * len(y), correct + batch_correct, seen + len(y)
            elapsed = time.perf_counter() - start
            yield StepRecord(
                epoch,
                step + 1,
                batches.steps,
                batch_loss,
                batch_correct / len(y),
                samples / elapsed,
                elapsed,
                elapsed / done * (total_steps - done),
                done / total_steps,
            )
        if stop is not None and stop.is_set():
            return
        test_loss, test_acc = evaluate(model, test_split, device)
        model.train()
        elapsed = time.perf_counter() - start
        yield EpochRecord(
            epoch,
            loss_sum / seen,
            correct / seen,
            test_loss,
            test_acc,
            elapsed,
            samples / elapsed,
            elapsed / epoch * (config.epochs - epoch),
        )


def confusion_matrix(probs: torch.Tensor, labels: torch.Tensor, num_classes: int = 10) -> np.ndarray:
    """Counts[true, predicted] for a set of predictions."""
    pred = probs.argmax(1)
    flat = labels * num_classes + pred
    return torch.bincount(flat, minlength=num_classes * num_classes).view(num_classes, num_classes).numpy()
