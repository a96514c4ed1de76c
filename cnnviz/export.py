"""The sliding window as an animated GIF, for slides and handouts: Pillow only, no browser.

One frame per window position, labelled "Step k of n": the input grid (convolution: grey levels, padding
on the same scale, hatched and fenced; pooling: its colour scale, padding blank and hatched), the window
outlined where it stands, and the output filling in cell by cell. The colours are the figures' own
(cnnviz.figures.palette), drawn in palette mode with one fixed palette, so each colour is exact and
the file stays small. Refused with a ValueError that says what to change: a sweep with more window
positions than `max_frames` (a GIF that stopped half way would show half the picture) and multi-channel
(colour) convolutions (a GIF shows one channel; the playground steps through colour filters).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cnnviz.conv import Convolution, format_number
from cnnviz.figures import palette
from cnnviz.pooling import PoolResult

MAX_FRAMES = 900  # a 28×28 digit with "same" padding (784 positions) fits
MAX_WIDTH = 900  # px; the automatic cell size keeps a frame within it (down to the smallest cell)
CELL_RANGE = (4, 48)  # px per grid cell
MARGIN, TITLE, CAPTION = 12, 34, 22  # px
TEXT_CELL = 30  # print values in cells at least this many px wide
SWEEP_SECONDS = 30  # the automatic frame time plays a whole sweep in about this long
LAST_FRAME_MS = 2000  # hold the finished output before the GIF loops

# palette indices: fixed colours, then three 64-level ramps
BACKGROUND, INK, WHITE, WINDOW, PADDING, GRID, BLANK = range(7)
FIXED = ("#ffffff", palette.BLACK, "#ffffff", palette.HIGHLIGHT, palette.PADDING, "#d0d0d0", "#f2f2f2")
LEVELS = 64
RAMPS = {"pixels": palette.PIXELS_STOPS, "diverging": palette.DIVERGING_STOPS, "magnitude": palette.MAGNITUDE_STOPS}
RAMP_START = {name: 16 + k * LEVELS for k, name in enumerate(RAMPS)}


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _palette() -> list[int]:
    colours = np.zeros((256, 3))
    colours[: len(FIXED)] = [_rgb(c) for c in FIXED]
    for name, stops in RAMPS.items():
        colours[RAMP_START[name] : RAMP_START[name] + LEVELS] = palette.ramp(stops, LEVELS)
    return colours.astype(np.uint8).ravel().tolist()


PALETTE = _palette()


def _indices(values: np.ndarray, reference: np.ndarray, sequential: str) -> np.ndarray:
    """Palette index per cell, scaled like the figures' colour_scale: zero-centred diverging when any
    reference value is negative, else the sequential ramp from min to max. NaN -> BLANK."""
    finite = reference[np.isfinite(reference)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    ramp = sequential
    if low < 0:
        ramp, bound = "diverging", max(-low, high)
        low, high = -bound, bound
    span = high - low if high > low else 1.0
    level = np.clip(np.round((np.nan_to_num(values, nan=low) - low) / span * (LEVELS - 1)), 0, LEVELS - 1)
    return np.where(np.isnan(values), BLANK, RAMP_START[ramp] + level.astype(int))


@dataclass(frozen=True)
class Layout:
    """Where things sit in a frame (px): the two grids' top-left corners and the cell size."""

    cell: int
    input_origin: tuple[int, int]  # x, y
    output_origin: tuple[int, int]
    size: tuple[int, int]  # width, height

    def box(self, origin: tuple[int, int], rows: range, cols: range) -> tuple[int, int, int, int]:
        """The pixel rectangle (x0, y0, x1, y1, inclusive) around grid cells rows × cols of a panel."""
        x, y = origin
        return (
            x + cols[0] * self.cell,
            y + rows[0] * self.cell,
            x + cols[-1] * self.cell + self.cell - 1,
            y + rows[-1] * self.cell + self.cell - 1,
        )


def layout(input_shape: tuple[int, int], output_shape: tuple[int, int], cell: int | None = None) -> Layout:
    """Input grid left, output grid right, a title band and captions above; cells as large as fit MAX_WIDTH."""
    gap = 2 * MARGIN + 8
    if cell is None:
        cell = (MAX_WIDTH - 2 * MARGIN - gap) // (input_shape[1] + output_shape[1])
        cell = min(max(cell, CELL_RANGE[0]), CELL_RANGE[1])
    if not CELL_RANGE[0] <= cell <= CELL_RANGE[1]:
        raise ValueError(f"The cell size must be {CELL_RANGE[0]} to {CELL_RANGE[1]} pixels; got {cell}.")
    top = MARGIN + TITLE + CAPTION
    output_x = MARGIN + input_shape[1] * cell + gap
    width = output_x + output_shape[1] * cell + MARGIN
    height = top + max(input_shape[0], output_shape[0]) * cell + MARGIN
    return Layout(cell, (MARGIN, top), (output_x, top), (width, height))


