"""Every heatmap the app draws comes with a colour bar, and no figure builder escapes this check.

Each public builder in cnnviz.figures (a function whose return annotation is a plotly Figure) is built
here from real inputs: the shipped models, the sample digits, our own convolution and pooling. A
builder added later fails `test_every_builder_is_checked` until it gets a case below.
"""

import copy
import importlib
import inspect
import json
import pkgutil

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

import cnnviz.figures
from cnnviz import activations, conv, data, pooling, predict, progress, train, transposed, weights
from cnnviz import layer_table as layer_info
from cnnviz.figures import conv as conv_figs
from cnnviz.figures import network, training
from cnnviz.figures import transposed as transposed_figs
from cnnviz.figures.heatmaps import PROJECTOR_FONT, drawn_json, for_projector

COLOUR_MAPPED = {"heatmap", "contour", "surface", "histogram2d"}  # traces that turn numbers into colours
NO_HEATMAP = {  # builders that draw no colour-mapped trace (checked: they really draw none)
    "network.class_scores": "bars",
    "network.parameter_bars": "bars",
    "network.fc_comparison_bars": "bars",
    "network.shift_sweep_figure": "curves",
    "training.curves_figure": "curves",
    "training.tiles_figure": "pictures of digits, drawn as an image",
}
HELPERS = {"heatmaps.figure": "any figure from the dicts given: every builder's last step, checked through them"}
DRAWN_BY_PLOTLY = {  # everything else is drawn by our own SVG figure (cnnviz/frontend/figure), without plotly.js
    "conv.volume_figure": "3-D surfaces",
    "network.shift_sweep_figure": "markers coloured and shaped point by point",
}
BACKDROPS: dict[str, str] = {}  # builders where one heatmap is a picture under another: only the top one needs a bar


@pytest.fixture(scope="module")
def real():
    """Small real inputs for every builder."""
    digits, labels = data.sample_digits()
    lenet = weights.load_pretrained("lenet5")
    acts = activations.run_model(lenet, digits[0])
    probs = predict.predict_batch(lenet, digits[:20])
    return dict(
        digits=digits,
        labels=labels,
        model=lenet,
        acts=acts,
        probs=probs,
        grey=conv.convolve(digits[0].astype(float), np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]]), padding=1),
        colour=conv.convolve(
            np.random.default_rng(0).uniform(0, 255, (3, 8, 8)), np.random.default_rng(1).normal(size=(2, 3, 3, 3))
        ),
        pooled=pooling.pool2d(acts.layers["conv1"][0], 2),
    )


def _conv(r):
    grey, colour = r["grey"], r["colour"]
    win = conv.window(grey, 40)
    return {
        "conv.input_figure": [
            conv_figs.input_figure(grey, win),
            conv_figs.input_figure(grey, win, crop=conv_figs.window_crop(grey, win)),
        ],
        "conv.channel_step_figure": [conv_figs.channel_step_figure(colour, conv.window(colour, 3, 1))],
        "conv.kernel_products_figure": [conv_figs.kernel_products_figure(win)],
        "conv.output_figure": [
            conv_figs.output_figure(grey.output[0], 40),
            conv_figs.output_figure(grey.output[0], 40, crop=conv_figs.output_crop(grey.output.shape[1:], 40)),
        ],
        "conv.overview_figure": [conv_figs.overview_figure(grey, win)],
        "conv.channel_sum_figure": [conv_figs.channel_sum_figure(colour, 1)],
        "conv.volume_figure": [conv_figs.volume_figure(colour)],
    }


def _network(r):
    model, acts = r["model"], r["acts"]
    sweep = activations.shift_sweep(model, r["digits"][0], range(-2, 3))
    return {
        "network.feature_grid": [network.feature_grid(acts.layers["conv1"], "conv1", selected=1, clickable=True)],
        "network.map_heatmap": [network.map_heatmap(acts.layers["pool2"][0], "pool2")],
        "network.filter_grid": [network.filter_grid(activations.conv_filters(model, "conv2"), "conv2")],
        "network.class_scores": [network.class_scores(acts.logits, acts.probs, model.classes)],
        "network.parameter_bars": [network.parameter_bars(layer_info.layer_table(model))],
        "network.fc_comparison_bars": [network.fc_comparison_bars(layer_info.fc_comparison(model, "conv2"))],
        "network.pooling_figure": [network.pooling_figure(r["pooled"]), network.pooling_figure(r["pooled"], 3)],
        "network.shift_sweep_figure": [
            network.shift_sweep_figure(list(range(-2, 3)), {"x": sweep}, int(r["labels"][0]), model.classes, {"x": 0})
        ],
    }


