"""Preset kernels and parsing of typed kernels, including hostile text."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import conv, kernels
from cnnviz.kernels import KernelError, parse_kernel

REQUIRED = [
    "Identity",
    "Prewitt x",
    "Prewitt y",
    "Sobel x",
    "Sobel y",
    "Scharr x",
    "Scharr y",
    "Laplacian (4-neighbour)",
    "Laplacian (8-neighbour)",
    "Box blur",
    "Gaussian blur 3×3",
    "Gaussian blur 5×5",
    "Sharpen",
    "Emboss",
    "Outline",
]


def test_every_required_preset_exists_with_a_sentence():
    for name in REQUIRED:
        preset = kernels.PRESETS[name]
        assert preset.detects[0].isupper() and preset.detects.endswith(".")
        assert preset.values.shape[0] % 2 == 1 and not preset.values.flags.writeable


@pytest.mark.parametrize("name", ["Box blur", "Gaussian blur 3×3", "Gaussian blur 5×5", "Identity"])
def test_smoothing_kernels_keep_brightness(name):
    assert kernels.PRESETS[name].values.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "name", ["Prewitt x", "Sobel x", "Scharr x", "Laplacian (4-neighbour)", "Laplacian (8-neighbour)", "Outline"]
)
def test_edge_kernels_ignore_flat_regions(name):
    assert kernels.PRESETS[name].values.sum() == 0


def test_sobel_x_responds_to_vertical_edges_only():
    image = np.zeros((5, 6))
    image[:, 3:] = 1  # dark left, bright right: a vertical edge
    x = conv.convolve(image, kernels.PRESETS["Sobel x"].values).output
    y = conv.convolve(image, kernels.PRESETS["Sobel y"].values).output
    assert x.max() > 0 and np.all(y == 0)
    expected = F.conv2d(torch.tensor(image)[None, None], torch.tensor(kernels.PRESETS["Sobel x"].values)[None, None])
    np.testing.assert_allclose(x, expected[0].numpy())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 0 -1\n2 0 -2\n1 0 -1", [[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
        ("1,0,-1; 2,0,-2; 1,0,-1", [[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
        ("[[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
        ("1/9 1/9\n-1/2 .5", [[1 / 9, 1 / 9], [-0.5, 0.5]]),
        ("  −1  2e1 \n\n 3 +4 \n", [[-1, 20], [3, 4]]),
        ("7", [[7]]),
        ("1 2 3", [[1, 2, 3]]),
    ],
)
def test_parse_kernel_reads_common_notations(text, expected):
    np.testing.assert_array_equal(parse_kernel(text), np.array(expected, dtype=float))


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        (" ;\n ,", "empty"),
        ("1 2\n3", "same number of values"),
        ("1 a 2", "'a' \\(row 1, number 2\\) is not a number"),
        ("1 nan", "not a finite number"),
        ("-inf 1", "not a finite number"),
        ("1e400", "too large"),
        ("2000000", "too large"),
        ("1/0", "divides by zero"),
        ("1/2/3", "not a number"),
        ("0x10", "not a number"),
        ("__import__('os')", "not a number"),
        ("1 2 3 4 5 6 7 8", "at most 7×7"),
        ("1\n" * 8, "at most 7×7"),
        ("1 " * 5000, "characters"),
    ],
)
def test_parse_kernel_rejects_bad_text_with_a_fix(text, message):
    with pytest.raises(KernelError, match=message):
        parse_kernel(text)
    assert issubclass(KernelError, ValueError)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_parse_kernel_never_crashes_on_arbitrary_text(text):
    try:
        values = parse_kernel(text)
    except KernelError as error:
        assert str(error).endswith(".")
        return
    assert values.ndim == 2 and values.size and np.all(np.isfinite(values))
    assert values.shape[0] <= 7 and values.shape[1] <= 7 and np.abs(values).max() <= 1e6


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(0, 2**16))
def test_kernel_text_round_trips(h, w, seed):
    values = np.random.default_rng(seed).normal(size=(h, w))
    np.testing.assert_array_equal(parse_kernel(kernels.kernel_text(values)), values)


def test_kernel_text_keeps_fractions():
    assert kernels.kernel_text(kernels.PRESETS["Box blur"].values).startswith("1/9 1/9 1/9\n")


def test_filter_bank_scales_each_channel():
    bank = kernels.filter_bank([np.ones((3, 3)), np.eye(3)], np.array([[1, 0, 2], [0.5, 0.5, 0.5]]))
    assert bank.shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(bank[0, 2], 2 * np.ones((3, 3)))
    np.testing.assert_array_equal(bank[1, 0], 0.5 * np.eye(3))


def test_filter_bank_refuses_mixed_sizes():
    with pytest.raises(KernelError, match="3×3 and 5×5"):
        kernels.filter_bank([np.ones((3, 3)), np.ones((5, 5))], np.ones((2, 3)))
