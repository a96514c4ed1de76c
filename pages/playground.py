"""Convolution playground: slide a kernel over an image and see every multiply-and-sum."""

import numpy as np
import streamlit as st

from cnnviz import conv, examples, export, kernels, quiz, state, ui
from cnnviz.figures import conv as figs
from cnnviz.images import ImageInputError, escape_markdown, load_image

ui.route_through_app()

PAGE = "playground"
SOURCES = {"example": "Example grid", "digit": "Sample digit", "upload": "Upload an image"}
KERNEL_TITLES = {state.CUSTOM_KERNEL: "Custom (type your own)"}
SMALL = 15  # padded inputs up to this side are drawn whole, every value written in
BIAS_HELP = "Added to every output cell after the sum."
FIGURE_HEIGHT = 265  # px: with the step row, fits under the title on a 720 px high projector


@st.cache_data(max_entries=8, show_spinner=False)
def uploaded_grid(payload: bytes, side: int, colour: bool) -> np.ndarray:
    """An upload decoded safely and shrunk to a grid a class can follow (cached per file and size)."""
    return examples.image_to_grid(load_image(payload), side, colour)


@st.cache_data(max_entries=8, show_spinner=False)
def upload_is_colourful(payload: bytes) -> bool:
    """Whether an upload has real colour, so colour mode starts on only when it means something."""
    return examples.is_colourful(load_image(payload))


@st.cache_data(max_entries=4, show_spinner="Drawing every window position...")
def window_gif(image: np.ndarray, weight: np.ndarray, bias: float | None, settings: dict) -> bytes:
    """The current setting's sliding window as an animated GIF (a few per server: a digit's is 784 frames)."""
    return export.convolution_gif(conv.convolve(image, weight, bias, **settings))


def apply_seed() -> None:
    """Choosing a worked example also picks the kernel and settings that example is about."""
    seed = examples.SEEDS[st.session_state.pg_example]
    st.session_state.update(
        pg_kernel=seed.kernel,
        pg_padding=seed.padding,
        pg_stride=seed.stride,
        pg_dilation=1,
        pg_mode="zeros",
        pg_bias=0.0,
        pg_step=1,
        pg_playing=False,
        pg_find_ink=True,
    )


def source_changed() -> None:
    """A new input starts at the first step; the X kernel of the 5×5 example means nothing on a photo."""
    st.session_state.update(pg_step=1, pg_playing=False, pg_find_ink=True)
    if st.session_state.pg_source != "example" and st.session_state.pg_kernel == "Worked example (X)":
        st.session_state.update(pg_kernel="Sobel x", pg_padding=1)


def find_ink() -> None:
    """A new picture starts where its ink begins (set once the convolution is known)."""
    st.session_state.update(pg_playing=False, pg_find_ink=True)


def cell_clicked() -> None:
    """A click on an output cell moves the window to the position that fills it."""
    position = ui.clicked("output_fig")
    if position is not None:
        st.session_state.update(pg_step=int(position) + 1, pg_playing=False)


def upload_changed() -> None:
    """A new picture starts in colour only when it has real colour, and where its ink begins."""
    find_ink()
    upload = st.session_state.get("pg_upload")
    if upload is not None:
        try:
            st.session_state.pg_colour = upload_is_colourful(upload.getvalue())
        except ImageInputError:
            st.session_state.pg_colour = False  # the page explains the file when it draws


def toggle_play() -> None:
    st.session_state.pg_playing = not st.session_state.get("pg_playing", False)


