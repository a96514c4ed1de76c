"""Advice on training: why settings cannot train, which ones train badly, what went wrong with a run.

Every message is a sentence a student can act on, naming the fix; the typical learning rates come from
``cnnviz.train.OPTIMIZERS``, written once there.
"""

from __future__ import annotations

import torch

from cnnviz.data import DATASETS
from cnnviz.models import MODELS, readable_datasets
from cnnviz.progress import Progress, TrainingDiverged
from cnnviz.train import OPTIMIZERS, OptimizerSpec, TrainConfig, available_devices

LR_RANGE = (1e-5, 1.0)


def typical_rates(joiner: str = ", ") -> str:
    """The usual peak learning rate per optimizer, e.g. "0.003 for Adam, 0.05 for SGD with momentum"."""
    return joiner.join(f"{spec.typical_lr:g} for {spec.title}" for spec in OPTIMIZERS.values())


def typical_ranges() -> str:
    """The usual learning-rate range per optimizer, e.g. "0.001-0.005 for Adam, 0.01-0.1 for SGD with momentum"."""
    return ", ".join(f"{_range(spec)} for {spec.title}" for spec in OPTIMIZERS.values())


def _range(spec: OptimizerSpec) -> str:
    return f"{spec.typical_range[0]:g}-{spec.typical_range[1]:g}"


def config_problems(config: TrainConfig, datasets: list[str]) -> list[str]:
    """Why a config cannot be trained here, one sentence each with how to fix it (empty if fine)."""
    problems = []
    if config.dataset not in datasets:
        problems.append(
            f"{DATASETS[config.dataset].title} is not on this machine: put its files under "
            "the data folder (CNNVIZ_DATA) or pick another dataset."
        )
    elif not readable_datasets(config.model, [config.dataset]):
        problems.append(
            f"{MODELS[config.model].title} cannot read {DATASETS[config.dataset].title} images "
            "(wrong number of colour channels); pick a matching model."
        )
    if not LR_RANGE[0] <= config.lr <= LR_RANGE[1]:
        problems.append(
            f"Learning rate {config.lr:g} is outside {LR_RANGE[0]:g}-{LR_RANGE[1]:g}: at 0 nothing "
            f"is learned and above 1 the weights blow up. Try {typical_rates(' or ')}."
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
    spec = OPTIMIZERS.get(config.optimizer)
    if spec is not None and config.lr > spec.diverges_above:
        warnings.append(
            f"{spec.title} at learning rate {config.lr:g} often diverges (the loss jumps or becomes "
            f"NaN); {_range(spec)} is typical."
        )
    if config.train_size and config.batch_size > config.train_size:
        warnings.append("The batch is larger than the training set, so each epoch is a single step.")
    return warnings


def advice(progress: Progress) -> str | None:
    """A hint when a finished run learned badly, naming the likely cause and the fix."""
    if progress.result is None or not progress.train_curve:
        return None
    first, peak = progress.train_curve[0].loss, max(p.loss for p in progress.train_curve)
    lr, accuracy = progress.config.lr, progress.result.test_accuracy
    if peak > 5 * first:
        return (
            f"The loss jumped to {peak:.3g} after starting at {first:.2f}: the learning rate {lr:g} is too "
            f"high, so steps overshoot. Lower it ({typical_ranges()}) and train again."
        )
    if accuracy < 2 / len(progress.result.confusion):
        return (
            f"At {accuracy:.0%} the network is barely better than guessing. Train on more images or for "
            "more epochs, or raise the learning rate."
        )
    return None


def explain_failure(exc: Exception, config: TrainConfig) -> str:
    """A failed run as a sentence a student can act on."""
    if isinstance(exc, TrainingDiverged):
        spec = OPTIMIZERS.get(config.optimizer)
        name = spec.title if spec is not None else config.optimizer
        return (
            f"{exc} The learning rate {config.lr:g} is too high for {name}: "
            f"lower it (e.g. {typical_rates()}) and start again."
        )
    if isinstance(exc, torch.OutOfMemoryError):
        return "The device ran out of memory: use a smaller batch size or train on the CPU."
    return f"Training failed: {type(exc).__name__}: {exc}"
