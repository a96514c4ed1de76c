"""Pooling: max and average pooling window by window, on the classic 4x4 example or any small map."""

import numpy as np
import streamlit as st

from cnnviz import conv, data, export, pooling, ui
from cnnviz.figures import network as figs

ui.route_through_app()
PAGE = "pooling"


@st.cache_data(max_entries=4, show_spinner="Drawing every window position...")
def windows_gif(image: np.ndarray, kernel: int, stride: int, padding: int, mode: str) -> bytes:
    """The pooling windows as an animated GIF (a few per server: a digit's can be hundreds of frames)."""
    return export.pooling_gif(pooling.pool2d(image, kernel, stride, padding, mode))


st.title("Pooling: shrink a map, keep what matters")
ui.page_settings(PAGE)
st.markdown("Each window keeps one number: its largest (max pooling) or its mean (average pooling).")
INPUTS = {"classic": "Classic 4×4 (1…16)", "random": "Random small integers", "digit": "A handwritten 7 (28×28)"}
left, right = st.columns([1, 2])
with left:
    source = ui.control(st.radio, "Input map", list(INPUTS), format_func=INPUTS.get, key="pool_source")
    if source == "random":
        size = ui.control(st.slider, "Map size", 2, 12, key="pool_size")
        seed = ui.control(st.number_input, "Random seed", 0, 9999, key="pool_seed")
        image = pooling.random_map(size, int(seed))
    elif source == "digit":
        image = data.sample_digits()[0][70].astype(float)
    else:
        image = pooling.classic_example()
    mode = ui.control(
        st.radio,
        "Mode",
        pooling.MODES,
        horizontal=True,
        key="pool_mode",
        format_func={"max": "max", "avg": "average"}.get,
    )
    kernel = ui.control(st.number_input, "Kernel size", 1, 8, key="pool_kernel")
    stride = ui.control(st.number_input, "Stride", 1, 8, key="pool_stride")
    padding = ui.control(st.number_input, "Padding", 0, 4, key="pool_padding")

formula = r"\text{output size} = " + conv.pool_output_formula(image.shape[0], kernel, stride, padding)
with right:
    try:
        result = pooling.pool2d(image, kernel, stride, padding, mode)
    except ValueError as exc:
        st.latex(formula)
        st.error(f"These settings do not work: {exc}")
        st.stop()
    count = len(result.windows)
    step = ui.step_row("pool", count) if ui.shown("pool_step") else min(st.session_state.pool_step, count)
    ui.write_url(PAGE)
    window = result.windows[step - 1]
    st.markdown(
        f"Window **{step} of {count}** → output row {window.out_row}, column {window.out_col}: `{window.explain(mode)}`"
    )
    ui.chart(figs.pooling_figure(result, step - 1, height=340), key="pool_figure")
    signature = (image.tobytes(), kernel, stride, padding, mode)
    ui.gif_download(
        "pool_gif", lambda: windows_gif(image, kernel, stride, padding, mode), signature, "cnnviz-pooling.gif"
    )
st.latex(formula)
h, w = result.output.shape
st.caption(
    f"{image.shape[0]}×{image.shape[1]} input → {h}×{w} output with a {kernel}×{kernel} window, "
    f"stride {stride}, padding {padding}. "
    + (
        "Padding counts as −∞ for max pooling, so it never wins."
        if mode == "max"
        else "Padding counts as 0 and the sum is always divided by the full window area, as PyTorch does."
    )
)
st.markdown(
    "A pooling layer slides a window over each feature map and keeps one number per window: the "
    "**largest** (max pooling) or the **mean** (average pooling). It has no weights to learn. With a "
    "2×2 window and stride 2 it halves the height and width, so later layers see a wider area for the "
    "same cost, and a feature that moves by one pixel often lands in the same window."
)

st.markdown(  # a code span, not st.code: no syntax highlighter to load on a first visit (ui.sum_line)
    f"PyTorch gives the same map: `torch.nn.functional.{'max' if mode == 'max' else 'avg'}_pool2d("
    f"x, kernel_size={kernel}, stride={stride}, padding={padding})`"
)
