"""Our own HTML blocks (cnnviz/frontend/markup, cnnviz.ui.html) in Chromium: drawn without st.html's
per-rerun sanitising, redrawn only when they change, and never able to run or fetch anything."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from cnnviz.browser import EXCEPTION, collect_console_errors, wait_for_app, wait_for_rerun
from cnnviz.figures import predict as predict_figs

pytestmark = pytest.mark.e2e
MAIN = '[data-testid="stMain"]'
HOSTILE = (
    '<style>.x { color: red; }</style><p class="kept" title="a &lt;b&gt;">text</p>'
    '<img id="pic" src="http://127.0.0.1:9/tracker.png" onerror="window.ran = 1">'
    '<img id="inline" src="data:image/png;base64,iVBORw0KGgo=">'
    '<a id="link" href="javascript:window.ran = 2">link</a><script>window.ran = 3</script>'
    '<iframe src="about:blank"></iframe><svg><a id="svglink" href="javascript:alert(1)"><text>t</text></a></svg>'
    '<div id="handler" onclick="window.ran = 4" onmouseover="window.ran = 5">div</div>'
)


def draw(page, markup: str) -> None:
    """Run the served markup script on a host element of a blank test area, as Streamlit would."""
    page.evaluate(
        """async (markup) => {
            const { default: draw } = await import('/_stcore/bidi-components/cnnviz.markup/markup.js');
            let area = document.getElementById('markup-test');
            if (!area) {
                area = document.createElement('div');
                area.id = 'markup-test';
                document.body.appendChild(area);
            }
            draw({ parentElement: area, data: { html: markup } });
        }""",
        markup,
    )


def test_a_block_keeps_its_markup_but_nothing_that_runs_or_loads(page, app_url):
    page.goto(f"{app_url}/home")
    wait_for_app(page)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    draw(page, HOSTILE)
    area = page.locator("#markup-test")
    expect(area.locator("p.kept")).to_have_text("text")
    assert area.locator("p.kept").get_attribute("title") == "a <b>"
    assert area.locator("style").count() == 1  # our blocks bring their own CSS
    assert area.locator("#inline").get_attribute("src").startswith("data:image/png;base64,")
    assert area.locator("#pic").get_attribute("src") is None and area.locator("#pic").get_attribute("onerror") is None
    assert area.locator("#link").get_attribute("href") is None
    assert area.locator("#svglink").get_attribute("href") is None
    assert area.locator("script, iframe").count() == 0
    for target, event in [("#handler", "mouseover"), ("#handler", "click"), ("#link", "click"), ("#pic", "error")]:
        area.locator(target).dispatch_event(event)
    assert page.evaluate("window.ran") is None
    assert not [url for url in requests if "tracker" in url]


def test_an_unchanged_block_is_not_drawn_again(page, app_url):
    """Switching the Feature maps view reruns the page; the model's-input picture beside it stays the same."""
    errors = collect_console_errors(page)
    page.goto(f"{app_url}/feature-maps")
    wait_for_app(page)
    picture = page.locator(".st-key-fm_input .cnnviz-markup > .cnnviz-tiles")
    expect(picture).to_have_count(1)
    picture.evaluate("node => { node.dataset.seen = 'before' }")
    layers = page.locator(".st-key-fm_grid_conv1 .cnnviz-tiles-grid i")
    expect(layers.first).to_be_visible()
    wait_for_rerun(page, lambda: page.locator(MAIN).get_by_text("Final layer", exact=True).click())
    expect(layers).to_have_count(0)
    assert picture.get_attribute("data-seen") == "before"  # the same node: not parsed and drawn again
    assert page.locator(EXCEPTION).count() == 0
    assert errors == []


def test_each_probability_bar_is_as_tall_as_its_share_of_the_plot(page, app_url):
    """The winner's share is written on its bar; it must not take room from the bar (a 100% bar once
    stopped short of the 100% line by that label's height)."""
    page.goto(f"{app_url}/home")
    wait_for_app(page)
    probs = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    probs[[0, 3, 8]] = [0.25, 0.5, 0.25]
    for shares in (probs, np.eye(10)[3]):
        draw(page, predict_figs.probability_bars(shares, "votes", height=220))
        plot = page.locator("#markup-test .cnnviz-bar-plot").bounding_box()
        heights = [bar.bounding_box()["height"] for bar in page.locator("#markup-test .cnnviz-bar").all()]
        inner = plot["height"] - 1  # the plot's bottom border
        assert heights == pytest.approx([max(p * inner, 1) for p in shares], abs=1.0)
