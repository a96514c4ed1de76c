"""Figures for watching a network learn: loss/accuracy curves, image tiles with predictions, conv1
filters, the confusion matrix and a one-line progress report.

Tiles and filters are drawn as ONE trace each (images tiled with blank gaps, captions as annotations),
so the page can rebuild them every second while a training runs without slowing the server; those
figures skip plotly.py's validation (heatmaps.figure).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from cnnviz.data import DATASETS
from cnnviz.figures import palette
from cnnviz.figures.heatmaps import colour_bar, figure, mosaic, tile
from cnnviz.figures.tiles import png_data_uri
from cnnviz.models import MODELS
from cnnviz.progress import CurvePoint, Progress
from cnnviz.train import OPTIMIZERS, TrainConfig

TRAIN_COLOUR = palette.TRAIN
TEST_COLOUR = palette.TEST
RIGHT_COLOUR = palette.RIGHT
WRONG_COLOUR = palette.WRONG
SMOOTHING = 0.8
MAX_POINTS = 400


def smooth(values: np.ndarray, weight: float = SMOOTHING) -> np.ndarray:
    """An exponential moving average, debiased like TensorBoard's, so noisy batch losses read as a trend."""
    out, avg = np.empty(len(values)), 0.0
    for i, v in enumerate(values):
        avg = weight * avg + (1 - weight) * v
        out[i] = avg / (1 - weight ** (i + 1))
    return out


def _curve_traces(points: tuple[CurvePoint, ...], name: str, colour: str, smoothed: bool) -> list[dict]:
    """Loss (left axes) and accuracy in % (right axes) of one series; raw batch values faint under the trend."""
    if not points:
        return []
    every = math.ceil(len(points) / MAX_POINTS)  # long runs: keep what is sent to the browser small
    x = np.array([p.x for p in points], np.float32)  # sent every second: half the bytes of float64
    traces = []
    losses, accuracies = np.array([p.loss for p in points]), np.array([p.accuracy for p in points]) * 100
    for axes, values in (("", losses), ("2", accuracies)):
        where = dict(xaxis=f"x{axes}", yaxis=f"y{axes}")
        if smoothed:
            traces.append(
                dict(
                    type="scatter",
                    x=x[::every],
                    y=values[::every].astype(np.float32),
                    mode="lines",
                    opacity=0.25,
                    line=dict(color=colour, width=1),
                    showlegend=False,
                    hoverinfo="skip",
                    **where,
                )
            )
            values = smooth(values)
        traces.append(
            dict(
                type="scatter",
                x=x[::every],
                y=values[::every].astype(np.float32),
                name=name,
                legendgroup=name,
                mode="lines" if smoothed else "lines+markers",
                line=dict(color=colour, width=2),
                showlegend=not axes,
                hovertemplate=f"{name}<br>epoch %{{x:.2f}}<br>%{{y:.3f}}<extra></extra>",
                **where,
            )
        )
    return traces


def curves_figure(
    train: tuple[CurvePoint, ...], test: tuple[CurvePoint, ...], epochs: int, test_size: int, height: int = 320
) -> go.Figure:
    """Loss and accuracy against epochs: training batches (smoothed) and held-out test images."""
    traces = _curve_traces(train, "training batches", TRAIN_COLOUR, smoothed=True) + _curve_traces(
        test, f"{test_size} test images", TEST_COLOUR, smoothed=False
    )
    epoch_axis = dict(title=dict(text="epoch"), range=[0, epochs])
    title = dict(y=1.0, yref="paper", yanchor="bottom", showarrow=False, xref="paper", font=dict(size=14))
    return figure(
        traces,
        dict(
            height=height,
            margin=dict(l=0, r=0, t=30, b=0),
            legend=dict(orientation="h", y=-0.25),
            uirevision="curves",
            xaxis=dict(domain=[0, 0.46], **epoch_axis),
            xaxis2=dict(domain=[0.54, 1], **epoch_axis),
            yaxis=dict(rangemode="tozero"),
            yaxis2=dict(anchor="x2", range=[0, 100]),
            annotations=[
                # each at its own panel's left edge: centred titles met on narrow screens
                dict(text="Loss (cross-entropy)", x=0, xanchor="left", **title),
                dict(text="Accuracy (%)", x=0.54, xanchor="left", **title),
            ],
        ),
    )


def _picture(images: np.ndarray, cols: int, gap: int) -> dict:
    """Images as one RGB picture with white gaps: pictures, not measurements, so no colour bar.

    Grey images are drawn dark ink on white (255 - value), as the digits are written on paper."""
    if images.shape[1] == 1:
        images = np.repeat(255 - images.astype(np.float32), 3, axis=1)
    rgb = tile(images.transpose(0, 2, 3, 1), cols, gap, fill=255.0)
    # a PNG, not z: the Train page sends its tiles every second, and z as JSON numbers was 180 KB of them
    return dict(type="image", source=png_data_uri(rgb.astype(np.uint8)), hoverinfo="skip")


