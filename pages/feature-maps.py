"""Feature maps: follow one image through a trained network, layer by layer, filter by filter."""

import numpy as np
import streamlit as st

from cnnviz import activations, data, ui
from cnnviz.figures import network as figs
from cnnviz.figures import tiles
from cnnviz.images import ImageInputError

ui.route_through_app()

PAGE = "feature-maps"
SOURCES = {"sample": "Sample digit", "test": "Test-set image", "upload": "Upload"}
SHIFTS = range(-8, 9)
GRID_HEIGHT = 220  # px: the first layer's maps fit under the controls on a 720 px high projector


@st.cache_data(max_entries=64, show_spinner=False)
def run(model_key: str, model_id: int, image: np.ndarray, _model) -> activations.Activations:
    """One forward pass per (model, image): switching layer or channel never reruns the model."""
    return activations.run_model(_model, image)


@st.cache_data(max_entries=64, show_spinner=False)
def pictures(model_key: str, model_id: int, image: np.ndarray, _acts: activations.Activations) -> dict[str, str]:
    """The Every layer view's pictures of one forward pass (per model and image, like the pass itself)."""
    return tiles.network_pictures(_acts, GRID_HEIGHT)


@st.cache_data(max_entries=16, show_spinner=False)
def uploaded_digit(data: bytes) -> np.ndarray:
    """The MNIST-style 28x28 digit of an upload, preprocessed once per file."""
    return activations.digit_from_upload(data)


@st.cache_data(max_entries=64, show_spinner=False)
def sweep(model_key: str, model_id: int, image: np.ndarray, axis: str, _model) -> np.ndarray:
    """Probabilities while the image slides along one axis, one batched pass per (model, image, axis)."""
    return activations.shift_sweep(_model, image, SHIFTS, axis)


st.title("Feature maps: one image through the network")
choices = ui.model_choices()
if not choices:
    st.error(
        "No trained model found: the shipped weights (assets/lenet5.safetensors, "
        "assets/simplecnn.safetensors) are missing and no model was trained in this session. "
        "Train one on the **Train live** page, or run `python -m cnnviz train`."
    )
    st.stop()

ui.page_settings(PAGE, {"fm_model": list(choices)})
controls, seen, verdict = st.columns([1.2, 1, 1.3])
with controls:
    model_key = ui.control(st.selectbox, "Model", list(choices), format_func=choices.get, key="fm_model")
    model = ui.model_or_stop(model_key, choices[model_key])
    sources = list(SOURCES) if model.dataset == "mnist" else ["test"]
    ui.keep_choice("fm_source", sources)
    source = ui.control(st.radio, "Image", sources, format_func=SOURCES.get, horizontal=True, key="fm_source")
    if source == "sample":
        left, right = st.columns([2, 3])
        digit = ui.control(left.selectbox, "Digit", range(10), key="fm_digit")
        st.session_state.fm_sample = min(st.session_state.fm_sample, activations.samples_per_class(digit))
        which = ui.control(right.slider, "Which sample", 1, activations.samples_per_class(digit), key="fm_sample")
        image, true_label = activations.sample_image(digit, which - 1), digit
    elif source == "upload":
        upload = st.file_uploader("A picture of one digit", type=ui.IMAGE_TYPES, key="fm_upload")
        if upload is None:
            st.info(
                "Upload a photo, scan or drawing of a single digit; it is cropped, centred and scaled "
                "like MNIST before the network sees it."
            )
            st.stop()
        try:
            image, true_label = uploaded_digit(upload.getvalue()), None
        except ImageInputError as exc:
            st.error(str(exc))
            st.stop()
    else:
        try:
            test = ui.split(model.dataset, False)
        except data.DatasetMissingError:
            st.error(data.missing_message(model.dataset))
            st.stop()
        st.session_state.fm_index = min(st.session_state.fm_index, len(test) - 1)
        index = ui.control(st.number_input, f"Test image (0–{len(test) - 1})", 0, len(test) - 1, key="fm_index")
        image, true_label = test.images[int(index)].numpy().squeeze(0), int(test.labels[int(index)])

