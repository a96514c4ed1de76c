"""AppTest for the feature-maps page: every control runs without error and changes what is shown."""

import html
import io

import numpy as np
import pytest
from figures import figure_specs, markup
from kept import give_models
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz import activations


@pytest.fixture
def app(open_page) -> AppTest:
    return open_page("pages/feature-maps.py")


def charts(at: AppTest) -> dict[str, dict]:
    """Figures on the page by title (or first annotation), as the browser gets them."""
    found = {}
    for spec in figure_specs(at):
        layout = spec.get("layout", {})
        title = layout.get("title", {}).get("text") or layout.get("annotations", [{}])[0].get("text", "")
        found[title] = spec
    return found


def pictures(at: AppTest) -> dict[str, str]:
    """The Every layer view's HTML pictures (cnnviz.figures.tiles) by their title."""
    found = {}
    for body in markup(at):
        if "cnnviz-tiles-title" in body:
            title = body.split('class="cnnviz-tiles-title">', 1)[1].split("<", 1)[0]
            found[html.unescape(title)] = body
    return found


def prediction(at: AppTest) -> str:
    return at.metric[0].value


def test_every_layer_in_order(app):
    titles = list(pictures(app))
    grids = [t for t in titles if " maps of " in t]
    assert [t.split(":")[0] for t in grids] == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2"]
    assert grids[0] == "conv1: 32 maps of 28×28"
    assert pictures(app)[grids[0]].count('role="img" aria-label="channel') == 32
    assert any(t.startswith("Fully connected layers") for t in titles)
    assert "What the model sees (28×28)" in titles
    assert not charts(app)  # the view redraws on every shift: pictures, no plotly figure
    assert prediction(app).startswith("0 ")


def test_model_switch_to_lenet_shows_batch_norm(app):
    app.selectbox(key="fm_model").set_value("lenet5").run()
    assert not app.exception
    grids = [t for t in pictures(app) if " maps of " in t]
    assert grids[:4] == [
        "conv1: 6 maps of 28×28",
        "bn1: 6 maps of 28×28",
        "relu1: 6 maps of 28×28",
        "pool1: 6 maps of 14×14",
    ]
    assert "What the model sees (32×32)" in pictures(app)


def test_image_controls_change_the_prediction(app, mnist_test):
    app.selectbox(key="fm_digit").set_value(7).run()
    assert prediction(app).startswith("7 ") and "True label: 7" in app.caption[0].value
    before = pictures(app)["conv1: 32 maps of 28×28"]
    app.slider(key="fm_sample").set_value(3).run()
    assert not app.exception
    assert pictures(app)["conv1: 32 maps of 28×28"] != before
    app.radio(key="fm_source").set_value("test").run()
    assert prediction(app).startswith("7 ")  # test image 0 is a 7
    app.number_input(key="fm_index").set_value(1).run()
    assert prediction(app).startswith("2 ") and "True label: 2" in app.caption[0].value


def test_moving_the_image_reports_held_or_broken(app):
    app.selectbox(key="fm_digit").set_value(4).run()
    app.slider(key="fm_dx").set_value(1).run()
    assert not app.exception and "Prediction held" in app.success[0].value
    app.slider(key="fm_dx").set_value(8).run()
    app.slider(key="fm_dy").set_value(8).run()
    app.slider(key="fm_rot").set_value(60).run()
    assert not app.exception
    verdicts = [e.value for e in (*app.success, *app.warning)]
    assert len(verdicts) == 1 and "moved:" in verdicts[0]


def test_close_up_controls(app):
    app.radio(key="fm_view").set_value("channel").run()
    assert "conv1, channel 0" in charts(app)
    app.slider(key="fm_channel").set_value(5).run()
    assert "conv1, channel 5" in charts(app) and "conv1 filter 5: one slice per input channel" in charts(app)
    app.select_slider(key="fm_layer").set_value("pool2").run()
    assert not app.exception
    shown = charts(app)
    assert "pool2, channel 5" in shown and "What pool2 saw: channel 5" in shown
    assert "conv2 filter 5: one slice per input channel" in shown
    app.selectbox(key="fm_model").set_value("lenet5").run()
    app.slider(key="fm_channel").set_value(15).run()
    app.select_slider(key="fm_layer").set_value("conv1").run()  # only 6 channels: clamped to the last
    assert not app.exception and "conv1, channel 5" in charts(app)


def test_learned_filters(app):
    app.radio(key="fm_view").set_value("filters").run()
    assert "conv1: 32 filters of 1×3×3" in charts(app)
    app.radio(key="fm_filter_layer").set_value("conv2").run()
    assert "conv2: 64 filters of 32×3×3 (one row per filter, one column per input channel)" in charts(app)


