"""A layer's feature maps as small pictures in one HTML block, with a colour bar: light enough to redraw per click.

Plotly draws every heatmap with axes, a colour bar and a hover layer; the Every layer view redrew about
ten of them per shift of the image, which took the browser over 300 ms on the project's 2-core machine.
Here each layer is one PNG sheet with a cell per channel, as small as the maps themselves (the browser
enlarges it pixel by pixel), coloured
exactly like the plotly heatmaps, and the colour bar is a CSS gradient with its values. Hovering a tile
names its channel and range; the values cell by cell are in the close-up view (plotly, with hover).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io

import numpy as np
from PIL import Image

from cnnviz import activations
from cnnviz.figures import palette
from cnnviz.figures.heatmaps import colour_scale, tile
from cnnviz.figures.network import grid_columns

LEVELS = 256  # colour steps between the two ends of a scale
TITLE_PX = 24  # the title line above the tiles (px)
GAP_PX = 2  # between tiles (px)
BAR_PX = 10  # colour bar width (px), as thin as the plotly figures' bars
TILE_CSS = f"""
.cnnviz-tiles {{ font-family: "Source Sans", sans-serif; color: #31333f; }}
.cnnviz-tiles-title {{ font-size: 14px; height: {TITLE_PX}px; line-height: {TITLE_PX}px; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }}
.cnnviz-tiles-body {{ display: flex; gap: 8px; align-items: stretch; }}
.cnnviz-tiles-grid {{ display: grid; gap: {GAP_PX}px; flex: 0 1 auto; min-width: 0; align-content: start; }}
.cnnviz-tiles-grid img {{ width: 100%; height: auto; display: block; image-rendering: pixelated; }}
.cnnviz-tiles-grid i {{ display: block; width: 100%; background-repeat: no-repeat; image-rendering: pixelated; }}
.cnnviz-rows {{ display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 4px 8px; align-items: center;
  flex: 1 1 auto; min-width: 0; font-size: 12px; }}
.cnnviz-row {{ display: grid; height: 22px; }}
.cnnviz-colourbar {{ display: grid; grid-template-columns: {BAR_PX}px minmax(2.8em, min-content);
  grid-template-rows: minmax(0, 1fr) auto; column-gap: 4px; flex: none; font-size: 12px; }}
.cnnviz-colourbar-ramp {{ grid-area: 1 / 1; }}
.cnnviz-colourbar-ticks {{ grid-area: 1 / 2; position: relative; }}
.cnnviz-colourbar-ticks span {{ position: absolute; left: 0; transform: translateY(50%); white-space: nowrap; }}
.cnnviz-colourbar-unit {{ grid-area: 2 / 1 / 3 / 3; font-size: 10px; line-height: 1.15; padding-top: 6px; }}
"""


def colourise(values: np.ndarray, scale: dict) -> np.ndarray:
    """Values -> RGB (..., 3) uint8 under a colour_scale() dict (its scale and its zmin..zmax)."""
    colours = palette.ramp(palette.STOPS[scale["colorscale"]], LEVELS)
    low, high = scale["zmin"], scale["zmax"]
    level = (np.nan_to_num(values, nan=low) - low) / (high - low) * (len(colours) - 1)
    return colours[np.clip(np.round(level), 0, len(colours) - 1).astype(int)]


def png_data_uri(rgb: np.ndarray) -> str:
    """An (H, W, 3) uint8 picture as a data: URI (fast zlib level: tiles are tiny)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def format_value(value: float) -> str:
    """A colour-bar or hover number: three significant digits, a true minus sign."""
    return f"{value:.3g}".replace("-", "−")


def tick_values(scale: dict) -> list[float]:
    """The ends of the bar and its middle (zero on a diverging bar)."""
    low, high = scale["zmin"], scale["zmax"]
    return [low, (low + high) / 2, high]


def colour_bar_html(scale: dict, unit: str | None = None) -> str:
    """A vertical gradient from zmin (bottom) to zmax (top) with its values (and unit) beside it, as tall as its row."""
    stops = ", ".join(palette.STOPS[scale["colorscale"]])
    low, high = scale["zmin"], scale["zmax"]
    ticks = "".join(
        f'<span style="bottom: {100 * (v - low) / (high - low):.1f}%">{format_value(v)}</span>'
        for v in tick_values(scale)
    )
    return (
        f'<div class="cnnviz-colourbar" role="img" '
        f'aria-label="colour bar from {format_value(low)} to {format_value(high)}">'
        f'<div class="cnnviz-colourbar-ramp" style="background: linear-gradient(to top, {stops})"></div>'
        f'<div class="cnnviz-colourbar-ticks">{ticks}</div>'
        + (f'<div class="cnnviz-colourbar-unit">{html.escape(unit)}</div>' if unit else "")
        + "</div>"
    )


def figure_block(title: str, body: str, scale: dict | None, unit: str | None = None) -> str:
    """A titled block: the picture, then its colour bar on the right (when it maps values to colours)."""
    bar = colour_bar_html(scale, unit) if scale is not None else ""
    return (
        f"<style>{TILE_CSS}</style>"
        f'<div class="cnnviz-tiles" role="figure" aria-label="{html.escape(title)}">'
        f'<div class="cnnviz-tiles-title">{html.escape(title)}</div>'
        f'<div class="cnnviz-tiles-body">{body}{bar}</div></div>'
    )


def layer_tiles(maps: np.ndarray, title: str, cols: int, height: int = 220, names: list[str] | None = None) -> str:
    """Every channel of a layer (C, H, W) as a pixel-sharp tile, rows of ``cols``, in about ``height`` px.

    Colours follow the plotly grids (colour_scale: diverging around zero when a value is negative,
    viridis otherwise); hovering a tile gives its name (``channel k`` unless ``names`` are given) and
    its smallest and largest value. All tiles come from one PNG sheet, each showing its part of it:
    one encoding per layer, not one per channel (a shift redraws some 300 tiles).
    """
    n, h, w = maps.shape
    rows = -(-n // cols)
    scale = colour_scale(maps, palette.MAGNITUDE)
    grid_px = max(height - TITLE_PX, 40)
    tile_w = max((grid_px - GAP_PX * (rows - 1)) / rows * w / h, 4)
    sheet = png_data_uri(tile(colourise(maps, scale), cols, gap=0, fill=255).astype(np.uint8))
    sheet_class = "cnnviz-sheet-" + hashlib.sha1(sheet.encode("ascii")).hexdigest()[:12]
    names = names or [f"channel {k}" for k in range(n)]
    tiles = "".join(
        f'<i role="img" aria-label="{html.escape(names[k])}" title="{html.escape(names[k])}: '
        f'{format_value(np.nanmin(maps[k]))} to {format_value(np.nanmax(maps[k]))}" '
        f'style="background-position: {_percent(k % cols, cols)} {_percent(k // cols, rows)}"></i>'
        for k in range(n)
    )
    grid_w = cols * tile_w + GAP_PX * (cols - 1)
    sheet_rule = (
        f".{sheet_class} i {{ background-image: url({sheet}); background-size: {cols * 100}% {rows * 100}%; "
        f"aspect-ratio: {w} / {h}; }}"
    )
    grid = (
        f"<style>{sheet_rule}</style>"
        f'<div class="cnnviz-tiles-grid {sheet_class}" style="grid-template-columns: repeat({cols}, minmax(0, 1fr)); '
        f'width: {grid_w:.0f}px">{tiles}</div>'
    )
    return figure_block(title, grid, scale)


def _percent(index: int, count: int) -> str:
    """The CSS background position of tile ``index`` of ``count`` along one side of its sheet."""
    return f"{100 * index / (count - 1):.4f}%" if count > 1 else "0%"


def vector_rows(layers: dict[str, np.ndarray], title: str) -> str:
    """Flat layers (fully connected, their ReLUs) as one row of cells each on one colour scale; hover: unit, value.

    Cells line up across rows (unit k sits in column k), as in a heatmap with one row per layer."""
    width = max(len(v) for v in layers.values())
    scale = colour_scale(np.concatenate(list(layers.values())), palette.MAGNITUDE)
    rows = []
    for name, values in layers.items():
        colours = colourise(values, scale)
        label = html.escape(name)
        cells = "".join(
            f'<i style="background: #{r:02x}{g:02x}{b:02x}" title="{label} unit {k}: {format_value(v)}"></i>'
            for k, ((r, g, b), v) in enumerate(zip(colours.tolist(), values.tolist()))
        )
        rows.append(
            f"<span>{html.escape(name)} ({len(values)})</span>"
            f'<div class="cnnviz-row" style="grid-template-columns: repeat({width}, minmax(0, 1fr))">{cells}</div>'
        )
    return figure_block(title, f'<div class="cnnviz-rows">{"".join(rows)}</div>', scale)


INPUT, FLAT = "input", "fully connected"  # network_pictures' keys besides the layer names


def network_pictures(acts: activations.Activations, height: int) -> dict[str, str]:
    """Every picture of the Every layer view for one forward pass: the model's input, each spatial
    layer's tiles by layer name, and the fully connected rows."""
    size = acts.input.shape[-1]
    drawn = {
        INPUT: layer_tiles(
            acts.input.mean(0)[None], f"What the model sees ({size}×{size})", 1, 180, ["the model's input"]
        )
    }
    for name in activations.spatial_layers(acts):
        maps = acts.layers[name]
        title = f"{name}: {maps.shape[0]} maps of {maps.shape[1]}×{maps.shape[2]}"
        drawn[name] = layer_tiles(maps, title, grid_columns(len(maps)), height=height)
    flat = {name: v for name, v in acts.layers.items() if v.ndim == 1 and name != "flatten"}
    drawn[FLAT] = vector_rows(flat, "Fully connected layers (one row each, unit by unit)")
    return drawn