with seen:
    dx = ui.control(
        st.slider, "Shift right (px)", -8, 8, key="fm_dx", help="Move the image: is the network position-invariant?"
    )
    dy = ui.control(st.slider, "Shift down (px)", -8, 8, key="fm_dy")
    degrees = ui.control(st.slider, "Rotate (degrees)", -60, 60, step=5, key="fm_rot")
    moved = activations.transform_image(image, dx, dy, degrees)

acts = run(model_key, id(model), moved, model)
drawn = pictures(model_key, id(model), moved, acts)
still = run(model_key, id(model), image, model)
target = still.prediction if true_label is None else true_label  # the class the sweep follows
classes = model.classes
with verdict:
    ui.html(drawn[tiles.INPUT], "fm_input")
    st.metric("Prediction", f"{classes[acts.prediction]} ({acts.probs.max():.1%})")
    st.caption("Uploaded: no true label." if true_label is None else f"True label: {classes[true_label]}")
    if (dx, dy, degrees) != (0, 0, 0):
        held = acts.prediction == still.prediction
        message = (
            f"Unmoved: {classes[still.prediction]} ({still.probs.max():.1%}) → moved: "
            f"{classes[acts.prediction]} ({acts.probs.max():.1%})."
        )
        (st.success if held else st.warning)(("Prediction held. " if held else "Prediction broke. ") + message)

spatial = activations.spatial_layers(acts)
VIEWS = {
    "layers": "Every layer",
    "channel": "One channel up close",
    "filters": "Learned filters",
    "pooling": "Pooling",
    "position": "Position invariance",
    "scores": "Final layer",
}
view = ui.control(
    st.radio,
    "Look at",
    list(VIEWS),
    format_func=VIEWS.get,
    horizontal=True,
    key="fm_view",
    label_visibility="collapsed",
)
ui.write_url(PAGE)


def _picked() -> None:
    """A click on a tile's handle in the close-up grid chooses that channel."""
    channel = ui.clicked("fm_pick")
    if channel is not None:
        st.session_state["fm_channel"] = int(channel)


def channel_slider(key: str, count: int) -> int:
    """A channel picker over the layer's channels (a channel past a smaller layer's end becomes its last)."""
    st.session_state[key] = min(st.session_state[key], count - 1)
    return ui.control(st.slider, "Channel", 0, count - 1, key=key)


def every_layer() -> None:
    """Each spatial layer as a grid of channel pictures (light to redraw), then the fully connected layers."""
    for start in range(0, len(spatial), 2):
        for column, name in zip(st.columns(2), spatial[start : start + 2]):
            ui.html(drawn[name], f"fm_grid_{name}", column)
    st.caption(
        "Each tile is one channel; hover a tile for its range (the channel close-up shows every value). "
        "Blue–red maps can go negative (conv, batch norm); after ReLU everything is ≥ 0. "
        "`flatten` just lines the last maps up."
    )
    ui.html(drawn[tiles.FLAT], "fm_vectors")


@st.fragment
def close_up() -> None:
    """One channel enlarged beside the filter that made it and the input it saw."""
    ui.keep_choice("fm_layer", spatial)
    layer = ui.control(st.select_slider, "Layer", spatial, key="fm_layer")
    maps = acts.layers[layer]
    channel = channel_slider("fm_channel", len(maps))
    ui.write_url(PAGE)
    ui.chart(
        figs.feature_grid(
            maps, f"{layer}: click a square to pick its channel", selected=channel, height=260, clickable=True
        ),
        key="fm_pick",
        on_select=_picked,
    )
    conv = activations.producing_conv(model, layer)
    big, kernel, source = st.columns(3)
    ui.chart(figs.map_heatmap(maps[channel], f"{layer}, channel {channel}"), key="fm_channel_map", where=big)
    weights = activations.conv_filters(model, conv)[channel : channel + 1]
    ui.chart(
        figs.filter_grid(weights, f"{conv} filter {channel}: one slice per input channel", height=320),
        key="fm_channel_filter",
        where=kernel,
    )
    seen_maps = activations.layer_input(model, acts, layer)
    if layer == conv and len(seen_maps) == 1:
        ui.chart(
            figs.map_heatmap(seen_maps[0], f"What {layer} saw: the input image"), key="fm_channel_input", where=source
        )
        st.caption(
            f"Each value of channel {channel} = bias + the sum of a window of the image times the filter: "
            "large where the image looks like the filter, negative where it looks like its opposite."
        )
    elif layer == conv:
        ui.chart(
            figs.feature_grid(seen_maps, f"What {layer} saw: all {len(seen_maps)} input maps", height=320),
            key="fm_channel_input",
            where=source,
        )
        st.caption(
            f"Each value of channel {channel} = bias + the sum over all {len(seen_maps)} input maps of "
            "a window times the matching filter slice: bright where the input looks like the filter."
        )
    else:
        ui.chart(
            figs.map_heatmap(seen_maps[channel], f"What {layer} saw: channel {channel}"),
            key="fm_channel_input",
            where=source,
        )
        st.caption(
            f"`{layer}` works on each channel on its own: it changes channel {channel} of the layer "
            f"before it, which `{conv}` filter {channel} made."
        )


