"""The layer table of a model: output shapes, parameter counts and multiply-accumulates per layer.

Shapes come from one real forward pass (hooks on each named layer), so the table is always the
network PyTorch runs, not a hand-written description. A multiply-accumulate (MAC) is one
``a * b + c``: a convolution does (input channels x kernel area) of them per output value, a linear
layer one per weight, batch norm (folded for inference) one per value; ReLU, pooling and flatten
only compare or move numbers and count zero.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
from torch import nn

from cnnviz.models import LayeredCNN


@dataclass(frozen=True)
class LayerInfo:
    """One row of the layer table (shapes without the batch dimension)."""

    name: str
    kind: str
    description: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: int
    macs: int


@dataclass(frozen=True)
class FcComparison:
    """What a conv layer would cost without its two tricks: local windows and shared weights."""

    layer: str
    conv_params: int
    locally_connected_params: int
    fully_connected_params: int
    conv_macs: int
    fully_connected_macs: int

    @property
    def ratio(self) -> float:
        """How many times more parameters the fully connected layer needs."""
        return self.fully_connected_params / self.conv_params


def describe(layer: nn.Module) -> str:
    """A short human reading of a layer's settings, e.g. 'Conv2d 1→6, 5×5, stride 1'."""
    if isinstance(layer, nn.Conv2d):
        kh, kw = layer.kernel_size
        text = f"{layer.in_channels}→{layer.out_channels}, {kh}×{kw}, stride {layer.stride[0]}"
        return text + (f", padding {layer.padding[0]}" if layer.padding[0] else "")
    if isinstance(layer, nn.Linear):
        return f"{layer.in_features}→{layer.out_features}"
    if isinstance(layer, nn.BatchNorm2d):
        return f"{layer.num_features} channels"
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        return f"{layer.kernel_size}×{layer.kernel_size}, stride {layer.stride}"
    return ""


def layer_macs(layer: nn.Module, output_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates one image costs in this layer, given its output shape."""
    outputs = math.prod(output_shape)
    if isinstance(layer, nn.Conv2d):
        kh, kw = layer.kernel_size
        return outputs * (layer.in_channels // layer.groups) * kh * kw
    if isinstance(layer, nn.Linear):
        return layer.in_features * layer.out_features
    if isinstance(layer, nn.BatchNorm2d):
        return outputs
    return 0


@torch.no_grad()
def layer_table(model: LayeredCNN) -> list[LayerInfo]:
    """Every named layer with its real input/output shape, parameter count and MACs."""
    # A copy in eval mode: a probe pass must not touch the batch-norm statistics of a model in training.
    probe = copy.deepcopy(model).eval()
    x = torch.zeros(1, model.in_channels, model.input_size, model.input_size)
    rows = []
    for name, layer in probe.layers.named_children():
        y = layer(x)
        rows.append(
            LayerInfo(
                name=name,
                kind=type(layer).__name__,
                description=describe(layer),
                input_shape=tuple(x.shape[1:]),
                output_shape=tuple(y.shape[1:]),
                params=sum(p.numel() for p in layer.parameters()),
                macs=layer_macs(layer, tuple(y.shape[1:])),
            )
        )
        x = y
    return rows


def totals(rows: list[LayerInfo]) -> tuple[int, int]:
    """(parameters, MACs) of the whole network."""
    return sum(r.params for r in rows), sum(r.macs for r in rows)


def fc_comparison(model: LayeredCNN, name: str) -> FcComparison:
    """Parameters of a conv layer next to a fully connected one with the same input and output shape."""
    row = next((r for r in layer_table(model) if r.name == name), None)
    if row is None or row.kind != "Conv2d":
        raise ValueError(f"{name!r} is not a convolution layer of this model.")
    layer = getattr(model.layers, name)
    inputs, outputs = math.prod(row.input_shape), math.prod(row.output_shape)
    kh, kw = layer.kernel_size
    window = (layer.in_channels // layer.groups) * kh * kw
    bias = layer.bias is not None
    return FcComparison(
        layer=name,
        conv_params=row.params,
        locally_connected_params=outputs * (window + bias),
        fully_connected_params=outputs * (inputs + bias),
        conv_macs=row.macs,
        fully_connected_macs=inputs * outputs,
    )


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as people write it: 6×28×28."""
    return "×".join(str(s) for s in shape)


def table_rows(rows: list[LayerInfo]) -> list[dict]:
    """The layer table as display rows, with a totals row at the bottom."""
    params, macs = totals(rows)
    table = [
        {
            "layer": r.name,
            "type": r.kind,
            "settings": r.description,
            "output shape": shape_text(r.output_shape),
            "parameters": r.params,
            "share of parameters": r.params / params if params else 0.0,
            "MACs": r.macs,
        }
        for r in rows
    ]
    table.append(
        {
            "layer": "Total",
            "type": "",
            "settings": f"{len(rows)} layers",
            "output shape": "",
            "parameters": params,
            "share of parameters": 1.0,
            "MACs": macs,
        }
    )
    return table
