"""AppTest for the predict page: it renders, samples are predicted by every shipped model, explanations switch."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.data import sample_digits

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "predict.py")


@pytest.fixture
def app():
    return AppTest.from_file(PAGE, default_timeout=60).run()


def predictions(at):
    return [m.value for m in at.markdown if "Prediction:" in m.value]


def test_page_opens_on_the_canvas_without_errors(app):
    assert not app.exception and not app.error
    assert app.radio(key="pred_source").value == "draw"
    assert any("Draw a digit" in i.value for i in app.info)


@pytest.mark.parametrize("index", [0, 37, 99])
def test_sample_digits_are_predicted_by_every_shipped_model(app, index):
    _, labels = sample_digits()
    app.radio(key="pred_source").set_value("sample").run()
    app.slider(key="pred_sample").set_value(index).run()
    lines = predictions(app)
    assert not app.exception and len(lines) >= 2
    assert all(f"Prediction: {labels[index]} (" in line for line in lines)


def test_grad_cam_can_be_chosen(app):
    app.radio(key="pred_source").set_value("sample").run()
    app.radio(key="pred_method").set_value("grad_cam").run()
    assert not app.exception and len(predictions(app)) >= 2


def test_a_corrupt_shipped_model_is_reported_and_the_others_still_vote(monkeypatch, tmp_path):
    from cnnviz import ui, weights

    (tmp_path / "simplecnn.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      broken")
    (tmp_path / "lenet5.safetensors").write_bytes(weights.pretrained_path("lenet5").read_bytes())
    monkeypatch.setattr(weights, "ASSETS", tmp_path)
    ui.pretrained.clear()
    try:
        at = AppTest.from_file(PAGE, default_timeout=60).run()
        at.radio(key="pred_source").set_value("sample").run()
        assert not at.exception
        assert "SimpleCNN (shipped) could not be loaded" in at.error[0].value
        _, labels = sample_digits()
        [line] = predictions(at)
        assert line.startswith(f"**LeNet-5 (shipped)** — Prediction: {labels[0]} (")
    finally:
        ui.pretrained.clear()
