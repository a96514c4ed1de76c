"""Convolution arithmetic: output sizes, padding and a sliding-window stepper, all PyTorch-exact.

Each size function raises ``ValueError`` with a sentence a student understands exactly where
PyTorch refuses the configuration or would produce an empty output. ``convolve`` computes a whole
convolution at once (vectorised); ``window`` explains one output cell: patch, taps, products, sum.
``conv_transpose`` (transposed convolution, stepped two ways) lives in ``cnnviz.transposed`` and is
re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_NUMPY_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if int(value) != value or value < 1:
            raise ValueError(f"The {name.replace('_', ' ')} must be a whole number of at least 1 (got {value}).")


def _check_non_negative(**values: int) -> None:
    for name, value in values.items():
        if int(value) != value or value < 0:
            raise ValueError(f"The {name.replace('_', ' ')} must be a whole number of at least 0 (got {value}).")


def _no_window_fits(size: int, kernel: int, padding: int, dilation: int) -> ValueError:
    span = dilation * (kernel - 1) + 1
    return ValueError(
        f"No output: the padded input ({size} + 2·{padding} = {size + 2 * padding}) is smaller than "
        f"the dilated kernel ({dilation}·({kernel}−1)+1 = {span}), so the window never fits. "
        "Add padding, or use a smaller kernel or less dilation."
    )


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution along one axis, as torch.nn.functional.conv2d computes it."""
    _check_positive(input_size=size, kernel_size=kernel, stride=stride, dilation=dilation)
    _check_non_negative(padding=padding)
    if size + 2 * padding < dilation * (kernel - 1) + 1:
        raise _no_window_fits(size, kernel, padding, dilation)
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pool_output_size(
    size: int, kernel: int, stride: int | None = None, padding: int = 0, dilation: int = 1, ceil_mode: bool = False
) -> int:
    """Output length of max/avg pooling along one axis, as torch.nn.functional.max_pool2d computes it."""
    stride = kernel if stride is None else stride
    _check_positive(input_size=size, kernel_size=kernel, stride=stride, dilation=dilation)
    _check_non_negative(padding=padding)
    if padding > kernel // 2:
        raise ValueError(
            f"Pooling padding can be at most half the kernel ({kernel}//2 = {kernel // 2}); got {padding}. "
            "Padding wider than that would make windows that see only padding."
        )
    numerator = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-numerator // stride) if ceil_mode else numerator // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # the last window may not start inside the right padding
    if out < 1:
        raise _no_window_fits(size, kernel, padding, dilation)
    return out


