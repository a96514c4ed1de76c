"""Transposed convolution ("deconvolution"), PyTorch-exact, in the two views a student can step through.

Scatter: each input cell paints a copy of the kernel, weighted by its value, into the output, the
copies `stride` apart; where copies overlap they add up. `padding` then crops that many rows and
columns from every side, and `output_padding` adds rows and columns at the bottom and right.

As an ordinary convolution: insert stride − 1 zeros between input cells, add a border of
dilation·(k − 1) − padding zeros on each side (a negative border crops), output_padding more zeros
at the bottom and right, then slide the kernel, flipped and with in and out channels swapped, over
that with stride 1. Both views give the same numbers as ``torch.nn.functional.conv_transpose2d``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.conv import Convolution, conv_output_size, conv_transpose_output_size, convolve, format_number

# Where each cell of the view-2 input comes from (codes grow with how far a cell is from the input).
INPUT, INSERTED, BORDER, OUTPUT_PADDING = range(4)
ROLE_NAMES = ("input value", "inserted zero (stride)", "border zero", "output_padding zero")

# The tutorial's DeconvNetwork: two ConvTranspose2d(kernel_size=3, stride=2, padding=1) layers.
TUTORIAL_LAYERS = ({"kernel": 3, "stride": 2, "padding": 1}, {"kernel": 3, "stride": 2, "padding": 1})


@dataclass(frozen=True)
class TransposedConvolution:
    """A whole transposed convolution: the input, PyTorch-layout weights, the painted canvas, the output."""

    input: np.ndarray  # (C_in, H, W)
    weight: np.ndarray  # (C_in, C_out, kh, kw), as torch.nn.ConvTranspose2d stores it
    bias: np.ndarray  # (C_out,)
    stride: int
    padding: int
    output_padding: int
    dilation: int
    canvas: np.ndarray  # (C_out, Hc, Wc): every painted copy added up, before `padding` crops it (no bias);
    # canvas row r is output row r − padding
    output: np.ndarray  # (C_out, H', W'), like convolve's output
    as_convolution: Convolution  # view 2: stride-1 convolution of the zero-inserted, bordered input

    @property
    def steps(self) -> int:
        """How many copies the scatter view paints: one per input cell."""
        return self.input.shape[1] * self.input.shape[2]

    def cell(self, position: int) -> tuple[int, int]:
        """The input (row, col) that paints at step `position` (row-major order)."""
        if not 0 <= position < self.steps:
            raise ValueError(f"Step {position} is outside 0..{self.steps - 1}.")
        return divmod(position, self.input.shape[2])

    @property
    def border(self) -> tuple[int, int]:
        """Zeros added on the top and left of the zero-inserted input in view 2, per axis (negative: cropped)."""
        kh, kw = self.weight.shape[2:]
        return self.dilation * (kh - 1) - self.padding, self.dilation * (kw - 1) - self.padding


@dataclass(frozen=True)
class Scatter:
    """One step of the scatter view: an input cell paints its weighted kernel copy into the output."""

    position: int
    row: int  # input cell
    col: int
    values: np.ndarray  # (C_in,) the input cell's value in every channel
    rows: np.ndarray  # (kh,) output row of each kernel row (outside 0..H'-1: cropped away by padding)
    cols: np.ndarray  # (kw,)
    painted: np.ndarray  # (C_out, kh, kw) the copy: sum over channels of value × kernel
    before: np.ndarray  # (C_out, Hc, Wc) canvas before this step
    after: np.ndarray  # (C_out, Hc, Wc) canvas after it


def _as_chw(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        image = image[None]
    if image.ndim != 3 or image.shape[0] < 1:
        raise ValueError(f"The input must be H×W or C×H×W; got shape {image.shape}.")
    return image


def _as_weight(weight: np.ndarray, channels: int) -> np.ndarray:
    """PyTorch's transposed layout (C_in, C_out, kh, kw); a 2-D kernel makes one output map from every channel."""
    weight = np.asarray(weight, dtype=np.float64)
    if weight.ndim == 2:
        weight = np.broadcast_to(weight, (channels, 1, *weight.shape))
    if weight.ndim != 4 or weight.shape[0] != channels or weight.shape[1] < 1:
        raise ValueError(
            f"The weights must be a kh×kw kernel or in PyTorch's transposed layout (in channels, out channels, "
            f"kh, kw) with {channels} input channel(s); got shape {weight.shape}."
        )
    return weight