def test_pooling_view_matches_the_network(app):
    app.radio(key="fm_view").set_value("pooling").run()
    assert "✓ Identical to the network's `pool1` output, channel 0" in app.caption[-1].value
    app.slider(key="fm_pool_channel").set_value(9).run()
    app.radio(key="fm_pool_layer").set_value("pool2").run()
    assert not app.exception
    assert "✓ Identical to the network's `pool2` output, channel 9" in app.caption[-1].value


def test_position_and_final_layer(app):
    app.radio(key="fm_view").set_value("position").run()
    sweep = next(spec for title, spec in charts(app).items() if title.startswith("Slide the image"))
    assert [trace["name"] for trace in sweep["data"]] == ["shift along x", "shift along y"]
    app.radio(key="fm_view").set_value("scores").run()
    scores = charts(app)["Class scores (logits)"]
    assert len(scores["data"]) == 2 and len(scores["data"][0]["x"]) == 10


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_upload_good_and_bad(app):
    app.radio(key="fm_source").set_value("upload").run()
    assert not app.exception and app.info
    # A sample 3, inverted and enlarged like a photo of ink on paper.
    three = 255 - np.kron(activations.sample_image(3, 0), np.ones((8, 8), dtype=np.uint8))
    app.file_uploader(key="fm_upload").set_value(("three.png", _png(three), "image/png")).run()
    assert not app.exception and prediction(app).startswith("3 ")
    app.file_uploader(key="fm_upload").set_value(("notes.png", b"not an image at all", "image/png")).run()
    assert not app.exception and "not an image the app can read" in app.error[0].value


def test_without_any_model_the_page_says_what_to_do(open_page, monkeypatch, tmp_path):
    from cnnviz import weights

    monkeypatch.setattr(weights, "ASSETS", tmp_path)
    at = open_page("pages/feature-maps.py")
    assert "No trained model found" in at.error[0].value and "Train live" in at.error[0].value


def test_corrupt_shipped_weights_are_reported(open_page, monkeypatch, tmp_path):
    from cnnviz import ui, weights

    (tmp_path / "simplecnn.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      broken")
    monkeypatch.setattr(weights, "ASSETS", tmp_path)
    ui.pretrained.clear()
    try:
        at = open_page("pages/feature-maps.py")
        assert "SimpleCNN (shipped) could not be loaded" in at.error[0].value.replace("\\", "")
    finally:
        ui.pretrained.clear()


def test_models_trained_in_this_session_are_offered(open_page):
    import torch

    from cnnviz import models

    at = open_page("pages/feature-maps.py")
    torch.manual_seed(0)
    give_models(
        at,
        {
            "LeNet-5 quick": (models.build_model("lenet5").train(), {"model": "lenet5"}),
            "CifarCNN try": (models.build_model("cifarcnn"), {"model": "cifarcnn"}),
        },
    )
    at.run()
    assert "LeNet-5 quick (this session)" in at.selectbox(key="fm_model").options
    at.selectbox(key="fm_model").set_value("session:LeNet-5 quick").run()
    assert not at.exception and "conv1: 6 maps of 28×28" in pictures(at)
    at.selectbox(key="fm_model").set_value("session:CifarCNN try").run()
    assert not at.exception
    assert at.radio(key="fm_source").options == ["Test-set image"]
    if not at.error:  # CIFAR-10 on disk: the page shows its colour test images
        assert "conv1: 6 maps of 28×28" in pictures(at)
    else:
        assert "CIFAR-10 is not on this machine" in at.error[0].value


def test_a_cifar_model_never_makes_the_page_download(open_page, monkeypatch, tmp_path):
    """Choosing a CIFAR model used to start a 170 MB download on every rerun; now the page says how to get it."""
    from cnnviz import data, models, ui

    calls = []

    def no_download(name, root):
        calls.append(name)
        raise AssertionError(f"a page tried to download {name}")

    monkeypatch.setattr(data, "_download", no_download)
    monkeypatch.setenv("CNNVIZ_DATA", str(tmp_path))  # no CIFAR-10 here, whatever this machine has
    ui.split.clear()
    try:
        at = open_page("pages/feature-maps.py")
        give_models(at, {"CifarCNN try": (models.build_model("cifarcnn"), {"model": "cifarcnn"})})
        at.run()
        at.selectbox(key="fm_model").set_value("session:CifarCNN try").run()
        at.run()  # and again: a rerun must not try either
        assert not at.exception and calls == []
        [message] = [e.value for e in at.error]
        assert message.startswith("CIFAR-10 is not on this machine") and "cifar-10-python.tar.gz" in message
        assert "python -m cnnviz train --dataset cifar10" in message and str(tmp_path) not in message
    finally:
        ui.split.clear()
