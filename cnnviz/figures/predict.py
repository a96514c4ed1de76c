"""Figures for the predict page: class probabilities as bars and an explanation map over the input.

Drawn as light HTML blocks like the feature-map tiles (cnnviz.figures.tiles), not plotly: both are
redrawn for every model on every pen stroke, and four plotly figures took the browser about 190 ms
of a stroke's 315 ms on the project's 2-core machine. Hovering a bar gives its probability; the map
is the model's input in grey with the evidence laid over it, and its colour bar names the unit.
"""

from __future__ import annotations

import html

import numpy as np

from cnnviz import explain, predict
from cnnviz.figures import palette
from cnnviz.figures.tiles import GAP_PX, TITLE_PX, colourise, figure_block, format_value, png_data_uri

BAR_COLOUR = "#9ecae1"
TOP_COLOUR = "#08519c"
OVERLAY_OPACITY = 0.55  # how much of the evidence colour covers the grey digit
LABELS_PX = 20  # the digit names under the bars
BARS_CSS = f"""
.cnnviz-barchart {{ display: grid; grid-template-columns: 3em minmax(0, 1fr); column-gap: 6px; width: 100%;
  font-size: 12px; padding-top: 1.2em; box-sizing: border-box; }}
.cnnviz-bar-axis {{ position: relative; }}
.cnnviz-bar-axis span {{ position: absolute; right: 0; transform: translateY(50%); white-space: nowrap; }}
.cnnviz-bar-plot {{ display: flex; align-items: flex-end; gap: 4px; border-left: 1px solid #bbb;
  border-bottom: 1px solid #bbb; background: repeating-linear-gradient(to top, #eee 0 1px, transparent 1px 25%); }}
.cnnviz-bar-slot {{ flex: 1 1 0; height: 100%; display: flex; flex-direction: column; justify-content: flex-end;
  align-items: center; }}
.cnnviz-bar {{ width: 100%; min-height: 1px; position: relative; }}
.cnnviz-bar span {{ position: absolute; bottom: 100%; left: 50%; transform: translateX(-50%); white-space: nowrap; }}
.cnnviz-bar-labels {{ display: flex; gap: 4px; height: {LABELS_PX}px; align-items: center; }}
.cnnviz-bar-labels span {{ flex: 1 1 0; text-align: center; }}
.cnnviz-bar-labels .cnnviz-bar-top {{ font-weight: 700; }}
"""


def probability_bars(probs: np.ndarray, title: str, height: int = 260) -> str:
    """The class probabilities, the winning class highlighted and its share written on it, so the margin shows."""
    top = int(np.argmax(probs))
    slots = "".join(  # the winner's share sits on its bar, outside the flow: every bar is p of the plot's height
        f'<div class="cnnviz-bar-slot" title="digit {i}: {p * 100:.1f}%">'
        f'<div class="cnnviz-bar" style="height: {p * 100:.1f}%; background: {TOP_COLOUR if i == top else BAR_COLOUR}">'
        + (f"<span>{p:.0%}</span>" if i == top else "")
        + "</div></div>"
        for i, p in enumerate(probs.tolist())
    )
    names = "".join(
        f'<span class="cnnviz-bar-top">{i}</span>' if i == top else f"<span>{i}</span>" for i in range(len(probs))
    )
    ticks = "".join(f'<span style="bottom: {v}%">{v}%</span>' for v in (0, 50, 100))
    plot_px = max(height - TITLE_PX - LABELS_PX - 18, 40)  # 18: room for the top value above a full bar
    body = (
        f'<style>{BARS_CSS}</style><div class="cnnviz-barchart" role="img" aria-label="probability of each digit">'
        f'<div class="cnnviz-bar-axis">{ticks}</div>'
        f'<div class="cnnviz-bar-plot" style="height: {plot_px}px">{slots}</div>'
        f'<div></div><div class="cnnviz-bar-labels">{names}</div></div>'
    )
    return figure_block(title, body, None)


def explanation_overlay(model_input: np.ndarray, heat: np.ndarray, title: str, unit: str, height: int = 300) -> str:
    """The model's input in grey with the heatmap laid over it, so evidence is seen on the strokes.

    The colour scale runs from 0 to the map's largest value; the colour bar says in what unit.
    """
    low, high = float(model_input.min()), float(model_input.max())
    grey = (model_input - low) / (high - low) if high > low else np.zeros_like(model_input, dtype=float)
    top = float(heat.max())
    scale = {"colorscale": palette.EVIDENCE, "zmin": 0.0, "zmax": top if top > 0 else 1.0}
    mixed = (1 - OVERLAY_OPACITY) * 255 * grey[..., None] + OVERLAY_OPACITY * colourise(heat, scale)
    side = max(height - TITLE_PX, 40)
    picture = (
        f'<div class="cnnviz-tiles-grid" style="grid-template-columns: 1fr; width: {side}px; gap: {GAP_PX}px">'
        f'<img src="{png_data_uri(mixed.round().astype(np.uint8))}" alt="{html.escape(title)}" '
        f'title="{html.escape(title)}: strongest {format_value(top)} {html.escape(unit)}"></div>'
    )
    return figure_block(title, picture, scale, unit)


STEPS_CSS = """
.cnnviz-steps { display: flex; flex-wrap: wrap; gap: 12px; }
.cnnviz-steps figure { margin: 0; width: 80px; text-align: center; }
.cnnviz-steps img { width: 80px; display: block; }
.cnnviz-steps figcaption { font-size: 0.875rem; line-height: 1.3; color: rgba(49, 51, 63, 0.6); margin-top: 4px; }
"""


def grey_png_uri(image: np.ndarray) -> str:
    """A grey (H, W) uint8 picture as an RGB PNG data: URI (the stages and the samples are shown alike)."""
    return png_data_uri(np.repeat(image[..., None], 3, axis=2))


def steps_strip(steps: tuple[predict.Step, ...]) -> str:
    """The preprocessing stages side by side, each picture over its title: one block of HTML, where
    a column and an image element per stage made each pen stroke send a dozen more messages and
    fetch every stage's picture."""
    figures = "".join(
        f'<figure><img src="{grey_png_uri(step.image)}" '
        f'alt="{html.escape(step.title)}"><figcaption>{html.escape(step.title)}</figcaption></figure>'
        for step in steps
    )
    return f'<style>{STEPS_CSS}</style><div class="cnnviz-steps">{figures}</div>'


SAMPLE_PX = 168  # a sample digit's picture: 28 px enlarged six times, pixel by pixel


def digit_picture(image: np.ndarray, name: str) -> str:
    """A grey (H, W) uint8 digit as the pixels it has, enlarged: what a sample looks like before it is prepared."""
    return (
        f'<img src="{grey_png_uri(image)}" alt="{html.escape(name)}" width="{SAMPLE_PX}" height="{SAMPLE_PX}" '
        'style="image-rendering: pixelated; display: block; border: 1px solid #d0d2d8">'
    )


def vote(
    digit: np.ndarray, model, explanation: explain.Explanation, label: str, height: int
) -> tuple[int, float, str, str]:
    """A model's vote on an MNIST-style digit, drawn: (top class, its probability, bars HTML, map HTML).

    The same for every session that shows this digit to this model, so a page can cache it."""
    probs = predict.predict_probs(digit, model)
    top = int(probs.argmax())
    heat = explanation.explain(digit, model, top)
    model_in = predict.model_input(digit, model)[0, 0].cpu().numpy()
    bars = probability_bars(probs, label, height=height)
    evidence = explanation_overlay(model_in, heat, f"Where it saw a {top}", explanation.unit, height=height)
    return top, float(probs[top]), bars, evidence
