"""Transposed convolution: upsampling stepped two ways, and the tutorial's 28×28 that is really 25×25."""

import numpy as np
import streamlit as st

from cnnviz import conv, kernels, state, transposed, ui
from cnnviz import transposed_settings as ts
from cnnviz.figures import transposed as figs
from cnnviz.images import escape_markdown

ui.route_through_app()

PAGE = "transposed"
MAX_SUMS = 16  # written-out sums shown per scatter step
OUTPUT_HEIGHT = 270  # px: the output under the step row fits a 720 px high projector


def number(column, label: str, key: str, help: str | None = None) -> int:
    """A whole-number setting as a select slider over its allowed values (cnnviz.state's range)."""
    field = next(f for f in state.fields(PAGE) if f.name == key)
    return ui.control(column.select_slider, label, list(range(field.low, field.high + 1)), key=key, help=help)


def choose_input() -> np.ndarray:
    """The input grid: a worked example, random small numbers or a digit shrunk to 7×7."""
    name = ui.control(st.radio, "Input", ts.INPUTS, horizontal=True, key="tc_input")
    if name == "Random grid":
        left, right = st.columns(2)
        return ts.input_grid(name, size=number(left, "Grid size", "tc_size"), seed=number(right, "Seed", "tc_seed"))
    if name == "Digit 7×7":
        _, _, digit = ui.sample_digit("Sample digit (MNIST test set)", "tc_digit")
        st.caption("A 28×28 digit averaged over 4×4 blocks: the 7×7 map the tutorial starts from.")
        return ts.input_grid(name, digit=digit)
    return ts.input_grid(name)


def choose_kernel() -> np.ndarray | None:
    """A preset kernel or typed values (None, with the reason shown, when the typed text is not a kernel)."""
    name = ui.control(st.selectbox, "Kernel", ts.KERNEL_NAMES, key="tc_kernel")
    if name != ts.CUSTOM:
        values, what = ts.kernel_for(name)
        st.caption(what)
        return values
    text = ui.control(
        st.text_area,
        "Kernel values: one row per line (or ';'), numbers split by spaces or commas; 1/4 works",
        key="tc_kernel_text",
        height=110,
    )
    try:
        return kernels.parse_kernel(text)
    except kernels.KernelError as error:
        st.error(escape_markdown(error))  # it quotes what was typed
        return None


def settings_row() -> dict:
    """Stride, padding, output_padding and dilation, PyTorch's names and meanings."""
    cols = [*st.columns(2), *st.columns(2)]
    return dict(
        stride=number(cols[0], "Stride", "tc_stride", "How far apart the copies land in the output."),
        padding=number(cols[1], "Padding", "tc_padding", "Rows and columns cropped from every side of the output."),
        output_padding=number(
            cols[2], "Output padding", "tc_output_padding", "Extra rows and columns at the bottom and right."
        ),
        dilation=number(cols[3], "Dilation", "tc_dilation", "Spacing between the kernel's taps."),
    )


def size_axes(image: np.ndarray, weight: np.ndarray) -> list[tuple[str, int, int]]:
    """(label, input size, kernel size) per axis: one 'H = W' when both agree."""
    shape, kernel = image.shape, weight.shape
    if shape[0] == shape[1] and kernel[0] == kernel[1]:
        return [("H = W", shape[0], kernel[0])]
    return [("H", shape[0], kernel[0]), ("W", shape[1], kernel[1])]


def show_formula(image: np.ndarray, weight: np.ndarray, s: dict) -> None:
    """The output-size formula with these numbers."""
    for label, size, k in size_axes(image, weight):
        formula = conv.conv_transpose_output_formula(size, k, **s)
        st.latex(rf"{label}_{{out}} = {formula}".replace("H = W_{out}", r"H_{out} = W_{out}"))


def show_sizes(image: np.ndarray, weight: np.ndarray, s: dict) -> transposed.TransposedConvolution | None:
    """What the output size means, or why these settings give nothing."""
    axes = size_axes(image, weight)
    try:
        result = conv.conv_transpose(image, weight, **s)
    except ValueError as error:
        st.error(f"No output with these settings. {error}")
        return None
    for label, size, k in axes:
        prefix = "" if len(axes) == 1 else f"{label}: "
        for line in transposed.size_story(size, k, **s):
            st.markdown(f"- {prefix}{line}")
    return result


def step_controls(name: str, count: int) -> int:
    """First / Back / Next (← → keys) and a position slider over `count` steps; returns the 0-based step."""
    step = ui.step_row(f"tc_{name}", count)
    ui.write_url(PAGE)
    return step - 1


def show_scatter(result: transposed.TransposedConvolution) -> None:
    """Each input cell in turn paints its weighted kernel copy; the copies add up."""
    position = step_controls("scatter", result.steps)
    step = transposed.scatter_step(result, position)
    value = conv.format_number(step.values[0])
    out_h, out_w = result.output.shape[1:]
    kept = [(r, c) for r in step.rows for c in step.cols if 0 <= r < out_h and 0 <= c < out_w]
    cropped = len(step.rows) * len(step.cols) - len(kept)
    st.markdown(
        f"**Step {position + 1} of {result.steps}**: input cell ({step.row}, {step.col}) = {value} paints "
        f"{value} × kernel at output rows {step.rows[0]}…{step.rows[-1]}, columns {step.cols[0]}…{step.cols[-1]}"
        + (f"; {cropped} of its cells fall outside the output (cropped by padding)." if cropped else ".")
    )
    ui.chart(figs.canvas_figure(result, step.after, step, height=OUTPUT_HEIGHT), key="tc_scatter_canvas")
    left, right = st.columns(2)
    cell = (step.row, step.col)
    ui.chart(figs.map_figure(result.input[0], "Input", cell, height=250), key="tc_scatter_input", where=left)
    ui.chart(figs.copy_figure(step, height=250), key="tc_scatter_copy", where=right)
    sums = [transposed.cell_equation(result, r, c, steps=position + 1) for r, c in kept]
    if len(sums) > MAX_SUMS:
        sums = sums[:MAX_SUMS] + [f"… and {len(sums) - MAX_SUMS} more cells"]
    st.caption("The cells this copy touched, with every contribution so far:")
    ui.sum_lines(sums or ["(every cell of this copy was cropped away)"])


