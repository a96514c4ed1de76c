"""AppTest for projector mode and the presenter's tools: the switch and present=1, Play's speed, the GIF buttons."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import ui

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_link(monkeypatch, page: str, **params: str) -> AppTest:
    """A page opened from a link with these parameters, through app.py (as the open_page fixture does)."""
    monkeypatch.setattr(ui, "route_through_app", lambda: None)
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params.update(params)
    app.switch_page(page)
    return run(app)


def run(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.fixture
def playground(open_page) -> AppTest:
    return open_page("pages/playground.py")


def styles(app: AppTest) -> str:
    return " ".join(html.proto.body for html in app.get("html"))


def test_the_switch_puts_present_in_the_link_and_enlarges_the_page(playground):
    assert "font-size: 20px" not in styles(playground)  # off by default
    assert "padding-top: 2.5rem" in styles(playground)  # every page: the band above the title cut
    playground.toggle(key=ui.PRESENT_SWITCH).set_value(True)
    run(playground)
    assert playground.query_params[ui.PRESENT_PARAM] == "1"
    assert "font-size: 20px" in styles(playground)
    playground.toggle(key=ui.PRESENT_SWITCH).set_value(False)
    run(playground)
    assert ui.PRESENT_PARAM not in playground.query_params
    assert "font-size: 20px" not in styles(playground)


@pytest.mark.parametrize("page", ["pages/home.py", "pages/pooling.py", "pages/architecture.py", "pages/lessons.py"])
def test_a_present_link_opens_any_page_in_projector_mode(monkeypatch, page):
    app = open_link(monkeypatch, page, present="1")
    assert app.toggle(key=ui.PRESENT_SWITCH).value is True
    assert "font-size: 20px" in styles(app)


def test_play_speed_is_a_setting_in_the_link(playground):
    assert playground.select_slider(key="pg_speed").value == 0.7
    playground.select_slider(key="pg_speed").set_value(0.2)
    run(playground)
    assert playground.query_params["pg_speed"] == "0.2"
    playground.button(key="pg_play").click()
    run(playground)  # playing at the new speed: no error, the step row still drawn
    assert playground.button(key="pg_play").label == "Pause"


def test_a_bad_speed_in_a_link_is_named_and_the_default_kept(monkeypatch):
    app = open_link(monkeypatch, "pages/playground.py", pg_speed="0.3")
    assert app.select_slider(key="pg_speed").value == 0.7
    assert any("pg_speed" in w.value.replace("\\", "") for w in app.warning)


def test_the_gif_is_made_only_when_asked_and_then_offered(playground):
    assert not playground.get("download_button")
    playground.button(key="pg_gif").click()
    run(playground)
    (download,) = playground.get("download_button")
    assert download.proto.label == "Download the GIF" and download.proto.url.endswith(".gif")
    playground.slider(key="pg_step_slider").set_value(3)
    run(playground)  # stepping keeps the GIF of the same setting on offer
    assert len(playground.get("download_button")) == 1
    playground.number_input(key="pg_stride").set_value(2)
    run(playground)  # another setting: ask again
    assert not playground.get("download_button")


def test_a_colour_sweep_has_no_gif_and_says_why(playground):
    playground.selectbox(key="pg_example").set_value("RGB volume 5×5×3")
    run(playground)
    playground.button(key="pg_gif").click()
    run(playground)
    assert not playground.get("download_button")
    assert any("single-channel" in w.value for w in playground.warning)


def test_a_sweep_too_long_for_a_gif_says_what_to_change(playground):
    playground.radio(key="pg_source").set_value("digit")
    run(playground)
    playground.number_input(key="pg_padding").set_value(10)  # 46×46 = 2,116 positions
    run(playground)
    playground.button(key="pg_gif").click()
    run(playground)
    assert not playground.get("download_button")
    assert any("2,116 window positions" in w.value and "larger stride" in w.value for w in playground.warning)


def test_pooling_offers_its_gif_when_asked(open_page):
    app = open_page("pages/pooling.py")
    assert not app.get("download_button")
    app.button(key="pool_gif").click()
    run(app)
    (download,) = app.get("download_button")
    assert download.proto.label == "Download the GIF"
