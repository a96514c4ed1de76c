"""Dataset readers on the real MNIST files, the other formats on small files made here, and errors."""

import gzip
import pickle

import numpy as np
import pytest
import torch

from cnnviz import data


def test_mnist_train_split_is_the_original(mnist_train):
    assert mnist_train.images.shape == (60000, 1, 28, 28)
    assert mnist_train.images.dtype == torch.uint8 and mnist_train.labels.dtype == torch.int64
    assert mnist_train.labels[:5].tolist() == [5, 0, 4, 1, 9]
    assert torch.bincount(mnist_train.labels).tolist()[:2] == [5923, 6742]


def test_mnist_test_split_is_the_original(mnist_test):
    assert mnist_test.images.shape == (10000, 1, 28, 28)
    assert mnist_test.labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert int(mnist_test.images.max()) == 255 and int(mnist_test.images[0, 0, 0, 0]) == 0
    assert mnist_test.info.name == "mnist"


def test_subset_is_reproducible_and_a_real_subset(mnist_test):
    a, b = mnist_test.subset(500, seed=3), mnist_test.subset(500, seed=3)
    assert len(a) == 500 and torch.equal(a.labels, b.labels) and torch.equal(a.images, b.images)
    assert not torch.equal(a.labels, mnist_test.subset(500, seed=4).labels)
    assert mnist_test.subset(None) is mnist_test and mnist_test.subset(10**6) is mnist_test


def _write_idx(path, array: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    (gzip.open if compress else open)(path, "wb").write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("compress", [True, False])
def test_idx_reader_plain_and_gzip(tmp_path, compress):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 7, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    for train in (True, False):
        _write_idx(raw / (data.IDX_FILES[train][0] + suffix), images, compress)
        _write_idx(raw / (data.IDX_FILES[train][1] + suffix), labels, compress)
    split = data.load_split("mnist", train=False, root=tmp_path, download=False)
    assert np.array_equal(split.images[:, 0].numpy(), images)
    assert split.labels.tolist() == labels.tolist()
    assert data.is_available("mnist", tmp_path) and "mnist" in data.available_datasets(tmp_path)


def test_damaged_idx_file_gives_a_clear_error(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for train in (True, False):
        _write_idx(raw / data.IDX_FILES[train][1], np.zeros(5, np.uint8), False)
        (raw / data.IDX_FILES[train][0]).write_bytes(
            bytes([0, 0, 8, 3]) + (9).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + b"\0" * 100
        )
    with pytest.raises(data.DatasetMissingError, match="truncated"):
        data.load_split("mnist", train=True, root=tmp_path, download=False)


def test_missing_dataset_says_where_to_put_it(tmp_path):
    assert not data.is_available("mnist", tmp_path)
    with pytest.raises(data.DatasetMissingError) as info:
        data.load_split("mnist", train=True, root=tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path / "MNIST" / "raw") in message and "CNNVIZ_DATA" in message


def test_failed_download_says_where_to_put_the_files(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    def offline(*_args, **_kwargs):
        raise OSError("no network")

    monkeypatch.setattr(tvd, "MNIST", offline)
    with pytest.raises(data.DatasetMissingError) as info:
        data.load_split("mnist", train=False, root=tmp_path, download=True)
    message = str(info.value)
    assert "could not be downloaded" in message and str(tmp_path / "MNIST" / "raw") in message


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="choose one of"):
        data.load_split("imagenet", train=True)


def test_data_dir_prefers_argument_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_DATA", str(tmp_path / "env"))
    assert data.data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert data.data_dir() == tmp_path / "env"
    monkeypatch.delenv("CNNVIZ_DATA")
    assert data.data_dir() == data.Path("data")


def _write_cifar(folder, payload=None) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = payload or {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), b"labels": [0, 1, 2, 9]}
        (folder / name).write_bytes(pickle.dumps(batch))


def test_cifar_batches_read_as_nchw(tmp_path):
    _write_cifar(tmp_path / "cifar-10-batches-py")
    split = data.load_split("cifar10", train=True, root=tmp_path, download=False)
    assert split.images.shape == (20, 3, 32, 32) and split.labels.tolist()[:4] == [0, 1, 2, 9]
    assert data.is_available("cifar10", tmp_path)


class _Boom:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_cifar_reader_refuses_pickles_that_are_not_arrays(tmp_path):
    _write_cifar(tmp_path / "cifar-10-batches-py", payload={b"data": _Boom(), b"labels": []})
    with pytest.raises(data.DatasetMissingError, match="not the official dataset"):
        data.load_split("cifar10", train=False, root=tmp_path, download=False)


def test_fashion_mnist_when_present():
    if not data.is_available("fashion"):
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    split = data.load_split("fashion", train=False, download=False)
    assert split.images.shape == (10000, 1, 28, 28) and split.info.classes[9] == "Ankle boot"


def test_to_model_input_pads_centred_in_unit_range(mnist_test):
    x = data.to_model_input(mnist_test.images[:4], 32)
    assert x.shape == (4, 1, 32, 32) and x.dtype == torch.float32
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    assert torch.equal(x[:, :, 2:30, 2:30], mnist_test.images[:4].float() / 255)
    assert float(x[:, :, :2].abs().sum() + x[:, :, 30:].abs().sum()) == 0.0


def test_sample_digits_are_shipped():
    images, labels = data.sample_digits()
    assert images.shape == (100, 28, 28) and images.dtype == np.uint8 and len(labels) == 100


def test_loading_never_downloads_unless_asked(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(data, "_download", lambda name, root: calls.append(name))
    missing = [name for name in data.DATASETS if not data.is_available(name, tmp_path)]  # Fashion may be system-wide
    assert "mnist" in missing and "cifar10" in missing
    for name in missing:
        with pytest.raises(data.DatasetMissingError):
            data.load_split(name, train=False, root=tmp_path)
    assert calls == []


@pytest.mark.parametrize("name", list(data.DATASETS))
def test_the_missing_message_says_how_to_get_the_data_without_server_paths(name, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATA", str(tmp_path))
    message = data.missing_message(name)
    assert message.startswith(f"{data.DATASETS[name].title} is not on this machine") and message.endswith(".")
    assert f"python -m cnnviz train --dataset {name}" in message and "CNNVIZ_DATA" in message
    assert str(tmp_path) not in message and "/work" not in message
