"""The transposed-convolution page in real Chromium: Next paints the next copy and the output cells change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cnnviz.browser import EXCEPTION, collect_console_errors, wait_for_app, wait_for_rerun

pytestmark = pytest.mark.e2e
MAIN = '[data-testid="stMain"]'


def test_next_paints_the_next_copy(page, app_url):
    errors = collect_console_errors(page)
    page.goto(f"{app_url}/transposed")
    wait_for_app(page)
    main = page.locator(MAIN)
    expect(main.get_by_text("Step 1 of 4", exact=False)).to_be_visible()
    expect(main.get_by_text("out[0, 1] = (0×1) = 0")).to_have_count(1)
    wait_for_rerun(page, lambda: main.get_by_role("button", name="Next").click())
    expect(main.get_by_text("Step 2 of 4", exact=False)).to_be_visible()
    expect(main.get_by_text("out[0, 2] = (1×1) = 1", exact=False)).to_be_visible()  # a cell the new copy reached
    expect(main.get_by_text("out[0, 1] = (0×1) + (1×0) = 0", exact=False)).to_be_visible()  # two copies overlap
    wait_for_rerun(page, lambda: main.get_by_role("button", name="Next").click())
    wait_for_rerun(page, lambda: main.get_by_role("button", name="Back").click())
    expect(main.get_by_text("Step 2 of 4", exact=False)).to_be_visible()
    assert page.locator(EXCEPTION).count() == 0
    assert errors == []
