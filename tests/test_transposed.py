"""cnnviz.transposed agrees with torch's conv_transpose2d in both views, and refuses what torch refuses."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import conv, transposed
from cnnviz.transposed import BORDER, INPUT, INSERTED, OUTPUT_PADDING

SETTINGS = settings(max_examples=300, deadline=None)


@st.composite
def configurations(draw, whole_numbers: bool = True):
    """A random input, PyTorch-layout weights, bias and settings, including paddings that crop everything."""
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w, kh, kw = (draw(st.integers(1, 6)) for _ in range(4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if whole_numbers:  # sums of whole numbers are exact in float64 whatever the order of additions
        x, weight, bias = rng.integers(-4, 5, (c_in, h, w)), rng.integers(-3, 4, (c_in, c_out, kh, kw)), None
        if draw(st.booleans()):
            bias = rng.integers(-2, 3, c_out).astype(np.float64)
    else:
        x, weight, bias = rng.normal(size=(c_in, h, w)), rng.normal(size=(c_in, c_out, kh, kw)), rng.normal(size=c_out)
    config = dict(
        stride=draw(st.integers(1, 4)),
        padding=draw(st.integers(0, 5)),
        output_padding=draw(st.integers(0, 3)),
        dilation=draw(st.integers(1, 3)),
    )
    return x.astype(np.float64), weight.astype(np.float64), bias, config


def torch_conv_transpose(x, weight, bias, config) -> np.ndarray | None:
    """PyTorch's answer, or None where it refuses (or would give an empty output)."""
    b = None if bias is None else torch.tensor(bias)
    try:
        out = F.conv_transpose2d(torch.tensor(x)[None], torch.tensor(weight), b, **config)[0].numpy()
    except RuntimeError:
        return None
    return out if out.size else None


def ours(x, weight, bias, config) -> transposed.TransposedConvolution | None:
    try:
        return conv.conv_transpose(x, weight, bias, **config)
    except ValueError as error:
        message = str(error)
        assert message[0].isupper() and message.endswith("."), message
        return None


@SETTINGS
@given(configurations())
def test_both_views_equal_conv_transpose2d_exactly(case):
    expected = torch_conv_transpose(*case)
    result = ours(*case)
    assert (result is None) == (expected is None)
    if result is not None:
        np.testing.assert_array_equal(result.output, expected)
        np.testing.assert_array_equal(result.as_convolution.output, expected)


