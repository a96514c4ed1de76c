"""Inputs for the convolution playground: seed grids from classic worked examples, RGB filter
banks, and turning any picture into a grid small enough to follow step by step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz.kernels import PRESETS, filter_bank

MAX_GRID_SIDE = 64


@dataclass(frozen=True)
class Seed:
    """A small input grid with the kernel and settings its worked example uses."""

    name: str
    image: np.ndarray  # (H, W) or (3, H, W)
    kernel: str  # a preset name
    padding: int
    stride: int
    story: str


def _rgb_volume() -> np.ndarray:
    return np.random.default_rng(231).integers(0, 3, size=(3, 5, 5)).astype(np.float64)


SEEDS: dict[str, Seed] = {
    s.name: s
    for s in [
        Seed(
            "Classic 5×5 worked example",
            np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]], float),
            "Worked example (X)",
            0,
            1,
            "A 5×5 binary image and a 3×3 kernel give a 3×3 output: each cell adds the pixels under the X.",
        ),
        Seed(
            "Vertical edge 6×6",
            np.array([[10, 10, 10, 0, 0, 0]] * 6, float),
            "Prewitt x",
            0,
            1,
            "Bright left half, dark right half: the edge kernel fires only on the two middle columns.",
        ),
        Seed(
            "Bright square 7×7",
            np.pad(np.full((3, 3), 9.0), 2),
            "Laplacian (4-neighbour)",
            1,
            1,
            "A square on a dark background: the Laplacian outlines it and is zero inside and outside.",
        ),
        Seed(
            "RGB volume 5×5×3",
            _rgb_volume(),
            "Sobel x",
            1,
            2,
            "A 3-channel input like a colour image: every filter has one 3×3 slice per channel and adds them up.",
        ),
    ]
}


@dataclass(frozen=True)
class FilterSpec:
    """One filter of an RGB layer: a preset kernel, how much it listens to each channel, its bias."""

    kernel: str
    red: float
    green: float
    blue: float
    bias: float = 0.0
    note: str = ""


DEFAULT_RGB_FILTERS = [
    FilterSpec("Sobel x", 1 / 3, 1 / 3, 1 / 3, 0.0, "vertical edges in brightness"),
    FilterSpec("Identity", 1.0, -1.0, 0.0, 0.0, "red minus green: a colour detector"),
    FilterSpec("Box blur", 0.0, 0.0, 1.0, 0.0, "the blurred blue channel alone"),
]


def rgb_bank(specs: list[FilterSpec]) -> tuple[np.ndarray, np.ndarray]:
    """Filters × 3 × kh × kw weights and the biases for a list of filter specs."""
    if not specs:
        raise ValueError("Add at least one filter: a layer with no filters has no output.")
    for spec in specs:
        if spec.kernel not in PRESETS:
            raise ValueError(f"Unknown kernel {spec.kernel!r}; pick one of the presets.")
    weights = np.array([[s.red, s.green, s.blue, s.bias] for s in specs], dtype=np.float64)  # None -> nan
    if not np.all(np.isfinite(weights)):
        raise ValueError("Every channel weight and bias needs a number; fill in the empty cells.")
    return filter_bank([PRESETS[s.kernel].values for s in specs], weights[:, :3]), weights[:, 3]


def image_to_grid(image: Image.Image, max_side: int = 28, color: bool = False) -> np.ndarray:
    """A picture as a 0-255 grid whose longer side is at most max_side: (H, W), or (3, H, W) in colour."""
    if not 1 <= max_side <= MAX_GRID_SIDE:
        raise ValueError(f"Choose a grid side between 1 and {MAX_GRID_SIDE} pixels (got {max_side}).")
    image = image.convert("RGB" if color else "L")
    scale = min(1.0, max_side / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if size != image.size:
        image = image.resize(size, Image.Resampling.BOX if scale < 1 else Image.Resampling.NEAREST)
    grid = np.asarray(image, dtype=np.float64)
    return grid.transpose(2, 0, 1) if color else grid


def is_colourful(image: Image.Image) -> bool:
    """Whether a picture has real colour (not just grey pixels stored as RGB)."""
    if image.mode in ("L", "1", "I", "F", "LA"):
        return False
    rgb = np.asarray(image.convert("RGB").resize((32, 32)), dtype=np.int16)
    return bool(np.abs(rgb - rgb.mean(axis=2, keepdims=True)).max() > 8)
