"""What every figure shares: tiling many maps into one grid, a colour scale that fits the values, colour bars,
and the chart config that makes plotly's camera button save a useful PNG."""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

from cnnviz.figures.palette import DIVERGING

BAR_THICKNESS = 10


def tile(images: np.ndarray, cols: int, gap: int, fill: float) -> np.ndarray:
    """Lay (N, H, W, ...) images out in rows of cols, gap pixels apart, gaps set to fill (float, 32 bits at least)."""
    n, h, w = images.shape[:3]
    rows = math.ceil(n / cols)
    shape = (rows * (h + gap) - gap, cols * (w + gap) - gap, *images.shape[3:])
    grid = np.full(shape, fill, dtype=np.result_type(images.dtype, np.float32))
    for k in range(n):
        r, c = divmod(k, cols)
        grid[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = images[k]
    return grid


def mosaic(maps: np.ndarray, cols: int, gap: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Tile (N, h, w) maps into one array with NaN gaps, plus each cell's tile index (-1 in gaps)."""
    index = np.broadcast_to(np.arange(len(maps))[:, None, None], maps.shape)
    return tile(maps, cols, gap, fill=np.nan), tile(index, cols, gap, fill=-1).astype(int)


def colour_scale(values: np.ndarray, sequential: str, signed: bool | None = None) -> dict:
    """Diverging and centred on zero for signed values (by default: when any is negative), else sequential."""
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if signed or (signed is None and low < 0):
        bound = max(abs(low), abs(high)) or 1.0
        return {"colorscale": DIVERGING, "zmin": -bound, "zmax": bound}
    return {"colorscale": sequential, "zmin": low, "zmax": high if high > low else low + 1}


@cache
def _stops(name: str) -> tuple:
    return go.Heatmap(colorscale=name).colorscale


def plotly_scale(name: str) -> list[list]:
    """A named colour scale as explicit stops, exactly as plotly.py's validation writes it: plotly.js
    knows no '_r' names, and its Greys runs the other way from plotly.py's."""
    return [list(stop) for stop in _stops(name)]


def _lists(value: Any) -> Any:
    """Tuples as lists, all the way down: an unvalidated figure's tuples break plotly.py's getters (domain)."""
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(item) for item in value]
    return value


def figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain dicts, not validated by plotly.py (most of a rerun's work; st.plotly_chart
    does not validate a Figure again): so what is built here is sent as it is. Named scales are resolved
    here; nested dicts, never magic names (line_dash), elsewhere; the tests compare every builder's
    output with its validated form."""
    for trace in data:
        if isinstance(trace.get("colorscale"), str):
            trace["colorscale"] = plotly_scale(trace["colorscale"])
    return go.Figure(data, _lists(layout), _validate=False)


def colour_bar(**place) -> dict:
    """A thin colour bar; `place` (x, y, len, orientation...) puts it beside or under its own panel."""
    return dict(thickness=BAR_THICKNESS, outlinewidth=0, **place)


def bar_under(domain: tuple[float, float], y: float = 0.0) -> dict:
    """A horizontal colour bar under one panel of a row, as wide as the panel's slot."""
    return colour_bar(
        orientation="h", x=sum(domain) / 2, xanchor="center", len=domain[1] - domain[0], y=y, yanchor="bottom", nticks=4
    )


def bar_beside(domain: tuple[float, float]) -> dict:
    """A vertical colour bar on the right, as tall as one panel of a column."""
    return colour_bar(y=sum(domain) / 2, yanchor="middle", len=domain[1] - domain[0])


def plotly_config(name: str) -> dict:
    """For st.plotly_chart(fig, config=...): plotly's camera button saves cnnviz-<name>.png at twice the size shown.

    A figure cannot carry this: plotly keeps config apart from the layout (layout.modebar only adds or
    removes buttons), so pages pass it to st.plotly_chart."""
    filename = "cnnviz-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "figure")
    return {"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}


PLOTLY_CONFIG = plotly_config("figure")

# What cnnviz/frontend/figure draws, attribute by attribute; a figure using anything else goes to plotly.js.
DRAWN_TRACE_KEYS = {
    "heatmap": {
        "type", "z", "x", "y", "xaxis", "yaxis", "colorscale", "zmin", "zmax", "showscale", "colorbar", "xgap",
        "ygap", "texttemplate", "textfont", "text", "customdata", "hovertemplate", "hoverongaps", "hoverinfo",
    },
    "scatter": {
        "type", "mode", "x", "y", "xaxis", "yaxis", "marker", "line", "customdata", "hovertemplate", "hoverinfo",
        "showlegend", "name", "legendgroup", "opacity",
    },
    "image": {"type", "source", "hoverinfo", "xaxis", "yaxis"},
    "bar": {"type", "x", "y", "xaxis", "yaxis", "marker", "text", "textposition", "textfont", "hovertemplate"},
}  # fmt: skip
DRAWN_LAYOUT_KEYS = {
    "title", "height", "margin", "font", "plot_bgcolor", "paper_bgcolor", "shapes", "annotations", "clickmode",
    "showlegend", "legend", "uirevision",
}  # fmt: skip
DRAWN_AXIS_KEYS = {
    "domain", "anchor", "range", "autorange", "scaleanchor", "constrain", "dtick", "side", "visible",
    "showticklabels", "showgrid", "gridwidth", "zeroline", "title", "tickfont", "type", "rangemode",
}  # fmt: skip
DRAWN_AXIS_TYPES = {"linear", "log", "category"}
DRAWN_SHAPES = {"rect", "path", "line"}
DRAWN_LEGEND = {"orientation": "h"}  # a legend is drawn as one row under the plot, plotly's horizontal legend
PNG_URI = "data:image/png;base64,"  # an image trace's picture: the script reads its size from the PNG header
_AXIS = re.compile(r"^[xy]axis\d*$")


def _drawn_trace(trace: dict, legend: bool) -> bool:
    """Whether the script draws this trace as plotly would: known attributes, one marker colour and
    symbol, a legend entry only under a legend it draws, a PNG picture, bar texts outside."""
    kind = trace.get("type", "scatter")
    known = DRAWN_TRACE_KEYS.get(kind)
    if known is None or not set(trace) <= known:
        return False
    if kind == "scatter":
        marker = trace.get("marker", {})
        uniform = not any(isinstance(marker.get(key), (list, tuple, np.ndarray)) for key in ("color", "symbol", "size"))
        return uniform and (legend or not trace.get("showlegend", True))
    if kind == "image":
        return str(trace.get("source", "")).startswith(PNG_URI)
    return kind != "bar" or (trace.get("textposition", "outside") == "outside" and "hovertemplate" in trace)


def _drawn_legend(legend: dict) -> bool:
    """Plotly's horizontal legend under the plot (y below 0, its default there) is the one the script draws."""
    placed = legend.get("y", -0.1)
    return {k: v for k, v in legend.items() if k != "y"} == DRAWN_LEGEND and placed < 0


def drawn_json(fig: go.Figure) -> str | None:
    """The figure's JSON for our own SVG figure, or None where it would not draw it as plotly does (an
    attribute the script does not read): then plotly.js draws it. Not loading plotly.js at all is what
    makes a first visit fast (its module start alone is 0.6-1 s on 2 cores). No theme is sent."""
    spec = fig.to_plotly_json()
    layout = spec["layout"]
    legend = layout.get("showlegend", True) and "legend" in layout
    if legend and not _drawn_legend(layout["legend"]):
        return None
    if not all(_drawn_trace(trace, legend) for trace in spec["data"]):
        return None
    layout.pop("template", None)
    if len(spec["data"]) > 1 and layout.get("showlegend", True) and any(t["type"] == "bar" for t in spec["data"]):
        return None  # plotly would draw a legend for the bars
    axes = [value for key, value in layout.items() if _AXIS.match(key)]
    if not {key for key in layout if not _AXIS.match(key)} <= DRAWN_LAYOUT_KEYS:
        return None
    if any(not set(axis) <= DRAWN_AXIS_KEYS or axis.get("type", "linear") not in DRAWN_AXIS_TYPES for axis in axes):
        return None
    if any(shape.get("type") not in DRAWN_SHAPES for shape in layout.get("shapes", ())):
        return None
    if any(note.get("showarrow") is not False for note in layout.get("annotations", ())):
        return None
    return to_json_plotly(spec)


PROJECTOR_FONT = 16  # px: the smallest figure text a projected room reads
PROJECTOR_LINE = 2  # px: cell gaps, grid lines and outlines at least this wide


def for_projector(fig, font: int = PROJECTOR_FONT, line: int = PROJECTOR_LINE):
    """The same figure for a projector: every text at least `font` px, cell gaps, grids and outlines thicker.

    One place applies it (cnnviz.ui.chart), so every figure the pages draw grows alike; returns `fig`."""
    fig.update_layout(font_size=max(fig.layout.font.size or 12, font))
    fig.update_layout(title_font_size=max(fig.layout.title.font.size or 0, font))
    for annotation in fig.layout.annotations:
        if annotation.font.size is not None and annotation.font.size < font:
            annotation.font.size = font
    for trace in fig.data:
        if getattr(trace, "textfont", None) is not None and trace.textfont.size is not None:
            trace.textfont.size = max(trace.textfont.size, font)
        if trace.type == "heatmap" and (trace.xgap or trace.ygap):
            trace.update(xgap=max(trace.xgap or 0, line), ygap=max(trace.ygap or 0, line))
    for shape in fig.layout.shapes:
        if shape.line.width is not None and 0 < shape.line.width < line + 1:
            shape.line.width += 1
    fig.update_xaxes(gridwidth=line, title_font_size=font, tickfont_size=font)
    fig.update_yaxes(gridwidth=line, title_font_size=font, tickfont_size=font)
    return fig
