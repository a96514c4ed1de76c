"""Batched, on-device augmentation that makes MNIST look more like digits people draw or type.

Everything works on a whole batch of float images in [0, 1] at once: one ``grid_sample`` applies a
random affine map (shift, scale, rotation, shear) plus a smooth elastic displacement, then a
max-pool dilation or erosion changes the stroke thickness and a random gain changes the ink
contrast. No per-sample Python and no PIL, so it costs a small fraction of a training step.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentSettings:
    """How far each random change may go (defaults suit MNIST-style centred 20 px digits)."""

    shift: float = 0.08  # fraction of the image side, each direction
    scale: tuple[float, float] = (0.85, 1.12)
    rotate: float = 12.0  # degrees, each direction
    shear: float = 0.15  # tan of the shear angle, each direction
    aspect: float = 0.12  # relative squeeze of one axis, each direction
    elastic: float = 0.035  # displacement amplitude as a fraction of the side
    elastic_grid: int = 4  # control points per side of the elastic field
    stroke: tuple[float, float] = (-0.6, 1.0)  # <0 blends towards an erosion, >0 a dilation
    gain: tuple[float, float] = (0.9, 1.6)  # ink contrast multiplier, clipped to [0, 1]
    flag: float = 0.4  # share of the images marked as 1s that get a lead-in flag
    flag_length: tuple[float, float] = (0.15, 0.45)  # flag length over the digit's height
    flag_angle: tuple[float, float] = (30.0, 65.0)  # degrees below horizontal, pointing left (a 7's bar is level)


DEFAULT = AugmentSettings()


def _uniform(n: int, low: float, high: float, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=device) * (high - low) + low


def random_affine(n: int, settings: AugmentSettings, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """(n, 2, 3) matrices for affine_grid: output coordinates -> input coordinates."""
    angle = _uniform(n, -settings.rotate, settings.rotate, generator, device) * (math.pi / 180)
    scale = _uniform(n, *settings.scale, generator, device)
    aspect = _uniform(n, -settings.aspect, settings.aspect, generator, device)
    shear = _uniform(n, -settings.shear, settings.shear, generator, device)
    shift = _uniform(2 * n, -2 * settings.shift, 2 * settings.shift, generator, device).view(n, 2)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Forward map: scale each axis, shear, rotate, shift. Sampling needs its inverse.
    sx, sy = scale * (1 + aspect), scale * (1 - aspect)
    a = torch.stack(
        [
            torch.stack([cos * sx, cos * shear * sy - sin * sy], -1),
            torch.stack([sin * sx, sin * shear * sy + cos * sy], -1),
        ],
        -2,
    )
    inv = torch.linalg.inv(a)
    return torch.cat([inv, -(inv @ shift.unsqueeze(-1))], dim=-1)


@functools.lru_cache(maxsize=16)
def _cubic_basis(points: int, size: int, device: torch.device) -> torch.Tensor:
    """(size, points) weights that upsample a line of control points with bicubic interpolation."""
    eye = torch.eye(points).view(points, 1, points, 1)
    basis = F.interpolate(eye, size=(size, 1), mode="bicubic", align_corners=True)
    return basis.view(points, size).T.contiguous().to(device)


def sampling_grid(
    theta: torch.Tensor, size: tuple[int, int], settings: AugmentSettings, generator: torch.Generator
) -> torch.Tensor:
    """grid_sample coordinates (n, H, W, 2): the affine map plus a smooth elastic displacement."""
    n, device = theta.shape[0], theta.device
    h, w = size
    ys = (torch.arange(h, device=device, dtype=theta.dtype) * 2 + 1) / h - 1
    xs = (torch.arange(w, device=device, dtype=theta.dtype) * 2 + 1) / w - 1
    t = theta.view(n, 2, 3, 1, 1)
    grid = t[:, :, 0] * xs.view(1, 1, 1, w) + t[:, :, 1] * ys.view(1, 1, h, 1) + t[:, :, 2]
    if settings.elastic > 0:
        k = settings.elastic_grid
        coarse = torch.randn(n, 2, k, k, generator=generator, device=device) * (2 * settings.elastic)
        by, bx = _cubic_basis(k, h, device), _cubic_basis(k, w, device)
        grid = grid + torch.einsum("hk,nckl,wl->nchw", by, coarse.to(theta.dtype), bx)
    return grid.permute(0, 2, 3, 1)


def _max3(x: torch.Tensor) -> torch.Tensor:
    """3x3 max filter as two separable passes of shifted maxima (much faster than max_pool2d)."""
    p = F.pad(x, (1, 1, 1, 1))
    rows = torch.maximum(torch.maximum(p[..., :-2], p[..., 1:-1]), p[..., 2:])
    return torch.maximum(torch.maximum(rows[..., :-2, :], rows[..., 1:-1, :]), rows[..., 2:, :])


def stroke_width(x: torch.Tensor, amount: torch.Tensor) -> torch.Tensor:
    """Thicker (amount > 0, towards a 3x3 dilation) or thinner (< 0, towards an erosion) strokes."""
    amount = amount.view(-1, 1, 1, 1).to(x.dtype)
    thick, thin = _max3(x), -_max3(-x)
    target = torch.where(amount > 0, thick, thin)
    return x + amount.abs() * (target - x)


def _segment_distance(
    h: int, w: int, start: tuple[torch.Tensor, torch.Tensor], end: tuple[torch.Tensor, torch.Tensor]
) -> torch.Tensor:
    """(n, h, w) distance from every pixel centre to each image's line segment start -> end (x, y)."""
    n = start[0].shape[0]
    x0, y0 = (v.view(n, 1, 1) for v in start)
    dx, dy = (e.view(n, 1, 1) - s for e, s in zip(end, (x0, y0)))
    ys = torch.arange(h, device=x0.device, dtype=x0.dtype).view(1, h, 1)
    xs = torch.arange(w, device=x0.device, dtype=x0.dtype).view(1, 1, w)
    t = (((xs - x0) * dx + (ys - y0) * dy) / (dx * dx + dy * dy).clamp(min=1e-6)).clamp(0, 1)
    return torch.hypot(xs - x0 - t * dx, ys - y0 - t * dy)


