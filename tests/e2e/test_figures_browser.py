"""Our own SVG figures (cnnviz/frontend/figure) in Chromium: drawn without plotly.js, with every cell,
number and colour bar the figure JSON holds, a hover readout, click-to-pick and a PNG download."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from plotly.colors import sample_colorscale

from cnnviz import conv, data, kernels
from cnnviz.browser import EXCEPTION, collect_console_errors, wait_for_app, wait_for_rerun
from cnnviz.figures import conv as figs

pytestmark = pytest.mark.e2e
INPUT = ".st-key-input_fig .cnnviz-figure"
OUTPUT = ".st-key-output_fig .cnnviz-figure"


@pytest.mark.parametrize("path", ["playground", "pooling", "transposed", "architecture"])
def test_a_page_of_grids_and_bars_loads_no_plotly(page, app_url, path):
    """plotly.js's module start is 0.6-1 s of a first visit here: these pages do without it."""
    errors = collect_console_errors(page)
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(request.url) if request.url.endswith(".js") else None)
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    assert any("bidi-components/cnnviz.figure/figure.js" in url for url in scripts)
    assert not [url for url in scripts if "PlotlyChart" in url]
    assert page.locator(".cnnviz-figure svg").count() >= 1
    assert page.locator(".js-plotly-plot").count() == 0
    assert page.locator(EXCEPTION).count() == 0
    assert errors == []


def test_the_worked_example_is_drawn_cell_by_cell(page, app_url):
    page.goto(f"{app_url}/playground")
    wait_for_app(page)
    cells = page.locator(f"{INPUT} .cnnviz-heatmap rect")
    expect(cells).to_have_count(25)  # the 5×5 worked example
    expect(page.get_by_role("img", name="Input", exact=True)).to_be_visible()  # named for screen readers too
    numbers = page.locator(f"{INPUT} .cnnviz-cell-text text").all_text_contents()
    assert numbers[:5] == ["1", "1", "1", "0", "0"]  # its first row
    assert page.locator(f"{INPUT} .colorbar").count() == 1
    assert page.locator(f"{OUTPUT} .colorbar").count() == 1
    expect(page.locator(f"{OUTPUT} .cnnviz-cell-text text")).to_have_text(["4"])  # step 1: one cell so far
    wait_for_rerun(page, lambda: page.locator(".st-key-pg_next button").click())
    expect(page.locator(f"{OUTPUT} .cnnviz-cell-text text")).to_have_count(2)
    fills = {cell.get_attribute("fill") for cell in cells.all()}
    assert fills == {"rgb(0,0,0)", "rgb(255,255,255)"}  # a binary image on the grey scale, black to white


def test_hovering_a_cell_reads_its_value(page, app_url):
    page.goto(f"{app_url}/playground")
    wait_for_app(page)
    box = page.locator(f"{INPUT} .cnnviz-heatmap rect").nth(5).bounding_box()  # row 1, column 0
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.locator(f"{INPUT} .cnnviz-figure-tip")
    expect(tip).to_be_visible()
    expect(tip).to_have_text("row 1, col 0: 0")
    page.mouse.move(0, 0)
    expect(tip).to_be_hidden()


def test_the_png_button_saves_the_figure_at_twice_its_size(page, app_url):
    page.goto(f"{app_url}/playground")
    wait_for_app(page)
    figure = page.locator(INPUT)
    figure.hover()
    with page.expect_download() as download:
        figure.locator(".cnnviz-figure-save").click()
    assert download.value.suggested_filename == "cnnviz-input_fig.png"
    picture = Image.open(io.BytesIO(download.value.path().read_bytes()))
    svg = figure.locator("svg").bounding_box()
    assert picture.format == "PNG" and picture.size == (round(2 * svg["width"]), round(2 * svg["height"]))
    low, high = picture.convert("L").getextrema()
    assert high - low > 200  # drawn: black cells on white, not a blank page


def test_the_parameter_bars_name_every_layer_with_its_share(page, app_url):
    page.goto(f"{app_url}/architecture")
    wait_for_app(page)
    chart = page.locator(".st-key-arch_params .cnnviz-figure")
    labels = chart.locator(".xtick").all_text_contents()
    assert labels[:2] == ["conv1", "conv2"]  # SimpleCNN's layers with parameters, in order
    expect(chart.locator(".cnnviz-bars .point")).to_have_count(len(labels))
    shares = chart.locator(".cnnviz-bars text").all_text_contents()
    assert len(shares) == len(labels) and all(s.endswith("%") for s in shares)
    assert chart.locator(".ytick").count() >= 3  # a value axis to read the bars against