def conv_transpose(
    image: np.ndarray,
    weight: np.ndarray,
    bias: float | np.ndarray | None = None,
    *,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> TransposedConvolution:
    """Transposed convolution of an H×W or C_in×H×W input, as torch.nn.functional.conv_transpose2d computes it."""
    x = _as_chw(image)
    w = _as_weight(weight, x.shape[0])
    kh, kw = w.shape[2:]
    out_h = conv_transpose_output_size(x.shape[1], kh, stride, padding, output_padding, dilation)
    out_w = conv_transpose_output_size(x.shape[2], kw, stride, padding, output_padding, dilation)
    stride, padding, output_padding, dilation = int(stride), int(padding), int(output_padding), int(dilation)
    b = np.broadcast_to(np.asarray(0.0 if bias is None else bias, dtype=np.float64), (w.shape[1],)).copy()
    canvas = _scatter_add(x, w, stride, dilation, (padding + out_h, padding + out_w))
    output = canvas[:, padding : padding + out_h, padding : padding + out_w] + b[:, None, None]
    view2 = _as_convolution(x, w, b, stride, padding, output_padding, dilation)
    return TransposedConvolution(x, w, b, stride, padding, output_padding, dilation, canvas, output, view2)


def _full_size(size: int, kernel: int, stride: int, dilation: int) -> int:
    """Rows the painted copies cover before padding crops them: (H − 1)·stride + dilation·(k − 1) + 1."""
    return (size - 1) * stride + dilation * (kernel - 1) + 1


def _scatter_add(x: np.ndarray, w: np.ndarray, stride: int, dilation: int, shape: tuple[int, int]) -> np.ndarray:
    """Add every input cell's weighted kernel copy into a canvas of at least `shape` (one pass per kernel tap).

    The canvas holds every painted cell, also those that padding crops away at the bottom and right.
    """
    (_, h, wd), (kh, kw) = x.shape, w.shape[2:]
    rows = max(shape[0], _full_size(h, kh, stride, dilation))
    cols = max(shape[1], _full_size(wd, kw, stride, dilation))
    canvas = np.zeros((w.shape[1], rows, cols))
    copies = np.einsum("chw,coij->oijhw", x, w)  # (C_out, kh, kw, H, W)
    for i in range(kh):
        for j in range(kw):
            r, c = i * dilation, j * dilation
            canvas[:, r : r + (h - 1) * stride + 1 : stride, c : c + (wd - 1) * stride + 1 : stride] += copies[:, i, j]
    return canvas


def _border(x: np.ndarray, before: tuple[int, int], after: tuple[int, int]) -> np.ndarray:
    """Add zeros around the last two axes; a negative amount crops that many rows or columns instead."""
    widths = [(0, 0)] * (x.ndim - 2) + [(max(0, b), max(0, a)) for b, a in zip(before, after)]
    padded = np.pad(x, widths)
    h, w = padded.shape[-2:]
    top, left = max(0, -before[0]), max(0, -before[1])
    return padded[..., top : h - max(0, -after[0]), left : w - max(0, -after[1])]


def zero_insert(x: np.ndarray, stride: int) -> np.ndarray:
    """Put stride − 1 zeros between neighbouring cells of the last two axes."""
    h, w = x.shape[-2:]
    out = np.zeros((*x.shape[:-2], (h - 1) * stride + 1, (w - 1) * stride + 1))
    out[..., ::stride, ::stride] = x
    return out


def _as_convolution(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, padding: int, output_padding: int, dilation: int
) -> Convolution:
    """View 2: zero-insert, border (or crop), output_padding at the bottom and right, flipped swapped kernel."""
    kh, kw = w.shape[2:]
    before = (dilation * (kh - 1) - padding, dilation * (kw - 1) - padding)
    after = (before[0] + output_padding, before[1] + output_padding)
    bordered = _border(zero_insert(x, stride), before, after)
    flipped = np.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])  # (C_out, C_in, kh, kw)
    return convolve(bordered, flipped, b, dilation=dilation)


