"""Playground inputs: seed grids, RGB filter banks and shrinking pictures to teachable grids."""

import numpy as np
import pytest
from PIL import Image

from cnnviz import conv, examples, kernels


def test_seeds_are_valid_worked_examples():
    for seed in examples.SEEDS.values():
        assert seed.kernel in kernels.PRESETS and seed.story.endswith(".")
        conv.convolve(seed.image, kernels.PRESETS[seed.kernel].values, padding=seed.padding, stride=seed.stride)
    edge = examples.SEEDS["Vertical edge 6×6"]
    out = conv.convolve(edge.image, kernels.PRESETS[edge.kernel].values).output[0]
    np.testing.assert_array_equal(out, [[0, -30, -30, 0]] * 4)


def test_rgb_bank_builds_weighted_slices():
    weights, bias = examples.rgb_bank(examples.DEFAULT_RGB_FILTERS)
    assert weights.shape == (3, 3, 3, 3) and bias.shape == (3,)
    np.testing.assert_array_equal(weights[1, 1], -kernels.PRESETS["Identity"].values)


@pytest.mark.parametrize(
    "specs, message",
    [
        ([], "at least one filter"),
        ([examples.FilterSpec("Nope", 1, 1, 1)], "Unknown kernel"),
        ([examples.FilterSpec("Sobel x", float("nan"), 1, 1)], "fill in the empty cells"),
        ([examples.FilterSpec("Sobel x", 1, 1, 1, None)], "fill in the empty cells"),  # an emptied table cell
        ([examples.FilterSpec("Sobel x", 1, 1, 1), examples.FilterSpec("Gaussian blur 5×5", 1, 1, 1)], "same size"),
    ],
)
def test_rgb_bank_explains_bad_tables(specs, message):
    with pytest.raises(ValueError, match=message):
        examples.rgb_bank(specs)


def test_image_to_grid_shrinks_and_keeps_aspect():
    picture = Image.fromarray(np.full((300, 600, 3), (200, 10, 10), np.uint8))
    grey = examples.image_to_grid(picture, 28)
    assert grey.shape == (14, 28) and 60 < grey.mean() < 80  # luminance of that red
    colour = examples.image_to_grid(picture, 28, color=True)
    assert colour.shape == (3, 14, 28) and colour[0].mean() == 200
    small = Image.fromarray(np.zeros((5, 4), np.uint8))
    assert examples.image_to_grid(small, 28).shape == (5, 4)  # never enlarged
    with pytest.raises(ValueError, match="between 1 and 64"):
        examples.image_to_grid(small, 500)


def test_is_colourful():
    assert examples.is_colourful(Image.fromarray(np.full((8, 8, 3), (200, 10, 10), np.uint8)))
    assert not examples.is_colourful(Image.fromarray(np.full((8, 8, 3), 90, np.uint8)))
    assert not examples.is_colourful(Image.fromarray(np.zeros((8, 8), np.uint8)))
