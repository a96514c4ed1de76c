"""Dataset files: find them, read them once into uint8 tensors, turn batches into model input.

MNIST and Fashion-MNIST are read straight from their IDX files (gzip or not); CIFAR-10 from the
standard ``cifar-10-batches-py`` pickles of plain arrays. torchvision's download is only a fallback
for users with internet when the files are missing, and only an explicit command asks for it (the CLI
does unless told ``--no-download``); a page never downloads, it says how to get the files instead.
"""

from __future__ import annotations

import functools
import gzip
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is: its shape, classes and normalisation statistics."""

    name: str
    title: str
    channels: int
    size: int
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]


DIGITS = tuple(str(d) for d in range(10))
DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo("mnist", "MNIST digits", 1, 28, DIGITS, (0.1307,), (0.3081,)),
    "fashion": DatasetInfo(
        "fashion",
        "Fashion-MNIST",
        1,
        28,
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        (0.2860,),
        (0.3530,),
    ),
    "cifar10": DatasetInfo(
        "cifar10",
        "CIFAR-10",
        3,
        32,
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        (0.4914, 0.4822, 0.4465),
        (0.2470, 0.2435, 0.2616),
    ),
}
IDX_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
GET_IT = {
    "mnist": "put the four MNIST *-ubyte.gz files (from https://ossci-datasets.s3.amazonaws.com/mnist/) in "
    "MNIST/raw/ inside the data folder",
    "fashion": "install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist), or put "
    "its four *-ubyte.gz files in FashionMNIST/raw/ inside the data folder",
    "cifar10": "download https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz (about 170 MB) and unpack it "
    "in the data folder, so that it holds cifar-10-batches-py/",
}
SOURCES = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/ (the four *-ubyte.gz files)",
    "fashion": "https://github.com/zalandoresearch/fashion-mnist or Debian's dataset-fashion-mnist",
    "cifar10": "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz, unpacked",
}


class DatasetMissingError(FileNotFoundError):
    """The dataset's files are not on disk and could not be downloaded."""


@dataclass(frozen=True)
class Split:
    """One split of a dataset held in memory: images (N, C, H, W) uint8 and labels (N,) int64."""

    images: torch.Tensor
    labels: torch.Tensor
    info: DatasetInfo

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, n: int | None, seed: int = 0) -> Split:
        """A reproducible random subset of n samples (all of them when n is None or too large)."""
        if n is None or n >= len(self):
            return self
        idx = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n]
        return Split(self.images[idx], self.labels[idx], self.info)


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """Where datasets live: the argument, else $CNNVIZ_DATA, else ./data."""
    return Path(override or os.environ.get("CNNVIZ_DATA") or "data").expanduser()


def _read_idx(path: Path) -> np.ndarray:
    """Parse one IDX file (gzip or plain): magic, dims, then uint8 data; damaged files are refused."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DatasetMissingError(f"{path} could not be read ({exc}); replace it with a fresh copy.") from exc
    ndim = raw[3] if len(raw) >= 4 else 0
    if len(raw) < 4 + 4 * ndim or raw[:3] != b"\x00\x00\x08" or ndim == 0:
        raise DatasetMissingError(f"{path} is not an uint8 IDX file; replace it with a fresh copy.")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    if len(raw) - offset < int(np.prod(dims)):
        raise DatasetMissingError(f"{path} is truncated; replace it with a fresh copy.")
    data = np.frombuffer(bytearray(raw), dtype=np.uint8, count=int(np.prod(dims)), offset=offset)
    return data.reshape(dims)


def _find_idx(folders: list[Path], stem: str) -> Path | None:
    for folder in folders:
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def _idx_folders(name: str, root: Path) -> list[Path]:
    if name == "mnist":
        return [root / "MNIST" / "raw"]
    return [root / "FashionMNIST" / "raw", FASHION_SYSTEM_DIR]


def _expected_folders(name: str, root: Path) -> list[Path]:
    if name == "cifar10":
        return [root / "cifar-10-batches-py"]
    return _idx_folders(name, root)


def _download(name: str, root: Path) -> None:
    """torchvision's download, for users with internet; a clear error when it fails."""
    import torchvision.datasets as tvd

    cls = {"mnist": tvd.MNIST, "fashion": tvd.FashionMNIST, "cifar10": tvd.CIFAR10}[name]
    try:
        for train in (True, False):
            cls(str(root), train=train, download=True)
    except Exception as exc:  # network errors come in many types
        where = _expected_folders(name, root)[0]
        raise DatasetMissingError(
            f"{DATASETS[name].title} is not on disk and could not be downloaded ({exc}). "
            f"Put its files in {where} (from {SOURCES[name]}) or point CNNVIZ_DATA / --data-dir "
            "at a folder that has them."
        ) from exc


