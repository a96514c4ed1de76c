"""Weights as safetensors files that carry their own card (what, how and how well it was trained).

The card (``cnnviz.card``) is stored in the safetensors metadata, so a single downloaded file is
self-describing, and also written beside it as ``NAME.json`` for people to read. Nothing here ever
unpickles. A file is not trusted (its checksum catches damage, not forgery): the header's size and
JSON nesting are capped before it is parsed, the card is checked field by field, the tensor list is
checked against the model before safetensors reads it, and anything unexpected is a WeightsError.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from cnnviz.card import SHOWN_CHARS, CardError, is_int, read_card, shown
from cnnviz.data import ASSETS
from cnnviz.models import MODELS, LayeredCNN, build_model

MAX_WEIGHTS_BYTES = 50 * 1024 * 1024
MAX_HEADER_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 16
# safetensors dtype codes, named as torch names them (for messages and for comparing with a model)
DTYPES = {
    "F64": "float64",
    "F32": "float32",
    "F16": "float16",
    "BF16": "bfloat16",
    "I64": "int64",
    "I32": "int32",
    "I16": "int16",
    "I8": "int8",
    "U8": "uint8",
    "BOOL": "bool",
}
_JSON_TOKENS = re.compile(r'[\\"\[\]{}]')


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
    """Serialise a model's state and its checked card to safetensors bytes (for saving or downloading)."""
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    card_json = json.dumps(read_card(card), sort_keys=True)
    return st_save(state, metadata={"card": card_json, "sha256": _digest(card_json, state)})


def save_weights(model: LayeredCNN, path: str | os.PathLike, card: dict[str, Any]) -> Path:
    """Write NAME.safetensors and NAME.json; returns the weights path. CardError if the card is not valid."""
    card = read_card(card)
    path = Path(path).with_suffix(".safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(weights_to_bytes(model, card))
    card_path(path).write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return path


def json_depth(text: str) -> int:
    """How deeply a JSON text nests lists and objects, found without parsing it (no recursion)."""
    depth = deepest = 0
    in_string, escaped_until = False, -1
    for token in _JSON_TOKENS.finditer(text):
        char, at = token.group(), token.start()
        if at < escaped_until:
            continue
        if char == "\\":
            escaped_until = at + 2 if in_string else escaped_until
        elif char == '"':
            in_string = not in_string
        elif not in_string:
            depth += 1 if char in "[{" else -1
            deepest = max(deepest, depth)
    return deepest


def _parse_json(text: str, what: str) -> Any:
    """json.loads with the nesting capped first (a deeply nested text would exhaust Python's recursion)."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise WeightsError(
            f"The {what} nests lists or objects more than {MAX_JSON_DEPTH} deep: it was not saved by cnnviz."
        )
    try:
        return json.loads(text)
    except ValueError as exc:
        raise WeightsError(f"The {what} is not valid JSON: the file is damaged or was not saved by cnnviz.") from exc


def _read_header(data: bytes) -> dict[str, Any]:
    """The safetensors header (8 bytes little-endian length, then JSON), its size checked before parsing."""
    if len(data) < 8:
        raise WeightsError("This is not a safetensors weights file: it is too short.")
    header_len = int.from_bytes(data[:8], "little")
    if header_len > MAX_HEADER_BYTES:
        raise WeightsError(
            f"The weights file's header claims {header_len:,} bytes; a cnnviz file's is far smaller "
            f"(at most {MAX_HEADER_BYTES:,}). It is damaged or was not saved by cnnviz."
        )
    if header_len < 2 or 8 + header_len > len(data):
        raise WeightsError("This is not a safetensors weights file (its header is damaged or runs past its end).")
    try:
        text = data[8 : 8 + header_len].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WeightsError("The weights file's header is not text: the file is damaged.") from exc
    header = _parse_json(text, "weights file's header")
    if not isinstance(header, dict):
        raise WeightsError("The weights file's header is not a safetensors header: the file is damaged.")
    return header


def _card_and_digest(header: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(checked card, card JSON as stored, SHA-256) from the header's metadata."""
    metadata = header.get("__metadata__")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("card"), str):
        raise WeightsError("The weights file has no readable card: it was not saved by cnnviz.")
    card_json, digest = metadata["card"], metadata.get("sha256")
    if not isinstance(digest, str):
        raise WeightsError("The weights file has no checksum: it was not saved by cnnviz.")
    try:
        return read_card(_parse_json(card_json, "weights card")), card_json, digest
    except CardError as exc:
        raise WeightsError(str(exc)) from exc


