"""cnnviz.conv agrees with PyTorch: output sizes, padding modes and the sliding-window stepper."""

import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import conv, data

SETTINGS = settings(max_examples=300, deadline=None)
TORCH_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def torch_shape(op, *args, **kwargs) -> int | None:
    """The output width torch produces, or None where torch refuses or yields an empty output."""
    try:
        width = op(*args, **kwargs).shape[-1]
    except RuntimeError:
        return None
    return width if width > 0 else None


def ours(fn, *args, **kwargs) -> int | None:
    try:
        return fn(*args, **kwargs)
    except ValueError as error:
        assert str(error)[0].isupper() and str(error).endswith("."), str(error)
        return None


sizes = st.integers(1, 24)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
paddings = st.integers(0, 5)
dilations = st.integers(1, 3)


@SETTINGS
@given(sizes, kernels, strides, paddings, dilations)
def test_conv_output_size_matches_conv2d(size, kernel, stride, padding, dilation):
    x, w = torch.zeros(1, 1, 1, size), torch.zeros(1, 1, 1, kernel)
    expected = torch_shape(F.conv2d, x, w, stride=stride, padding=(0, padding), dilation=dilation)
    assert ours(conv.conv_output_size, size, kernel, stride, padding, dilation) == expected


@SETTINGS
@given(sizes, kernels, strides, paddings, dilations, st.booleans())
def test_pool_output_size_matches_max_pool2d(size, kernel, stride, padding, dilation, ceil_mode):
    x = torch.zeros(1, 1, 1, size)
    expected = torch_shape(F.max_pool2d, x, (1, kernel), (1, stride), (0, padding), (1, dilation), ceil_mode=ceil_mode)
    assert ours(conv.pool_output_size, size, kernel, stride, padding, dilation, ceil_mode) == expected


@SETTINGS
@given(sizes, kernels, strides, paddings, st.booleans())
def test_pool_output_size_matches_avg_pool2d(size, kernel, stride, padding, ceil_mode):
    x = torch.zeros(1, 1, 1, size)
    expected = torch_shape(F.avg_pool2d, x, (1, kernel), (1, stride), (0, padding), ceil_mode=ceil_mode)
    assert ours(conv.pool_output_size, size, kernel, stride, padding, 1, ceil_mode) == expected


@SETTINGS
@given(sizes, kernels, strides, paddings, st.integers(0, 3), dilations)
def test_conv_transpose_output_size_matches_conv_transpose2d(size, kernel, stride, padding, output_padding, dilation):
    x, w = torch.zeros(1, 1, 1, size), torch.zeros(1, 1, 1, kernel)
    expected = torch_shape(
        F.conv_transpose2d,
        x,
        w,
        stride=(1, stride),
        padding=(0, padding),
        output_padding=(0, output_padding),
        dilation=(1, dilation),
    )
    assert ours(conv.conv_transpose_output_size, size, kernel, stride, padding, output_padding, dilation) == expected


def test_pool_stride_defaults_to_kernel():
    assert conv.pool_output_size(28, 2) == 14


@pytest.mark.parametrize(
    "fn, args",
    [
        (conv.conv_output_size, (5, 3, 0)),  # stride 0
        (conv.conv_output_size, (5, 3, 1, -1)),  # negative padding
        (conv.pool_output_size, (5, 0)),
        (conv.conv_transpose_output_size, (5, 3, 1, 0, -1)),
    ],
)
def test_nonsense_arguments_are_refused(fn, args):
    with pytest.raises(ValueError, match="must be a whole number"):
        fn(*args)


def test_formula_substitutes_numbers_and_result():
    assert conv.conv_output_formula(28, 3, 1, 1, 1).endswith("= 28")
    assert "28 + 2\\cdot 1" in conv.conv_output_formula(28, 3, 1, 1, 1)
    assert "no valid output" in conv.conv_output_formula(2, 5)
    assert conv.pool_output_formula(28, 2).endswith("= 14")
    assert conv.conv_transpose_output_formula(14, 2, 2).endswith("= 28")


# --- padding -------------------------------------------------------------------------------------


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 7), st.sampled_from(conv.PADDING_MODES))
def test_pad_matches_torch(height, width, padding, mode):
    x = np.random.default_rng(height * 7 + width).normal(size=(2, height, width))
    try:
        expected = F.pad(torch.tensor(x), (padding,) * 4, mode=TORCH_PAD[mode]).numpy()
    except RuntimeError:
        with pytest.raises(ValueError, match="padding"):
            conv.pad(x, padding, mode)
        return
    np.testing.assert_array_equal(conv.pad(x, padding, mode), expected)


def test_unknown_padding_mode():
    with pytest.raises(ValueError, match="choose one of zeros, reflect"):
        conv.pad(np.zeros((3, 3)), 1, "mirror")


# --- the stepper ---------------------------------------------------------------------------------


@st.composite
def conv_cases(draw):
    channels, filters = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    height, width = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    return dict(
        image=rng.integers(-3, 4, size=(channels, height, width)).astype(float),
        weight=rng.normal(size=(filters, channels, kh, kw)),
        bias=rng.normal(size=filters) if draw(st.booleans()) else None,
        stride=draw(strides),
        padding=draw(st.integers(0, 3)),
        dilation=draw(dilations),
        padding_mode=draw(st.sampled_from(conv.PADDING_MODES)),
    )


