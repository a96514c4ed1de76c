"""Browser fixtures: a real Streamlit server and headless Debian Chromium driven by Playwright.

How to write an e2e test (mark it ``@pytest.mark.e2e``)::

    from cnnviz.browser import EXCEPTION, collect_console_errors, wait_for_app, wait_for_rerun

    @pytest.mark.e2e
    def test_next_step(page, app_url):
        errors = collect_console_errors(page)          # attach before the first goto
        page.goto(f"{app_url}/playground")
        wait_for_app(page)                             # the first script run is over
        wait_for_rerun(page, lambda: page.get_by_role("button", name="Next step").click())
        assert page.locator(EXCEPTION).count() == 0
        assert errors == []

Fixtures:
- ``app_url`` (session): base URL of one ``python -m cnnviz serve`` (as ``make run``) started for the whole
  session on a free port (environment, so ``CNNVIZ_DATA``, passed through); stopped at the end,
  even when a test fails.
- ``browser`` (session): headless ``/usr/bin/chromium`` (Playwright cannot download browsers here).
- ``page`` (function): a fresh browser context (so a fresh Streamlit session), viewport 1400x1000,
  already watching script runs for ``wait_for_rerun``.

Helpers live in ``cnnviz.browser`` (shared with the benchmarks and the screenshot script):
- ``wait_for_app(page)``: the app is connected, its run is over, nothing is stale (polls the DOM).
- ``wait_for_rerun(page, action)``: does the action and waits for the run it triggers (counts
  ``script_finished`` messages on Streamlit's websocket); returns the seconds it took.
- ``collect_console_errors(page)``: console errors and uncaught exceptions, as they happen.
- selectors ``EXCEPTION``, ``SIDEBAR_NAV``, ``NAV_LINK``; ``start_server`` / ``stop_server`` /
  ``launch_chromium`` / ``watch_runs`` for tests that need their own server or page.

Without Chromium the tests skip with the reason, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cnnviz.browser import (
    CHROMIUM,
    free_port,
    fresh_page,
    launch_chromium,
    start_server,
    stop_server,
)


def require_chromium() -> None:
    """Skip without Chromium, but fail under CI, where a skipped browser test would hide a bug."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found: install Debian's chromium (make browser)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """Base URL of a real Streamlit server running app.py for this test session."""
    require_chromium()
    proc, url = start_server(free_port())
    try:
        yield url
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """A fresh context (own cookies, own Streamlit session) and page per test."""
    with fresh_page(browser) as page:
        yield page
