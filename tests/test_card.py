"""The weights card: one builder (CLI and Train page), one reader that checks every field."""

import pytest
import torch

from cnnviz.card import FIELDS, CardError, build_card, read_card, shown
from cnnviz.train import TrainConfig

RESULT = {"test_size": 500, "test_accuracy": 0.912345678, "test_loss": 0.3333333}


def _card(**options) -> dict:
    config = TrainConfig(**options).to_dict()
    return build_card(
        config, train_size=1000, device=torch.device("cpu"), command="test", train_seconds=1.234, **RESULT
    )


def test_builder_writes_every_field_and_its_card_reads_back_unchanged():
    card = _card(augment=True, precision="fp32")
    assert list(card) == list(FIELDS) and read_card(card) == card
    assert card["augment"] is True and card["precision"] == "fp32" and card["train_size"] == 1000
    assert card["device"] == "cpu" and card["test_accuracy"] == 0.91235 and card["train_seconds"] == 1.2
    assert card["test_accuracy_per_epoch"] is None and card["torch"] == torch.__version__


def test_builder_refuses_settings_no_reader_would_accept():
    with pytest.raises(CardError, match="lr is 0; it should be a number above 0"):
        _card(lr=0)
    with pytest.raises(CardError, match="names model 'gpt'"):
        _card(model="gpt")


def test_reader_fills_what_an_older_card_did_not_record_with_none():
    card = read_card({"model": "simplecnn", "dataset": "fashion", "epochs": 3})
    assert card["epochs"] == 3 and all(card[k] is None for k in FIELDS if k not in ("model", "dataset", "epochs"))


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("test_accuracy", 1.0000001, "test_accuracy is 1.0000001; it should be a number from 0 to 1."),
        ("test_loss", float("nan"), "test_loss is nan; it should be a number of at least 0."),
        ("seed", 2**64, "seed is 18446744073709551616; it should be a whole number from"),
        ("batch_size", [128], "batch_size is a list; it should be a whole number from 1 to 1,000,000,000."),
        ("device", {"type": "cpu"}, "device is an object; it should be text of at most 2,000 characters."),
        ("date", "x" * 2001, "date is 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…; it should be text"),
        ("augment", 1, "augment is 1; it should be true or false."),
        ("test_accuracy_per_epoch", [0.5, None], "test_accuracy_per_epoch is a list; it should be a list of at most"),
    ],
)
def test_each_field_is_checked_for_type_and_range(field, value, words):
    with pytest.raises(CardError) as refused:
        read_card({"model": "lenet5", "dataset": "mnist", field: value})
    assert words in str(refused.value)


@pytest.mark.parametrize(
    ("value", "words"),
    [(True, "true"), (None, "null"), (3, "3"), ("a'b", '"a\'b"'), ("é" * 50, "'" + "é" * 38 + "…"), ([1], "a list")],
)
def test_values_from_a_file_are_shown_briefly(value, words):
    assert shown(value) == words