def show_as_convolution(result: transposed.TransposedConvolution) -> None:
    """The same numbers from an ordinary stride-1 convolution, stepped with the playground's window."""
    view = result.as_convolution
    position = step_controls("conv", view.positions)
    win = conv.window(view, position)
    st.markdown(f"**Step {position + 1} of {view.positions}**: the window fills output cell ({win.row}, {win.col}).")
    left, right = st.columns([3, 2])
    roles = transposed.view2_roles(result)
    ui.chart(figs.view2_input_figure(result, roles, win, height=OUTPUT_HEIGHT), key="tc_conv_input", where=left)
    ui.chart(figs.output_figure(view.output[0], position, height=OUTPUT_HEIGHT), key="tc_conv_output", where=right)
    st.caption(
        "Tints: blue = zeros inserted between input cells (stride), grey = the border, "
        "orange = output_padding's extra rows and columns; red outlines = the kernel's taps."
    )
    ui.sum_line(conv.window_equation(win))
    ui.chart(figs.map_figure(view.weight[0, 0], "Kernel, flipped", height=210), key="tc_conv_kernel")
    for number_, line in enumerate(transposed.view2_story(result), start=1):
        st.markdown(f"{number_}. {line}")


def show_chain(digit: int) -> None:
    """The tutorial's DeconvNetwork on a 7×7 digit: 7 → 13 → 25, and 7 → 14 → 28 with output_padding=1."""
    st.header("A chain of two layers: the tutorial's DeconvNetwork")
    st.markdown(
        "A tutorial builds a `DeconvNetwork` from two `ConvTranspose2d(kernel_size=3, stride=2, padding=1)` "
        "layers and says they take a 7×7 map to 28×28. Apply the formula twice and see what PyTorch really gives."
    )
    fix = ui.control(st.toggle, "output_padding=1 in both layers", key="tc_chain_fix")
    layers = [dict(layer, output_padding=int(fix)) for layer in transposed.TUTORIAL_LAYERS]
    shapes = transposed.chain_shapes(ts.DIGIT_SIDE, layers)
    for n, (size, layer) in enumerate(zip(shapes, layers), start=1):
        formula = conv.conv_transpose_output_formula(size, **layer)
        st.latex(rf"\text{{layer {n}: }} {formula}")
    maps = transposed.chain_outputs(ts.digit_7x7(digit), ts.BILINEAR3, layers)
    path = " → ".join(map(str, shapes))
    if shapes[-1] == 28:
        st.success(f"✓ {path}: output_padding=1 adds the row and column the floor lost, so 7 → 14 → 28.")
    else:
        st.warning(f"✗ {path}, not 28: each layer gives 2·n − 1, one short of doubling (13, not 14).")
    cols = st.columns(3)
    names = ("input", "after layer 1", "after layer 2")
    for col, values, name, n in zip(cols, maps, names, range(3)):
        ui.chart(
            figs.map_figure(values, f"{name}: {values.shape[0]}×{values.shape[1]}"), key=f"tc_chain_{n}", where=col
        )
    st.caption(
        "Both layers use the bilinear 3×3 kernel here, so the digit grows smoothly instead of with learned weights."
    )
    # Drawn only while open, like the lessons' slide links: closed, a first visit does not load the
    # code-block highlighter (1.5 MB, about 0.3 s of the browser's time here).
    code = st.expander(
        "The tutorial's network in PyTorch", icon=":material/code:", key="tc_code_open", on_change="rerun"
    )
    if code.open:
        arguments = "kernel_size=3, stride=2, padding=1" + (", output_padding=1" if fix else "")
        code.code(
            "class DeconvNetwork(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            f"        up = dict({arguments})\n"
            "        self.up1 = nn.ConvTranspose2d(1, 1, **up)\n"
            "        self.up2 = nn.ConvTranspose2d(1, 1, **up)\n\n"
            "    def forward(self, x):  # x: (N, 1, 7, 7)\n"
            f"        x = self.up1(x)  # (N, 1, {shapes[1]}, {shapes[1]})\n"
            f"        return self.up2(x)  # (N, 1, {shapes[2]}, {shapes[2]})",
            language="python",
            wrap_lines=True,
        )


st.title("Transposed convolution")
st.caption(
    "A transposed convolution (often called deconvolution) makes a map larger: every input cell paints a copy "
    "of the kernel, weighted by its value, into the output, and where copies overlap they add up."
)
ui.page_settings(PAGE)
settings_column, result_column = st.columns([2, 3], gap="medium")
with settings_column:
    image = choose_input()
    weight = choose_kernel()
    settings = settings_row()
    result = None
    if weight is not None:
        st.markdown(f"**Input** {image.shape[0]}×{image.shape[1]}, **kernel** {weight.shape[0]}×{weight.shape[1]}")
        result = show_sizes(image, weight, settings)
with result_column:
    if weight is not None:
        show_formula(image, weight, settings)
    if result is not None:
        view = ui.control(st.radio, "View", ts.VIEWS, horizontal=True, key="tc_view")
        st.fragment(show_scatter if view == ts.VIEWS[0] else show_as_convolution)(result)
show_chain(st.session_state.tc_digit if st.session_state.tc_input == "Digit 7×7" else 0)
