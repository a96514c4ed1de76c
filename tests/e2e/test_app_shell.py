"""The app shell in real Chromium: navigation, every page's URL, the home page's links, cold starts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cnnviz.browser import (
    EXCEPTION,
    NAV_LINK,
    SIDEBAR_NAV,
    collect_console_errors,
    free_port,
    start_server,
    stop_server,
    wait_for_app,
    wait_for_rerun,
    watch_runs,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from app import HOME, SECTIONS  # noqa: E402  (the page table, read without running Streamlit)

pytestmark = pytest.mark.e2e

ENTRIES = [entry for entries in SECTIONS.values() for entry in entries]
SECTION_HEADER = '[data-testid="stNavSectionHeader"]'
MAIN_PAGE_LINK = '[data-testid="stMain"] [data-testid="stPageLink-NavLink"]'


def sidebar_entries(page) -> list[str]:
    """The sidebar navigation as shown, in order: "Section" headers and "icon Title" links."""
    expect(page.locator(NAV_LINK)).to_have_count(len(ENTRIES))
    return page.locator(f"{SIDEBAR_NAV} {SECTION_HEADER}, {SIDEBAR_NAV} {NAV_LINK}").evaluate_all(
        """els => els.map(e => {
            const label = e.querySelector('[data-testid="stMarkdownContainer"]').innerText.trim();
            return e.matches('a') ? `${e.innerText.replace(label, '').trim()} ${label}` : label;
        })"""
    )


def expected_entries() -> list[str]:
    """What app.py declares, in the same form."""
    shown = []
    for section, entries in SECTIONS.items():
        shown.append(section)
        shown.extend(f"{e.icon} {e.title}" for e in entries)
    return shown


def assert_healthy(page, errors: list[str], entry) -> None:
    """The page ran through app.py: our navigation exactly, this entry active, no error anywhere."""
    assert page.url.endswith(f"/{entry.url_path}")
    assert sidebar_entries(page) == expected_entries()
    expect(page.locator(f'{NAV_LINK}[aria-current="page"]')).to_contain_text(entry.title)
    expect(page.locator('[data-testid="stMain"] h1').first).to_be_visible()
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()
    assert errors == [], f"{entry.url_path}: {errors}"


def test_url_paths_are_the_documented_ones():
    assert [e.url_path for e in ENTRIES] == [
        "home",
        "playground",
        "pooling",
        "transposed",
        "architecture",
        "feature-maps",
        "train",
        "predict",
        "lessons",
    ]


def test_every_url_loads_its_page_cleanly(page, app_url):
    errors = collect_console_errors(page)
    for entry in ENTRIES:
        page.goto(f"{app_url}/{entry.url_path}")
        wait_for_app(page)
        assert_healthy(page, errors, entry)


def test_root_opens_home_and_its_cards_link_every_page(page, app_url):
    errors = collect_console_errors(page)
    page.goto(app_url)
    page.wait_for_url(f"{app_url}/{HOME.url_path}")
    wait_for_app(page)
    assert_healthy(page, errors, HOME)
    expect(page.locator(MAIN_PAGE_LINK)).to_have_count(len(ENTRIES))  # a card per page, then "Next: ..."
    expect(page.locator(MAIN_PAGE_LINK).last).to_have_text(f"{ENTRIES[1].icon}Next: {ENTRIES[1].title}")
    for entry in ENTRIES[1:]:
        wait_for_rerun(page, page.locator(MAIN_PAGE_LINK, has_text=entry.title).first.click)
        assert_healthy(page, errors, entry)
        wait_for_rerun(page, page.locator(NAV_LINK, has_text=HOME.title).click)
        assert_healthy(page, errors, HOME)


@pytest.mark.parametrize("path", ["home", "playground", "feature-maps"])
def test_cold_start_first_visit_shows_only_our_navigation(browser, path):
    """A freshly started server whose first visitor opens a page's URL directly."""
    proc, url = start_server(free_port())
    context = browser.new_context()
    try:
        page = context.new_page()
        watch_runs(page)
        errors = collect_console_errors(page)
        page.goto(f"{url}/{path}")
        wait_for_app(page)
        assert_healthy(page, errors, next(e for e in ENTRIES if e.url_path == path))
    finally:
        context.close()
        stop_server(proc)