def _image_layout(height: int, bottom: int, **extra) -> dict:
    return dict(
        height=height,
        margin=dict(l=0, r=0, t=4, b=bottom),
        plot_bgcolor="white",
        xaxis=dict(visible=False, constrain="domain"),
        yaxis=dict(visible=False, autorange="reversed", scaleanchor="x", constrain="domain"),
        **extra,
    )


def tiles_figure(
    images: np.ndarray, captions: list[str], correct: list[bool], cols: int = 10, height: int = 150
) -> go.Figure:
    """Images (N, C, H, W uint8) in a row, each captioned ✓ in blue when right and ✗ in vermillion when wrong."""
    gap = max(4, images.shape[-1] // 2)
    h, w = images.shape[-2:]
    notes = [
        dict(
            x=(k % cols) * (w + gap) + (w - 1) / 2,
            y=(k // cols) * (h + gap) + h - 0.5,
            text=palette.verdict(text, ok),
            showarrow=False,
            yanchor="top",
            font=dict(size=12, color=RIGHT_COLOUR if ok else WRONG_COLOUR),
        )
        for k, (text, ok) in enumerate(zip(captions, correct))
    ]
    return figure([_picture(images, cols, gap)], _image_layout(height, bottom=36, annotations=notes))


def filters_figure(weights: np.ndarray, height: int = 150) -> go.Figure:
    """conv1's filters side by side: red positive, blue negative weights with a colour bar (colour filters as RGB)."""
    n, channels = weights.shape[:2]
    cols = n if n <= 16 else math.ceil(n / 2)
    if channels == 3:
        low = weights.min(axis=(1, 2, 3), keepdims=True)
        span = np.maximum(weights.max(axis=(1, 2, 3), keepdims=True) - low, 1e-12)
        trace = _picture((weights - low) / span * 255, cols, gap=1)
    else:
        bound = float(np.abs(weights).max()) or 1.0
        grid, index = mosaic(weights[:, 0], cols)
        trace = dict(
            type="heatmap",
            z=grid,
            customdata=index,
            colorscale=palette.DIVERGING,
            zmin=-bound,
            zmax=bound,
            hoverongaps=False,
            colorbar=colour_bar(),
            hovertemplate="filter %{customdata}<br>weight %{z:.3f}<extra></extra>",
        )
    return figure([trace], _image_layout(height, bottom=0))


def confusion_figure(matrix: np.ndarray, classes: tuple[str, ...], height: int = 460) -> go.Figure:
    """Counts of true class (rows) against predicted class (columns), coloured by share of the row."""
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    labels = [str(c) for c in classes]
    return go.Figure(
        [
            dict(
                type="heatmap",
                z=share,
                x=labels,
                y=labels,
                text=matrix,
                texttemplate="%{text}",
                colorscale=palette.MAGNITUDE,
                zmin=0,
                zmax=1,
                colorbar=colour_bar(title=dict(text="share of row")),
                hovertemplate="true %{y}, predicted %{x}<br>%{text} images (%{z:.1%} of the %{y}s)<extra></extra>",
            )
        ],
        dict(
            height=height,
            margin=dict(l=0, r=0, t=10, b=0),
            xaxis=dict(title=dict(text="predicted"), type="category", side="top"),
            yaxis=dict(title=dict(text="true"), type="category", autorange="reversed", scaleanchor="x"),
        ),
    )


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "…"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def progress_text(progress: Progress) -> str:
    """One line: where training is, how fast it goes and how long is left."""
    step, cfg = progress.step, progress.config
    if step is None:
        return "Starting: preparing the data and the model…"
    text = (
        f"Epoch {step.epoch}/{cfg.epochs} · step {step.step}/{step.steps_per_epoch} · "
        f"{progress.samples_per_s:,.0f} images/s · batch loss {step.loss:.3f} · "
        f"batch accuracy {step.accuracy:.0%}"
    )
    if progress.status == "finished":
        return f"Done: {progress.steps_done} steps, {progress.samples_per_s:,.0f} images/s."
    if progress.status in ("stopped", "failed"):
        return f"Ended at epoch {step.epoch}, step {step.step} of {step.steps_per_epoch}."
    if progress.steps_done >= progress.total_steps:
        return text + " · testing on the whole test set…"
    return text + f" · about {_duration(progress.eta)} left"


def config_text(config: TrainConfig, train_size: int) -> str:
    """The settings of a run in one sentence, so the page shows what is training, not what the widgets say now."""
    optimizer = OPTIMIZERS[config.optimizer].title if config.optimizer in OPTIMIZERS else config.optimizer
    return (
        f"Training {MODELS[config.model].title} on {train_size:,} {DATASETS[config.dataset].title} images "
        f"for {config.epochs} epoch{'s' if config.epochs > 1 else ''}: batch {config.batch_size}, {optimizer} "
        f"at learning rate {config.lr:g}, seed {config.seed}, device {config.device}."
    )
