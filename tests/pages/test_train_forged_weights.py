"""AppTest: forged or broken weights files opened on the Train page are refused by name, in words.

No upload raises, each names its file (Markdown in the name shown as written, never as a link), and a
model opened before survives every refusal.
"""

import re
import string
from pathlib import Path

import pytest
import streamlit as st
from kept import kept_models
from streamlit.testing.v1 import AppTest

from cnnviz import ui
from cnnviz.images import WORD_JOINER, escape_markdown
from cnnviz.weights import load_pretrained, weights_to_bytes

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "train.py")
LINK_NAME = "[click me](https://example.org).safetensors"
UNESCAPED = re.compile(r"(?<!\\)[\[\]#]")  # link brackets or a heading mark without a backslash


@pytest.fixture
def app(mnist_test) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    yield at
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def good() -> bytes:
    return weights_to_bytes(load_pretrained("lenet5"), {"model": "lenet5", "dataset": "mnist", "test_accuracy": 0.9876})


def _upload(at: AppTest, name: str, payload: bytes) -> AppTest:
    at.file_uploader(key="train_weights_upload").upload(name, payload, "application/octet-stream")
    at.run()
    assert not at.exception
    return at


def test_forged_uploads_are_refused_by_name_and_the_opened_model_survives(app, good, forged_weights):
    _upload(app, "mine.safetensors", good)
    label = "LeNet-5, 98.8% (from mine.safetensors)"
    assert not app.error and label in kept_models(app)
    for case, (payload, words) in forged_weights.items():
        _upload(app, f"{case}.safetensors", payload)
        assert len(app.error) == 1 and not app.success, case
        shown = app.error[0].value
        assert shown.startswith(f"**{escape_markdown(case + '.safetensors')}** could not be opened: "), shown
        assert escape_markdown(words) in shown, case
        assert label in kept_models(app), case  # the good one survives
    assert len(kept_models(app)) == 1


def test_forged_upload_with_a_link_for_a_name_shows_the_name_not_a_link(app, good, forged_weights):
    _upload(app, LINK_NAME, forged_weights["model_list"][0])
    shown = app.error[0].value
    assert shown.startswith(f"**{escape_markdown(LINK_NAME)}**") and not UNESCAPED.search(shown)
    _upload(app, "[evil](https://example.org)\n# heading.safetensors", good)
    label = "LeNet-5, 98.8% (from [evil](https://example.org) # heading.safetensors)"
    assert label in kept_models(app)  # plain text: select boxes show it as written
    assert app.success[0].value.startswith(f"**{escape_markdown(label)}** is now offered")
    assert not UNESCAPED.search(app.success[0].value) and "\n" not in app.success[0].value


@pytest.mark.parametrize("char", string.punctuation)
def test_escape_markdown_loses_no_character(char):
    assert escape_markdown(f"a{char}b").replace(WORD_JOINER, "").replace("\\", "") in (f"a{char}b", "ab")


@pytest.mark.parametrize("text", ["https://example.org", "see www.example.org", "me@example.org", "mailto:me"])
def test_escape_markdown_breaks_what_gfm_would_autolink_after_escapes(text):
    escaped = escape_markdown(text).replace("\\", "")
    assert escaped != text and escaped.replace(WORD_JOINER, "") == text
    assert not re.search(r"https?://|www\.|\w@|mailto:\w", escaped)


def test_escape_markdown_keeps_text_on_one_line_and_plain_name_cuts_long_names():
    assert "\n" not in escape_markdown("a\n\n    b\tc")
    assert ui.plain_name("x" * 100 + "\u202e") == "x" * 59 + "…" and ui.plain_name("a\nb") == "a b"
