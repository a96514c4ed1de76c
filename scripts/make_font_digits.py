"""Write assets/font_digits.npz: a held-out set of digits that are not MNIST, to test generalisation.

Two sources, both drawn anywhere in a 56x56 frame at many sizes, dark-on-light or light-on-dark,
sometimes under uneven light or with noise specks:
- "font": every digit of every installed font face that has ten distinct digit glyphs
  (install more with e.g. `apt-get install fonts-urw-base35 fonts-freefont-ttf fonts-roboto ...`);
- "stroke": mouse-like polylines of each digit with a jittered, sheared, rotated path and a random pen.
The committed .npz is what tests and benchmarks read, so they need no fonts.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cnnviz.data import ASSETS

SIDE = 56
SCALE = 4
STROKES_PER_DIGIT = 60
SKIP_FAMILIES = ("symbol", "dingbat", "d050000l", "math", "awesome", "initials", "keyboard")
rng = np.random.default_rng(2026)


def font_files() -> list[Path]:
    """TrueType/OpenType faces known to fontconfig, minus symbol and decorative-only fonts."""
    lines = subprocess.run(
        ["fc-list", ":", "file", "family"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    files = set()
    for line in lines:
        path, _, family = line.partition(":")
        if path.endswith((".ttf", ".otf")) and not any(s in family.lower() for s in SKIP_FAMILIES):
            files.add(Path(path))
    return sorted(files)


def glyph_masks(path: Path) -> list[np.ndarray] | None:
    """The ten digit glyphs as tight float masks, or None when the font lacks real digits."""
    try:
        font = ImageFont.truetype(str(path), 160)
    except OSError:
        return None
    masks = []
    for digit in "0123456789":
        canvas = Image.new("L", (320, 320), 0)
        ImageDraw.Draw(canvas).text((160, 160), digit, fill=255, font=font, anchor="mm")
        box = canvas.getbbox()
        if box is None:
            return None
        masks.append(np.asarray(canvas.crop(box), dtype=np.float32) / 255.0)
    shapes = {m.shape + (round(float(m.sum())),) for m in masks}
    return masks if len(shapes) == 10 else None


def _arc(cx: float, cy: float, r: float, start: float, stop: float, n: int = 24) -> list[tuple]:
    """Points on a circle, angles in degrees, screen coordinates (90 = down)."""
    return [
        (cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a))) for a in np.linspace(start, stop, n)
    ]


def stroke_templates(digit: int) -> list[list[tuple]]:
    """One way to write each digit with a mouse: strokes of (x, y) in a unit box."""
    t = np.linspace(0, 2 * math.pi, 48)
    templates = {
        0: [_arc(0.5, 0.5, 0.5, -90, 280)],
        1: [[(0.3, 0.2), (0.5, 0.0), (0.5, 1.0)]] if rng.random() < 0.5 else [[(0.5, 0.0), (0.5, 1.0)]],
        2: [_arc(0.5, 0.3, 0.3, 190, 400) + [(0.08, 1.0), (0.95, 1.0)]],
        3: [_arc(0.5, 0.26, 0.25, 200, 450) + _arc(0.5, 0.75, 0.25, 270, 520)],
        4: [[(0.65, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
        5: [[(0.85, 0.0), (0.2, 0.0), (0.15, 0.45)] + _arc(0.48, 0.68, 0.32, 220, 510)],
        6: [[(0.75, 0.0), (0.4, 0.15), (0.2, 0.45)] + _arc(0.5, 0.72, 0.28, 180, -180)],
        7: [[(0.05, 0.0), (0.95, 0.0), (0.35, 1.0)]],
        8: [list(zip(0.5 + 0.35 * np.sin(2 * t), 0.5 - 0.5 * np.cos(t)))],
        9: [_arc(0.5, 0.28, 0.26, 0, -360) + [(0.76, 0.28), (0.7, 1.0)]],
    }
    return templates[digit]


def _densify(points: np.ndarray, step: float = 0.02) -> np.ndarray:
    """Points every `step` along a polyline, as a mouse reports them."""
    out = [points[:1]]
    for a, b in zip(points[:-1], points[1:]):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        out.append(a + (b - a) * np.linspace(0, 1, n + 1)[1:, None])
    return np.concatenate(out)


def _wobble(points: np.ndarray, amount: float) -> np.ndarray:
    """Smooth hand tremor: a low-pass random walk added along the path."""
    points = _densify(points)
    walk = np.cumsum(rng.normal(0, amount, points.shape), axis=0)
    kernel = np.ones(5) / 5
    smooth = np.stack([np.convolve(walk[:, i], kernel, mode="same") for i in range(2)], axis=1)
    return points + smooth - smooth.mean(axis=0)


def stroke_mask(digit: int) -> np.ndarray:
    """A mouse-drawn digit as a tight float mask with a random pen."""
    angle, shear, squeeze = rng.uniform(-0.2, 0.2), rng.uniform(-0.25, 0.25), rng.uniform(0.6, 1.1)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    affine = rot @ np.array([[squeeze, shear], [0.0, 1.0]])
    size, pen = 200, int(rng.uniform(0.05, 0.16) * 200)
    canvas = Image.new("L", (size + 2 * pen + 80, size + 2 * pen + 80), 0)
    draw = ImageDraw.Draw(canvas)
    for stroke in stroke_templates(digit):
        points = _wobble(np.array(stroke, dtype=np.float64), 0.008) @ affine.T
        xy = [(float(x * size + pen + 40 + size * 0.2), float(y * size + pen + 40)) for x, y in points]
        draw.line(xy, fill=255, width=pen, joint="curve")
        for x, y in (xy[0], xy[-1]):
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=255)
    return np.asarray(canvas.crop(canvas.getbbox()), dtype=np.float32) / 255.0


def place(mask: np.ndarray) -> np.ndarray:
    """Put a glyph mask at a random size and position in the frame, with random light and polarity."""
    big = SIDE * SCALE
    height = rng.uniform(0.35, 0.95) * big
    scale = min(height / mask.shape[0], 0.95 * big / mask.shape[1])
    w, h = max(1, round(mask.shape[1] * scale)), max(1, round(mask.shape[0] * scale))
    glyph = np.asarray(Image.fromarray(mask).resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)
    ink = np.zeros((big, big), dtype=np.float32)
    top, left = rng.integers(0, big - h + 1), rng.integers(0, big - w + 1)
    ink[top : top + h, left : left + w] = glyph
    ink = ink.reshape(SIDE, SCALE, SIDE, SCALE).mean(axis=(1, 3))
    background, contrast = rng.uniform(0.75, 1.0), rng.uniform(0.45, 0.75)
    if rng.random() < 0.3:
        ys, xs = np.mgrid[0:SIDE, 0:SIDE] / SIDE
        theta = rng.uniform(0, 2 * math.pi)
        background = background - rng.uniform(0.1, 0.3) * (xs * math.cos(theta) + ys * math.sin(theta) + 1) / 2
    page = background - contrast * ink
    if rng.random() < 0.5:
        page = 1.0 - page
    if rng.random() < 0.15:
        specks = rng.random((SIDE, SIDE)) < 0.004
        page = np.where(specks, rng.uniform(0, 1, (SIDE, SIDE)), page)
    return np.clip(np.rint(page * 255), 0, 255).astype(np.uint8)


def main() -> None:
    images, labels, sources, fonts = [], [], [], []
    for path in font_files():
        masks = glyph_masks(path)
        if masks is None:
            continue
        for digit, mask in enumerate(masks):
            images.append(place(mask))
            labels.append(digit)
            sources.append("font")
            fonts.append(path.stem)
    for digit in range(10):
        for _ in range(STROKES_PER_DIGIT):
            images.append(place(stroke_mask(digit)))
            labels.append(digit)
            sources.append("stroke")
            fonts.append("")
    out = ASSETS / "font_digits.npz"
    np.savez_compressed(
        out,
        images=np.stack(images),
        labels=np.array(labels, dtype=np.int64),
        source=np.array(sources),
        font=np.array(fonts),
    )
    print(
        f"wrote {len(images)} digits ({sources.count('font') // 10} font faces, "
        f"{sources.count('stroke')} strokes) to {out} ({out.stat().st_size / 1024:.0f} KiB)"
    )


if __name__ == "__main__":
    main()