def choose_input() -> tuple[np.ndarray, str] | None:
    """The input grid ((H, W) or (3, H, W)) and a line that says what it is."""
    source = ui.control(
        st.radio,
        "Input",
        list(SOURCES),
        format_func=SOURCES.get,
        horizontal=True,
        key="pg_source",
        on_change=source_changed,
    )
    if source == "example":
        name = ui.control(st.selectbox, "Worked example", list(examples.SEEDS), key="pg_example", on_change=apply_seed)
        return examples.SEEDS[name].image, examples.SEEDS[name].story
    if source == "digit":
        image, label, index = ui.sample_digit("Sample digit (MNIST test set)", "pg_digit", on_change=find_ink)
        return image.astype(np.float64), f"MNIST test digit #{index}: a {label}, 28×28 pixels, 0-255."
    upload = st.file_uploader(
        "Image (PNG, JPEG, GIF, WebP or BMP)", type=ui.IMAGE_TYPES, key="pg_upload", on_change=upload_changed
    )
    if upload is None:
        st.info("Upload a picture to convolve it; it is shrunk so every pixel stays visible.")
        return None
    try:
        left, right = st.columns(2)
        side = ui.control(
            left.slider, "Longest side after shrinking (pixels)", 8, examples.MAX_GRID_SIDE, key="pg_side"
        )
        colour = ui.control(right.checkbox, "Keep the colour channels (RGB)", key="pg_colour")
        grid = uploaded_grid(upload.getvalue(), side, colour)
    except ImageInputError as error:
        st.error(escape_markdown(error))
        return None
    return grid, f"Your image, {grid.shape[-2]}×{grid.shape[-1]} pixels" + (" × 3 channels." if grid.ndim == 3 else ".")


def choose_kernel() -> np.ndarray | None:
    """One 2-D kernel for a grey input: a preset or the user's typed numbers."""
    names = [*kernels.PRESETS, state.CUSTOM_KERNEL]
    name = ui.control(st.selectbox, "Kernel", names, format_func=lambda n: KERNEL_TITLES.get(n, n), key="pg_kernel")
    if name != state.CUSTOM_KERNEL:
        st.caption(kernels.PRESETS[name].detects)
        return kernels.PRESETS[name].values
    text = ui.control(
        st.text_area,
        "Kernel values: one row per line (or ';'), numbers split by spaces or commas; 1/9 works",
        key="pg_weights",
        height=150,
    )
    try:
        return kernels.parse_kernel(text)
    except kernels.KernelError as error:
        st.error(escape_markdown(error))  # it quotes what was typed
        return None


def choose_filters() -> tuple[np.ndarray, np.ndarray] | None:
    """Several filters for a colour input: each a preset kernel weighted per channel, plus a bias."""
    st.markdown("**Filters** — each filter has one kernel slice per input channel (its kernel × the channel's weight).")
    rows = [vars(spec) for spec in examples.DEFAULT_RGB_FILTERS]
    table = st.data_editor(
        rows,
        key="pg_filters",
        num_rows="dynamic",
        width="stretch",
        column_config={
            "kernel": st.column_config.SelectboxColumn("kernel", options=list(kernels.PRESETS), required=True),
            "note": st.column_config.TextColumn("what it shows"),
        },
    )
    try:
        return examples.rgb_bank([examples.FilterSpec(**row) for row in table if row.get("kernel")])
    except ValueError as error:
        st.error(escape_markdown(error))  # it may quote a table cell
        return None


def settings_row(colour: bool) -> tuple[dict, float | None]:
    """Padding, its mode, stride, dilation, and the bias of a single filter (colour filters have their own).

    Two columns, not a row of columns per pair: the controls line up the same, and a full rerun sends
    six layout blocks fewer (each costs the browser a few ms to draw again)."""
    left, right = st.columns(2)
    settings = dict(
        padding=ui.control(left.number_input, "Padding", 0, 10, key="pg_padding"),
        padding_mode=ui.control(right.selectbox, "Padding mode", conv.PADDING_MODES, key="pg_mode"),
        stride=ui.control(left.number_input, "Stride", 1, 6, key="pg_stride"),
        dilation=ui.control(right.number_input, "Dilation", 1, 4, key="pg_dilation"),
    )
    if colour:
        return settings, None
    bias = ui.control(left.number_input, "Bias", step=0.5, key="pg_bias", help=BIAS_HELP)
    return settings, bias


