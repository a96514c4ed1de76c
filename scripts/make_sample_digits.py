"""Write assets/sample_digits.npz: the first 10 MNIST test digits of each class (100 in all)."""

import numpy as np

from cnnviz.data import ASSETS, load_split


def main() -> None:
    split = load_split("mnist", train=False, download=False)
    labels = split.labels.numpy()
    picks = np.concatenate([np.flatnonzero(labels == d)[:10] for d in range(10)])
    np.savez_compressed(
        ASSETS / "sample_digits.npz", images=split.images[picks, 0].numpy(), labels=labels[picks], test_index=picks
    )
    print(f"wrote {len(picks)} digits to {ASSETS / 'sample_digits.npz'}")


if __name__ == "__main__":
    main()