@dataclass(frozen=True)
class _Sweep:
    """What a GIF shows, whatever slid: the grid and where the window stands at each step, the map it fills."""

    grid: np.ndarray  # palette indices (H, W), padding included
    grid_text: list[list[str]]
    padding: np.ndarray  # bool (H, W)
    fence: tuple[range, range] | None  # the real image's rows and cols inside the grid
    windows: list[tuple[np.ndarray, np.ndarray]]  # per step: grid rows and cols under the window
    outputs: np.ndarray  # palette indices (out_h, out_w)
    output_text: list[list[str]]
    captions: tuple[str, str]
    notes: list[str]  # per step, after "Step k of n: "


def _check_frames(positions: int, max_frames: int) -> None:
    if positions > max_frames:
        raise ValueError(
            f"This sweep has {positions:,} window positions; a GIF holds at most {max_frames:,} frames. "
            "Use a larger stride or a smaller input."
        )


def convolution_gif(
    result: Convolution,
    *,
    filter: int = 0,
    cell: int | None = None,
    max_frames: int = MAX_FRAMES,
    frame_ms: int | None = None,
) -> bytes:
    """The window sliding over a single-channel input, one frame per position, the output filling in."""
    channels = result.padded.shape[0]
    if channels != 1:
        raise ValueError(
            f"A GIF shows a single-channel convolution; this one has {channels} input channels. "
            "Use a grey input, or step through the colour filters on the page."
        )
    _check_frames(result.positions, max_frames)
    p, image, output = result.padding, result.padded[0], result.output[filter]
    h, w = image.shape[0] - 2 * p, image.shape[1] - 2 * p
    padding = np.ones(image.shape, dtype=bool)
    padding[p : p + h, p : p + w] = False
    kh, kw = result.weight.shape[2:]
    windows = []
    for position in range(result.positions):
        row, col = result.cell(position)
        windows.append(
            (
                row * result.stride + result.dilation * np.arange(kh),
                col * result.stride + result.dilation * np.arange(kw),
            )
        )
    sweep = _Sweep(
        grid=_indices(image, image[p : p + h, p : p + w], "pixels"),
        grid_text=[[format_number(v) for v in row] for row in image],
        padding=padding,
        fence=(range(p, p + h), range(p, p + w)) if p else None,
        windows=windows,
        outputs=_indices(output, output, "pixels"),
        output_text=[[format_number(v) for v in row] for row in output],
        captions=(
            f"input {h} x {w}" + (f" + padding {p} (hatched)" if p else ""),
            f"output {output.shape[0]} x {output.shape[1]}",
        ),
        notes=[
            f"output ({r}, {c}) = {format_number(output[r, c])}" for r, c in map(result.cell, range(result.positions))
        ],
    )
    return _gif(sweep, layout(image.shape, output.shape, cell), frame_ms)


def pooling_gif(
    result: PoolResult, *, cell: int | None = None, max_frames: int = MAX_FRAMES, frame_ms: int | None = None
) -> bytes:
    """The pooling window stepping over the map, one frame per position, the pooled map filling in."""
    _check_frames(len(result.windows), max_frames)
    p = result.padding
    grid = np.pad(result.input, p, constant_values=np.nan)
    h, w = result.input.shape
    sweep = _Sweep(
        grid=_indices(grid, result.input, "magnitude"),
        grid_text=[["" if np.isnan(v) else f"{v:.3g}" for v in row] for row in grid],
        padding=np.isnan(grid),
        fence=(range(p, p + h), range(p, p + w)) if p else None,
        windows=[
            (win.row_start + p + np.arange(result.kernel), win.col_start + p + np.arange(result.kernel))
            for win in result.windows
        ],
        outputs=_indices(result.output, result.input, "magnitude"),
        output_text=[[f"{v:.3g}" for v in row] for row in result.output],
        captions=(
            f"input {h} x {w}" + (f" + padding {p} (hatched)" if p else ""),
            f"{result.mode} pooled {result.output.shape[0]} x {result.output.shape[1]}",
        ),
        notes=[win.explain(result.mode) for win in result.windows],
    )
    return _gif(sweep, layout(grid.shape, result.output.shape, cell), frame_ms)


@functools.lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's own font, the same on every machine (it has no "×": captions say "5 x 5")."""
    return ImageFont.load_default(size=size)


def _text_colour(index: int) -> int:
    """Black on light cells, white on dark ones."""
    r, g, b = PALETTE[3 * index : 3 * index + 3]
    return INK if 0.299 * r + 0.587 * g + 0.114 * b > 140 else WHITE


