"""Figures for the predict page: class probabilities as bars and an explanation heatmap over the input."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

BAR_COLOUR = "#9ecae1"
TOP_COLOUR = "#08519c"


def probability_bars(probs: np.ndarray, title: str, height: int = 260) -> go.Figure:
    """The 10 class probabilities, the winning class highlighted, so the margin of the decision shows."""
    top = int(np.argmax(probs))
    colours = [TOP_COLOUR if i == top else BAR_COLOUR for i in range(len(probs))]
    fig = go.Figure(
        go.Bar(
            x=[str(i) for i in range(len(probs))],
            y=probs * 100,
            marker_color=colours,
            hovertemplate="digit %{x}: %{y:.1f}%<extra></extra>",
        )
    )
    fig.update_layout(
        title=html.escape(title),  # a model's label may quote a file name; plotly renders <a> tags
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        yaxis=dict(range=[0, 100], title="probability (%)"),
        xaxis=dict(title="digit", type="category"),
    )
    return fig


def explanation_overlay(
    model_input: np.ndarray, heat: np.ndarray, title: str, unit: str, height: int = 300
) -> go.Figure:
    """The model's input in grey with the heatmap laid over it, so evidence is seen on the strokes.

    The colour scale runs from 0 to the map's largest value; the colour bar says in what unit.
    """
    top = float(heat.max())
    fig = go.Figure(
        [
            go.Heatmap(z=model_input, colorscale="gray", showscale=False, hoverinfo="skip"),
            go.Heatmap(
                z=heat,
                colorscale="Hot",
                opacity=0.55,
                zmin=0,
                zmax=top if top > 0 else 1,
                hovertemplate=f"row %{{y}}, col %{{x}}: %{{z:.3g}} {unit}<extra></extra>",
                colorbar=dict(title=dict(text=unit, side="right"), thickness=10),
            ),
        ]
    )
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="rgba(0,0,0,0)")
    hidden = dict(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(autorange="reversed", scaleanchor="x", **hidden)
    fig.update_xaxes(**hidden)
    return fig
