"""What the transposed-convolution page offers: its inputs, kernels and URL fields with their defaults and ranges.

Streamlit drops a link's invalid values silently; ``link_notices`` says which ones a link got wrong,
so the page can tell the student that those settings start at their defaults. Whole numbers are
offered as a list of options (select sliders), so a link must name one exactly: Streamlit 1.67's
number input crashes on `?key=inf` and truncates `2.5`, its options are matched strictly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Field:
    """One setting in the page's URL: its default and what a link may set it to."""

    default: object
    low: int | None = None  # whole numbers from low to high
    high: int | None = None
    options: tuple[str, ...] = ()  # or one of these labels
    what: str = ""

    @property
    def numbers(self) -> list[int]:
        """The whole numbers a numeric field offers (its widget lists exactly these)."""
        return [] if self.low is None else list(range(self.low, self.high + 1))

    def accepts(self, text: str) -> bool:
        """Whether a link's text is a value this field takes, matched exactly as Streamlit matches options."""
        if self.options:
            return text in self.options
        if isinstance(self.default, bool):
            return text.lower() in ("true", "false")
        if self.low is not None:
            return text in {str(n) for n in self.numbers}
        return True

    def allowed(self) -> str:
        """The values a link may use, in words."""
        if self.options:
            return "one of " + ", ".join(f"“{o}”" for o in self.options)
        if isinstance(self.default, bool):
            return "true or false"
        return f"a whole number from {self.low} to {self.high}"


TRANSPOSED_FIELDS: dict[str, Field] = {
    "tc_input": Field(INPUTS[0], options=INPUTS, what="input"),
    "tc_size": Field(4, 2, 6, what="grid size"),
    "tc_seed": Field(0, 0, 99, what="random seed"),
    "tc_digit": Field(0, 0, 99, what="sample digit"),
    "tc_kernel": Field(KERNEL_NAMES[0], options=KERNEL_NAMES, what="kernel"),
    "tc_kernel_text": Field("1 2\n3 4", what="typed kernel"),
    "tc_stride": Field(1, 1, 4, what="stride"),
    "tc_padding": Field(0, 0, 4, what="padding"),
    "tc_output_padding": Field(0, 0, 3, what="output padding"),
    "tc_dilation": Field(1, 1, 3, what="dilation"),
    "tc_view": Field(VIEWS[0], options=VIEWS, what="view"),
    "tc_chain_fix": Field(False, what="chain's output_padding=1 switch"),
}


def link_notices(params: Mapping[str, str]) -> list[str]:
    """A sentence for every value in a link that the page cannot use (it starts at its default instead)."""
    notices = []
    for key, field in TRANSPOSED_FIELDS.items():
        text = params.get(key)
        if text is not None and not field.accepts(text):
            shown = text if len(text) <= 30 else text[:30] + "…"
            notices.append(
                f"The link's {field.what} “{shown}” cannot be used: it must be {field.allowed()}. "
                f"Starting from the default ({str(field.default).splitlines()[0]}) instead."
            )
    return notices


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