def _axis_roles(size: int, stride: int, before: int, output_padding: int) -> np.ndarray:
    """What each row (or column) of the view-2 input is, from its place in the zero-inserted input."""
    inserted = (size - 1) * stride + 1
    u = np.arange(inserted + 2 * before + output_padding) - before  # index in the zero-inserted input
    roles = np.where(u % stride == 0, INPUT, INSERTED)
    roles = np.where((u < 0) | (u >= inserted), BORDER, roles)
    return np.where(u >= inserted + max(0, before), OUTPUT_PADDING, roles)


def view2_roles(result: TransposedConvolution) -> np.ndarray:
    """(H2, W2) codes INPUT, INSERTED, BORDER or OUTPUT_PADDING for every cell of the view-2 input."""
    (_, h, w), (bh, bw) = result.input.shape, result.border
    rows = _axis_roles(h, result.stride, bh, result.output_padding)
    cols = _axis_roles(w, result.stride, bw, result.output_padding)
    return np.maximum(rows[:, None], cols[None, :])


def partial_canvas(result: TransposedConvolution, steps: int) -> np.ndarray:
    """The canvas after the first `steps` input cells have painted (row-major), without bias."""
    mask = (np.arange(result.steps) < steps).reshape(result.input.shape[1:])
    return _scatter_add(result.input * mask, result.weight, result.stride, result.dilation, result.canvas.shape[1:])


def scatter_step(result: TransposedConvolution, position: int) -> Scatter:
    """Explain one step of the scatter view: which input cell paints what where, and the canvas around it."""
    row, col = result.cell(position)
    kh, kw = result.weight.shape[2:]
    values = result.input[:, row, col]
    painted = np.einsum("c,coij->oij", values, result.weight)
    rows = row * result.stride + result.dilation * np.arange(kh) - result.padding
    cols = col * result.stride + result.dilation * np.arange(kw) - result.padding
    before = partial_canvas(result, position)
    return Scatter(position, row, col, values, rows, cols, painted, before, partial_canvas(result, position + 1))


def contributions(
    result: TransposedConvolution, row: int, col: int, channel: int = 0, steps: int | None = None
) -> list[tuple[float, float]]:
    """The (input value, weight) pairs an output cell adds up, from the first `steps` input cells (all if None)."""
    (c_in, h, w), (kh, kw) = result.input.shape, result.weight.shape[2:]
    steps = result.steps if steps is None else steps
    pairs = []
    for i, j in _sources(row + result.padding, h, kh, result.stride, result.dilation):
        for k, m in _sources(col + result.padding, w, kw, result.stride, result.dilation):
            if i * w + k < steps:
                pairs += [(float(result.input[c, i, k]), float(result.weight[c, channel, j, m])) for c in range(c_in)]
    return pairs


