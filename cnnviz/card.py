"""The weights card, defined once: which fields it holds, their types and ranges, one builder, one reader.

A card says what a model is, how it was trained and how well it did. The CLI and the Train page build
it with ``build_card``; every card read from a file goes through ``read_card``, which refuses any
field of the wrong type or out of range in plain words (a file is not trusted: anyone can write one).
Cards written before a field existed keep opening: only ``model`` and ``dataset`` are required, and
the reader gives every field it did not find the value None, meaning "not recorded" (the Train page's
cards had no ``augment`` or ``precision``; the CLI's ``train_size`` was None for the whole training set).
"""

from __future__ import annotations

import math
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import torch

from cnnviz.data import DATASETS
from cnnviz.models import MODELS

MAX_TEXT = 2000
MAX_EPOCHS = 10_000
MAX_IMAGES = 10**9
SHOWN_CHARS = 40
CONFIG_FIELDS = (
    "model",
    "dataset",
    "epochs",
    "batch_size",
    "lr",
    "optimizer",
    "schedule",
    "seed",
    "augment",
    "precision",
)


class CardError(ValueError):
    """A card that lacks a required field or holds a value of the wrong type or range."""


@dataclass(frozen=True)
class Field:
    """One card entry: what it must hold (in words, for messages), a check, and the names it may take."""

    what: str
    fits: Callable[[Any], bool]
    required: bool = False
    choices: Mapping[str, str] | None = None


def is_int(value: Any) -> bool:
    """A JSON whole number (Python counts true and false as ints; a card does not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """A finite JSON number (json.loads reads NaN and Infinity, and 1e999 as inf)."""
    return is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _count(low: int, high: int) -> Field:
    return Field(f"a whole number from {low:,} to {high:,}", lambda v: is_int(v) and low <= v <= high)


def _fraction() -> Field:
    return Field("a number from 0 to 1", lambda v: _is_number(v) and 0 <= v <= 1)


def _positive(strict: bool) -> Field:
    if strict:
        return Field("a number above 0", lambda v: _is_number(v) and v > 0)
    return Field("a number of at least 0", lambda v: _is_number(v) and v >= 0)


def _text() -> Field:
    return Field(f"text of at most {MAX_TEXT:,} characters", lambda v: isinstance(v, str) and len(v) <= MAX_TEXT)


def _choice(titles: Mapping[str, str]) -> Field:
    names = ", ".join(repr(name) for name in titles)
    return Field(f"one of {names}", lambda v: isinstance(v, str) and v in titles, required=True, choices=titles)


def _fractions() -> Field:
    return Field(
        f"a list of at most {MAX_EPOCHS:,} numbers from 0 to 1",
        lambda v: isinstance(v, list) and len(v) <= MAX_EPOCHS and all(_is_number(a) and 0 <= a <= 1 for a in v),
    )


FIELDS: dict[str, Field] = {
    "model": _choice({name: spec.title for name, spec in MODELS.items()}),
    "dataset": _choice({name: info.title for name, info in DATASETS.items()}),
    "epochs": _count(1, MAX_EPOCHS),
    "batch_size": _count(1, MAX_IMAGES),
    "lr": _positive(strict=True),
    "optimizer": _text(),
    "schedule": _text(),
    "seed": _count(-(2**63), 2**64 - 1),  # what torch.manual_seed accepts
    "augment": Field("true or false", lambda v: isinstance(v, bool)),
    "precision": _text(),
    "train_size": _count(1, MAX_IMAGES),
    "test_size": _count(1, MAX_IMAGES),
    "test_accuracy": _fraction(),
    "test_loss": _positive(strict=False),
    "test_accuracy_per_epoch": _fractions(),
    "train_seconds": _positive(strict=False),
    "date": _text(),
    "device": _text(),
    "device_name": _text(),
    "torch": _text(),
    "command": _text(),
}


def shown(value: Any) -> str:
    """A value from a file, described briefly and safely for a message (long text cut short)."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def read_card(raw: Any) -> dict[str, Any]:
    """A checked card with every known field (None where not recorded); CardError says what is wrong."""
    if not isinstance(raw, dict):
        raise CardError(f"The weights card should be a JSON object of named fields, not {shown(raw)}.")
    card = {}
    for name, field in FIELDS.items():
        value = raw.get(name)
        if value is None and field.required:
            raise CardError(f"The weights card does not say which {name} it is for.")
        if value is not None and field.choices is not None and isinstance(value, str) and value not in field.choices:
            raise CardError(
                f"The card names {name} {shown(value)}, which this app does not know; "
                f"it knows {', '.join(field.choices.values())}."
            )
        if value is not None and not field.fits(value):
            raise CardError(f"The card's {name} is {shown(value)}; it should be {field.what}.")
        card[name] = value
    return card


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine()


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def build_card(
    config: Mapping[str, Any],
    *,
    train_size: int,
    device: torch.device,
    command: str,
    train_seconds: float,
    test_size: int | None = None,
    test_accuracy: float | None = None,
    test_loss: float | None = None,
    accuracy_per_epoch: Sequence[float] | None = None,
) -> dict[str, Any]:
    """The card of a model just trained (config: TrainConfig.to_dict()), checked as a reader will check it."""
    card = {name: config[name] for name in CONFIG_FIELDS}
    card.update(
        train_size=train_size,
        test_size=test_size,
        test_accuracy=_rounded(test_accuracy, 5),
        test_loss=_rounded(test_loss, 5),
        test_accuracy_per_epoch=None if accuracy_per_epoch is None else [round(a, 5) for a in accuracy_per_epoch],
        train_seconds=round(train_seconds, 1),
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        device=device.type,
        device_name=_device_name(device),
        torch=torch.__version__,
        command=command,
    )
    return read_card(card)
