"""Weights files: round trip, and refusal in plain words of anything tampered with, damaged, mismatched or forged."""

import json
import re

import pytest
import torch
from forgery import FORGED_CARD, FORGED_CASES, forge, lenet_state, raw_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnviz import models
from cnnviz.card import FIELDS, read_card
from cnnviz.weights import (
    MAX_JSON_DEPTH,
    WeightsError,
    card_path,
    json_depth,
    load_weights,
    pretrained_path,
    save_weights,
    weights_from_bytes,
    weights_to_bytes,
)

CARD = FORGED_CARD
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def lenet() -> models.LayeredCNN:
    model = models.build_model("lenet5")
    model.load_state_dict(lenet_state())
    return model


@pytest.fixture(scope="module")
def good_bytes(lenet) -> bytes:
    return weights_to_bytes(lenet, CARD)


def _same(a: models.LayeredCNN, b: models.LayeredCNN) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_round_trip_keeps_weights_and_card(tmp_path, lenet):
    path = save_weights(lenet, tmp_path / "nets" / "mine", CARD)
    assert path.suffix == ".safetensors" and json.loads(card_path(path).read_text()) == read_card(CARD)
    model, card = load_weights(path)
    assert card == read_card(CARD) and _same(model, lenet) and not model.training
    assert {k: v for k, v in card.items() if v is not None} == CARD and list(card) == list(FIELDS)


def test_save_needs_model_and_dataset_in_the_card(tmp_path, lenet):
    with pytest.raises(ValueError, match="dataset"):
        save_weights(lenet, tmp_path / "x", {"model": "lenet5"})
    with pytest.raises(ValueError, match="test_accuracy is 2"):
        weights_to_bytes(lenet, dict(CARD, test_accuracy=2))  # nothing is written that could not be read back


@pytest.mark.parametrize("name", ["lenet5", "simplecnn"])
def test_shipped_weights_open_with_their_full_card(name):
    model, card = load_weights(pretrained_path(name))
    assert card["model"] == name and card["augment"] is True and card["precision"] == "auto"
    assert card["train_size"] is None  # written by the CLI before it recorded the number of images


def test_a_card_written_before_augment_precision_and_train_size_still_opens(lenet):
    old_train_page_card = {
        "model": "lenet5",
        "dataset": "mnist",
        "epochs": 1,
        "optimizer": "adam",
        "lr": 0.003,
        "schedule": "onecycle",
        "batch_size": 128,
        "seed": 0,
        "device": "auto",
        "torch": "2.14.1",
        "command": "cnnviz train page",
        "date": "2026-11-20T10:00:00+00:00",
        "train_seconds": 12.5,
        "test_accuracy": 0.97,
        "test_loss": 0.1,
        "test_size": 10000,
    }
    model, card = weights_from_bytes(forge(old_train_page_card, lenet.state_dict()))
    assert _same(model, lenet) and card["augment"] is None and card["precision"] is None and card["train_size"] is None
    assert {k: v for k, v in card.items() if v is not None} == old_train_page_card


def test_unknown_card_fields_are_left_out(lenet):
    _, card = weights_from_bytes(forge(dict(CARD, notes={"any": ["thing"]}), lenet.state_dict()))
    assert "notes" not in card and card["test_accuracy"] == 0.99


@pytest.mark.parametrize("case", sorted(FORGED_CASES))
def test_forged_or_broken_file_is_refused_in_plain_words(forged_weights, case):
    payload, words = forged_weights[case]
    with pytest.raises(WeightsError, match=re.escape(words)) as refused:
        weights_from_bytes(payload)
    message = str(refused.value)
    assert message[0].isupper() and message.endswith((".", "…")) and len(message) < 400, message


def _only_weights_error(data: bytes) -> tuple[models.LayeredCNN, dict] | None:
    """Whatever the bytes, reading them either works or raises WeightsError: nothing else escapes."""
    try:
        return weights_from_bytes(data)
    except WeightsError:
        return None


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=512))
def test_random_bytes_give_only_weights_errors(data):
    assert _only_weights_error(data) is None


@settings(max_examples=200, deadline=None)
@given(header=JSON)
def test_random_json_headers_give_only_weights_errors(good_bytes, header):
    tail = good_bytes[8 + int.from_bytes(good_bytes[:8], "little") :]
    assert _only_weights_error(raw_file(json.dumps(header).encode(), tail)) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(sorted(FIELDS)) | st.text(max_size=8), JSON, max_size=6))
def test_random_card_values_with_a_true_checksum_are_checked_field_by_field(lenet, fields):
    opened = _only_weights_error(forge(dict(CARD, **fields), lenet.state_dict()))
    if opened is not None:
        _model, card = opened
        assert read_card(card) == card and card["model"] == "lenet5"


@settings(max_examples=300, deadline=None)
@given(
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=4),
    in_header=st.booleans(),
    cut=st.none() | st.floats(0, 1),
    insert=st.binary(max_size=8),
)
def test_mutated_files_are_refused_or_unchanged(good_bytes, lenet, edits, in_header, cut, insert):
    data = bytearray(good_bytes)
    span = 8 + int.from_bytes(good_bytes[:8], "little") if in_header else len(data)
    for position, value in edits:
        data[int(position * span)] = value
    at = int(edits[0][0] * span)
    data[at:at] = insert
    if cut is not None:
        del data[int(cut * len(data)) :]
    opened = _only_weights_error(bytes(data))
    if opened is not None:  # the checksum covers card and tensors: only harmless header bytes can change
        model, card = opened
        assert card == read_card(CARD) and _same(model, lenet)


@settings(max_examples=300, deadline=None)
@given(value=JSON)
def test_json_depth_matches_the_real_nesting(value):
    def depth(v) -> int:
        children = v.values() if isinstance(v, dict) else v if isinstance(v, list) else None
        return 0 if children is None else 1 + max((depth(c) for c in children), default=0)

    assert json_depth(json.dumps(value)) == depth(value)
    assert json_depth(json.dumps(value, ensure_ascii=False)) == depth(value)


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth(r'{"a": "[[[{{\"]]]", "b": ["\\", "[\\\"["]}') == 2
    assert json_depth("[" * 100_000) == 100_000 > MAX_JSON_DEPTH


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
