"""Weights files: round trip, and refusal of anything tampered with, damaged or mismatched."""

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.torch import save as st_save

from cnnviz import models
from cnnviz.weights import WeightsError, card_path, load_weights, save_weights, weights_from_bytes, weights_to_bytes

CARD = {"model": "lenet5", "dataset": "mnist", "test_accuracy": 0.99}


@pytest.fixture(scope="module")
def lenet() -> models.LayeredCNN:
    torch.manual_seed(0)
    return models.build_model("lenet5")


@pytest.fixture(scope="module")
def good_bytes(lenet) -> bytes:
    return weights_to_bytes(lenet, CARD)


def _same(a: models.LayeredCNN, b: models.LayeredCNN) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_round_trip_keeps_weights_and_card(tmp_path, lenet):
    path = save_weights(lenet, tmp_path / "nets" / "mine", CARD)
    assert path.suffix == ".safetensors" and json.loads(card_path(path).read_text()) == CARD
    model, card = load_weights(path)
    assert card == CARD and _same(model, lenet) and not model.training


def test_save_needs_model_and_dataset_in_the_card(tmp_path, lenet):
    with pytest.raises(ValueError, match="dataset"):
        save_weights(lenet, tmp_path / "x", {"model": "lenet5"})


@settings(max_examples=200, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True), flip=st.integers(1, 255))
def test_any_flipped_byte_is_refused_or_harmless(good_bytes, lenet, position, flip):
    data = bytearray(good_bytes)
    data[int(position * len(data))] ^= flip
    try:
        model, card = weights_from_bytes(bytes(data))
    except WeightsError:
        return
    assert card == CARD and _same(model, lenet)  # only header whitespace can change harmlessly


def test_flipped_weight_byte_is_caught_by_the_checksum(good_bytes):
    data = bytearray(good_bytes)
    data[-5] ^= 0x01
    with pytest.raises(WeightsError, match="checksum"):
        weights_from_bytes(bytes(data))


@pytest.mark.parametrize("keep", [0, 7, 100, 0.5, -1])
def test_truncated_file_is_refused(good_bytes, keep):
    cut = int(len(good_bytes) * keep) if isinstance(keep, float) else keep % len(good_bytes)
    with pytest.raises(WeightsError):
        weights_from_bytes(good_bytes[:cut])


def _rewrite(lenet, card, change):
    """Bytes of a file whose tensors were changed by `change` but whose checksum was recomputed."""
    from cnnviz import weights as w

    state = {k: v.clone() for k, v in lenet.state_dict().items()}
    change(state)
    card_json = json.dumps(card, sort_keys=True)
    return st_save(state, metadata={"card": card_json, "sha256": w._digest(card_json, state)})


def test_wrong_shapes_are_refused_with_the_layer_named(lenet):
    data = _rewrite(lenet, CARD, lambda s: s.__setitem__("layers.fc1.weight", torch.zeros(100, 400)))
    with pytest.raises(WeightsError, match=r"layers\.fc1\.weight"):
        weights_from_bytes(data)


def test_wrong_dtype_is_refused(lenet):
    data = _rewrite(lenet, CARD, lambda s: s.__setitem__("layers.fc3.bias", torch.zeros(10).double()))
    with pytest.raises(WeightsError, match="float64"):
        weights_from_bytes(data)


def test_nan_weights_are_refused(lenet):
    data = _rewrite(lenet, CARD, lambda s: s["layers.conv1.weight"].view(-1).__setitem__(0, math.nan))
    with pytest.raises(WeightsError, match="NaN"):
        weights_from_bytes(data)


def test_missing_and_extra_tensors_are_refused(lenet):
    data = _rewrite(lenet, CARD, lambda s: s.pop("layers.fc3.bias"))
    with pytest.raises(WeightsError, match="missing"):
        weights_from_bytes(data)


def test_card_for_another_model_is_refused(lenet):
    card = dict(CARD, model="simplecnn")
    with pytest.raises(WeightsError):
        weights_from_bytes(weights_to_bytes(lenet, card))
    with pytest.raises(WeightsError, match="unknown model"):
        weights_from_bytes(weights_to_bytes(lenet, dict(CARD, model="gpt")))


def test_file_without_a_card_or_checksum_is_refused(lenet):
    plain = st_save({k: v.contiguous() for k, v in lenet.state_dict().items()})
    with pytest.raises(WeightsError, match="card"):
        weights_from_bytes(plain)
    no_sum = st_save({k: v.contiguous() for k, v in lenet.state_dict().items()}, metadata={"card": json.dumps(CARD)})
    with pytest.raises(WeightsError):
        weights_from_bytes(no_sum)


class _Payload:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def test_a_pickle_renamed_safetensors_is_refused_without_running_it(tmp_path, monkeypatch, lenet):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.safetensors"
    torch.save({"state": lenet.state_dict(), "payload": _Payload()}, path)
    with pytest.raises(WeightsError):
        load_weights(path)
    assert not (tmp_path / "PWNED").exists()


def test_missing_file_says_how_to_get_one(tmp_path):
    with pytest.raises(WeightsError, match="python -m cnnviz train"):
        load_weights(tmp_path / "none.safetensors")


def test_oversized_file_is_refused():
    with pytest.raises(WeightsError, match="larger than"):
        weights_from_bytes(b"\0" * (50 * 1024 * 1024 + 1))
