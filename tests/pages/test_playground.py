"""The convolution playground in a real Streamlit script runner: every control changes what is shown."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz import conv, data, kernels

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "playground.py")


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.run()
    assert not app.exception
    return app


def output_line(app: AppTest) -> str:
    return next(m.value for m in app.markdown if m.value.startswith("**Output:**"))


def step_line(app: AppTest) -> str:
    return next(m.value for m in app.markdown if m.value.startswith("**Step"))


def sums(app: AppTest) -> list[str]:
    """The sums written out under the figures (ui.sum_line: markdown code spans)."""
    return [m.value.strip("`") for m in app.main.markdown if m.value.startswith("`") and m.value.endswith("`")]


def latex(app: AppTest) -> str:
    return " ".join(item.value for item in app.latex)


def errors(app: AppTest) -> list[str]:
    return [e.value for e in app.error]


def check(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, app.exception
    return app


def png(array: np.ndarray, mode: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array.astype(np.uint8), mode).save(buffer, format="PNG")
    return buffer.getvalue()


def test_default_is_the_classic_worked_example(at):
    assert output_line(at) == "**Output:** 3×3"
    assert step_line(at).startswith("**Step 1 of 9**")
    assert latex(at).endswith("+ 1 = 3\n$$")
    assert sums(at)[0] == "(1×1) + (1×0) + (1×1) + (0×0) + (1×1) + (1×0) + (0×1) + (0×0) + (1×1) = 4"
    assert not errors(at)


def test_kernel_choice_changes_output_size(at):
    at.selectbox(key="pg_kernel").set_value("Gaussian blur 5×5")
    check(at)
    assert output_line(at) == "**Output:** 1×1"
    assert "(5-1)" in latex(at)


def test_typed_kernel_and_bad_text(at):
    at.number_input(key="pg_padding").set_value(1)
    at.selectbox(key="pg_kernel").set_value("custom")
    check(at)
    at.text_area(key="pg_weights").set_value("1 2\n3 4")
    check(at)
    assert output_line(at) == "**Output:** 6×6"
    at.text_area(key="pg_weights").set_value("1 2\n3 banana")
    check(at)
    assert any("'banana' (row 2, number 2) is not a number" in e for e in errors(at))
    assert at.number_input(key="pg_padding").value == 1  # the other settings survive


def test_typed_text_is_quoted_literally_in_errors(at):
    at.selectbox(key="pg_kernel").set_value("custom")
    check(at)
    at.text_area(key="pg_weights").set_value("1 **https://example.org**")
    check(at)
    [message] = errors(at)
    assert "'\\*\\*https\u2060\\://example.or' (row 1, number 2) is not a number" in message


def test_padding_amount_and_mode(at):
    at.number_input(key="pg_padding").set_value(1)
    check(at)
    assert output_line(at) == "**Output:** 5×5"
    assert r"5 + 2\cdot 1" in latex(at)
    at.selectbox(key="pg_mode").set_value("circular")
    check(at)
    assert output_line(at) == "**Output:** 5×5"
    at.selectbox(key="pg_mode").set_value("reflect")
    at.number_input(key="pg_padding").set_value(5)
    check(at)
    assert any("Reflect padding must be smaller than the input (5×5)" in e for e in errors(at))
    assert at.selectbox(key="pg_mode").value == "reflect"


def test_stride(at):
    at.number_input(key="pg_stride").set_value(2)
    check(at)
    assert output_line(at) == "**Output:** 2×2"
    assert step_line(at).startswith("**Step 1 of 4**")


def test_dilation_and_an_impossible_setting_explained(at):
    at.number_input(key="pg_dilation").set_value(2)
    check(at)
    assert output_line(at) == "**Output:** 1×1"
    at.number_input(key="pg_dilation").set_value(3)
    check(at)
    assert "no valid output" in latex(at)
    [message] = errors(at)
    assert "dilated kernel (3·(3−1)+1 = 7)" in message and "Add padding" in message
    at.number_input(key="pg_padding").set_value(1)
    check(at)
    assert output_line(at) == "**Output:** 1×1" and not errors(at)


def test_bias_is_added_in_the_written_sum(at):
    at.number_input(key="pg_bias").set_value(-1.5)
    check(at)
    assert sums(at)[0].endswith(" - 1.5 = 2.5")


def test_step_buttons_and_slider(at):
    at.button(key="pg_next").click()
    check(at)
    assert step_line(at) == "**Step 2 of 9**: the window fills output cell (0, 1)."
    assert sums(at)[0].endswith("= 3")
    at.button(key="pg_back").click()
    check(at)
    assert step_line(at).startswith("**Step 1 of 9**")
    at.button(key="pg_back").click()  # cannot go before the first step
    check(at)
    assert step_line(at).startswith("**Step 1 of 9**")
    at.slider(key="pg_step_slider").set_value(9)
    check(at)
    assert step_line(at) == "**Step 9 of 9**: the window fills output cell (2, 2)."
    at.button(key="pg_next").click()  # nor past the last
    check(at)
    assert step_line(at).startswith("**Step 9 of 9**")
    at.button(key="pg_first").click()
    check(at)
    assert step_line(at).startswith("**Step 1 of 9**")


def test_step_is_kept_in_range_when_the_output_shrinks(at):
    at.slider(key="pg_step_slider").set_value(8)
    check(at)
    at.number_input(key="pg_stride").set_value(2)
    check(at)
    assert step_line(at).startswith("**Step 4 of 4**")


def test_play_advances_and_pauses(at):
    at.button(key="pg_play").click()
    check(at)
    assert at.session_state.pg_playing
    assert at.button(key="pg_play").label == "Pause"
    assert step_line(at).startswith("**Step 2 of 9**")
    at.button(key="pg_play").click()
    check(at)
    assert not at.session_state.pg_playing and step_line(at).startswith("**Step 2 of 9**")


def test_play_stops_at_the_last_step(at):
    at.slider(key="pg_step_slider").set_value(9)
    at.button(key="pg_play").click()
    check(at)
    assert not at.session_state.pg_playing and step_line(at).startswith("**Step 9 of 9**")


def test_sample_digit_is_large_and_zoomed(at):
    at.radio(key="pg_source").set_value("digit")
    check(at)
    assert at.selectbox(key="pg_kernel").value == "Sobel x"  # the 5×5 example's X kernel is swapped out
    assert output_line(at) == "**Output:** 28×28"
    assert step_line(at).startswith("**Step 96 of 784**")  # where the ink begins, not the black corner
    assert any("MNIST test digit #0" in c.value for c in at.caption)
    at.slider(key="pg_step_slider").set_value(3).run()
    at.slider(key="pg_digit").set_value(42)
    check(at)
    assert any("MNIST test digit #42" in c.value for c in at.caption)
    digit = data.sample_digits()[0][42].astype(float)
    ink = conv.first_ink(conv.convolve(digit, kernels.PRESETS["Sobel x"].values, padding=1))
    assert ink > 28 and step_line(at).startswith(f"**Step {ink + 1} of 784**")  # a new digit: its own ink


def test_other_worked_examples(at):
    at.selectbox(key="pg_example").set_value("Vertical edge 6×6")
    check(at)
    assert output_line(at) == "**Output:** 4×4"
    assert at.selectbox(key="pg_kernel").value == "Prewitt x"
    at.selectbox(key="pg_example").set_value("Bright square 7×7")
    check(at)
    assert output_line(at) == "**Output:** 7×7"


def test_rgb_volume_shows_the_stacked_filters(at):
    at.selectbox(key="pg_example").set_value("RGB volume 5×5×3")
    check(at)
    assert output_line(at) == "**Output:** 3×3×3 (one map per filter)"
    assert "(channels)" in sums(at)[0]
    at.radio(key="pg_filter").set_value(1)
    check(at)
    assert "filter 1" in step_line(at)


def test_grey_upload_is_shrunk(at):
    at.radio(key="pg_source").set_value("upload")
    check(at)
    assert any("Upload a picture" in i.value for i in at.info)
    image = np.tile(np.linspace(0, 255, 200), (100, 1))
    at.file_uploader(key="pg_upload").upload("ramp.png", png(image, "L"), "image/png")
    check(at)
    assert output_line(at) == "**Output:** 14×28"  # 200×100 shrunk to 28×14, Sobel x with padding 1
    at.slider(key="pg_side").set_value(16)
    check(at)
    assert output_line(at) == "**Output:** 8×16"


def test_colour_upload_uses_three_channels(at):
    at.radio(key="pg_source").set_value("upload")
    check(at)
    image = np.zeros((20, 20, 3))
    image[:, :10, 0] = 255
    image[:, 10:, 2] = 255
    at.file_uploader(key="pg_upload").upload("flag.png", png(image, "RGB"), "image/png")
    check(at)
    assert at.checkbox(key="pg_colour").value
    assert output_line(at) == "**Output:** 20×20×3 (one map per filter)"
    at.checkbox(key="pg_colour").uncheck()
    check(at)
    assert output_line(at) == "**Output:** 20×20"


def test_bad_upload_is_explained(at):
    at.radio(key="pg_source").set_value("upload")
    check(at)
    at.file_uploader(key="pg_upload").upload("fake.png", b"not an image at all", "image/png")
    check(at)
    assert any("not an image" in e for e in errors(at))


def test_renders_through_the_app_navigation(open_page):
    app = open_page("pages/playground.py")
    assert output_line(app) == "**Output:** 3×3" and not errors(app)


def linked(params: dict[str, str]) -> AppTest:
    """The page opened from a link with these query parameters."""
    app = AppTest.from_file(PAGE, default_timeout=60)
    for name, value in params.items():
        app.query_params[name] = value
    return check(app)


def warnings(app: AppTest) -> str:
    """The notices as a reader sees them (the markdown escapes of user text removed)."""
    return " ".join(w.value for w in app.warning).replace("\\", "")


def test_a_prepared_link_sets_every_control_and_the_figures():
    app = linked({"pg_kernel": "Prewitt x", "pg_padding": "1", "pg_stride": "2", "pg_step": "4"})
    assert app.selectbox(key="pg_kernel").value == "Prewitt x"
    assert (app.number_input(key="pg_padding").value, app.number_input(key="pg_stride").value) == (1, 2)
    assert output_line(app) == "**Output:** 3×3" and step_line(app).startswith("**Step 4 of 9**")
    assert r"5 + 2\cdot 1" in latex(app) and not warnings(app)


def test_the_url_follows_the_controls(at):
    at.number_input(key="pg_stride").set_value(2)
    check(at)
    assert at.query_params["pg_stride"] == "2"
    at.button(key="pg_next").click()
    check(at)
    assert at.query_params["pg_step"] == "2"
    at.number_input(key="pg_stride").set_value(1)
    check(at)
    assert "pg_stride" not in at.query_params  # defaults stay out of the link


def test_a_tampered_link_is_explained_and_the_rest_applies():
    app = linked(
        {
            "pg_stride": "abc",
            "pg_weights": ",".join(["1"] * 10_000),
            "pg_kernel": "custom",
            "pg_step": "999",
            "pg_padding": "1",
            "evil": "<script>",
        }
    )
    text = warnings(app)
    for named in ("pg_stride", "pg_weights", "evil", "Step 999 is past"):
        assert named in text, named
    assert app.number_input(key="pg_stride").value == 1 and app.number_input(key="pg_padding").value == 1
    assert app.text_area(key="pg_weights").value == "1 0 -1\n2 0 -2\n1 0 -1"
    assert step_line(app).startswith("**Step 25 of 25**")


def _figures_use(app: AppTest, kernel: str, padding: int, stride: int) -> None:
    """What the widgets show is what the formula and the written sums use."""
    assert app.selectbox(key="pg_kernel").value == kernel
    assert app.number_input(key="pg_padding").value == padding
    assert app.number_input(key="pg_stride").value == stride
    assert rf"2\cdot {padding}" in latex(app) and rf"{{{stride}}}" in latex(app)


@pytest.mark.parametrize("kernel", ["Prewitt x", "custom"])
def test_controls_and_figures_agree_after_every_change_of_input(at, kernel):
    """Regression: after an upload the widgets read X / 0 / 1 while the figures used the old settings."""
    at.selectbox(key="pg_kernel").set_value(kernel)
    at.number_input(key="pg_padding").set_value(2)
    at.number_input(key="pg_stride").set_value(2)
    check(at)
    _figures_use(at, kernel, 2, 2)
    at.radio(key="pg_source").set_value("upload")
    check(at)
    grey = Image.fromarray(np.tile(np.linspace(0, 255, 40), (30, 1)).astype(np.uint8), "L")
    buffer = io.BytesIO()
    grey.save(buffer, format="JPEG")
    at.file_uploader(key="pg_upload").upload("grey.jpg", buffer.getvalue(), "image/jpeg")
    check(at)
    _figures_use(at, kernel, 2, 2)
    at.radio(key="pg_source").set_value("digit")
    check(at)
    _figures_use(at, kernel, 2, 2)
    at.radio(key="pg_source").set_value("example")
    check(at)
    _figures_use(at, kernel, 2, 2)


def test_predict_before_you_step_hides_the_cell_until_a_guess(at):
    at.toggle(key="pg_guess").set_value(True)
    check(at)
    assert any("Predict the sum first" in i.value for i in at.info)
    assert not [c for c in sums(at) if "=" in c]  # the sum stays hidden
    at.text_input(key="pg_typed").set_value("3")
    at.button(key="pg_check").click()
    check(at)
    assert at.error and at.error[0].value.startswith("✗")
    at.text_input(key="pg_typed").set_value("4")
    at.button(key="pg_check").click()
    check(at)
    assert at.success[0].value.startswith("✓") and sums(at)[0].endswith("= 4")
    at.button(key="pg_next").click()
    check(at)
    assert any("Predict the sum first" in i.value for i in at.info)  # the next cell asks again
