"""The playground's figures show what they claim: padding apart, only the dilated taps outlined,
output cells blank until the window reaches them, one stacked map per filter."""

import re

import numpy as np

from cnnviz import conv
from cnnviz.figures import conv as figs


def tap_boxes(fig, axis="x"):
    """Centres of the outlined tap cells (drawn as one SVG path of squares)."""
    [path] = [s.path for s in fig.layout.shapes if s.type == "path" and s.xref == axis]
    corners = re.findall(r"M(-?[\d.]+),(-?[\d.]+)", path)
    return [(float(x) + 0.5, float(y) + 0.5) for x, y in corners]


def hatched_cells(fig, axis="x"):
    """(col, row) of every cell a hatching stroke crosses (strokes run bottom-left to top-right)."""
    [path] = [s.path for s in fig.layout.shapes if s.type == "path" and s.xref == axis and s.line.width == 1]
    cells = set()
    for x0, y0, x1, y1 in re.findall(r"M(-?[\d.]+),(-?[\d.]+)L(-?[\d.]+),(-?[\d.]+)", path):
        x0, y0, x1, y1 = map(float, (x0, y0, x1, y1))
        assert x1 - x0 == y0 - y1 > 0  # a 45° stroke, one cell per unit
        cells |= {(x0 + 0.5 + k, y0 - 0.5 - k) for k in range(int(x1 - x0))}
    return cells


def test_padding_is_its_own_trace_on_the_pixels_scale_hatched_and_fenced():
    result = conv.convolve(np.arange(16.0).reshape(4, 4), np.ones((3, 3)), padding=2, padding_mode="replicate")
    fig = figs.input_figure(result, conv.window(result, 0))
    pixels, padding = fig.data
    assert np.isnan(pixels.z[0, 0]) and pixels.z[2, 2] == 0  # padded (0, 0) is padding; (2, 2) is pixel (0, 0)
    assert padding.z[0, 0] == 0 and np.isnan(padding.z[2, 2]) and "padding (replicate)" in padding.hovertemplate
    assert list(pixels.x) == [-2, -1, 0, 1, 2, 3, 4, 5]  # hover names unpadded coordinates
    # a padded value is drawn like the same pixel value: same colours, same range, nothing faded
    assert (padding.colorscale, padding.zmin, padding.zmax) == (pixels.colorscale, pixels.zmin, pixels.zmax)
    assert padding.opacity is None and pixels.showscale and not padding.showscale
    ring = {(c, r) for r in range(-2, 6) for c in range(-2, 6)} - {(c, r) for r in range(4) for c in range(4)}
    assert hatched_cells(fig) == ring
    assert any(s.line.dash == "dash" for s in fig.layout.shapes)


def test_zoomed_view_draws_padding_like_the_whole_view():
    result = conv.convolve(np.zeros((28, 28)), np.ones((3, 3)), padding=2)
    win = conv.window(result, 0)
    zoomed = figs.input_figure(result, win, crop=figs.window_crop(result, win))
    whole = figs.overview_figure(result, win)
    pixels, padding = zoomed.data
    assert padding.colorscale == pixels.colorscale == whole.data[0].colorscale
    assert padding.zmin == pixels.zmin == whole.data[0].zmin and padding.opacity is None
    shown = {(c, r) for r in range(-2, 3) for c in range(-2, 3)}  # the crop: 2 cells round a 3×3 window
    assert hatched_cells(zoomed) == {(c, r) for c, r in shown if c < 0 or r < 0}
    assert {(c, r) for c, r in hatched_cells(whole) if (c, r) in shown} == hatched_cells(zoomed)


def test_only_the_dilated_taps_are_outlined():
    result = conv.convolve(np.zeros((9, 9)), np.ones((3, 3)), dilation=3)
    fig = figs.input_figure(result, conv.window(result, 2))
    assert sorted(tap_boxes(fig)) == sorted((c, r) for r in (0, 3, 6) for c in (2, 5, 8))


def test_output_fills_in_up_to_the_current_step():
    result = conv.convolve(np.ones((5, 5)), np.ones((3, 3)))
    fig = figs.output_figure(result.output[0], 4)
    assert fig.data[0].hoverongaps is False and fig.data[0].showscale  # blanks stay silent
    z = np.array(fig.data[0].z)
    assert np.all(z.ravel()[:5] == 9) and np.all(np.isnan(z.ravel()[5:]))
    assert not np.isnan(np.array(figs.output_figure(result.output[0], 4, reveal=False).data[0].z)).any()


def test_zoomed_views_crop_around_the_window():
    result = conv.convolve(np.zeros((28, 28)), np.ones((3, 3)), padding=1)
    win = conv.window(result, 28 * 10 + 5)
    fig = figs.input_figure(result, win, crop=figs.window_crop(result, win))
    assert list(fig.data[0].x) == list(range(2, 9)) and list(fig.data[0].y) == list(range(7, 14))
    out = figs.output_figure(result.output[0], 28 * 10 + 5, crop=figs.output_crop((28, 28), 28 * 10 + 5))
    assert list(out.data[0].x) == list(range(2, 9))


def test_overview_has_input_kernel_and_output_side_by_side():
    result = conv.convolve(np.zeros((28, 28)), np.ones((5, 5)))
    fig = figs.overview_figure(result, conv.window(result, 0))
    assert [np.shape(t.z) for t in fig.data] == [(28, 28), (5, 5), (24, 24)]
    assert {t.xgap for t in fig.data} == {1}  # cells drawn apart, so each pixel reads as a cell
    domains = [fig.layout[f"xaxis{a}"].domain for a in ("", "2", "3")]
    assert domains[0][1] < domains[1][0] and domains[1][1] < domains[2][0]


def test_colour_figures_sum_over_channels_and_stack_filters():
    rng = np.random.default_rng(0)
    result = conv.convolve(rng.normal(size=(3, 6, 6)), rng.normal(size=(4, 3, 3, 3)), bias=[1, 2, 3, 4])
    sums = figs.channel_sum_figure(result, 2)
    parts = np.array([t.z for t in sums.data])
    np.testing.assert_allclose(parts[:3].sum(axis=0) + 3, parts[3])
    thirds = conv.convolve(np.ones((3, 3, 3)), np.full((1, 3, 3, 3), 1 / 27), bias=-1)
    assert figs.channel_sum_figure(thirds, 0).data[3].z[0][0] == 0  # float noise is not shown as 1e-16
    volume = figs.volume_figure(result)
    assert [t.z[0][0] for t in volume.data] == [0, 1, 2, 3]
    step = figs.channel_step_figure(result, conv.window(result, 5, 2))
    assert len(step.data) == 6 and len(tap_boxes(step, "x3")) == 9


def test_kernel_and_products_written_out():
    result = conv.convolve(np.arange(9.0).reshape(3, 3), np.array([[1, 0, -1]] * 3))
    fig = figs.kernel_products_figure(conv.window(result, 0))
    kernel, products = fig.data
    np.testing.assert_array_equal(products.z, np.arange(9.0).reshape(3, 3) * np.array([[1, 0, -1]] * 3))
    assert fig.layout.xaxis2.title.text == "products, sum -6" and kernel.texttemplate