def _load_idx_split(name: str, train: bool, root: Path) -> tuple[np.ndarray, np.ndarray] | None:
    folders = _idx_folders(name, root)
    paths = [_find_idx(folders, stem) for stem in IDX_FILES[train]]
    if None in paths:
        return None
    images, labels = _read_idx(paths[0]), _read_idx(paths[1])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetMissingError(f"{paths[0]} and {paths[1]} do not hold matching images and labels.")
    return images[:, None], labels.astype(np.int64)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles only plain containers and numpy arrays: CIFAR-10's official format, nothing else."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise DatasetMissingError(
                f"A CIFAR-10 batch file refers to {module}.{name}; it is not "
                "the official dataset. Replace it with a fresh copy."
            )
        return super().find_class(module, name)


def _load_cifar_split(train: bool, root: Path) -> tuple[np.ndarray, np.ndarray] | None:
    folder = root / "cifar-10-batches-py"
    names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    if not all((folder / n).is_file() for n in names):
        return None
    images, labels = [], []
    for n in names:
        with open(folder / n, "rb") as f:
            batch = _ArrayUnpickler(f, encoding="bytes").load()
        images.append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(batch[b"labels"], dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def _load_arrays(name: str, train: bool, root: Path) -> tuple[np.ndarray, np.ndarray] | None:
    if name == "cifar10":
        return _load_cifar_split(train, root)
    return _load_idx_split(name, train, root)


def is_available(name: str, root: str | os.PathLike | None = None) -> bool:
    """Whether both splits of the dataset are on disk (no download attempted)."""
    root_path = data_dir(root)
    if name == "cifar10":
        return (
            _load_cifar_split(False, root_path) is not None
            and (root_path / "cifar-10-batches-py" / "data_batch_5").is_file()
        )
    folders = _idx_folders(name, root_path)
    return all(_find_idx(folders, stem) for pair in IDX_FILES.values() for stem in pair)


def available_datasets(root: str | os.PathLike | None = None) -> list[str]:
    """The datasets whose files are on disk, in a stable order."""
    return [name for name in DATASETS if is_available(name, root)]


@functools.lru_cache(maxsize=8)
def _cached_split(name: str, train: bool, root: Path, download: bool) -> Split:
    arrays = _load_arrays(name, train, root)
    if arrays is None:
        if not download:
            raise DatasetMissingError(
                f"{DATASETS[name].title} files were not found under {root} "
                f"(looked in {', '.join(str(p) for p in _expected_folders(name, root))}). "
                "Set CNNVIZ_DATA (or --data-dir) to the folder that holds them, or allow the download."
            )
        _download(name, root)
        arrays = _load_arrays(name, train, root)
        if arrays is None:
            raise DatasetMissingError(f"{DATASETS[name].title} download left no readable files in {root}.")
    images, labels = arrays
    return Split(torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels), DATASETS[name])


def load_split(name: str, train: bool, root: str | os.PathLike | None = None, download: bool = False) -> Split:
    """One split as uint8 tensors, read once per process (cached); torchvision's download only if asked."""
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    return _cached_split(name, train, data_dir(root).resolve(), download)


def missing_message(name: str) -> str:
    """What a page says when a dataset is not on disk: pages never download, so say how to get it."""
    title = DATASETS[name].title
    return (
        f"{title} is not on this machine, and the app's pages never download data. To get it, {GET_IT[name]} "
        "(the data folder is the one CNNVIZ_DATA names, else ./data), or run "
        f"`python -m cnnviz train --dataset {name}` once on a machine with internet: it downloads {title} there. "
        "Then reload this page."
    )


def to_model_input(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float in [0, 1], zero-padded (centred) to size x size on images' device."""
    x = images.float().div_(255.0)
    pad = size - x.shape[-1]
    if pad > 0:
        x = F.pad(x, (pad // 2, pad - pad // 2, pad // 2, pad - pad // 2))
    return x


@functools.lru_cache(maxsize=1)
def sample_digits() -> tuple[np.ndarray, np.ndarray]:
    """The shipped sample digits: (100, 28, 28) uint8 MNIST test images and their labels."""
    with np.load(ASSETS / "sample_digits.npz") as f:
        return f["images"], f["labels"]
