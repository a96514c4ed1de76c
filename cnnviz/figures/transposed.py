"""Figures for the transposed-convolution page: the input cell that paints, its kernel copy, the output
canvas adding up (padding's crop greyed out), and view 2's zero-inserted, bordered input under the
flipped kernel. Built on the playground's heatmap helpers; every heatmap carries a colour bar.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.conv import Window
from cnnviz.figures.conv import PADDING_COLOUR, WINDOW_COLOUR, _axes, _box, _figure, _heatmap
from cnnviz.figures.conv import _window_shapes as window_shapes
from cnnviz.figures.heatmaps import colour_scale
from cnnviz.transposed import BORDER, INSERTED, OUTPUT_PADDING, ROLE_NAMES, Scatter, TransposedConvolution

ROLE_COLOURS = {INSERTED: "#1f77b4", BORDER: "#7f7f7f", OUTPUT_PADDING: "#ff7f0e"}
BAR_WIDTH = 50  # px of right margin for the colour bar
HEIGHT = 330
TEXT_CELLS = 10  # values written in the cells of grids at most this wide; wider grids number every 5th row


def _scale(values: np.ndarray, signed: bool | None = None) -> dict:
    """White for zero, darker for more (so tinted zeros stand out); red-blue around zero for signed values."""
    return colour_scale(values, "Greys", signed)


def _with_bar(trace: dict) -> dict:
    """Show the trace's colour scale beside the figure."""
    trace.update(showscale=True, colorbar=dict(thickness=10, len=0.85, xpad=4, outlinewidth=0))
    return trace


def _grid(
    values: np.ndarray,
    title: str,
    hover: str,
    *,
    scale: dict | None = None,
    origin: tuple[int, int] = (0, 0),
    shapes: list[dict] | None = None,
    height: int = HEIGHT,
    **trace_kwargs,
) -> go.Figure:
    """One heatmap with a colour bar, rows downwards, cells numbered from `origin` (row, col)."""
    y = np.arange(values.shape[0]) + origin[0]
    x = np.arange(values.shape[1]) + origin[1]
    scale = scale or _scale(values)
    small = values.shape[1] <= TEXT_CELLS
    trace = _with_bar(_heatmap(values, x, y, hover, small, scale, **trace_kwargs))
    axes = _axes(ranges=(x, y))
    if not small:
        axes["xaxis"]["dtick"] = axes["yaxis"]["dtick"] = 5
    return _figure([trace], shapes or [], title, height, right=BAR_WIDTH, **axes)


def map_figure(values: np.ndarray, title: str, cell: tuple[int, int] | None = None, height: int = HEIGHT) -> go.Figure:
    """A plain map (input, kernel, a layer's output), one cell optionally outlined in red."""
    shapes = [] if cell is None else [_box(cell[1], cell[1], cell[0], cell[0], WINDOW_COLOUR)]
    return _grid(values, title, "[%{y}, %{x}] = %{z}", shapes=shapes, height=height)


def copy_figure(step: Scatter, channel: int = 0, height: int = HEIGHT) -> go.Figure:
    """The copy one input cell paints: its value times every kernel weight."""
    painted = step.painted[channel]
    values = " + ".join(f"{v:.4g}" for v in step.values)
    title = f"copy = {values} × kernel" if len(step.values) == 1 else "copy = Σ value × kernel slice"
    return _grid(painted, title, "tap [%{y}, %{x}]: %{z}", scale=_scale(painted, signed=True), height=height)


def _ring(outer: tuple[float, float, float, float], inner: tuple[float, float, float, float]) -> str:
    """SVG path of a rectangle minus an inner one (opposite windings), corners as (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = outer
    a0, b0, a1, b1 = inner
    return f"M{x0},{y0}H{x1}V{y1}H{x0}Z M{a0},{b0}V{b1}H{a1}V{b0}Z"


def canvas_figure(
    result: TransposedConvolution,
    canvas: np.ndarray,
    step: Scatter | None = None,
    channel: int = 0,
    height: int = HEIGHT + 60,
) -> go.Figure:
    """The canvas the copies add up on, in output coordinates: padding's crop greyed, the new copy outlined."""
    p = result.padding
    values = canvas[channel]
    out_h, out_w = result.output.shape[1:]
    scale = _scale(result.canvas[channel])  # fixed by the final sums, so colours do not shift while stepping
    shapes = [_box(0, out_w - 1, 0, out_h - 1, "#1f77b4", 2, dash="dash")]
    if values.shape != (out_h, out_w):
        outer = (-p - 0.5, -p - 0.5, values.shape[1] - p - 0.5, values.shape[0] - p - 0.5)
        path = _ring(outer, (-0.5, -0.5, out_w - 0.5, out_h - 0.5))
        shapes.append(
            dict(type="path", path=path, fillcolor=PADDING_COLOUR, opacity=0.55, line=dict(width=0), layer="above")
        )
    if step is not None:
        cells = " ".join(f"M{c - 0.5},{r - 0.5}H{c + 0.5}V{r + 0.5}H{c - 0.5}Z" for r in step.rows for c in step.cols)
        shapes.append(dict(type="path", path=cells, line=dict(color=WINDOW_COLOUR, width=3)))
    cropped = " (grey: cropped)" if values.shape != (out_h, out_w) else ""
    return _grid(
        values,
        f"Output {out_h}×{out_w}, copies added up{cropped}",
        "out [%{y}, %{x}] = %{z}",
        scale=scale,
        origin=(-p, -p),
        shapes=shapes,
        height=height,
    )


def _role_shapes(roles: np.ndarray) -> list[dict]:
    """A tinted square over every cell that is not an input value, one path per kind of zero."""
    shapes = []
    for role, colour in ROLE_COLOURS.items():
        rows, cols = np.nonzero(roles == role)
        if rows.size:
            path = " ".join(f"M{c - 0.5},{r - 0.5}H{c + 0.5}V{r + 0.5}H{c - 0.5}Z" for r, c in zip(rows, cols))
            shapes.append(
                dict(type="path", path=path, fillcolor=colour, opacity=0.3, line=dict(width=0), layer="above")
            )
    return shapes


def view2_input_figure(
    result: TransposedConvolution, roles: np.ndarray, win: Window | None, channel: int = 0, height: int = HEIGHT + 60
) -> go.Figure:
    """View 2's input: input values, inserted zeros, the border and output_padding tinted; the window's taps."""
    values = result.as_convolution.padded[channel]
    names = np.array(ROLE_NAMES, dtype=object)[roles]
    shapes = _role_shapes(roles) + (window_shapes(win, 0) if win is not None else [])
    h, w = values.shape
    return _grid(
        values,
        f"Zeros inserted, bordered: {h}×{w}",
        "[%{y}, %{x}] = %{z}: %{customdata}",
        scale=_scale(result.input[channel]),
        shapes=shapes,
        height=height,
        customdata=names,
    )


def output_figure(output: np.ndarray, position: int | None, height: int = HEIGHT + 60) -> go.Figure:
    """The output filling in: cells the window has not reached yet stay blank, the current one outlined."""
    out_h, out_w = output.shape
    order = np.arange(out_h * out_w).reshape(out_h, out_w)
    values = output if position is None else np.where(order <= position, output, np.nan)
    shapes = []
    if position is not None:
        r, c = divmod(position, out_w)
        shapes.append(_box(c, c, r, r, WINDOW_COLOUR))
    return _grid(
        values, f"Output {out_h}×{out_w}", "out [%{y}, %{x}] = %{z}", scale=_scale(output), shapes=shapes, height=height
    )
