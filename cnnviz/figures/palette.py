"""Every colour the figures use, in one place, chosen to stay distinct under red-green colour blindness.

Categories use the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008): its eight colours
remain distinguishable with deuteranopia and protanopia. Magnitudes use viridis (uniform in lightness,
so order survives in grey too); signed values a red-blue scale centred on white at zero (no green);
pixel values grey levels. Right and wrong also carry a symbol, so no meaning rests on colour alone.
"""

from __future__ import annotations

import numpy as np

# Okabe-Ito
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"

# continuous scales (plotly names)
MAGNITUDE = "Viridis"  # non-negative values: activations, shares
DIVERGING = "RdBu_r"  # signed values: blue negative, white zero, red positive
PIXELS = "Greys_r"  # image values as grey levels: black low, white high

# the same scales as colour stops, for drawing without plotly (GIF export); equal to plotly's, tested
PIXELS_STOPS = ("#000000", "#252525", "#525252", "#737373", "#969696", "#bdbdbd", "#d9d9d9", "#f0f0f0", "#ffffff")
DIVERGING_STOPS = (
    "#053061",
    "#2166ac",
    "#4393c3",
    "#92c5de",
    "#d1e5f0",
    "#f7f7f7",
    "#fddbc7",
    "#f4a582",
    "#d6604d",
    "#b2182b",
    "#67001f",
)
MAGNITUDE_STOPS = (
    "#440154",
    "#482878",
    "#3e4989",
    "#31688e",
    "#26828e",
    "#1f9e89",
    "#35b779",
    "#6ece58",
    "#b5de2b",
    "#fde725",
)

EVIDENCE = "Hot"  # explanation maps over a digit: black (no evidence) through red and yellow to white
EVIDENCE_STOPS = (  # plotly's Hot sampled at 11 even points
    "#000000",
    "#450000",
    "#8a0000",
    "#cf0000",
    "#eb2a00",
    "#f36900",
    "#faa800",
    "#ffd619",
    "#ffe466",
    "#fff2b3",
    "#ffffff",
)
STOPS = {PIXELS: PIXELS_STOPS, DIVERGING: DIVERGING_STOPS, MAGNITUDE: MAGNITUDE_STOPS, EVIDENCE: EVIDENCE_STOPS}


def ramp(stops: tuple[str, ...], levels: int) -> np.ndarray:
    """(levels, 3) uint8 colours spread evenly along the stops, as plotly interpolates a named scale."""
    anchors = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in stops], dtype=float)
    where = np.linspace(0, len(stops) - 1, levels)
    channels = [np.interp(where, np.arange(len(stops)), anchors[:, k]) for k in range(3)]
    return np.stack(channels, axis=1).round().astype(np.uint8)


# roles
HIGHLIGHT = VERMILLION  # the current window, the picked value, the winning class
PADDING = SKY_BLUE  # hatching and fence around padding cells: visible on black and on white
RIGHT = BLUE
WRONG = VERMILLION
RIGHT_MARK = "✓"
WRONG_MARK = "✗"
TRAIN = BLUE
TEST = ORANGE
NEUTRAL = "#888888"  # frames and outlines that mean nothing by colour


def verdict(text: str, correct: bool) -> str:
    """A caption that says right or wrong by symbol as well as by its colour."""
    return f"{RIGHT_MARK if correct else WRONG_MARK} {text}"
