"""The sliding-window GIFs: one frame per window position, the window where the step says, the output
filling in, padding hatched, sensible sizes, and clear refusals."""

import io

import numpy as np
import pytest
from PIL import Image

from cnnviz import conv, data, export, pooling
from cnnviz.figures import palette

WINDOW = export._rgb(palette.HIGHLIGHT)
HATCH = export._rgb(palette.PADDING)
BLANK = export._rgb(export.FIXED[export.BLANK])


def frames(gif: bytes) -> list[np.ndarray]:
    """Every frame as an RGB array, the way a viewer composes it."""
    image = Image.open(io.BytesIO(gif))
    assert image.format == "GIF"
    out = []
    for k in range(image.n_frames):
        image.seek(k)
        out.append(np.asarray(image.convert("RGB")))
    return out


def window_pixels(frame: np.ndarray, at: export.Layout) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1) of the window colour inside the input panel."""
    left = frame[:, : at.output_origin[0] - 1]
    ys, xs = np.nonzero((left == WINDOW).all(axis=-1))
    return xs.min(), ys.min(), xs.max(), ys.max()


def output_is_blank(frame: np.ndarray, at: export.Layout, r: int, c: int) -> bool:
    x0, y0, _, _ = at.box(at.output_origin, range(r, r + 1), range(c, c + 1))
    return tuple(frame[y0 + 4, x0 + 4]) == BLANK  # inside the cell, clear of outline and text


@pytest.fixture(scope="module")
def small():
    result = conv.convolve(np.arange(25.0).reshape(5, 5), np.array([[1, 0, -1]] * 3))  # output 3 x 3
    return result, export.layout((5, 5), (3, 3)), frames(export.convolution_gif(result))


def test_one_frame_per_window_position_at_a_few_hundred_pixels(small):
    result, at, shown = small
    assert len(shown) == result.positions == 9
    height, width = shown[0].shape[:2]
    assert (width, height) == at.size and 200 <= width <= 700 and 150 <= height <= 500


def test_the_window_starts_top_left_and_ends_bottom_right(small):
    _, at, shown = small
    assert window_pixels(shown[0], at) == at.box(at.input_origin, range(0, 3), range(0, 3))
    assert window_pixels(shown[1], at) == at.box(at.input_origin, range(0, 3), range(1, 4))
    assert window_pixels(shown[3], at) == at.box(at.input_origin, range(1, 4), range(0, 3))  # next row
    assert window_pixels(shown[-1], at) == at.box(at.input_origin, range(2, 5), range(2, 5))


def test_the_output_fills_in_step_by_step(small):
    _, at, shown = small
    for step, frame in enumerate(shown):
        blank = [output_is_blank(frame, at, *divmod(k, 3)) for k in range(9)]
        assert blank == [k > step for k in range(9)]
        x0, y0, x1, y1 = at.box(at.output_origin, *[range(i, i + 1) for i in divmod(step, 3)])
        assert tuple(frame[y0, x0]) == tuple(frame[y1, x1]) == WINDOW  # the cell being filled is outlined
        assert (frame[: export.MARGIN + export.TITLE] != 255).any()  # the step is written at the top


def test_padding_is_hatched_on_the_pixels_scale_and_the_window_starts_in_it():
    result = conv.convolve(np.full((4, 4), 10.0), np.ones((3, 3)), padding=1)
    at = export.layout((6, 6), (4, 4))
    first = frames(export.convolution_gif(result))[0]
    x0, y0, x1, y1 = at.box(at.input_origin, range(0, 1), range(0, 1))  # a padding cell
    corner = first[y0 + 3 : y1 - 3, x0 + 3 : x1 - 3]
    assert (corner == HATCH).all(axis=-1).any()  # hatched
    assert tuple(corner[-1, -1]) == (0, 0, 0)  # zero padding below the image's range: the darkest grey
    assert window_pixels(first, at) == at.box(at.input_origin, range(0, 3), range(0, 3))


def test_dilated_windows_outline_their_taps():
    result = conv.convolve(np.zeros((5, 5)), np.ones((2, 2)), dilation=3)  # taps at 0 and 3
    at = export.layout((5, 5), (2, 2))
    first = frames(export.convolution_gif(result))[0]
    tap, gap = (at.box(at.input_origin, range(r, r + 1), range(r, r + 1)) for r in (3, 1))
    assert tuple(first[tap[1], tap[0]]) == WINDOW and tuple(first[gap[1], gap[0]]) != WINDOW


def test_a_digit_fits_in_900_pixels():
    digit = data.sample_digits()[0][0].astype(float)
    result = conv.convolve(digit, np.ones((3, 3)), padding=1, stride=3)  # 10 x 10 positions
    image = Image.open(io.BytesIO(export.convolution_gif(result)))
    assert image.n_frames == 100 and 700 <= image.width <= export.MAX_WIDTH and image.height < image.width


def test_pooling_gif_steps_through_every_window():
    result = pooling.pool2d(pooling.random_map(6), 3, stride=2, padding=1, mode="avg")  # 3 x 3 windows
    at = export.layout((8, 8), (3, 3))
    shown = frames(export.pooling_gif(result))
    assert len(shown) == len(result.windows) == 9
    assert window_pixels(shown[0], at) == at.box(at.input_origin, range(0, 3), range(0, 3))
    assert window_pixels(shown[-1], at) == at.box(at.input_origin, range(4, 7), range(4, 7))
    assert [output_is_blank(shown[4], at, *divmod(k, 3)) for k in range(9)] == [k > 4 for k in range(9)]
    x0, y0, x1, y1 = at.box(at.input_origin, range(7, 8), range(7, 8))  # padding: blank, hatched
    assert (shown[0][y0 + 2 : y1 - 2, x0 + 2 : x1 - 2] == HATCH).all(axis=-1).any()


def test_too_many_positions_are_refused_with_what_to_change():
    result = conv.convolve(np.zeros((12, 12)), np.ones((3, 3)))  # 100 positions
    with pytest.raises(ValueError, match=r"^This sweep has 100 window positions; a GIF holds at most 99 frames\."):
        export.convolution_gif(result, max_frames=99)
    assert Image.open(io.BytesIO(export.convolution_gif(result, max_frames=100))).n_frames == 100
    with pytest.raises(ValueError, match="larger stride"):
        export.pooling_gif(pooling.pool2d(np.zeros((12, 12)), 1), max_frames=99)


def test_colour_inputs_are_refused_clearly():
    result = conv.convolve(np.zeros((3, 5, 5)), np.ones((1, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"^A GIF shows a single-channel convolution; this one has 3 input channels\."):
        export.convolution_gif(result)


@pytest.mark.parametrize("cell", [3, 49])
def test_cell_sizes_outside_the_range_are_refused(cell):
    with pytest.raises(ValueError, match="cell size must be 4 to 48 pixels"):
        export.convolution_gif(conv.convolve(np.zeros((5, 5)), np.ones((3, 3))), cell=cell)


def test_chosen_cell_size_and_frame_time_are_used():
    result = conv.convolve(np.zeros((5, 5)), np.ones((3, 3)))
    image = Image.open(io.BytesIO(export.convolution_gif(result, cell=10, frame_ms=250)))
    assert image.size == export.layout((5, 5), (3, 3), cell=10).size
    assert image.info["duration"] == 250 and image.info["loop"] == 0
