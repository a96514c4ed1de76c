"""Weights as safetensors files that carry their own card (what, how and how well it was trained).

The card is stored in the safetensors metadata, so a single downloaded file is self-describing, and
also written beside it as ``NAME.json`` for people to read. Nothing here ever unpickles.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from cnnviz.data import ASSETS
from cnnviz.models import MODELS, LayeredCNN, build_model

MAX_WEIGHTS_BYTES = 50 * 1024 * 1024
REQUIRED_CARD_KEYS = ("model", "dataset")


class WeightsError(ValueError):
    """A weights file that is missing, corrupt, or does not fit the model it claims to be."""


def card_path(weights_path: str | os.PathLike) -> Path:
    """The human-readable card beside a weights file."""
    return Path(weights_path).with_suffix(".json")


def _digest(card_json: str, state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over the card and every tensor, so any flipped byte that changes content is caught."""
    h = hashlib.sha256(card_json.encode())
    for key in sorted(state):
        tensor = state[key].detach().cpu().contiguous()
        h.update(f"{key}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        h.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def weights_to_bytes(model: LayeredCNN, card: dict[str, Any]) -> bytes:
    """Serialise a model's state and card to safetensors bytes (for saving or downloading)."""
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    card_json = json.dumps(card, sort_keys=True)
    return st_save(state, metadata={"card": card_json, "sha256": _digest(card_json, state)})


def save_weights(model: LayeredCNN, path: str | os.PathLike, card: dict[str, Any]) -> Path:
    """Write NAME.safetensors and NAME.json; returns the weights path."""
    missing = [k for k in REQUIRED_CARD_KEYS if k not in card]
    if missing:
        raise ValueError(f"The card needs {', '.join(missing)}.")
    path = Path(path).with_suffix(".safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(weights_to_bytes(model, card))
    card_path(path).write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return path


def _read_metadata(data: bytes) -> tuple[dict[str, Any], str, str]:
    """(card, card JSON, digest) from the safetensors header, parsed without touching the tensors."""
    if len(data) < 8:
        raise WeightsError("This is not a safetensors weights file: it is too short.")
    header_len = int.from_bytes(data[:8], "little")
    if header_len <= 0 or 8 + header_len > len(data):
        raise WeightsError("This is not a safetensors weights file (its header is damaged).")
    try:
        metadata = json.loads(data[8 : 8 + header_len])["__metadata__"]
        card_json, digest = metadata["card"], metadata["sha256"]
        card = json.loads(card_json)
    except (ValueError, KeyError, TypeError) as exc:
        raise WeightsError("The weights file has no readable card: it was not saved by cnnviz.") from exc
    if not isinstance(card, dict) or any(k not in card for k in REQUIRED_CARD_KEYS):
        raise WeightsError("The weights card does not say which model and dataset it is for.")
    return card, card_json, digest


def weights_from_bytes(data: bytes) -> tuple[LayeredCNN, dict[str, Any]]:
    """A model in eval mode and its card from safetensors bytes; WeightsError on anything wrong."""
    if len(data) > MAX_WEIGHTS_BYTES:
        raise WeightsError(f"The weights file is larger than {MAX_WEIGHTS_BYTES // 2**20} MB.")
    card, card_json, digest = _read_metadata(data)
    if card["model"] not in MODELS:
        raise WeightsError(f"The card names an unknown model {card['model']!r}.")
    try:
        model = build_model(card["model"], card["dataset"])
        state = st_load(data)
    except (ValueError, KeyError, TypeError, SafetensorError) as exc:
        raise WeightsError(f"The weights file is corrupt or does not match its card: {exc}") from exc
    if _digest(card_json, state) != digest:
        raise WeightsError(
            "The weights file has been changed or damaged since it was saved "
            "(its checksum does not match). Download or train it again."
        )
    _check_state(model, state)
    model.load_state_dict(state)
    return model.eval(), card


def _check_state(model: LayeredCNN, state: dict[str, torch.Tensor]) -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise WeightsError(
            f"The weights do not fit {type(model).__name__}: missing {missing[:3]}, unexpected {extra[:3]}."
        )
    for key, tensor in state.items():
        if tensor.shape != expected[key].shape or tensor.dtype != expected[key].dtype:
            raise WeightsError(
                f"{key} is {tensor.dtype} {tuple(tensor.shape)}, the model needs "
                f"{expected[key].dtype} {tuple(expected[key].shape)}."
            )
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise WeightsError(f"{key} contains NaN or infinite values.")


def load_weights(path: str | os.PathLike) -> tuple[LayeredCNN, dict[str, Any]]:
    """A model and its card from a .safetensors file on disk."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"No weights file at {path}. Train one with `python -m cnnviz train`.")
    return weights_from_bytes(path.read_bytes())


def pretrained_path(name: str) -> Path:
    """Where the shipped weights of a model live (the .json card sits beside them)."""
    return ASSETS / f"{name}.safetensors"


def pretrained_names() -> list[str]:
    """The registry names whose weights are shipped in assets/."""
    return [name for name in MODELS if pretrained_path(name).is_file()]


def load_pretrained(name: str) -> LayeredCNN:
    """A shipped model with its trained weights, in eval mode; WeightsError if the file is bad."""
    model, _card = load_weights(pretrained_path(name))
    return model