def conv_transpose_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a transposed convolution along one axis, as conv_transpose2d computes it."""
    _check_positive(input_size=size, kernel_size=kernel, stride=stride, dilation=dilation)
    _check_non_negative(padding=padding, output_padding=output_padding)
    if output_padding >= max(stride, dilation):
        raise ValueError(
            f"Output padding ({output_padding}) must be smaller than the stride ({stride}) or the "
            f"dilation ({dilation}); it only picks among the sizes a strided convolution maps back from."
        )
    out = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if out < 1:
        raise ValueError(
            f"No output: ({size}−1)·{stride} + {dilation}·({kernel}−1) + {output_padding} + 1 = "
            f"{out + 2 * padding} is not more than the cropped padding 2·{padding} = {2 * padding}. "
            "Use less padding or a larger kernel or stride."
        )
    return out


def conv_output_formula(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> str:
    """LaTeX of the convolution size formula with the numbers substituted (and the result when valid)."""
    body = (
        rf"\left\lfloor \frac{{{size} + 2\cdot {padding} - {dilation}\cdot({kernel}-1) - 1}}"
        rf"{{{stride}}} \right\rfloor + 1"
    )
    return body + _result(lambda: conv_output_size(size, kernel, stride, padding, dilation))


def pool_output_formula(
    size: int, kernel: int, stride: int | None = None, padding: int = 0, dilation: int = 1, ceil_mode: bool = False
) -> str:
    """LaTeX of the pooling size formula (floor or ceil) with the numbers substituted."""
    stride = kernel if stride is None else stride
    left, right = (r"\lceil", r"\rceil") if ceil_mode else (r"\lfloor", r"\rfloor")
    body = (
        rf"\left{left} \frac{{{size} + 2\cdot {padding} - {dilation}\cdot({kernel}-1) - 1}}"
        rf"{{{stride}}} \right{right} + 1"
    )
    return body + _result(lambda: pool_output_size(size, kernel, stride, padding, dilation, ceil_mode))


def conv_transpose_output_formula(
    size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> str:
    """LaTeX of the transposed-convolution size formula with the numbers substituted."""
    body = (
        rf"({size}-1)\cdot {stride} - 2\cdot {padding} + {dilation}\cdot({kernel}-1) "
        rf"+ {output_padding} + 1"
    )
    return body + _result(lambda: conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation))


def _result(compute) -> str:
    try:
        return f" = {compute()}"
    except ValueError:
        return r" \;\text{(no valid output)}"


def pad(x: np.ndarray, padding: int, mode: str = "zeros") -> np.ndarray:
    """Pad the last two axes by `padding` on every side, as torch.nn.functional.pad does for `mode`."""
    if mode not in PADDING_MODES:
        raise ValueError(f"Unknown padding mode {mode!r}; choose one of {', '.join(PADDING_MODES)}.")
    _check_non_negative(padding=padding)
    height, width = x.shape[-2:]
    if mode == "reflect" and padding >= min(height, width):
        raise ValueError(
            f"Reflect padding must be smaller than the input ({height}×{width}); got {padding}. "
            "Reflection mirrors the pixels just inside the border without repeating the edge pixel, "
            f"so padding {padding} needs at least {padding + 1} pixels. Use less padding or another mode."
        )
    if mode == "circular" and padding > min(height, width):
        raise ValueError(
            f"Circular padding can be at most the input size ({height}×{width}); got {padding}. "
            "More would wrap around the image more than once. Use less padding or another mode."
        )
    widths = [(0, 0)] * (x.ndim - 2) + [(padding, padding)] * 2
    return np.pad(x, widths, mode=_NUMPY_PAD_MODES[mode])


@dataclass(frozen=True)
class Convolution:
    """A whole 2-D convolution: the padded input, the filters and every output value."""

    padded: np.ndarray  # (C, H + 2p, W + 2p)
    weight: np.ndarray  # (F, C, kh, kw)
    bias: np.ndarray  # (F,)
    stride: int
    padding: int
    dilation: int
    padding_mode: str
    output: np.ndarray  # (F, out_h, out_w)

    @property
    def positions(self) -> int:
        """How many places the window visits (output cells per filter)."""
        return self.output.shape[1] * self.output.shape[2]

    def cell(self, position: int) -> tuple[int, int]:
        """The output (row, col) the window fills at step `position` (row-major order)."""
        if not 0 <= position < self.positions:
            raise ValueError(f"Step {position} is outside 0..{self.positions - 1}.")
        return divmod(position, self.output.shape[2])


def first_ink(result: Convolution) -> int:
    """The first window position (row by row) whose patch holds a non-zero value: where a digit's ink begins.

    On a digit the first hundred windows cover the black corner and all write the same zero; a class
    wants to start where something happens. 0 when every patch is all zeros."""
    ink = (result.padded != 0).any(axis=0).astype(np.float64)
    taps = np.ones(result.weight.shape[-2:])
    touched = convolve(ink, taps, stride=result.stride, dilation=result.dilation).output[0]
    found = np.flatnonzero(touched.ravel() > 0)
    return int(found[0]) if found.size else 0


@dataclass(frozen=True)
class Window:
    """One step of the sliding window: what it sees, what it multiplies and the cell it fills."""

    position: int
    row: int  # output cell
    col: int
    filter: int
    rows: np.ndarray  # (kh,) padded-input row of each tap
    cols: np.ndarray  # (kw,) padded-input column of each tap
    patch: np.ndarray  # (C, kh, kw) input values under the taps
    kernel: np.ndarray  # (C, kh, kw)
    products: np.ndarray  # (C, kh, kw)
    channel_sums: np.ndarray  # (C,)
    bias: float
    value: float  # sum of products + bias = output[filter, row, col]


def _as_chw(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        return image[None]
    if image.ndim != 3:
        raise ValueError(f"The input must be H×W or C×H×W; got shape {image.shape}.")
    return image


def _as_fckk(weight: np.ndarray, channels: int) -> np.ndarray:
    weight = np.asarray(weight, dtype=np.float64)
    if weight.ndim == 2:
        weight = np.broadcast_to(weight, (1, channels, *weight.shape))
    if weight.ndim != 4 or weight.shape[1] != channels:
        raise ValueError(
            f"Each filter needs one kernel slice per input channel ({channels}); got weights of shape "
            f"{weight.shape} (expected filters×{channels}×kh×kw)."
        )
    return weight


def convolve(
    image: np.ndarray,
    weight: np.ndarray,
    bias: float | np.ndarray | None = None,
    *,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    padding_mode: str = "zeros",
) -> Convolution:
    """Convolve (cross-correlate, like PyTorch) an H×W or C×H×W input with a 2-D kernel or F×C×kh×kw filters."""
    x = _as_chw(image)
    w = _as_fckk(weight, x.shape[0])
    b = np.broadcast_to(np.asarray(0.0 if bias is None else bias, dtype=np.float64), (w.shape[0],))
    out_h = conv_output_size(x.shape[1], w.shape[2], stride, padding, dilation)
    out_w = conv_output_size(x.shape[2], w.shape[3], stride, padding, dilation)
    padded = pad(x, padding, padding_mode)
    taps = _taps(padded, w.shape[2:], stride, dilation, (out_h, out_w))
    output = np.einsum("chwij,fcij->fhw", taps, w, optimize=True) + b[:, None, None]
    return Convolution(padded, w, b.copy(), stride, padding, dilation, padding_mode, output)


def _taps(padded: np.ndarray, kernel: tuple[int, int], stride: int, dilation: int, out: tuple[int, int]) -> np.ndarray:
    """A (C, out_h, out_w, kh, kw) view of the input under every window's taps (no copy)."""
    span = (dilation * (kernel[0] - 1) + 1, dilation * (kernel[1] - 1) + 1)
    views = sliding_window_view(padded, span, axis=(1, 2))  # (C, H', W', span_h, span_w)
    return views[:, : (out[0] - 1) * stride + 1 : stride, : (out[1] - 1) * stride + 1 : stride, ::dilation, ::dilation]


