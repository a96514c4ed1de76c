"""The networks the classic tutorials teach, each a flat list of named layers.

Every model takes images as floats in [0, 1] of shape (N, C, input_size, input_size) and normalises
them itself (mean/std buffers saved with the weights), so callers never need to know the statistics.
``forward_with_activations`` returns each layer's output by name from one forward pass.

``MODELS`` is the registry: one ``ModelSpec`` per key holds the class that builds the model beside what
to know about it (title, the dataset it is trained on, input size), as torchvision keeps its weights'
metadata beside the builder.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from cnnviz.data import DATASETS


class LayeredCNN(nn.Module):
    """A normalising input step followed by named layers, run in order."""

    input_size: int = 28  # fixed by each architecture: its fully connected layers expect this size

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


@dataclass(frozen=True)
class ModelSpec:
    """A registry entry: the class that builds a model and what to know about it, side by side."""

    builder: type[LayeredCNN]
    title: str
    default_dataset: str  # trained on this unless told otherwise; any dataset with its channel count works

    @property
    def input_size(self) -> int:
        return self.builder.input_size

    @property
    def channels(self) -> int:
        return DATASETS[self.default_dataset].channels


MODELS: dict[str, ModelSpec] = {
    "simplecnn": ModelSpec(SimpleCNN, "SimpleCNN", "mnist"),
    "lenet5": ModelSpec(LeNet5, "LeNet-5", "mnist"),
    "cifarcnn": ModelSpec(CifarCNN, "CifarCNN", "cifar10"),
}


def readable_datasets(model: str, datasets: list[str]) -> list[str]:
    """The datasets (of those given) whose images a model can take: as many colour channels as it expects."""
    return [d for d in datasets if DATASETS[d].channels == MODELS[model].channels]


def trainable_models(datasets: list[str]) -> list[str]:
    """The models that at least one of the given datasets can train (CifarCNN needs CIFAR-10)."""
    return [m for m in MODELS if readable_datasets(m, datasets)]


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
    spec = MODELS[name]
    dataset = dataset or spec.default_dataset
    if not readable_datasets(name, [dataset]):
        raise ValueError(
            f"{spec.title} takes {spec.channels}-channel images; "
            f"{DATASETS[dataset].title} has {DATASETS[dataset].channels}."
        )
    return spec.builder(dataset=dataset)
