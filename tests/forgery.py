"""Forged and broken weights files for the tests (anyone can write one: the checksum catches damage, not forgery).

Shared by tests/test_weights.py, the Train page's AppTest and the browser test (pytest puts tests/ on
sys.path through tests/conftest.py, as pytest does for conftest folders).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from typing import Any

import torch
from safetensors.torch import save as st_save

from cnnviz import models, weights

FORGED_CARD = {"model": "lenet5", "dataset": "mnist", "test_accuracy": 0.99}


def lenet_state() -> dict[str, torch.Tensor]:
    """A seeded LeNet-5's tensors, as a weights file holds them."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return {k: v.detach().clone().contiguous() for k, v in models.build_model("lenet5").state_dict().items()}


def forge(
    card: Any = FORGED_CARD, state: dict[str, torch.Tensor] | None = None, *, card_json: str | None = None
) -> bytes:
    """A weights file with any card and tensors, and a checksum that matches them."""
    state = lenet_state() if state is None else state
    card_json = json.dumps(card) if card_json is None else card_json
    return st_save(state, metadata={"card": card_json, "sha256": weights._digest(card_json, state)})


def with_header(data: bytes, change: Callable[[dict], Any]) -> bytes:
    """A valid file whose header JSON was changed in place (tensor bytes kept), padded as safetensors pads."""
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    change(header)
    return raw_file(json.dumps(header).encode(), data[8 + length :])


def raw_file(header: bytes, tail: bytes = b"", length: int | None = None) -> bytes:
    """8-byte little-endian header length (the true one unless given), the header, then the rest."""
    header += b" " * (-len(header) % 8)
    return (len(header) if length is None else length).to_bytes(8, "little") + header + tail


@functools.cache
def _good() -> bytes:
    return forge()


def _good_header() -> bytes:
    return _good()[8 : 8 + int.from_bytes(_good()[:8], "little")]


def _good_tensors() -> bytes:
    return _good()[8 + len(_good_header()) :]


def _card(**changes: Any) -> dict[str, Any]:
    card = dict(FORGED_CARD, **changes)
    return {k: v for k, v in card.items() if v is not ...}


def _state(change: Callable[[dict[str, torch.Tensor]], Any]) -> dict[str, torch.Tensor]:
    state = lenet_state()
    change(state)
    return state


