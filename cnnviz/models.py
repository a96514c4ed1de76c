"""The networks the classic tutorials teach, each a flat list of named layers.

Every model takes images as floats in [0, 1] of shape (N, C, input_size, input_size) and normalises
them itself (mean/std buffers saved with the weights), so callers never need to know the statistics.
``forward_with_activations`` returns each layer's output by name from one forward pass.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from cnnviz.data import ASSETS, DATASETS


class LayeredCNN(nn.Module):
    """A normalising input step followed by named layers, run in order."""

    input_size: int = 28
    default_dataset: str = "mnist"

    def __init__(self, layers: OrderedDict[str, nn.Module], dataset: str):
        super().__init__()
        info = DATASETS[dataset]
        self.dataset = dataset
        self.classes = info.classes
        self.register_buffer("mean", torch.tensor(info.mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(info.std).view(1, -1, 1, 1))
        self.layers = nn.Sequential(layers)

    @property
    def in_channels(self) -> int:
        return self.mean.shape[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers((x - self.mean) / self.std)

    def forward_with_activations(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits plus every layer's output keyed by layer name, from a single pass."""
        activations: dict[str, torch.Tensor] = {}
        x = (x - self.mean) / self.std
        for name, layer in self.layers.named_children():
            x = layer(x)
            activations[name] = x
        return x, activations


class SimpleCNN(LayeredCNN):
    """Two 3x3 conv blocks and two fully connected layers: the PyTorch MNIST starter network."""

    input_size = 28

    def __init__(self, num_classes: int = 10, dataset: str = "mnist"):
        super().__init__(
            OrderedDict(
                conv1=nn.Conv2d(1, 32, kernel_size=3, padding=1),
                relu1=nn.ReLU(),
                pool1=nn.MaxPool2d(2),
                conv2=nn.Conv2d(32, 64, kernel_size=3, padding=1),
                relu2=nn.ReLU(),
                pool2=nn.MaxPool2d(2),
                flatten=nn.Flatten(),
                fc1=nn.Linear(64 * 7 * 7, 128),
                relu3=nn.ReLU(),
                fc2=nn.Linear(128, num_classes),
            ),
            dataset,
        )


class LeNet5(LayeredCNN):
    """LeCun et al. 1998 on 32x32 input, with batch norm and ReLU as modern tutorials train it."""

    input_size = 32

    def __init__(self, num_classes: int = 10, dataset: str = "mnist"):
        super().__init__(
            OrderedDict(
                conv1=nn.Conv2d(1, 6, kernel_size=5),
                bn1=nn.BatchNorm2d(6),
                relu1=nn.ReLU(),
                pool1=nn.MaxPool2d(2),
                conv2=nn.Conv2d(6, 16, kernel_size=5),
                bn2=nn.BatchNorm2d(16),
                relu2=nn.ReLU(),
                pool2=nn.MaxPool2d(2),
                flatten=nn.Flatten(),
                fc1=nn.Linear(16 * 5 * 5, 120),
                relu3=nn.ReLU(),
                fc2=nn.Linear(120, 84),
                relu4=nn.ReLU(),
                fc3=nn.Linear(84, num_classes),
            ),
            dataset,
        )


class CifarCNN(LayeredCNN):
    """The PyTorch "Training a classifier" network for 32x32 colour CIFAR-10 images."""

    input_size = 32
    default_dataset = "cifar10"

    def __init__(self, num_classes: int = 10, dataset: str = "cifar10"):
        super().__init__(
            OrderedDict(
                conv1=nn.Conv2d(3, 6, kernel_size=5),
                relu1=nn.ReLU(),
                pool1=nn.MaxPool2d(2),
                conv2=nn.Conv2d(6, 16, kernel_size=5),
                relu2=nn.ReLU(),
                pool2=nn.MaxPool2d(2),
                flatten=nn.Flatten(),
                fc1=nn.Linear(16 * 5 * 5, 120),
                relu3=nn.ReLU(),
                fc2=nn.Linear(120, 84),
                relu4=nn.ReLU(),
                fc3=nn.Linear(84, num_classes),
            ),
            dataset,
        )


MODELS: dict[str, type[LayeredCNN]] = {"simplecnn": SimpleCNN, "lenet5": LeNet5, "cifarcnn": CifarCNN}
MODEL_TITLES = {"simplecnn": "SimpleCNN", "lenet5": "LeNet-5", "cifarcnn": "CifarCNN"}


def device_of(model: nn.Module) -> torch.device:
    """Where the model's weights live (a model trained in the session may sit on a GPU)."""
    return next(model.parameters()).device


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode for a block (batch norm uses its running statistics); the model's mode comes back after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def build_model(name: str, dataset: str | None = None) -> LayeredCNN:
    """A freshly initialised model by registry name, for the given (or its default) dataset."""
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}; choose one of {', '.join(MODELS)}.")
    cls = MODELS[name]
    dataset = dataset or cls.default_dataset
    if DATASETS[dataset].channels != DATASETS[cls.default_dataset].channels:
        raise ValueError(
            f"{MODEL_TITLES[name]} takes {DATASETS[cls.default_dataset].channels}-channel "
            f"images; {DATASETS[dataset].title} has {DATASETS[dataset].channels}."
        )
    return cls(dataset=dataset)


def pretrained_path(name: str) -> Path:
    """Where the shipped weights of a model live (the .json card sits beside them)."""
    return ASSETS / f"{name}.safetensors"


def pretrained_names() -> list[str]:
    """The registry names whose weights are shipped in assets/."""
    return [name for name in MODELS if pretrained_path(name).is_file()]


def load_pretrained(name: str) -> LayeredCNN:
    """A shipped model with its trained weights, in eval mode; WeightsError if the file is bad."""
    from cnnviz.weights import load_weights

    model, _card = load_weights(pretrained_path(name))
    return model
