"""Draw & predict: draw, upload or pick a digit; see the MNIST-style preprocessing, the prediction and why."""

import numpy as np
import streamlit as st

from cnnviz import explain, predict, ui
from cnnviz.figures import predict as figs
from cnnviz.images import ImageInputError, escape_markdown, load_image
from cnnviz.weights import WeightsError

ui.route_through_app()
PAGE = "predict"
SOURCES = {"draw": "Draw", "upload": "Upload", "sample": "Sample"}
CANVAS_PX = 300  # fits a half-width column at 1024 px; smaller canvases lose their drawing (upstream #141)
VOTE_HEIGHT = 220  # px: the first model's vote fits beside the canvas on a 720 px high projector

st.title("Draw a digit and see what the network thinks")
st.caption(
    "Draw with the mouse or a finger, upload a picture of a digit, or pick one from MNIST. "
    "The picture is turned into MNIST's format step by step, then every model votes."
)

ui.page_settings(PAGE)
source = ui.control(st.radio, "Digit from", list(SOURCES), format_func=SOURCES.get, horizontal=True, key="pred_source")


def drawn_image():
    """The canvas picture, or None before anything is drawn."""
    width, clear = st.columns([3, 1], vertical_alignment="bottom")
    pen = ui.control(width.slider, "Pen width", 5, 50, key="pred_pen")
    if clear.button("Clear", key="pred_clear"):
        st.session_state["pred_canvas_version"] = st.session_state.get("pred_canvas_version", 0) + 1
    st.write("")  # room for the canvas toolbar (undo, redo, clear)
    result = ui.drawing_canvas(
        stroke_width=pen,
        stroke_color="#000000",
        background_color="#ffffff",
        height=CANVAS_PX,
        width=CANVAS_PX,
        drawing_mode="freedraw",
        update_streamlit=True,
        return_image_data=True,
        key=f"pred_canvas_{st.session_state.get('pred_canvas_version', 0)}",
    )
    if result is None or result.image_data is None:
        return None
    return predict.canvas_to_image(result.image_data)


def uploaded_image():
    upload = st.file_uploader("Picture of one digit", type=ui.IMAGE_TYPES, key="pred_upload")
    return None if upload is None else load_image(upload.getvalue())


def sample_image():
    from PIL import Image

    image, label, _ = ui.sample_digit("Sample digit", "pred_sample")
    name = f"MNIST test digit labelled {label}"
    ui.html(figs.digit_picture(image, name), "pred_sample_picture")
    st.caption(name)
    return Image.fromarray(image)


@st.fragment
def predict_panel():
    """The digit on the left and every model's vote beside it, so the vote changes in sight while drawing."""
    picture, votes = st.columns(2, gap="medium")
    try:
        with picture:
            image = {"draw": drawn_image, "upload": uploaded_image, "sample": sample_image}[source]()
        prepared = None if image is None else predict.preprocess(image)
    except ImageInputError as exc:
        votes.error(escape_markdown(exc))
        return
    if prepared is None:
        votes.info("Draw a digit on the canvas (or pick Upload / Sample above).")
        return
    with votes:
        show_predictions(prepared.digit)
    st.subheader("How the picture was made to look like MNIST")
    ui.html(figs.steps_strip(prepared.steps), "pred_steps")
    st.caption(escape_markdown(" · ".join(f"{step.title}: {step.caption}" for step in prepared.steps)))  # not a list


@st.cache_data(max_entries=256, show_spinner=False)
def vote(model_key: str, model_id: int, label: str, digit: np.ndarray, method: str, _model) -> tuple:
    """One model's vote, drawn; cached: a class looking at the same sample digits computes each once."""
    return figs.vote(digit, _model, explain.EXPLANATIONS[method], label, VOTE_HEIGHT)


EXPLAIN_HELP = "  \n".join(f"**{e.title}**: {e.caption}" for e in explain.EXPLANATIONS.values())


def show_predictions(digit: np.ndarray) -> None:
    choices = ui.model_choices()
    if not choices:
        st.warning("No trained model is available: train one on the Train live page.")
        return
    method = ui.control(
        st.radio,
        "Explain the vote with",
        list(explain.EXPLANATIONS),
        horizontal=True,
        key="pred_method",
        help=EXPLAIN_HELP,
        format_func=lambda name: explain.EXPLANATIONS[name].title,
    )
    explanation = explain.EXPLANATIONS[method]
    for key, label in choices.items():
        try:
            model = ui.get_model(key)
        except WeightsError as exc:
            st.error(escape_markdown(f"{label} could not be loaded: {exc}"))
            continue
        top, prob, bars_html, map_html = vote(key, id(model), label, digit, method, model)
        st.markdown(f"**{escape_markdown(label)}** — Prediction: {top} ({prob * 100:.1f}%)")
        bars, why = st.columns(2)
        ui.html(bars_html, f"bars_{key}", bars)
        ui.html(map_html, f"why_{key}", why)
    st.caption(explanation.caption)


predict_panel()
with st.expander("How the preprocessing works"):
    st.markdown(
        "MNIST digits are white on black, cropped to the ink, scaled so the longer side is 20 px and "
        "placed in a 28x28 frame by their centre of mass. A network trained on them only understands "
        "input made the same way, so your picture goes through the same recipe. Real pictures need a "
        "little more: uneven light is evened out, tiny specks are dropped, and very thin or very thick "
        "strokes are brought to MNIST's width."
    )
