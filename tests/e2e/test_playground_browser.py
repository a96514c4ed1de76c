"""The convolution playground in real Chromium: Play moves the window on its own, Pause stops it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cnnviz.browser import EXCEPTION, NAV_LINK, collect_console_errors, wait_for_app, wait_for_rerun, watch_runs

pytestmark = pytest.mark.e2e
MAIN = '[data-testid="stMain"]'
STEP = re.compile(r"Step (\d+) of 784")  # a 28×28 digit: Play cannot reach the end in this test


def shown_step(page) -> int:
    """The step number in the 'Step k of 784' line."""
    text = page.locator(MAIN).get_by_text(STEP).first.inner_text()
    return int(STEP.search(text).group(1))


def test_play_steps_the_window_until_paused(page, app_url):
    errors = collect_console_errors(page)
    watch_runs(page)
    page.goto(app_url)
    wait_for_app(page)
    wait_for_rerun(page, lambda: page.locator(NAV_LINK).filter(has_text="Convolution playground").click())
    wait_for_rerun(page, lambda: page.locator(MAIN).get_by_text("Sample digit", exact=True).click())
    start = shown_step(page)
    assert start == 96  # a digit starts where its ink begins
    wait_for_rerun(page, lambda: page.locator(MAIN).get_by_role("button", name="Play").click())
    expect(page.locator(MAIN).get_by_text(re.compile(r"Step (9[8-9]|\d\d\d+) of 784")).first).to_be_visible(
        timeout=15_000
    )
    wait_for_rerun(page, lambda: page.locator(MAIN).get_by_role("button", name="Pause").click())
    expect(page.locator(MAIN).get_by_role("button", name="Play")).to_be_visible()  # the paused run is drawn
    paused_at = shown_step(page)
    page.wait_for_timeout(2_000)  # a playing window would move about three times (pg_speed's default, 0.7 s)
    assert shown_step(page) == paused_at
    assert page.locator(EXCEPTION).count() == 0
    assert errors == []
