"""Figures for the predict page: class probabilities as bars and an explanation heatmap over the input.

Built from plain dicts without validation, like the network figures: st.plotly_chart validates each
figure once, and these are rebuilt for every model on every pen stroke."""

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
    bars = dict(
        type="bar",
        x=[str(i) for i in range(len(probs))],
        y=probs * 100,
        marker=dict(color=colours),
        hovertemplate="digit %{x}: %{y:.1f}%<extra></extra>",
    )
    layout = dict(
        title=dict(text=html.escape(title)),  # a model's label may quote a file name; plotly renders <a> tags
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        yaxis=dict(range=[0, 100], title=dict(text="probability (%)")),
        xaxis=dict(title=dict(text="digit"), type="category"),
    )
    return go.Figure([bars], layout, _validate=False)


def explanation_overlay(
    model_input: np.ndarray, heat: np.ndarray, title: str, unit: str, height: int = 300
) -> go.Figure:
    """The model's input in grey with the heatmap laid over it, so evidence is seen on the strokes.

    The colour scale runs from 0 to the map's largest value; the colour bar says in what unit.
    """
    top = float(heat.max())
    backdrop = dict(type="heatmap", z=model_input, colorscale="gray", showscale=False, hoverinfo="skip")
    evidence = dict(
        type="heatmap",
        z=heat,
        colorscale="Hot",
        opacity=0.55,
        zmin=0,
        zmax=top if top > 0 else 1,
        hovertemplate=f"row %{{y}}, col %{{x}}: %{{z:.3g}} {unit}<extra></extra>",
        colorbar=dict(title=dict(text=unit, side="right"), thickness=10),
    )
    hidden = dict(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    layout = dict(
        title=dict(text=title),
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis=hidden,
        yaxis=dict(autorange="reversed", scaleanchor="x", **hidden),
    )
    return go.Figure([backdrop, evidence], layout, _validate=False)
