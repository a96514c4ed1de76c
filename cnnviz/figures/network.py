"""Figures for looking inside a network: feature-map grids, filters, scores, parameters, pooling.

A grid of channels is drawn as ONE heatmap (channels tiled with blank gaps) rather than one subplot
per channel: a single trace builds and ships in milliseconds, and hovering still names the channel,
the cell and its value. Figures are assembled from plain dicts without validation, because
st.plotly_chart validates every figure itself (the tests validate each builder's output too).
"""

from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures import palette
from cnnviz.figures.heatmaps import colour_bar, colour_scale, figure, mosaic
from cnnviz.layer_table import FcComparison, LayerInfo
from cnnviz.pooling import PoolResult

SEQUENTIAL = palette.MAGNITUDE
PICK_COLOUR = palette.HIGHLIGHT


def _figure(data: dict | list[dict], layout: dict) -> go.Figure:
    """A figure from plain trace and layout dicts, unvalidated (heatmaps.figure): validating doubled
    the cost of the big heatmaps."""
    return figure(data if isinstance(data, list) else [data], layout)


def _colour(values: np.ndarray) -> dict:
    """Diverging and centred on zero when values go negative, sequential otherwise."""
    return colour_scale(values, SEQUENTIAL)


def _map_layout(title: str, height: int) -> dict:
    """Square cells, row 0 on top, no axes: how an image or a feature map is read."""
    return dict(
        title=dict(text=title, font=dict(size=14)),
        height=height,
        margin=dict(l=0, r=0, t=30, b=0),
        plot_bgcolor="white",
        xaxis=dict(visible=False, constrain="domain"),
        yaxis=dict(visible=False, autorange="reversed", scaleanchor="x", constrain="domain"),
    )


def grid_columns(n: int) -> int:
    """A near-square number of columns for n tiles: one that fills the last row when there is one."""
    for cols in range(math.ceil(math.sqrt(n)), math.ceil(math.sqrt(2 * n)) + 1):
        if n % cols == 0:
            return cols
    return max(1, math.ceil(math.sqrt(n * 1.5)))


def feature_grid(
    maps: np.ndarray, title: str, selected: int | None = None, height: int = 360, clickable: bool = False
) -> go.Figure:
    """Every channel of a layer as a heatmap tile; hover gives channel, row, column and value.

    ``clickable`` adds a small handle per tile whose selection names the channel (st.plotly_chart
    reports point selections, never heatmap cells)."""
    n, h, w = maps.shape
    cols = grid_columns(n)
    grid, index = mosaic(maps, cols)
    rows_in_tile = np.broadcast_to(np.arange(grid.shape[0])[:, None] % (h + 1), grid.shape)
    cols_in_tile = np.broadcast_to(np.arange(grid.shape[1])[None, :] % (w + 1), grid.shape)
    layout = _map_layout(title, height)
    if selected is not None and 0 <= selected < n:
        r, c = divmod(selected, cols)
        layout["shapes"] = [
            dict(
                type="rect",
                x0=c * (w + 1) - 0.7,
                x1=c * (w + 1) + w - 0.3,
                y0=r * (h + 1) - 0.7,
                y1=r * (h + 1) + h - 0.3,
                line=dict(color=PICK_COLOUR, width=3),
            )
        ]
    traces = [
        dict(
            type="heatmap",
            z=grid.astype(np.float32),
            customdata=np.dstack([index, rows_in_tile, cols_in_tile]),
            hoverongaps=False,
            colorbar=colour_bar(),
            **_colour(maps),
            hovertemplate="channel %{customdata[0]}<br>row %{customdata[1]}, col %{customdata[2]}"
            "<br>value %{z:.3f}<extra></extra>",
        )
    ]
    if clickable:
        traces.append(_tile_handles(n, h, w, cols))
        layout["clickmode"] = "event+select"
    return _figure(traces, layout)


def _tile_handles(n: int, h: int, w: int, cols: int) -> dict:
    """A marker in the middle of each tile: heatmaps cannot be selected, markers can (click = pick)."""
    centres = [divmod(k, cols) for k in range(n)]
    return dict(
        type="scatter",
        mode="markers",
        x=[c * (w + 1) + (w - 1) / 2 for _, c in centres],
        y=[r * (h + 1) + (h - 1) / 2 for r, _ in centres],
        customdata=list(range(n)),
        marker=dict(
            symbol="square", size=10, color="rgba(255,255,255,0.3)", line=dict(color="rgba(0,0,0,0.5)", width=1)
        ),
        hovertemplate="channel %{customdata}: click to enlarge<extra></extra>",
        showlegend=False,
    )


