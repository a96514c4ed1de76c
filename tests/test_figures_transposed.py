"""Figures of the transposed page: every heatmap has a colour bar, crops and zeros are marked where they are."""

import numpy as np

from cnnviz import conv, transposed
from cnnviz.figures import transposed as figs


def heatmaps(fig) -> list:
    return [t for t in fig.data if t.type == "heatmap"]


def every_figure(result):
    step = transposed.scatter_step(result, 1)
    win = conv.window(result.as_convolution, 2)
    roles = transposed.view2_roles(result)
    return [
        figs.map_figure(result.input[0], "Input", (step.row, step.col)),
        figs.copy_figure(step),
        figs.canvas_figure(result, step.after, step),
        figs.view2_input_figure(result, roles, win),
        figs.output_figure(result.as_convolution.output[0], 2),
    ]


def test_every_heatmap_has_a_colour_bar():
    result = conv.conv_transpose(np.arange(9.0).reshape(3, 3), np.ones((3, 3)), stride=2, padding=1)
    for fig in every_figure(result):
        assert heatmaps(fig) and all(t.showscale for t in heatmaps(fig))
        assert fig.layout.margin.r >= 45  # room for the bar


def test_canvas_shows_cropped_cells_in_output_coordinates():
    result = conv.conv_transpose(np.ones((2, 2)), np.ones((3, 3)), stride=2, padding=1)
    step = transposed.scatter_step(result, 0)
    fig = figs.canvas_figure(result, step.after, step)
    (trace,) = heatmaps(fig)
    assert list(trace.y) == list(range(-1, result.canvas.shape[1] - 1))  # canvas row 0 is output row −1
    assert "grey: cropped" in fig.layout.title.text
    assert any(s.fillcolor == figs.PADDING_COLOUR for s in fig.layout.shapes)
    uncropped = conv.conv_transpose(np.ones((2, 2)), np.ones((3, 3)))
    assert "cropped" not in figs.canvas_figure(uncropped, uncropped.canvas).layout.title.text


def test_view2_tints_each_kind_of_zero_and_names_it_on_hover():
    result = conv.conv_transpose(np.ones((2, 2)), np.ones((2, 2)), stride=2, output_padding=1)
    roles = transposed.view2_roles(result)
    fig = figs.view2_input_figure(result, roles, None)
    tints = {s.fillcolor for s in fig.layout.shapes}
    assert tints == set(figs.ROLE_COLOURS.values())
    assert heatmaps(fig)[0].customdata[1][2] == transposed.ROLE_NAMES[transposed.INSERTED]


def test_output_fills_in_up_to_the_window():
    fig = figs.output_figure(np.arange(4.0).reshape(2, 2), 1)
    z = np.array(heatmaps(fig)[0].z, dtype=float)
    assert np.isnan(z[1]).all() and list(z[0]) == [0, 1]
