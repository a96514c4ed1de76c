"""AppTest for the predict page: it renders, samples are predicted by every shipped model, explanations switch."""

import re
from pathlib import Path

import pytest
from figures import markup
from kept import give_models
from streamlit.testing.v1 import AppTest

from cnnviz import explain
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
    (picture,) = [body for body in markup(app) if f'alt="MNIST test digit labelled {labels[index]}"' in body]
    assert picture.startswith('<img src="data:image/png;base64,')  # the sample itself, beside its slider


@pytest.mark.parametrize("method", sorted(explain.EXPLANATIONS))
def test_each_explanation_says_what_it_means_and_has_a_colour_bar(app, method):
    explanation = explain.EXPLANATIONS[method]
    app.radio(key="pred_source").set_value("sample").run()
    app.radio(key="pred_method").set_value(method).run()
    assert not app.exception and len(predictions(app)) >= 2
    assert any(c.value == explanation.caption for c in app.caption)
    maps = [body for body in markup(app) if "Where it saw" in body]
    assert len(maps) >= 2
    for body in maps:  # every map has its colour bar, and the bar names the unit
        assert 'class="cnnviz-colourbar"' in body and f'class="cnnviz-colourbar-unit">{explanation.unit}<' in body


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


LINK_NAME = "[click me](https://example.org)"
UNESCAPED_LINK = re.compile(r"(?<!\\)\]\(")  # '](' that Markdown would read as the middle of a link


def shown_text(at) -> list[str]:
    """Every piece of Markdown the page sends: markdown, captions, alerts."""
    return [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success") for e in at.get(kind)]


def test_file_names_are_shown_as_text_never_as_links():
    """A weights file and a picture named like a Markdown link: the page shows the name, not a link."""
    import io

    from PIL import Image

    from cnnviz.images import escape_markdown
    from cnnviz.weights import load_pretrained

    at = AppTest.from_file(PAGE, default_timeout=60).run()
    label = f"LeNet-5 (from {LINK_NAME}.safetensors)"  # as ui.open_weights_file names an opened file
    give_models(at, {label: (load_pretrained("lenet5"), {"model": "lenet5"})})
    at.radio(key="pred_source").set_value("upload").run()
    picture = io.BytesIO()
    digits, labels = sample_digits()
    Image.fromarray(255 - digits[0]).resize((112, 112)).save(picture, "PNG")
    at.file_uploader(key="pred_upload").set_value((f"{LINK_NAME}.png", picture.getvalue(), "image/png")).run()
    assert not at.exception
    lines = predictions(at)
    assert any(
        line.startswith(f"**{escape_markdown(label)} (this session)** — Prediction: {labels[0]} (") for line in lines
    )
    # Neither a Markdown link nor a bare URL, which GFM would link too (checked in Chromium).
    assert not any(LINK_NAME in text or UNESCAPED_LINK.search(text) or "https://" in text for text in shown_text(at))
    figures = [body for body in markup(at) if "cnnviz-tiles-title" in body]
    assert figures and not any("<a " in body or "href" in body for body in figures)  # the name is text here
    at.file_uploader(key="pred_upload").set_value((f"{LINK_NAME}.png", b"not a picture", "image/png")).run()
    assert at.error and not any(LINK_NAME in text for text in shown_text(at))
