"""Server work per interaction on the feature-maps page (budget: 100 ms) and the model runs it causes;
server work on the architecture and pooling pages too.

Two measurements:
1. the script rerun itself after each widget change, timed inside Streamlit's script thread (wall
   and that thread's CPU time, which stays honest when other jobs share the cores); AppTest reruns
   the whole page even for widgets inside an st.fragment, so for layer/channel changes this is an
   upper bound of what the real server does;
2. how many forward passes each change triggers (the (model, image) cache should make layer,
   channel and view changes cost none).
Run: python benchmarks/feature_maps.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CNNVIZ_DATA", str(ROOT.parent / "shared" / "data"))

import streamlit.runtime.scriptrunner.script_runner as script_runner  # noqa: E402
import streamlit.testing.v1.app_test as app_test  # noqa: E402
import streamlit.testing.v1.local_script_runner as local_runner  # noqa: E402
from streamlit.runtime.scriptrunner.script_cache import ScriptCache  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from cnnviz import activations, models, ui, weights  # noqa: E402

BUDGET_MS = 100
REPEATS = 7
RUNS: list[tuple[float, float]] = []
FORWARD_PASSES = [0]

# A real server compiles each page once; AppTest would recompile it on every run.
_shared_cache = ScriptCache()
local_runner.ScriptCache = app_test.ScriptCache = lambda: _shared_cache
_exec = script_runner.exec_func_with_error_handling


def _timed_exec(func, ctx):
    """Time one script run inside the script thread: (wall ms, thread CPU ms)."""
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        return _exec(func, ctx)
    finally:
        RUNS.append(((time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000))


script_runner.exec_func_with_error_handling = _timed_exec
# AppTest starts each run as a cold server; the cold-start guard would rerun to Home (see tests/pages).
ui.route_through_app = lambda: None
_run_model = activations.run_model


def _counted_run_model(*args, **kwargs):
    FORWARD_PASSES[0] += 1
    return _run_model(*args, **kwargs)


activations.run_model = _counted_run_model


def measure(at: AppTest, change) -> tuple[float, float, float]:
    """Median wall ms, median CPU ms and forward passes per change over REPEATS changes."""
    RUNS.clear()
    FORWARD_PASSES[0] = 0
    for k in range(REPEATS):
        change(k)
        at.run()
        assert not at.exception, at.exception
    return (statistics.median(w for w, _ in RUNS), statistics.median(c for _, c in RUNS), FORWARD_PASSES[0] / REPEATS)


def interactions(at: AppTest) -> list[tuple[str, tuple[float, float, float]]]:
    """The changes a student makes, measured in page order."""
    rows = [
        ("switch sample image (new image)", measure(at, lambda k: at.slider(key="fm_sample").set_value(1 + k % 10))),
        ("switch digit class", measure(at, lambda k: at.selectbox(key="fm_digit").set_value(k % 10))),
        ("shift the image 1 px", measure(at, lambda k: at.slider(key="fm_dx").set_value(k - 3))),
        (
            "switch view",
            measure(
                at, lambda k: at.radio(key="fm_view").set_value(["layers", "scores", "filters", "position"][k % 4])
            ),
        ),
    ]
    at.radio(key="fm_view").set_value("channel").run()
    rows += [
        ("close-up: change channel", measure(at, lambda k: at.slider(key="fm_channel").set_value(k))),
        (
            "close-up: change layer",
            measure(
                at,
                lambda k: at.select_slider(key="fm_layer").set_value(
                    ["conv1", "relu1", "pool1", "conv2", "pool2"][k % 5]
                ),
            ),
        ),
    ]
    at.radio(key="fm_view").set_value("pooling").run()
    rows.append(("pooling view: change channel", measure(at, lambda k: at.slider(key="fm_pool_channel").set_value(k))))
    at.radio(key="fm_view").set_value("layers").run()
    at.slider(key="fm_dx").set_value(0).run()
    return rows


OTHER_PAGES = {
    "pages/architecture.py": [
        (
            "switch model",
            lambda at, k: at.selectbox(key="arch_model").set_value(weights.pretrained_names()[k % 2]),
        ),
        (
            "why convolution: switch layer",
            lambda at, k: at.selectbox(key="arch_conv").set_value(["conv1", "conv2"][k % 2]),
        ),
    ],
    "pages/pooling.py": [
        ("classic 4x4: step a window", lambda at, k: at.slider(key="pool_step_slider").set_value(1 + k % 4)),
        ("classic 4x4: max / average", lambda at, k: at.radio(key="pool_mode").set_value(["avg", "max"][k % 2])),
        (
            "28x28 digit: kernel size",
            lambda at, k: (
                at.radio(key="pool_source").set_value("digit"),
                at.number_input(key="pool_kernel").set_value(2 + k % 3),
            ),
        ),
    ],
}


def main() -> int:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/feature-maps.py").run()
    assert not at.exception, at.exception
    over = []
    print(f"Feature-maps page: server work per interaction (median of {REPEATS}; budget {BUDGET_MS} ms)")
    for name in weights.pretrained_names():  # the selectbox's values (its options are the shown titles)
        label = models.MODELS[name].title
        at.selectbox(key="fm_model").set_value(name).run()
        print(f"\n{label}")
        print(f"  {'interaction':34s} {'wall ms':>8s} {'CPU ms':>8s} {'forward passes':>15s}")
        for name, (wall, cpu, passes) in interactions(at):
            print(f"  {name:34s} {wall:8.1f} {cpu:8.1f} {passes:15.1f}")
            if cpu > BUDGET_MS:
                over.append(f"{label}: {name}")
    for page, changes in OTHER_PAGES.items():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.switch_page(page).run()
        assert not at.exception, at.exception
        print(f"\n{page}")
        print(f"  {'interaction':34s} {'wall ms':>8s} {'CPU ms':>8s}")
        for name, change in changes:
            wall, cpu, _ = measure(at, lambda k, change=change, at=at: change(at, k))
            print(f"  {name:34s} {wall:8.1f} {cpu:8.1f}")
            if cpu > BUDGET_MS:
                over.append(f"{page}: {name}")
    print("\nCPU time over budget: " + (", ".join(over) if over else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