def _cell(
    draw: ImageDraw.ImageDraw, at: Layout, origin: tuple[int, int], r: int, c: int, index: int, text: str
) -> None:
    """One cell in its colour with a light grid line, its value written in when the cell is large enough."""
    box = at.box(origin, range(r, r + 1), range(c, c + 1))
    draw.rectangle(box, fill=index, outline=GRID)
    if text and at.cell >= TEXT_CELL:
        centre = ((box[0] + box[2] + 1) / 2, (box[1] + box[3] + 1) / 2)
        draw.text(centre, text, fill=_text_colour(index), font=_font(at.cell // 3), anchor="mm")


def _grid(draw: ImageDraw.ImageDraw, at: Layout, origin: tuple[int, int], colours: np.ndarray, text) -> None:
    for (r, c), index in np.ndenumerate(colours):
        _cell(draw, at, origin, r, c, int(index), text[r][c] if text else "")


def _hatch(draw: ImageDraw.ImageDraw, at: Layout, padding: np.ndarray) -> None:
    """One diagonal per padding cell (bottom-left to top-right), as in the figures."""
    for r, c in zip(*np.nonzero(padding)):
        x0, y0, x1, y1 = at.box(at.input_origin, range(r, r + 1), range(c, c + 1))
        draw.line([(x0, y1), (x1, y0)], fill=PADDING, width=1)


def _dashed_box(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour: int, dash: int = 6) -> None:
    x0, y0, x1, y1 = box
    for a in range(x0, x1, 2 * dash):
        draw.line([(a, y0), (min(a + dash, x1), y0)], fill=colour, width=2)
        draw.line([(a, y1), (min(a + dash, x1), y1)], fill=colour, width=2)
    for a in range(y0, y1, 2 * dash):
        draw.line([(x0, a), (x0, min(a + dash, y1))], fill=colour, width=2)
        draw.line([(x1, a), (x1, min(a + dash, y1))], fill=colour, width=2)


def _background(sweep: _Sweep, at: Layout) -> Image.Image:
    """Everything that stays put: captions, the whole input, an empty output grid."""
    frame = Image.new("P", at.size, BACKGROUND)
    frame.putpalette(PALETTE)
    draw = ImageDraw.Draw(frame)
    font = _font(14)
    for origin, caption in zip((at.input_origin, at.output_origin), sweep.captions):
        draw.text((origin[0], origin[1] - 4), caption, fill=INK, font=font, anchor="ld")
    _grid(draw, at, at.input_origin, sweep.grid, sweep.grid_text)
    _hatch(draw, at, sweep.padding)
    if sweep.fence is not None:
        _dashed_box(draw, at.box(at.input_origin, *sweep.fence), PADDING)
    _grid(draw, at, at.output_origin, np.full(sweep.outputs.shape, BLANK), None)
    return frame


def _gif(sweep: _Sweep, at: Layout, frame_ms: int | None) -> bytes:
    """Draw every frame on top of the background and the output filled so far; encode as a looping GIF."""
    steps = len(sweep.windows)
    frame_ms = frame_ms or int(min(600, max(60, SWEEP_SECONDS * 1000 // steps)))
    filled = _background(sweep, at)
    fill = ImageDraw.Draw(filled)
    out_w = sweep.outputs.shape[1]
    title_font = _font(18)
    frames = []
    for step, (rows, cols) in enumerate(sweep.windows):
        r, c = divmod(step, out_w)
        _cell(fill, at, at.output_origin, r, c, int(sweep.outputs[r, c]), sweep.output_text[r][c])
        frame = filled.copy()
        draw = ImageDraw.Draw(frame)
        title = f"Step {step + 1} of {steps}: {sweep.notes[step]}"
        if title_font.getlength(title) > at.size[0] - 2 * MARGIN:  # a long sum on a small grid: the step alone
            title = f"Step {step + 1} of {steps}"
        draw.text((MARGIN, MARGIN), title, fill=INK, font=title_font)
        span = (range(int(rows.min()), int(rows.max()) + 1), range(int(cols.min()), int(cols.max()) + 1))
        draw.rectangle(at.box(at.input_origin, *span), outline=WINDOW, width=3)
        if (np.diff(rows) > 1).any() or (np.diff(cols) > 1).any():  # dilated: mark the taps
            for tr in rows:
                for tc in cols:
                    draw.rectangle(at.box(at.input_origin, range(tr, tr + 1), range(tc, tc + 1)), outline=WINDOW)
        draw.rectangle(at.box(at.output_origin, range(r, r + 1), range(c, c + 1)), outline=WINDOW, width=3)
        frames.append(frame)
    buffer = io.BytesIO()
    durations = [frame_ms] * (steps - 1) + [LAST_FRAME_MS]
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return buffer.getvalue()
