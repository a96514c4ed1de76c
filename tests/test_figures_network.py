"""Network figures: every builder is a valid plotly figure, and the grids put each channel where hover says."""

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import activations, layer_table, pooling, weights
from cnnviz.figures import network as figs


def valid(fig: go.Figure) -> dict:
    """Validate the way st.plotly_chart does (the builders skip validation); the figure as a dict."""
    return go.Figure(fig.to_dict()).to_dict()


@pytest.fixture(scope="module")
def lenet():
    model = weights.load_pretrained("lenet5")
    return model, activations.run_model(model, activations.sample_image(5, 1))


def test_every_builder_makes_a_valid_figure(lenet):
    model, acts = lenet
    rows = layer_table.layer_table(model)
    result = pooling.pool2d(pooling.classic_example(), 2)
    built = [
        figs.feature_grid(acts.layers["conv1"], "conv1", selected=2),
        figs.map_heatmap(acts.layers["pool2"][3], "small map"),
        figs.map_heatmap(acts.input[0], "input", text=False),
        figs.filter_grid(activations.conv_filters(model, "conv2"), "filters"),
        figs.class_scores(acts.logits, acts.probs, model.classes),
        figs.parameter_bars(rows),
        figs.fc_comparison_bars(layer_table.fc_comparison(model, "conv2")),
        figs.pooling_figure(result),
        figs.pooling_figure(result, step=3),
        figs.shift_sweep_figure(list(range(-2, 3)), {"x": np.full((5, 10), 0.1)}, 5, model.classes, {"x": 0}),
    ]
    for fig in built:
        assert valid(fig)["data"]


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 24), h=st.integers(1, 6), w=st.integers(1, 6), cols=st.integers(1, 8))
def test_mosaic_puts_each_tile_where_its_index_says(n, h, w, cols):
    maps = np.random.default_rng(n).normal(size=(n, h, w))
    grid, index = figs.mosaic(maps, cols)
    for k in range(n):
        rows, columns = np.nonzero(index == k)
        tile = grid[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
        np.testing.assert_array_equal(tile, maps[k])
    assert np.isnan(grid[index == -1]).all()


def test_feature_grid_hover_names_channel_row_and_column(lenet):
    _, acts = lenet
    maps = acts.layers["pool1"]  # 6 x 14 x 14
    trace = figs.feature_grid(maps, "pool1").data[0]
    custom, z = np.asarray(trace.customdata), np.asarray(trace.z, dtype=float)
    for channel, r, c in [(0, 0, 0), (4, 13, 2), (5, 7, 13)]:
        where = np.argwhere((custom[..., 0] == channel) & (custom[..., 1] == r) & (custom[..., 2] == c))
        assert len(where) == 1
        assert z[tuple(where[0])] == pytest.approx(maps[channel, r, c], rel=1e-6)


def test_colours_centre_on_zero_only_when_values_go_negative():
    signed = figs.map_heatmap(np.array([[-1.0, 3.0]]), "signed").data[0]
    assert (signed.zmin, signed.zmax) == (-3, 3)
    positive = figs.map_heatmap(np.array([[0.5, 2.0]]), "relu").data[0]
    assert (positive.zmin, positive.zmax) == (0.5, 2.0)


def test_pooling_figure_outlines_every_window_once():
    result = pooling.pool2d(pooling.random_map(6), 2, stride=1)
    outlines = valid(figs.pooling_figure(result))["data"][2]
    assert outlines["x"].count(None) == len(result.windows) == 25


def test_click_handles_sit_on_their_own_tile(lenet):
    _, acts = lenet
    maps = acts.layers["conv2"]  # 16 x 10 x 10
    fig = figs.feature_grid(maps, "conv2", clickable=True)
    custom = np.asarray(fig.data[0].customdata)[..., 0]
    handles = fig.data[1]
    assert list(handles.customdata) == list(range(16)) and fig.layout.clickmode == "event+select"
    for channel, x, y in zip(handles.customdata, handles.x, handles.y):
        assert custom[int(round(y)), int(round(x))] == channel


@pytest.mark.parametrize("n, cols", [(6, 3), (16, 4), (32, 8), (64, 8), (7, 4)])
def test_grids_fill_their_last_row_when_they_can(n, cols):
    assert figs.grid_columns(n) == cols


def test_shift_sweep_says_right_and_wrong_by_symbol_as_well_as_colour():
    probs = np.zeros((3, 10))
    probs[[0, 1, 2], [5, 3, 5]] = 1  # shifts -1 and 1 still read 5, shift 0 reads 3
    trace = figs.shift_sweep_figure([-1, 0, 1], {"x": probs}, 5, tuple("0123456789"), {"x": 0}).data[0]
    assert list(trace.customdata) == ["✓ 5", "✗ 3", "✓ 5"]
    assert list(trace.marker.symbol) == ["circle", "x", "circle"]
    assert trace.marker.color[1] == figs.PICK_COLOUR != trace.marker.color[0]


def test_pooled_output_carries_the_colour_bar_the_input_shares():
    result = pooling.pool2d(pooling.random_map(6), 2)
    data = valid(figs.pooling_figure(result))["data"]
    grid, pooled = data[0], data[1]
    assert grid["showscale"] is False and pooled.get("showscale", True)
    assert (grid["zmin"], grid["zmax"], grid["colorscale"]) == (pooled["zmin"], pooled["zmax"], pooled["colorscale"])


def test_the_layer_table_shows_every_row_with_its_numbers_and_share():
    rows = layer_table.layer_table(weights.load_pretrained("lenet5"))
    table = layer_table.table_rows(rows)
    markup = figs.layer_table_html(table)
    body = markup.split("<tbody>", 1)[1]
    assert body.count("<tr>") == len(rows) + 1  # every layer, then the totals
    for row in table:
        assert f'<td class="layer">{row["layer"]}</td>' in body and f'<td class="num">{row["MACs"]:,}</td>' in body
        assert f"<span>{row['share of parameters']:.1%}</span>" in body
    hostile = [{**table[0], "layer": "<script>x</script>", "settings": '"><img src=x>'}]
    escaped = figs.layer_table_html(hostile)
    assert "<script>" not in escaped and "<img" not in escaped and "&lt;script&gt;" in escaped
