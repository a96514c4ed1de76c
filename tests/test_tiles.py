"""The light HTML figures: feature-map tiles (one per channel, coloured like the plotly heatmaps, a colour bar
each) and the predict page's bars and explanation map."""

import base64
import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image
from plotly.colors import sample_colorscale, unlabel_rgb

from cnnviz import activations, weights
from cnnviz.figures import palette, tiles
from cnnviz.figures import predict as predict_figs
from cnnviz.figures.heatmaps import colour_scale


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML block."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, cls: str | None = None) -> list[dict]:
        return [a for t, a in self.tags if t == tag and (cls is None or cls in a.get("class", "").split())]


@pytest.fixture(scope="module")
def acts():
    model = weights.load_pretrained("lenet5")
    return activations.run_model(model, activations.sample_image(3, 0))


@pytest.mark.parametrize("scale", [palette.MAGNITUDE, palette.DIVERGING])
def test_colours_equal_plotlys_for_the_same_scale(scale):
    values = np.linspace(-1.0, 1.0, 41) if scale == palette.DIVERGING else np.linspace(0.0, 3.0, 41)
    ours = tiles.colourise(values, colour_scale(values, palette.MAGNITUDE))
    where = (values - values.min()) / (values.max() - values.min())
    theirs = np.array([unlabel_rgb(c) for c in sample_colorscale(scale, where.tolist())])
    assert np.abs(ours.astype(float) - theirs).max() <= 2  # 256 levels against plotly's exact interpolation


def test_a_layer_becomes_one_tile_per_channel_with_its_range(acts):
    maps = acts.layers["conv1"]
    markup = tiles.layer_tiles(maps, "conv1: 6 maps of 28×28", cols=3)
    block = Elements(markup)
    cells = block.find("i")
    assert len(cells) == len(maps) == 6
    for k, cell in enumerate(cells):
        low, high = tiles.format_value(maps[k].min()), tiles.format_value(maps[k].max())
        assert cell["title"] == f"channel {k}: {low} to {high}" and cell["role"] == "img"
    assert [c["style"] for c in cells[:4]] == [  # each shows its cell of the layer's one picture (3 by 2)
        "background-position: 0.0000% 0.0000%",
        "background-position: 50.0000% 0.0000%",
        "background-position: 100.0000% 0.0000%",
        "background-position: 0.0000% 100.0000%",
    ]
    assert "conv1: 6 maps of 28×28" in block.text
    grid = block.find("div", "cnnviz-tiles-grid")[0]
    assert "repeat(3," in grid["style"]
    sheet = re.search(r"url\(data:image/png;base64,([^)]+)\)", markup).group(1)
    picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(sheet))))
    assert picture.shape == (2 * 28, 3 * 28, 3)  # one cell per channel, as small as the maps
    scale = colour_scale(maps, palette.MAGNITUDE)
    assert np.array_equal(picture[28:56, 28:56], tiles.colourise(maps[4], scale))  # channel 4: row 1, column 1


def test_every_picture_has_a_colour_bar_with_its_values(acts):
    signed = acts.layers["conv1"]  # conv outputs go negative: a zero-centred bar
    block = Elements(tiles.layer_tiles(signed, "conv1", cols=3))
    assert block.find("div", "cnnviz-colourbar")
    bound = max(abs(signed.min()), abs(signed.max()))
    assert [tiles.format_value(v) for v in (-bound, 0.0, bound)] == [
        t for t in block.text if t in {tiles.format_value(v) for v in (-bound, 0.0, bound)}
    ]
    ramp = block.find("div", "cnnviz-colourbar-ramp")[0]["style"]
    assert all(stop in ramp for stop in palette.DIVERGING_STOPS)
    relu = Elements(tiles.layer_tiles(acts.layers["relu1"], "relu1", cols=3))
    assert all(stop in relu.find("div", "cnnviz-colourbar-ramp")[0]["style"] for stop in palette.MAGNITUDE_STOPS)


def test_vector_rows_keep_each_units_value_on_hover(acts):
    flat = {name: v for name, v in acts.layers.items() if v.ndim == 1 and name != "flatten"}
    block = Elements(tiles.vector_rows(flat, "Fully connected layers"))
    cells = block.find("i")
    assert len(cells) == sum(len(v) for v in flat.values())
    name, values = next(iter(flat.items()))
    assert cells[3]["title"] == f"{name} unit 3: {tiles.format_value(values[3])}"
    assert block.find("div", "cnnviz-colourbar")


