"""Convolution arithmetic: output sizes (PyTorch's exact semantics) and their filled-in formulas.

Each size function raises ``ValueError`` with a sentence a student understands exactly where
PyTorch refuses the configuration or would produce an empty output.
"""

from __future__ import annotations

import math


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


def pool_output_size(size: int, kernel: int, stride: int | None = None, padding: int = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
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


def conv_transpose_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0, dilation: int = 1) -> int:
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
    body = (rf"\left\lfloor \frac{{{size} + 2\cdot {padding} - {dilation}\cdot({kernel}-1) - 1}}"
            rf"{{{stride}}} \right\rfloor + 1")
    return body + _result(lambda: conv_output_size(size, kernel, stride, padding, dilation))


def pool_output_formula(size: int, kernel: int, stride: int | None = None, padding: int = 0,
                        dilation: int = 1, ceil_mode: bool = False) -> str:
    """LaTeX of the pooling size formula (floor or ceil) with the numbers substituted."""
    stride = kernel if stride is None else stride
    left, right = (r"\lceil", r"\rceil") if ceil_mode else (r"\lfloor", r"\rfloor")
    body = (rf"\left{left} \frac{{{size} + 2\cdot {padding} - {dilation}\cdot({kernel}-1) - 1}}"
            rf"{{{stride}}} \right{right} + 1")
    return body + _result(lambda: pool_output_size(size, kernel, stride, padding, dilation, ceil_mode))


def conv_transpose_output_formula(size: int, kernel: int, stride: int = 1, padding: int = 0,
                                  output_padding: int = 0, dilation: int = 1) -> str:
    """LaTeX of the transposed-convolution size formula with the numbers substituted."""
    body = (rf"({size}-1)\cdot {stride} - 2\cdot {padding} + {dilation}\cdot({kernel}-1) "
            rf"+ {output_padding} + 1")
    return body + _result(
        lambda: conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation))


def _result(compute) -> str:
    try:
        return f" = {compute()}"
    except ValueError:
        return r" \;\text{(no valid output)}"


def same_padding(kernel: int, dilation: int = 1) -> int:
    """The padding that keeps the size at stride 1 for an odd dilated kernel (floor for even ones)."""
    return math.floor(dilation * (kernel - 1) / 2)
