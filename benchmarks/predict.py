"""Server work from a canvas change to probabilities (budget: 50 ms), and accuracy on held-out digits.

1. A 320x320 canvas drawing (RGBA, as st_canvas returns it) -> canvas_to_image -> preprocess ->
   probabilities from every shipped model -> the chosen explanation: median and 95th percentile
   wall time over repeated runs, with torch on 1 thread and on the default count; then the occlusion
   map alone per model and digit (budget 50 ms) over the 100 shipped sample digits.
2. The full pipeline + shipped models on assets/font_digits.npz (font faces and mouse-like strokes
   never seen in training): accuracy overall, per source and per digit, and the commonest mistakes.
Run: python benchmarks/predict.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnviz import explain, predict  # noqa: E402
from cnnviz.data import ASSETS, sample_digits, to_model_input  # noqa: E402
from cnnviz.models import MODELS  # noqa: E402
from cnnviz.weights import load_pretrained, pretrained_names  # noqa: E402

RUNS = 60


def canvas_drawing() -> np.ndarray:
    """A 7 drawn with a 22 px pen, as the canvas component hands it over (RGBA, transparent page)."""
    layer = Image.new("RGBA", (320, 320), (0, 0, 0, 0))
    ImageDraw.Draw(layer).line([(80, 64), (240, 64), (134, 272)], fill=(0, 0, 0, 255), width=22, joint="curve")
    return np.asarray(layer)


def one_change(rgba: np.ndarray, models: list, method: str) -> None:
    digit = predict.preprocess(predict.canvas_to_image(rgba)).digit
    for model in models:
        probs = predict.predict_probs(digit, model)
        explain.EXPLANATIONS[method].explain(digit, model, int(probs.argmax()))


def time_changes(models: list, method: str) -> tuple[float, float]:
    rgba = canvas_drawing()
    one_change(rgba, models, method)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        one_change(rgba, models, method)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), float(np.percentile(times, 95))


def occlusion_times(models: dict) -> None:
    """The occlusion map alone, one digit and one model at a time: its cost grows with the ink."""
    digits = [predict.preprocess(Image.fromarray(x)).digit for x in sample_digits()[0]]
    for name, model in models.items():
        times = []
        for digit in digits:
            start = time.perf_counter()
            explain.occlusion(digit, model, 0)
            times.append((time.perf_counter() - start) * 1000)
        print(
            f"  occlusion map alone, {MODELS[name].title}, 1 thread: median {statistics.median(times):5.1f}, "
            f"p95 {np.percentile(times, 95):5.1f}, max {max(times):5.1f} (100 sample digits)"
        )


def font_accuracy(models: dict) -> None:
    with np.load(ASSETS / "font_digits.npz") as f:
        images, labels, source = f["images"], f["labels"], f["source"]
    digits = np.stack([predict.preprocess(Image.fromarray(x)).digit for x in images])
    print(
        f"\nHeld-out digits: {len(labels)} ({(source == 'font').sum()} from fonts, "
        f"{(source == 'stroke').sum()} mouse-like strokes)"
    )
    for name, model in models.items():
        with torch.no_grad():
            pred = model(to_model_input(torch.from_numpy(digits)[:, None], model.input_size)).argmax(1).numpy()
        ok = pred == labels
        per_digit = " ".join(f"{d}:{ok[labels == d].mean() * 100:.0f}%" for d in range(10))
        wrong = {}
        for t, p in zip(labels[~ok], pred[~ok]):
            wrong[f"{t}->{p}"] = wrong.get(f"{t}->{p}", 0) + 1
        common = ", ".join(f"{k} x{v}" for k, v in sorted(wrong.items(), key=lambda kv: -kv[1])[:4])
        print(
            f"{MODELS[name].title:>10}: {ok.mean() * 100:.1f}% (fonts {ok[source == 'font'].mean() * 100:.1f}%, "
            f"strokes {ok[source == 'stroke'].mean() * 100:.1f}%) | {per_digit} | mistakes: {common}"
        )


def main() -> None:
    models = {name: load_pretrained(name) for name in pretrained_names() if name != "cifarcnn"}
    default_threads = torch.get_num_threads()
    print("Canvas change -> probabilities of every shipped model + explanation (ms, budget 50):")
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        for method in explain.EXPLANATIONS:
            median, p95 = time_changes(list(models.values()), method)
            print(f"  torch threads {threads}, {method:>8}: median {median:5.1f}, p95 {p95:5.1f}")
    torch.set_num_threads(1)
    digit = predict.preprocess(predict.canvas_to_image(canvas_drawing())).digit
    start = time.perf_counter()
    for _ in range(RUNS):
        predict.preprocess(predict.canvas_to_image(canvas_drawing()))
    print(
        f"  of which preprocessing alone: {(time.perf_counter() - start) / RUNS * 1000:.1f} ms "
        f"(digit read as {[int(predict.predict_probs(digit, m).argmax()) for m in models.values()]})"
    )
    occlusion_times(models)
    font_accuracy(models)


if __name__ == "__main__":
    main()
