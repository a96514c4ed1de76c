"""The command line end to end on a tiny subset: train, write weights + card, evaluate them."""

import gc
import json
import os
import subprocess
import sys
import threading

import pytest

from cnnviz.__main__ import main
from cnnviz.weights import load_weights


def test_train_then_evaluate_end_to_end(tmp_path, capsys, mnist_test):
    out = tmp_path / "tiny"
    argv = [
        "train",
        "--model",
        "lenet5",
        "--epochs",
        "1",
        "--train-size",
        "1000",
        "--test-size",
        "500",
        "--batch-size",
        "50",
        "--augment",
        "--seed",
        "2",
        "--device",
        "cpu",
        "--no-download",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "epoch 1/1 [" in captured.err and "test accuracy" in captured.out
    card = json.loads((tmp_path / "tiny.json").read_text())
    for key in (
        "model",
        "dataset",
        "epochs",
        "optimizer",
        "lr",
        "batch_size",
        "seed",
        "augment",
        "test_accuracy",
        "date",
        "device",
        "torch",
        "command",
    ):
        assert key in card, key
    assert card["command"] == "python -m cnnviz " + " ".join(argv)
    assert card["augment"] is True and card["device"] == "cpu" and card["test_size"] == 500
    assert card["precision"] == "auto" and card["train_size"] == 1000 and len(card["test_accuracy_per_epoch"]) == 1
    assert card["test_accuracy"] > 0.5  # 20 steps on 1000 digits: far above chance
    model, saved_card = load_weights(tmp_path / "tiny.safetensors")
    assert saved_card == card
    assert main(["evaluate", "--weights", str(tmp_path / "tiny.safetensors"), "--device", "cpu", "--no-download"]) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_bad_input_gives_one_line_and_status_2(tmp_path, capsys):
    assert main(["evaluate", "--weights", str(tmp_path / "missing.safetensors")]) == 2
    assert capsys.readouterr().err.startswith("error: No weights file")
    assert main(["train", "--data-dir", str(tmp_path), "--no-download", "--epochs", "1"]) == 2
    assert "not found" in capsys.readouterr().err


def test_train_asks_for_the_download_unless_told_not_to(tmp_path, monkeypatch, capsys):
    """Pages never download; the command line still does, as the fallback for users with internet."""
    from cnnviz import data

    calls = []

    def offline(name, root):
        calls.append(name)
        raise data.DatasetMissingError("MNIST could not be downloaded (offline).")

    monkeypatch.setattr(data, "_download", offline)
    assert main(["train", "--data-dir", str(tmp_path), "--epochs", "1"]) == 2
    assert calls == ["mnist"] and "could not be downloaded" in capsys.readouterr().err


def test_module_runs_as_a_program():
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz", "train", "--help"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert result.returncode == 0 and "--augment" in result.stdout and "--out" in result.stdout


def test_unknown_model_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--model", "vgg"])
    assert info.value.code == 2 and "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize(
    "option",
    [
        ["--epochs", "0"],
        ["--epochs", "-1"],
        ["--batch-size", "0"],
        ["--train-size", "0"],
        ["--test-size", "0"],
        ["--threads", "0"],
        ["--lr", "0"],
        ["--lr", "-1"],
        ["--lr", "nan"],
        ["--lr", "inf"],
        ["--epochs", "two"],
    ],
)
def test_counts_and_rates_below_one_are_refused_before_training(option, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", *option])
    err = capsys.readouterr().err
    assert info.value.code == 2 and option[0] in err and "Traceback" not in err


def test_serve_warms_up_once_and_freezes_what_it_loaded(monkeypatch):
    from cnnviz import warmup

    monkeypatch.setattr(warmup, "_DONE", threading.Event())
    assert warmup.warm_up() > 0
    assert gc.get_freeze_count() > 0  # moved out of the collector's view
    assert sys.getswitchinterval() == warmup.SWITCH_INTERVAL_S
    assert warmup.warm_up() == 0.0  # once per process
    warmup.in_background()  # done: starts nothing
    assert not [t for t in threading.enumerate() if t.name == "cnnviz-warm-up"]


def test_the_warm_up_imports_every_module_a_page_may_import():
    """In a fresh interpreter: what the warm-up leaves unimported, a fresh server's first page imports."""
    script = (
        "import pkgutil, sys, cnnviz\n"
        "from cnnviz import warmup\n"
        "warmup._import_the_pages_modules()\n"
        "names = {m.name for m in pkgutil.walk_packages(cnnviz.__path__, 'cnnviz.')}\n"
        "print(sorted(names - set(sys.modules) - warmup.NOT_IMPORTED))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_serve_hands_its_options_to_streamlit(monkeypatch):
    from streamlit.web import cli

    from cnnviz import warmup

    seen = {}
    monkeypatch.setattr(warmup, "warm_up", lambda: 0.0)
    monkeypatch.setattr(cli, "main", lambda args, prog_name: seen.update(args=args) or 0)
    assert main(["serve", "--server.port", "8765"]) == 0
    assert seen["args"][0] == "run" and seen["args"][1].endswith("app.py")
    assert seen["args"][2:] == ["--server.port", "8765"]