def map_heatmap(values: np.ndarray, title: str, height: int = 320, text: bool | None = None) -> go.Figure:
    """One 2-D map large, values on hover (and printed in the cells when the map is small)."""
    text = values.size <= 100 if text is None else text
    trace = dict(
        type="heatmap",
        z=values.astype(np.float32),
        colorbar=colour_bar(),
        **_colour(values),
        hovertemplate="row %{y}, col %{x}<br>value %{z:.3f}<extra></extra>",
    )
    if text:
        trace["texttemplate"] = "%{z:.2f}"
    return _figure(trace, _map_layout(title, height))


def filter_grid(weights: np.ndarray, title: str, height: int = 360) -> go.Figure:
    """A conv layer's kernels: one row per filter, one column per input channel (a plain grid if only one)."""
    out_ch, in_ch, kh, kw = weights.shape
    flat = weights.reshape(out_ch * in_ch, kh, kw)
    grid, index = mosaic(flat, in_ch if in_ch > 1 else grid_columns(out_ch))
    return _figure(
        dict(
            type="heatmap",
            z=grid.astype(np.float32),
            customdata=np.dstack([index // in_ch, index % in_ch]),
            hoverongaps=False,
            colorbar=colour_bar(),
            **_colour(flat),
            hovertemplate="filter %{customdata[0]}, input channel %{customdata[1]}<br>weight %{z:.3f}<extra></extra>",
        ),
        _map_layout(title, height),
    )


def class_scores(logits: np.ndarray, probs: np.ndarray, classes: tuple[str, ...]) -> go.Figure:
    """The final layer: raw scores (logits) beside the softmax probabilities they turn into."""
    best = int(np.argmax(probs))
    colours = [palette.BLUE if i != best else PICK_COLOUR for i in range(len(classes))]
    names = list(classes)
    return _figure(
        [
            dict(
                type="bar",
                x=names,
                y=logits,
                marker_color=colours,
                hovertemplate="class %{x}<br>score %{y:.3f}<extra></extra>",
            ),
            dict(
                type="bar",
                x=names,
                y=probs,
                marker_color=colours,
                text=[f"{p:.1%}" for p in probs],
                textposition="outside",
                xaxis="x2",
                yaxis="y2",
                hovertemplate="class %{x}<br>p = %{y:.4f}<extra></extra>",
            ),
        ],
        dict(
            showlegend=False,
            height=300,
            margin=dict(l=0, r=0, t=30, b=0),
            xaxis=dict(domain=[0, 0.46], type="category"),
            xaxis2=dict(domain=[0.54, 1], type="category"),
            yaxis2=dict(anchor="x2", range=[0, 1.15]),
            annotations=[
                dict(text=text, x=x, y=1.0, xref="paper", yref="paper", yanchor="bottom", showarrow=False)
                for text, x in (("Class scores (logits)", 0.23), ("Softmax probabilities", 0.77))
            ],
        ),
    )


LAYER_TABLE_CSS = """
.cnnviz-layers { border-collapse: collapse; width: 100%; font-size: 0.875rem; color: #31333f; }
.cnnviz-layers th, .cnnviz-layers td { padding: 4px 10px; border-bottom: 1px solid #e6e9ef; text-align: left;
  white-space: nowrap; }
.cnnviz-layers th { font-weight: 600; color: rgba(49, 51, 63, 0.7); border-bottom: 2px solid #d0d2d8; }
.cnnviz-layers .num { text-align: right; font-variant-numeric: tabular-nums; }
.cnnviz-layers .settings { white-space: normal; }
.cnnviz-layers tr:last-child td { font-weight: 700; border-bottom: none; border-top: 2px solid #d0d2d8; }
.cnnviz-share { display: flex; align-items: center; gap: 6px; min-width: 7em; }
.cnnviz-share i { display: block; height: 8px; background: #0068c9; border-radius: 2px; }
.cnnviz-share span { flex: none; }
"""
LAYER_COLUMNS = ("layer", "type", "settings", "output shape", "parameters", "share of parameters", "MACs")
NUMBER_COLUMNS = {"parameters", "MACs"}
SHARE_EM = 4  # a share bar at 100% (the totals row) is this wide


def _layer_cell(column: str, value) -> str:
    """One cell of the layer table: numbers right-aligned, the share as a bar with its percentage, text escaped."""
    if column in NUMBER_COLUMNS:
        return f'<td class="num">{value:,}</td>'
    if column == "share of parameters":
        bar = f'<i style="width: {SHARE_EM * value:.2f}em"></i><span>{value:.1%}</span>'
        return f'<td><div class="cnnviz-share">{bar}</div></td>'
    return f'<td class="{column.replace(" ", "-")}">{html.escape(str(value))}</td>'


def layer_table_html(table: list[dict]) -> str:
    """layer_table.table_rows as one static HTML table, the totals row last. Streamlit's data grid cost
    the Architecture page's first visit 1.4 MB of script, and its canvas-drawn cells kept their small
    font in projector mode; ten rows need neither scrolling nor sorting."""
    head = "".join(
        f'<th class="{"num" if c in NUMBER_COLUMNS else ""}">{"share" if c.startswith("share") else c}</th>'
        for c in LAYER_COLUMNS
    )
    body = "".join(f"<tr>{''.join(_layer_cell(c, row[c]) for c in LAYER_COLUMNS)}</tr>" for row in table)
    return (
        f"<style>{LAYER_TABLE_CSS}</style>"
        f'<table class="cnnviz-layers"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def parameter_bars(rows: list[LayerInfo]) -> go.Figure:
    """Where the parameters live: one bar per layer that has any, with its share of the total."""
    rows = [r for r in rows if r.params]
    total = sum(r.params for r in rows)
    return _figure(
        dict(
            type="bar",
            x=[r.name for r in rows],
            y=[r.params for r in rows],
            marker_color=[palette.ORANGE if r.kind == "Linear" else palette.BLUE for r in rows],
            text=[f"{r.params / total:.1%}" for r in rows],
            textposition="outside",
            hovertemplate="%{x}<br>%{y:,} parameters<extra></extra>",
        ),
        dict(
            yaxis=dict(title=dict(text="parameters")),
            height=320,
            margin=dict(l=0, r=0, t=30, b=0),
            title=dict(text="Parameters per layer (orange: fully connected, blue: conv / norm)", font=dict(size=14)),
        ),
    )


def fc_comparison_bars(comparison: FcComparison) -> go.Figure:
    """Parameters of the conv layer vs the same mapping without weight sharing or without locality."""
    labels = ["convolution", "locally connected<br>(no weight sharing)", "fully connected"]
    values = [comparison.conv_params, comparison.locally_connected_params, comparison.fully_connected_params]
    return _figure(
        dict(
            type="bar",
            x=labels,
            y=values,
            text=[f"{v:,}" for v in values],
            textposition="outside",
            marker_color=[palette.BLUE, palette.REDDISH_PURPLE, palette.ORANGE],
            hovertemplate="%{x}<br>%{y:,} parameters<extra></extra>",
        ),
        dict(
            yaxis=dict(type="log", title=dict(text="parameters (log scale)")),
            height=320,
            margin=dict(l=0, r=0, t=30, b=0),
            title=dict(text=f"{comparison.layer}: same input and output shape", font=dict(size=14)),
        ),
    )


def _outline(x0: float, y0: float, size: float) -> tuple[list, list]:
    """A closed square path (then a gap) for drawing many outlines as one line trace."""
    x1, y1 = x0 + size, y0 + size
    return [x0, x1, x1, x0, x0, None], [y0, y0, y1, y1, y0, None]


def _outlines(windows: list, kernel: int, colour: str, width: float, xaxis: str = "x") -> dict:
    xs, ys = [], []
    for w in windows:
        x, y = _outline(w.col_start - 0.5, w.row_start - 0.5, kernel)
        xs += x
        ys += y
    return dict(
        type="scatter",
        x=xs,
        y=ys,
        mode="lines",
        line=dict(color=colour, width=width),
        hoverinfo="skip",
        showlegend=False,
        xaxis=xaxis,
        yaxis=xaxis.replace("x", "y"),
    )


def pooling_figure(result: PoolResult, step: int | None = None, height: int = 380) -> go.Figure:
    """Input with every window outlined (the current one bold, its pick ringed); pooled map beside."""
    colour = _colour(result.input)
    h, w = result.input.shape
    pad = result.padding
    data = [
        dict(
            type="heatmap",
            z=result.input.astype(np.float32),
            showscale=False,
            **colour,
            texttemplate="%{z:.3~g}" if result.input.size <= 144 else "",
            hovertemplate="row %{y}, col %{x}<br>value %{z:.3f}<extra></extra>",
        ),
        dict(
            type="heatmap",
            z=result.output.astype(np.float32),
            xaxis="x2",
            yaxis="y2",
            colorbar=colour_bar(),  # the input shares this scale
            **colour,
            texttemplate="%{z:.3~g}" if result.output.size <= 144 else "",
            hovertemplate="row %{y}, col %{x}<br>pooled %{z:.3f}<extra></extra>",
        ),
        _outlines(result.windows, result.kernel, "rgba(255,255,255,0.9)", 1),
    ]
    current = [] if step is None else [result.windows[step]]
    picks = [win.picked for win in (current or result.windows) if win.picked is not None]
    if current:
        data.append(_outlines(current, result.kernel, PICK_COLOUR, 4))
        cell = current[0]
        x, y = _outline(cell.out_col - 0.5, cell.out_row - 0.5, 1)
        data.append(
            dict(
                type="scatter",
                x=x,
                y=y,
                mode="lines",
                line=dict(color=PICK_COLOUR, width=4),
                hoverinfo="skip",
                showlegend=False,
                xaxis="x2",
                yaxis="y2",
            )
        )
    if picks:
        ring = max(6, min(30, 300 // max(h + 2 * pad, w + 2 * pad)))  # about one cell wide
        data.append(
            dict(
                type="scatter",
                x=[c for _, c in picks],
                y=[r for r, _ in picks],
                mode="markers",
                marker=dict(symbol="circle-open", size=ring, color=PICK_COLOUR, line=dict(width=2)),
                hoverinfo="skip",
                showlegend=False,
            )
        )
    axis = dict(visible=False, constrain="domain")
    title_place = dict(y=1.0, xref="paper", yref="paper", yanchor="bottom", showarrow=False)
    return _figure(
        data,
        dict(
            height=height,
            margin=dict(l=0, r=0, t=30, b=0),
            plot_bgcolor="#e5e5e5",
            xaxis=dict(axis, domain=[0, 0.58], range=[-0.5 - pad, w - 0.5 + pad]),
            yaxis=dict(axis, range=[h - 0.5 + pad, -0.5 - pad], scaleanchor="x"),
            xaxis2=dict(axis, domain=[0.64, 1]),
            yaxis2=dict(axis, autorange="reversed", scaleanchor="x2"),
            annotations=[
                # each title starts at its own panel's left edge, so the two never meet on a narrow screen
                dict(text="Input, windows outlined", x=0, xanchor="left", **title_place),
                dict(text="Pooled output", x=0.64, xanchor="left", **title_place),
            ],
        ),
    )


def shift_sweep_figure(
    shifts: list[int], sweeps: dict[str, np.ndarray], label: int, classes: tuple[str, ...], current: dict[str, int]
) -> go.Figure:
    """Probability of the true class as the image slides along each axis; red where the answer changes."""
    colours = {"x": palette.BLUE, "y": palette.REDDISH_PURPLE}
    data = []
    for axis, probs in sweeps.items():
        predicted = probs.argmax(1)
        data.append(
            dict(
                type="scatter",
                x=shifts,
                y=probs[:, label],
                mode="lines+markers",
                name=f"shift along {axis}",
                line=dict(color=colours.get(axis)),
                customdata=[palette.verdict(classes[p], p == label) for p in predicted],
                hovertemplate=f"{axis} shift %{{x}} px<br>p = %{{y:.3f}}<br>predicted %{{customdata}}<extra></extra>",
                marker=dict(
                    color=np.where(predicted == label, colours.get(axis, palette.BLUE), PICK_COLOUR),
                    size=9,
                    symbol=np.where(predicted == label, "circle", "x"),
                ),
            )
        )
    shapes = [
        dict(type="line", x0=v, x1=v, y0=0, y1=1, yref="paper", line=dict(color=colours.get(a), dash="dash"))
        for a, v in current.items()
    ]
    return _figure(
        data,
        dict(
            height=300,
            margin=dict(l=0, r=0, t=30, b=0),
            shapes=shapes,
            yaxis=dict(range=[-0.05, 1.05], title=dict(text=f"p(class {classes[label]})")),
            xaxis=dict(title=dict(text="shift (pixels)")),
            legend=dict(orientation="h"),
            title=dict(text=f"Slide the image: red crosses = no longer predicted {classes[label]}", font=dict(size=14)),
        ),
    )
