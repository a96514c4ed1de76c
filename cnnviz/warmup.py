"""Warm a server up before its first visitor: import what the pages use, load the shipped models, run each once.

On a fresh server the first page took about 5.5 s on the project's 2-core machine, over half of it
importing torch and plotly's colour scales inside the visitor's script run. ``python -m cnnviz serve``
(what ``make run`` and ``make serve`` start) calls ``warm_up`` before the server listens; under a plain
``streamlit run app.py`` every page's first call (``ui.route_through_app``) starts it in a background
thread (``in_background``), so at least the pages after the first are warm. Nothing here touches
Streamlit: the models it loads are thrown away (loading one takes milliseconds; importing and the
first forward pass are what cost).

It also starts the helper that training processes are forked from (``cnnviz.forks``, at
the trainings' low priority) and waits for its imports at the end, so that the first training need
not wait for them and they do not run beside the first visitor's page (0.5 s later, otherwise).

Last, ``gc.freeze()`` moves everything loaded so far (torch, plotly, Streamlit: about a million
objects) out of the garbage collector's view. A full collection walked all of them, some 100-170 ms
with the GIL held, and struck at random in the middle of somebody's click. And the GIL is handed
over sooner (``SWITCH_INTERVAL_S``), which keeps many sessions' runs short under a class's load.
"""

from __future__ import annotations

import gc
import importlib
import logging
import pkgutil
import sys
import threading
import time

import numpy as np
import pandas as pd  # here, not in the background warm-up: see _arrow_table
import plotly.io
import pyarrow as pa
from PIL import Image

from cnnviz import activations, conv, data, explain, forks, jobs, predict, weights
from cnnviz.figures import conv as conv_figs
from cnnviz.figures import network, tiles

LOG = logging.getLogger(__name__)
# How long a thread may hold the GIL while another waits (Python's default: 5 ms). Every message a
# page run sends wakes the event loop through a socket write, which gives the GIL up; with ten
# sessions and two trainings each of those waits could last a full interval. At 1 ms the server's own
# time for a run under that load fell from 57 / 432 / 776 ms (median / p90 / p95) to 40 / 192 / 296.
SWITCH_INTERVAL_S = 0.001
HELPER_WAIT_S = 30.0  # the training helper's imports (torch, torch._dynamo) take about 3.5 s here
_DONE = threading.Event()
_LOCK = threading.Lock()


def warm_up() -> float:
    """Load and run once what the first page runs would otherwise load (once per process); the seconds it took.

    Best effort: whatever fails here fails again, with its message, on the page that needs it."""
    with _LOCK:
        if _DONE.is_set():
            return 0.0
        start = time.perf_counter()
        try:
            _run_once()
        except Exception:  # a warm-up never stops the server; the page that needs the part reports it
            LOG.warning("warm-up stopped early", exc_info=True)
        gc.collect()
        gc.freeze()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        _DONE.set()
        return time.perf_counter() - start


def _run_once() -> None:
    """One of each kind of work the pages do first: model loading and forward passes, figures, preprocessing."""
    _start_training_helper()  # its imports run beside the rest, in their own process
    _import_the_pages_modules()
    digits, _ = data.sample_digits()
    for name in weights.pretrained_names():
        try:
            model = weights.load_pretrained(name)
        except weights.WeightsError:
            continue  # the page that shows it explains the damage
        acts = activations.run_model(model, digits[0])
        first = acts.layers[activations.spatial_layers(acts)[0]]
        explain.occlusion(digits[0], model, int(acts.prediction))
        plotly.io.to_json(network.feature_grid(first, "warm-up"))
        tiles.layer_tiles(first, "warm-up", cols=4)
    predict.preprocess(Image.fromarray(digits[1]))
    result = conv.convolve(digits[0].astype(np.float64), np.ones((3, 3)), padding=1)
    plotly.io.to_json(conv_figs.input_figure(result, conv.window(result, 0)))
    _arrow_table()
    forks.wait_ready(HELPER_WAIT_S)  # not importing beside the first visitor's page


NOT_IMPORTED = {"cnnviz.__main__", "cnnviz.browser"}  # the command line; the test and benchmark tooling


def _import_the_pages_modules() -> None:
    """Every cnnviz module, so that a fresh server's first page runs none of their imports (about 50 ms)."""
    import cnnviz

    for module in pkgutil.walk_packages(cnnviz.__path__, "cnnviz."):
        if module.name not in NOT_IMPORTED:
            importlib.import_module(module.name)


def _start_training_helper() -> None:
    """Start the helper that forks training processes, at the trainings' priority."""
    try:
        forks.ensure_running(jobs.background_nice())
    except forks.ForkError:
        pass  # no fork here: a training says so when it is started


def _arrow_table() -> None:
    """A table the way st.dataframe sends one (pandas, then Arrow IPC).

    Both are imported with this module (0.4 s, once per process), not by the background warm-up:
    plotly takes pandas from sys.modules when it is there, and a page's figure built while another
    thread was still importing pandas failed ("partially initialized module 'pandas'")."""
    table = pa.Table.from_pandas(pd.DataFrame({"layer": ["conv1"], "parameters": [320]}))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)


def in_background() -> None:
    """Start ``warm_up`` in a daemon thread unless it is done or running (cheap to call on every page run)."""
    if not _DONE.is_set() and not _LOCK.locked():
        threading.Thread(target=warm_up, name="cnnviz-warm-up", daemon=True).start()
