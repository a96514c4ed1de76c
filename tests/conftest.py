"""Shared fixtures: real MNIST splits (fail under CI when missing, skip elsewhere); hypothesis profiles;
forged weights files for the weights tests and the Train page's."""

import os

import pytest
import torch
from forgery import FORGED_CASES
from hypothesis import settings

from cnnviz import data

# CI draws the same examples every run (a red CI means a change broke something, not a new draw);
# local runs keep drawing new ones. Either way a failure prints how to reproduce it.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def require_dataset(name: str) -> None:
    """Skip (or, under CI, fail) when a dataset's files are not on disk."""
    if data.is_available(name):
        return
    message = f"{name} files not found under {data.data_dir()} (set CNNVIZ_DATA)"
    if os.environ.get("CNNVIZ_REQUIRE_DATA") or os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def mnist_test() -> data.Split:
    require_dataset("mnist")
    return data.load_split("mnist", train=False, download=False)


@pytest.fixture(scope="session")
def mnist_train() -> data.Split:
    require_dataset("mnist")
    return data.load_split("mnist", train=True, download=False)


@pytest.fixture(scope="session")
def forged_weights() -> dict[str, tuple[bytes, str]]:
    """Every forged or broken weights file: name -> (its bytes, words its refusal must contain)."""
    return {name: (make(), words) for name, (make, words) in FORGED_CASES.items()}


@pytest.fixture(scope="module")
def one_torch_thread():
    """Single-image inference is fastest on one thread; several fight over a busy CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
