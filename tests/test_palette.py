"""The palette: the GIF's colour stops are plotly's own scales, and right/wrong reads without colour."""

import plotly.colors
import pytest

from cnnviz.figures import palette


def _hex(colour: str) -> str:
    """'rgb(5,48,97)' or '#053061' -> '#053061'."""
    if colour.startswith("#"):
        return colour.lower()
    r, g, b = (int(v) for v in colour[4:-1].split(","))
    return f"#{r:02x}{g:02x}{b:02x}"


@pytest.mark.parametrize(
    "name, stops",
    [
        (palette.PIXELS, palette.PIXELS_STOPS),
        (palette.DIVERGING, palette.DIVERGING_STOPS),
        (palette.MAGNITUDE, palette.MAGNITUDE_STOPS),
    ],
)
def test_stops_are_the_plotly_scale_the_figures_use(name, stops):
    scale = plotly.colors.get_colorscale(name)
    assert [_hex(c) for _, c in scale] == list(stops)
    assert [p for p, _ in scale] == pytest.approx([k / (len(stops) - 1) for k in range(len(stops))])


def test_right_and_wrong_carry_a_symbol():
    assert palette.verdict("7 99%", True) == "✓ 7 99%" and palette.verdict("2 51%", False) == "✗ 2 51%"
    assert palette.RIGHT != palette.WRONG


def test_no_red_green_pair_among_the_categories():
    """Okabe-Ito only: the category colours are the eight of the colour-blind-safe palette."""
    okabe_ito = {"#000000", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"}
    roles = [palette.HIGHLIGHT, palette.PADDING, palette.RIGHT, palette.WRONG, palette.TRAIN, palette.TEST]
    assert {c.lower() for c in roles} <= okabe_ito
