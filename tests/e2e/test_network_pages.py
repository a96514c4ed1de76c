"""Architecture, feature maps and pooling in real Chromium: click-to-pick a channel, errors as messages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cnnviz.browser import EXCEPTION, NAV_LINK, collect_console_errors, wait_for_app, wait_for_rerun, watch_runs

pytestmark = pytest.mark.e2e
MAIN = '[data-testid="stMain"]'


def open_from_sidebar(page, app_url: str, title: str) -> None:
    """Start at home and follow the sidebar link, as a student does."""
    watch_runs(page)
    page.goto(app_url)
    wait_for_app(page)
    wait_for_rerun(page, lambda: page.locator(NAV_LINK).filter(has_text=title).click())


def test_clicking_a_tile_picks_that_channel(page, app_url):
    errors = collect_console_errors(page)
    open_from_sidebar(page, app_url, "Feature maps")
    wait_for_rerun(page, lambda: page.locator(MAIN).get_by_text("One channel up close", exact=True).click())
    handles = page.locator(f"{MAIN} .cnnviz-figure .cnnviz-scatter .point")
    expect(handles).to_have_count(32)  # SimpleCNN conv1: one handle per channel
    wait_for_rerun(page, lambda: handles.nth(5).click(force=True))
    expect(page.locator(MAIN).get_by_text("conv1, channel 5", exact=True)).to_be_visible()
    expect(page.locator(MAIN).get_by_text("conv1 filter 5: one slice per input channel")).to_be_visible()
    assert page.locator(EXCEPTION).count() == 0
    assert errors == []


def test_pooling_page_explains_bad_settings(page, app_url):
    errors = collect_console_errors(page)
    open_from_sidebar(page, app_url, "Pooling")
    expect(page.locator(MAIN).get_by_text("max(1, 2, 5, 6) = 6")).to_be_visible()
    kernel = page.locator(MAIN).get_by_label("Kernel size")
    wait_for_rerun(page, lambda: (kernel.fill("5"), kernel.press("Enter")))
    expect(page.locator(f'{MAIN} [data-testid="stAlertContentError"]')).to_contain_text("never fits")
    assert page.locator(EXCEPTION).count() == 0
    assert errors == []


def test_architecture_table_ends_with_totals(page, app_url):
    errors = collect_console_errors(page)
    open_from_sidebar(page, app_url, "Architecture")
    expect(page.locator(f'{MAIN} [data-testid="stMetricValue"]').first).to_have_text("421,642")
    rows = page.locator(f"{MAIN} .st-key-arch_table table.cnnviz-layers tbody tr")
    expect(rows.last).to_contain_text("Total")
    expect(rows.last.locator("td.num").first).to_have_text("421,642")
    assert page.locator(EXCEPTION).count() == 0
    assert errors == []
