"""Pooling window by window: which cells each window covers, what it picks, and the pooled map.

The result equals ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` with their defaults: max
pooling treats padding as minus infinity (it can never win), average pooling counts padding as
zeros and always divides by the full window area (``count_include_pad=True``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.conv import pool_output_size

MODES = ("max", "avg")


@dataclass(frozen=True)
class PoolWindow:
    """One window: its place in the output, the input cells it covers and what it yields."""

    out_row: int
    out_col: int
    row_start: int  # in input coordinates; negative where the window starts in the padding
    col_start: int
    kernel: int
    values: np.ndarray  # kernel x kernel; NaN where the window covers padding
    picked: tuple[int, int] | None  # input (row, col) of the maximum; None for average pooling
    value: float

    def cells(self) -> list[tuple[int, int]]:
        """The input cells (row, col) inside the image that the window covers."""
        return [
            (self.row_start + i, self.col_start + j)
            for i in range(self.kernel)
            for j in range(self.kernel)
            if not np.isnan(self.values[i, j])
        ]

    def explain(self, mode: str) -> str:
        """The window's arithmetic written out, e.g. 'max(1, 2, 5, 6) = 6'."""
        shown = ["pad" if np.isnan(v) else _num(v) for v in self.values.ravel()]
        if mode == "max":
            return f"max({', '.join(s for s in shown if s != 'pad')}) = {_num(self.value)}"
        summed = " + ".join("0" if s == "pad" else s for s in shown)
        return f"({summed}) / {self.values.size} = {_num(self.value)}"


@dataclass(frozen=True)
class PoolResult:
    """The whole demo: the input, the settings, every window and the pooled map."""

    input: np.ndarray
    kernel: int
    stride: int
    padding: int
    mode: str
    windows: list[PoolWindow]
    output: np.ndarray


def _num(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.3g}"


def classic_example() -> np.ndarray:
    """The 4x4 map 1..16 every tutorial pools into [[6, 8], [14, 16]]."""
    return np.arange(1, 17, dtype=np.float64).reshape(4, 4)


def random_map(size: int, seed: int = 0) -> np.ndarray:
    """A size x size map of small integers, so every window's arithmetic is easy to check by eye."""
    return np.random.default_rng(seed).integers(0, 10, (size, size)).astype(np.float64)


def pool2d(
    image: np.ndarray, kernel: int, stride: int | None = None, padding: int = 0, mode: str = "max"
) -> PoolResult:
    """Pool a 2-D map window by window; ValueError (student-readable) for impossible settings."""
    if mode not in MODES:
        raise ValueError(f"Pooling mode must be one of {', '.join(MODES)} (got {mode!r}).")
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"Pooling here takes a 2-D map (got shape {image.shape}).")
    stride = kernel if stride is None else stride
    out_h = pool_output_size(image.shape[0], kernel, stride, padding)
    out_w = pool_output_size(image.shape[1], kernel, stride, padding)
    padded = np.pad(image, padding, constant_values=np.nan)
    windows = [_window(padded, i, j, kernel, stride, padding, mode) for i in range(out_h) for j in range(out_w)]
    output = np.array([w.value for w in windows]).reshape(out_h, out_w)
    return PoolResult(image, kernel, stride, padding, mode, windows, output)


def _window(padded: np.ndarray, i: int, j: int, kernel: int, stride: int, padding: int, mode: str) -> PoolWindow:
    r, c = i * stride, j * stride
    values = padded[r : r + kernel, c : c + kernel].copy()
    if mode == "max":
        # First maximum in row-major order, as PyTorch picks it; padding (NaN) never wins.
        flat = np.where(np.isnan(values), -np.inf, values).ravel()
        k = int(np.argmax(flat))
        picked = (r - padding + k // kernel, c - padding + k % kernel)
        value = float(flat[k])
    else:
        picked = None
        value = float(np.nansum(values) / values.size)
    return PoolWindow(i, j, r - padding, c - padding, kernel, values, picked, value)
