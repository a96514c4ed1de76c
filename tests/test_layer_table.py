"""The layer table against PyTorch itself: real parameters, real forward shapes, hand-checked MACs."""

import math

import pytest
import torch
from torch import nn

from cnnviz import layer_table, models


@pytest.fixture(params=list(models.MODELS))
def model(request) -> models.LayeredCNN:
    torch.manual_seed(0)
    return models.build_model(request.param)


def test_parameter_counts_match_pytorch(model):
    rows = layer_table.layer_table(model)
    for row in rows:
        layer = getattr(model.layers, row.name)
        assert row.params == sum(p.numel() for p in layer.parameters())
    assert layer_table.totals(rows)[0] == sum(p.numel() for p in model.parameters())


def test_shapes_match_a_real_forward_pass(model):
    x = torch.rand(3, model.in_channels, model.input_size, model.input_size)
    logits, acts = model.eval().forward_with_activations(x)
    rows = layer_table.layer_table(model)
    assert [r.name for r in rows] == list(acts)
    for row in rows:
        assert (3, *row.output_shape) == tuple(acts[row.name].shape)
    assert rows[0].input_shape == (model.in_channels, model.input_size, model.input_size)
    assert rows[-1].output_shape == (len(model.classes),)


def test_lenet5_hand_checked_numbers():
    rows = {r.name: r for r in layer_table.layer_table(models.LeNet5())}
    # conv1: 6 filters of 1x5x5 plus 6 biases; each of 6*28*28 outputs sums 25 products.
    assert rows["conv1"].params == 6 * 25 + 6 == 156
    assert rows["conv1"].macs == 6 * 28 * 28 * 25 == 117_600
    # conv2: 16 filters of 6x5x5 over a 10x10 output.
    assert rows["conv2"].params == 16 * 6 * 25 + 16 == 2416
    assert rows["conv2"].macs == 16 * 10 * 10 * 6 * 25 == 240_000
    assert rows["fc1"].params == 400 * 120 + 120 and rows["fc1"].macs == 48_000
    assert rows["bn1"].macs == 6 * 28 * 28 and rows["relu1"].macs == 0 and rows["pool1"].macs == 0
    assert layer_table.totals(list(rows.values()))[0] == 61_750


@pytest.mark.parametrize(
    "conv",
    [
        nn.Conv2d(3, 8, 3, stride=2, padding=1),
        nn.Conv2d(4, 6, (3, 5), groups=2, bias=False),
        nn.Conv2d(1, 2, 1),
    ],
)
def test_conv_macs_formula_counts_every_product(conv):
    """MACs equal the number of weight*input products PyTorch performs (unfold + matmul count)."""
    x = torch.rand(1, conv.in_channels, 11, 13)
    y = conv(x)
    cols = nn.functional.unfold(x, conv.kernel_size, padding=conv.padding, stride=conv.stride)
    per_output = cols.shape[1] // conv.groups  # products summed into each output value
    assert layer_table.layer_macs(conv, tuple(y.shape[1:])) == y[0].numel() * per_output
    assert layer_table.layer_macs(nn.Linear(7, 5), (5,)) == 35


def test_fc_comparison_for_lenet_conv1():
    cmp = layer_table.fc_comparison(models.LeNet5(), "conv1")
    inputs, outputs = 1 * 32 * 32, 6 * 28 * 28
    assert cmp.conv_params == 156
    assert cmp.fully_connected_params == inputs * outputs + outputs
    assert cmp.locally_connected_params == outputs * (25 + 1)
    assert cmp.fully_connected_macs == inputs * outputs
    assert cmp.ratio == pytest.approx(cmp.fully_connected_params / 156)
    fc = nn.Linear(inputs, outputs)
    assert cmp.fully_connected_params == sum(p.numel() for p in fc.parameters())


def test_fc_comparison_rejects_non_conv_layers():
    with pytest.raises(ValueError, match="not a convolution"):
        layer_table.fc_comparison(models.LeNet5(), "fc1")


def test_table_probe_leaves_batchnorm_statistics_alone():
    model = models.LeNet5().train()
    before = model.layers.bn1.running_mean.clone()
    layer_table.layer_table(model)
    assert torch.equal(before, model.layers.bn1.running_mean) and model.training


def test_table_rows_end_with_totals():
    rows = layer_table.layer_table(models.SimpleCNN())
    table = layer_table.table_rows(rows)
    assert table[-1]["layer"] == "Total"
    assert table[-1]["parameters"] == 421_642 == sum(r["parameters"] for r in table[:-1])
    assert table[0]["output shape"] == "32×28×28"
    assert math.isclose(sum(r["share of parameters"] for r in table[:-1]), 1.0)