def add_flags(
    x: torch.Tensor, chosen: torch.Tensor, settings: AugmentSettings, generator: torch.Generator
) -> torch.Tensor:
    """Draw the diagonal lead-in stroke that many people start a 1 with on the chosen images.

    MNIST's 1s are mostly bare strokes, so without this a 1 with a long flag reads as a 7. The flag
    leaves the top of the ink down to the left, as long as a fraction of the digit's height.
    """
    n, _c, h, w = x.shape
    device, dtype = x.device, x.dtype
    ink = x.amax(1) > 0.5
    rows = ink.any(2)
    top = rows.to(torch.int8).argmax(1)
    bottom = h - 1 - rows.flip(1).to(torch.int8).argmax(1)
    top_row = ink[torch.arange(n, device=device), top].to(dtype)
    x0 = (top_row * torch.arange(w, device=device, dtype=dtype)).sum(1) / top_row.sum(1).clamp(min=1)
    y0 = top.to(dtype)
    length = _uniform(n, *settings.flag_length, generator, device).to(dtype) * (bottom - top + 1).to(dtype)
    angle = _uniform(n, *settings.flag_angle, generator, device).to(dtype) * (math.pi / 180)
    end = (x0 - length * torch.cos(angle), y0 + length * torch.sin(angle))
    half_width = _uniform(n, 0.6, 1.3, generator, device).to(dtype).view(n, 1, 1)
    stroke = (half_width + 0.5 - _segment_distance(h, w, (x0, y0), end)).clamp(0, 1).unsqueeze(1)
    draw = (chosen & rows.any(1)).view(n, 1, 1, 1)
    return torch.where(draw, torch.maximum(x, stroke), x)


def augment(
    x: torch.Tensor, generator: torch.Generator, settings: AugmentSettings = DEFAULT, ones: torch.Tensor | None = None
) -> torch.Tensor:
    """Randomly moved, resized, rotated, sheared, warped, thickened/thinned copies of a batch.

    ``x`` is float (N, C, H, W) in [0, 1] with a black background; ``generator`` lives on x's device
    so that a seeded run gives the same batches every time. ``ones`` marks images of the digit 1
    (boolean, N): a share of them get a flag first (``add_flags``).
    """
    n, _c, h, w = x.shape
    if ones is not None and settings.flag > 0:
        chosen = ones & (torch.rand(n, generator=generator, device=x.device) < settings.flag)
        x = add_flags(x, chosen, settings, generator)
    theta = random_affine(n, settings, generator, x.device).to(x.dtype)
    out = F.grid_sample(
        x, sampling_grid(theta, (h, w), settings, generator), mode="bilinear", padding_mode="zeros", align_corners=False
    )
    out = stroke_width(out, _uniform(n, *settings.stroke, generator, x.device))
    gain = _uniform(n, *settings.gain, generator, x.device).view(n, 1, 1, 1).to(x.dtype)
    return (out * gain).clamp_(0.0, 1.0)