@st.fragment
def learned_filters() -> None:
    """Every kernel of a conv layer as a grid."""
    ui.keep_choice("fm_filter_layer", activations.conv_layers(model))
    layer = ui.control(st.radio, "Conv layer", activations.conv_layers(model), horizontal=True, key="fm_filter_layer")
    ui.write_url(PAGE)
    weights = activations.conv_filters(model, layer)
    out_ch, in_ch, kh, kw = weights.shape
    title = f"{layer}: {out_ch} filters of {in_ch}×{kh}×{kw}" + (
        " (one row per filter, one column per input channel)" if in_ch > 1 else ""
    )
    ui.chart(figs.filter_grid(weights, title, height=420), key="fm_filters")
    st.caption("Blue weights subtract, red weights add: a filter responds where the image has its pattern.")


@st.fragment
def pooling_view() -> None:
    """A pooling layer replayed window by window on one channel."""
    ui.keep_choice("fm_pool_layer", activations.pool_layers(model))
    layer = ui.control(st.radio, "Pooling layer", activations.pool_layers(model), horizontal=True, key="fm_pool_layer")
    channel = channel_slider("fm_pool_channel", len(acts.layers[layer]))
    ui.write_url(PAGE)
    result, matches = activations.pool_replay(model, acts, layer, channel)
    ui.chart(figs.pooling_figure(result, height=420), key="fm_pool_figure")
    st.caption(
        f"Every {result.kernel}×{result.kernel} window is outlined; the red ring marks the value each "
        f"window keeps. {'✓ Identical' if matches else '✗ Not identical'} to the network's `{layer}` "
        f"output, channel {channel}."
    )
    st.page_link("pages/pooling.py", label="Step through pooling on a small example", icon="🧩")


def position() -> None:
    """How the probability of the true class changes as the image slides."""
    base = activations.rotate_image(image, degrees)
    sweeps = {
        "x": sweep(model_key, id(model), activations.shift_image(base, 0, dy), "x", model),
        "y": sweep(model_key, id(model), activations.shift_image(base, dx, 0), "y", model),
    }
    ui.chart(figs.shift_sweep_figure(list(SHIFTS), sweeps, target, classes, {"x": dx, "y": dy}), key="fm_sweep")
    st.caption(
        "Convolutions move their maps along with the digit and pooling forgives a pixel or two, but "
        "the fully connected layers read fixed positions: shift far enough and the answer changes. "
        "Use the sliders above, then look at *Every layer* to see the maps move."
    )


def final_layer() -> None:
    """The 10 class scores and their softmax probabilities."""
    ui.chart(figs.class_scores(acts.logits, acts.probs, classes), key="fm_scores")
    st.caption(
        "The last layer gives one score per class (logits). Softmax turns them into probabilities: "
        "exponentiate each score, then divide by the sum."
    )


{
    "layers": every_layer,
    "channel": close_up,
    "filters": learned_filters,
    "pooling": pooling_view,
    "position": position,
    "scores": final_layer,
}[view]()
