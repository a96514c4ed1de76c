"""Figures for the convolution playground: the padded input with the sliding window, the kernel,
the output filling in, side-by-side overviews for large images and the 3-D multi-filter picture.

Cells are indexed like the unpadded input (padding cells have negative or too-large indices), so
hovering a cell names the pixel a student would point at. Padding is drawn on the same colour scale as
the pixels (a padded zero looks like any other zero), hatched and fenced, in the whole and the zoomed view.
Every heatmap carries a colour bar: beside a single map, under each panel of a row.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.conv import Convolution, Window, channel_contributions, format_number
from cnnviz.figures import palette
from cnnviz.figures.heatmaps import bar_beside, bar_under, colour_bar, colour_scale, figure

WINDOW_COLOUR = palette.HIGHLIGHT
PADDING_COLOUR = palette.PADDING
BAR_MARGIN = 80  # px right of the plot for a vertical colour bar and its tick labels (up to "−1000")
BAR_ROOM = 0.16  # share of the height under a row of panels for their horizontal colour bars
TEXT_LIMIT = 15  # show values as text on grids at most this many cells wide
CHANNEL_NAMES = ("red", "green", "blue")
TINTS = {"red": "#ff3030", "green": "#30d030", "blue": "#3070ff"}  # the channels' own colours, always labelled


def _scale(values: np.ndarray, signed: bool | None = None) -> dict:
    """Greys for images, a zero-centred red-blue for anything with negative values."""
    return colour_scale(values, palette.PIXELS, signed)


def _heatmap(
    values: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    hover: str,
    show_text: bool,
    scale: dict,
    bar: dict | None = None,
    **kwargs,
) -> dict:
    """One grid of cells; `bar` places its colour bar (None: it shares another trace's)."""
    # rounding shows float noise such as 1/3 + 1/3 + 1/3 - 1 as 0, not 1e-16
    trace = dict(
        type="heatmap",
        z=np.round(values, 9),
        x=x,
        y=y,
        showscale=bar is not None,
        xgap=1,
        ygap=1,
        hoverongaps=False,
        hovertemplate=hover + "<extra></extra>",
        **scale,
        **kwargs,
    )
    if bar is not None:
        trace["colorbar"] = bar
    if show_text:
        trace["texttemplate"] = "%{z:.4~g}"  # drawn by the browser; blank (NaN) cells stay empty
    return trace


def _axes(
    axis: str = "",
    domain: tuple[float, float] = (0.0, 1.0),
    ticks: bool = True,
    ranges: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """One square grid panel: x along the top like a matrix, rows growing downwards (fixed to `ranges`)."""
    common = dict(showgrid=False, zeroline=False, constrain="domain", dtick=1, showticklabels=ticks)
    x = dict(common, side="top", domain=domain, anchor=f"y{axis}")
    y = dict(common, autorange="reversed", scaleanchor=f"x{axis}", anchor=f"x{axis}")
    if ranges is not None:
        x["range"] = [ranges[0][0] - 0.5, ranges[0][-1] + 0.5]
        y.update(autorange=False, range=[ranges[1][-1] + 0.5, ranges[1][0] - 0.5])
    return {f"xaxis{axis}": x, f"yaxis{axis}": y}


def _figure(
    traces: list[dict], shapes: list[dict], title: str, height: int, top: int = 60, right: int = 10, **layout
) -> go.Figure:
    """Build the figure in one pass (plotly validates once, not once per added shape).

    Margins are fixed (autoexpand off): plotly.js otherwise measures the tick labels after
    drawing and draws the whole figure again, about a third of the browser's time per step.
    """
    layout = dict(
        title=dict(text=title, font=dict(size=14)),
        height=height,
        margin=dict(l=40, r=right, t=top, b=10, autoexpand=False),
        plot_bgcolor="white",
        **layout,
    )
    return figure(traces, layout | ({"shapes": shapes} if shapes else {}))


def _box(
    x0: float, x1: float, y0: float, y1: float, colour: str, width: int = 3, axis: str = "", dash: str = "", **kwargs
) -> dict:
    """A rectangle round cells x0..x1, y0..y1; ``dash`` ('dash', 'dot') for a broken outline."""
    line = dict(color=colour, width=width) | ({"dash": dash} if dash else {})
    return dict(
        type="rect",
        x0=x0 - 0.5,
        x1=x1 + 0.5,
        y0=y0 - 0.5,
        y1=y1 + 0.5,
        xref=f"x{axis}",
        yref=f"y{axis}",
        line=line,
        **kwargs,
    )


def _hatch(padding: np.ndarray, x: np.ndarray, y: np.ndarray, axis: str = "") -> list[dict]:
    """Diagonal hatching over the padding cells: one SVG path, each run of cells along a diagonal one stroke."""
    rows, cols = padding.shape
    strokes = []
    for k in range(rows + cols - 1):  # cells (i, k - i) share an anti-diagonal
        i = np.arange(max(0, k - cols + 1), min(rows, k + 1))
        on = np.concatenate([[False], padding[i, k - i], [False]])
        starts, ends = np.flatnonzero(on[1:] & ~on[:-1]), np.flatnonzero(~on[1:] & on[:-1]) - 1
        for a, b in zip(i[starts], i[ends]):  # rows a <= b: bottom-left of cell b to top-right of cell a
            strokes.append(f"M{x[k - b] - 0.5},{y[b] + 0.5}L{x[k - a] + 0.5},{y[a] - 0.5}")
    if not strokes:
        return []
    line = dict(color=PADDING_COLOUR, width=1)
    return [dict(type="path", path=" ".join(strokes), xref=f"x{axis}", yref=f"y{axis}", line=line)]


def _padding_marks(
    inside: np.ndarray, x: np.ndarray, y: np.ndarray, size: tuple[int, int], axis: str = "", width: int = 2
) -> list[dict]:
    """What sets padding apart without recolouring it: hatching over its cells and a dashed fence round the image."""
    fence = _box(0, size[1] - 1, 0, size[0] - 1, PADDING_COLOUR, width, axis, dash="dash")
    return [*_hatch(~inside, x, y, axis), fence]


def _input_panel(
    conv: Convolution,
    win: Window | None,
    channel: int,
    crop: tuple[slice, slice] | None,
    axis: str = "",
    tint: str | None = None,
    bar: dict | None = None,
) -> tuple[list[dict], list[dict], np.ndarray, np.ndarray]:
    """Traces and shapes of one padded input channel: pixels, padding on the same scale, its marks, the taps."""
    p = conv.padding
    rows, cols = crop or (slice(0, conv.padded.shape[1]), slice(0, conv.padded.shape[2]))
    values = conv.padded[channel, rows, cols]
    y = np.arange(conv.padded.shape[1])[rows] - p
    x = np.arange(conv.padded.shape[2])[cols] - p
    height_in, width_in = conv.padded.shape[1] - 2 * p, conv.padded.shape[2] - 2 * p
    inside = ((y >= 0) & (y < height_in))[:, None] & ((x >= 0) & (x < width_in))[None, :]
    show_text = values.shape[1] <= TEXT_LIMIT
    scale = _scale(conv.padded[channel, p : p + height_in, p : p + width_in])
    if tint:
        scale["colorscale"] = [[0, "black"], [1, tint]]
    where = dict(xaxis=f"x{axis}", yaxis=f"y{axis}")
    pixels = np.where(inside, values, np.nan)
    traces = [_heatmap(pixels, x, y, "row %{y}, col %{x}: %{z}", show_text, scale, bar, **where)]
    shapes = []
    if p:
        hover = f"padding ({conv.padding_mode}) at row %{{y}}, col %{{x}}: %{{z}}"
        traces.append(_heatmap(np.where(inside, np.nan, values), x, y, hover, show_text, scale, **where))
        shapes += _padding_marks(inside, x, y, (height_in, width_in), axis)
    if win is not None:
        shapes += _window_shapes(win, p, axis)
    return traces, shapes, x, y


def input_figure(
    conv: Convolution,
    win: Window | None,
    channel: int = 0,
    crop: tuple[slice, slice] | None = None,
    title: str | None = None,
    height: int = 420,
) -> go.Figure:
    """The padded input: pixels in grey levels, padding hatched and fenced, window taps outlined."""
    title = title or ("Input (padding hatched)" if conv.padding else "Input")
    traces, shapes, x, y = _input_panel(conv, win, channel, crop, bar=colour_bar())
    return _figure(traces, shapes, title, height, right=BAR_MARGIN, **_axes(ranges=(x, y)))


def channel_step_figure(
    conv: Convolution, win: Window, crop: tuple[slice, slice] | None = None, height: int = 560
) -> go.Figure:
    """One window position on every input channel (top, each with its colour bar) above the kernel slices it meets."""
    channels = conv.padded.shape[0]
    names = CHANNEL_NAMES if channels == 3 else tuple(f"channel {c}" for c in range(channels))
    kernel_scale = _scale(win.kernel, signed=True)  # one scale for all slices: weights compare across channels
    traces, shapes, layout = [], [], {}
    for c, domain in enumerate(_panel_domains([1.0] * channels, gap=0.06)):
        axis, kaxis = ("" if c == 0 else str(c + 1)), str(channels + c + 1)
        bar = bar_under(domain, y=0.42)
        panel, panel_shapes, x, y = _input_panel(conv, win, c, crop, axis, TINTS.get(names[c]), bar)
        traces += panel
        shapes += panel_shapes
        layout.update(_axes(axis, domain, ranges=(x, y)))
        layout[f"yaxis{axis}"].update(domain=(0.52, 1.0), showticklabels=c == 0)
        layout[f"xaxis{axis}"]["title"] = dict(text=f"{names[c]}: sum {format_number(win.channel_sums[c])}", standoff=2)
        kh, kw = win.kernel[c].shape
        traces.append(
            _heatmap(
                win.kernel[c],
                np.arange(kw),
                np.arange(kh),
                "weight [%{y}, %{x}] = %{z}",
                True,
                kernel_scale,
                bar_beside((0.0, 0.32)) if c == channels - 1 else None,
                xaxis=f"x{kaxis}",
                yaxis=f"y{kaxis}",
            )
        )
        layout.update(_axes(kaxis, domain, ticks=False))
        layout[f"yaxis{kaxis}"]["domain"] = (0.0, 0.32)
        layout[f"xaxis{kaxis}"]["title"] = dict(text=f"filter {win.filter}, slice for {names[c]}", standoff=2)
    return _figure(traces, shapes, "", height, top=40, right=BAR_MARGIN, **layout)


def _window_shapes(win: Window, padding: int, axis: str = "") -> list[dict]:
    """The window's span lightly shaded, and every tap the (dilated) kernel touches outlined."""
    rows, cols = win.rows - padding, win.cols - padding
    span = _box(
        cols[0],
        cols[-1],
        rows[0],
        rows[-1],
        WINDOW_COLOUR,
        0,
        axis,
        fillcolor=WINDOW_COLOUR,
        opacity=0.12,
        layer="above",
    )
    cells = " ".join(f"M{c - 0.5},{r - 0.5}H{c + 0.5}V{r + 0.5}H{c - 0.5}Z" for r in rows for c in cols)
    taps = dict(type="path", path=cells, xref=f"x{axis}", yref=f"y{axis}", line=dict(color=WINDOW_COLOUR, width=3))
    return [span, taps]  # one path for all taps: plotly validates each shape, so fewer is faster


def window_crop(conv: Convolution, win: Window, margin: int = 2) -> tuple[slice, slice]:
    """The padded-input neighbourhood around the window, for the zoomed step-by-step view."""
    h, w = conv.padded.shape[1:]
    return (
        slice(max(0, win.rows[0] - margin), min(h, win.rows[-1] + margin + 1)),
        slice(max(0, win.cols[0] - margin), min(w, win.cols[-1] + margin + 1)),
    )


def kernel_products_figure(win: Window, channel: int = 0, height: int = 480) -> go.Figure:
    """The kernel (top) and input value × weight for every tap (bottom): the numbers that add up."""
    kernel, products = win.kernel[channel], win.products[channel]
    kh, kw = kernel.shape
    x, y = np.arange(kw), np.arange(kh)
    custom = np.stack([win.patch[channel], kernel], axis=-1)
    top, bottom = (0.58, 1.0), (0.0, 0.42)
    traces = [
        _heatmap(kernel, x, y, "weight [%{y}, %{x}] = %{z}", True, _scale(kernel, signed=True), bar_beside(top)),
        _heatmap(
            products,
            x,
            y,
            "%{customdata[0]} × %{customdata[1]} = %{z}",
            True,
            _scale(products, signed=True),
            bar_beside(bottom),
            customdata=custom,
            xaxis="x2",
            yaxis="y2",
        ),
    ]
    layout = {**_axes(), **_axes("2")}
    layout["yaxis"]["domain"] = top
    layout["yaxis2"]["domain"] = bottom
    layout["xaxis"]["title"] = dict(text="kernel", standoff=2)
    layout["xaxis2"]["title"] = dict(text=f"products, sum {format_number(win.channel_sums[channel])}", standoff=2)
    return _figure(traces, [], "", height, top=50, right=BAR_MARGIN, **layout)


def output_figure(
    output: np.ndarray,
    position: int | None,
    crop: tuple[slice, slice] | None = None,
    title: str = "Output",
    height: int = 420,
    reveal: bool = True,
    clickable: bool = False,
    hide_current: bool = False,
) -> go.Figure:
    """The output map; with reveal, cells after the current step stay blank until the window gets there.

    ``hide_current`` blanks the current cell too, while a student predicts it.

    ``clickable`` lays an invisible marker on every cell shown, carrying its window position: a click
    selects it (st.plotly_chart reports point selections, never heatmap cells), so a page can move there."""
    out_h, out_w = output.shape
    order = np.arange(out_h * out_w).reshape(out_h, out_w)
    shown_upto = order < position if hide_current else order <= position
    values = np.where(shown_upto, output, np.nan) if reveal and position is not None else output
    rows, cols = crop or (slice(0, out_h), slice(0, out_w))
    shown = values[rows, cols]
    y, x = np.arange(out_h)[rows], np.arange(out_w)[cols]
    hover = "output [%{y}, %{x}] = %{z}"
    trace = _heatmap(shown, x, y, hover, shown.shape[1] <= TEXT_LIMIT, _scale(output), colour_bar())
    shapes = [_box(x[0], x[-1], y[0], y[-1], palette.NEUTRAL, 1)]
    if position is not None:
        r, c = divmod(position, out_w)
        shapes.append(_box(c, c, r, r, WINDOW_COLOUR))
    traces = [trace] + ([_cell_handles(x, y, out_w)] if clickable else [])
    layout = _axes(ranges=(x, y)) | ({"clickmode": "event+select"} if clickable else {})
    return _figure(traces, shapes, title, height, right=BAR_MARGIN, **layout)


def _cell_handles(x: np.ndarray, y: np.ndarray, out_w: int) -> dict:
    """One transparent, cell-sized marker per output cell; its customdata is the window position there."""
    cx, cy = np.meshgrid(x, y)
    return dict(
        type="scatter",
        mode="markers",
        x=cx.ravel(),
        y=cy.ravel(),
        customdata=(cy * out_w + cx).ravel(),
        marker=dict(symbol="square", size=18, color="rgba(0,0,0,0)"),
        hovertemplate="click: move the window here<extra></extra>",
        showlegend=False,
    )


def output_crop(output_shape: tuple[int, int], position: int, margin: int = 3) -> tuple[slice, slice]:
    """The output neighbourhood around the cell being filled."""
    r, c = divmod(position, output_shape[1])
    return (
        slice(max(0, r - margin), min(output_shape[0], r + margin + 1)),
        slice(max(0, c - margin), min(output_shape[1], c + margin + 1)),
    )


def _panel_domains(widths: list[float], gap: float = 0.04) -> list[tuple[float, float]]:
    total = sum(widths) + gap * (len(widths) - 1)
    domains, start = [], 0.0
    for width in widths:
        domains.append((start / total, (start + width) / total))
        start += width + gap
    return domains


def _side_by_side(
    panels: list[tuple[np.ndarray, np.ndarray, np.ndarray, str, dict, str]],
    widths: list[float],
    text_limit: int,
    shared_scale: bool,
) -> tuple[list[dict], dict]:
    """Heatmap panels in one row (plain axes, no make_subplots), each titled underneath.

    A shared scale gets one colour bar on the right; otherwise each panel gets its own bar under its title."""
    traces, layout = [], {}
    for k, ((values, x, y, hover, scale, title), domain) in enumerate(zip(panels, _panel_domains(widths))):
        axis = "" if k == 0 else str(k + 1)
        bar = (colour_bar() if k == len(panels) - 1 else None) if shared_scale else bar_under(domain)
        show_text = values.shape[1] <= text_limit
        traces.append(_heatmap(values, x, y, hover, show_text, scale, bar, xaxis=f"x{axis}", yaxis=f"y{axis}"))
        axes = _axes(axis, domain, ticks=False)
        axes[f"xaxis{axis}"].update(title=dict(text=title, standoff=4), side="bottom")
        if not shared_scale:
            axes[f"yaxis{axis}"]["domain"] = (BAR_ROOM, 1.0)
        layout.update(axes)
    return traces, layout


def overview_figure(conv: Convolution, win: Window, channel: int = 0, filter: int = 0, height: int = 440) -> go.Figure:
    """Input, kernel and output side by side for large images, the window and its cell outlined."""
    p = conv.padding
    image, kernel, output = conv.padded[channel], conv.weight[filter, channel], conv.output[filter]
    in_h, in_w = image.shape[0] - 2 * p, image.shape[1] - 2 * p
    x, y = np.arange(image.shape[1]) - p, np.arange(image.shape[0]) - p
    panels = [
        (
            image,
            x,
            y,
            "row %{y}, col %{x}: %{z}",
            _scale(image[p : p + in_h, p : p + in_w]),
            f"input {in_h}×{in_w}" + (f" + padding {p} (hatched)" if p else ""),
        ),
        (
            kernel,
            np.arange(kernel.shape[1]),
            np.arange(kernel.shape[0]),
            "weight [%{y}, %{x}] = %{z}",
            _scale(kernel, signed=True),
            f"kernel {kernel.shape[0]}×{kernel.shape[1]}",
        ),
        (
            output,
            np.arange(output.shape[1]),
            np.arange(output.shape[0]),
            "output [%{y}, %{x}] = %{z}",
            _scale(output),
            f"output {output.shape[0]}×{output.shape[1]}",
        ),
    ]
    traces, layout = _side_by_side(panels, [0.44, 0.12, 0.44], text_limit=7, shared_scale=False)
    shapes = [
        _box(win.cols[0] - p, win.cols[-1] - p, win.rows[0] - p, win.rows[-1] - p, WINDOW_COLOUR, 2),
        _box(win.col, win.col, win.row, win.row, WINDOW_COLOUR, 2, "3"),
    ]
    if p:
        inside = ((y >= 0) & (y < in_h))[:, None] & ((x >= 0) & (x < in_w))[None, :]
        shapes += _padding_marks(inside, x, y, (in_h, in_w), width=1)
    return _figure(traces, shapes, "", height, top=10, **layout)


def channel_sum_figure(conv: Convolution, filter: int = 0, height: int = 300) -> go.Figure:
    """How one filter sums over input channels: each channel's contribution, then their sum plus bias."""
    parts = channel_contributions(conv, filter)
    channels = parts.shape[0]
    names = CHANNEL_NAMES if channels == 3 else tuple(f"channel {c}" for c in range(channels))
    scale = _scale(np.concatenate([parts.ravel(), conv.output[filter].ravel()]))
    out_h, out_w = conv.output.shape[1:]
    x, y = np.arange(out_w), np.arange(out_h)
    panels = [
        (values, x, y, "[%{y}, %{x}] = %{z}", scale, f"{name} ∗ its slice" + (" +" if c < channels - 1 else " ="))
        for c, (values, name) in enumerate(zip(parts, names))
    ]
    panels.append(
        (conv.output[filter], x, y, "[%{y}, %{x}] = %{z}", scale, f"sum + bias {format_number(conv.bias[filter])}")
    )
    traces, layout = _side_by_side(panels, [1.0] * (channels + 1), text_limit=7, shared_scale=True)
    title = f"Filter {filter}: one kernel slice per input channel, added up"
    return _figure(traces, [], title, height, right=BAR_MARGIN, **layout)


def volume_figure(conv: Convolution, height: int = 480) -> go.Figure:
    """The output volume in 3-D: one 2-D map per filter, stacked so depth = number of filters."""
    maps = conv.output
    filters, out_h, out_w = maps.shape
    xs, ys = np.meshgrid(np.arange(out_w), np.arange(out_h))
    scale = _scale(maps)
    traces = [
        dict(
            type="surface",
            x=xs,
            y=ys,
            z=np.full(xs.shape, f, dtype=float),
            surfacecolor=maps[f],
            cmin=scale["zmin"],
            cmax=scale["zmax"],
            colorscale=scale["colorscale"],
            showscale=f == 0,
            name=f"filter {f}",
            customdata=maps[f],
            hovertemplate=f"filter {f}<br>" + "row %{y}, col %{x}: %{customdata:.4g}<extra></extra>",
        )
        for f in range(filters)
    ]
    scene = dict(
        xaxis=dict(title=dict(text="col")),
        yaxis=dict(title=dict(text="row"), autorange="reversed"),
        zaxis=dict(title=dict(text="filter"), dtick=1),
        aspectmode="manual",
        aspectratio=dict(x=1, y=out_h / out_w, z=0.3 * max(2, filters)),
    )
    return _figure(
        traces,
        [],
        f"Output volume {out_h}×{out_w}×{filters}: one map per filter",
        height,
        top=40,
        right=90,
        scene=scene,
    )  # room for the colour bar
