"""AppTest for the pooling page: every control changes what is shown, bad settings are explained."""

import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture
def app(open_page) -> AppTest:
    return open_page("pages/pooling.py")


def _window_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Window"))


def test_classic_example_max_then_average(app):
    assert "max(1, 2, 5, 6) = 6" in _window_text(app)
    app.slider(key="pool_step_slider").set_value(4).run()
    assert "max(11, 12, 15, 16) = 16" in _window_text(app)
    app.radio(key="pool_mode").set_value("avg").run()
    assert not app.exception
    assert "(11 + 12 + 15 + 16) / 4 = 13.5" in _window_text(app)
    assert any("`torch.nn.functional.avg_pool2d(x, kernel_size=2" in m.value for m in app.markdown)


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("pool_kernel", 3, "3×3 window"),
        ("pool_stride", 1, "3×3 output"),
        ("pool_padding", 1, "padding 1"),
    ],
)
def test_number_controls_change_the_output(app, key, value, expected):
    app.number_input(key=key).set_value(value).run()
    assert not app.exception and not app.error
    assert expected in app.caption[0].value


def test_invalid_settings_are_explained_not_raised(app):
    app.number_input(key="pool_padding").set_value(2).run()
    assert not app.exception
    assert "at most half the kernel" in app.error[0].value
    app.number_input(key="pool_padding").set_value(0).run()
    app.number_input(key="pool_kernel").set_value(5).run()
    assert "never fits" in app.error[0].value
    assert app.radio(key="pool_mode").value == "max"  # the rest of the page survives


def test_other_inputs(app):
    app.radio(key="pool_source").set_value("random").run()
    app.slider(key="pool_size").set_value(9).run()
    app.number_input(key="pool_seed").set_value(7).run()
    assert not app.exception and "9×9 input → 4×4 output" in app.caption[0].value
    app.radio(key="pool_source").set_value("digit").run()
    assert not app.exception and "28×28 input → 14×14 output" in app.caption[0].value


def test_a_link_opens_the_prepared_window_and_bad_values_fall_back():
    at = AppTest.from_file("../../pages/pooling.py", default_timeout=60)
    at.query_params.update({"pool_mode": "avg", "pool_step": "3", "pool_kernel": "99", "pool_size": "x"})
    at.run()
    assert not at.exception
    assert "(9 + 10 + 13 + 14) / 4 = 11.5" in _window_text(at)
    notices = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "pool_kernel='99'" in notices and "pool_size='x'" in notices
    assert at.number_input(key="pool_kernel").value == 2


def test_next_and_back_step_the_window(app):
    app.button(key="pool_next").click().run()
    assert "max(3, 4, 7, 8) = 8" in _window_text(app)
    app.button(key="pool_back").click().run()
    assert "max(1, 2, 5, 6) = 6" in _window_text(app)