def show_formula(shape: tuple[int, int], kernel: tuple[int, int], s: dict) -> None:
    """The output-size formula with this page's numbers, per axis when they differ."""
    axes = [("H", shape[0], kernel[0]), ("W", shape[1], kernel[1])]
    if shape[0] == shape[1] and kernel[0] == kernel[1]:
        axes = [("H = W", shape[0], kernel[0])]
    for label, size, k in axes:
        formula = conv.conv_output_formula(size, k, s["stride"], s["padding"], s["dilation"])
        st.latex(rf"{label}_{{out}} = {formula}".replace("H = W_{out}", r"H_{out} = W_{out}"))


def play_button(row) -> None:
    """Play/Pause at the head of the step row."""
    playing = st.session_state.get("pg_playing", False)
    row.button(
        "Pause" if playing else "Play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        on_click=toggle_play,
        key="pg_play",
    )


def step_controls(positions: int) -> int:
    """Play/pause and the step row; returns the 0-based window position."""
    if st.session_state.get("pg_play"):  # Play or Pause was pressed (its callback already switched)
        st.rerun()  # the whole page: the fragment's timer is set where the page defines the fragment
    playing = st.session_state.get("pg_playing", False)
    step = ui.step_row("pg", positions, playing, lead=play_button)
    if playing and step >= positions:
        st.session_state.pg_playing = False  # the last position: stop, and drop the timer
        st.rerun()
    ui.write_url(PAGE)
    return step - 1


def guess_first() -> None:
    """The predict-before-you-step switch (outside the stepper, beside Play's speed)."""
    ui.control(
        st.toggle,
        "Predict before you step",
        key="pg_guess",
        help="Each output cell stays hidden until you type your guess; then ✓ or ✗ and the sum.",
    )


def guess_panel(result: conv.Convolution, position: int) -> bool:
    """Ask for the current cell's value before showing it; True once it may be shown."""
    if not st.session_state.pg_guess:
        return True
    question = quiz.cell_value(result, position)
    answers = st.session_state.setdefault("pg_guesses", {})
    asked = (hash(result.output.tobytes()), position)  # this convolution's cell, whatever else changes
    with st.form("pg_guess_form", border=False, enter_to_submit=True):
        typed = st.text_input(f"Your guess for output cell {divmod(position, result.output.shape[2])}", key="pg_typed")
        if st.form_submit_button("Check", key="pg_check"):
            try:
                answers[asked] = question.check(typed)
            except quiz.AnswerError as exc:
                st.warning(escape_markdown(exc))
    feedback = answers.get(asked)
    if feedback is None:
        st.info("Predict the sum first: the products and the output cell appear once you check your guess.")
        return False
    (st.success if feedback.right else st.error)(
        ("✓ " if feedback.right else "✗ ") + escape_markdown(feedback.explanation)
    )
    return True


def play_speed() -> None:
    """How fast Play steps (outside the stepper: a change reruns the page, which sets the new timer)."""
    ui.control(
        st.select_slider,
        "Play speed",
        state.PLAY_SPEEDS,
        key="pg_speed",
        format_func=lambda s: f"{conv.format_number(s)} s a step",
    )


def show_step_grey(result: conv.Convolution, position: int) -> None:
    """One window position of a single-channel convolution, zoomed in when the image is large."""
    win = conv.window(result, position)
    small = max(result.padded.shape[1:]) <= SMALL
    st.markdown(f"**Step {position + 1} of {result.positions}**: the window fills output cell ({win.row}, {win.col}).")
    if not small:
        ui.chart(figs.overview_figure(result, win, height=340), key="overview")
        st.caption("Zoomed on the window (red outlines are the kernel taps):")
    crop = None if small else figs.window_crop(result, win)
    out_crop = None if small else figs.output_crop(result.output.shape[1:], position)
    seen, made = st.columns(2)  # above the guess: the window stays in view while a student predicts
    revealed = guess_panel(result, position)
    ui.chart(figs.input_figure(result, win, crop=crop, height=FIGURE_HEIGHT), key="input_fig", where=seen)
    output = figs.output_figure(
        result.output[0], position, crop=out_crop, height=FIGURE_HEIGHT, clickable=True, hide_current=not revealed
    )
    ui.chart(output, key="output_fig", where=made, on_select=cell_clicked)
    if revealed:
        products, equation = st.columns([2, 3], vertical_alignment="center")
        ui.chart(figs.kernel_products_figure(win, height=360), key="kernel_fig", where=products)
        ui.sum_line(conv.window_equation(win), where=equation)


