"""Every colour the figures use, in one place, chosen to stay distinct under red-green colour blindness.

Categories use the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008): its eight colours
remain distinguishable with deuteranopia and protanopia. Magnitudes use viridis (uniform in lightness,
so order survives in grey too); signed values a red-blue scale centred on white at zero (no green);
pixel values grey levels. Right and wrong also carry a symbol, so no meaning rests on colour alone.
"""

from __future__ import annotations

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
