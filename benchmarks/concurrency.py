"""Two trainings at once, and a third user meanwhile: do both progress, and does the third user still
get answers within 1 s?

As on the Streamlit server: the two trainings are cnnviz.jobs jobs started through the server-wide
registry (each drives its own training process); their two watchers poll once a second in this
process the way the train page's fragment does (touch the job, read its progress, build the curves,
tiles and filter figures); the third user changes widgets on the convolution playground, a real page
script run by AppTest in this process, so it competes with the watchers for the GIL and with the
training processes for the cores. Its times are measured around the whole AppTest run, an upper
bound of the server's own work.
Run: python benchmarks/concurrency.py [--train-size 5000] [--epochs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CNNVIZ_DATA", str(ROOT.parent / "shared" / "data"))

from streamlit.testing.v1 import AppTest  # noqa: E402

from cnnviz import data, jobs  # noqa: E402
from cnnviz.figures import training as figs  # noqa: E402
from cnnviz.progress import CURVE_SIZE  # noqa: E402
from cnnviz.train import TrainConfig  # noqa: E402

BUDGET_S = 1.0
POLL_S = 1.0
TIME_LIMIT_S = 90.0
PLAYGROUND = str(ROOT / "pages" / "playground.py")


def watch(
    job: jobs.TrainingJob, stop: threading.Event, timeline: list[tuple[float, int]], t0: float, costs: list[float]
) -> None:
    """What a browser on the train page costs the server: one fragment's work per POLL_S."""
    while not stop.is_set() and job.alive:
        polled = time.perf_counter()
        job.touch()
        progress = job.progress()
        timeline.append((time.perf_counter() - t0, progress.steps_done))
        figs.progress_text(progress)
        figs.curves_figure(progress.train_curve, progress.test_curve, progress.config.epochs, CURVE_SIZE)
        if progress.snapshot is not None:
            figs.tiles_figure(job.watch.images.numpy(), ["0 50%"] * len(job.watch), [True] * len(job.watch))
            figs.filters_figure(progress.snapshot.filters)
        costs.append(time.perf_counter() - polled)
        stop.wait(POLL_S)


def third_user(at: AppTest, rounds: int) -> list[float]:
    """Wall seconds of playground reruns after a widget change (the convolution's stride)."""
    times = []
    for i in range(rounds):
        at.number_input(key="pg_stride").set_value(1 + (len(times) + i) % 3)
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        assert not at.exception, at.exception
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"median {statistics.median(times) * 1000:5.0f} ms, p95 {p95 * 1000:5.0f} ms, "
        f"max {max(times) * 1000:5.0f} ms ({len(times)} changes)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=5000, help="training images per run (page default)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run (page default)")
    args = parser.parse_args()
    train, test = data.load_split("mnist", True), data.load_split("mnist", False)
    print(
        f"{os.cpu_count()} cores; {jobs.MAX_JOBS} trainings at most, torch threads per training: {jobs.THREADS_PER_JOB}"
    )

    started = time.perf_counter()
    warm = jobs.TrainingJob(TrainConfig(epochs=1, train_size=128), train, test.subset(200), heartbeat_timeout=None)
    warm.start().join()
    print(
        f"one-time warm-up of a fresh process (first optimizer step's imports): {time.perf_counter() - started:.1f} s"
    )

    at = AppTest.from_file(PLAYGROUND, default_timeout=60).run()
    third_user(at, 2)  # first runs compile and cache
    alone = third_user(at, 8)
    print(f"third user, playground alone:          {summary(alone)}")

    config = TrainConfig(
        model="lenet5", dataset="mnist", epochs=args.epochs, batch_size=64, lr=0.003, train_size=args.train_size
    )
    stop, t0 = threading.Event(), time.perf_counter()
    running = [jobs.REGISTRY.start(f"user{i}", replace(config, seed=i), train, test) for i in (1, 2)]
    timelines: list[list[tuple[float, int]]] = [[], []]
    costs: list[float] = []
    watchers = [
        threading.Thread(target=watch, args=(job, stop, line, t0, costs)) for job, line in zip(running, timelines)
    ]
    for thread in watchers:
        thread.start()
    during: list[float] = []
    while any(job.alive for job in running) and time.perf_counter() - t0 < TIME_LIMIT_S:
        during += third_user(at, 1)
        time.sleep(0.3)
    for job in running:
        job.stop("benchmark time limit")
        job.join(30)
    stop.set()
    for thread in watchers:
        thread.join()

    print(f"third user, during two trainings:      {summary(during)}")
    print(
        f"each watcher's poll (figures + progress): median {statistics.median(costs) * 1000:.0f} ms, "
        f"max {max(costs) * 1000:.0f} ms ({len(costs)} polls)"
    )
    for i, (job, line) in enumerate(zip(running, timelines), 1):
        p = job.progress()
        moved = [b[1] - a[1] for a, b in zip(line, line[1:])]
        accuracy = f"{p.result.test_accuracy:.2%}" if p.result else "-"
        print(
            f"training {i}: {p.status}, {p.steps_done}/{p.total_steps} steps of {args.train_size} images x "
            f"{args.epochs} epochs, {p.samples_per_s:,.0f} images/s, test accuracy {accuracy}; "
            f"advanced in {sum(m > 0 for m in moved)} of {len(moved)} one-second polls"
        )
    both_finished = all(job.progress().status == "finished" for job in running)
    print(f"both trainings finished: {'yes' if both_finished else 'NO'}; wall {time.perf_counter() - t0:.1f} s")
    print(f"third user always answered within {BUDGET_S:.0f} s: {'yes' if max(during) < BUDGET_S else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