def _training(r):
    digits, labels, probs = r["digits"][:20], r["labels"][:20], r["probs"]
    points = tuple(progress.CurvePoint(i / 4, 2.0 / (i + 1), i / 8) for i in range(8))
    return {
        "training.curves_figure": [training.curves_figure(points, points[::2], 2, 500)],
        "training.tiles_figure": [
            training.tiles_figure(
                digits[:10, None], [str(p) for p in probs[:10].argmax(1)], list(probs[:10].argmax(1) == labels[:10])
            )
        ],
        "training.filters_figure": [training.filters_figure(activations.conv_filters(r["model"], "conv1"))],
        "training.confusion_figure": [
            training.confusion_figure(
                train.confusion_matrix(torch.from_numpy(probs), torch.from_numpy(labels.astype(np.int64))),
                r["model"].classes,
            )
        ],
    }


def _transposed(r):
    result = conv.conv_transpose(np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([[0.0, 1.0], [2.0, 3.0]]), stride=2)
    step = transposed.scatter_step(result, 1)
    win = conv.window(result.as_convolution, 0)
    return {
        "transposed.map_figure": [transposed_figs.map_figure(result.input[0], "Input", (0, 1))],
        "transposed.copy_figure": [transposed_figs.copy_figure(step)],
        "transposed.canvas_figure": [transposed_figs.canvas_figure(result, step.after, step)],
        "transposed.view2_input_figure": [
            transposed_figs.view2_input_figure(result, transposed.view2_roles(result), win)
        ],
        "transposed.output_figure": [transposed_figs.output_figure(result.output[0], 0)],
    }


CASES = (_conv, _network, _training, _transposed)


@pytest.fixture(scope="module")
def built(real):
    return {name: figures for case in CASES for name, figures in case(real).items()}