def _build(card: dict[str, Any]) -> LayeredCNN:
    """The untrained model the card names, or WeightsError when model and dataset cannot go together."""
    try:
        return build_model(card["model"], card["dataset"])
    except ValueError as exc:
        raise WeightsError(f"The card pairs a model with a dataset it cannot read: {exc}") from exc


def _header_layout(header: dict[str, Any]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Tensor name -> (dtype name, shape) as the header lists them, before safetensors reads any."""
    layout = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = entry.get("dtype") if isinstance(entry, dict) else None
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not isinstance(dtype, str) or not isinstance(shape, list) or not all(is_int(n) for n in shape):
            raise WeightsError(f"The weights file's header describes tensor {shown(name)} badly: the file is damaged.")
        layout[name] = (DTYPES.get(dtype, shown(dtype)), tuple(shape))
    return layout


def _state_layout(state: dict[str, torch.Tensor]) -> dict[str, tuple[str, tuple[int, ...]]]:
    return {key: (str(t.dtype).removeprefix("torch."), tuple(t.shape)) for key, t in state.items()}


def _check_layout(model: LayeredCNN, layout: dict[str, tuple[str, tuple[int, ...]]]) -> None:
    """Refuse tensors that are missing, extra, or of another dtype or shape than the model's."""
    expected = _state_layout(model.state_dict())
    missing, extra = sorted(set(expected) - set(layout)), sorted(set(layout) - set(expected))
    if missing or extra:
        raise WeightsError(
            f"The weights do not fit {type(model).__name__}: missing {', '.join(missing[:3]) or 'nothing'}, "
            f"unexpected {', '.join(shown(k) for k in extra[:3]) or 'nothing'}."
        )
    for key, (dtype, shape) in layout.items():
        if (dtype, shape) != expected[key]:
            raise WeightsError(
                f"The tensor {key} is {dtype} {_shape_text(shape)}; {type(model).__name__} needs "
                f"{expected[key][0]} {list(expected[key][1])}."
            )


def _shape_text(shape: tuple[int, ...]) -> str:
    text = str(list(shape))
    return text if len(text) <= SHOWN_CHARS else f"of shape {text[: SHOWN_CHARS - 1]}…"


def _load_tensors(data: bytes) -> dict[str, torch.Tensor]:
    try:
        return st_load(data)
    except (SafetensorError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise WeightsError("The weights file is damaged: its tensors do not match its header.") from exc


def _check_state(model: LayeredCNN, state: dict[str, torch.Tensor]) -> None:
    """The tensors as read fit the model and hold only finite numbers."""
    _check_layout(model, _state_layout(state))
    for key, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise WeightsError(f"The tensor {key} contains NaN or infinite values.")


def weights_from_bytes(data: bytes) -> tuple[LayeredCNN, dict[str, Any]]:
    """A model in eval mode and its checked card from safetensors bytes; WeightsError on anything wrong."""
    if len(data) > MAX_WEIGHTS_BYTES:
        raise WeightsError(f"The weights file is larger than {MAX_WEIGHTS_BYTES // 2**20} MB.")
    header = _read_header(data)
    card, card_json, digest = _card_and_digest(header)
    model = _build(card)
    _check_layout(model, _header_layout(header))
    state = _load_tensors(data)
    _check_state(model, state)
    if _digest(card_json, state) != digest:
        raise WeightsError(
            "The weights file has been changed or damaged since it was saved "
            "(its checksum does not match). Download or train it again."
        )
    model.load_state_dict(state)
    return model.eval(), card


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