def channel_contributions(conv: Convolution, filter: int = 0) -> np.ndarray:
    """(C, out_h, out_w): what each input channel adds to one filter's map (they sum, plus bias, to it)."""
    taps = _taps(conv.padded, conv.weight.shape[2:], conv.stride, conv.dilation, conv.output.shape[1:])
    return np.einsum("chwij,cij->chw", taps, conv.weight[filter], optimize=True)


def window(conv: Convolution, position: int, filter: int = 0) -> Window:
    """Explain one output cell: the taps the dilated kernel covers, their products and the sum."""
    row, col = conv.cell(position)
    kh, kw = conv.weight.shape[2:]
    rows = row * conv.stride + conv.dilation * np.arange(kh)
    cols = col * conv.stride + conv.dilation * np.arange(kw)
    patch = conv.padded[:, rows[:, None], cols[None, :]]
    kernel = conv.weight[filter]
    products = patch * kernel
    channel_sums = products.sum(axis=(1, 2))
    bias = float(conv.bias[filter])
    return Window(
        position,
        row,
        col,
        filter,
        rows,
        cols,
        patch,
        kernel,
        products,
        channel_sums,
        bias,
        float(channel_sums.sum() + bias),
    )


def format_number(value: float) -> str:
    """A short, exact-looking number: integers without decimals, others to 4 significant digits."""
    value = round(float(value), 9)  # float noise such as 1/3+1/3+1/3-1 = 1e-16 reads as 0
    if value.is_integer():
        return str(int(value))
    return f"{value:.4g}"


def window_equation(win: Window, channel: int | None = None, max_terms: int = 49) -> str:
    """The multiply-and-sum written out with the actual numbers, e.g. `(1×-1) + (0×0) + 0.5 = 4`."""
    channels = range(win.patch.shape[0]) if channel is None else [channel]
    terms = [
        f"({format_number(p)}×{format_number(k)})"
        for c in channels
        for p, k in zip(win.patch[c].ravel(), win.kernel[c].ravel())
    ]
    if len(terms) > max_terms:
        terms = terms[: max_terms - 1] + [f"… {len(terms) - max_terms + 1} more"]
    total = win.channel_sums[channel] if channel is not None else win.value
    bias = ""
    if channel is None and win.bias:
        bias = f" {'-' if win.bias < 0 else '+'} {format_number(abs(win.bias))}"
    return " + ".join(terms) + bias + f" = {format_number(total)}"


_TRANSPOSED = {"conv_transpose", "TransposedConvolution", "Scatter", "scatter_step", "cell_equation"}


def __getattr__(name: str):
    """conv.conv_transpose and its results live in cnnviz.transposed, which builds on this module."""
    if name in _TRANSPOSED:
        from cnnviz import transposed

        return getattr(transposed, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