def discovered_builders() -> set[str]:
    """'module.function' for every public function in cnnviz.figures.* annotated to return a plotly Figure."""
    names = set()
    for info in pkgutil.iter_modules(cnnviz.figures.__path__):
        module = importlib.import_module(f"cnnviz.figures.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            returns = str(inspect.signature(function).return_annotation)
            if function.__module__ == module.__name__ and not name.startswith("_") and "Figure" in returns:
                names.add(f"{info.name}.{name}")
    return names - set(HELPERS)


def test_every_builder_is_checked(built):
    missing = discovered_builders() - set(built)
    assert not missing, f"Figure builders not built in {__file__}: {sorted(missing)}"
    assert set(NO_HEATMAP) <= set(built) and set(BACKDROPS) <= set(built)


def _scale_of(trace: dict) -> str:
    """What decides a trace's colours: the scale and its range."""
    low, high = trace.get("zmin", trace.get("cmin")), trace.get("zmax", trace.get("cmax"))
    return json.dumps([trace.get("colorscale"), low, high, trace.get("coloraxis")], default=str)


def _shows_bar(trace: dict, layout: dict) -> bool:
    if "coloraxis" in trace:
        return layout.get(trace["coloraxis"], {}).get("showscale", True)
    return trace.get("showscale", True)  # plotly shows a heatmap's bar unless told not to


@pytest.mark.parametrize("name", sorted(discovered_builders()))
def test_every_heatmap_has_a_colour_bar(built, name):
    for fig in built[name]:
        spec = go.Figure(fig.to_dict()).to_dict()  # validated, as st.plotly_chart does
        mapped = [t for t in spec["data"] if t["type"] in COLOUR_MAPPED]
        if name in NO_HEATMAP:
            assert not mapped, f"{name} draws {mapped[0]['type']}: give it a colour bar and a case"
            continue
        assert mapped, f"{name} draws no heatmap: list it in NO_HEATMAP"
        shown = {_scale_of(t) for t in mapped if _shows_bar(t, spec["layout"])}
        assert shown, f"{name}: no colour bar"
        if name not in BACKDROPS:  # every scale in use has its bar (maps that share a scale share one bar)
            assert all(_scale_of(t) in shown for t in mapped), f"{name}: a heatmap's scale has no colour bar"


@pytest.mark.parametrize("name", sorted(discovered_builders()))
def test_what_is_sent_needs_no_validation(built, name):
    """Builders may skip plotly.py's validation (it is most of a rerun's work), so what they hold is sent as is."""
    for fig in built[name]:
        for shown in (fig, for_projector(copy.deepcopy(fig))):  # as ui.chart draws it, projector mode too
            sent = json.loads(shown.to_json())  # st.plotly_chart sends a Figure without validating it again
            validated = json.loads(go.Figure(shown.to_dict()).to_json())  # names expanded: line_dash -> line.dash
            assert validated["data"] == sent["data"], name
            assert validated["layout"] == sent["layout"], name


@pytest.mark.parametrize("name", sorted(discovered_builders()))
def test_grids_are_drawn_without_plotly(built, name):
    """A grid figure that picks up an attribute our SVG figure does not read falls back to plotly.js (and
    its 0.6-1 s module start on a first visit): this says so rather than letting it happen quietly."""
    for fig in built[name]:
        for shown in (fig, for_projector(copy.deepcopy(fig))):
            assert (drawn_json(shown) is not None) == (name not in DRAWN_BY_PLOTLY), name


def test_the_checks_can_fail():
    raw = go.Figure([], {"shapes": [{"type": "line", "line_dash": "dash"}]}, _validate=False)
    assert json.loads(raw.to_json())["layout"] != json.loads(go.Figure(raw.to_dict()).to_json())["layout"]
    bare = go.Figure(go.Heatmap(z=[[1, 2]], showscale=False)).to_dict()
    assert not _shows_bar(bare["data"][0], bare["layout"])
    two = [dict(type="heatmap", colorscale="Viridis", zmin=0, zmax=1), dict(type="heatmap", zmin=0, zmax=2)]
    assert _scale_of(two[0]) != _scale_of(two[1])
    assert drawn_json(go.Figure([dict(type="heatmap", z=[[1]])], _validate=False)) is not None
    assert drawn_json(go.Figure([dict(type="heatmap", z=[[1]], zsmooth="best")], _validate=False)) is None
    assert drawn_json(go.Figure([dict(type="scatter", x=[1], y=[1])], _validate=False)) is None  # in a legend
    curve = dict(type="scatter", x=[1, 2], y=[1, 2], name="loss", mode="lines")
    assert drawn_json(go.Figure([curve], dict(legend=dict(orientation="h", y=-0.25)), _validate=False)) is not None
    assert drawn_json(go.Figure([curve], dict(legend=dict(orientation="v")), _validate=False)) is None
    assert drawn_json(go.Figure([curve], dict(legend=dict(orientation="h", y=1.1)), _validate=False)) is None
    colours = dict(curve, marker=dict(color=["red", "blue"]))
    assert drawn_json(go.Figure([colours], dict(legend=dict(orientation="h")), _validate=False)) is None
    assert drawn_json(go.Figure([dict(type="image", source="data:image/png;base64,AAAA")], _validate=False))
    assert drawn_json(go.Figure([dict(type="image", source="https://example.org/a.png")], _validate=False)) is None
    assert drawn_json(go.Figure([dict(type="image", z=[[[0, 0, 0]]])], _validate=False)) is None


def _small_fonts(spec, path: str = "") -> list[str]:
    """Where a figure sets a font size under the projector's minimum (explicit sizes only; the rest inherit)."""
    found = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "size" and path.endswith("font") and isinstance(value, (int, float)) and value < PROJECTOR_FONT:
                found.append(f"{path}.size={value}")
            found += _small_fonts(value, f"{path}.{key}")
    elif isinstance(spec, list):
        for k, value in enumerate(spec):
            found += _small_fonts(value, f"{path}[{k}]")
    return found


@pytest.mark.parametrize("name", sorted(discovered_builders()))
def test_projector_mode_sets_every_figure_text_to_16_px_or_more(built, name):
    for fig in built[name]:
        spec = for_projector(go.Figure(fig)).to_dict()
        assert spec["layout"]["font"]["size"] >= PROJECTOR_FONT
        assert _small_fonts(spec) == [], name
