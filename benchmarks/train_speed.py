"""Time to 99.0% MNIST test accuracy for LeNet-5: the classic tutorial pipeline vs cnnviz's engine.

(a) classic: torchvision MNIST with Resize(32), ToTensor, Normalize applied per sample, a DataLoader
    of batch 64, Adam at lr 1e-3, evaluation after every epoch;
(b) ours: the whole split held as uint8 tensors, batches gathered/scaled/padded as tensors, Adam with
    a OneCycle schedule at batch 128, evaluation after every epoch.
Both train the same LeNet-5 on the CPU, each until the test accuracy first reaches 99.0% (at most
10 epochs). Dataset reading is timed separately; every second of training and evaluation counts.

    python benchmarks/train_speed.py [--skip-classic] [--batch-size 128 --lr 3e-3 --epochs 2]
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from cnnviz import data, train
from cnnviz.models import LeNet5

TARGET = 0.99
MAX_EPOCHS = 10


@dataclass
class Run:
    """What one pipeline did: cumulative seconds and test accuracy after each epoch."""

    name: str
    load_s: float = 0.0
    times: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)

    def reached(self) -> int | None:
        return next((i for i, a in enumerate(self.accuracies) if a >= TARGET), None)

    def report(self) -> str:
        per_epoch = self.times[-1] / len(self.times)
        hit = self.reached()
        lines = [f"{self.name}"]
        lines += [
            f"  epoch {i + 1}: {t:6.1f} s  test accuracy {a:.2%}"
            for i, (t, a) in enumerate(zip(self.times, self.accuracies))
        ]
        reach = (
            f"reached {TARGET:.1%} after {hit + 1} epoch(s) in {self.times[hit]:.1f} s"
            if hit is not None
            else f"did not reach {TARGET:.1%} in {len(self.times)} epochs"
        )
        lines.append(
            f"  {per_epoch:.1f} s/epoch; {reach}; final accuracy {self.accuracies[-1]:.2%}; "
            f"reading the data took {self.load_s:.1f} s (not counted)"
        )
        return "\n".join(lines)

    def time_to_target(self) -> tuple[float, bool]:
        hit = self.reached()
        return (self.times[hit], True) if hit is not None else (self.times[-1], False)


def uncompressed_mnist(folder: Path) -> Path:
    """A root for torchvision's MNIST(download=False), which only reads the uncompressed IDX files."""
    source = data.data_dir() / "MNIST" / "raw"
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for train_split in (True, False):
        for stem in data.IDX_FILES[train_split]:
            if (source / stem).is_file():
                shutil.copy(source / stem, raw / stem)
            else:
                with gzip.open(source / f"{stem}.gz") as src, open(raw / stem, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    return folder


def classic(root: Path, seed: int = 0) -> Run:
    """The tutorial way: per-sample PIL transforms in a DataLoader, batch 64, Adam 1e-3."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    run = Run("(a) classic: torchvision Resize(32)+ToTensor+Normalize per sample, DataLoader batch 64, Adam lr 1e-3")
    start = time.perf_counter()
    tf = transforms.Compose([transforms.Resize(32), transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(str(root), train=True, download=False, transform=tf)
    test_set = datasets.MNIST(str(root), train=False, download=False, transform=tf)
    run.load_s = time.perf_counter() - start
    torch.manual_seed(seed)
    model = LeNet5()
    model.mean.zero_()  # the transform already normalises; keep the architecture identical
    model.std.fill_(1.0)
    loader = DataLoader(train_set, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _epoch in range(MAX_EPOCHS):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in test_loader:
                correct += int((model(x).argmax(1) == y).sum())
        run.times.append(time.perf_counter() - start)
        run.accuracies.append(correct / len(test_set))
        if run.accuracies[-1] >= TARGET:
            break
    return run


def ours(config: train.TrainConfig) -> Run:
    """cnnviz's engine: uint8 tensors in memory, batched tensor preprocessing, OneCycle."""
    run = Run(
        f"(b) ours: cnnviz.train, uint8 tensors, batch {config.batch_size}, Adam + OneCycle "
        f"(peak lr {config.lr:g}, {config.epochs} epochs planned), {config.precision}"
    )
    start = time.perf_counter()
    train_split = data.load_split("mnist", train=True, download=False)
    test_split = data.load_split("mnist", train=False, download=False)
    run.load_s = time.perf_counter() - start
    model = train.make_model(config)
    for record in train.train(config, model, train_split, test_split):
        if isinstance(record, train.EpochRecord):
            run.times.append(record.elapsed)
            run.accuracies.append(record.test_accuracy)
            if record.test_accuracy >= TARGET:
                break
    return run


def _seconds(run: Run) -> str:
    seconds, hit = run.time_to_target()
    return f"{seconds:.1f} s" if hit else f">{seconds:.1f} s (not reached)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--epochs", type=int, default=2, help="length of our OneCycle schedule")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-classic", action="store_true")
    args = parser.parse_args()
    print(
        f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__} with {torch.get_num_threads()} threads, "
        f"load average before {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    config = train.TrainConfig(
        model="lenet5",
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer="adam",
        schedule="onecycle",
        device="cpu",
        precision=args.precision,
        channels_last=args.channels_last,
        seed=args.seed,
    )
    mine = ours(config)
    print(mine.report(), flush=True)
    if args.skip_classic:
        print(f"time-to-{TARGET:.1%}: ours {_seconds(mine)}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        theirs = classic(uncompressed_mnist(Path(tmp)), seed=args.seed)
    print(theirs.report())
    print(f"load average after {os.getloadavg()[0]:.2f}")
    a, b = mine.time_to_target()[0], theirs.time_to_target()[0]
    prefix = "" if theirs.reached() is not None else ">"
    print(f"time-to-{TARGET:.1%}: ours {_seconds(mine)}, classic {_seconds(theirs)}, speedup {prefix}{b / a:.1f}x")


if __name__ == "__main__":
    main()
