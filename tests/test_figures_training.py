"""Training figures: the smoothing, tiling and every builder with what the page feeds it."""

import base64
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from cnnviz.figures import training as figs
from cnnviz.progress import CurvePoint, Progress
from cnnviz.train import StepRecord, TrainConfig

finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 60), elements=finite), st.floats(0.0, 0.99))
def test_smooth_is_the_debiased_exponential_average(values, weight):
    weights = weight ** np.arange(len(values))[::-1]
    expected = [np.sum(weights[-(i + 1) :] * values[: i + 1]) / np.sum(weights[-(i + 1) :]) for i in range(len(values))]
    np.testing.assert_allclose(figs.smooth(values, weight), expected, rtol=1e-9, atol=1e-6)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 13), st.integers(1, 6), st.integers(0, 3))
def test_tile_puts_each_image_in_its_cell(n, cols, gap):
    images = np.arange(n * 4 * 3, dtype=np.float32).reshape(n, 4, 3)
    grid = figs.tile(images, cols, gap, fill=np.nan)
    rows = -(-n // cols)
    assert grid.shape == (rows * (4 + gap) - gap, cols * (3 + gap) - gap)
    for k in range(n):
        r, c = divmod(k, cols)
        np.testing.assert_array_equal(
            grid[r * (4 + gap) : r * (4 + gap) + 4, c * (3 + gap) : c * (3 + gap) + 3], images[k]
        )
    assert np.isnan(grid).sum() == grid.size - images.size


def _points(n: int) -> tuple[CurvePoint, ...]:
    return tuple(CurvePoint(i / 10, 2.3 / (i + 1), i / n) for i in range(n))


def test_curves_show_train_trend_over_raw_and_test_points():
    fig = figs.curves_figure(_points(30), _points(4), epochs=3, test_size=500)
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert names == ["training batches", "500 test images"]  # one legend entry per series
    raw, trend = fig.data[0], fig.data[1]
    assert raw.opacity == 0.25 and np.allclose(trend.y, figs.smooth(np.array(raw.y)))
    accuracy = [t for t in fig.data if t.yaxis == "y2"]
    assert max(max(t.y) for t in accuracy) <= 100 and list(fig.layout.xaxis.range) == [0, 3]


def test_long_curves_are_thinned_for_the_browser():
    fig = figs.curves_figure(_points(5000), (), epochs=1, test_size=500)
    assert all(len(t.x) <= figs.MAX_POINTS for t in fig.data)
    assert figs.curves_figure((), (), 1, 500).data == ()


def _picture(trace) -> np.ndarray:
    """An image trace's picture, decoded from its PNG data URI (RGB)."""
    head, payload = trace.source.split(",", 1)
    assert head == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(payload))).convert("RGB"))


def test_tiles_say_right_and_wrong_by_symbol_and_colour():
    images = np.zeros((3, 1, 28, 28), np.uint8)
    images[1, 0, 5, 7] = 255
    fig = figs.tiles_figure(images, ["7 99%", "2 51%", "1 80%"], [True, False, True], cols=3)
    colours = [a.font.color for a in fig.layout.annotations]
    assert colours == [figs.RIGHT_COLOUR, figs.WRONG_COLOUR, figs.RIGHT_COLOUR]
    assert [a.text for a in fig.layout.annotations] == ["✓ 7 99%", "✗ 2 51%", "✓ 1 80%"]
    picture = _picture(fig.data[0])  # a picture (no colour bar): dark ink on white paper, white gaps
    assert fig.data[0].type == "image" and picture.shape == (28, 3 * 28 + 2 * 14, 3)
    assert (picture[0, 0] == 255).all() and (picture[5, 28 + 14 + 7] == 0).all() and (picture[:, 28:42] == 255).all()


def test_colour_images_tile_as_rgb():
    fig = figs.tiles_figure(np.full((2, 3, 32, 32), 200, np.uint8), ["cat", "dog"], [True, True])
    assert fig.data[0].type == "image" and fig.data[0].z is None
    assert (_picture(fig.data[0])[:, :32] == 200).all()


def test_tiles_are_sent_as_a_small_png():
    images = np.random.default_rng(0).integers(0, 256, (10, 1, 28, 28), np.uint8)
    fig = figs.tiles_figure(images, ["0 9%"] * 10, [True] * 10, cols=5)
    assert len(fig.to_json()) < 40_000  # the page sends it every second (as z numbers it was 180 KB)


def test_filters_share_a_zero_centred_scale_and_name_the_filter_on_hover():
    weights = np.random.default_rng(0).normal(size=(6, 1, 5, 5))
    trace = figs.filters_figure(weights).data[0]
    assert trace.zmin == -trace.zmax == -np.abs(weights).max()
    index = np.asarray(trace.customdata)
    assert set(np.unique(index)) == {-1, 0, 1, 2, 3, 4, 5}
    rgb = figs.filters_figure(np.random.default_rng(0).normal(size=(6, 3, 5, 5))).data[0]
    assert rgb.type == "image"


def test_confusion_counts_shown_and_rows_coloured_by_share():
    matrix = np.array([[8, 2], [0, 10]])
    trace = figs.confusion_figure(matrix, ("cat", "dog")).data[0]
    np.testing.assert_array_equal(trace.text, matrix)
    np.testing.assert_allclose(trace.z, [[0.8, 0.2], [0, 1]])


@pytest.mark.parametrize("done, expected", [(0, "Starting"), (3, "about 12 s left"), (8, "testing on the whole")])
def test_progress_text(done, expected):
    step = StepRecord(1, done, 8, 0.5, 0.75, 100.0, 1.0, 1.0, done / 8) if done else None
    progress = Progress("running", TrainConfig(epochs=1), 8, steps_done=done, step=step, samples_per_s=1234.0, eta=12.0)
    text = figs.progress_text(progress)
    assert expected in text
    if done:
        assert f"Epoch 1/1 · step {done}/8 · 1,234 images/s" in text


def test_progress_text_after_the_end():
    step = StepRecord(1, 8, 8, 0.5, 0.75, 100.0, 1.0, 0.0, 1.0)
    done = Progress("finished", TrainConfig(epochs=1), 8, steps_done=8, step=step, samples_per_s=900.0)
    assert figs.progress_text(done) == "Done: 8 steps, 900 images/s."
    assert "Ended at epoch 1, step 8" in figs.progress_text(Progress("stopped", TrainConfig(), 8, step=step))


def test_config_text_describes_the_run_not_the_widgets():
    text = figs.config_text(TrainConfig(model="simplecnn", epochs=1, optimizer="sgd", lr=0.05), 2000)
    assert text == (
        "Training SimpleCNN on 2,000 MNIST digits images for 1 epoch: batch 128, SGD with momentum "
        "at learning rate 0.05, seed 0, device auto."
    )
