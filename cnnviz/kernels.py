"""Classic image kernels (what each one detects) and parsing the kernels students type in."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

MAX_KERNEL_SIZE = 7
MAX_MAGNITUDE = 1e6
MAX_TEXT_LENGTH = 2000


class KernelError(ValueError):
    """A typed kernel that cannot be used, with a message that says how to fix it."""


@dataclass(frozen=True)
class Kernel:
    """A named kernel and the one thing it responds to."""

    name: str
    values: np.ndarray
    detects: str


def _k(name: str, rows: list[list[float]], detects: str, scale: float = 1.0) -> Kernel:
    values = np.asarray(rows, dtype=np.float64) * scale
    values.setflags(write=False)
    return Kernel(name, values, detects)


_GAUSS5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1])

PRESETS: dict[str, Kernel] = {
    k.name: k
    for k in [
        _k(
            "Worked example (X)",
            [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
            "Diagonal crosses: it adds the centre and the four corners, as in the classic 5×5 worked example.",
        ),
        _k(
            "Identity",
            [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
            "Nothing: it copies each pixel unchanged, the baseline to compare every other kernel with.",
        ),
        _k(
            "Prewitt x",
            [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
            "Vertical edges: brightness rising from left to right gives large positive values.",
        ),
        _k(
            "Prewitt y",
            [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
            "Horizontal edges: brightness rising from top to bottom gives large positive values.",
        ),
        _k(
            "Sobel x",
            [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
            "Vertical edges, like Prewitt x but weighting the centre row more, so it is less noisy.",
        ),
        _k(
            "Sobel y",
            [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
            "Horizontal edges, like Prewitt y but weighting the centre column more, so it is less noisy.",
        ),
        _k(
            "Scharr x",
            [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]],
            "Vertical edges with the most accurate gradient direction of the 3×3 edge kernels.",
        ),
        _k(
            "Scharr y",
            [[-3, -10, -3], [0, 0, 0], [3, 10, 3]],
            "Horizontal edges with the most accurate gradient direction of the 3×3 edge kernels.",
        ),
        _k(
            "Laplacian (4-neighbour)",
            [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
            "Edges in every direction: it compares a pixel with its four direct neighbours.",
        ),
        _k(
            "Laplacian (8-neighbour)",
            [[1, 1, 1], [1, -8, 1], [1, 1, 1]],
            "Edges and fine detail in every direction, diagonals included, "
            "comparing a pixel with all eight neighbours.",
        ),
        _k(
            "Box blur",
            [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
            "Nothing sharp: it averages each 3×3 neighbourhood, smoothing noise and edges alike.",
            1 / 9,
        ),
        _k(
            "Gaussian blur 3×3",
            [[1, 2, 1], [2, 4, 2], [1, 2, 1]],
            "Smooth regions: a weighted average that trusts the centre most, blurring more gently than a box.",
            1 / 16,
        ),
        _k(
            "Gaussian blur 5×5",
            _GAUSS5.tolist(),
            "Large smooth regions: a wider Gaussian average that removes more fine detail and noise.",
            1 / 256,
        ),
        _k(
            "Sharpen",
            [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
            "Detail: it adds the edge response back onto the image, making edges crisper.",
        ),
        _k(
            "Emboss",
            [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
            "Diagonal relief: edges facing the bottom right turn bright and those facing the top left dark.",
        ),
        _k(
            "Outline",
            [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
            "Outlines: flat areas go to zero and every boundary lights up, whatever its direction.",
        ),
    ]
}

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _parse_number(token: str, row: int, col: int) -> float:
    where = f"row {row}, number {col}"
    if token.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
        raise KernelError(f"'{token}' ({where}) is not a finite number. Use an ordinary number instead.")
    parts = token.split("/")
    if len(parts) > 2 or not all(_NUMBER.match(p) for p in parts):
        raise KernelError(
            f"'{token[:20]}' ({where}) is not a number. Type numbers like 2, -0.5, 1e-3 or 1/9, "
            "separated by spaces or commas."
        )
    numerator = float(parts[0])
    denominator = float(parts[1]) if len(parts) == 2 else 1.0
    if denominator == 0:
        raise KernelError(f"'{token}' ({where}) divides by zero. Use a non-zero denominator.")
    value = numerator / denominator
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise KernelError(
            f"'{token[:20]}' ({where}) is too large: kernel values must lie between "
            f"-{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}."
        )
    return value


def _rows(text: str) -> list[list[str]]:
    text = text.replace("−", "-").replace("[", " ").replace("]", ";")
    rows = [re.split(r"[,\s]+", line.strip(" ,\t")) for line in re.split(r"[;\n]", text)]
    return [row for row in rows if row != [""]]


def parse_kernel(text: str) -> np.ndarray:
    """Turn a typed kernel ('1 0 -1; 2 0 -2; 1 0 -1', fractions like 1/9 allowed) into an array."""
    if len(text) > MAX_TEXT_LENGTH:
        raise KernelError(f"That is {len(text)} characters; a kernel of at most 7×7 needs far fewer.")
    rows = _rows(text)
    if not rows:
        raise KernelError("The kernel is empty. Type one row per line, e.g. '1 0 -1' on three lines.")
    widths = [len(row) for row in rows]
    if len(set(widths)) > 1:
        raise KernelError(
            f"Every row needs the same number of values; the rows have {', '.join(map(str, widths))}. "
            "Add or remove values so the kernel is a rectangle."
        )
    if len(rows) > MAX_KERNEL_SIZE or widths[0] > MAX_KERNEL_SIZE:
        raise KernelError(
            f"The kernel is {len(rows)}×{widths[0]}; the playground takes at most "
            f"{MAX_KERNEL_SIZE}×{MAX_KERNEL_SIZE}. Remove rows or values."
        )
    return np.array(
        [[_parse_number(token, r + 1, c + 1) for c, token in enumerate(row)] for r, row in enumerate(rows)],
        dtype=np.float64,
    )


def _format_value(value: float) -> str:
    fraction = Fraction(value).limit_denominator(1000)
    if abs(float(fraction) - value) > 1e-12:
        return repr(value)
    return str(fraction)


def kernel_text(values: np.ndarray) -> str:
    """The kernel as text parse_kernel reads back exactly (1/9 stays 1/9), one row per line."""
    return "\n".join(" ".join(_format_value(float(v)) for v in row) for row in np.asarray(values))


def filter_bank(kernels: list[np.ndarray], channel_weights: np.ndarray) -> np.ndarray:
    """Filters × channels × kh × kw: filter f applies kernels[f] to channel c scaled by channel_weights[f, c]."""
    shapes = {np.shape(k) for k in kernels}
    if len(shapes) != 1:
        raise KernelError(
            f"All filters of one layer share one size; these kernels are "
            f"{' and '.join(sorted(f'{h}×{w}' for h, w in shapes))}. "
            "Pick kernels of the same size."
        )
    weights = np.asarray(channel_weights, dtype=np.float64)
    return weights[:, :, None, None] * np.stack(kernels)[:, None]
