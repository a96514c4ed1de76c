"""Shared AppTest helpers: open a page through app.py, as the browser reaches it via st.navigation; a fresh
store of browsers' models for every test."""

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import sessions, ui

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def browsers(monkeypatch) -> sessions.BrowserStore:
    """What the server keeps per browser, empty for each test (tests may set its clock)."""
    store = sessions.BrowserStore()
    monkeypatch.setattr(sessions, "BROWSERS", store)
    return store


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
