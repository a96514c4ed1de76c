"""One image through a model: every layer's output, the filters behind it, the final probabilities.

Plain functions on numpy arrays so a notebook gets exactly what the feature-maps page shows.
Images are uint8, (H, W) for grey or (C, H, W); the model pads them to its own input size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from cnnviz.data import sample_digits, to_model_input
from cnnviz.images import load_image
from cnnviz.models import LayeredCNN, device_of, evaluating
from cnnviz.pooling import PoolResult, pool2d
from cnnviz.predict import predict_batch, preprocess


@dataclass(frozen=True)
class Activations:
    """What one forward pass produced: the model input, each layer's output, scores and probabilities."""

    input: np.ndarray  # (C, H, W) floats in [0, 1], padded to the model's input size
    layers: dict[str, np.ndarray]  # layer name -> (C, H, W) maps or (F,) vectors, in order
    logits: np.ndarray
    probs: np.ndarray

    @property
    def prediction(self) -> int:
        """The class with the highest probability."""
        return int(self.probs.argmax())


def _as_batch(image: np.ndarray) -> torch.Tensor:
    """uint8 (H, W) or (C, H, W) -> uint8 (1, C, H, W)."""
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.uint8))
    return tensor.reshape(1, -1, *tensor.shape[-2:])


@torch.no_grad()
def run_model(model: LayeredCNN, image: np.ndarray) -> Activations:
    """Forward one uint8 image and keep every layer's output (one pass, in eval semantics)."""
    x = to_model_input(_as_batch(image).to(device_of(model)), model.input_size)
    with evaluating(model):
        logits, layers = model.forward_with_activations(x)
    return Activations(
        input=x[0].float().cpu().numpy(),
        layers={name: act[0].float().cpu().numpy() for name, act in layers.items()},
        logits=logits[0].float().cpu().numpy(),
        probs=F.softmax(logits[0].float(), dim=0).cpu().numpy(),
    )


def spatial_layers(acts: Activations) -> list[str]:
    """Layers whose output is a stack of 2-D feature maps (conv, batch norm, ReLU, pool)."""
    return [name for name, value in acts.layers.items() if value.ndim == 3]


def producing_conv(model: LayeredCNN, layer: str) -> str | None:
    """The conv layer whose filters made this layer's channels (itself, or the last conv before it)."""
    conv = None
    for name, module in model.layers.named_children():
        if isinstance(module, nn.Conv2d):
            conv = name
        if name == layer:
            return conv
    raise ValueError(f"The model has no layer {layer!r}.")


def layer_input(model: LayeredCNN, acts: Activations, layer: str) -> np.ndarray:
    """The maps a layer received: the previous layer's output, or the model input for the first."""
    names = list(acts.layers)
    index = names.index(layer)
    return acts.input if index == 0 else acts.layers[names[index - 1]]


def conv_filters(model: LayeredCNN, layer: str) -> np.ndarray:
    """The learned kernels of a conv layer, (out channels, in channels, kh, kw)."""
    module = getattr(model.layers, layer, None)
    if not isinstance(module, nn.Conv2d):
        raise ValueError(f"{layer!r} is not a convolution layer.")
    return module.weight.detach().cpu().numpy().copy()


def pool_source(model: LayeredCNN, layer: str) -> tuple[str, int, int, int]:
    """For a pooling layer: (layer it pools, kernel, stride, padding), to replay it window by window."""
    names = [name for name, _ in model.layers.named_children()]
    module = getattr(model.layers, layer, None)
    if not isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)) or names.index(layer) == 0:
        raise ValueError(f"{layer!r} is not a pooling layer after another layer.")
    return names[names.index(layer) - 1], _first(module.kernel_size), _first(module.stride), _first(module.padding)


def _first(value: int | tuple[int, ...]) -> int:
    return value[0] if isinstance(value, tuple) else value


def conv_layers(model: LayeredCNN) -> list[str]:
    """Names of the convolution layers, in order."""
    return [n for n, m in model.layers.named_children() if isinstance(m, nn.Conv2d)]


def pool_layers(model: LayeredCNN) -> list[str]:
    """Names of the pooling layers, in order."""
    return [n for n, m in model.layers.named_children() if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d))]


def shift_image(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Move a digit dx pixels right and dy down, filling with black (nothing wraps around)."""
    out = np.zeros_like(image)
    h, w = image.shape[-2:]
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src_y, dst_y = slice(max(0, -dy), min(h, h - dy)), slice(max(0, dy), min(h, h + dy))
    src_x, dst_x = slice(max(0, -dx), min(w, w - dx)), slice(max(0, dx), min(w, w + dx))
    out[..., dst_y, dst_x] = image[..., src_y, src_x]
    return out


def rotate_image(image: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate a uint8 image, (H, W) or (C, H, W), about its centre (counter-clockwise), black outside."""
    image = np.asarray(image, dtype=np.uint8)
    if degrees == 0:
        return image.copy()
    if image.ndim == 3:
        return np.stack([rotate_image(channel, degrees) for channel in image])
    return np.asarray(Image.fromarray(image).rotate(degrees, resample=Image.Resampling.BILINEAR, fillcolor=0))


def transform_image(image: np.ndarray, dx: int = 0, dy: int = 0, degrees: float = 0) -> np.ndarray:
    """Rotate then shift a grey digit: the position-invariance experiment."""
    return shift_image(rotate_image(image, degrees), dx, dy)


def shift_sweep(model: LayeredCNN, image: np.ndarray, shifts: range, axis: str = "x") -> np.ndarray:
    """Probabilities (len(shifts), classes) as the digit slides along one axis; one batched pass."""
    moved = np.stack([shift_image(image, s, 0) if axis == "x" else shift_image(image, 0, s) for s in shifts])
    return predict_batch(model, moved)


def sample_image(digit: int, which: int = 0) -> np.ndarray:
    """The which-th shipped sample of a digit class, uint8 (28, 28)."""
    images, labels = sample_digits()
    of_class = images[labels == digit]
    return of_class[which % len(of_class)]


def samples_per_class(digit: int) -> int:
    """How many shipped samples a digit class has."""
    return int((sample_digits()[1] == digit).sum())


def pool_replay(model: LayeredCNN, acts: Activations, layer: str, channel: int) -> tuple[PoolResult, bool]:
    """Replay a pooling layer on one channel window by window; True when it matches the network's output."""
    source, kernel, stride, padding = pool_source(model, layer)
    mode = "max" if isinstance(getattr(model.layers, layer), nn.MaxPool2d) else "avg"
    result = pool2d(acts.layers[source][channel], kernel, stride, padding, mode)
    return result, bool(np.allclose(result.output, acts.layers[layer][channel], atol=1e-5))


def digit_from_upload(data: bytes) -> np.ndarray:
    """An uploaded picture of a digit as MNIST-style uint8 (28, 28); ImageInputError if unusable."""
    return preprocess(load_image(data)).digit
