"""Opening saved weights in real Chromium: the model is offered on the other pages; a bad file is explained
(its name shown as written, never as a link)."""

from __future__ import annotations

import pytest
from forgery import forge
from playwright.sync_api import expect

from cnnviz.browser import EXCEPTION, NAV_LINK, collect_console_errors, wait_for_app, wait_for_rerun, watch_runs
from cnnviz.images import WORD_JOINER
from cnnviz.weights import load_pretrained, weights_to_bytes

pytestmark = pytest.mark.e2e
MAIN = '[data-testid="stMain"]'
UPLOAD = f'{MAIN} [data-testid="stFileUploaderDropzoneInput"]'


def go_to(page, title: str) -> None:
    wait_for_rerun(page, lambda: page.locator(NAV_LINK).filter(has_text=title).click())


def test_opened_weights_vote_on_the_predict_page_and_bad_files_are_explained(page, app_url, tmp_path):
    good = tmp_path / "mine.safetensors"
    good.write_bytes(weights_to_bytes(load_pretrained("lenet5"), {"model": "lenet5", "dataset": "mnist"}))
    bad = tmp_path / "renamed.safetensors"
    bad.write_bytes(b"\x80\x04\x95 this is a pickle, not safetensors")
    link = {  # a name no file on disk can have (a slash), as a browser may still send it
        "name": "[click me](https://example.org) *now*.safetensors",
        "mimeType": "application/octet-stream",
        "buffer": forge({"model": ["lenet5"], "dataset": "mnist"}),
    }
    errors = collect_console_errors(page)
    watch_runs(page)
    page.goto(app_url)
    wait_for_app(page)
    go_to(page, "Train live")
    wait_for_rerun(page, lambda: page.locator(UPLOAD).set_input_files(str(good)))
    expect(page.locator(MAIN).get_by_text("LeNet-5 (from mine.safetensors) is now offered")).to_be_visible()
    wait_for_rerun(page, lambda: page.locator(UPLOAD).set_input_files(str(bad)))
    expect(page.locator(f'{MAIN} [data-testid="stAlertContentError"]')).to_contain_text(
        "renamed.safetensors could not be opened"
    )
    wait_for_rerun(page, lambda: page.locator(UPLOAD).set_input_files(link))
    shown = page.locator(f'{MAIN} [data-testid="stAlertContentError"]').inner_text().replace(WORD_JOINER, "")
    assert "[click me](https://example.org) *now*.safetensors could not be opened: The card's model is a list;" in shown
    assert page.locator(f'{MAIN} a[href*="example.org"]').count() == 0  # a name, not a link
    go_to(page, "Draw & predict")
    wait_for_rerun(page, lambda: page.locator(MAIN).get_by_text("Sample", exact=True).click())
    vote = page.locator(f"{MAIN} strong").filter(has_text="LeNet-5 (from mine.safetensors) (this session)")
    expect(vote).to_be_visible()
    assert page.locator(EXCEPTION).count() == 0
    assert errors == []
