"""Command line: train a model with the app's engine and write weights + card, or evaluate weights.

python -m cnnviz train --model lenet5 --dataset mnist --epochs 3 --device auto --out runs/lenet5
python -m cnnviz evaluate --model lenet5            # the shipped weights in assets/
python -m cnnviz serve [streamlit options]         # warm up, then serve the app (what `make run` does)
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from cnnviz import data, models, train, weights
from cnnviz.card import FIELDS, Field, build_card, is_int

BAR = "{desc} [{bar:30}] {percentage:3.0f}%{postfix}"  # tqdm puts ", " before the postfix


def _checked(parse: Callable[[str], Any], field: Field) -> Callable[[str], Any]:
    """An argparse type held to the card's rule for the value: what the card would refuse after the
    run (0 epochs, a learning rate of 0 or NaN) is refused before any data loads."""

    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} should be {field.what}") from None
        if not field.fits(value):
            raise argparse.ArgumentTypeError(f"{text} should be {field.what}")
        return value

    return convert


THREADS = Field("a whole number of at least 1", lambda v: is_int(v) and v >= 1)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cnnviz", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    defaults = train.TrainConfig()
    t = sub.add_parser("train", help="train a model and write NAME.safetensors + NAME.json")
    t.add_argument("--model", choices=list(models.MODELS), default=defaults.model)
    t.add_argument("--dataset", choices=list(data.DATASETS), default=None, help="default: the model's own dataset")
    t.add_argument("--epochs", type=_checked(int, FIELDS["epochs"]), default=defaults.epochs)
    t.add_argument("--batch-size", type=_checked(int, FIELDS["batch_size"]), default=defaults.batch_size)
    t.add_argument("--lr", type=_checked(float, FIELDS["lr"]), default=defaults.lr, help="peak learning rate")
    t.add_argument("--optimizer", choices=list(train.OPTIMIZERS), default=defaults.optimizer)
    t.add_argument("--schedule", choices=("onecycle", "constant"), default=defaults.schedule)
    t.add_argument(
        "--augment",
        action="store_true",
        help="random shifts, scales, rotations, shear, elastic distortion and stroke thickness (for real-world digits)",
    )
    t.add_argument("--seed", type=int, default=defaults.seed)
    t.add_argument(
        "--train-size", type=_checked(int, FIELDS["train_size"]), default=None, help="train on a random subset"
    )
    t.add_argument(
        "--test-size", type=_checked(int, FIELDS["test_size"]), default=None, help="evaluate on a random subset"
    )
    t.add_argument("--precision", choices=("auto", "fp32", "bf16"), default=defaults.precision)
    t.add_argument("--device", default=defaults.device, help="auto (CUDA, then MPS, then CPU), cpu, cuda, mps")
    t.add_argument("--threads", type=_checked(int, THREADS), default=None, help="CPU threads (default: torch's choice)")
    t.add_argument("--out", default=None, help="weights path (default runs/MODEL-DATASET.safetensors)")
    t.add_argument("--data-dir", default=None, help="dataset folder (default $CNNVIZ_DATA or ./data)")
    t.add_argument("--no-download", action="store_true", help="never try torchvision's download")
    e = sub.add_parser("evaluate", help="test accuracy of shipped or given weights")
    e.add_argument("--model", choices=list(models.MODELS), default="lenet5")
    e.add_argument("--weights", default=None, help="a .safetensors file (default: assets/MODEL)")
    e.add_argument("--device", default="auto")
    e.add_argument("--threads", type=_checked(int, THREADS), default=None)
    e.add_argument("--data-dir", default=None)
    e.add_argument("--no-download", action="store_true")
    sub.add_parser(
        "serve", help="warm up (imports, shipped models), then run the app's server; other options go to streamlit run"
    )
    return parser


def _report(records: Iterator[train.StepRecord | train.EpochRecord], epochs: int) -> list[train.EpochRecord]:
    """Run the engine with a progress bar per epoch on stderr; the epoch records, in order."""
    bar, done = None, []
    for r in records:
        if isinstance(r, train.StepRecord):
            if bar is None:
                bar = tqdm(total=r.steps_per_epoch, desc=f"epoch {r.epoch}/{epochs}", file=sys.stderr, bar_format=BAR)
            bar.set_postfix_str(
                f"loss {r.loss:.3f} acc {r.accuracy:.1%} {r.samples_per_s:,.0f} img/s, run ETA {r.eta:.0f}s",
                refresh=False,
            )
            bar.update()
            continue
        if bar is not None:
            bar.close()
            bar = None
        tqdm.write(
            f"epoch {r.epoch}/{epochs}: train loss {r.train_loss:.4f} acc {r.train_accuracy:.2%} | "
            f"test loss {r.test_loss:.4f} acc {r.test_accuracy:.2%} | {r.elapsed:.1f}s",
            file=sys.stderr,
        )
        done.append(r)
    return done


def cmd_train(args: argparse.Namespace, command: str) -> int:
    dataset = args.dataset or models.MODELS[args.model].default_dataset
    config = train.TrainConfig(
        model=args.model,
        dataset=dataset,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        schedule=args.schedule,
        train_size=args.train_size,
        seed=args.seed,
        device=args.device,
        augment=args.augment,
        precision=args.precision,
    )
    device = train.resolve_device(config.device)
    download = not args.no_download
    train_split = data.load_split(dataset, train=True, root=args.data_dir, download=download)
    test_split = data.load_split(dataset, train=False, root=args.data_dir, download=download).subset(
        args.test_size, args.seed
    )
    model = train.make_model(config)
    train_size = min(len(train_split), args.train_size or len(train_split))
    print(
        f"Training {models.MODELS[args.model].title} on {data.DATASETS[dataset].title} "
        f"({train_size:,} images) on {device}",
        file=sys.stderr,
    )
    epochs = _report(train.train(config, model, train_split, test_split), config.epochs)
    history, last = [r.test_accuracy for r in epochs], epochs[-1]
    card = build_card(
        config.to_dict(),
        train_size=train_size,
        device=device,
        command=command,
        train_seconds=last.elapsed,
        test_size=len(test_split),
        test_accuracy=last.test_accuracy,
        test_loss=last.test_loss,
        accuracy_per_epoch=history,
    )
    path = weights.save_weights(model, Path(args.out or f"runs/{args.model}-{dataset}.safetensors"), card)
    print(
        f"test accuracy {last.test_accuracy:.2%} on {len(test_split):,} test images; "
        f"wrote {path} and {weights.card_path(path)}"
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    path = Path(args.weights) if args.weights else weights.pretrained_path(args.model)
    model, card = weights.load_weights(path)
    device = train.resolve_device(args.device)
    split = data.load_split(card["dataset"], train=False, root=args.data_dir, download=not args.no_download)
    loss, accuracy = train.evaluate(model.to(device), split, device)
    recorded = card.get("test_accuracy")
    note = f" (card says {recorded:.2%})" if recorded is not None else ""
    print(
        f"{models.MODELS[card['model']].title} from {path}: test accuracy "
        f"{accuracy:.2%}{note}, loss {loss:.4f} on {len(split):,} {data.DATASETS[card['dataset']].title} "
        f"test images ({device})"
    )
    return 0


def cmd_serve(options: list[str]) -> int:
    """Warm this process up, then hand it to Streamlit: the server reports healthy only once it is warm."""
    from streamlit.web import cli

    from cnnviz import warmup

    print(f"cnnviz: warmed up in {warmup.warm_up():.1f} s", flush=True)
    return cli.main(args=["run", str(APP), *options], prog_name="streamlit") or 0


APP = Path(__file__).resolve().parents[1] / "app.py"


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (2 with a one-line message on bad input)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"] and not {"-h", "--help"} & set(argv):
        return cmd_serve(argv[1:])  # everything after "serve" is Streamlit's (--server.port 8502 ...)
    args = _parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        if args.command == "train":
            return cmd_train(args, "python -m cnnviz " + shlex.join(argv))
        return cmd_evaluate(args)
    except (data.DatasetMissingError, weights.WeightsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