def torch_conv(case) -> np.ndarray:
    x = torch.tensor(case["image"])[None]
    p = case["padding"]
    x = F.pad(x, (p,) * 4, mode=TORCH_PAD[case["padding_mode"]])
    bias = None if case["bias"] is None else torch.tensor(case["bias"])
    return F.conv2d(x, torch.tensor(case["weight"]), bias, stride=case["stride"], dilation=case["dilation"])[0].numpy()


@SETTINGS
@given(conv_cases(), st.data())
def test_stepper_matches_conv2d(case, data):
    try:
        expected = torch_conv(case)
    except RuntimeError:
        with pytest.raises(ValueError):
            conv.convolve(**case)
        return
    if 0 in expected.shape:
        with pytest.raises(ValueError):
            conv.convolve(**case)
        return
    result = conv.convolve(**case)
    np.testing.assert_allclose(result.output, expected, rtol=1e-10, atol=1e-10)
    position = data.draw(st.integers(0, result.positions - 1))
    filt = data.draw(st.integers(0, result.weight.shape[0] - 1))
    win = conv.window(result, position, filt)
    assert win.value == pytest.approx(expected[filt, win.row, win.col], abs=1e-10)
    np.testing.assert_allclose(win.channel_sums.sum() + win.bias, win.value)
    np.testing.assert_array_equal(win.products, win.patch * win.kernel)
    np.testing.assert_array_equal(win.kernel, case["weight"][filt])
    # the taps sit `dilation` apart, starting at the output cell times the stride
    assert win.rows[0] == win.row * case["stride"] and win.cols[0] == win.col * case["stride"]
    assert set(np.diff(win.rows)) <= {case["dilation"]}


def test_classic_worked_example():
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    result = conv.convolve(image, kernel)
    np.testing.assert_array_equal(result.output[0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    win = conv.window(result, 0)
    assert conv.window_equation(win) == "(1×1) + (1×0) + (1×1) + (0×0) + (1×1) + (1×0) + (0×1) + (0×0) + (1×1) = 4"


def test_equation_shows_bias_and_channels():
    result = conv.convolve(np.ones((2, 3, 3)), np.ones((1, 2, 3, 3)), bias=-0.5)
    win = conv.window(result, 0)
    assert conv.window_equation(win).endswith(" - 0.5 = 17.5")
    assert conv.window_equation(win, channel=1).endswith("= 9")
    assert "more" in conv.window_equation(win, max_terms=5)


def test_window_position_out_of_range():
    result = conv.convolve(np.ones((4, 4)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="outside 0..3"):
        conv.window(result, 4)


def test_mismatched_channels_are_explained():
    with pytest.raises(ValueError, match="one kernel slice per input channel"):
        conv.convolve(np.ones((3, 5, 5)), np.ones((1, 2, 3, 3)))


def test_full_digit_is_one_vectorised_call():
    """A 28×28 digit with a 3×3 kernel runs a few dozen lines of conv.py, not a Python loop per output cell.

    Counted in executed lines, not seconds, so the outcome does not depend on how fast the machine is.
    """
    image = np.random.default_rng(0).integers(0, 256, size=(28, 28))
    lines = 0

    def tracer(frame, event, arg):
        nonlocal lines
        if frame.f_code.co_filename == conv.__file__:
            lines += event == "line"
            return tracer
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = conv.convolve(image, np.ones((3, 3)), padding=1, padding_mode="reflect")
    finally:
        sys.settrace(previous)
    assert result.output.shape == (1, 28, 28)
    assert 0 < lines < 300  # 784 output cells: a loop over them would run at least 784 lines


def test_channel_contributions_sum_to_the_output():
    rng = np.random.default_rng(1)
    result = conv.convolve(
        rng.normal(size=(3, 6, 7)), rng.normal(size=(2, 3, 3, 3)), bias=[0.5, -1], padding=1, stride=2
    )
    for f in range(2):
        parts = conv.channel_contributions(result, f)
        assert parts.shape == (3, 3, 4)
        np.testing.assert_allclose(parts.sum(axis=0) + result.bias[f], result.output[f])
        single = conv.convolve(result.padded[1], result.weight[f, 1], stride=2).output[0]
        np.testing.assert_allclose(parts[1], single)


def _first_ink_by_hand(result: conv.Convolution) -> int:
    """Window by window: the first patch with a non-zero value (0 when none has one)."""
    for position in range(result.positions):
        if np.any(conv.window(result, position).patch != 0):
            return position
    return 0


@pytest.mark.parametrize(
    "padding, stride, dilation, mode", [(0, 1, 1, "zeros"), (1, 2, 1, "zeros"), (2, 1, 2, "reflect")]
)
def test_first_ink_is_where_a_digits_window_first_touches_ink(padding, stride, dilation, mode):
    digit = data.sample_digits()[0][0].astype(float)
    result = conv.convolve(digit, np.ones((3, 3)), padding=padding, stride=stride, dilation=dilation, padding_mode=mode)
    start = conv.first_ink(result)
    assert start == _first_ink_by_hand(result)
    assert start > result.output.shape[2]  # an MNIST digit starts black: more than a row of empty windows
    assert np.any(conv.window(result, start).patch != 0)


def test_first_ink_is_the_first_step_when_there_is_no_ink_or_ink_at_once():
    assert conv.first_ink(conv.convolve(np.zeros((6, 6)), np.ones((3, 3)))) == 0
    assert conv.first_ink(conv.convolve(np.eye(6), np.ones((3, 3)))) == 0
    corner = np.zeros((6, 6))
    corner[5, 5] = 1.0
    assert conv.first_ink(conv.convolve(corner, np.ones((2, 2)))) == 24  # the last of 5×5 positions
