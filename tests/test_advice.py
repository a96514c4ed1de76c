"""Advice on training settings and runs: each problem named with its fix, typical rates written once."""

from dataclasses import replace

import numpy as np
import pytest

from cnnviz import advice
from cnnviz.progress import CurvePoint, Progress, Result
from cnnviz.train import OPTIMIZERS, TrainConfig

TINY = TrainConfig(model="lenet5", epochs=1, batch_size=64, train_size=512, seed=0)


def test_advice_names_an_exploding_loss():
    curve = (CurvePoint(0.1, 2.3, 0.1), CurvePoint(0.2, 9e6, 0.1))
    result = Result(2.3, 0.1, 10, np.eye(10, dtype=int), *[np.zeros(0)] * 4)
    progress = Progress("finished", TrainConfig(lr=1.0), 2, train_curve=curve, result=result)
    assert "too high" in advice.advice(progress)
    calm = Progress(
        "finished",
        TrainConfig(),
        2,
        train_curve=curve[:1],
        result=Result(0.1, 0.97, 10, np.eye(10, dtype=int), *[np.zeros(0)] * 4),
    )
    assert advice.advice(calm) is None


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"lr": 0.0}, "Learning rate 0 is outside"),
        ({"lr": 5.0}, "Learning rate 5 is outside"),
        ({"dataset": "cifar10", "model": "cifarcnn"}, "CIFAR-10 is not on this machine"),
        ({"dataset": "fashion", "model": "cifarcnn"}, "CifarCNN cannot read Fashion-MNIST"),
        ({"device": "xpu"}, "Device 'xpu' is not available"),
        ({"epochs": 0}, "Epochs must be at least 1"),
    ],
)
def test_bad_settings_are_explained(changes, expected):
    config = replace(TINY, **changes)
    problems = advice.config_problems(config, ["mnist", "fashion"])
    assert len(problems) == 1 and expected in problems[0]


def test_good_settings_pass_and_risky_ones_warn():
    assert advice.config_problems(TINY, ["mnist"]) == [] and advice.config_warnings(TINY) == []
    assert "often diverges" in advice.config_warnings(TrainConfig(lr=0.5))[0]
    assert "single step" in advice.config_warnings(TrainConfig(batch_size=512, train_size=500))[0]


def test_hints_quote_the_engines_typical_rates():
    problem = advice.config_problems(replace(TINY, lr=0.0), ["mnist"])[0]
    for spec in OPTIMIZERS.values():
        assert f"{spec.typical_lr:g} for {spec.title}" in problem
    sgd = OPTIMIZERS["sgd"]
    warning = advice.config_warnings(replace(TINY, optimizer="sgd", lr=2 * sgd.diverges_above))[0]
    assert f"{sgd.typical_range[0]:g}-{sgd.typical_range[1]:g} is typical" in warning
    assert advice.config_warnings(replace(TINY, optimizer="sgd", lr=sgd.diverges_above)) == []
