"""The training engine: it learns, reports progress, stops when asked, repeats itself, uses CUDA."""

import threading

import numpy as np
import pytest
import torch

from cnnviz import train
from cnnviz.train import EpochRecord, StepRecord, TrainConfig


def _small(mnist_train, mnist_test, n_train=2000, n_test=1000):
    return mnist_train.subset(n_train, seed=1), mnist_test.subset(n_test, seed=1)


def test_short_real_training_beats_chance_widely(mnist_train, mnist_test):
    train_split, test_split = _small(mnist_train, mnist_test)
    config = TrainConfig(model="lenet5", epochs=2, batch_size=64, lr=3e-3, device="cpu")
    model = train.make_model(config)
    records = list(train.train(config, model, train_split, test_split))
    steps = [r for r in records if isinstance(r, StepRecord)]
    epochs = [r for r in records if isinstance(r, EpochRecord)]
    assert len(steps) == 2 * 32 and [e.epoch for e in epochs] == [1, 2]
    assert epochs[-1].test_accuracy > 0.85, epochs  # chance is 10%
    assert epochs[-1].train_loss < epochs[0].train_loss
    assert steps[-1].progress == 1.0 and steps[-1].eta == 0.0 and epochs[-1].eta == 0.0
    assert all(s.samples_per_s > 0 and s.elapsed > 0 for s in steps)
    assert all(a.elapsed <= b.elapsed for a, b in zip(steps, steps[1:]))
    assert [s.step for s in steps[:3]] == [1, 2, 3] and steps[0].steps_per_epoch == 32


def _losses(config, train_split, test_split, n):
    gen = train.train(config, train.make_model(config), train_split, test_split)
    return [next(gen).loss for _ in range(n)]


def test_same_seed_gives_the_same_losses_on_cpu(mnist_train, mnist_test):
    train_split, test_split = _small(mnist_train, mnist_test, 640)
    config = TrainConfig(model="lenet5", batch_size=64, device="cpu", augment=True, seed=5)
    first, again = (_losses(config, train_split, test_split, 8) for _ in range(2))
    assert first == again
    other = _losses(
        TrainConfig(model="lenet5", batch_size=64, device="cpu", augment=True, seed=6), train_split, test_split, 8
    )
    assert other != first


def test_stop_event_ends_training_before_the_next_step(mnist_train, mnist_test):
    train_split, test_split = _small(mnist_train, mnist_test, 640)
    config = TrainConfig(model="lenet5", epochs=3, batch_size=64, device="cpu")
    model = train.make_model(config)
    stop = threading.Event()
    gen = train.train(config, model, train_split, test_split, stop=stop)
    for _ in range(3):
        next(gen)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    stop.set()
    assert list(gen) == []
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_stop_from_another_thread_is_seen_within_one_step(mnist_train, mnist_test):
    train_split, test_split = _small(mnist_train, mnist_test, 1280)
    config = TrainConfig(model="lenet5", epochs=1, batch_size=64, device="cpu")
    stop, seen = threading.Event(), []

    def worker():
        for record in train.train(config, train.make_model(config), train_split, test_split, stop):
            seen.append(record)
            if len(seen) == 2:
                stopper = threading.Thread(target=stop.set)
                stopper.start()
                stopper.join()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive() and len(seen) == 2


def test_make_model_is_seeded_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = train.make_model(TrainConfig(model="simplecnn", seed=3))
    b = train.make_model(TrainConfig(model="simplecnn", seed=3))
    assert torch.rand(1) == expected_next
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))


def test_config_errors_are_readable():
    model = train.make_model(TrainConfig())
    for bad, match in [
        ({"optimizer": "rmsprop"}, "adam"),
        ({"schedule": "cosine"}, "onecycle"),
        ({"precision": "fp8"}, "bf16"),
    ]:
        config = TrainConfig(train_size=64, batch_size=64, device="cpu", **bad)
        with pytest.raises(ValueError, match=match):
            split = _fake_split(64)
            next(train.train(config, model, split, split))
    with pytest.raises(ValueError, match="not available"):
        train.resolve_device("tpu")


def _fake_split(n):
    from cnnviz.data import DATASETS, Split

    g = torch.Generator().manual_seed(0)
    return Split(
        torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=g),
        torch.randint(0, 10, (n,), generator=g),
        DATASETS["mnist"],
    )


def test_sgd_and_constant_schedule_also_train():
    split = _fake_split(256)
    config = TrainConfig(
        model="simplecnn", epochs=1, batch_size=64, optimizer="sgd", schedule="constant", lr=0.01, device="cpu"
    )
    records = list(train.train(config, train.make_model(config), split, split))
    assert isinstance(records[-1], EpochRecord) and len(records) == 5


def test_auto_device_is_the_best_available():
    devices = train.available_devices()
    assert devices[-1] == "cpu" and train.resolve_device("auto").type == devices[0]
    assert ("cuda" in devices) == torch.cuda.is_available()


def test_confusion_matrix_counts_true_against_predicted():
    labels = torch.tensor([0, 1, 1, 2])
    probs = torch.eye(3)[torch.tensor([0, 2, 1, 2])]
    expected = np.array([[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    assert np.array_equal(train.confusion_matrix(probs, labels, 3), expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_cuda_training_and_inference(mnist_train, mnist_test):
    train_split, test_split = _small(mnist_train, mnist_test, 10000, 2000)
    config = TrainConfig(model="lenet5", epochs=2, device="cuda", augment=True)
    model = train.make_model(config)
    last = [r for r in train.train(config, model, train_split, test_split)][-1]
    assert next(model.parameters()).device.type == "cuda"
    assert train.autocast_dtype(config, torch.device("cuda")) == torch.bfloat16
    assert last.test_accuracy > 0.95
    probs = train.predict_split(model, test_split, "cuda")
    assert probs.device.type == "cpu" and probs.shape == (2000, 10)
    _loss, acc = train.evaluate(model, test_split, "cuda")
    assert acc == pytest.approx(last.test_accuracy)
