"""What the transposed-convolution page offers: its inputs and kernels (its URL fields are in cnnviz.state)."""

from __future__ import annotations

import numpy as np

from cnnviz import data
from cnnviz.kernels import PRESETS

DIGIT_SIDE = 7  # a 28×28 digit averaged over 4×4 blocks: the tutorial's 7×7 starting map
CUSTOM = "Custom (type your own)"

INPUTS = ("Worked 2×2", "Grid 3×3", "Random grid", "Digit 7×7")
WORKED = np.array([[0, 1], [2, 3]], dtype=np.float64)  # with the kernel [[0, 1], [2, 3]]: Dive into Deep Learning
GRID3 = np.array([[1, 2, 0], [0, 1, 3], [2, 0, 1]], dtype=np.float64)
BILINEAR3 = np.outer([0.5, 1, 0.5], [0.5, 1, 0.5])  # stride 2, padding 1, output_padding 1: bilinear ×2
BILINEAR4 = np.outer([0.25, 0.75, 0.75, 0.25], [0.25, 0.75, 0.75, 0.25])  # stride 2, padding 1: bilinear ×2

UPSAMPLING_KERNELS: dict[str, tuple[np.ndarray, str]] = {
    "Worked 2×2 (0 1; 2 3)": (WORKED, "The kernel of the worked example: every copy shows 0, 1, 2, 3 times the value."),
    "Ones 2×2": (np.ones((2, 2)), "Copies each value into a 2×2 block: with stride 2, nearest-neighbour upsampling."),
    "Ones 3×3": (np.ones((3, 3)), "Copies each value into a 3×3 block: with stride 2 neighbouring blocks overlap."),
    "Bilinear 3×3": (BILINEAR3, "A tent: with stride 2, padding 1 and output_padding 1 it doubles the size smoothly."),
    "Bilinear 4×4": (BILINEAR4, "The kernel FCN uses to start its ×2 upsampling layers (stride 2, padding 1)."),
}
KERNEL_NAMES = (*UPSAMPLING_KERNELS, *PRESETS, CUSTOM)
VIEWS = ("Scatter", "As a convolution")


def random_grid(size: int, seed: int) -> np.ndarray:
    """Small whole numbers 0..3, so every sum can be checked by hand."""
    return np.random.default_rng(seed).integers(0, 4, size=(size, size)).astype(np.float64)


def digit_7x7(index: int) -> np.ndarray:
    """A shipped MNIST digit averaged over 4×4 blocks to 7×7, scaled to 0..1 and rounded to one decimal."""
    image = data.sample_digits()[0][index].astype(np.float64) / 255
    blocks = image.reshape(DIGIT_SIDE, 4, DIGIT_SIDE, 4).mean(axis=(1, 3))
    return np.round(blocks, 1)


def input_grid(name: str, size: int = 4, seed: int = 0, digit: int = 0) -> np.ndarray:
    """The input grid a page choice stands for."""
    grids = {"Worked 2×2": lambda: WORKED, "Grid 3×3": lambda: GRID3, "Random grid": lambda: random_grid(size, seed)}
    return grids[name]() if name in grids else digit_7x7(digit)


def kernel_for(name: str) -> tuple[np.ndarray, str]:
    """A named preset kernel and what it does (typed kernels are parsed by kernels.parse_kernel)."""
    if name in UPSAMPLING_KERNELS:
        return UPSAMPLING_KERNELS[name]
    return PRESETS[name].values, PRESETS[name].detects