def test_titles_and_names_are_text_not_markup():
    block = tiles.layer_tiles(np.zeros((1, 2, 2)), "<script>alert(1)</script>", cols=1, names=['"><img src=x>'])
    parsed = Elements(block)
    assert not parsed.find("script") and len(parsed.find("i")) == 1 and not parsed.find("img")
    assert "&lt;script&gt;" in block


def test_constant_and_blank_maps_still_draw():
    assert len(Elements(tiles.layer_tiles(np.ones((4, 3, 3)), "flat", cols=2)).find("i")) == 4
    with_gap = np.array([[[np.nan, 1.0], [2.0, 3.0]]])
    assert Elements(tiles.layer_tiles(with_gap, "gap", cols=1)).find("i")


def test_probability_bars_name_each_digit_and_mark_the_winner():
    probs = np.array([0.01, 0.02, 0.9, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01])
    block = Elements(predict_figs.probability_bars(probs, "<b>LeNet-5</b> (from x.png)"))
    slots = block.find("div", "cnnviz-bar-slot")
    assert [s["title"] for s in slots][:3] == ["digit 0: 1.0%", "digit 1: 2.0%", "digit 2: 90.0%"]
    bars = block.find("div", "cnnviz-bar")
    assert "height: 90.0%" in bars[2]["style"] and predict_figs.TOP_COLOUR in bars[2]["style"]
    assert all(predict_figs.BAR_COLOUR in b["style"] for k, b in enumerate(bars) if k != 2)
    assert "90%" in block.text and not block.find("b")  # the winner's share written; the title is text


def test_the_explanation_map_lies_over_the_digit_with_a_bar_in_its_unit(acts):
    picture = acts.input[0]
    heat = np.zeros_like(picture)
    heat[0, 0], heat[10, 10] = 0.5, 0.25  # the strongest spot, and one halfway up the scale
    block = Elements(predict_figs.explanation_overlay(picture, heat, "Where it saw a 3", "probability drop"))
    (image,) = block.find("img")
    assert image["title"] == "Where it saw a 3: strongest 0.5 probability drop"
    assert "probability drop" in block.text and "0.5" in block.text
    ramp = block.find("div", "cnnviz-colourbar-ramp")[0]["style"]
    assert all(stop in ramp for stop in palette.EVIDENCE_STOPS)
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(image["src"].split(",", 1)[1]))))
    assert pixels.shape[:2] == picture.shape
    assert pixels[10, 10, 0] > pixels[10, 10, 2] + 50  # halfway evidence is warm (orange) over the grey digit


def test_evidence_stops_are_plotlys_hot():
    theirs = [unlabel_rgb(c) for c in sample_colorscale("Hot", [k / 10 for k in range(11)])]
    ours = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in palette.EVIDENCE_STOPS]
    assert np.abs(np.array(ours) - np.array(theirs)).max() <= 1


def test_a_vote_is_the_models_own_prediction_drawn():
    from cnnviz import explain, predict

    model = weights.load_pretrained("lenet5")
    digit = activations.sample_image(7, 0)
    top, prob, bars, evidence = predict_figs.vote(digit, model, explain.EXPLANATIONS["occlusion"], "LeNet-5", 220)
    probs = predict.predict_probs(digit, model)
    assert top == int(probs.argmax()) == 7 and prob == pytest.approx(float(probs.max()))
    assert "LeNet-5" in Elements(bars).text and f"Where it saw a {top}" in Elements(evidence).text


def test_a_sample_digit_is_shown_with_exactly_its_pixels_and_a_text_name():
    digit = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    (picture,) = Elements(predict_figs.digit_picture(digit, '7 "><script>')).find("img")
    assert picture["alt"] == '7 "><script>'  # escaped in the markup, text once parsed
    payload = base64.b64decode(picture["src"].removeprefix("data:image/png;base64,"))
    shown = np.asarray(Image.open(io.BytesIO(payload)))
    assert shown.shape == (28, 28, 3) and (shown == digit[..., None]).all()
    assert "pixelated" in picture["style"] and picture["width"] == picture["height"] == str(predict_figs.SAMPLE_PX)
