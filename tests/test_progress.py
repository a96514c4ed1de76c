"""What a training run reports: the watched test images."""

from cnnviz import progress


def test_watched_images_are_one_of_each_class(mnist_test):
    idx = progress.watch_indices(mnist_test.labels, 10)
    assert mnist_test.labels[idx].tolist() == list(range(10))
    assert idx[7] == 0  # the first MNIST test image is a 7
