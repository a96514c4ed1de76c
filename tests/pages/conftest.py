"""Shared AppTest helper: open a page through app.py, as the browser reaches it via st.navigation."""

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import ui

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def open_page(monkeypatch) -> Callable[[str], AppTest]:
    """Run app.py switched to a page file; fails the test if the first run raises.

    AppTest starts every run as a cold server (legacy pages/ routing on), so the cold-start guard
    would rerun to Home and drop the page switch_page chose; the guard is tested in the browser.
    """
    monkeypatch.setattr(ui, "route_through_app", lambda: None)

    def run(page: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.switch_page(page).run()
        assert not at.exception
        return at

    return run