def show_step_colour(result: conv.Convolution, position: int, filt: int) -> None:
    """One window position of a multi-channel filter: a product-sum per channel, then their total."""
    win = conv.window(result, position, filt)
    small = max(result.padded.shape[1:]) <= SMALL
    crop = None if small else figs.window_crop(result, win)
    out_crop = None if small else figs.output_crop(result.output.shape[1:], position)
    st.markdown(f"**Step {position + 1} of {result.positions}**, filter {filt}: output cell ({win.row}, {win.col}).")
    left, right = st.columns([3, 1])
    ui.chart(figs.channel_step_figure(result, win, crop, height=440), key="channel_step_fig", where=left)
    ui.chart(
        figs.output_figure(result.output[filt], position, out_crop, f"map of filter {filt}", height=FIGURE_HEIGHT),
        key="output_fig",
        where=right,
    )
    for c, name in enumerate(figs.CHANNEL_NAMES[: len(win.patch)]):
        st.caption(f"{name}: {conv.window_equation(win, channel=c)}")
    sums = " + ".join(conv.format_number(v) for v in win.channel_sums)
    ui.sum_line(f"{sums} (channels) + {conv.format_number(win.bias)} (bias) = {conv.format_number(win.value)}")


st.title("Convolution playground")
ui.page_settings(PAGE)
st.caption(
    "A kernel slides over the input; at each position it multiplies the values under it, "
    "adds them up (plus a bias) and writes one output cell."
)
settings_column, result_column = st.columns([2, 3], gap="medium")
with settings_column:
    picked = choose_input()
    if picked is None:
        st.stop()
    image, story = picked
    st.caption(story)
    colour = image.ndim == 3
    weight, filter_bias = choose_filters() if colour else (choose_kernel(), None)
    settings, bias = settings_row(colour)
    bias = filter_bias if colour else bias
    play_speed()
    guess_first()
    if weight is None:
        st.stop()
with result_column:
    show_formula(image.shape[-2:], weight.shape[-2:], settings)
    try:
        result = conv.convolve(image, weight, bias, **settings)
    except ValueError as error:
        st.error(str(error))
        st.stop()
    if st.session_state.pop("pg_find_ink", False):
        st.session_state.pg_step = conv.first_ink(result) + 1
    shape = result.output.shape
    st.markdown(f"**Output:** {shape[1]}×{shape[2]}" + (f"×{shape[0]} (one map per filter)" if colour else ""))
    if colour:
        st.session_state.pg_filter = min(st.session_state.pg_filter, shape[0] - 1)
        shown = ui.control(
            st.radio,
            "Follow filter",
            range(shape[0]),
            horizontal=True,
            key="pg_filter",
            format_func=lambda f: f"filter {f}",
        )

    @st.fragment(run_every=st.session_state.pg_speed if st.session_state.get("pg_playing") else None)
    def stepper() -> None:
        """The part that changes while stepping or playing; reruns alone, not the whole page."""
        position = step_controls(result.positions)
        if colour:
            show_step_colour(result, position, shown)
        else:
            show_step_grey(result, position)

    stepper()
    signature = (image.tobytes(), weight.tobytes(), repr(bias), tuple(sorted(settings.items())))
    ui.gif_download("pg_gif", lambda: window_gif(image, weight, bias, settings), signature, "cnnviz-convolution.gif")
    if colour:
        ui.chart(figs.channel_sum_figure(result, shown), key="channel_sum_fig")
        ui.chart(figs.volume_figure(result), key="volume_fig")