def _forged_cases() -> dict[str, tuple[Callable[[], bytes], str]]:
    """Case name -> (how to make the file, words its refusal must contain)."""
    deep = "[" * 10_000 + "]" * 10_000
    return {
        "model_list": (lambda: forge(_card(model=["lenet5"])), "The card's model is a list; it should be one of"),
        "model_dict": (lambda: forge(_card(model={"name": "lenet5"})), "The card's model is an object"),
        "model_number": (lambda: forge(_card(model=5)), "The card's model is 5;"),
        "model_unknown": (
            lambda: forge(_card(model="gpt")),
            "The card names model 'gpt', which this app does not know; it knows SimpleCNN, LeNet-5",
        ),
        "model_missing": (lambda: forge(_card(model=...)), "does not say which model"),
        "model_null": (lambda: forge(_card(model=None)), "does not say which model"),
        "dataset_unknown": (
            lambda: forge(_card(dataset="fashion_mnist")),
            "The card names dataset 'fashion_mnist', which this app does not know; "
            "it knows MNIST digits, Fashion-MNIST, CIFAR-10.",
        ),
        "dataset_list": (lambda: forge(_card(dataset=["mnist"])), "The card's dataset is a list"),
        "dataset_missing": (lambda: forge(_card(dataset=...)), "does not say which dataset"),
        "model_cannot_read_dataset": (lambda: forge(_card(dataset="cifar10")), "LeNet-5 takes 1-channel images"),
        "card_for_another_model": (lambda: forge(_card(model="simplecnn")), "do not fit SimpleCNN"),
        "test_accuracy_text": (
            lambda: forge(_card(test_accuracy="0.99")),
            "test_accuracy is '0.99'; it should be a number from 0 to 1",
        ),
        "test_accuracy_above_one": (lambda: forge(_card(test_accuracy=1.5)), "test_accuracy is 1.5;"),
        "test_accuracy_negative": (lambda: forge(_card(test_accuracy=-0.1)), "test_accuracy is -0.1;"),
        "test_accuracy_nan": (
            lambda: forge(card_json='{"model": "lenet5", "dataset": "mnist", "test_accuracy": NaN}'),
            "test_accuracy is nan;",
        ),
        "test_accuracy_infinite": (
            lambda: forge(card_json='{"model": "lenet5", "dataset": "mnist", "test_accuracy": 1e999}'),
            "test_accuracy is inf;",
        ),
        "epochs_zero": (lambda: forge(_card(epochs=0)), "epochs is 0; it should be a whole number from 1 to 10,000"),
        "epochs_fraction": (lambda: forge(_card(epochs=2.5)), "epochs is 2.5;"),
        "epochs_true": (lambda: forge(_card(epochs=True)), "epochs is true;"),
        "epochs_huge": (lambda: forge(_card(epochs=10**30)), "epochs is 10000000000000000000000000000"),
        "epochs_thousands_of_digits": (
            lambda: forge(card_json='{"model": "lenet5", "dataset": "mnist", "epochs": ' + "9" * 5000 + "}"),
            "not valid JSON",
        ),
        "augment_text": (lambda: forge(_card(augment="yes")), "augment is 'yes'; it should be true or false"),
        "lr_negative": (lambda: forge(_card(lr=-1)), "lr is -1; it should be a number above 0"),
        "command_too_long": (lambda: forge(_card(command="x" * 5000)), "it should be text of at most 2,000 characters"),
        "accuracy_per_epoch_bad": (
            lambda: forge(_card(test_accuracy_per_epoch=[0.5, 2])),
            "test_accuracy_per_epoch is a list; it should be",
        ),
        "card_not_json": (lambda: forge(card_json="{not json"), "The weights card is not valid JSON"),
        "card_a_list": (lambda: forge(card_json="[1, 2]"), "should be a JSON object of named fields, not a list"),
        "card_a_string": (lambda: forge(card_json='"lenet5"'), "should be a JSON object of named fields, not 'lenet5'"),
        "card_null": (lambda: forge(card_json="null"), "not null"),
        "card_nested_10000_deep": (
            lambda: forge(card_json='{"model": "lenet5", "dataset": "mnist", "x": ' + deep + "}"),
            "nests lists or objects more than",
        ),
        "card_not_text": (
            lambda: with_header(_good(), lambda h: h["__metadata__"].__setitem__("card", 5)),
            "no readable card",
        ),
        "no_metadata": (lambda: st_save(lenet_state()), "no readable card"),
        "no_checksum": (lambda: st_save(lenet_state(), metadata={"card": json.dumps(FORGED_CARD)}), "no checksum"),
        "checksum_wrong": (
            lambda: with_header(_good(), lambda h: h["__metadata__"].__setitem__("sha256", "0" * 64)),
            "checksum does not match",
        ),
        "header_nested_10000_deep": (
            lambda: raw_file(b'{"a": ' + deep.encode() + b"}", _good_tensors()),
            "header nests lists or objects",
        ),
        "header_longer_than_file": (
            lambda: raw_file(_good_header(), _good_tensors(), length=len(_good())),
            "runs past its end",
        ),
        "header_length_huge": (
            lambda: raw_file(_good_header(), _good_tensors(), length=2**64 - 1),
            "header claims 18,446,744,073,709,551,615 bytes",
        ),
        "header_length_zero": (lambda: raw_file(b"", _good()[8:], length=0), "header is damaged"),
        "header_not_json": (lambda: raw_file(b"{nope", _good_tensors()), "header is not valid JSON"),
        "header_a_list": (lambda: raw_file(b"[1, 2, 3]", _good_tensors()), "header is not a safetensors header"),
        "header_not_utf8": (lambda: raw_file(b'{"\xff": 1}', _good_tensors()), "header is not text"),
        "header_dtype_unknown": (
            lambda: with_header(_good(), lambda h: h["layers.fc3.bias"].__setitem__("dtype", "X99")),
            "layers.fc3.bias is 'X99'",
        ),
        "header_shape_text": (
            lambda: with_header(_good(), lambda h: h["layers.fc3.bias"].__setitem__("shape", "ten")),
            "describes tensor 'layers.fc3.bias' badly",
        ),
        "header_offsets_wrong": (
            lambda: with_header(_good(), lambda h: h["layers.fc3.bias"].__setitem__("data_offsets", [0, 40])),
            "tensors do not match its header",
        ),
        "tensors_cut_off": (lambda: _good()[: len(_good()) // 2], "tensors do not match its header"),
        "tensor_wrong_shape": (
            lambda: forge(state=_state(lambda s: s.__setitem__("layers.fc1.weight", torch.zeros(100, 400)))),
            "layers.fc1.weight is float32 [100, 400]; LeNet5 needs float32 [120, 400].",
        ),
        "tensor_wrong_dtype": (
            lambda: forge(state=_state(lambda s: s.__setitem__("layers.fc3.bias", torch.zeros(10).double()))),
            "layers.fc3.bias is float64",
        ),
        "tensor_nan": (
            lambda: forge(state=_state(lambda s: s["layers.conv1.weight"].view(-1).__setitem__(0, math.nan))),
            "layers.conv1.weight contains NaN",
        ),
        "tensor_infinite": (
            lambda: forge(state=_state(lambda s: s["layers.fc2.bias"].__setitem__(3, -math.inf))),
            "layers.fc2.bias contains NaN or infinite",
        ),
        "tensor_extra": (
            lambda: forge(state=_state(lambda s: s.__setitem__("layers.extra", torch.zeros(3)))),
            "unexpected 'layers.extra'",
        ),
        "tensor_missing": (lambda: forge(state=_state(lambda s: s.pop("layers.fc3.bias"))), "missing layers.fc3.bias"),
        "pickle": (lambda: b"\x80\x04K\x01.", "too short"),
        "empty": (lambda: b"", "too short"),
    }


FORGED_CASES = _forged_cases()