@settings(max_examples=100, deadline=None)
@given(configurations(whole_numbers=False))
def test_real_valued_inputs_agree_to_rounding(case):
    expected = torch_conv_transpose(*case)
    result = ours(*case)
    assert (result is None) == (expected is None)
    if result is not None:
        np.testing.assert_allclose(result.output, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(result.as_convolution.output, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=150, deadline=None)
@given(configurations())
def test_scatter_steps_paint_the_whole_result(case):
    result = ours(*case)
    if result is None:
        return
    p, (kh, kw) = result.padding, result.weight.shape[2:]
    first, last = transposed.scatter_step(result, 0), transposed.scatter_step(result, result.steps - 1)
    assert not first.before.any()
    np.testing.assert_array_equal(last.after, result.canvas)
    step = transposed.scatter_step(result, result.steps // 2)
    painted = np.zeros_like(step.before)
    for i in range(kh):
        for j in range(kw):
            painted[:, step.rows[i] + p, step.cols[j] + p] += step.painted[:, i, j]
    np.testing.assert_array_equal(step.after - step.before, painted)


@settings(max_examples=150, deadline=None)
@given(configurations(), st.data())
def test_each_output_cell_is_the_sum_written_out(case, data):
    result = ours(*case)
    if result is None:
        return
    c_out, out_h, out_w = result.output.shape
    f, r, c = (
        data.draw(st.integers(0, c_out - 1)),
        data.draw(st.integers(0, out_h - 1)),
        data.draw(st.integers(0, out_w - 1)),
    )
    pairs = transposed.contributions(result, r, c, f)
    assert sum(v * k for v, k in pairs) + result.bias[f] == result.output[f, r, c]
    assert transposed.cell_equation(result, r, c, f).endswith(f"= {conv.format_number(result.output[f, r, c])}")


@settings(max_examples=150, deadline=None)
@given(configurations())
def test_view2_roles_name_every_cell(case):
    x, weight, bias, config = case
    result = ours(np.abs(x) + 1, weight, bias, config)  # every input value non-zero
    if result is None:
        return
    roles, padded = transposed.view2_roles(result), result.as_convolution.padded
    assert roles.shape == padded.shape[1:]
    assert np.all((padded != 0).all(axis=0) == (roles == INPUT))
    bottom, right = roles[-1], roles[:, -1]
    if result.output_padding and min(result.border) + result.output_padding > 0:
        assert (bottom == OUTPUT_PADDING).all() and (right == OUTPUT_PADDING).all()


def test_worked_example_from_dive_into_deep_learning():
    x = k = np.array([[0, 1], [2, 3]])
    result = conv.conv_transpose(x, k)
    np.testing.assert_array_equal(result.output[0], [[0, 0, 1], [0, 4, 6], [4, 12, 9]])
    strided = conv.conv_transpose(x, k, stride=2)
    np.testing.assert_array_equal(strided.output[0], [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]])
    assert transposed.cell_equation(result, 1, 1) == "out[1, 1] = (0×3) + (1×2) + (2×1) + (3×0) = 4"
    assert transposed.cell_equation(result, 1, 1, steps=2) == "out[1, 1] = (0×3) + (1×2) = 2"
    assert transposed.cell_equation(result, 2, 2, steps=1) == "out[2, 2] = nothing painted here yet = 0"
    step = transposed.scatter_step(strided, 1)
    assert (step.row, step.col, list(step.rows), list(step.cols)) == (0, 1, [0, 1], [2, 3])


def test_view2_inserts_zeros_borders_and_flips():
    result = conv.conv_transpose(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]]), stride=2, output_padding=1)
    view = result.as_convolution
    np.testing.assert_array_equal(view.weight[0, 0], [[4, 3], [2, 1]])
    np.testing.assert_array_equal(
        view.padded[0],
        [[0, 0, 0, 0, 0, 0], [0, 1, 0, 2, 0, 0], [0, 0, 0, 0, 0, 0], [0, 3, 0, 4, 0, 0], [0, 0, 0, 0, 0, 0], [0] * 6],
    )
    roles = transposed.view2_roles(result)
    assert roles[1, 1] == INPUT and roles[1, 2] == INSERTED and roles[0, 0] == BORDER
    assert roles[5, 0] == OUTPUT_PADDING and roles[0, 5] == OUTPUT_PADDING and roles[4, 4] == BORDER


def test_negative_border_crops_the_zero_inserted_input():
    result = conv.conv_transpose(np.arange(1.0, 10).reshape(3, 3), np.ones((3, 3)), stride=2, padding=3)
    assert result.border == (-1, -1)
    np.testing.assert_array_equal(result.as_convolution.padded[0], [[0, 0, 0], [0, 5, 0], [0, 0, 0]])
    assert result.output[0, 0, 0] == 5


def test_channels_swap_in_view2():
    weight = np.random.default_rng(0).normal(size=(2, 3, 2, 2))
    result = conv.conv_transpose(np.ones((2, 4, 4)), weight)
    assert result.output.shape == (3, 5, 5) and result.as_convolution.weight.shape == (3, 2, 2, 2)
    np.testing.assert_array_equal(result.as_convolution.weight[2, 1], weight[1, 2, ::-1, ::-1])


