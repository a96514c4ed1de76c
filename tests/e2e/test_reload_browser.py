"""A reload loses nothing, in real Chromium with two browser contexts: the model opened and the training
started in one browser are still there after F5, and the other browser never sees them."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from cnnviz import ui
from cnnviz.browser import (
    EXCEPTION,
    NAV_LINK,
    collect_console_errors,
    fresh_page,
    wait_for_app,
    wait_for_rerun,
)
from cnnviz.weights import load_pretrained, weights_to_bytes

pytestmark = pytest.mark.e2e
MAIN = '[data-testid="stMain"]'
UPLOAD = f'{MAIN} [data-testid="stFileUploaderDropzoneInput"]'
MINE = "LeNet-5 (from mine.safetensors) (this session)"
TRAINING_ENDS_MS = 180_000  # a hang guard: the tiny training ends on its own, the page polls it


@pytest.fixture
def other_browser(browser):
    """A second browser: its own cookies, so its own identity."""
    with fresh_page(browser) as page:
        yield page


def go_to(page, title: str) -> None:
    wait_for_rerun(page, lambda: page.locator(NAV_LINK).filter(has_text=title).click())


def reload(page) -> None:
    page.reload()
    wait_for_app(page)


def session_votes(page) -> list[str]:
    """The Draw & predict page's votes from models this browser trained or opened, for a sample digit."""
    wait_for_rerun(page, lambda: page.locator(MAIN).get_by_text("Sample", exact=True).click())
    expect(page.locator(f"{MAIN} strong").filter(has_text="(shipped)").first).to_be_visible()
    return page.locator(f"{MAIN} strong").filter(has_text="(this session)").all_inner_texts()


def token_of(page) -> dict:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == ui.BROWSER_COOKIE]
    return cookie


def test_a_reload_keeps_an_opened_model_and_another_browser_never_sees_it(page, other_browser, app_url, tmp_path):
    mine = tmp_path / "mine.safetensors"
    mine.write_bytes(weights_to_bytes(load_pretrained("lenet5"), {"model": "lenet5", "dataset": "mnist"}))
    errors = collect_console_errors(page)
    page.goto(f"{app_url}/train")
    wait_for_app(page)
    wait_for_rerun(page, lambda: page.locator(UPLOAD).set_input_files(str(mine)))
    expect(page.locator(MAIN).get_by_text("LeNet-5 (from mine.safetensors) is now offered")).to_be_visible()
    cookie = token_of(page)
    assert (cookie["path"], cookie["sameSite"], cookie["httpOnly"]) == ("/", "Strict", False)
    assert cookie["expires"] - time.time() == pytest.approx(ui.REMEMBER_BROWSER_S, abs=600)

    reload(page)  # F5 on the Train page: a new session, the same browser
    go_to(page, "Draw & predict")
    assert session_votes(page) == [MINE]
    page.goto(f"{app_url}/predict")  # opening the URL again
    wait_for_app(page)
    assert session_votes(page) == [MINE]
    assert token_of(page)["value"] == cookie["value"]
    assert cookie["value"] not in page.url and cookie["value"] not in page.locator("body").inner_text()

    other_browser.goto(f"{app_url}/predict")  # the same link in another browser
    wait_for_app(other_browser)
    assert session_votes(other_browser) == []
    assert token_of(other_browser)["value"] != cookie["value"]
    assert page.locator(EXCEPTION).count() == 0 and other_browser.locator(EXCEPTION).count() == 0
    assert errors == []


def test_a_reload_finds_the_training_running_or_finished_and_another_browser_does_not(page, other_browser, app_url):
    result = page.get_by_role("heading", name="Result on the whole test set")
    page.goto(f"{app_url}/train?train_size=500&train_epochs=1")
    wait_for_app(page)
    wait_for_rerun(page, lambda: page.get_by_role("button", name="Start training").click())
    reload(page)  # while it runs, or just after it ended: either way it is still there
    expect(page.locator(f'{MAIN} [data-testid="stProgress"]')).to_be_visible()  # running, or "Done"
    expect(page.locator(MAIN).get_by_text("Pick the settings and press")).to_have_count(0)
    expect(result).to_be_visible(timeout=TRAINING_ENDS_MS)
    reload(page)  # and after it ended: the result, and its model offered on the other pages
    expect(result).to_be_visible()
    go_to(page, "Draw & predict")
    (vote,) = session_votes(page)
    assert vote.startswith("LeNet-5 on MNIST digits")

    other_browser.goto(f"{app_url}/train?train_size=500&train_epochs=1")
    wait_for_app(other_browser)
    expect(other_browser.locator(MAIN).get_by_text("Pick the settings and press")).to_be_visible()
    expect(other_browser.get_by_role("heading", name="Result on the whole test set")).to_have_count(0)
    assert page.locator(EXCEPTION).count() == 0 and other_browser.locator(EXCEPTION).count() == 0
