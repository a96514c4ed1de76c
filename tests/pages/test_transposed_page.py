"""AppTest for the transposed-convolution page: both views step, bad settings and tampered links are explained."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import ui

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/transposed.py"


@pytest.fixture
def app(open_page) -> AppTest:
    return open_page(PAGE)


def open_link(monkeypatch, **params: str) -> AppTest:
    """Open the page the way a shared link does: query parameters first, then the first run."""
    monkeypatch.setattr(ui, "route_through_app", lambda: None)
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(PAGE).run()
    return at


def step_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step"))


def sums(at: AppTest) -> str:
    """The written-out sums (code spans, one per line) under the step's figures."""
    return next(m.value for m in at.markdown if m.value.startswith("`")).replace("`", "").replace("  \n", "\n")


def click(at: AppTest, name: str) -> AppTest:
    next(b for b in at.button if b.label == name).click().run()
    assert not at.exception
    return at


def test_worked_example_scatter_steps(app):
    assert "= 3" in app.latex[0].value  # 2×2 input, 2×2 kernel, stride 1: 3×3
    assert step_text(app).startswith("**Step 1 of 4**: input cell (0, 0) = 0")
    click(app, "Next")
    assert step_text(app).startswith("**Step 2 of 4**: input cell (0, 1) = 1 paints 1 × kernel")
    assert sums(app).splitlines() == [
        "out[0, 1] = (0×1) + (1×0) = 0",
        "out[0, 2] = (1×1) = 1",
        "out[1, 1] = (0×3) + (1×2) = 2",
        "out[1, 2] = (1×3) = 3",
    ]
    click(click(app, "Next"), "Next")
    assert "out[1, 1] = (0×3) + (1×2) + (2×1) + (3×0) = 4" in sums(app)  # overlapping copies add up
    click(app, "Next")  # already at the last step: stays there
    assert step_text(app).startswith("**Step 4 of 4**")
    click(app, "First")
    assert step_text(app).startswith("**Step 1 of 4**")


def test_slider_and_buttons_share_one_step(app):
    app.slider[0].set_value(3).run()
    assert step_text(app).startswith("**Step 3 of 4**")
    click(app, "Back")
    assert step_text(app).startswith("**Step 2 of 4**") and app.slider[0].value == 2
    click(app, "Next")
    assert step_text(app).startswith("**Step 3 of 4**") and app.slider[0].value == 3
    app.slider[0].set_value(1).run()
    click(app, "Next")
    assert step_text(app).startswith("**Step 2 of 4**")


def test_as_a_convolution_gives_the_same_output(app):
    app.radio(key="tc_view").set_value("As a convolution").run()
    assert not app.exception
    recipe = " ".join(m.value for m in app.markdown)
    assert "Insert stride − 1 = 0 zeros" in recipe and "= 1 zeros on each side" in recipe
    assert "Step 1 of 9" in step_text(app)
    app.slider[0].set_value(5).run()
    assert "output cell (1, 1)" in step_text(app)
    assert sums(app) == "(0×3) + (1×2) + (2×1) + (3×0) = 4"  # the flipped kernel on the bordered input
    app.select_slider(key="tc_stride").set_value(2).run()
    recipe = " ".join(m.value for m in app.markdown)
    assert "Insert stride − 1 = 1 zero between" in recipe and "Step 5 of 16" in step_text(app)


def test_impossible_settings_are_explained_in_place(app):
    app.select_slider(key="tc_output_padding").set_value(1).run()
    assert not app.exception
    assert "No output with these settings" in app.error[0].value and "smaller than the stride" in app.error[0].value
    app.select_slider(key="tc_output_padding").set_value(0).run()
    app.select_slider(key="tc_padding").set_value(2).run()
    assert "No output" in app.error[0].value
    assert app.toggle(key="tc_chain_fix") is not None  # the rest of the page is still there
    app.select_slider(key="tc_padding").set_value(1).run()
    assert not app.error and "= 1" in app.latex[0].value


def test_output_padding_story_under_stride_two(app):
    app.select_slider(key="tc_stride").set_value(2).run()
    app.select_slider(key="tc_output_padding").set_value(1).run()
    story = " ".join(m.value for m in app.markdown)
    assert "every size in {4, 5} to 2" in story and "0 → 4, 1 → 5" in story
    assert "= 5" in app.latex[0].value


def test_chain_goes_25_then_28_with_output_padding(app):
    assert "7 → 13 → 25, not 28" in app.warning[0].value
    app.toggle(key="tc_chain_fix").set_value(True).run()
    assert "7 → 14 → 28" in app.success[0].value
    assert not app.main.code  # the network's code is drawn only when its panel opens
    app.session_state["tc_code_open"] = True
    app.run()
    assert "output_padding=1)" in app.main.code[-1].value and "(N, 1, 28, 28)" in app.main.code[-1].value


def test_other_inputs_and_a_typed_kernel(app):
    app.radio(key="tc_input").set_value("Digit 7×7").run()
    app.slider(key="tc_digit").set_value(5).run()
    assert not app.exception and "**Input** 7×7" in app.markdown[0].value
    app.radio(key="tc_input").set_value("Random grid").run()
    app.select_slider(key="tc_size").set_value(3).run()
    assert not app.exception and "**Input** 3×3" in app.markdown[0].value
    app.selectbox(key="tc_kernel").set_value("Custom (type your own)").run()
    app.text_area(key="tc_kernel_text").set_value("1 2 3").run()
    assert not app.exception and "kernel** 1×3" in app.markdown[0].value
    assert any("W_{out}" in latex.value for latex in app.latex)  # one formula per axis
    app.text_area(key="tc_kernel_text").set_value("1 x").run()
    assert not app.exception and "not a number" in app.error[0].value
    assert app.warning  # the chain still shows


def test_a_link_sets_the_page(monkeypatch):
    at = open_link(
        monkeypatch,
        tc_stride="2",
        tc_padding="1",
        tc_kernel="Bilinear 3×3",
        tc_view="As a convolution",
        tc_input="Digit 7×7",
        tc_digit="3",
    )
    assert not at.exception and not at.warning[:-1]
    assert at.select_slider(key="tc_stride").value == 2 and at.slider(key="tc_digit").value == 3
    assert "= 13" in at.latex[0].value and at.radio(key="tc_view").value == "As a convolution"


@pytest.mark.parametrize(
    "params, named",
    [
        ({"tc_stride": "abc"}, "tc_stride='abc'"),
        ({"tc_stride": "inf"}, "tc_stride='inf'"),  # a number input would raise OverflowError here
        ({"tc_stride": "1e400", "tc_dilation": ""}, "tc_dilation=''"),
        ({"tc_padding": "99"}, "tc_padding='99'"),
        ({"tc_stride": "2.5", "tc_view": "bogus"}, "tc_view='bogus'"),
        ({"tc_kernel": "<script>"}, "tc_kernel='<script>'"),
        ({"tc_digit": "1e9"}, "tc_digit='1e9'"),
        ({"tc_chain_fix": "maybe"}, "tc_chain_fix='maybe'"),
    ],
)
def test_tampered_links_fall_back_to_defaults_with_a_notice(monkeypatch, params, named):
    at = open_link(monkeypatch, **params)
    assert not at.exception
    notices = " ".join(w.value for w in at.warning).replace("\\", "")
    assert named in notices and "cannot be used" in notices
    assert at.select_slider(key="tc_stride").value == 1 and at.select_slider(key="tc_padding").value == 0
    assert step_text(at).startswith("**Step 1 of 4**")  # the default page works