def test_a_large_grid_is_one_bitmap_that_still_reads_out_on_hover(page, app_url):
    """Thousands of SVG cells would take longer to build than plotly's picture: big grids are one image."""
    page.goto(f"{app_url}/playground?pg_source=digit")
    wait_for_app(page)
    overview = page.locator(".st-key-overview .cnnviz-figure")
    expect(overview.locator(".cnnviz-heatmap-image")).to_have_count(2)  # the 28×28 input and 26×26 output
    expect(overview.locator(".cnnviz-heatmap rect")).to_have_count(9)  # the 3×3 kernel stays cell by cell
    box = overview.locator(".cnnviz-heatmap-image").first.bounding_box()
    cell = box["width"] / 28
    page.mouse.move(box["x"] + 14.5 * cell, box["y"] + 0.5 * cell)  # row 0, column 14: blank paper
    expect(overview.locator(".cnnviz-figure-tip")).to_have_text("row 0, col 14: 0")


_CELL_CENTRES_JS = """async (image, [rows, cols]) => {
    // the bitmap's colour at every cell's centre, read back from the picture the figure shows
    const picture = new Image();
    picture.src = image.getAttribute("href");
    await picture.decode();
    const canvas = document.createElement("canvas");
    canvas.width = picture.naturalWidth;
    canvas.height = picture.naturalHeight;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(picture, 0, 0);
    const out = [];
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
        const x = Math.floor(((j + 0.5) / cols) * canvas.width), y = Math.floor(((i + 0.5) / rows) * canvas.height);
        out.push(Array.from(ctx.getImageData(x, y, 1, 1).data));
    }
    return out;
}"""


def test_a_large_grid_s_bitmap_shows_every_cell_in_its_colour(page, app_url):
    """The 28×28 digit's picture, cell by cell: each cell the colour plotly gives its value."""
    page.goto(f"{app_url}/playground?pg_source=digit&pg_digit=3")
    wait_for_app(page)
    image = page.locator(".st-key-overview .cnnviz-heatmap-image").first
    colours = np.array(image.evaluate(_CELL_CENTRES_JS, [28, 28]))
    digit = data.sample_digits()[0][3].astype(float)
    result = conv.convolve(digit, kernels.PRESETS["Worked example (X)"].values)
    trace = figs.overview_figure(result, conv.window(result, 0)).data[0]  # the input's heatmap, as the page sends it
    expected = sample_colorscale(
        [list(stop) for stop in trace.colorscale], list((digit.ravel() - trace.zmin) / (trace.zmax - trace.zmin))
    )
    rgb = np.array([[float(v) for v in colour[4:-1].split(",")] for colour in expected])
    assert (colours[:, 3] == 255).all()  # opaque: every cell is drawn
    assert np.abs(colours[:, :3] - rgb).max() <= 2  # upside down, shifted or another scale would be far off


def test_a_figure_that_did_not_change_is_not_redrawn(page, app_url):
    """Another conv layer changes the comparison bars only: the parameter bars keep their drawing."""
    page.goto(f"{app_url}/architecture")
    wait_for_app(page)
    params = page.locator(".st-key-arch_params .cnnviz-figure svg")
    compare = page.locator(".st-key-arch_compare .cnnviz-figure svg")
    params.evaluate("(svg) => { svg.dataset.kept = 'yes'; }")
    compare.evaluate("(svg) => { svg.dataset.kept = 'yes'; }")

    def choose_conv2() -> None:
        option = page.get_by_role("option", name="conv2", exact=True)
        page.locator('[data-testid="stSelectbox"]', has_text="Conv layer").get_by_role("combobox").focus()
        for _ in range(5):  # Streamlit's combobox sometimes lets the first key (or click) only focus it
            page.keyboard.press("ArrowDown")
            try:
                option.wait_for(timeout=2_000)
                break
            except PlaywrightTimeout:
                continue
        option.click()

    wait_for_rerun(page, choose_conv2)
    expect(page.locator(".st-key-arch_compare .cnnviz-figure svg")).not_to_have_attribute("data-kept", "yes")
    assert page.locator(".st-key-arch_params .cnnviz-figure svg").get_attribute("data-kept") == "yes"