def _sources(canvas_index: int, size: int, kernel: int, stride: int, dilation: int) -> list[tuple[int, int]]:
    """(input index, kernel tap) pairs that paint one canvas row (or column), input order."""
    hits = []
    for tap in range(kernel):
        offset = canvas_index - tap * dilation
        if offset >= 0 and offset % stride == 0 and offset // stride < size:
            hits.append((offset // stride, tap))
    return sorted(hits)


def cell_equation(result: TransposedConvolution, row: int, col: int, channel: int = 0, steps: int | None = None) -> str:
    """An output cell's sum written out, e.g. `out[1, 2] = (2×1) + (3×0) = 2` (bias once every copy is in)."""
    pairs = contributions(result, row, col, channel, steps)
    terms = [f"({format_number(v)}×{format_number(k)})" for v, k in pairs]
    total = sum(v * k for v, k in pairs)
    bias = result.bias[channel] if steps is None or steps >= result.steps else 0.0
    if bias:
        terms.append(f"{format_number(bias)} (bias)")
    body = " + ".join(terms) if terms else "nothing painted here yet" if steps is not None else "no copy reaches it"
    return f"out[{row}, {col}] = {body} = {format_number(total + bias)}"


def forward_sizes(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> list[int]:
    """Every input size that a Conv2d with these settings maps to `size`: output_padding picks one of them."""
    low = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1
    return [
        n for n in range(max(1, low), low + stride) if conv_output_size(n, kernel, stride, padding, dilation) == size
    ]


def chain_shapes(size: int, layers: list[dict] | tuple[dict, ...]) -> list[int]:
    """The side length before and after each transposed layer (kernel, stride, padding, output_padding, dilation)."""
    sizes = [size]
    for layer in layers:
        sizes.append(conv_transpose_output_size(sizes[-1], **layer))
    return sizes


def chain_outputs(image: np.ndarray, kernel: np.ndarray, layers: list[dict] | tuple[dict, ...]) -> list[np.ndarray]:
    """The map before and after each transposed layer of a chain, every layer with the same kernel."""
    maps = [np.asarray(image, dtype=np.float64)]
    for layer in layers:
        settings = {k: v for k, v in layer.items() if k != "kernel"}
        maps.append(conv_transpose(maps[-1], kernel, **settings).output[0])
    return maps


def size_story(size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int) -> list[str]:
    """What the output size means: the convolution whose shape it inverts, and what output_padding chose."""
    out = conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation)
    sizes = forward_sizes(size, kernel, stride, padding, dilation)
    forward = f"Conv2d(kernel_size={kernel}, stride={stride}, padding={padding}, dilation={dilation})"
    back = conv_output_size(out, kernel, stride, padding, dilation)
    if back == size:
        lines = [f"It inverts the shape of `{forward}`, which maps {out} back to {size}."]
    else:
        lines = [
            f"`{forward}` maps {out} to {back}, not {size}: output_padding {output_padding} is not smaller than the "
            f"stride, which PyTorch allows only because the dilation ({dilation}) is larger."
        ]
    if len(sizes) > 1:
        picks = ", ".join(f"{op} → {n}" for op, n in enumerate(sizes))
        lines.append(
            f"Under stride {stride} that convolution maps every size in {{{', '.join(map(str, sizes))}}} to {size} "
            f"(the floor drops the rest), so the transposed layer cannot tell which one it came from. "
            f"output_padding picks it: {picks}."
        )
    else:
        lines.append(f"Only {sizes[0]} maps to {size}, so there is nothing for output_padding to choose.")
    return lines


def view2_story(result: TransposedConvolution) -> list[str]:
    """View 2's recipe with this result's numbers: insert zeros, border or crop, output_padding, flipped kernel."""
    (c_in, h, w), (kh, kw) = result.input.shape, result.weight.shape[2:]
    s, p, op, d = result.stride, result.padding, result.output_padding, result.dilation
    inserted = ((h - 1) * s + 1, (w - 1) * s + 1)
    bh, bw = result.border
    bordered = result.as_convolution.padded.shape[1:]
    border = f"{d}·({kh}−1) − {p} = {bh}"
    if kw != kh:
        border += f" (rows), {d}·({kw}−1) − {p} = {bw} (columns)"
    crop = min(bh, bw) < 0
    flip = "flipped (rows and columns reversed)" + (", in and out channels swapped" if c_in > 1 else "")
    return [
        f"Insert stride − 1 = {_count(s - 1, 'zero')} between neighbouring cells: "
        f"{h}×{w} → {inserted[0]}×{inserted[1]}.",
        f"A border of dilation·(k − 1) − padding = {border} zeros on each side"
        + (" (negative: that many rows and columns are cropped instead)" if crop else "")
        + f"; output_padding adds {op} more at the bottom and right only → {bordered[0]}×{bordered[1]}.",
        f"Slide the kernel, {flip}, over it with stride 1"
        + (f" and dilation {d}" if d > 1 else "")
        + f": {_count(result.as_convolution.positions, 'window position')}, one per output cell.",
    ]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
