"""Every page opened from a tampered link: each bad value is named once, the rest of the link applies."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import state, ui

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = [page for page, fields in state.PAGES.items() if fields]


def open_link(monkeypatch, page: str, params: dict[str, str]) -> AppTest:
    monkeypatch.setattr(ui, "route_through_app", lambda: None)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def a_valid_change(page: str) -> tuple[str, object]:
    """A field of the page and a valid value other than its default (a number, or the second choice)."""
    for field in state.fields(page):
        if field.kind is int and field.choices is None and not field.name.endswith("_step"):
            for value in (field.default + 1, field.default - 1):
                try:
                    return field.name, field.validate(value)
                except ValueError:
                    continue
    field = next(f for f in state.fields(page) if f.choices is not None and len(f.choices) > 1)
    return field.name, next(c for c in field.choices if c != field.default)


@pytest.mark.parametrize("page", PAGES)
def test_a_tampered_link_is_named_and_the_rest_applies(monkeypatch, page):
    name, value = a_valid_change(page)
    first_choice = next(f for f in state.fields(page) if f.choices is not None and f.name != name)
    params = {name: state.Field.format(next(f for f in state.fields(page) if f.name == name), value)}
    params |= {first_choice.name: "<b>not-a-choice</b>", "zz_unknown": "1", f"{name}x": "9" * 400}
    at = open_link(monkeypatch, page, params)
    notices = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "not-a-choice" in notices and "zz_unknown" in notices and f"{name}x" in notices
    assert at.session_state[name] == value
    assert at.session_state[first_choice.name] != "<b>not-a-choice</b>"


@pytest.mark.parametrize("page", PAGES)
def test_an_empty_link_opens_the_defaults_without_a_notice(monkeypatch, page):
    at = open_link(monkeypatch, page, {})
    assert not at.warning or all("link" not in w.value for w in at.warning)


def test_the_class_links_ticks_survive_closing_the_share_panel(monkeypatch):
    at = open_link(monkeypatch, "playground", {})
    at.session_state["share_open_playground"] = True
    at.run()
    at.multiselect(key="share_show_playground").set_value(["pg_stride", "pg_padding"]).run()
    assert at.sidebar.code[1].value.endswith("show=pg_stride%2Cpg_padding")
    at.session_state["share_open_playground"] = False
    at.run()
    assert not at.sidebar.code  # closed: not drawn
    at.session_state["share_open_playground"] = True
    at.run()
    assert at.multiselect(key="share_show_playground").value == ["pg_stride", "pg_padding"]
