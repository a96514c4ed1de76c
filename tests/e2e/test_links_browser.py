"""Settings in links, in real Chromium: the URL follows the controls; links, reloads and page changes keep a view."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cnnviz.browser import EXCEPTION, free_port, start_server, stop_server, wait_for_app, wait_for_rerun, watch_runs

pytestmark = pytest.mark.e2e
TITLE = "Convolution playground"


def number(page, name: str):
    """A number input of the page (the sidebar's share panel also names the settings)."""
    return page.get_by_role("spinbutton", name=name, exact=True)


def step_text(page) -> str:
    return page.get_by_text(re.compile(r"^Step \d+ of \d+")).first.inner_text()


def open_playground(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=TITLE).wait_for()
    wait_for_app(page)


def test_the_url_follows_the_controls_and_a_reload_keeps_the_view(page, app_url):
    open_playground(page, f"{app_url}/playground")
    stride = number(page, "Stride")
    wait_for_rerun(page, lambda: (stride.fill("2"), stride.press("Enter")))
    expect(page).to_have_url(re.compile(r"pg_stride=2"))
    wait_for_rerun(page, lambda: page.get_by_role("button", name="Next").click())
    expect(page).to_have_url(re.compile(r"pg_step=2"))
    page.reload()
    page.get_by_role("heading", name=TITLE).wait_for()
    wait_for_app(page)
    expect(number(page, "Stride")).to_have_value("2")
    assert step_text(page).startswith("Step 2 of 4")


def test_going_to_another_page_and_back_keeps_the_view(page, app_url):
    open_playground(page, f"{app_url}/playground?pg_padding=1&pg_step=3")
    nav = page.locator('[data-testid="stSidebarNav"]')
    wait_for_rerun(page, lambda: nav.get_by_role("link", name="Pooling").click())
    page.get_by_role("heading", name=re.compile("^Pooling")).wait_for()
    wait_for_rerun(page, lambda: nav.get_by_role("link", name=TITLE).click())
    page.get_by_role("heading", name=TITLE).wait_for()
    wait_for_app(page)
    expect(number(page, "Padding")).to_have_value("1")
    assert step_text(page).startswith("Step 3 of 25")
    expect(page).to_have_url(re.compile(r"pg_padding=1.*pg_step=3"))


def test_ten_quick_clicks_are_ten_steps(page, app_url):
    open_playground(page, f"{app_url}/playground?pg_source=digit&pg_kernel=Sobel+x&pg_padding=1")
    assert step_text(page).startswith("Step 1 of 784")
    next_button = page.get_by_role("button", name="Next")
    for _ in range(10):
        next_button.click()
        page.wait_for_timeout(100)  # about ten clicks a second, as a student clicks
    page.wait_for_function("() => location.search.includes('pg_step=11')", timeout=30_000)
    wait_for_app(page)
    assert step_text(page).startswith("Step 11 of 784")


def test_a_class_link_shows_only_the_chosen_controls(page, app_url):
    open_playground(page, f"{app_url}/playground?pg_stride=2&show=pg_step,pg_padding")
    main = page.locator('[data-testid="stMain"]')
    expect(number(page, "Padding")).to_be_visible()
    expect(number(page, "Stride")).to_have_count(0)
    expect(main.get_by_text("Kernel", exact=True)).to_have_count(0)
    assert step_text(page).startswith("Step 1 of 4")  # the hidden stride still applies
    wait_for_rerun(page, lambda: page.get_by_role("button", name="Next").click())
    expect(page).to_have_url(re.compile(r"show=pg_step"))  # the class link survives a step


def test_a_prepared_link_opens_on_a_freshly_started_server(browser):
    proc, url = start_server(free_port())
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        watch_runs(page)
        open_playground(page, f"{url}/playground?pg_kernel=Prewitt+x&pg_padding=1&pg_stride=2&pg_step=4&pg_bogus=1")
        expect(number(page, "Stride")).to_have_value("2")
        expect(number(page, "Padding")).to_have_value("1")
        assert step_text(page).startswith("Step 4 of 9")
        expect(page.get_by_text("'pg_bogus' is not one of this page's")).to_be_visible()
        assert page.locator(EXCEPTION).count() == 0
    finally:
        context.close()
        stop_server(proc)


def test_the_share_panel_draws_its_links_only_when_opened(page, app_url):
    open_playground(page, f"{app_url}/playground?pg_stride=2")
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.locator('[data-testid="stCode"]').count() == 0  # closed: nothing drawn, nothing to download
    wait_for_rerun(page, lambda: sidebar.get_by_text("Share this view").click())
    links = sidebar.locator('[data-testid="stCode"]')
    expect(links).to_have_count(2)
    expect(links.first).to_contain_text("/playground?pg_stride=2")
    expect(links.nth(1)).to_contain_text("show=")
    assert page.locator(EXCEPTION).count() == 0


@pytest.mark.parametrize("path", ["playground", "pooling", "transposed", "lessons"])
def test_a_first_visit_loads_no_syntax_highlighter(page, app_url, path):
    """Sums are code spans, slide links and code drawn on demand: the highlighter is 1.5 MB and ~0.35 s here."""
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(request.url) if request.url.endswith(".js") else None)
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    assert any("cnnviz.figure" in url or "Selectbox" in url for url in scripts)  # the watch sees lazy chunks
    assert not [url for url in scripts if "SyntaxHighlighter" in url]