@pytest.mark.parametrize(
    "x, weight, config, message",
    [
        (np.ones((2, 3, 3)), np.ones((3, 1, 3, 3)), {}, "input channel"),
        (np.ones((3, 3)), np.ones((3,)), {}, "kh×kw kernel"),
        (np.ones((3, 3)), np.ones((3, 3)), {"stride": 2, "output_padding": 2}, "smaller than the stride"),
        (np.ones((3, 3)), np.ones((3, 3)), {"padding": 3}, "No output"),
        (np.ones((3, 3)), np.ones((3, 3)), {"stride": 0}, "whole number of at least 1"),
        (np.ones((3, 3)), np.ones((3, 3)), {"padding": -1}, "whole number of at least 0"),
    ],
)
def test_refusals_explain_themselves_where_torch_refuses(x, weight, config, message):
    torch_weight = torch.tensor(weight.reshape(1, 1, *weight.shape) if weight.ndim == 2 else weight)
    with pytest.raises(RuntimeError):
        F.conv_transpose2d(torch.tensor(x.reshape(1, -1, *x.shape[-2:])), torch_weight, **config)
    with pytest.raises(ValueError, match=message):
        conv.conv_transpose(x, weight, **config)


def test_tutorial_chain_is_25_not_28_and_output_padding_fixes_it():
    fixed = [dict(layer, output_padding=1) for layer in transposed.TUTORIAL_LAYERS]
    assert transposed.chain_shapes(7, transposed.TUTORIAL_LAYERS) == [7, 13, 25]
    assert transposed.chain_shapes(7, fixed) == [7, 14, 28]
    for output_padding, expected in ((0, 25), (1, 28)):  # the tutorial's DeconvNetwork, in PyTorch
        net = torch.nn.Sequential(
            torch.nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=1, output_padding=output_padding),
            torch.nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=1, output_padding=output_padding),
        )
        assert net(torch.zeros(1, 1, 7, 7)).shape[-1] == expected


@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3))
@settings(max_examples=200, deadline=None)
def test_forward_sizes_are_the_sizes_output_padding_picks_from(size, kernel, stride, padding, dilation):
    sizes = transposed.forward_sizes(size, kernel, stride, padding, dilation)
    for n in sizes:
        assert (
            F.conv2d(
                torch.zeros(1, 1, 1, n + 2 * padding), torch.zeros(1, 1, 1, kernel), stride=stride, dilation=dilation
            ).shape[-1]
            == size
        )
    for op in range(stride):
        try:
            out = conv.conv_transpose_output_size(size, kernel, stride, padding, op, dilation)
        except ValueError:
            continue
        assert out in sizes or out < 1
    assert len(sizes) <= stride


def test_scatter_step_out_of_range_is_refused():
    result = conv.conv_transpose(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="outside 0..3"):
        transposed.scatter_step(result, 4)


def test_stories_put_the_numbers_in():
    story = " ".join(transposed.size_story(7, 3, 2, 1, 0, 1))
    assert "maps 13 back to 7" in story and "every size in {13, 14} to 7" in story and "0 → 13, 1 → 14" in story
    assert "nothing for output_padding to choose" in transposed.size_story(3, 3, 1, 0, 0, 1)[1]
    assert "maps 8 to 4, not 3" in transposed.size_story(3, 3, 1, 0, 1, 2)[0]  # allowed: dilation 2 > 1
    cropped = conv.conv_transpose(np.ones((3, 3)), np.ones((3, 3)), stride=2, padding=3)
    recipe = transposed.view2_story(cropped)
    assert "3×3 → 5×5" in recipe[0] and "= -1 zeros" in recipe[1] and "cropped instead" in recipe[1]
    assert "1 window position," in recipe[2]


def test_chain_outputs_follow_the_shapes():
    layers = [dict(layer, output_padding=1) for layer in transposed.TUTORIAL_LAYERS]
    maps = transposed.chain_outputs(np.ones((7, 7)), np.ones((3, 3)), layers)
    assert [m.shape for m in maps] == [(7, 7), (14, 14), (28, 28)]
    expected = F.conv_transpose2d(
        F.conv_transpose2d(
            torch.ones(1, 1, 7, 7, dtype=torch.float64),
            torch.ones(1, 1, 3, 3, dtype=torch.float64),
            stride=2,
            padding=1,
            output_padding=1,
        ),
        torch.ones(1, 1, 3, 3, dtype=torch.float64),
        stride=2,
        padding=1,
        output_padding=1,
    )
    np.testing.assert_array_equal(maps[-1], expected[0, 0].numpy())
