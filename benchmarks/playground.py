"""Server work per widget change on the convolution playground.

Two measurements: (1) the cnnviz calls one rerun makes (convolve, one window, every figure built
and serialised the way st.plotly_chart does), and (2) whole script reruns in Streamlit's AppTest
runner after a widget change, which also counts Streamlit's own element handling.
Run: python benchmarks/playground.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import plotly.io as pio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnviz import conv, data, examples, kernels  # noqa: E402
from cnnviz.figures import conv as figs  # noqa: E402

REPEATS = 15
BUDGET_MS = 100


def timed_ms(fn, repeats: int = REPEATS) -> tuple[float, float]:
    """Median wall and CPU milliseconds of fn() (CPU time is robust when other jobs share the cores)."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start_wall) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def grey_step(image: np.ndarray, kernel: np.ndarray, position: int, **settings) -> None:
    result = conv.convolve(image, kernel, 0.5, **settings)
    win = conv.window(result, position)
    small = max(result.padded.shape[1:]) <= 15
    built = [figs.kernel_products_figure(win)]
    if small:
        built += [figs.input_figure(result, win), figs.output_figure(result.output[0], position)]
    else:
        built += [
            figs.overview_figure(result, win),
            figs.input_figure(result, win, crop=figs.window_crop(result, win)),
            figs.output_figure(result.output[0], position, crop=figs.output_crop(result.output.shape[1:], position)),
        ]
    [pio.to_json(f, validate=False) for f in built]
    conv.window_equation(win)


def colour_page(image: np.ndarray, position: int, **settings) -> None:
    weight, bias = examples.rgb_bank(examples.DEFAULT_RGB_FILTERS)
    result = conv.convolve(image, weight, bias, **settings)
    win = conv.window(result, position, 1)
    crop = None if max(result.padded.shape[1:]) <= 15 else figs.window_crop(result, win)
    built = [
        figs.channel_sum_figure(result, 1),
        figs.volume_figure(result),
        figs.output_figure(result.output[1], position),
        figs.channel_step_figure(result, win, crop),
    ]
    [pio.to_json(f, validate=False) for f in built]


def library_figures() -> list[tuple[str, float]]:
    digit = data.sample_digits()[0][7].astype(np.float64)
    seed = examples.SEEDS["Classic 5×5 worked example"].image
    rgb_seed = examples.SEEDS["RGB volume 5×5×3"].image
    photo = np.random.default_rng(0).integers(0, 256, size=(3, 64, 64)).astype(np.float64)
    sobel, x = kernels.PRESETS["Sobel x"].values, kernels.PRESETS["Worked example (X)"].values
    return [
        ("5x5 worked example, one step", timed_ms(lambda: grey_step(seed, x, 4))),
        ("28x28 digit, one step (overview + zoom)", timed_ms(lambda: grey_step(digit, sobel, 300, padding=1))),
        (
            "28x28 digit, reflect pad 3, dilation 2",
            timed_ms(lambda: grey_step(digit, sobel, 300, padding=3, dilation=2, padding_mode="reflect")),
        ),
        ("64x64 grey upload, 7x7 kernel", timed_ms(lambda: grey_step(photo[0], np.ones((7, 7)), 1000, padding=3))),
        ("RGB 5x5x3 volume, 3 filters", timed_ms(lambda: colour_page(rgb_seed, 4, padding=1, stride=2))),
        ("RGB 64x64x3 upload, 3 filters", timed_ms(lambda: colour_page(photo, 2000, padding=1))),
        (
            "convolve only, 64x64x3 x 3 filters",
            timed_ms(lambda: conv.convolve(photo, examples.rgb_bank(examples.DEFAULT_RGB_FILTERS)[0], padding=1)),
        ),
    ]


def apptest_reruns() -> list[tuple[str, float]]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "playground.py"), default_timeout=60)
    at.run()

    def timed(change, repeats: int = 8) -> tuple[float, float]:
        wall, cpu = [], []
        for k in range(repeats):
            change(k)
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            at.run()
            wall.append((time.perf_counter() - start_wall) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            assert not at.exception, at.exception
        return statistics.median(wall), statistics.median(cpu)

    rows = [
        ("worked example: Next step", timed(lambda k: at.button(key="pg_next").click())),
        ("worked example: padding", timed(lambda k: at.number_input(key="pg_padding").set_value(k % 3))),
        (
            "worked example: kernel",
            timed(lambda k: at.selectbox(key="pg_kernel").set_value(["Sobel x", "Sharpen", "Box blur"][k % 3])),
        ),
    ]
    at.radio(key="pg_source").set_value("digit").run()
    rows += [
        ("digit: slider position", timed(lambda k: at.slider(key="pg_step_slider").set_value(100 + 37 * k))),
        ("digit: stride", timed(lambda k: at.number_input(key="pg_stride").set_value(1 + k % 2))),
        ("digit: choose another digit", timed(lambda k: at.slider(key="pg_digit").set_value(k * 9))),
    ]
    at.radio(key="pg_source").set_value("example").run()
    at.selectbox(key="pg_example").set_value("RGB volume 5×5×3").run()
    rows.append(("RGB volume: Next step", timed(lambda k: at.button(key="pg_next").click())))
    return rows


def report(title: str, rows: list[tuple[str, tuple[float, float]]]) -> None:
    print(title)
    for name, (wall, cpu) in rows:
        print(f"  {name:<46} {wall:8.1f} {cpu:8.1f}")


def main() -> int:
    print(
        f"Convolution playground: median ms per widget change (load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores)"
    )
    print(f"{'':<48} {'wall':>8} {'CPU':>8}")
    library = library_figures()
    report("cnnviz calls + figure JSON for one rerun", library)
    report("whole page rerun in AppTest (Streamlit and its test harness included)", apptest_reruns())
    worst = max(cpu for _, (_, cpu) in library)
    print(
        f"slowest cnnviz work per change: {worst:.1f} ms CPU (budget {BUDGET_MS} ms): "
        + ("OK" if worst < BUDGET_MS else "OVER BUDGET")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
